"""Turn policy documents into clean text, metadata, structure and sentences."""
from .errors import IngestError
from .loading import DOCUMENT_SUFFIXES, iter_document_files, parse_file, parse_text, read_text
from .outline import format_outline
from .records import Document, Metadata, Node, Sentence

__all__ = [
    "DOCUMENT_SUFFIXES",
    "Document",
    "IngestError",
    "Metadata",
    "Node",
    "Sentence",
    "format_outline",
    "iter_document_files",
    "parse_file",
    "parse_text",
    "read_text",
]
