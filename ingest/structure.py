"""The numbered structure of a document: parts, chapters, sections, tasks, articles …

Every non-blank line of the clean text is either a heading (it starts with a
numbering such as ``一、``, ``（一）``, ``1.``, ``第三条``) or a paragraph. Heading
styles nest in the order the document introduces them (a stack, as an outline
editor does), so ``一、 → （一） → 1.`` in a policy and ``第一章 → 第一条 → （一）``
in a law both come out right. A numbering that breaks its sequence (``一、``
again in the middle of part 三) is read as a paragraph, not a new heading.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .annexes import build_annex, find_annexes
from .metadata import cn_number
from .records import Node

_CN = "一二三四五六七八九十百零〇"
_STYLES = (
    # (style, kind, pattern); group "n" is the number, the heading text follows the match.
    ("bian", "part", re.compile(rf"^第(?P<n>[{_CN}\d]{{1,5}})编(?=[\s\u3000]|$)")),
    ("chapter", "chapter", re.compile(rf"^第(?P<n>[{_CN}\d]{{1,5}})章(?=[\s\u3000]|$)")),
    ("jie", "section", re.compile(rf"^第(?P<n>[{_CN}\d]{{1,5}})节(?=[\s\u3000]|$)")),
    ("article", "article", re.compile(rf"^第(?P<n>[{_CN}\d]{{1,6}})条(?=[\s\u3000【]|$)")),
    ("cn-dun", "part", re.compile(rf"^(?P<n>[{_CN[:-2]}]{{1,3}})\s*(?:[、．]|\.(?!\d))")),
    ("cn-bare", "part", re.compile(rf"^(?P<n>[{_CN[:-2]}]{{1,3}})$")),
    ("cn-paren", "section", re.compile(rf"^[（(]\s*(?P<n>[{_CN[:-2]}]{{1,3}})\s*[)）]")),
    ("num-dot", "task", re.compile(r"^(?P<n>\d{1,2})\s*(?:[、．]|\.(?![\d.]))")),
    ("num-paren", "item", re.compile(r"^[（(]\s*(?P<n>\d{1,2})\s*[)）]")),
    ("num-half", "item", re.compile(r"^(?P<n>\d{1,2})[)）]")),
    ("circled", "item", re.compile(r"^(?P<n>[①-⑳])")),
    ("cn-shi", "item", re.compile(r"^(?P<n>[一二三四五六七八九十]{1,2})是(?=[^\s，。、；：,.;:])")),
)
_SEQUENCED = {"cn-dun", "cn-bare", "cn-paren", "num-dot", "num-paren", "num-half", "circled", "cn-shi"}
_LEAF_PARENTS = {"article", "task", "item", "principle", "goal", "paragraph"}
_CLAUSE_END = re.compile(r"[。！？；!?;]")
_INLINE_MARKER = re.compile(r"(?:^|(?<=[，。；：、,;:\s（(]))(?P<n>[一二三四五六七八九十]{1,2})是(?=[^\s，。、；：,.;:])")
_BRACKET_TITLE = re.compile(r"^[\s\u3000]*[【\[]([^】\]]{1,30})[】\]]")
_MAX_TITLE = 60


@dataclass
class _Draft:
    kind: str
    style: str | None
    number: str | None
    title: str | None
    start: int
    end: int
    value: int | None = None
    children: list["_Draft"] = field(default_factory=list)


def _number_value(number: str) -> int | None:
    if number and "①" <= number <= "⑳":
        return ord(number) - ord("①") + 1
    return cn_number(number)


def heading_clause(rest: str) -> str | None:
    """The heading clause of a line's text after its number.

    The clause before the first 。 when more text follows it, else the whole
    text without closing punctuation; ``None`` when empty or too long to be a
    heading.

    >>> heading_clause("打造贸易功能新优势。主动服务国家贸易强国战略。")
    '打造贸易功能新优势'
    >>> heading_clause("加快推动高质量发展")
    '加快推动高质量发展'
    """
    rest = rest.strip(" \t\u3000:：、.．")
    m = _CLAUSE_END.search(rest)
    if m and rest[m.end():].strip():
        title = rest[: m.start()]
    else:
        title = rest.rstrip("。！？；!?;：:，,")
    title = title.strip()
    if not title or len(title) > _MAX_TITLE:
        return None
    return title


def match_heading(line: str):
    """``(style, kind, number, end_of_marker)`` when ``line`` opens with a numbering, else ``None``."""
    for style, kind, pattern in _STYLES:
        m = pattern.match(line)
        if m:
            return style, kind, m.group("n"), m.end()
    return None


def _lines(text: str, start: int, end: int | None = None):
    for m in re.finditer(r"[^\n]+", text[start:end]):
        raw = m.group(0)
        stripped = raw.strip()
        if not stripped:
            continue
        offset = start + m.start() + (len(raw) - len(raw.lstrip()))
        yield offset, offset + len(stripped), stripped


def _inline_items(line: str, offset: int) -> list[_Draft]:
    """一是…二是…三是… inside one paragraph, as items."""
    markers = []
    expected = 1
    for m in _INLINE_MARKER.finditer(line):
        if cn_number(m.group("n")) == expected:
            markers.append(m)
            expected += 1
    if len(markers) < 2:
        return []
    items = []
    for i, m in enumerate(markers):
        start = m.start()
        if i + 1 < len(markers):
            end = markers[i + 1].start()
        else:
            stop = _CLAUSE_END.search(line, m.end())
            end = stop.end() if stop else len(line)
        segment = line[start:end].rstrip(" \t\u3000，,、；;：:")
        end = start + len(segment)
        body = line[m.end():end]
        items.append(_Draft("item", None, m.group("n"), heading_clause(body), offset + start, offset + end))
    return items


def _paragraph_kind(parent: _Draft | None, line: str) -> tuple[str, str | None]:
    """A paragraph under 基本原则 opening with 坚持 is a principle; under 目标, a goal
    when it opens with a short heading clause; otherwise a plain paragraph."""
    heading = (parent.title or "") if parent else ""
    m = _CLAUSE_END.search(line)
    if "原则" in heading and line.startswith("坚持"):
        return "principle", heading_clause(line)
    if "目标" in heading and m and m.group(0) == "。" and line[m.end():].strip():
        clause = line[: m.start()]
        if 2 <= len(clause) <= 20 and not re.search(r"[，,、：:；;（(《“]", clause):
            return "goal", clause
    return "paragraph", None


def _accepted(style: str, value: int | None, rest: str, line: str, stack: list[_Draft],
              last_value: dict[str, int]) -> bool:
    """Whether a numbered line is a heading: its number continues its style's sequence."""
    accepted = True
    styles_on_stack = [d.style for d in stack]
    if style in _SEQUENCED:
        if style in styles_on_stack:
            sibling = stack[styles_on_stack.index(style)]
            accepted = value == (sibling.value or 0) + 1
        else:
            accepted = value == 1 or (value is not None and value == last_value.get(style, -1) + 1)
    if style == "cn-dun" and ((heading_clause(rest) is None and rest.strip()) or line.endswith(("。", "；", ";"))):
        # "四、在私营工厂做工的工人，……" is a list entry inside a paragraph run,
        # not a part: a part's heading line is short.
        accepted = False
    return accepted


