"""Who is responsible: duties written as parentheticals, clauses and task-table rows.

``（责任单位：市绿化市容局、市发展改革委，各区政府）`` after a task,
``(牵头单位：区绿化市容局;配合单位：区规划资源局…)``,
``（市局特种设备安全监察处牵头，执法稽查处按职责分工负责）``,
``（国家发展改革委、财政部按职责分工负责）``, ``由街镇牵头，区绿化市容局配合落实``
and the 牵头单位 / 配合单位 columns of an annex task table each give units a role
(lead, cooperating, responsible) on the structure unit they belong to. Each unit is
resolved within the document's scope (市发展改革委 in a Shanghai document is
上海市发展改革委; 区… in a district's document is that district's); collective
phrases (各区政府, 各有关部门) stay whole and are marked collective.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from .records import Document, Duty, Node

_LABEL_ROLE = (
    (re.compile(r"牵头(?:单位|部门)"), "lead"),
    (re.compile(r"(?:配合|协办|参与|协同)(?:单位|部门)"), "cooperating"),
    (re.compile(r"(?:责任|主体|实施|推进|负责)(?:单位|部门)"), "responsible"),
)
_LABELLED = re.compile(
    r"(?P<label>(?:牵头|配合|协办|参与|协同|责任|主体|实施|推进|负责)(?:单位|部门))\s*[:：]\s*"
    r"(?P<units>[^:：;；]*?)(?=\s*[;；]|\s*(?:牵头|配合|协办|参与|协同|责任|主体|实施|推进|负责)(?:单位|部门)\s*[:：]|$)"
)
_LEAD_THEN = re.compile(
    r"^(?P<lead>.+?)(?:牵头(?:负责|落实|推进)?|负责牵头)(?:[，,；;]\s*(?P<coop>.+?)"
    r"(?:按职责分工负责(?:落实)?|按职责负责|分工负责|按职责分工落实|配合(?:落实|推进|实施)?|参与|组织落实|共同推进|负责落实))?$"
)
_SHARED = re.compile(r"^(?P<units>.+?)(?:按职责分工负责(?:落实)?|按职责负责|分工负责|按职责分工落实|配合(?:落实)?|参与)$")
_RESPONSIBLE = re.compile(r"^(?P<units>.+?)负责$")
_PAREN = re.compile(r"[（(](?P<body>(?:[^（）()]|[（(][^（）()]*[)）]){2,300}?)[)）]")
_CLAUSE = re.compile(
    r"(?:(?<=[。；;，,：:\n])|^|(?<=由))(?P<lead>[^\s，,。；;：:、“”《》由]{2,24}?)牵头(?:负责)?"
    r"(?:[，,]\s*(?P<coop>[^，,。；;：:“”《》]{2,60}?)(?:配合|协助|参与)(?:落实|推进|实施)?(?=[，,。；;]|$))?"
)
_BUSINESS = ("集团", "公司", "银行")
#: Words of the shape of a unit that name none (由政府牵头).
_GENERIC_UNITS = frozenset(("政府", "部门", "单位", "企业", "机构", "机关", "社会", "协会", "中心", "公司", "集团"))
_COLLECTIVE = re.compile(
    r"^(?:各|有关|相关|其他|全市|全区|所有|市区|区镇)[^，。]{0,12}"
    r"(?:部门|单位|方面|政府|街镇|乡镇|街道|[区县镇]|委|办|局|机构|机关|园区[)）]?|[)）]|成员单位|企业|组织)$"
    r"|(?:成员单位|有关部门|相关部门|有关单位|相关单位|各部门|各单位|党政机关|公共机构|行业主管部门)$"
    r"|^(?:街镇|街道|乡镇)(?:[（(].*[)）])?$"
)
_UNIT_SHAPE = re.compile(
    r"(?:局|委|委员会|办|办公室|中心|部|厅|署|院|会|政府|园区[)）]?|街镇|街道|单位|公司|集团|处|所|站|队|社|机构|机关"
    r"|协会|联合会|妇联|团委|法院|检察院|银行|管委会|总局|科|室|组|科协|海关|开发区|分局|支队)$"
)
_TRAILING = re.compile(r"(?:等(?:相关|有关)?(?:部门|单位)|等)$")
_ALIAS = re.compile(r"^(?P<name>[^（(]+?)\s*[（(](?P<aliases>[^）)]+)[)）]$")
_SPLIT = re.compile(r"[、，,；;\n]")


@dataclass(frozen=True)
class Scope:
    """Where a document speaks from: its city (上海市) and district (宝山区), when it has them."""

    city: str | None = None
    district: str | None = None
    national: bool = False
    issuer: str | None = None  # 市局…处 / …处 in a bureau's text are its divisions


_CITY = re.compile(r"(上海市|北京市|天津市|重庆市|广州市|深圳市|[\u4e00-\u9fff]{2,3}市)")
# a name of one character before 区 only right after its city (上海市某区); none begins with a
# word of a collective (各区, 全区县) nor inside the city's own name (海市各区 of 上海市各区)
_DISTRICT = re.compile(r"(?:上海市|[\u4e00-\u9fff]{2,3}?市)?([\u4e00-\u9fff]{1,3}(?:区|县))(?:人民政府|政府|委|办公室|[\u4e00-\u9fff]{0,8}局)")
_NOT_DISTRICT = re.compile(r"各|^[全本该我区县]|^市[区县]|地区$")
_ABBREV_CITY = {"沪": "上海市", "穗": "广州市", "京": "北京市", "津": "天津市", "渝": "重庆市", "深": "深圳市"}


def document_scope(doc: Document) -> Scope:
    """The city and district a document belongs to, read from its issuer, title and 发文字号.

    >>> from policykg.ingest import parse_text
    >>> document_scope(parse_text("上海市宝山区人民政府办公室关于印发…的通知\\n\\n正文。")).district
    '宝山区'
    """
    meta = doc.metadata
    words = " ".join(x for x in (meta.issuer, meta.title) if x)
    district = _district(words)
    m = _CITY.search(words)
    city = m.group(1) if m else None
    if city is None and meta.doc_number and meta.doc_number[0] in _ABBREV_CITY:
        city = _ABBREV_CITY[meta.doc_number[0]]
    if city is None and district is None and re.search(r"本市|全市", doc.text[:2000]) and "上海" in doc.text[:2000]:
        city = "上海市"
    national = city is None and bool(re.search(r"国务院|中共中央|部$|部等|总局", words))
    return Scope(city=city, district=district, national=national, issuer=meta.issuer)


def _district(words: str) -> str | None:
    """The first district an issuer or title names (``document_scope``).

    >>> [_district(w) for w in ("上海市某区人民政府", "上海市各区人民政府", "济南市市中区人民政府")]
    ['某区', None, '市中区']
    """
    cities = [m.span() for m in _CITY.finditer(words)]
    m = _DISTRICT.search(words)
    while m is not None:
        name, after_city = m.group(1), m.start(1) > m.start()
        inside = not after_city and any(a < m.start(1) < b for a, b in cities)
        if not inside and not _NOT_DISTRICT.search(name) and (after_city or len(name) > 2):
            return name
        m = _DISTRICT.search(words, m.start() + 1)
    return None


def is_collective(unit: str) -> bool:
    """Whether a unit is a collective phrase rather than one organisation.

    >>> is_collective("各区政府"), is_collective("各有关部门"), is_collective("市水务局")
    (True, True, False)
    """
    return bool(_COLLECTIVE.search(unit))


def scoped_name(unit: str, scope: Scope) -> str:
    """The unit's name with the document's city or district spelled out.

    >>> scoped_name("市发展改革委", Scope(city="上海市"))
    '上海市发展改革委'
    >>> scoped_name("区绿化市容局", Scope(city="上海市", district="宝山区"))
    '宝山区绿化市容局'
    >>> scoped_name("国家发展改革委", Scope())
    '国家发展改革委'
    >>> scoped_name("市局特种设备安全监察处", Scope(city="上海市", issuer="上海市市场监督管理局"))
    '上海市市场监督管理局特种设备安全监察处'
    """
    if unit.startswith(("市局", "区局")) and scope.issuer:
        return scope.issuer + unit[2:]  # 市局特种设备安全监察处: a division of the issuing bureau
    if scope.issuer and unit.endswith(("处", "科", "室")) and not unit.startswith(("市", "区", "县", "省", "国家")) \
            and scope.issuer.endswith(("局", "委", "委员会", "厅")):
        return scope.issuer + unit
    if unit.endswith(_BUSINESS):
        return unit  # 市北高新集团: 市北 is a place, not 本市
    if unit.startswith("市") and scope.city and not unit.startswith(("市场", "市民")):
        return scope.city + unit[1:]
    if unit.startswith("区") and scope.district and not unit.startswith(("区域", "区块")):
        return scope.district + unit[1:]
    if unit.startswith("县") and scope.district and scope.district.endswith("县"):
        return scope.district + unit[1:]
    return unit


def load_unit_names(path) -> list[tuple[str, str]]:
    """``(short ending, official ending)`` rows of ``ingest/data/unit_names.tsv``, longest first."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            short, _, full = line.partition("\t")
            rows.append((short.strip(), full.strip()))
    return sorted(rows, key=lambda r: -len(r[0]))


