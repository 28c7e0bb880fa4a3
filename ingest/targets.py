"""By when and how much: deadlines (2025年底前, 9月底前完成, 到2025年) and quantitative targets
(到2025年，…达到90%以上, 120MW, 不低于50%) of a document's structure units.

A deadline is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (年底 is December); a month without a
year takes the year last written before it in the same unit, else the document's year.
A target is a number with a unit of measure, read as one when a comparator is written
(不低于, 以上, 低于 …), when its sentence says what is to be reached (达到, 建成, 新增,
到2025年 …) or when it stands in a unit headed 目标. Per-household rules (每户配置1组)
and counts in ``按500户配1名`` are not targets.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

from .records import Deadline, Document, Node, Target

_DATE_BEFORE = re.compile(r"(?P<y>20\d{2}|19\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日?"
                          r"(?:[（(][^）)]{1,6}[)）])?\s*(?:前|之前|以前)")
_MONTH_BEFORE = re.compile(r"(?P<y>20\d{2}|19\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?:底|末|份)?\s*(?:前|之前|以前)")
_YEAR_BEFORE = re.compile(r"(?P<y>20\d{2}|19\d{2})\s*年(?P<end>底|末|年底)?\s*(?:前|之前|以前)")
_BY_YEAR = re.compile(r"(?:到|至|截至|截止到?)\s*(?P<y>20\d{2}|19\d{2})\s*年(?P<end>底|末)?(?!\s*\d{1,2}\s*月)")
_BARE_MONTH = re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s*月(?:底|末)\s*(?:前|之前|以前)")
_YEAR_DOING = re.compile(r"(?<![\d—\-~～至到])(?P<y>20\d{2}|19\d{2})\s*年(?![\d底末前]|\s*\d{1,2}\s*月|起|以来|度)"
                         r"(?P<gap>[^，。；;,、\n（()）]{0,10}?)"
                         r"(?:完成|建成|实现|形成|投产|开工|再新增|新增|创建|投入使用|全面|基本建成|启动)")
_TABLE_TIME = re.compile(r"^(?P<y>20\d{2}|19\d{2})\s*年(?:\s*(?P<m>\d{1,2})\s*月)?(?P<end>底|末)?(?:前|之前|以前)?(?:完成)?$")
_YEAR_ANY = re.compile(r"(20\d{2}|19\d{2})\s*年")

_UNITS = ("个百分点", "万平方米", "平方公里", "平方米", "万千瓦", "万户", "万人", "万辆", "万元", "亿元", "万吨",
          "公里", "千米", "公顷", "兆瓦", "MW", "GW", "kW", "千瓦", "%", "％", "吨", "个", "座", "辆", "条", "支",
          "场", "家", "项", "所", "处", "户", "人次", "台", "套", "批", "亩", "倍", "间", "栋", "所")
_NUMBER = re.compile(
    r"(?P<before>不低于|不少于|不超过|不高于|不大于|不小于|低于|高于|超过|少于|达到|≥|≤|>|<)?\s*"
    r"(?<![\d.．\-—~～第])(?P<value>\d+(?:[.．]\d+)?)(?P<about>余|多)?\s*"
    r"(?P<unit>" + "|".join(map(re.escape, sorted(set(_UNITS), key=len, reverse=True))) + r")"
    r"(?P<after>以上|以下|以内|左右)?"
)
_CUE = re.compile(r"达到|建成|新增|完成|实现|创建|累计|推进|建设|打造|培育|改造|新建|力争|提高到|提升到|提高至|提升至|"
                  r"控制在|控制量|降低到|降至|形成|目标|成立|覆盖|配置|分类量|回收量|到20\d{2}年|超过|不低于|不少于")
_SKIP_BEFORE = re.compile(r"(?:每|按|第|前|近|编号|序号|约束)\s*$")
_COMPARATOR = {"不低于": ">=", "不少于": ">=", "不小于": ">=", "达到": ">=", "≥": ">=", "以上": ">=", "余": ">=", "多": ">=",
               "不超过": "<=", "不高于": "<=", "不大于": "<=", "以下": "<=", "以内": "<=", "≤": "<=",
               "高于": ">", "超过": ">", ">": ">", "低于": "<", "少于": "<", "<": "<"}
_SENTENCE = re.compile(r"[^。；;！？\n]+")
_CLAUSE = re.compile(r"[^，,。；;！？\n]+")


def _due(y: str, m: str | None = None, d: str | None = None, end: str | None = None) -> str | None:
    year = int(y)
    if m is not None:
        month = int(m)
        if not 1 <= month <= 12:
            return None
        if d is not None:
            day = int(d)
            return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= day <= 31 else None
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-12" if end else f"{year:04d}"


def find_deadlines(doc: Document, node_of: Callable[[int, int], str | None]) -> list[Deadline]:
    """Deadlines written in the text and in the time column of task tables, one per unit and date."""
    text = doc.text
    found: dict[tuple, Deadline] = {}
    taken: list[tuple[int, int]] = []
    rows = [n for n in doc.nodes() if n.kind == "row"]

    def add(node_id, due, start, end):
        if due is None or any(a < end and start < b for a, b in taken):
            return
        taken.append((start, end))
        found.setdefault((node_id, due), Deadline(node_id=node_id, due=due, start=start, end=end,
                                                  exact=text[start:end]))

    for row in rows:
        for cell in row.children:
            if cell.title and re.search(r"时限|时间|节点|进度", cell.title):
                m = _TABLE_TIME.match(cell.text.strip())
                if m:
                    add(row.id, _due(m.group("y"), m.group("m"), None, m.group("end")), cell.start, cell.end)
    in_rows = [(r.start, r.end) for r in rows]

    def node_at(start, end):
        for a, b in in_rows:
            if a <= start < b:
                return next((r.id for r in rows if r.start == a), None)
        return node_of(start, end)

    for m in _DATE_BEFORE.finditer(text):
        add(node_at(m.start(), m.end()), _due(m.group("y"), m.group("m"), m.group("d")), m.start(), m.end())
    for m in _MONTH_BEFORE.finditer(text):
        add(node_at(m.start(), m.end()), _due(m.group("y"), m.group("m")), m.start(), m.end())
    for m in _YEAR_BEFORE.finditer(text):
        add(node_at(m.start(), m.end()), _due(m.group("y"), end=m.group("end")), m.start(), m.end())
    for m in _BY_YEAR.finditer(text):
        add(node_at(m.start(), m.end()), _due(m.group("y"), end=m.group("end")), m.start(), m.end())
    doc_year = (doc.metadata.date or "")[:4]
    for m in _BARE_MONTH.finditer(text):
        years = _YEAR_ANY.findall(text, max(0, m.start() - 400), m.start())
        year = years[-1] if years else doc_year
        if year:
            add(node_at(m.start(), m.end()), _due(year, m.group("m")), m.start(), m.end())
    for m in _YEAR_DOING.finditer(text):
        add(node_at(m.start(), m.end()), _due(m.group("y")), m.start(), m.start("gap"))
    return sorted(found.values(), key=lambda d: (d.start, d.due))


def _in_goal_unit(node_id: str | None, by_id: dict[str, Node]) -> bool:
    while node_id:
        node = by_id.get(node_id)
        if node is not None and node.title and "目标" in node.title:
            return True
        node_id = node_id.rsplit("/", 1)[0] if "/" in node_id else None
    return False


def find_targets(doc: Document, node_of: Callable[[int, int], str | None]) -> list[Target]:
    """Quantitative targets, with the clause that names the indicator."""
    text = doc.text
    by_id = {n.id: n for n in doc.nodes()}
    rows = [n for n in doc.nodes() if n.kind == "row"]
    skip_cells = [(c.start, c.end) for r in rows for c in r.children
                  if c.title and re.search(r"单位|部门|时限|时间|节点|序号|参考", c.title)]
    targets = []
    for sent in _SENTENCE.finditer(text):
        s_text, s_start = sent.group(0), sent.start()
        for m in _NUMBER.finditer(s_text):
            start, end = s_start + m.start("value"), s_start + m.end()
            if any(a <= start < b for a, b in skip_cells):
                continue
            prefix = s_text[:m.start("value")]
            if _SKIP_BEFORE.search(prefix.rstrip(m.group("before") or "")[-3:]) or re.search(r"\d[.．]?$", prefix[-1:]):
                continue
            if m.group("unit") in ("个", "条", "项", "批") and re.match(r"\s*(?:月|工作日|年)", s_text[m.end():]):
                continue
            node_id = node_of(start, end)
            for r in rows:
                if r.start <= start < r.end:
                    node_id = r.id
            word = m.group("before") or m.group("after") or m.group("about")
            comparator = _COMPARATOR.get(word or "", "=")
            if word is None and "每" in prefix:
                continue  # 每户配置1组, 每村配置1辆: a rule for each, not a number to reach
            if word is None and not (_CUE.search(s_text) or _in_goal_unit(node_id, by_id)):
                continue
            clause = next((c for c in _CLAUSE.finditer(s_text) if c.start() <= m.start("value") < c.end()), None)
            indicator = clause.group(0).strip() if clause else s_text.strip()
            year = None
            years = re.findall(r"(?:到|至)?\s*(20\d{2})\s*年(?!\s*\d{1,2}\s*月\s*\d)", s_text[:m.start("value")])
            if years:
                year = int(years[-1])
            value = unicodedata.normalize("NFKC", m.group("value"))  # １７．１ → 17.1
            if m.group("before"):
                start = s_start + m.start("before")
            targets.append(Target(node_id=node_id, indicator=indicator, value=value,
                                  unit="%" if m.group("unit") == "％" else m.group("unit"),
                                  comparator=comparator, year=year, start=start, end=end,
                                  exact=text[start:end]))
    return targets
