"""A readable outline of a parsed document, for terminals and reviews."""
from __future__ import annotations

from .records import Document, Node
from .structure import match_heading

_META_LABELS = (
    ("title", "标题 title"),
    ("date", "日期 date"),
    ("written_date", "成文日期 written"),
    ("issuer", "发文机关 issuer"),
    ("doc_number", "发文字号 number"),
    ("subject", "主题分类 subject"),
    ("source", "来源 source"),
    ("original_source", "原始来源 original source"),
    ("status", "状态 status"),
)
_LABEL = {
    "part": "{}、",
    "chapter": "第{}章",
    "section": "（{}）",
    "task": "{}.",
    "article": "第{}条",
    "item": "({})",
}
_UNNUMBERED = {"principle": "[原则]", "goal": "[目标]", "item": "[项]", "paragraph": "¶"}


def _marker(node: Node) -> tuple[str, int]:
    """The numbering as written at the start of the node, and where its text begins."""
    if node.number is None:
        return _UNNUMBERED.get(node.kind, node.kind), 0
    heading = match_heading(node.text.split("\n", 1)[0])
    if heading is not None:
        return node.text[: heading[3]].strip(), heading[3]
    return _LABEL.get(node.kind, "{}").format(node.number), 0


def _summary(node: Node, skip: int, width: int = 40) -> str:
    if node.title:
        return node.title
    text = " ".join(node.text[skip:].split("\n", 1)[0].split())
    return text[:width] + ("…" if len(text) > width else "")


def format_outline(doc: Document, *, paragraphs: bool = False) -> str:
    """Metadata on top, then the numbered structure indented by depth.

    Args:
        doc: a parsed document.
        paragraphs: also list plain paragraphs (hidden by default).

    Returns:
        The outline as text, one line per node.
    """
    lines = []
    width = max(len(label) for _, label in _META_LABELS)
    for name, label in _META_LABELS:
        value = getattr(doc.metadata, name)
        if value:
            lines.append(f"{label.ljust(width)}  {value}")
    if doc.metadata.keywords:
        lines.append(f"{'关键字 keywords'.ljust(width)}  {'、'.join(doc.metadata.keywords)}")
    counts: dict[str, int] = {}
    for node in doc.nodes():
        counts[node.kind] = counts.get(node.kind, 0) + 1
    summary = ", ".join(f"{kind} {count}" for kind, count in counts.items())
    lines.append(f"{'结构 structure'.ljust(width)}  {summary or 'none'}; {len(doc.sentences)} sentences, "
                 f"{len(doc.text)} characters")
    lines.append("")

    def walk(node: Node, depth: int) -> None:
        if node.kind == "paragraph" and not paragraphs:
            shown = [c for c in node.children if c.kind != "paragraph"]
            for child in shown:
                walk(child, depth)
            return
        marker, skip = _marker(node)
        lines.append(f"{'  ' * depth}{marker} {_summary(node, skip)}")
        for child in node.children:
            walk(child, depth + 1)

    for node in doc.structure:
        walk(node, 0)
    return "\n".join(lines).rstrip() + "\n"
