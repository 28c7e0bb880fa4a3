"""From positioned text on pages to clean running text with page spans.

Every reader that knows where text sits on a page (PDF, OFD, OCR) hands this
module :class:`Run` objects (a piece of text and its box, top-down coordinates
in any unit); it groups them into lines, drops running headers, footers and
page numbers, reads the red header of a 公文 as metadata, and joins the lines
of a paragraph without inserting a space between Chinese characters.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from ..records import Box
from .model import LaidOutText, PageSpan


@dataclass(frozen=True)
class Run:
    """A piece of text at a place on the page (top-down coordinates)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1e-6)


@dataclass
class Line:
    """One line of a page, runs ordered left to right."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class PageLayout:
    """The lines of one page, top to bottom, and how they were obtained."""

    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    method: str = "text"  # "text" (text layer or markup) or "ocr"
    confidence: float | None = None
    image_only: bool = False
    #: Boxes are given in the file's units: layout units times ``scale`` (OCR
    #: pixels → points), y counted from the bottom when ``y_up`` (PDF).
    y_up: bool = False
    scale: float = 1.0

    def box(self, line: Line) -> tuple[float, float, float, float]:
        """``line``'s box (x0, y0, x1, y1) in the file's own coordinates, rounded to 0.01."""
        top, bottom = (self.height - line.bottom, self.height - line.top) if self.y_up else (line.top, line.bottom)
        return tuple(round(v * self.scale, 2) for v in (line.x0, top, line.x1, bottom))  # type: ignore[return-value]


#: A line that is only a page number: "— 3 —", "-3-", "第3页", "第 3 页 共 9 页", "3/9", "Page 3".
PAGE_NUMBER = re.compile(
    r"^[\s\-—–－―_·•]*(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d{1,4}(?:\s*/\s*\d{1,4})?"
    r"|[Pp]age\s*\d+(?:\s*of\s*\d+)?|[-—–－]\s*[一二三四五六七八九十百]+\s*[-—–－])[\s\-—–－―_·•]*$"
)
#: The same, allowing one misread character around the number, for OCR'd pages ("第1顶页").
OCR_PAGE_NUMBER = re.compile(r"^\s*第\s*\S?\s*\d{1,4}\s*\S?\s*页\s*$")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_ASCII_WORD_END = re.compile(r"[A-Za-z0-9]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9]")
_LATIN_END = re.compile(r"[A-Za-z]$")
_LATIN_START = re.compile(r"^[A-Za-z]")
_HEADING_START = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}\s*[.．、](?!\d)"
    r"|第[一二三四五六七八九十百零〇\d]+[编章节条]|[①-⑳]|附件)"
)
_SENTENCE_END = "。！？；：!?;:”’）)》」』"
#: 发文字号 such as 沪府发〔2021〕3号, 国办发[2020]12号, 路卫发〔2011〕76号.
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}\s*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d{1,5}\s*号")
_SIGNER = re.compile(r"签\s*发\s*人\s*[:：]\s*(\S+(?:\s+\S+)*)")
_ISSUER_MARK = re.compile(r"^(\S{2,40}?)\s*(?:文\s*件|公\s*报|通\s*知|通\s*报)$")


def group_lines(runs: list[Run]) -> list[Line]:
    """Group runs into lines by their vertical middle; reading order top to bottom, left to right.

    Runs whose middles lie within half a line height of each other share a
    line; a gap wider than two character heights inside a line (a table cell
    boundary, a tab stop) becomes a tab, a small gap between two Latin words a space.
    """
    spaces = [r for r in runs if r.text.isspace()]
    runs = [r for r in runs if r.text and not r.text.isspace()]
    if not runs:
        return []
    runs.sort(key=lambda r: ((r.top + r.bottom) / 2, r.x0))
    groups: list[list[Run]] = []
    for run in runs:
        middle = (run.top + run.bottom) / 2
        if groups:
            last = groups[-1]
            ref = statistics.median((r.top + r.bottom) / 2 for r in last)
            size = statistics.median(r.height for r in last)
            if abs(middle - ref) <= 0.5 * max(size, run.height):
                last.append(run)
                continue
        groups.append([run])
    # A space glyph of the text layer ("第一条 为了…", "1998年2月22日 国务院批准") is kept,
    # on the line its middle falls in: the structure steps read it.
    for space in spaces:
        middle = (space.top + space.bottom) / 2
        for group in groups:
            if min(r.top for r in group) <= middle <= max(r.bottom for r in group):
                group.append(Run(" ", space.x0, space.x0, space.top, space.bottom))
                break
    lines = []
    for group in groups:
        group.sort(key=lambda r: (r.x0, r.text == " "))
        size = statistics.median(r.height for r in group)
        parts: list[str] = []
        prev: Run | None = None
        for run in group:
            if run.text == " ":
                if parts and not parts[-1].isspace():
                    parts.append(" ")
                continue
            if prev is not None:
                gap = run.x0 - prev.x1
                if gap > 2.0 * size:
                    if parts and parts[-1] == " ":
                        parts.pop()
                    parts.append("\t")
                elif (gap > 0.2 * size and parts and parts[-1] != " " and _ASCII_WORD_END.search(prev.text)
                      and _ASCII_WORD_START.match(run.text)):
                    parts.append(" ")
            parts.append(run.text)
            prev = run
        lines.append(Line(
            text="".join(parts).strip(" "), x0=min(r.x0 for r in group), x1=max(r.x1 for r in group),
            top=min(r.top for r in group), bottom=max(r.bottom for r in group), size=size,
        ))
    return [line for line in lines if line.text]


def _shape(text: str) -> str:
    """A line with digits and spaces folded, to spot running headers whose page number changes."""
    return re.sub(r"\d+", "0", re.sub(r"\s+", "", text))


def strip_running_lines(pages: list[PageLayout], zone: float = 0.12) -> None:
    """Drop page numbers and running headers/footers from the top and bottom zones of each page.

    A line in a zone goes when it is a page number, or when the same line
    (digits folded) stands in a zone on at least half of the pages (two at least).
    """
    def zoned(page: PageLayout) -> list[Line]:
        return [ln for ln in page.lines
                if ln.bottom <= page.height * zone or ln.top >= page.height * (1 - zone)]

    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({_shape(ln.text) for ln in zoned(page)})
    needed = max(2, (len(pages) + 1) // 2)
    sizes = [ln.size for page in pages for ln in page.lines]
    body = statistics.median(sizes) if sizes else 0.0
    for page in pages:
        zone_lines = zoned(page)
        others = "\n".join(_shape(ln.text) for p in pages for ln in p.lines if ln not in zone_lines)
        drop = {id(ln) for ln in zone_lines
                if PAGE_NUMBER.match(ln.text) or (page.method == "ocr" and OCR_PAGE_NUMBER.match(ln.text))
                or (len(pages) >= 2 and counts[_shape(ln.text)] >= needed)
                # One page cannot show a line repeating: a running header in small
                # type that repeats the title (or another line) is one all the same.
                or (ln.size < 0.85 * body and len(_shape(ln.text)) >= 4
                    and _shape(ln.text) in others.replace("\n", ""))}
        page.lines = [ln for ln in page.lines if id(ln) not in drop]


def red_header(page: PageLayout) -> dict[str, str]:
    """Read the red header of a 公文 from its first page.

    The header is what stands above the document's first sentence: the
    发文机关标志 (a line ending in 文件, in large type), the 发文字号 and the
    签发人. Returns the fields found (``issuer_mark``, ``issuer``, ``doc_number``,
    ``signer``). The header's lines leave the text when they stand above the
    title (they would pass for it); a 发文字号 line under the title stays, as it
    does in any text file.
    """
    found: dict[str, str] = {}
    if not page.lines:
        return found
    body_size = statistics.median(ln.size for ln in page.lines)
    taken: set[int] = set()
    above_title = True
    for i, line in enumerate(page.lines[:8]):
        text = line.text.strip()
        if text.endswith(("。", "，", "；")) or len(text) > 60:
            break
        compact = re.sub(r"\s+", "", text)
        mark = _ISSUER_MARK.match(compact)
        if "issuer_mark" not in found and mark and line.size >= 1.3 * body_size and compact.endswith("文件"):
            found["issuer_mark"] = compact
            found["issuer"] = mark.group(1)
            taken.add(i)
            continue
        number = DOC_NUMBER.search(text)
        signer = _SIGNER.search(text)
        rest = text
        if number:
            rest = rest.replace(number.group(0), "")
        if signer:
            rest = rest[: rest.find("签")] if "签" in rest else rest
        if (number or signer) and len(rest.strip(" \t\u3000:：")) <= 2 and "doc_number" not in found:
            if number:
                found["doc_number"] = re.sub(r"\s+", "", number.group(0))
            if signer:
                found["signer"] = signer.group(1).strip()
            if above_title:
                taken.add(i)
            continue
        above_title = False
    if found:
        page.lines = [ln for i, ln in enumerate(page.lines) if i not in taken]
    return found


def _join(prev: str, nxt: str) -> str:
    """Join two pieces of one paragraph: no space between Chinese characters (nor digits), one between Latin words."""
    if _LATIN_END.search(prev) and _LATIN_START.match(nxt):
        return prev + " " + nxt
    return prev + nxt


def _short(line: Line, left: float, right: float) -> bool:
    """Whether a line stops short of the right margin as a paragraph's last line does.

    Line breaking keeps punctuation off a line's start, so a line inside a
    paragraph may stop a few characters early (more before an unbreakable
    "（IMU）"): that counts as short only when the line also ends a sentence,
    is centred, or stops before the middle of the text width.
    """
    gap = right - line.x1
    if gap < 1.5 * line.size:
        return False
    return line.text[-1] in _SENTENCE_END or _centred(line, left, right) or gap > 0.45 * (right - left)


def _centred(line: Line, left: float, right: float) -> bool:
    """Centred: set in from the left by more than a paragraph's two-character indent, as far from both edges."""
    return line.x0 > left + 2.5 * line.size and abs((line.x0 + line.x1) - (left + right)) < 1.5 * line.size


