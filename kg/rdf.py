"""The RDF of one document: metadata, structure, sentences, entities and evidence.

Everything a document says goes into one graph (named by the document IRI):
its units and sentences, the entities it names (the same entity IRI in every
document, so the union merges them), and Web Annotation evidence for every
mention, relation and topic link. No blank nodes: every selector has an IRI
derived from its annotation's, so rebuilding the same text gives the same
triples.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SDO, SKOS, XSD

from ..ingest.entities import normalise_key
from ..ingest.names import PINYIN_LANG, english_name, pinyin_name
from ..ingest.records import Extraction, Node

from . import iris
from .rdf_duties import ISO_DATE as _DATE, DutyTriples, due_literal
from .vocab import OA, POL, PREFIXES

#: A document's date: a full ISO date, or only its year (written as xsd:gYear).
_DATE_OR_YEAR = re.compile(r"^\d{4}(?:-\d{2}-\d{2})?$")

_UNIT_CLASSES = {
    "part": POL.Part,
    "chapter": POL.Chapter,
    "section": POL.Section,
    "task": POL.Task,
    "principle": POL.Principle,
    "goal": POL.Goal,
    "article": POL.Article,
    "item": POL.Item,
    "paragraph": POL.Paragraph,
    "annex": POL.Annex,
    "row": POL.TableRow,
    "cell": POL.TableCell,
}

#: Document kinds, recognised by the end of the title (longest first).
KINDS = ("实施意见", "指导意见", "意见", "通知", "条例", "报告", "实施办法", "办法", "规定",
         "决定", "决议", "纲要", "方案", "措施", "规划", "细则", "规则", "公告", "通告",
         "批复", "指南", "计划", "讲话", "法")
_KIND_OF = {"实施意见": "意见", "指导意见": "意见", "实施办法": "办法"}
_TRAILING_NOTE = re.compile(r"[（(【\[][^（()）【】\[\]]*[)）】\]]\s*$")

_GOVERNMENT_ENDINGS = ("委员会", "人民政府", "政府", "办公厅", "办公室", "委", "局", "部", "厅",
                       "署", "院", "人大", "政协", "海关", "法院", "检察院", "中心", "办")
_UNIVERSITY_ENDINGS = ("大学", "学院")


@dataclass(frozen=True)
class TopicLink:
    """A topic concept found at a span of the text (mirrors ``kg.topics.TopicLink``)."""

    node_id: str | None
    topic_iri: str
    start: int
    end: int
    exact: str


#: Media types of the layout formats, for dcterms:format.
_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "wps": "application/msword",  # WPS 文字 files are Word-compatible OLE documents
    "ofd": "application/ofd",
}


def document_kind(title: str | None) -> str | None:
    """The kind of a document, read from the end of its title.

    >>> document_kind("中共长宁区委关于…加快建设国际精品城区的实施意见")
    '意见'
    >>> document_kind("上海市消防条例（2019年修订）")
    '条例'
    >>> document_kind(None) is None
    True
    """
    if not title:
        return None
    text = title.strip()
    while _TRAILING_NOTE.search(text):
        text = _TRAILING_NOTE.sub("", text).strip()
    text = text.rstrip("》」”\"' ")
    for kind in KINDS:
        if text.endswith(kind):
            return _KIND_OF.get(kind, kind)
    return None


def entity_classes(entity_type: str, label: str) -> list[URIRef]:
    """The RDF classes of an entity of extraction type ``entity_type`` named ``label``.

    >>> [str(c).rsplit("/", 1)[-1] for c in entity_classes("Organization", "东华大学")]
    ['org#Organization', 'CollegeOrUniversity']
    """
    if entity_type == "Organization":
        classes = [ORG.Organization]
        if label.endswith(_UNIVERSITY_ENDINGS):
            classes.append(SDO.CollegeOrUniversity)
        elif label.endswith(_GOVERNMENT_ENDINGS) or label.startswith(("中共", "中国共产党")):
            classes.append(SDO.GovernmentOrganization)
        else:
            classes.append(SDO.Organization)
        return classes
    return {
        "Place": [SDO.Place],
        "Event": [SDO.Event],
        "Document": [POL.DocumentReference, SDO.CreativeWork],
        "Programme": [POL.Programme],
    }.get(entity_type, [SDO.Thing])


def unit_label(node: Node) -> str:
    """The human label of a unit: "2. 打造航空服务新优势", "三、主攻方向和重点任务", "第十条" …"""
    number, title = node.number, node.title
    if node.kind == "task" and number:
        return f"{number}. {title}" if title else f"{number}."
    if node.kind == "part" and number:
        return f"{number}、{title}" if title else f"{number}、"
    if node.kind == "chapter" and number:
        return f"第{number}章 {title}".strip() if title else f"第{number}章"
    if node.kind == "article" and number:
        return f"第{number}条 {title}".strip() if title else f"第{number}条"
    if node.kind == "item" and number and title:
        return f"({number}) {title}"
    if title:
        return title
    text = " ".join(node.text.split())
    return text[:30] + ("…" if len(text) > 30 else "")


def _parents(extraction: Extraction) -> dict[str, Node | None]:
    parents: dict[str, Node | None] = {}

    def visit(node: Node, parent: Node | None) -> None:
        parents[node.id] = parent
        for child in node.children:
            visit(child, node)

    for top in extraction.document.structure:
        visit(top, None)
    return parents


def _innermost(nodes: list[Node], start: int, end: int) -> Node | None:
    """The deepest unit whose span contains ``[start, end)`` (nodes in depth-first order)."""
    best = None
    for node in nodes:
        if node.start <= start and end <= node.end:
            best = node  # later in depth-first order = deeper, for nested spans
        elif node.start >= end:
            break
    return best


class _Builder:
    """Accumulates the triples of one document."""

    def __init__(self, extraction: Extraction, base_iri: str):
        self.x = extraction
        self.doc = extraction.document
        self.base = base_iri
        self.g = Graph()
        for prefix, iri in PREFIXES.items():
            self.g.bind(prefix, iri)
        self.doc_iri = URIRef(iris.document_iri(base_iri, self.doc.sha256))
        self.nodes = list(self.doc.nodes())
        self.by_id = {n.id: n for n in self.nodes}
        self.parents = _parents(extraction)
        self.sentences = sorted(self.doc.sentences, key=lambda s: (s.start, s.end))
        self.sentence_starts = [s.start for s in self.sentences]

    def add(self, s, p, o) -> None:
        self.g.add((s, p, o))

    def unit(self, node_id: str) -> URIRef:
        return URIRef(iris.unit_iri(str(self.doc_iri), node_id))

    def entity(self, key: str) -> URIRef:
        return URIRef(iris.entity_iri(self.base, key))

    def sentence_at(self, start: int, end: int) -> URIRef | None:
        i = bisect.bisect_right(self.sentence_starts, start) - 1
        if i >= 0:
            s = self.sentences[i]
            if s.start <= start and end <= s.end:
                return URIRef(iris.sentence_iri(str(self.doc_iri), s.start, s.end))
        return None

    # -- parts ----------------------------------------------------------------
    def document(self) -> None:
        d, meta, doc = self.doc_iri, self.doc.metadata, self.doc
        self.add(d, RDF.type, POL.PolicyDocument)
        self.add(d, RDF.type, SDO.Legislation)
        title = meta.title or (Path(doc.path).stem if doc.path else str(d))
        self.add(d, DCTERMS.title, Literal(title, lang="zh"))
        self.add(d, RDFS.label, Literal(title, lang="zh"))
        if meta.date and _DATE_OR_YEAR.match(meta.date):  # xsd:date, or gYear for a year
            self.add(d, DCTERMS.issued, due_literal(meta.date))
        if meta.written_date and _DATE.match(meta.written_date):
            self.add(d, POL.writtenDate, Literal(meta.written_date, datatype=XSD.date))
        if meta.issuer:
            issuer = self.issuer_entity(meta.issuer)
            self.add(d, DCTERMS.publisher, issuer)
        if meta.doc_number:
            self.add(d, DCTERMS.identifier, Literal(meta.doc_number))
        if meta.source:
            self.add(d, DCTERMS.source, Literal(meta.source, lang="zh"))
        for medium in (meta.source, meta.original_source):
            # The page's source medium (上海长宁文明网, 长宁时报) is an organisation entity.
            if medium and any(e.key == normalise_key(medium) for e in self.x.entities):
                self.add(d, SDO.publisher, self.entity(normalise_key(medium)))
        if meta.original_source:
            self.add(d, POL.originalSource, Literal(meta.original_source, lang="zh"))
        for keyword in meta.keywords:
            self.add(d, POL.keyword, Literal(keyword, lang="zh"))
        kind = document_kind(meta.title) or (document_kind(Path(doc.path).stem) if doc.path else None)
        if kind:
            self.add(d, POL.kind, Literal(kind, lang="zh"))
        self.add(d, POL.cleanText, Literal(doc.text))
        self.add(d, POL.contentHash, Literal(doc.sha256))
        if doc.path:
            self.add(d, POL.sourceFile, Literal(Path(doc.path).name))
        if doc.source_format:
            self.add(d, DCTERMS.format, Literal(_MEDIA_TYPES.get(doc.source_format, doc.source_format)))
        for method in sorted({p.method for p in doc.pages}):
            self.add(d, POL.extractionMethod, Literal(method))

    def issuer_entity(self, name: str) -> URIRef:
        """The issuer as an Organization entity (reusing an extracted one of that name)."""
        for entity in self.x.entities:
            if name == entity.label or name in entity.aliases:
                return self.entity(entity.key)
        iri = self.entity(name)
        self.entity_triples(iri, name, "Organization", (), None)
        return iri

    def structure(self) -> None:
        d = self.doc_iri
        for siblings, parent in [(self.doc.structure, None)] + [
                (n.children, n) for n in self.nodes if n.children]:
            parent_iri = d if parent is None else self.unit(parent.id)
            for position, node in enumerate(siblings, 1):
                u = self.unit(node.id)
                self.add(u, RDF.type, _UNIT_CLASSES.get(node.kind, POL.StructuralUnit))
                self.add(u, RDF.type, POL.StructuralUnit)
                self.add(u, DCTERMS.isPartOf, parent_iri)
                self.add(parent_iri, DCTERMS.hasPart, u)
                self.add(u, POL.inDocument, d)
                self.add(u, POL.position, Literal(position))
                if node.number:
                    self.add(u, POL.number, Literal(node.number))
                if node.title:
                    self.add(u, DCTERMS.title, Literal(node.title, lang="zh"))
                self.add(u, RDFS.label, Literal(unit_label(node), lang="zh"))
                self.add(u, POL.startOffset, Literal(node.start))
                self.add(u, POL.endOffset, Literal(node.end))
                page = self.doc.page_of(node.start)
                if page is not None:
                    self.add(u, POL.page, Literal(page.number))
                box = self.doc.box_of(node.start, node.end)
                if box is not None:
                    self.add(u, POL.boundingBox, Literal(box.literal()))

    def sentence_triples(self) -> None:
        d = self.doc_iri
        for s in self.sentences:
            iri = URIRef(iris.sentence_iri(str(d), s.start, s.end))
            self.add(iri, RDF.type, POL.Sentence)
            self.add(iri, RDF.value, Literal(s.text, lang="zh"))
            self.add(iri, POL.startOffset, Literal(s.start))
            self.add(iri, POL.endOffset, Literal(s.end))
            self.add(iri, POL.inDocument, d)
            page = self.doc.page_of(s.start)
            box = self.doc.box_of(s.start, s.end)
            if box is not None:
                self.add(iri, POL.boundingBox, Literal(box.literal()))
            if page is not None:
                self.add(iri, POL.page, Literal(page.number))
                if page.method == "ocr":  # recognised text may be wrong: say so where it is read
                    self.add(iri, POL.extractionMethod, Literal("ocr"))
                    if page.confidence is not None:
                        self.add(iri, POL.extractionConfidence, Literal(round(page.confidence, 4), datatype=XSD.decimal))
            node = _innermost(self.nodes, s.start, s.end)
            self.add(iri, DCTERMS.isPartOf, d if node is None else self.unit(node.id))

    def entity_triples(self, iri: URIRef, label: str, etype: str,
                       aliases: Iterable[str], label_en: str | None) -> None:
        for cls in entity_classes(etype, label):
            self.add(iri, RDF.type, cls)
        self.add(iri, RDFS.label, Literal(label, lang="zh"))
        self.add(iri, SKOS.prefLabel, Literal(label, lang="zh"))
        for alias in aliases:
            if alias != label:
                self.add(iri, SKOS.altLabel, Literal(alias, lang="zh"))
        if label_en:
            self.add(iri, RDFS.label, Literal(label_en, lang="en"))
            self.add(iri, SKOS.prefLabel, Literal(label_en, lang="en"))
        elif english_name(label, etype):  # by rule (…大学 → … University): a label, not preferred
            self.add(iri, RDFS.label, Literal(english_name(label, etype), lang="en"))
        for name in {pinyin_name(n) for n in (label, *aliases)} - {None}:
            self.add(iri, SKOS.altLabel, Literal(name, lang=PINYIN_LANG))
        self.add(iri, POL.entityType, Literal(etype))

    def entities(self) -> None:
        for e in self.x.entities:
            self.entity_triples(self.entity(e.key), e.label, e.type, e.aliases, e.label_en)

    def target(self, annotation: URIRef, start: int, end: int, exact: str) -> None:
        """The Web Annotation target of ``annotation``: the span [start, end) of the document."""
        target = URIRef(f"{annotation}/target")
        position = URIRef(f"{annotation}/position")
        quote = URIRef(f"{annotation}/quote")
        self.add(annotation, RDF.type, OA.Annotation)
        self.add(annotation, OA.hasTarget, target)
        self.add(annotation, PROV.wasDerivedFrom, self.doc_iri)
        self.add(target, RDF.type, OA.SpecificResource)
        self.add(target, OA.hasSource, self.doc_iri)
        self.add(target, OA.hasSelector, position)
        self.add(target, OA.hasSelector, quote)
        self.add(position, RDF.type, OA.TextPositionSelector)
        self.add(position, OA.start, Literal(start))
        self.add(position, OA.end, Literal(end))
        self.add(quote, RDF.type, OA.TextQuoteSelector)
        self.add(quote, OA.exact, Literal(exact))
        sentence = self.sentence_at(start, end)
        if sentence is not None:
            self.add(annotation, OA.hasScope, sentence)

    def enclosing_tasks(self, node_id: str) -> list[Node]:
        tasks, parent = [], self.parents.get(node_id)
        while parent is not None:
            if parent.kind == "task":
                tasks.append(parent)
            parent = self.parents.get(parent.id)
        return tasks

    def mentions(self) -> None:
        d, used = self.doc_iri, set()
        for m in self.x.mentions:
            entity = self.entity(m.entity_key)
            self.add(d, POL.mentions, entity)
            self.add(entity, POL.mentionedIn, d)
            if m.node_id is not None and m.node_id in self.by_id:
                for node_id in [m.node_id] + [t.id for t in self.enclosing_tasks(m.node_id)]:
                    unit = self.unit(node_id)
                    self.add(unit, POL.mentions, entity)
                    self.add(entity, POL.mentionedIn, unit)
            iri = iris.mention_iri(str(d), m.start, m.end)
            if iri in used:  # two entities at one span: keep both annotations apart
                iri = iris.evidence_iri(str(d), "mention", "", m.entity_key, m.start, m.end)
            used.add(iri)
            annotation = URIRef(iri)
            self.add(annotation, RDF.type, POL.Mention)
            self.add(annotation, OA.motivatedBy, OA.identifying)
            self.add(annotation, POL.mentionOf, entity)
            self.target(annotation, m.start, m.end, self.doc.text[m.start:m.end])

    def relations(self) -> None:
        d = self.doc_iri
        for r in self.x.relations:
            if r.subject_is_node and r.subject is None:
                subject = d  # evidence outside every unit: the document says it
            elif r.subject_is_node:
                if r.subject not in self.by_id:
                    continue
                subject = self.unit(r.subject)
            else:
                subject = self.entity(r.subject)
            predicate = POL[r.predicate]
            obj = self.entity(r.object)
            self.add(subject, predicate, obj)
            annotation = URIRef(iris.evidence_iri(str(d), "relation", f"{subject}|{r.predicate}",
                                                  str(obj), r.start, r.end))
            self.add(annotation, RDF.type, POL.RelationEvidence)
            self.add(annotation, OA.motivatedBy, OA.describing)
            self.add(annotation, POL.evidenceFor, subject)
            self.add(annotation, POL.assertedPredicate, predicate)
            self.add(annotation, POL.assertedObject, obj)
            self.target(annotation, r.start, r.end, self.doc.text[r.start:r.end])

    def topics(self, links: Iterable) -> None:
        d = self.doc_iri
        for link in links:
            topic = URIRef(link.topic_iri)
            if link.node_id is not None and link.node_id in self.by_id:
                subject = self.unit(link.node_id)
            else:
                subject = d
            self.add(subject, DCTERMS.subject, topic)
            annotation = URIRef(iris.evidence_iri(str(d), "topic", str(subject), str(topic),
                                                  link.start, link.end))
            self.add(annotation, RDF.type, POL.TopicEvidence)
            self.add(annotation, OA.motivatedBy, OA.classifying)
            self.add(annotation, POL.evidenceFor, subject)
            self.add(annotation, POL.assertedPredicate, DCTERMS.subject)
            self.add(annotation, POL.assertedObject, topic)
            self.target(annotation, link.start, link.end, self.doc.text[link.start:link.end])


def document_graph(extraction: Extraction, *, base_iri: str,
                   topic_links: Iterable = ()) -> Graph:
    """The triples of one document (to be stored in the graph named by its IRI).

    Args:
        extraction: the parsed document with its entities, mentions and relations.
        base_iri: the base of every minted IRI (setting ``base_iri``).
        topic_links: ``kg.topics.TopicLink``-like records (node_id, topic_iri,
            start, end, exact).

    Returns:
        An rdflib ``Graph`` without blank nodes.
    """
    builder = _Builder(extraction, base_iri)
    builder.document()
    builder.structure()
    builder.sentence_triples()
    builder.entities()
    builder.mentions()
    builder.relations()
    builder.topics(topic_links)
    duties = DutyTriples(builder)
    duties.duties()
    duties.deadlines()
    duties.targets()
    duties.validity()
    duties.links()
    return builder.g


__all__ = ["document_graph", "document_kind", "due_literal", "entity_classes", "unit_label", "TopicLink", "KINDS"]
