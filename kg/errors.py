"""Errors of the kg layer; all are ``PolicyKGError`` and carry a ``kind`` (no HTTP here)."""
from __future__ import annotations

from ..ingest.errors import IngestError, PolicyKGError

__all__ = [
    "PolicyKGError",
    "IngestError",
    "StoreError",
    "StoreMissing",
    "InvalidIRI",
    "QueryError",
    "QueryRefused",
    "QueryTimeout",
    "NotFound",
    "ModelError",
    "SearchError",
    "NotAcceptable",
    "TooLarge",
]


class StoreError(PolicyKGError):
    """The store cannot be opened, read or written."""

    kind = "unavailable"


class StoreMissing(StoreError):
    """A reader names a store that does not exist (readers never create one)."""

    kind = "not_found"


class InvalidIRI(PolicyKGError):
    """A string given as an IRI is not an absolute IRI (relative, control characters …)."""

    kind = "invalid"


class QueryError(PolicyKGError):
    """A SPARQL query does not parse; the message is the parser's."""

    kind = "invalid"


class QueryRefused(PolicyKGError):
    """A SPARQL request is valid but not allowed here (update, SERVICE, LOAD)."""

    kind = "refused"


class QueryTimeout(PolicyKGError):
    """A SPARQL query ran longer than the configured limit and was stopped."""

    kind = "timeout"


class NotFound(PolicyKGError):
    """No resource with that IRI (or name) is in the graph."""

    kind = "not_found"


class ModelError(PolicyKGError):
    """An embedding model is missing or cannot be loaded; says what to install."""

    kind = "unavailable"


class SearchError(PolicyKGError):
    """A search request cannot be answered (e.g. an empty or oversized query)."""

    kind = "invalid"


class NotAcceptable(PolicyKGError):
    """No format the caller accepts can express this answer."""

    kind = "not_acceptable"


class TooLarge(PolicyKGError):
    """A request or answer exceeds a configured size limit."""

    kind = "too_large"