def _balanced(line: Line, left: float, right: float) -> bool:
    """As far from the left edge as from the right one (centred, or full)."""
    return abs((line.x0 + line.x1) - (left + right)) < 1.5 * line.size


def _ends_paragraph(line: Line, nxt: Line, left: float, right: float, body: float) -> bool:
    """Whether ``line`` is the last line of its paragraph, given the next line on the page."""
    size = line.size
    if "\t" in line.text or "\t" in nxt.text:
        return True  # table rows stay rows
    if (size > 1.15 * body and abs(nxt.size - size) < 0.1 * size and _balanced(line, left, right)
            and _balanced(nxt, left, right) and nxt.top - line.bottom < size):
        return False  # a title set in large type over two or three centred lines
    if nxt.x0 > left + 0.8 * size:
        return True  # next line indented: a new paragraph
    if _short(line, left, right):
        return True  # paragraph end, heading, centred title
    if line.text[-1] in _SENTENCE_END and _HEADING_START.match(nxt.text):
        return True
    if nxt.top - line.bottom > 1.5 * size:
        return True  # a blank line's worth of space
    return False


class _Paragraphs:
    """Paragraphs being built from lines, remembering where each line went."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.lines: list[tuple[int, int, int, PageLayout, Line]] = []  # paragraph, offset, length, page, line

    def new(self, line: Line, page: PageLayout) -> None:
        self.items.append(line.text)
        self.lines.append((len(self.items) - 1, 0, len(line.text), page, line))

    def join(self, line: Line, page: PageLayout) -> None:
        self.items[-1] = _join(self.items[-1], line.text)
        self.lines.append((len(self.items) - 1, len(self.items[-1]) - len(line.text), len(line.text), page, line))

    def offsets(self) -> list[int]:
        """Where each paragraph starts in the text (paragraphs joined by newlines)."""
        out, pos = [], 0
        for p in self.items:
            out.append(pos)
            pos += len(p) + 1
        return out


def _margin_fractions(pages: list[PageLayout]) -> tuple[float, float]:
    """Left and right text margins as fractions of the page width, from the pages with enough lines.

    A last page of two short lines cannot tell where the margins are by itself.
    """
    full = [p for p in pages if len(p.lines) >= 5 and p.width > 0] or [p for p in pages if p.lines and p.width > 0]
    left = statistics.median(min(ln.x0 for ln in p.lines) / p.width for p in full) if full else 1.0
    right = statistics.median(max(ln.x1 for ln in p.lines) / p.width for p in full) if full else 0.0
    return left, right


def _continues(prev_line: Line | None, prev_geometry: tuple[float, float] | None, first: Line, left: float) -> bool:
    """Whether a page's first line carries on the paragraph the previous page ended with."""
    return (
        prev_line is not None and prev_geometry is not None
        and not _short(prev_line, *prev_geometry)
        and first.x0 <= left + 0.8 * first.size
        and "\t" not in first.text and "\t" not in prev_line.text
        and not (prev_line.text[-1] in _SENTENCE_END and _HEADING_START.match(first.text))
    )


