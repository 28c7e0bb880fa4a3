"""Word .docx with python-docx: paragraphs in order, list numbering written out, tables as rows.

Headers and footers live in their own parts of the package and are never
read. Pages are known only where Word recorded them (explicit page breaks and
the ``lastRenderedPageBreak`` marks Word leaves on saving).
"""
from __future__ import annotations

import os
import zipfile

from ..errors import IngestError
from .model import LaidOutText, PageSpan

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN_DIGITS = "零一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def chinese_number(n: int) -> str:
    """Write ``n`` (1–99) in Chinese numerals as list numbering does.

    >>> [chinese_number(n) for n in (1, 10, 12, 20, 35)]
    ['一', '十', '十二', '二十', '三十五']
    """
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "taiwaneseCounting",
               "chineseLegalSimplified", "ideographLegalTraditional"):
        return chinese_number(n) if n < 100 else str(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return _CIRCLED[n - 1] if 1 <= n <= len(_CIRCLED) else str(n)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "bullet" or fmt == "none":
        return ""
    return str(n)


class _Numbering:
    """List labels as Word would draw them (``一、``, ``（一）``, ``1.``) from numbering.xml."""

    def __init__(self, document):
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for node in root.iter(_W + "abstractNum"):
            levels = {}
            for lvl in node.iter(_W + "lvl"):
                ilvl = int(lvl.get(_W + "ilvl", "0"))
                fmt = lvl.find(_W + "numFmt")
                text = lvl.find(_W + "lvlText")
                start = lvl.find(_W + "start")
                levels[ilvl] = (
                    fmt.get(_W + "val") if fmt is not None else "decimal",
                    text.get(_W + "val") if text is not None else "",
                    int(start.get(_W + "val")) if start is not None else 1,
                )
            abstract[node.get(_W + "abstractNumId")] = levels
        for num in root.iter(_W + "num"):
            ref = num.find(_W + "abstractNumId")
            if ref is not None:
                for ilvl, spec in abstract.get(ref.get(_W + "val"), {}).items():
                    self.levels[(num.get(_W + "numId"), ilvl)] = spec

    def label(self, paragraph) -> str:
        """The label of a numbered paragraph ('' for none), advancing its list's counters."""
        ppr = paragraph._p.pPr
        numpr = ppr.numPr if ppr is not None else None
        style = paragraph.style
        while (numpr is None or numpr.numId is None) and style is not None:
            # List styles ("List Number", 标题 styles of 公文 templates) carry the numbering.
            sppr = style.element.pPr
            numpr = sppr.numPr if sppr is not None else None
            style = style.base_style
        if numpr is None or numpr.numId is None:
            return ""
        num_id = str(numpr.numId.val)
        ilvl = int(numpr.ilvl.val) if numpr.ilvl is not None else 0
        spec = self.levels.get((num_id, ilvl))
        if spec is None:
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, spec[2] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        text = spec[1]
        for level in range(ilvl, -1, -1):
            lspec = self.levels.get((num_id, level), ("decimal", "", 1))
            value = counters.get(level, lspec[2])
            text = text.replace(f"%{level + 1}", _format_number(value, lspec[0]))
        return text


def _breaks_page(element) -> bool:
    """Whether a paragraph starts on a new page (explicit break or Word's rendered break mark)."""
    for node in element.iter(_W + "br", _W + "lastRenderedPageBreak"):
        if node.tag == _W + "lastRenderedPageBreak" or node.get(_W + "type") == "page":
            return True
    ppr = element.find(_W + "pPr")
    return ppr is not None and ppr.find(_W + "pageBreakBefore") is not None


def _cell_text(cell) -> str:
    return "".join(p.text.strip() for p in cell.paragraphs)


def read_docx(path: str | os.PathLike, *, fmt: str = "docx") -> LaidOutText:
    """Read a .docx file's body: one paragraph a line, tables one row a line (cells tab-separated).

    Raises:
        IngestError: the file is not a readable Word package or has no text.
    """
    name = str(path)
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:  # pragma: no cover - a core dependency
        raise IngestError(name, "reading .docx needs python-docx: pip install python-docx") from None
    try:
        document = docx.Document(name)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IngestError(name, f"damaged .docx file ({exc.__class__.__name__}: {exc})") from None
    except Exception as exc:  # python-docx raises PackageNotFoundError and lxml errors for broken parts
        raise IngestError(name, f"damaged .docx file ({exc.__class__.__name__})") from None
    numbering = _Numbering(document)
    lines: list[str] = []
    page_starts = [0]  # index into lines where each page begins
    hints: dict[str, str] = {}
    for child in document.element.body.iterchildren():
        if child.tag == _W + "p":
            paragraph = Paragraph(child, document)
            if _breaks_page(child) and lines and page_starts[-1] != len(lines):
                page_starts.append(len(lines))
            text = paragraph.text.replace("\n", "").strip()
            if not text:
                continue
            label = numbering.label(paragraph)
            style = (paragraph.style.name or "") if paragraph.style is not None else ""
            if style == "Title" and "title" not in hints:
                hints["title"] = text
            lines.append(label + text)
        elif child.tag == _W + "tbl":
            for row in Table(child, document).rows:
                seen, cells = set(), []
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue  # a merged cell is listed once per grid column it spans
                    seen.add(id(cell._tc))
                    cells.append(_cell_text(cell))
                if any(cells):
                    lines.append("\t".join(cells))
    if not lines:
        raise IngestError(name, f"empty .{fmt} file (no text in its body)")
    text = "\n".join(lines)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    spans = []
    for number, first in enumerate(page_starts, start=1):
        last = page_starts[number] if number < len(page_starts) else len(lines)
        spans.append(PageSpan(number=number, start=offsets[first], end=min(offsets[last], len(text))))
    return LaidOutText(text=text, pages=tuple(spans), hints=hints, format=fmt)
