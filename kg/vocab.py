"""The policykg vocabulary as code: a typo in a term is an AttributeError.

``POL`` mirrors ``ontology/policykg.ttl``; a test keeps the two in sync.
Standard vocabularies come from rdflib (DCTERMS, SKOS, PROV, ORG, SDO, RDFS)
or are declared here where rdflib has none (OA, SH, SD).
"""
from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

POL_IRI = "https://w3id.org/policykg/ontology#"
TOPIC_IRI = "https://w3id.org/policykg/topic/"


class POL(DefinedNamespace):
    """policykg ontology terms (classes capitalised, properties camelCase)."""

    _NS = Namespace(POL_IRI)
    _fail = True

    # Documents and structure
    PolicyDocument: URIRef  # a policy document (subclass of schema:Legislation)
    StructuralUnit: URIRef  # any numbered unit of a document
    Part: URIRef  # 一、
    Chapter: URIRef  # 第X章
    Section: URIRef  # (一)
    Task: URIRef  # 1. 打造…新优势
    Principle: URIRef  # 坚持…
    Goal: URIRef  # 总体目标 paragraphs
    Article: URIRef  # 第X条
    Item: URIRef  # (1) / 一是…
    Paragraph: URIRef
    Annex: URIRef  # 附件 N, after the body
    TableRow: URIRef  # a row of a table in an annex
    TableCell: URIRef  # a cell of a table row (dcterms:title = its column header)
    Sentence: URIRef

    # Entities
    Programme: URIRef  # a programme, campaign or slogan (“一网通办”)
    DocumentReference: URIRef  # a document named in 《…》

    # Evidence
    Mention: URIRef  # an oa:Annotation: entity mentioned at a text span
    RelationEvidence: URIRef  # an oa:Annotation: evidence of a typed relation
    TopicEvidence: URIRef  # an oa:Annotation: evidence of a topic link

    # Structure properties
    number: URIRef  # the number as written ("2", "三")
    position: URIRef  # order among siblings, from 1
    inDocument: URIRef  # any unit or sentence → its document
    kind: URIRef  # document kind: 意见, 通知, 条例, 报告, 办法 …
    cleanText: URIRef  # the clean text of a document (all offsets point into it)
    contentHash: URIRef  # sha256 of the clean text
    sourceFile: URIRef  # the file name the document was read from
    writtenDate: URIRef  # 成文日期
    originalSource: URIRef  # (来源:长宁时报)
    keyword: URIRef  # 关键字
    startOffset: URIRef  # start of a unit or sentence in the clean text
    endOffset: URIRef  # end of a unit or sentence in the clean text
    entityType: URIRef  # the extraction type of an entity, as a literal
    page: URIRef  # unit/sentence → page number of the PDF/Word/OFD file where it starts
    boundingBox: URIRef  # unit/sentence → "page x0 y0 x1 y1": its printed lines on its first PDF/OFD page
    extractionMethod: URIRef  # document/sentence → "text" (text layer, markup) or "ocr"
    extractionConfidence: URIRef  # sentence → mean OCR confidence of its page (0–1)

    # Mentions
    mentions: URIRef  # unit/sentence/document → entity it names
    mentionedIn: URIRef  # inverse of mentions
    mentionOf: URIRef  # Mention annotation → entity

    # Typed relations
    reliesOn: URIRef  # 依托…
    hosts: URIRef  # 办好… / 举办…
    develops: URIRef  # 推进…建设 / 打造…
    cooperatesWith: URIRef  # 与…合作
    implements: URIRef  # 落实…《…》
    issuedBy: URIRef  # …印发的《…》
    evidenceFor: URIRef  # RelationEvidence/TopicEvidence → the statement's subject

    # Duties, deadlines, targets (each backed by a RelationEvidence)
    CollectiveUnit: URIRef  # 各区政府, 各有关部门: units named together, not one organisation
    Target: URIRef  # a quantitative target of a unit
    leadUnit: URIRef  # unit → organisation that leads it (牵头)
    cooperatingUnit: URIRef  # unit → organisation that cooperates (配合, 按职责分工负责)
    responsibleUnit: URIRef  # unit → organisation responsible (责任单位)
    deadline: URIRef  # unit → when it is due (xsd:date, gYearMonth or gYear)
    hasTarget: URIRef  # unit → pol:Target
    indicator: URIRef  # Target → the indicator text
    targetValue: URIRef  # Target → the number (xsd:decimal)
    unitOfMeasure: URIRef  # Target → %, 个, 吨, MW …
    comparator: URIRef  # Target → ">=", "<=", ">", "<", "="
    targetYear: URIRef  # Target → the year it is due (xsd:gYear)
    assertedValue: URIRef  # RelationEvidence → the literal it supports (a deadline)

    # Validity and links between documents
    inForceFrom: URIRef  # document → 施行日期
    inForceUntil: URIRef  # document → 有效期至 (last day)
    statedStatus: URIRef  # document → 状态 as its header states it (有效, 废止 …)
    repeals: URIRef  # document → document (reference) it repeals (废止)
    amends: URIRef  # document → document (reference) it amends (修改, 修订)
    assertedPredicate: URIRef  # RelationEvidence → the predicate it supports
    assertedObject: URIRef  # RelationEvidence/TopicEvidence → the object


OA = Namespace("http://www.w3.org/ns/oa#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

#: Prefixes every serialisation and the SPARQL editor preloads.
PREFIXES: dict[str, str] = {
    "pol": POL_IRI,
    "topic": TOPIC_IRI,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "oa": "http://www.w3.org/ns/oa#",
}


def curie(iri: str) -> str:
    """The prefixed name of ``iri`` when a prefix of ``PREFIXES`` fits, else ``iri`` itself.

    >>> curie("https://w3id.org/policykg/ontology#Task"), curie("urn:x")
    ('pol:Task', 'urn:x')
    """
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def sparql_prologue() -> str:
    """PREFIX lines for every entry of ``PREFIXES``.

    >>> "PREFIX pol: <https://w3id.org/policykg/ontology#>" in sparql_prologue()
    True
    """
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