def _page_spans(pages: list[PageLayout], page_starts: list[int | None], length: int) -> tuple[PageSpan, ...]:
    """The span of every page; a page without text is empty, where the next text begins."""
    spans = []
    for i, page in enumerate(pages):
        later = [s for s in page_starts[i + 1:] if s is not None]
        end = later[0] if later else length
        start = page_starts[i]
        if start is None:
            start = end
        spans.append(PageSpan(number=page.number, start=start, end=end, method=page.method,
                              confidence=page.confidence, image_only=page.image_only))
    return tuple(spans)


def assemble(pages: list[PageLayout], *, hints: dict[str, str] | None = None) -> LaidOutText:
    """Join the lines of all pages into running text with one paragraph a line, page spans and line boxes.

    A paragraph that runs over a page break is joined; the new page's span
    starts where its first line's text begins.
    """
    hints = dict(hints or {})
    text = _Paragraphs()
    starts: list[tuple[int, int]] = []  # (paragraph index, offset inside it) where each page begins
    prev_line: Line | None = None
    prev_geometry: tuple[float, float] | None = None
    left_frac, right_frac = _margin_fractions(pages)
    for page in pages:
        if not page.lines:
            starts.append((len(text.items), -1))
            continue
        left = min(min(ln.x0 for ln in page.lines), left_frac * page.width)
        right = max(max(ln.x1 for ln in page.lines), right_frac * page.width)
        first = page.lines[0]
        if _continues(prev_line, prev_geometry, first, left):
            starts.append((len(text.items) - 1, len(text.items[-1])))
            text.join(first, page)
        else:
            starts.append((len(text.items), 0))
            text.new(first, page)
        body = statistics.median(ln.size for ln in page.lines)
        for line, nxt in zip(page.lines, page.lines[1:]):
            if _ends_paragraph(line, nxt, left, right, body):
                text.new(nxt, page)
            else:
                text.join(nxt, page)
        prev_line = page.lines[-1]
        prev_geometry = (left, right)
    offsets = text.offsets()
    page_starts = [None if inner < 0 or index >= len(text.items) else offsets[index] + inner
                   for index, inner in starts]
    boxes = tuple(Box(offsets[index] + inner, offsets[index] + inner + length, page.number, *page.box(line))
                  for index, inner, length, page, line in text.lines)
    joined = "\n".join(text.items)
    return LaidOutText(text=joined, pages=_page_spans(pages, page_starts, len(joined)), hints=hints, boxes=boxes)


def layout_pages(pages: list[PageLayout]) -> LaidOutText:
    """Clean positioned pages: running lines out, red header read, lines joined into paragraphs."""
    strip_running_lines(pages)
    hints = red_header(pages[0]) if pages else {}
    return assemble(pages, hints=hints)
