"""Where the text states a relation: the spans of its ``pol:RelationEvidence``, read from a store.

The graph states a duty, a deadline, a target or a link between documents as a
triple, and beside it an annotation (``kg.rdf``, ``kg.rdf_duties``)::

    ?ev pol:evidenceFor ?s ; pol:assertedPredicate ?p ; pol:assertedObject ?o   # or assertedValue
        ; oa:hasTarget [ oa:hasSelector [ oa:exact "…" ] , [ oa:start 12 ; oa:end 40 ] ] .

Read apart from the triples they support and joined in Python: as an OPTIONAL
beside them, Oxigraph paired every annotation of the store with each row (the
corpus's duties took 18 s, its links between documents 11 s; 0.5 s and 0.8 s so).
"""
from __future__ import annotations

from typing import Any, Iterable

__all__ = ["Span", "evidence_spans"]

#: The words stating a relation and their offsets in the document's clean text.
Span = tuple[str, int | None, int | None]


def evidence_spans(store: Any, predicates: Iterable[str], *, value: bool = False,
                   where: str = "") -> dict[tuple[str, str, str], Span]:
    """(subject, predicate IRI, object) → the span stating it, for ``predicates`` (prefixed
    names such as ``pol:leadUnit``); the first place in the text when it is stated twice.

    Args:
        store: what is read (``select_rows``).
        predicates: the relations wanted.
        value: the object is a literal (``pol:assertedValue``: a deadline), not a node.
        where: a graph pattern restricting the subject ``?s`` (``VALUES ?s { … }``).
    """
    branches = " UNION ".join(f"{{ ?ev pol:assertedPredicate {p} BIND ({p} AS ?p) }}"
                              for p in predicates)
    link = "pol:assertedValue" if value else "pol:assertedObject"
    found: dict[tuple[str, str, str], Span] = {}
    if not branches:
        return found
    for row in store.select_rows(f"""
SELECT ?s ?p ?o ?exact ?start ?end WHERE {{ {where} {branches}
  ?ev pol:evidenceFor ?s ; {link} ?o ; oa:hasTarget ?target .
  ?target oa:hasSelector ?quote , ?position .
  ?quote oa:exact ?exact . ?position oa:start ?start ; oa:end ?end .
}}"""):
        key = (row["s"], row["p"], row["o"])
        span = (row["exact"] or "", _offset(row["start"]), _offset(row["end"]))
        held = found.get(key)
        if held is None or _first(span) < _first(held):
            found[key] = span
    return found


def _offset(value: str | None) -> int | None:
    return int(value) if value else None


def _first(span: Span) -> tuple[int, str]:
    """Where ``span`` starts (unknown: last), then its words: the order of two statements."""
    return (span[1] if span[1] is not None else 1 << 62, span[0])
