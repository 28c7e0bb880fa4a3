"""Errors of the kg layer; all are ``PolicyKGError`` and carry an HTTP status."""
from __future__ import annotations

from ingest.errors import IngestError, PolicyKGError

__all__ = [
    "PolicyKGError",
    "IngestError",
    "StoreError",
    "QueryError",
    "QueryRefused",
    "QueryTimeout",
    "NotFound",
    "ModelError",
    "SearchError",
]


class StoreError(PolicyKGError):
    """The store cannot be opened, read or written."""

    status = 500


class QueryError(PolicyKGError):
    """A SPARQL query does not parse; the message is the parser's."""

    status = 400


class QueryRefused(PolicyKGError):
    """A SPARQL request is valid but not allowed here (update, SERVICE, LOAD)."""

    status = 403


class QueryTimeout(PolicyKGError):
    """A SPARQL query ran longer than the configured limit and was stopped."""

    status = 503


class NotFound(PolicyKGError):
    """No resource with that IRI (or name) is in the graph."""

    status = 404


class ModelError(PolicyKGError):
    """An embedding model is missing or cannot be loaded; says what to install."""

    status = 500


class SearchError(PolicyKGError):
    """A search request cannot be answered (e.g. an empty or oversized query)."""

    status = 400