def official_name(name: str, endings: list[tuple[str, str]]) -> str:
    """``name`` with its short ending written out officially.

    >>> official_name("上海市绿化市容局", [("绿化市容局", "绿化和市容管理局")])
    '上海市绿化和市容管理局'
    >>> official_name("国家发展改革委", [("发展改革委", "发展和改革委员会")])
    '国家发展和改革委员会'
    """
    for short, full in endings:
        if name.endswith(short) and not name.endswith(full) and len(name) > len(short):
            return name[: -len(short)] + full
    return name


def split_units(text: str, offset: int) -> Iterator[tuple[str, int, int, tuple[str, ...]]]:
    """``(unit, start, end, other names)`` for each unit of a list, brackets respected.

    >>> [u for u, *_ in split_units("区委宣传部（区文明办、区政府新闻办）、区民政局等", 0)]
    ['区委宣传部', '区民政局']
    """
    depth, piece_start = 0, 0
    pieces = []
    for i, ch in enumerate(text + "、"):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        elif depth == 0 and (ch in "、，,；;\n" or i == len(text)):
            pieces.append((piece_start, i))
            piece_start = i + 1
    for a, b in pieces:
        raw = text[a:b]
        lead = len(raw) - len(raw.lstrip(" \t\u3000"))
        piece = raw.strip(" \t\u3000。")
        if not piece:
            continue
        start = offset + a + lead
        trimmed = _TRAILING.sub("", piece).strip()
        if len(trimmed) >= 2:
            piece = trimmed
        aliases: tuple[str, ...] = ()
        m = _ALIAS.match(piece)
        if m and not is_collective(piece):
            piece = m.group("name").strip()
            aliases = tuple(x.strip() for x in _SPLIT.split(m.group("aliases")) if x.strip())
        yield piece, start, start + len(piece), aliases


