"""Turn policy documents into clean text, metadata, structure and sentences.

Names are imported when first used (PEP 562): the errors alone (which kg's errors build on)
do not load the pipeline.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import IngestError
from .lazy import lazy_names

if TYPE_CHECKING:
    from .extraction import Extractor, extract
    from .loading import DOCUMENT_SUFFIXES, iter_document_files, parse_file, parse_text, read_text
    from .outline import format_outline
    from .records import Document, Metadata, Node, Sentence

#: where each name imported on first use lives
_LAZY = {
    "Extractor": "extraction", "extract": "extraction",
    "DOCUMENT_SUFFIXES": "loading", "iter_document_files": "loading", "parse_file": "loading",
    "parse_text": "loading", "read_text": "loading",
    "format_outline": "outline",
    "Document": "records", "Metadata": "records", "Node": "records", "Sentence": "records",
}
__getattr__, __dir__ = lazy_names(__name__, _LAZY)

__all__ = [
    "DOCUMENT_SUFFIXES",
    "Document",
    "Extractor",
    "IngestError",
    "Metadata",
    "Node",
    "Sentence",
    "extract",
    "format_outline",
    "iter_document_files",
    "parse_file",
    "parse_text",
    "read_text",
]
