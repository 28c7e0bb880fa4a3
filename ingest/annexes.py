"""Annexes (附件) of a document, and the tables inside them.

An annex is its own structure node (kind ``annex``, id ``annex-N``): nothing in it is
a part or section of the body. A table in an annex, as scraped pages give it (one
cell per line: a header run such as 序号 / 任务名称 / 牵头单位 / 配合单位 / 时间节点,
then rows opened by their sequence number), becomes ``row`` nodes (``annex-1/row-3``)
whose ``cell`` children carry the column header as title and exact offsets.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from .metadata import cn_number
from .records import Node

_ANNEX_BARE = re.compile(r"^附\s*件\s*(?P<n>[0-9０-９一二三四五六七八九十]{0,3})\s*[:：]?$")
_ANNEX_TITLED = re.compile(r"^附\s*件\s*(?P<n>[0-9０-９一二三四五六七八九十]{0,3})\s*[:：]\s*(?P<t>\S.*)$")
_LIST_ENTRY = re.compile(r"^\d{1,2}\s*[.．、]")
_BODY_HEADING = re.compile(r"(?:^|\n)\s*(?:[一二三四五六七八九十]{1,3}\s*、|第[一二三四五六七八九十百\d]{1,5}[章条])")

#: Header words of table columns; a run of short lines with three of them is a table header.
HEADER_WORDS = (
    "序号", "编号", "任务名称", "任务内容", "工作任务", "重点任务", "主要任务", "任务", "重点内容", "主要内容",
    "工作内容", "具体内容", "具体措施", "任务类型", "类别", "项目", "项目名称", "目标任务", "牵头单位",
    "牵头部门", "责任单位", "责任部门", "配合单位", "配合部门", "协办单位", "推进单位", "完成时限", "完成时间",
    "时间节点", "时间安排", "进度安排", "备注", "参考文件", "街镇、园区", "指标",
)
_HEADER_SET = set(HEADER_WORDS)


def _lines(text: str, start: int, end: int):
    for m in re.finditer(r"[^\n]+", text[start:end]):
        raw = m.group(0)
        stripped = raw.strip()
        if stripped:
            offset = start + m.start() + (len(raw) - len(raw.lstrip()))
            yield offset, offset + len(stripped), stripped


def _number(written: str, fallback: int) -> int:
    written = written.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    value = cn_number(written) if written else None
    return value if value else fallback


def find_annexes(text: str, body_start: int = 0) -> list[tuple[int, int, int]]:
    """``(start, end, number)`` of each annex: from its 附件 line to the next one or the end.

    A bare ``附件`` / ``附件2`` line opens an annex; ``附件：title`` does so only when a
    table header follows (otherwise it lists the attachments). Only lines after the
    body's first heading count, so a page that opens with 附件 keeps its body.
    """
    lines = list(_lines(text, body_start, len(text)))
    starts: list[tuple[int, int]] = []
    for i, (start, _end, line) in enumerate(lines):
        bare = _ANNEX_BARE.match(line)
        titled = None if bare else _ANNEX_TITLED.match(line)
        if not bare and not (titled and not _LIST_ENTRY.match(titled.group("t"))
                             and any(line2 in _HEADER_SET for _, _, line2 in lines[i + 1:i + 3])):
            continue
        if not _BODY_HEADING.search(text, body_start, start):
            continue
        number = _number((bare or titled).group("n"), len(starts) + 1)
        if starts and number <= starts[-1][1]:
            number = starts[-1][1] + 1
        starts.append((start, number))
    out = []
    for k, (start, number) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(text.rstrip())
        while end > start and text[end - 1] in " \n\t\u3000":
            end -= 1
        out.append((start, end, number))
    return out


def _prefixed(node: Node, prefix: str) -> Node:
    return replace(node, id=prefix + node.id, children=tuple(_prefixed(c, prefix) for c in node.children))


def _reprefixed(node: Node, old: str, new: str) -> Node:
    return replace(node, id=new + node.id[len(old):],
                   children=tuple(_reprefixed(c, old, new) for c in node.children))


def _table_header(lines, i: int) -> int:
    """Length of the header run starting at line ``i`` (0 when there is none)."""
    k = i
    while k < len(lines) and lines[k][2] in _HEADER_SET:
        k += 1
    return k - i if k - i >= 3 else 0


def _table_rows(text: str, lines, first: int, headers: list[str], prefix: str) -> tuple[list[Node], int]:
    """Rows opened by 1, 2, 3 … after the header; returns the rows and the index of the next line."""
    rows: list[list[tuple[int, int, str]]] = []
    k = first
    expected = 1
    while k < len(lines):
        start, end, line = lines[k]
        if line == str(expected):
            rows.append([lines[k]])
            expected += 1
        elif rows and [row[2] for row in lines[k:k + len(headers)]] == headers:
            k += len(headers)  # a table continued on the next page repeats its header
            continue
        elif rows and not (_ANNEX_BARE.match(line) or line in _HEADER_SET):
            last = rows[-1][-1]
            if len(rows[-1]) > 1 and (last[2].endswith(("、", "，")) or last[2] in ("、",)):
                rows[-1][-1] = (last[0], end, text[last[0]:end])  # a cell broken after 、 continues
            else:
                rows[-1].append(lines[k])
        elif rows:
            break
        k += 1
    nodes = []
    seq_col = headers[0] in ("序号", "编号")
    for r in rows:
        cells = r[1:] if seq_col else r
        row_id = f"{prefix}row-{r[0][2]}"
        names = _assign_columns([c[2] for c in cells], headers[1:] if seq_col else headers)
        children = tuple(
            Node(id=f"{row_id}/cell-{j + 1}", kind="cell", number=str(j + 1), title=names[j],
                 text=text[c[0]:c[1]], start=c[0], end=c[1])
            for j, c in enumerate(cells)
        )
        start, end = r[0][0], r[-1][1]
        nodes.append(Node(id=row_id, kind="row", number=r[0][2], title=None, text=text[start:end],
                          start=start, end=end, children=children))
    return nodes, k


_UNIT_PIECE = re.compile(
    r"^(?:各|区|市|县|镇|省|国家|全国|中共|街道|有关|相关).{0,30}$"
    r"|^.{1,30}(?:局|委|办|办公室|中心|部|厅|署|院|会|政府|园区[)）]?|街镇|单位|公司|集团|处|所|站|队|社|机构|机关|协会|联合会|妇联|团区委|法院|检察院)"
    r"(?:[(（][^)）]{1,30}[)）])?(?:等(?:相关)?部门)?$"
)
_TIME_CELL = re.compile(r"^(?:\d{4}\s*年(?:\s*\d{1,2}\s*月)?(?:底|末|上半年|下半年)?(?:前|以前|之前)?(?:完成)?|长期|持续(?:推进)?|每年|年底前|[一二三四]季度)"
                        r"(?:[、，,至\-—~～]\s*\d{4}\s*年(?:\s*\d{1,2}\s*月)?(?:底)?前?)*$")


def is_unit_list(cell: str) -> bool:
    """Whether a table cell is a list of responsible units (区绿化市容局、区商务委 …)."""
    pieces = [p.strip() for p in re.split(r"[、，,；;\n]", cell) if p.strip()]
    return bool(pieces) and len(cell) <= 160 and all(_UNIT_PIECE.match(p) for p in pieces)


def _assign_columns(cells: list[str], headers: list[str]) -> list[str | None]:
    """The header each cell falls under, for rows whose merged or broken cells make counts differ."""
    unit_cols = [h for h in headers if re.search(r"单位|部门", h)]
    time_cols = [h for h in headers if re.search(r"时限|时间|节点|进度", h)]
    if len(cells) == len(headers) and all(
            (h in unit_cols) == is_unit_list(c) and (h not in time_cols or _TIME_CELL.match(c))
            for c, h in zip(cells, headers)):
        return list(headers)
    text_cols = [h for h in headers if h not in unit_cols and h not in time_cols]
    names: list[str | None] = [None] * len(cells)
    unit_idx = [j for j, c in enumerate(cells) if is_unit_list(c)]
    for j in range(len(cells)):
        if time_cols and _TIME_CELL.match(cells[j]):
            names[j] = time_cols[0]
    unit_idx = [j for j in unit_idx if names[j] is None]
    for n, j in enumerate(unit_idx):
        if unit_cols:
            names[j] = unit_cols[min(n, len(unit_cols) - 1)]
    rest = [j for j in range(len(cells)) if names[j] is None]
    # Merged leading cells (a group's 任务名称 only on its first row) drop from the left.
    for j, h in zip(reversed(rest), reversed(text_cols)):
        names[j] = h
    return names


def build_annex(text: str, start: int, end: int, number: int,
                build: Callable[..., tuple[Node, ...]]) -> Node:
    """The annex node for ``text[start:end]``; its tables as rows, other text structured by ``build``."""
    prefix = f"annex-{number}/"
    lines = list(_lines(text, start, end))
    first_line = lines[0][2] if lines else ""
    titled = _ANNEX_TITLED.match(first_line)
    title = titled.group("t").strip() if titled else None
    body_from = 1
    if title is None and len(lines) > 1 and len(lines[1][2]) <= 60 and lines[1][2] not in _HEADER_SET:
        title = lines[1][2]
        body_from = 2
    children: list[Node] = []
    k = body_from
    while k < len(lines):
        n_head = _table_header(lines, k)
        if n_head:
            headers = [line for _, _, line in lines[k:k + n_head]]
            rows, k = _table_rows(text, lines, k + n_head, headers, prefix)
            children.extend(rows)
            continue
        k += 1
    if not children and body_from < len(lines):
        children = [_prefixed(n, prefix) for n in build(text, body_start=lines[body_from][0], body_end=end)]
    elif children:
        # A document with several tables in one annex would repeat row numbers: keep ids unique.
        seen: dict[str, int] = {}
        unique = []
        for node in children:
            count = seen.get(node.id, 0)
            seen[node.id] = count + 1
            unique.append(node if count == 0 else _reprefixed(node, prefix, f"{prefix}table-{count + 1}/"))
        children = unique
    return Node(id=f"annex-{number}", kind="annex", number=str(number), title=title,
                text=text[start:end], start=start, end=end, children=tuple(children))
