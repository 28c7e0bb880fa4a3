"""policykg's knowledge-graph layer: RDF store, SPARQL, embeddings, search, analytics.

The contract is :class:`KnowledgeGraph` and the names below; callers (web, the CLI)
import nothing else from kg (``.importlinter`` checks it) and never touch rdflib.

Names are imported when first used (PEP 562), so a command or process that needs only the
settings and the errors (``policykg --help``, the parent of the HTTP server's worker) does not
load rdflib, Oxigraph and the ingest pipeline.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ingest.lazy import lazy_names
from .errors import (
    IngestError,
    InvalidIRI,
    ModelError,
    NotAcceptable,
    NotFound,
    PolicyKGError,
    QueryError,
    QueryRefused,
    QueryTimeout,
    SearchError,
    StoreError,
    StoreMissing,
    TooLarge,
)
from .settings import SETTINGS, Setting, Settings

if TYPE_CHECKING:
    from .filters import date_bound
    from .formats import Format, by_media_type, by_name, of_kind
    from .graph import KnowledgeGraph
    from .iris import check_iri, entity_iri
    from .sparql import service_description
    from .vocab import PREFIXES, TOPIC_IRI, curie, sparql_prologue
    from .workspace import entity_type

#: where each name imported on first use lives
_LAZY = {
    "KnowledgeGraph": "graph",
    "date_bound": "filters",
    "Format": "formats", "by_media_type": "formats", "by_name": "formats", "of_kind": "formats",
    "check_iri": "iris", "entity_iri": "iris",
    "service_description": "sparql",
    "PREFIXES": "vocab", "TOPIC_IRI": "vocab", "curie": "vocab", "sparql_prologue": "vocab",
    "entity_type": "workspace",
}
__getattr__, __dir__ = lazy_names(__name__, _LAZY)

__all__ = [
    "KnowledgeGraph",
    "Settings",
    "Setting",
    "SETTINGS",
    "PREFIXES",
    "sparql_prologue",
    "curie",
    "entity_iri",
    "check_iri",
    "Format",
    "by_name",
    "by_media_type",
    "of_kind",
    "service_description",
    "date_bound",
    "TOPIC_IRI",
    "entity_type",
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
