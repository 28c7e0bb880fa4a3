"""Pages of a layout file carried over to the clean text the pipeline made of it."""
from __future__ import annotations

import dataclasses
import re

from ..records import Box, Document, Page
from .model import LaidOutText

_WS = re.compile(r"\s+")
_PROBE = 16
_SLACK = 400  # characters a dropped header or chrome line may leave between two kept lines


def _stripped(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace, and the offset in ``text`` of each remaining character."""
    keep = [i for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(text[i] for i in keep), keep


def map_pages(laid: LaidOutText, clean: str) -> tuple[Page, ...]:
    """Where each page of ``laid`` begins in ``clean``, the text cleaning made of ``laid.text``.

    Cleaning changes whitespace and drops header and chrome lines, so each
    page's opening characters (whitespace ignored) are looked up in order;
    when a page's first line was dropped the next ones are tried. The first
    page with text starts at 0 and the last one ends at the end of the text.
    """
    target, where = _stripped(clean)
    starts: list[int | None] = []
    cursor = 0
    for span in laid.pages:
        found = None
        if span.end > span.start:
            own, _ = _stripped(laid.text[span.start:span.end])
            for skip in range(0, max(1, len(own) - 4), 8):
                probe = own[skip:skip + _PROBE]
                at = target.find(probe, cursor)
                if at >= 0:
                    found = max(cursor, at - skip)
                    break
        if found is not None:
            cursor = found
        starts.append(found)
    offsets = [where[s] if s is not None and s < len(where) else (len(clean) if s is not None else None)
               for s in starts]
    first_text = next((i for i, s in enumerate(offsets) if s is not None), None)
    if first_text is not None:
        offsets[first_text] = 0
    pages = []
    for i, span in enumerate(laid.pages):
        start = offsets[i]
        later = [s for s in offsets[i + 1:] if s is not None]
        end = later[0] if later else len(clean)
        if start is None:
            start = end
        pages.append(Page(number=span.number, start=start, end=max(start, end), method=span.method,
                          confidence=span.confidence))
    return tuple(pages)


def map_lines(laid: LaidOutText, clean: str) -> tuple[Box, ...]:
    """The printed lines of ``laid`` as spans of ``clean``, the text cleaning made of ``laid.text``.

    Each line's characters (whitespace ignored) are looked up in order, a
    little way past the previous line at most; a line cleaning dropped is not found and has no box.
    """
    target, where = _stripped(clean)
    out = []
    cursor = 0
    for line in laid.boxes:
        own, _ = _stripped(laid.text[line.start:line.end])
        if not own:
            continue
        at = target.find(own, cursor, cursor + len(own) + _SLACK)
        if at < 0:
            continue
        out.append(Box(where[at], where[at + len(own) - 1] + 1, line.page, line.x0, line.y0, line.x1, line.y1))
        cursor = at + len(own)
    return tuple(out)


def attach_layout(doc: Document, laid: LaidOutText) -> Document:
    """``doc`` (parsed from ``laid.text``) with its pages, format and the layout's metadata hints.

    A red header's 发文字号 and issuer, and a Title style's title, fill the
    metadata fields the text itself left empty.
    """
    meta = doc.metadata
    updates = {}
    for field in ("doc_number", "issuer", "title"):
        if getattr(meta, field) is None and laid.hints.get(field):
            updates[field] = laid.hints[field]
    if updates:
        meta = dataclasses.replace(meta, **updates)
    hints = tuple(sorted((k, v) for k, v in laid.hints.items() if k not in ("doc_number", "issuer", "title")))
    lines = map_lines(laid, doc.text) if laid.boxes else ()
    return dataclasses.replace(doc, metadata=meta, pages=map_pages(laid, doc.text),
                               source_format=laid.format or None, layout_hints=hints,
                               lines=lines, box_units=(laid.box_units or None) if lines else None)
