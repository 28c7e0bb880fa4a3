"""Safe highlighting: escape every text segment, insert markup only at given offsets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Span:
    """A marked span ``[start, end)`` of a text: a link target, a CSS class and a tooltip."""

    start: int
    end: int
    href: str | None = None
    css: str = ""
    title: str = ""


def mark_spans(text: str, spans: Iterable[tuple[int, int]]) -> Markup:
    """``text`` escaped, with each ``[start, end)`` span wrapped in ``<mark>``.

    Overlapping or out-of-range spans are clipped; the text itself never
    becomes markup.

    >>> str(mark_spans("a<b>c", [(1, 4)]))
    'a<mark>&lt;b&gt;</mark>c'
    """
    return Markup(_marked(text, [Span(s, e) for s, e in spans]))


def link_spans(text: str, spans: Iterable[tuple[int, int, str | None]],
               title_of: Callable[[str], str] | None = None) -> Markup:
    """``text`` escaped, each span ``(start, end, href)`` as ``<a href><mark>…</mark></a>``.

    A span whose ``href`` is ``None`` is only marked. Spans are applied in
    order of their start; a span overlapping an earlier one is skipped.
    """
    return Markup(_marked(text, [Span(s, e, h, title=(title_of(h) if title_of and h else ""))
                                 for s, e, h in spans]))


def _marked(text: str, spans: Sequence[Span], shift: int = 0) -> str:
    """Escaped ``text`` with the spans (offsets minus ``shift``) marked; overlaps skipped."""
    out: list[str] = []
    pos = 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        start, end = max(span.start - shift, pos), min(span.end - shift, len(text))
        if start >= end:
            continue
        out.append(str(escape(text[pos:start])))
        css = f' class="{escape(span.css)}"' if span.css else ""
        inner = f"<mark{css}>{escape(text[start:end])}</mark>"
        if span.href:
            title = f' title="{escape(span.title)}"' if span.title else ""
            inner = f'<a href="{escape(span.href)}"{title}>{inner}</a>'
        out.append(inner)
        pos = end
    out.append(str(escape(text[pos:])))
    return "".join(out)


def annotate(text: str, *, offset: int = 0, sentences: Iterable[tuple[int, int]] = (),
             spans: Iterable[Span] = ()) -> Markup:
    """A passage of a document's text as safe HTML: each sentence a ``<span id="s-START-END">``
    (the anchor evidence links point at), each span marked (and linked) inside its sentence.

    ``offset`` is the position of ``text`` in the document; sentence and span
    offsets are the document's. A span crossing a sentence boundary is left out.

    >>> str(annotate("ab。cd。", offset=10, sentences=[(10, 13), (13, 16)], spans=[Span(13, 14, "/e")]))
    '<span class="sent" id="s-10-13" data-start="10" data-end="13">ab。</span><span class="sent" id="s-13-16" data-start="13" data-end="16"><a href="/e"><mark>c</mark></a>d。</span>'
    """
    end_of_text = offset + len(text)
    cuts = sorted((max(s, offset), min(e, end_of_text)) for s, e in sentences
                  if e > offset and s < end_of_text and e > s)
    pieces: list[tuple[int, int, bool]] = []
    pos = offset
    for start, end in cuts:
        if start < pos:  # overlapping sentences: keep the first
            continue
        if start > pos:
            pieces.append((pos, start, False))
        pieces.append((start, end, True))
        pos = end
    if pos < end_of_text:
        pieces.append((pos, end_of_text, False))
    spans = sorted(spans, key=lambda s: (s.start, -s.end))
    out: list[str] = []
    for start, end, is_sentence in pieces:
        inside = [s for s in spans if s.start >= start and s.end <= end]
        html = _marked(text[start - offset:end - offset], inside, shift=start)
        if is_sentence:
            html = (f'<span class="sent" id="s-{start}-{end}" data-start="{start}" '
                    f'data-end="{end}">{html}</span>')
        out.append(html)
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
