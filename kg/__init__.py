"""policykg's knowledge-graph layer: RDF store, SPARQL, embeddings, search, analytics.

The contract is :class:`KnowledgeGraph`; callers never touch rdflib directly.
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
    StoreError,
    TooLarge,
)
from .filters import date_bound
from .graph import KnowledgeGraph
from .iris import entity_iri
from .settings import SETTINGS, Setting, Settings
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
    "TOPIC_IRI",
    "date_bound",
    "PolicyKGError",
    "IngestError",
    "StoreError",
    "QueryError",
    "QueryRefused",
    "QueryTimeout",
    "NotFound",
    "ModelError",
    "SearchError",
    "NotAcceptable",
    "TooLarge",
]