def build_structure(text: str, *, body_start: int = 0, body_end: int | None = None) -> tuple[Node, ...]:
    """The structure tree of a clean text.

    Args:
        text: the clean text.
        body_start: offset where the body begins (after the title line); text
            before the first heading is a preamble that belongs to no node.
        body_end: where the body ends (structuring one annex); by default the body
            ends at the first annex (附件), and each annex follows as a node of its own.

    Returns:
        The top-level nodes; offsets are code-point offsets into ``text``.
    """
    roots: list[_Draft] = []
    stack: list[_Draft] = []
    last_value: dict[str, int] = {}

    # Annexes (附件) are nodes of their own, after the body: none of their lines is a body heading.
    annexes = find_annexes(text, body_start) if body_end is None else []
    if annexes:
        body_end = annexes[0][0]
    for start, end, line in _lines(text, body_start, body_end):
        heading = match_heading(line)
        if heading is not None:
            style, kind, number, after = heading
            value = _number_value(number)
            styles_on_stack = [d.style for d in stack]
            if not _accepted(style, value, line[after:], line, stack, last_value):
                heading = None
        if heading is not None:
            if style in styles_on_stack:
                del stack[styles_on_stack.index(style):]
            parent = stack[-1] if stack else None
            if parent is not None and parent.kind in _LEAF_PARENTS and kind in ("part", "section", "task"):
                kind = "item"
            rest = line[after:]
            if style == "article":
                m = _BRACKET_TITLE.match(rest)
                title = m.group(1).strip() if m else None
            else:
                title = heading_clause(rest)
            draft = _Draft(kind, style, number, title, start, end, value)
            draft.children.extend(_inline_items(line, start) if style != "cn-shi" else [])
            (parent.children if parent else roots).append(draft)
            stack.append(draft)
            if value is not None:
                last_value[style] = value
            continue
        if not stack:
            continue  # preamble
        parent = stack[-1]
        kind, title = _paragraph_kind(parent, line)
        draft = _Draft(kind, None, None, title, start, end)
        draft.children.extend(_inline_items(line, start))
        parent.children.append(draft)

    annex_nodes = tuple(build_annex(text, a_start, a_end, number, build_structure) for a_start, a_end, number in annexes)
    return _freeze_all(roots, "", text) + annex_nodes


def _id_number(number: str | None) -> int | None:
    """The value of a written number for an id, or None (circled and other forms too).

    >>> _id_number("十二"), _id_number("5"), _id_number(None)
    (12, 5, None)
    """
    return cn_number(number) if number else None


def _extent(draft: _Draft) -> int:
    end = draft.end
    for child in draft.children:
        end = max(end, _extent(child))
    return end


def _freeze_all(drafts: list[_Draft], prefix: str, text: str) -> tuple[Node, ...]:
    # Siblings of one kind are named by their numbers as written (task 5 →
    # "task-5") when every one has a number and no number repeats; otherwise
    # (paragraphs, broken numbering) all of that kind by position, so ids never clash.
    ordered = sorted(drafts, key=lambda d: d.start)
    numbers: dict[str, list[int | None]] = {}
    for draft in ordered:
        numbers.setdefault(draft.kind, []).append(_id_number(draft.number))
    by_number = {kind: None not in values and len(set(values)) == len(values)
                 for kind, values in numbers.items()}
    counters: dict[str, int] = {}
    nodes = []
    for draft in ordered:
        counters[draft.kind] = counters.get(draft.kind, 0) + 1
        value = _id_number(draft.number) if by_number[draft.kind] else counters[draft.kind]
        node_id = f"{prefix}{draft.kind}-{value}"
        end = _extent(draft)
        nodes.append(
            Node(
                id=node_id,
                kind=draft.kind,
                number=draft.number,
                title=draft.title,
                text=text[draft.start:end],
                start=draft.start,
                end=end,
                children=_freeze_all(draft.children, node_id + "/", text),
            )
        )
    return tuple(nodes)
