"""OCR of image-only pages with RapidOCR (PP-OCR models shipped in its wheel), an optional extra.

``pip install policykg[ocr]`` installs it; without it image-only pages are
refused with a message naming the extra. Nothing is downloaded at run time.
"""
from __future__ import annotations

import importlib.util
import threading
from typing import Callable

from ..errors import IngestError
from .layout import PageLayout, Run, group_lines

#: Rendering scale for recognition: 2 × 72 dpi = 144 dpi, enough for body text.
RENDER_SCALE = 2.0

_engine_lock = threading.Lock()
_engines: dict[str, object] = {}
#: Called after each page recognised (the build's parsing child tells its parent that the
#: file is progressing, so that a long scan is not taken for a hung parser).
_page_hooks: list[Callable[[], None]] = []


def on_page(hook: Callable[[], None] | None) -> None:
    """Call ``hook`` after every page recognised from now on (``None``: no more)."""
    _page_hooks.clear()
    if hook is not None:
        _page_hooks.append(hook)


def ocr_available() -> bool:
    """Whether the OCR extra (rapidocr_onnxruntime) is installed."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def _engine(name: str):
    """The RapidOCR engine, built once per process (loading its models takes a second)."""
    with _engine_lock:
        if "rapidocr" not in _engines:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError:
                raise IngestError(name, "image-only pages need OCR: pip install policykg[ocr]") from None
            _engines["rapidocr"] = RapidOCR()
        return _engines["rapidocr"]


def ocr_image(name: str, image) -> tuple[list[Run], float | None]:
    """Recognise the text of one page image (a PIL image or an array).

    Returns the recognised lines as runs in image pixels, and their mean
    confidence weighted by length (``None`` when nothing was recognised).
    """
    import numpy as np

    result, _ = _engine(name)(np.asarray(image.convert("RGB")) if hasattr(image, "convert") else image)
    runs: list[Run] = []
    weight = total = 0.0
    for box, text, score in result or ():
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        text = text.strip()
        if not text:
            continue
        runs.append(Run(text, float(min(xs)), float(max(xs)), float(min(ys)), float(max(ys))))
        weight += len(text)
        total += float(score) * len(text)
    return runs, (total / weight if weight else None)


def ocr_pdf_pages(name: str, document, pages: list[PageLayout]) -> None:
    """Fill image-only ``pages`` of an open pypdfium2 document with recognised lines."""
    for layout in pages:
        page = document[layout.number - 1]
        try:
            image = page.render(scale=RENDER_SCALE).to_pil()
        finally:
            page.close()
        runs, confidence = ocr_image(name, image)
        layout.width, layout.height = image.size
        layout.lines = group_lines(runs)
        layout.method = "ocr"
        layout.scale = 1.0 / RENDER_SCALE  # pixels of the render back to points
        layout.confidence = round(confidence, 4) if confidence is not None else None
        for hook in _page_hooks:
            hook()
