"""Safe highlighting: escape every text segment, insert markup only at given offsets."""
from __future__ import annotations

from typing import Callable, Iterable

from markupsafe import Markup, escape


def mark_spans(text: str, spans: Iterable[tuple[int, int]]) -> Markup:
    """``text`` escaped, with each ``[start, end)`` span wrapped in ``<mark>``.

    Overlapping or out-of-range spans are clipped; the text itself never
    becomes markup.

    >>> str(mark_spans("a<b>c", [(1, 4)]))
    'a<mark>&lt;b&gt;</mark>c'
    """
    return link_spans(text, [(s, e, None) for s, e in spans], lambda href: "")


def link_spans(text: str, spans: Iterable[tuple[int, int, str | None]],
               title_of: Callable[[str], str] | None = None) -> Markup:
    """``text`` escaped, each span ``(start, end, href)`` as ``<a href><mark>…</mark></a>``.

    A span whose ``href`` is ``None`` is only marked. Spans are applied in
    order of their start; a span overlapping an earlier one is skipped.
    """
    out: list[str] = []
    pos = 0
    for start, end, href in sorted(spans, key=lambda s: (s[0], -s[1])):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(str(escape(text[pos:start])))
        inner = f"<mark>{escape(text[start:end])}</mark>"
        if href:
            title = title_of(href) if title_of else ""
            title_attr = f' title="{escape(title)}"' if title else ""
            inner = f'<a href="{escape(href)}"{title_attr}>{inner}</a>'
        out.append(inner)
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Every occurrence of each non-empty term in ``text``, as spans.

    >>> term_spans("航空服务航空", ["航空"])
    [(0, 2), (4, 6)]
    """
    spans = []
    for term in {t for t in terms if t and t.strip()}:
        start = text.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = text.find(term, start + len(term))
    return sorted(spans)
