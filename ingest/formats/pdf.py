"""PDF: the text layer read with pdfium (pypdfium2), image-only pages recognised by OCR when installed."""
from __future__ import annotations

import ctypes
import os

from ..errors import IngestError
from .layout import PageLayout, Run, group_lines, layout_pages
from .model import LaidOutText


def _page_runs(page, pdfium_c) -> tuple[list[Run], int]:
    """The characters of one page's text layer as runs, and how many there were."""
    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        height = page.get_height()
        runs = []
        # The loose box (font ascent to descent) gives every glyph of a line the
        # same height; the tight one makes 一 a sliver that no line would claim.
        rect = pdfium_c.FS_RECTF()
        raw = textpage.raw
        for i in range(n):
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            if code in (0, 0xFFFE, 0xFFFF):
                continue
            if chr(code).isspace():
                # Spaces pdfium made up to separate words are dropped; drawn ones are kept.
                if code != 0x20 or pdfium_c.FPDFText_IsGenerated(raw, i):
                    continue
            if not pdfium_c.FPDFText_GetLooseCharBox(raw, i, ctypes.byref(rect)):
                continue
            if rect.right <= rect.left or rect.top <= rect.bottom:
                continue
            runs.append(Run(chr(code), rect.left, rect.right, height - rect.top, height - rect.bottom))
        return runs, n
    finally:
        textpage.close()


def _read_pages(document, pdfium_c) -> list[PageLayout]:
    """The lines of every page's text layer; pages without text but with objects marked image-only."""
    pages: list[PageLayout] = []
    for index in range(len(document)):
        page = document[index]
        try:
            width, height = page.get_size()
            runs, _ = _page_runs(page, pdfium_c)
            layout = PageLayout(number=index + 1, width=width, height=height, lines=group_lines(runs), y_up=True)
            if not layout.lines:
                layout.image_only = any(True for _ in page.get_objects(max_depth=1))
            pages.append(layout)
        finally:
            page.close()
    return pages


def _recognise(name: str, document, pages: list[PageLayout], ocr: bool | None) -> None:
    """OCR the image-only pages, or refuse a file that is only images when OCR is off or missing."""
    image_only = [p for p in pages if p.image_only]
    if not image_only:
        return
    from .ocr import ocr_available, ocr_pdf_pages

    if ocr is False or (ocr is None and not ocr_available()):
        if len(image_only) == len(pages):
            raise IngestError(
                name,
                f"image-only PDF (no text layer on its {len(pages)} page(s)): "
                "OCR needs the ocr extra: pip install policykg[ocr]",
            )
    else:
        ocr_pdf_pages(name, document, image_only)


def _open(name: str):
    """The open pypdfium2 document, its raw module; a one-line error for damaged and encrypted files."""
    try:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c
    except ImportError:  # pragma: no cover - a core dependency
        raise IngestError(name, "reading PDF needs pypdfium2: pip install pypdfium2") from None
    try:
        return pdfium.PdfDocument(name), pdfium_c
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise IngestError(name, "encrypted PDF (needs a password): cannot read its text") from None
        raise IngestError(name, f"damaged or not a PDF ({message.split(':')[-1].strip() or message})") from None


def read_pdf(path: str | os.PathLike, *, ocr: bool | None = None) -> LaidOutText:
    """Read a PDF's text page by page, with the box of every line (points, origin bottom left).

    Args:
        path: the PDF file.
        ocr: recognise image-only pages (``True``), refuse them (``False``), or
            recognise them when the ``ocr`` extra is installed (``None``).

    Raises:
        IngestError: the file is encrypted, damaged, empty, or only images
            without an OCR engine to read them.
    """
    name = str(path)
    document, pdfium_c = _open(name)
    try:
        if len(document) == 0:
            raise IngestError(name, "empty PDF (no pages)")
        pages = _read_pages(document, pdfium_c)
        _recognise(name, document, pages, ocr)
        if not any(p.lines for p in pages):
            raise IngestError(name, "empty PDF (no text on any page)")
    finally:
        document.close()
    laid = layout_pages(pages)
    hints = dict(laid.hints)
    missing = [str(p.number) for p in pages if p.image_only and p.method != "ocr"]
    if missing:
        hints["image_only_pages"] = ",".join(missing)
    return LaidOutText(text=laid.text, pages=laid.pages, hints=hints, format="pdf", boxes=laid.boxes,
                       box_units="pt")
