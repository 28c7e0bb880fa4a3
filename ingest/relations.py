"""Typed relations found by trigger patterns around entity mentions (依托… / 办好… / 与…合作 …)."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

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
    containing = [n for n in doc.nodes() if n.start <= start and end <= n.end]
    for kind in SUBJECT_KINDS:
        found = [n for n in containing if n.kind == kind]
        if found:
            return min(found, key=lambda n: n.end - n.start)
    return min(containing, key=lambda n: n.end - n.start) if containing else None


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
    text = doc.text
    # outermost mentions only, so a name inside 《…》 does not break a list
    outer: list[Mention] = []
    for m in sorted(mentions, key=lambda m: (m.start, -m.end)):
        if outer and m.start < outer[-1].end:
            continue
        outer.append(m)
    found: list[tuple[str, str, str, int, int, bool]] = []

    def etype(m: Mention) -> str:
        return entities[m.entity_key].type

    # list triggers
    for trigger, (predicate, types, first_gap) in _LIST_TRIGGERS.items():
        for t in re.finditer(trigger, text):
            clause = _CLAUSE_END.search(text, t.end())
            clause_end = clause.start() if clause else len(text)
            items = _list_after(text, outer, t.end(), clause_end, first_gap)
            if not items:
                continue
            follow = _LIST_FOLLOW.get(trigger)
            tail = text[items[-1].end:clause_end + 1]
            if follow is not None and not follow.match(tail):
                continue
            end = items[-1].end
            if trigger == "推进":
                end += follow.match(tail).end()
            for m in items:
                if etype(m) in types:
                    found.append((predicate, m.entity_key, "", t.start(), end, True))
    # 将/把 X 打造成… : develops X
    for m in outer:
        before = text[max(0, m.start - 1):m.start]
        if before in ("将", "把") and _DEVELOP_INTO.match(text[m.end:m.end + 4]) \
                and etype(m) in ("Place", "Programme", "Organization"):
            end = m.end + _DEVELOP_INTO.match(text[m.end:m.end + 4]).end()
            found.append(("develops", m.entity_key, "", m.start - 1, end, True))
    # 与 X… 合作
    for t in re.finditer("与", text):
        clause = _CLAUSE_END.search(text, t.end())
        clause_end = clause.start() if clause else len(text)
        items = _list_after(text, outer, t.end(), clause_end, 0)
        if not items:
            continue
        coop = _COOPERATE.search(text, items[-1].end, clause_end)
        if coop is None:
            continue
        for m in items:
            if etype(m) in ("Organization", "Place"):
                found.append(("cooperatesWith", m.entity_key, "", t.start(), coop.end(), True))
    # 落实 … 《X》
    documents = [m for m in outer if etype(m) == "Document"]
    for m in documents:
        open_bracket = m.start - 1
        window_start = max(0, open_bracket - 20)
        window = text[window_start:open_bracket]
        cut = max((window.rfind(p) for p in "，。；：,;:!?\n"), default=-1)
        window_start += cut + 1
        hits = list(_IMPLEMENT.finditer(text, window_start, open_bracket))
        if hits:
            close = m.end + 1 if text[m.end:m.end + 1] == "》" else m.end
            found.append(("implements", m.entity_key, "", hits[-1].start(), close, True))
    # X 印发的《Y》: Y issuedBy X
    for i, m in enumerate(outer):
        if etype(m) != "Document" or i == 0:
            continue
        org = outer[i - 1]
        if etype(org) != "Organization":
            continue
        if _ISSUE.match(text[org.end:m.start]):
            close = m.end + 1 if text[m.end:m.end + 1] == "》" else m.end
            found.append(("issuedBy", org.entity_key, m.entity_key, org.start, close, False))

    relations = []
    seen = set()
    for predicate, obj, subj, start, end, on_node in found:
        if on_node:
            node = subject_node(doc, start, end)
            subj = node.id if node is not None else None  # None: the document itself
        key = (subj, predicate, obj, start, end)
        if key in seen:
            continue
        seen.add(key)
        relations.append(Relation(subject=subj, predicate=predicate, object=obj, start=start,
                                  end=end, exact=text[start:end], subject_is_node=on_node))
    relations.sort(key=lambda r: (r.start, r.end, r.predicate, r.object, r.subject or ""))
    return relations


def _list_after(text: str, mentions: Sequence[Mention], pos: int, clause_end: int,
                first_gap: int) -> list[Mention]:
    """The mentions listed from ``pos`` on (X、Y和Z…), up to 等 or the clause end."""
    items: list[Mention] = []
    for m in mentions:
        if m.start < pos:
            continue
        if m.start >= clause_end:
            break
        gap = text[pos:m.start]
        core = gap.strip(_QUOTES)
        if not items:
            if len(gap) > first_gap or "等" in gap:
                break
        else:
            # X、Y / X“Y” (apposition) / X”舞剧评奖、Y: a separator must sit in between
            if "等" in gap or len(gap) > _MAX_GAP:
                break
            if core and not any(sep in core for sep in _SEPARATORS):
                break
        items.append(m)
        pos = m.end
    return items