def looks_like_unit(piece: str) -> bool:
    """Whether a piece of text is shaped like the name of a unit (or a collective of units)."""
    return 2 <= len(piece) <= 30 and piece not in _GENERIC_UNITS \
        and (is_collective(piece) or bool(_UNIT_SHAPE.search(piece))) and not re.search(r"[。：:“”《》]", piece)


def _role_of_label(label: str) -> str:
    for pattern, role in _LABEL_ROLE:
        if pattern.search(label):
            return role
    return "responsible"


def parenthetical_duties(body: str, offset: int) -> list[tuple[str, str, int]]:
    """``(role, units text, offset of the units text)`` of one parenthetical's content, or ``[]``."""
    found = []
    for m in _LABELLED.finditer(body):
        found.append((_role_of_label(m.group("label")), m.group("units"), offset + m.start("units")))
    if found:
        return found
    stripped = body.strip()
    lead = len(body) - len(body.lstrip())
    m = _LEAD_THEN.match(stripped)
    if m:
        found.append(("lead", m.group("lead"), offset + lead + m.start("lead")))
        if m.group("coop"):
            found.append(("cooperating", m.group("coop"), offset + lead + m.start("coop")))
        return found
    m = _SHARED.match(stripped)
    if m:
        return [("cooperating", m.group("units"), offset + lead + m.start("units"))]
    m = _RESPONSIBLE.match(stripped)
    if m:
        return [("responsible", m.group("units"), offset + lead + m.start("units"))]
    return []


