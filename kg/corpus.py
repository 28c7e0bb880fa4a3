"""Cross-document views: which documents mention an entity, and when.

An entity has one IRI in every document that names it (``kg.iris.entity_iri``
of its normalised name), so the union of the document graphs merges it; these
queries read each document's own graph (``GRAPH ?doc``), so they also work on
a remote server that does not answer over the union by default.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pyoxigraph as ox


@dataclass(frozen=True)
class DocumentMention:
    """One document that mentions an entity: its title, date, kind and how often."""

    iri: str
    title: str
    date: str | None
    kind: str | None
    mentions: int

    def to_json(self) -> dict[str, Any]:
        """The row as a JSON object."""
        return asdict(self)


def entity_documents(kg: Any, iri: str) -> list[DocumentMention]:
    """Every document that mentions the entity ``iri``, oldest first (undated last).

    Args:
        kg: an open ``KnowledgeGraph``.
        iri: an entity IRI.

    Returns:
        One row per document, with the number of mention annotations in it.
    """
    node = str(ox.NamedNode(iri))
    rows = kg.store.query(f"""
        SELECT ?doc ?title ?date ?kind (COUNT(DISTINCT ?m) AS ?n) WHERE {{
          GRAPH ?doc {{
            ?doc a pol:PolicyDocument ; pol:mentions {node} .
            OPTIONAL {{ ?doc dcterms:title ?title }}
            OPTIONAL {{ ?doc dcterms:issued ?date }}
            OPTIONAL {{ ?doc pol:kind ?kind }}
            OPTIONAL {{ ?m pol:mentionOf {node} }}
          }}
        }} GROUP BY ?doc ?title ?date ?kind""")
    found: dict[str, DocumentMention] = {}
    for doc, title, date, kind, count in rows:
        if str(doc) in found:  # several titles or dates: keep the first
            continue
        found[str(doc)] = DocumentMention(
            iri=str(doc), title=str(title) if title is not None else str(doc),
            date=None if date is None else str(date),
            kind=None if kind is None else str(kind), mentions=int(count or 0))
    return sorted(found.values(), key=lambda d: (d.date is None, d.date or "", d.title))


__all__ = ["DocumentMention", "entity_documents"]


def unembedded(kg: Any, documents: dict[str, str]) -> list[str]:
    """The source files among ``documents`` ({path: document IRI}) whose document has no vectors.

    A build interrupted while embedding (or run with ``--no-embed``) leaves
    documents in the graph without vectors; the next build skips their
    unchanged files, so it asks here which of them still need embedding.
    Returns ``[]`` when ``kg.vectors`` is not available.
    """
    if not documents:
        return []
    try:
        from .vectors import VectorIndex
    except ImportError:
        return []
    have = {row.document for row in VectorIndex.open(kg).rows}
    return [src for src, doc in documents.items() if doc not in have]
