"""Is it in force: 施行日期, 有效期, and the documents a document repeals, amends or implements.

- ``自2020年10月1日起施行`` / ``自印发之日起施行`` → in force from; ``有效期至2025年9月30日`` /
  ``有效期5年`` → in force until (the last day);
- ``《个体工商户条例》同时废止``, ``沪科规〔2024〕2号同时废止``, ``废止《…》`` → repeals;
- a title ``关于修改《…》的决定`` and ``根据本决定作相应修改`` → amends; a law's history line
  ``《国务院关于修改…的决定》第三次修订`` says the cited decision amended this text (kept as
  evidence, not as a link from this document);
- ``根据《…》``, ``贯彻落实《…》（国办发〔2019〕45号）`` → implements.
Each link names the other document by 发文字号 and/or title, with the exact span.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Callable

from .metadata import cn_number, parse_date
from .records import Document, DocumentLink, Validity

_DATE = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
_FROM = re.compile(rf"自\s*(?P<date>{_DATE})\s*(?:起|开始)\s*(?:施行|实施|执行|生效)")
_FROM_ISSUE = re.compile(r"自\s*(?:印发|发布|公布|颁布|下发)之日起\s*(?:施行|实施|执行|生效)")
_UNTIL = re.compile(rf"有效期(?:延长)?至\s*(?P<date>{_DATE})")
_YEARS = re.compile(r"有效期(?:为)?\s*(?P<n>\d{1,2}|[一二三四五六七八九十]{1,2})\s*年")
_NUMBER = r"[\u4e00-\u9fff]{1,12}\s*[〔\[［(（【]\s*\d{4}\s*[〕\]］)）】]\s*第?\s*\d+\s*号|[\u4e00-\u9fff]{0,12}令第\s*\d+\s*号"
_BARE_NUMBER = r"[〔\[［]\s*\d{4}\s*[〕\]］]\s*第?\s*\d+\s*号"
_TITLE = r"《(?P<t>[^《》]{2,80})》"
_CITED = re.compile(rf"《(?P<title>[^《》]{{2,80}})》\s*(?:[（(](?P<number>{_NUMBER})[)）])?")
_NUMBER_RE = re.compile(rf"(?P<number>{_NUMBER}|{_BARE_NUMBER})")
_REPEAL_TAIL = re.compile(r"(?:等(?:文件)?)?\s*同时(?:予以)?废止")
_REPEAL_HEAD = re.compile(r"(?:决定)?(?:予以)?废止\s*(?=《)")
_IMPLEMENT_HEAD = re.compile(r"(?:根据|依据|按照|贯彻落实|贯彻|落实|为了?(?:贯彻落实|贯彻|落实|实施))")
_AMEND_TITLE = re.compile(r"关于修改《(?P<t>[^《》]+)》(?:等.{0,10})?的决定")


def _iso(text: str) -> str | None:
    return parse_date(text)


def _add_years(iso: str, years: int) -> str:
    """The last day of a period of ``years`` years starting on ``iso``.

    >>> _add_years("2022-09-13", 5)
    '2027-09-12'
    """
    d = date.fromisoformat(iso)
    try:
        end = d.replace(year=d.year + years)
    except ValueError:  # 29 February
        end = d.replace(year=d.year + years, day=28)
    return (end - timedelta(days=1)).isoformat()


def find_validity(doc: Document) -> Validity:
    """When the document is in force, from its own words (the first statement of each kind)."""
    text = doc.text
    issued = doc.metadata.date or doc.metadata.written_date
    frm = frm_span = until = until_span = None
    m = _FROM.search(text)
    if m:
        frm, frm_span = _iso(m.group("date")), (m.start(), m.end())
    else:
        m = _FROM_ISSUE.search(text)
        if m and issued:
            frm, frm_span = issued, (m.start(), m.end())
    m = _UNTIL.search(text)
    if m:
        until, until_span = _iso(m.group("date")), (m.start(), m.end())
    else:
        m = _YEARS.search(text)
        start = frm or issued
        if m and start:
            n = cn_number(m.group("n"))
            if n:
                until, until_span = _add_years(start, n), (m.start(), m.end())
    return Validity(
        in_force_from=frm, from_start=frm_span[0] if frm_span else None, from_end=frm_span[1] if frm_span else None,
        in_force_until=until, until_start=until_span[0] if until_span else None,
        until_end=until_span[1] if until_span else None,
    )


def _clean_number(number: str | None) -> str | None:
    return re.sub(r"\s+", "", number) if number else None


def _sentences(text: str):
    for m in re.finditer(r"[^。；;\n]+[。；;]?", text):
        yield m.start(), m.group(0)


def _repealed_before(sentence: str, tail: re.Match):
    """(title, number, start, end) of each document cited before ``…同时废止`` (offsets in the sentence)."""
    # Everything cited between the sentence start (or the last 施行 clause) and 同时废止.
    head = sentence[:tail.start()]
    cut = max(head.rfind("施行"), head.rfind("实施"), head.rfind("。"))
    zone_start = cut + 2 if cut >= 0 else 0
    zone = head[zone_start:]
    cited = list(_CITED.finditer(zone))
    for c in cited:
        yield c.group("title"), c.group("number"), zone_start + c.start(), tail.end()
    if cited:
        return
    prefix = None
    for n in _NUMBER_RE.finditer(zone):
        number = n.group("number")
        if number.startswith(("〔", "[", "［")) and prefix:
            number = prefix + number  # 穗民规字〔2018〕10号、〔2018〕11号: the second shares the prefix
        else:
            prefix = re.sub(r"[〔\[［].*$", "", number)
        yield None, number, zone_start + n.start(), tail.end()


def _implemented_after(sentence: str, head: re.Match):
    """(title, number, start, end) of the documents listed right after 根据/贯彻落实 … (offsets in the sentence)."""
    pos = head.end()
    # A list of cited documents right after the verb: 《A》（号）和《B》（号）等
    while c := _CITED.match(sentence, pos):
        if "修改" not in c.group("title") or not _AMEND_TITLE.search(c.group("title")):
            yield c.group("title"), c.group("number"), head.start(), c.end()
        pos = c.end()
        sep = re.match(r"\s*(?:、|和|及|以及|，)\s*", sentence[pos:])
        if not sep:
            break
        pos += sep.end()


def _cited_in(sentence: str):
    """(predicate, title, number, start, end) of each repeal or implement citation of a sentence."""
    tail = _REPEAL_TAIL.search(sentence)
    if tail:
        for cited in _repealed_before(sentence, tail):
            yield ("repeals", *cited)
    for h in _REPEAL_HEAD.finditer(sentence):
        c = _CITED.match(sentence, h.end())
        if c:
            yield "repeals", c.group("title"), c.group("number"), h.start(), c.end()
    for h in _IMPLEMENT_HEAD.finditer(sentence):
        for cited in _implemented_after(sentence, h):
            yield ("implements", *cited)


def find_document_links(doc: Document, node_of: Callable[[int, int], str | None]) -> list[DocumentLink]:
    """Documents this one repeals, amends or implements, each with its evidence span."""
    text = doc.text
    links: list[DocumentLink] = []
    seen: set[tuple] = set()

    def add(predicate, title, number, start, end):
        title = title.strip() if title else None
        number = _clean_number(number)
        if title and doc.metadata.title and title in doc.metadata.title and predicate == "implements":
            return  # the plan a notice issues is not something the notice implements
        key = (predicate, title, number)
        if key in seen or not (title or number):
            return
        seen.add(key)
        links.append(DocumentLink(predicate=predicate, title=title, number=number, start=start, end=end,
                                  exact=text[start:end], node_id=node_of(start, end)))

    for s_start, sentence in _sentences(text):
        for predicate, title, number, start, end in _cited_in(sentence):
            add(predicate, title, number, s_start + start, s_start + end)
    title = doc.metadata.title or ""
    m = _AMEND_TITLE.search(title)
    if m:
        at = text.find(m.group(0))
        start, end = (at, at + len(m.group(0))) if at >= 0 else (0, min(len(text), len(title)))
        add("amends", m.group("t"), None, start, end)
    return links