def _table_role(header: str | None) -> str | None:
    if not header:
        return None
    if re.search(r"牵头", header):
        return "lead"
    if re.search(r"配合|协办|参与|协同", header):
        return "cooperating"
    if re.search(r"(?:责任|主体|推进|实施|负责)(?:单位|部门)", header):
        return "responsible"
    return None


class DutyFinder:
    """Duties of a document; ``resolve(unit, scope, aliases)`` gives the entity ``(key, label)`` of a unit."""

    def __init__(self, resolve: Callable[[str, Scope, tuple[str, ...]], tuple[str, str] | None]):
        self.resolve = resolve

    def __call__(self, doc: Document, node_of: Callable[[int, int], str | None]) -> list[Duty]:
        scope = document_scope(doc)
        duties: list[Duty] = []
        seen: set[tuple] = set()
        rows = [n for n in doc.nodes() if n.kind == "row"]
        in_table = [(r.start, r.end) for r in rows]

        def inside_table(pos: int) -> bool:
            return any(a <= pos < b for a, b in in_table)

        def add(node_id, role, units_text, units_offset, ev_start, ev_end, require_shape=False, trust=False):
            pieces = list(split_units(units_text, units_offset))
            if not pieces or (require_shape and not all(looks_like_unit(p[0]) for p in pieces)):
                return False
            for unit, start, end, aliases in pieces:
                if not (looks_like_unit(unit) or (trust and 2 <= len(unit) <= 30
                                                  and not re.search(r"[。：:“”《》]", unit))):
                    continue
                key = (node_id, role, unit, ev_start)  # one record per statement: each is evidence
                if key in seen:
                    continue
                seen.add(key)
                collective = is_collective(unit)
                entity = None if collective else self.resolve(unit, scope, aliases)
                duties.append(Duty(node_id=node_id, role=role, unit=unit,
                                   entity_key=entity[0] if entity else None, collective=collective,
                                   start=start, end=end, evidence_start=ev_start, evidence_end=ev_end))
            return True

        text = doc.text
        for m in _PAREN.finditer(text):
            if inside_table(m.start()):
                continue
            labelled = bool(_LABELLED.search(m.group("body")))
            for role, units, at in parenthetical_duties(m.group("body"), m.start("body")):
                # After 责任单位： every listed name is a unit (上海海关, 开发区); unlabelled forms
                # (X牵头…) must look like units throughout, or the parenthesis is something else.
                add(node_of(m.start(), m.end()), role, units, at, m.start(), m.end(), require_shape=not labelled,
                    trust=labelled)
        for m in _CLAUSE.finditer(text):
            if inside_table(m.start()) or not looks_like_unit(m.group("lead")):
                continue
            node_id = node_of(m.start(), m.end())
            add(node_id, "lead", m.group("lead"), m.start("lead"), m.start(), m.end(), require_shape=True)
            if m.group("coop"):
                add(node_id, "cooperating", m.group("coop"), m.start("coop"), m.start(), m.end(),
                    require_shape=True)
        for row in rows:
            for cell in row.children:
                role = _table_role(cell.title)
                if role is None:
                    continue
                add(row.id, role, cell.text, cell.start, cell.start, cell.end)
        duties.sort(key=lambda d: (d.evidence_start, d.start))
        return duties


def table_rows(doc: Document) -> Iterable[Node]:
    """The task-table rows of a document's annexes."""
    return (n for n in doc.nodes() if n.kind == "row")
