"""Typed relations found by trigger patterns around entity mentions (依托… / 办好… / 与…合作 …)."""
from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .records import Document, Entity, Mention, Node, Relation

#: Node kinds that can be the subject of a relation, most specific first.
SUBJECT_KINDS = ("task", "principle", "goal", "article", "section", "chapter", "part")

_CLAUSE_END = re.compile(r"[，。；：！？,;:!?\n]")
_QUOTES = "“”\"「」‘’"
_SEPARATORS = ("、", "和", "与", "及", "以及", "或")
# trigger word → (predicate, object types, longest text allowed between trigger and first name)
_LIST_TRIGGERS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "依托": ("reliesOn", ("Organization", "Place", "Programme", "Event"), 1),
    "依靠": ("reliesOn", ("Organization", "Place", "Programme", "Event"), 1),
    "办好": ("hosts", ("Event",), 12),
    "举办": ("hosts", ("Event",), 12),
    "主办": ("hosts", ("Event",), 12),
    "承办": ("hosts", ("Event",), 12),
    "打造": ("develops", ("Place", "Programme", "Organization"), 1),
    "建设": ("develops", ("Place", "Programme", "Organization"), 1),
    "推进": ("develops", ("Place", "Programme", "Organization"), 1),
}
# After the named list, what may follow for the relation to hold (推进 needs …建设).
_LIST_FOLLOW = {
    "推进": re.compile(r"[”\"」]?建设"),
    "打造": re.compile(r"[”\"」]?(?:等|建设|[，。；、]|$)"),
    "建设": re.compile(r"[”\"」]?(?:等|[，。；、]|$)"),
}
_DEVELOP_INTO = re.compile(r"^(?:打造|建设)成?为?")
_COOPERATE = re.compile(r"合作|协作|交流")
_IMPLEMENT = re.compile(r"落实|根据|贯彻|按照|依据|执行|遵照|对照")
_ISSUE = re.compile(r"^(?:[^，。；《》]{0,4}?)(?:印发|发布|制定|出台|颁布)(?:的|了)?《$")
_MAX_GAP = 12


def subject_node(doc: Document, start: int, end: int) -> Node | None:
    """The innermost task/principle/goal/article/section node containing ``[start, end)``,
    else the innermost node of any kind containing it, else ``None``."""
    return _SubjectFinder(doc)(start, end)


class _SubjectFinder:
    """:func:`subject_node` for many spans of one document.

    Siblings in a structure tree follow one another without overlapping, so the
    nodes containing a span are one chain from a top-level node down, found by
    bisecting each level: a few steps per span instead of a walk over every node.
    A tree without that shape (never built by :mod:`ingest.structure`) is scanned.
    """

    def __init__(self, doc: Document):
        self.nodes = list(doc.nodes())
        self.levels: dict[int, list[int]] = {}  # id(children tuple) → their starts
        self.laminar = self._index(doc.structure)

    def _index(self, roots: tuple[Node, ...]) -> bool:
        for siblings in [roots] + [n.children for n in self.nodes]:
            starts = [n.start for n in siblings]
            if any(a.end > b.start or a.start > b.start for a, b in zip(siblings, siblings[1:])):
                return False
            self.levels[id(siblings)] = starts
        self.roots = roots
        return True

    def __call__(self, start: int, end: int) -> Node | None:
        containing = self._chain(start, end) if self.laminar else [
            n for n in self.nodes if n.start <= start and end <= n.end]
        for kind in SUBJECT_KINDS:
            found = [n for n in containing if n.kind == kind]
            if found:
                return min(found, key=lambda n: n.end - n.start)
        return min(containing, key=lambda n: n.end - n.start) if containing else None

    def _chain(self, start: int, end: int) -> list[Node]:
        """The nodes containing ``[start, end)``, outermost first (document order)."""
        chain: list[Node] = []
        siblings = self.roots
        while siblings:
            i = bisect.bisect_right(self.levels[id(siblings)], start) - 1
            if i < 0 or not (siblings[i].start <= start and end <= siblings[i].end):
                break
            chain.append(siblings[i])
            siblings = siblings[i].children
        return chain


@dataclass
class _Scan:
    """What every relation rule reads: the text, the outermost mentions, clause ends."""

    text: str
    outer: list[Mention]
    entities: Mapping[str, Entity]
    starts: list[int] = field(init=False)
    clause_ends: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.starts = [m.start for m in self.outer]
        self.clause_ends = [m.start() for m in _CLAUSE_END.finditer(self.text)]

    def etype(self, m: Mention) -> str:
        return self.entities[m.entity_key].type

    def clause_end(self, pos: int) -> int:
        """Where the clause running at ``pos`` ends (the next clause mark, else the text's end)."""
        i = bisect.bisect_left(self.clause_ends, pos)
        return self.clause_ends[i] if i < len(self.clause_ends) else len(self.text)

    def list_after(self, pos: int, clause_end: int, first_gap: int) -> list[Mention]:
        """The mentions listed from ``pos`` on (X、Y和Z…), up to 等 or the clause end."""
        text, items = self.text, []
        for k in range(bisect.bisect_left(self.starts, pos), len(self.outer)):
            m = self.outer[k]
            if m.start >= clause_end:
                break
            if not items:
                if m.start - pos > first_gap or "等" in text[pos:m.start]:
                    break
            else:
                # X、Y / X“Y” (apposition) / X”舞剧评奖、Y: a separator must sit in between
                if m.start - pos > _MAX_GAP or "等" in text[pos:m.start]:
                    break
                core = text[pos:m.start].strip(_QUOTES)
                if core and not any(sep in core for sep in _SEPARATORS):
                    break
            items.append(m)
            pos = m.end
        return items


