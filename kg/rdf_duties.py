"""The RDF of who leads, by when, how much, and is it in force (issue 15), for ``kg.rdf.document_graph``.

Duties (``pol:leadUnit`` / ``cooperatingUnit`` / ``responsibleUnit``), ``pol:deadline``, ``pol:Target`` nodes,
``pol:inForceFrom`` / ``inForceUntil`` and ``pol:repeals`` / ``amends`` / ``implements``, each with a
``pol:RelationEvidence`` of its exact span. The triples go into the graph of ``kg.rdf``'s document builder.
"""
from __future__ import annotations

import re
from typing import Protocol

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SDO, XSD

from ..ingest.entities import normalise_key
from ..ingest.records import Document, Extraction, Node

from . import iris
from .vocab import OA, POL

_DUTY_PREDICATES = {"lead": POL.leadUnit, "cooperating": POL.cooperatingUnit, "responsible": POL.responsibleUnit}
_LINK_PREDICATES = {"repeals": POL.repeals, "amends": POL.amends, "implements": POL.implements}
#: An ISO date (YYYY-MM-DD), the only form written as xsd:date.
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DocumentTriples(Protocol):
    """What the duty triples need of the document builder (``kg.rdf._Builder``)."""

    x: Extraction
    doc: Document
    doc_iri: URIRef
    by_id: dict[str, Node]
    g: Graph

    def add(self, s, p, o) -> None: ...

    def unit(self, node_id: str) -> URIRef: ...

    def entity(self, key: str) -> URIRef: ...

    def target(self, annotation: URIRef, start: int, end: int, exact: str) -> None: ...


def due_literal(due: str) -> Literal:
    """A deadline as a typed literal: xsd:gYear, xsd:gYearMonth or xsd:date by its precision.

    >>> [str(due_literal(d).datatype).rsplit("#", 1)[-1] for d in ("2025", "2025-12", "2025-12-31")]
    ['gYear', 'gYearMonth', 'date']
    """
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth}.get(len(due), XSD.date)
    return Literal(due, datatype=datatype)


class DutyTriples:
    """Duties, deadlines, targets, validity and links between documents of one document."""

    def __init__(self, builder: DocumentTriples):
        self.b = builder

    def evidence(self, kind: str, subject: URIRef, predicate: URIRef, obj, start: int, end: int) -> None:
        b = self.b
        annotation = URIRef(iris.evidence_iri(str(b.doc_iri), kind, f"{subject}|{predicate}", str(obj), start, end))
        b.add(annotation, RDF.type, POL.RelationEvidence)
        b.add(annotation, OA.motivatedBy, OA.describing)
        b.add(annotation, POL.evidenceFor, subject)
        b.add(annotation, POL.assertedPredicate, predicate)
        if isinstance(obj, Literal):
            b.add(annotation, POL.assertedValue, obj)
        else:
            b.add(annotation, POL.assertedObject, obj)
        b.target(annotation, start, end, b.doc.text[start:end])

    def subject(self, node_id: str | None) -> URIRef:
        b = self.b
        return b.unit(node_id) if node_id is not None and node_id in b.by_id else b.doc_iri

    def duties(self) -> None:
        b = self.b
        for d in b.x.duties:
            subject = self.subject(d.node_id)
            if d.collective or d.entity_key is None:
                obj = URIRef(iris.entity_iri(f"{b.doc_iri}/", "collective-" + d.unit))
                b.add(obj, RDF.type, POL.CollectiveUnit)
                b.add(obj, RDFS.label, Literal(d.unit, lang="zh"))
                b.add(obj, POL.inDocument, b.doc_iri)
            else:
                obj = b.entity(d.entity_key)
            predicate = _DUTY_PREDICATES[d.role]
            b.add(subject, predicate, obj)
            self.evidence("duty", subject, predicate, obj, d.evidence_start, d.evidence_end)

    def deadlines(self) -> None:
        for d in self.b.x.deadlines:
            subject = self.subject(d.node_id)
            value = due_literal(d.due)
            self.b.add(subject, POL.deadline, value)
            self.evidence("deadline", subject, POL.deadline, value, d.start, d.end)

    def targets(self) -> None:
        b = self.b
        for t in b.x.targets:
            subject = self.subject(t.node_id)
            target = URIRef(f"{b.doc_iri}/target/{t.start}-{t.end}")
            b.add(subject, POL.hasTarget, target)
            b.add(target, RDF.type, POL.Target)
            b.add(target, POL.inDocument, b.doc_iri)
            b.add(target, POL.indicator, Literal(t.indicator, lang="zh"))
            b.add(target, POL.targetValue, Literal(t.value, datatype=XSD.decimal))
            b.add(target, POL.unitOfMeasure, Literal(t.unit))
            b.add(target, POL.comparator, Literal(t.comparator))
            b.add(target, RDFS.label, Literal(f"{t.comparator.replace('>=', '≥').replace('<=', '≤')}"
                                              f"{t.value}{t.unit}" + (f" ({t.year})" if t.year else ""), lang="zh"))
            if t.year:
                b.add(target, POL.targetYear, Literal(str(t.year), datatype=XSD.gYear))
            self.evidence("target", subject, POL.hasTarget, target, t.start, t.end)

    def validity(self) -> None:
        b, v = self.b, self.b.x.validity
        if b.doc.metadata.status:  # 状态 of a front matter: what the publishing site says, no span in the text
            b.add(b.doc_iri, POL.statedStatus, Literal(b.doc.metadata.status, lang="zh"))
        for value, start, end, predicate in ((v.in_force_from, v.from_start, v.from_end, POL.inForceFrom),
                                             (v.in_force_until, v.until_start, v.until_end, POL.inForceUntil)):
            if value and ISO_DATE.match(value):
                literal = Literal(value, datatype=XSD.date)
                b.add(b.doc_iri, predicate, literal)
                if start is not None and end is not None:
                    self.evidence("validity", b.doc_iri, predicate, literal, start, end)

    def links(self) -> None:
        b = self.b
        for link in b.x.document_links:
            key = link.title or link.number
            ref = b.entity(normalise_key(key))
            b.add(ref, RDF.type, POL.DocumentReference)
            b.add(ref, RDF.type, SDO.CreativeWork)
            b.add(ref, RDFS.label, Literal(key, lang="zh"))
            b.add(ref, POL.entityType, Literal("Document"))
            if link.title:
                b.add(ref, DCTERMS.title, Literal(link.title, lang="zh"))
            if link.number:
                b.add(ref, DCTERMS.identifier, Literal(link.number))
            predicate = _LINK_PREDICATES[link.predicate]
            b.add(b.doc_iri, predicate, ref)
            self.evidence("link", b.doc_iri, predicate, ref, link.start, link.end)
