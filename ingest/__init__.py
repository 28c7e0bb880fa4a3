"""Turn policy documents into clean text, metadata, structure and sentences."""
from .errors import IngestError
from .extract import Extractor, extract
from .loading import DOCUMENT_SUFFIXES, iter_document_files, parse_file, parse_text, read_text
from .outline import format_outline
from .records import Document, Metadata, Node, Sentence

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
