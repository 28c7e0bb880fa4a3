"""policykg's knowledge-graph layer: RDF store, SPARQL, embeddings, search, analytics.

The contract is :class:`KnowledgeGraph` and the names below; callers (web, the CLI)
import nothing else from kg (``.importlinter`` checks it) and never touch rdflib.
"""
from .errors import (
    IngestError,
    ModelError,
    NotAcceptable,
    NotFound,
    PolicyKGError,
    QueryError,
    QueryRefused,
    QueryTimeout,
    SearchError,
    InvalidIRI,
    StoreError,
    StoreMissing,
    TooLarge,
)
from .filters import date_bound
from .formats import Format, by_media_type, by_name, of_kind
from .graph import KnowledgeGraph
from .iris import check_iri, entity_iri
from .settings import SETTINGS, Setting, Settings
from .sparql import service_description
from .vocab import PREFIXES, TOPIC_IRI, curie, sparql_prologue

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
