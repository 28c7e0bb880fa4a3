"""Layout files (PDF, Word, OFD) read as running text with page spans and metadata hints.

``read_layout(path)`` returns ``None`` for text files (.txt, .md, .html),
which the text pipeline reads directly; the text of a layout file goes through
the same cleaning, structure, sentence and entity steps, and
``attach_layout`` carries its pages over to the clean text.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

from ..errors import IngestError
from .model import LaidOutText, PageSpan
from .provenance import attach_layout, map_pages

#: Suffixes of the layout formats, picked up when a directory is walked.
LAYOUT_SUFFIXES = (".pdf", ".docx", ".doc", ".wps", ".ofd")

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_format(path: str | os.PathLike) -> str | None:
    """The layout format of a file by its first bytes, then its suffix; ``None`` for text.

    Returns one of ``pdf``, ``docx``, ``ofd``, ``doc``, ``wps`` or ``None``.
    """
    suffix = Path(path).suffix.lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return None  # the text reader reports missing and unreadable files
    if not head:
        return None  # the text reader says "empty file"
    # Some producers put junk before the header; readers accept it within the first kilobyte.
    if head.lstrip(b"\r\n\t \x00")[:5] == b"%PDF-" or (suffix == ".pdf" and b"%PDF-" in head):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return suffix.lstrip(".") if suffix in LAYOUT_SUFFIXES else "zip"
        if "word/document.xml" in names:
            return "docx"
        if "OFD.xml" in names or any(n.lower() == "ofd.xml" for n in names):
            return "ofd"
        return suffix.lstrip(".") if suffix in LAYOUT_SUFFIXES else "zip"
    if head.startswith(_OLE):
        return "wps" if suffix == ".wps" else "doc"
    if suffix in LAYOUT_SUFFIXES:
        return suffix.lstrip(".")
    return None


def read_layout(path: str | os.PathLike) -> LaidOutText | None:
    """Read a PDF, Word or OFD file as running text with pages; ``None`` for a text file.

    Raises:
        IngestError: the file is damaged, encrypted, empty, image-only without
            OCR, or a legacy Word file without LibreOffice to convert it.
    """
    kind = sniff_format(path)
    name = str(path)
    if kind is None:
        return None
    if kind == "pdf":
        from .pdf import read_pdf

        return read_pdf(path)
    if kind == "docx":
        from .docx import read_docx

        return read_docx(path)
    if kind == "ofd":
        from .ofd import read_ofd

        return read_ofd(path)
    if kind in ("doc", "wps"):
        from .legacy import read_legacy_word

        return read_legacy_word(path, kind)
    if kind == "zip":
        raise IngestError(name, "a zip archive that is neither a .docx nor an .ofd file")
    raise IngestError(name, f"damaged .{kind} file (not the container a .{kind} file is)")


__all__ = ["LAYOUT_SUFFIXES", "LaidOutText", "PageSpan", "attach_layout", "map_pages", "read_layout",
           "sniff_format"]