#: (predicate, object key, subject document key, start, end, subject is a node)
_Found = tuple[str, str, str, int, int, bool]


def find_relations(doc: Document, mentions: Sequence[Mention],
                   entities: Mapping[str, Entity]) -> list[Relation]:
    """Every typed relation the trigger patterns find in ``doc``, with its evidence span.

    Args:
        doc: the parsed document.
        mentions: its entity mentions, sorted by offset.
        entities: the entities by key (for their types).

    Returns:
        Relations sorted by evidence offset; those whose evidence lies in no structure node
        are left out (except ``issuedBy``, whose subject is a document entity).
    """
    scan = _Scan(doc.text, _outermost(mentions), entities)
    found: list[_Found] = []
    for rule in _RULES:
        found += rule(scan)
    return _resolve(doc, found)


def _outermost(mentions: Sequence[Mention]) -> list[Mention]:
    """Outermost mentions only, so a name inside 《…》 does not break a list."""
    outer: list[Mention] = []
    for m in sorted(mentions, key=lambda m: (m.start, -m.end)):
        if outer and m.start < outer[-1].end:
            continue
        outer.append(m)
    return outer


def _listed(scan: _Scan) -> list[_Found]:
    """依托 X、Y / 办好 X / 推进 X 建设 …: the trigger's predicate to each listed name."""
    found: list[_Found] = []
    for trigger, (predicate, types, first_gap) in _LIST_TRIGGERS.items():
        for t in re.finditer(trigger, scan.text):
            clause_end = scan.clause_end(t.end())
            items = scan.list_after(t.end(), clause_end, first_gap)
            if not items:
                continue
            follow = _LIST_FOLLOW.get(trigger)
            end = items[-1].end
            if follow is not None:
                # the text after the list, up to and with the clause mark
                after = follow.match(scan.text, end, clause_end + 1)
                if after is None:
                    continue
                if trigger == "推进":
                    end = after.end()
            found += [(predicate, m.entity_key, "", t.start(), end, True)
                      for m in items if scan.etype(m) in types]
    return found


def _developed_into(scan: _Scan) -> list[_Found]:
    """将/把 X 打造成…: develops X."""
    text, found = scan.text, []
    for m in scan.outer:
        before = text[max(0, m.start - 1):m.start]
        into = _DEVELOP_INTO.match(text[m.end:m.end + 4])
        if before in ("将", "把") and into and scan.etype(m) in ("Place", "Programme", "Organization"):
            found.append(("develops", m.entity_key, "", m.start - 1, m.end + into.end(), True))
    return found


def _cooperation(scan: _Scan) -> list[_Found]:
    """与 X… 合作: cooperatesWith X."""
    found: list[_Found] = []
    for t in re.finditer("与", scan.text):
        clause_end = scan.clause_end(t.end())
        items = scan.list_after(t.end(), clause_end, 0)
        if not items:
            continue
        coop = _COOPERATE.search(scan.text, items[-1].end, clause_end)
        if coop is None:
            continue
        found += [("cooperatesWith", m.entity_key, "", t.start(), coop.end(), True)
                  for m in items if scan.etype(m) in ("Organization", "Place")]
    return found


def _implementation(scan: _Scan) -> list[_Found]:
    """落实 … 《X》: implements X."""
    text, found = scan.text, []
    for m in scan.outer:
        if scan.etype(m) != "Document":
            continue
        open_bracket = m.start - 1
        window_start = max(0, open_bracket - 20)
        window = text[window_start:open_bracket]
        cut = max((window.rfind(p) for p in "，。；：,;:!?\n"), default=-1)
        window_start += cut + 1
        hits = list(_IMPLEMENT.finditer(text, window_start, open_bracket))
        if hits:
            close = m.end + 1 if text[m.end:m.end + 1] == "》" else m.end
            found.append(("implements", m.entity_key, "", hits[-1].start(), close, True))
    return found


def _issuer(scan: _Scan) -> list[_Found]:
    """X 印发的《Y》: Y issuedBy X."""
    text, outer, found = scan.text, scan.outer, []
    for i, m in enumerate(outer):
        if scan.etype(m) != "Document" or i == 0:
            continue
        org = outer[i - 1]
        if scan.etype(org) == "Organization" and _ISSUE.match(text[org.end:m.start]):
            close = m.end + 1 if text[m.end:m.end + 1] == "》" else m.end
            found.append(("issuedBy", org.entity_key, m.entity_key, org.start, close, False))
    return found


#: The relation rules, in the order their findings are kept when two coincide.
_RULES = (_listed, _developed_into, _cooperation, _implementation, _issuer)


def _resolve(doc: Document, found: list[_Found]) -> list[Relation]:
    """Relations from the rules' findings: subjects resolved to nodes, duplicates dropped."""
    if not found:
        return []
    subject_of = _SubjectFinder(doc)
    relations = []
    seen = set()
    for predicate, obj, subj, start, end, on_node in found:
        if on_node:
            node = subject_of(start, end)
            subj = node.id if node is not None else None  # None: the document itself
        key = (subj, predicate, obj, start, end)
        if key in seen:
            continue
        seen.add(key)
        relations.append(Relation(subject=subj, predicate=predicate, object=obj, start=start,
                                  end=end, exact=doc.text[start:end], subject_is_node=on_node))
    relations.sort(key=lambda r: (r.start, r.end, r.predicate, r.object, r.subject or ""))
    return relations
