"""What a format reader returns: running text, where each page lies in it, metadata hints."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Box


@dataclass(frozen=True)
class PageSpan:
    """One page of the source file as a ``[start, end)`` span of the reader's text.

    ``method`` is how its text was obtained: ``"text"`` (text layer, markup) or
    ``"ocr"`` (recognised from the page image, with the mean ``confidence`` of
    its lines); ``image_only`` says the page had no text layer.
    """

    number: int
    start: int
    end: int
    method: str = "text"
    confidence: float | None = None
    image_only: bool = False


@dataclass(frozen=True)
class LaidOutText:
    """A layout file read as text: one paragraph a line, pages, and what the layout said.

    ``hints`` holds metadata read from the layout rather than the text
    (``issuer``, ``doc_number``, ``signer`` from a red header; ``title`` from a
    Title style; ``seals`` from OFD signatures …); ``format`` names the reader.
    ``boxes`` are the printed lines (PDF, OFD) and ``box_units`` their units:
    ``"pt"`` (PDF points, origin at the page's bottom left, y up) or ``"mm"``
    (OFD millimetres, origin at the top left, y down).
    """

    text: str
    pages: tuple[PageSpan, ...] = ()
    hints: dict[str, str] = field(default_factory=dict)
    format: str = ""
    boxes: tuple[Box, ...] = ()  # one per printed line, spans of the reader's text
    box_units: str = ""
