"""Names a law is made of that the suffix rules miss: the sessions that adopted or amended it,
the laws it cites without book-title marks, and its own title.

- ``上海市第十届人民代表大会常务委员会第三十三次会议``, ``第十届全国人民代表大会常务委员会第二十次会议``,
  ``国务院第13次常务会议``: events;
- ``根据中华人民共和国水法``, ``违反票据法``: a document (a law cited without 《》), and
  the decree that promulgated a regulation (``中华人民共和国国务院令第86号``);
- the first line of a law (``中华人民共和国防汛条例``), with ``本条例`` in its text a mention of it.
"""
from __future__ import annotations

import re
from typing import Iterable

from .entities import Candidate

_NUM = r"[0-9０-９一二三四五六七八九十百零〇两]+"
_SESSION = re.compile(rf"第{_NUM}届(?:全国)?人民代表大会(?:常务委员会)?第{_NUM}次(?:全体)?会议"
                      rf"|国务院第{_NUM}次常务会议")


def _law_end(not_after: str = "", not_before: str = "") -> str:
    """A law's name's last word: 条例, or 法 unless it ends another word (依法, 合法, 方法) or
    begins one (法规, 法院, 立法法 at 立法); the callers' own extra characters either side."""
    return (rf"(?:(?<![依合违守执非方做说看手用想{not_after}])法"
            rf"(?![规律院人定治制官庭典学权法{not_before}])|条例)")


_CITED_LAW = re.compile(r"中华人民共和国[^\s的和与及、，。；：:“”\"《》()（）〈〉]{1,20}?" + _law_end())
# a law cited by its short name after the verb that applies it: 违反票据法, 依照专利法 (a
# short name may end in more words than a full one: 司法, 办法, 算法, 法则, 法务)
_APPLIED_LAW = re.compile(
    r"(?:依照|根据|违反|按照|依据|适用|执行|遵守)(?P<name>(?!有关|相关|国家|其他|上述|前款|该|法律)"
    r"[^\s本的和及或与对在中应规定、，。；：“”\"《》()（）〈〉]{2,10}?"
    + _law_end("司办画无算线目立", "则务") + ")")
# the decree that promulgated a regulation: 中华人民共和国国务院令第86号
_DECREE = re.compile(rf"(?:中华人民共和国)?国务院(?:、[^\s、，。令]{{2,16}})?令第{_NUM}号")
_LAW_KINDS = ("条例", "办法", "规定", "细则", "规则", "决定", "法")
_TITLE = re.compile(rf"[^\s，。；：:！？、“”\"《》]{{2,40}}(?:{'|'.join(_LAW_KINDS)})")


def find_legal_names(text: str, places: Iterable[str]) -> list[Candidate]:
    """Candidates of the sessions, cited laws and own title of the law ``text`` (none for a
    text whose first line is not a law's title but for sessions and cited laws);
    ``places``: place names that may open a session's name (上海市)."""
    out = []
    before = sorted({p for p in places if len(p) >= 2}, key=len, reverse=True)
    for m in _SESSION.finditer(text):
        start = m.start()
        if not m.group().startswith("国务院"):
            # the place whose congress it is, when written just before (上海市第十届…)
            start -= next((len(p) for p in before if text.endswith(p, 0, start)), 0)
        out.append(Candidate(start, m.end(), text[start:m.end()], text[start:m.end()], "Event",
                             "legal"))
    for m in [*_CITED_LAW.finditer(text), *_DECREE.finditer(text)]:
        out.append(Candidate(m.start(), m.end(), m.group(), m.group(), "Document", "legal"))
    for m in _APPLIED_LAW.finditer(text):
        name = m.group("name")
        out.append(Candidate(m.start("name"), m.end("name"), name, name, "Document", "legal"))
    first = text.split("\n", 1)[0]
    if _TITLE.fullmatch(first.strip()):
        title = first.strip()
        at = text.index(title)
        out.append(Candidate(at, at + len(title), title, title, "Document", "legal"))
        kind = next(k for k in _LAW_KINDS if title.endswith(k))
        # mentions of the law, not its names: every law would share 本条例 as an alias
        for m in re.finditer(f"本{kind}", text):
            out.append(Candidate(m.start(), m.end(), m.group(), title, "Document", "anaphor"))
    return out
