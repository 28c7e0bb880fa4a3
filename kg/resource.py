"""Everything the graph says about one IRI, and the list of documents.

Each call runs a fixed handful of SPARQL queries (never one per row). The
default graph is the union of the named graphs, and an entity named in two
documents has its triples in both graphs, so queries use ``DISTINCT``. An
entity of a corpus (国务院) has its triples in 841 graphs: a join on them over the
union multiplies every row by that, so the queries here never join through an
entity's own triples, and what a page lists is bounded (a page of mentions, of
documents' tasks, the first values and incoming links with their totals).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .cache import saved_rows
from .corpus import entity_documents
from .errors import NotFound, PolicyKGError
from .filters import DocumentFilter
from .formats import by_media_type
from .iris import iri_ref, local_name
from .mentions import Evidence, mention_page
from .vocab import POL, PREFIXES
from .workspace import entity_tasks

_HIDDEN_INCOMING = ("pol:inDocument", "prov:wasDerivedFrom", "oa:hasSource", "pol:mentionOf",
                    "pol:evidenceFor", "pol:assertedObject", "oa:hasScope")
#: Formats of :func:`describe_rdf` (anything else is answered in Turtle).
_RDF_PAGE_FORMATS = ("turtle", "jsonld", "nt")
#: Mentions shown per page of a resource, and values shown per property.
MENTIONS_PER_PAGE = 50
VALUES_PER_PROPERTY = 50
#: Incoming links shown (their total is counted).
INCOMING_SHOWN = 50
#: Documents whose tasks one page of an entity shows (newest first).
TASK_DOCUMENTS_PER_PAGE = 10
#: Units of one document shown among an entity's tasks (the rest are counted).
UNITS_PER_DOCUMENT = 10


def _pick(labels: dict[str, str], iri: str | None = None) -> str | None:
    """The preferred label: Chinese, then English, then any, then the IRI's local name."""
    for lang in ("zh", "en", ""):
        if lang in labels:
            return labels[lang]
    if labels:
        return next(iter(labels.values()))
    return local_name(iri) if iri else None


def _add_label(store: dict[str, dict[str, str]], iri: Any, label: Any) -> None:
    if iri is None or label is None:
        return
    lang = (label.language or "") if isinstance(label, Literal) else ""
    store.setdefault(str(iri), {}).setdefault(lang.split("-")[0], str(label))


_iri = iri_ref


def _node(store: Any, iri: str) -> str:
    """``iri`` ready for query text, once it is known to be a public IRI.

    Raises:
        InvalidIRI: not an absolute IRI (kind ``invalid``).
        NotFound: an IRI of the build index or of a local file (private).
    """
    node = iri_ref(iri)
    if getattr(store, "is_private", lambda _iri: False)(iri):
        raise NotFound(f"图中没有 {iri} · {iri} is not in the graph")
    return node


@dataclass
class Property:
    """One statement about a resource: predicate → value."""

    predicate: str
    predicate_label: str
    value: str
    is_iri: bool
    value_label: str | None = None
    language: str | None = None


@dataclass
class Incoming:
    """A statement pointing at a resource: subject --predicate--> resource."""

    subject: str
    subject_label: str | None
    predicate: str
    predicate_label: str


@dataclass
class OutlineNode:
    """One unit of a document's outline."""

    iri: str
    label: str
    type: str
    start: int
    end: int
    children: list["OutlineNode"] = field(default_factory=list)


@dataclass
class Resource:
    """What the graph says about one IRI."""

    iri: str
    label: str
    types: list[tuple[str, str]]  # (class IRI, class label)
    properties: list[Property]
    incoming: list[Incoming]
    mentions: list[Evidence]
    document: tuple[str, str] | None = None  # (IRI, title) of the document it belongs to
    text: str | None = None  # documents: the clean text
    outline: list[OutlineNode] = field(default_factory=list)  # documents: the structure
    spans: list[dict[str, Any]] = field(default_factory=list)  # documents: entity mentions
    #: entities: every document that mentions it, oldest first (iri, title, date, kind, mentions)
    documents: list[dict[str, Any]] = field(default_factory=list)
    mention_total: int = 0  # mentions in all; ``mentions`` holds page ``mention_page``
    mention_page: int = 1
    incoming_total: int = 0  # incoming links in all; ``incoming`` holds the first ones
    #: entities: what it does in which units, for the documents of page ``tasks_page``
    #: (``kg.workspace.entity_tasks`` groups, newest document first; the first
    #: ``UNITS_PER_DOCUMENT`` units of each, ``more_units`` counts the others)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    tasks_page: int = 1
    tasks_pages: int = 1
    #: predicates with more than VALUES_PER_PROPERTY values: their number of values
    more_values: dict[str, int] = field(default_factory=dict)

    @property
    def is_document(self) -> bool:
        """True for a policy document."""
        return any(t == str(POL.PolicyDocument) for t, _ in self.types)

    def to_json(self) -> dict[str, Any]:
        """The resource as a JSON object."""
        # the documents are plain rows already: asdict copied 841 of them key by key
        data = {**asdict(replace(self, documents=[])), "documents": [dict(d) for d in self.documents]}
        data["types"] = [{"iri": t, "label": lbl} for t, lbl in self.types]
        data["mentions_per_page"] = MENTIONS_PER_PAGE
        data["task_documents_per_page"] = TASK_DOCUMENTS_PER_PAGE
        data["document"] = ({"iri": self.document[0], "title": self.document[1]}
                            if self.document else None)
        for ev in data["mentions"]:
            ev["highlight"] = list(ev["highlight"]) if ev["highlight"] else None
        return data


def describe(store: Any, iri: str, *, page: int = 1, tasks_page: int = 1) -> Resource:
    """Everything ``store`` says about ``iri``: labels, types, properties, incoming links, evidence.

    A resource named thousands of times (国务院 in a corpus) is shown a page
    at a time: ``MENTIONS_PER_PAGE`` mentions of page ``page`` (documents in
    IRI order, then text order), at most ``VALUES_PER_PROPERTY`` values of each
    property and the first ``INCOMING_SHOWN`` incoming links, with the totals;
    an entity's tasks are those of the ``TASK_DOCUMENTS_PER_PAGE`` documents of
    page ``tasks_page`` (newest first).

    Raises:
        InvalidIRI: ``iri`` is not an absolute IRI (kind ``invalid``).
        NotFound: no triple has ``iri`` as subject or object (or the IRI is private).
        PolicyKGError: ``page`` or ``tasks_page`` is not a positive integer.
    """
    for name, value in (("page", page), ("tasks_page", tasks_page)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise PolicyKGError(f"{name} must be a positive integer, not {value!r}")
    node = _node(store, iri)
    rows, more = _outgoing(store, node)
    incoming_rows, incoming_total = _incoming_rows(store, node)
    if not rows and not incoming_rows and not _exists(store, node):
        raise NotFound(f"图中没有 {iri} · {iri} is not in the graph")
    labels: dict[str, dict[str, str]] = {}
    own_labels, types, properties, text = _statements(rows, labels)
    incoming = _incoming(incoming_rows, labels)
    mentions, total = mention_page(store, node, page, MENTIONS_PER_PAGE)
    resource = Resource(iri=iri, label=_pick(own_labels, iri), types=sorted(types),
                        properties=properties, incoming=incoming, mentions=mentions, text=text,
                        mention_total=total, mention_page=page, more_values=more,
                        incoming_total=incoming_total)
    resource.document = _document_of(store, node)
    if resource.is_document:
        resource.outline = _outline(store, node)
        resource.spans = _spans(store, node)
    elif any(p.predicate == str(POL.mentionedIn) for p in properties):
        documents = entity_documents(store, iri)
        resource.documents = [d.__dict__.copy() for d in documents]  # to_json's asdict: 0.1 s
        newest = sorted((d for d in documents if d.date), key=lambda d: d.date, reverse=True)
        newest += [d for d in documents if not d.date]
        resource.tasks_pages = max(1, -(-len(newest) // TASK_DOCUMENTS_PER_PAGE))
        resource.tasks_page = tasks_page
        shown = newest[(tasks_page - 1) * TASK_DOCUMENTS_PER_PAGE:tasks_page * TASK_DOCUMENTS_PER_PAGE]
        if shown:
            resource.tasks = entity_tasks(store, iri, documents=[d.iri for d in shown])
        for group in resource.tasks:  # a law names 国务院 in a hundred articles
            group["more_units"] = max(0, len(group["units"]) - UNITS_PER_DOCUMENT)
            del group["units"][UNITS_PER_DOCUMENT:]
    return resource


def _outgoing(store: Any, node: str) -> tuple[list, dict[str, int]]:
    """Rows (p, o, plabel, olabel) of the statements about ``node``, and the predicates
    with more than ``VALUES_PER_PROPERTY`` values (that many of their values only) and their counts."""
    counts = {str(p): int(n) for p, n in store.query(
        f"SELECT ?p (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {node} ?p ?o }} GROUP BY ?p")}
    more = {p: n for p, n in counts.items()
            if n > VALUES_PER_PROPERTY and p not in (str(RDF.type), str(POL.cleanText))}
    pairs = [(p, o) for p, o in store.query(f"""
        SELECT DISTINCT ?p ?o WHERE {{ {node} ?p ?o .
          {f"FILTER (?p NOT IN ({', '.join(_iri(p) for p in more)}))" if more else ""} }}""")]
    for predicate in sorted(more):  # some values of a property with thousands of them
        # in store order: ORDER BY would sort all 7,096 values of 国务院 for 50 (1 s)
        pairs += [(URIRef(predicate), o) for (o,) in store.query(f"""
            SELECT DISTINCT ?o WHERE {{ {node} {_iri(predicate)} ?o }} LIMIT {VALUES_PER_PROPERTY}""")]
    # labels apart: asked beside the statements, they join each copy of them
    # (one per document graph naming the resource)
    named = sorted({str(p) for p, _ in pairs} | {str(o) for _, o in pairs if isinstance(o, URIRef)})
    found: dict[str, list] = {}
    if named:
        for x, label in store.query(f"""
                SELECT DISTINCT ?x ?l WHERE {{ VALUES ?x {{ {" ".join(_iri(x) for x in named)} }}
                  ?x rdfs:label|skos:prefLabel ?l }}"""):
            found.setdefault(str(x), []).append(label)
    rows = []
    for p, o in pairs:
        plabels = [lbl for lbl in found.get(str(p), []) if lbl is not None] or [None]
        olabels = (found.get(str(o)) or [None]) if isinstance(o, URIRef) else [None]
        rows += [(p, o, pl, ol) for pl in plabels for ol in olabels]
    return rows, more


def _incoming_rows(store: Any, node: str) -> tuple[list, int]:
    """Rows (s, p, slabel, plabel) of the first ``INCOMING_SHOWN`` statements pointing at
    ``node`` (private ones left out), and how many (subject, predicate) pairs point at it."""
    hidden = f"FILTER (?p NOT IN ({', '.join(_HIDDEN_INCOMING)}))"
    total = sum(int(n) for _p, n in store.query(f"""
        SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p {node} {hidden} }} GROUP BY ?p"""))
    rows = store.query(f"""
        SELECT ?s ?p ?slabel ?plabel WHERE {{
          {{ SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {node} {hidden} }} LIMIT {INCOMING_SHOWN} }}
          OPTIONAL {{ ?s rdfs:label|skos:prefLabel|rdf:value ?slabel }}
          OPTIONAL {{ ?p rdfs:label ?plabel }}
        }}""")
    private = getattr(store, "is_private", lambda _iri: False)
    return [row for row in rows if not private(str(row[0]))], total


def _statements(rows: list, labels: dict[str, dict[str, str]]):
    """(own labels by language, types, properties, clean text) from :func:`_outgoing` rows."""
    values: dict[tuple[str, str], Any] = {}
    for p, o, plabel, olabel in rows:
        _add_label(labels, p, plabel)
        if not isinstance(o, Literal):
            _add_label(labels, o, olabel)
        values[(str(p), o.n3())] = (p, o)
    own_labels: dict[str, str] = {}
    types: list[tuple[str, str]] = []
    properties: list[Property] = []
    text = None
    for p, o in values.values():
        if p in (RDFS.label, SKOS.prefLabel) and isinstance(o, Literal):
            own_labels.setdefault((o.language or "").split("-")[0], str(o))
        if p == RDF.type:
            types.append((str(o), _pick(labels.get(str(o), {}), str(o))))
            continue
        if p == POL.cleanText:
            text = str(o)
            continue
        literal = isinstance(o, Literal)
        properties.append(Property(
            predicate=str(p), predicate_label=_pick(labels.get(str(p), {}), str(p)),
            value=str(o), is_iri=not literal,
            value_label=None if literal else _pick(labels.get(str(o), {}), str(o)),
            language=o.language if literal else None))
    properties.sort(key=lambda pr: (pr.predicate_label, pr.value))
    return own_labels, types, properties, text


def _incoming(rows: list, labels: dict[str, dict[str, str]]) -> list[Incoming]:
    """One :class:`Incoming` per (subject, predicate) of :func:`_incoming_rows` rows."""
    for s, p, slabel, plabel in rows:
        if slabel is not None and len(slabel) > 40:  # a sentence's text
            slabel = Literal(str(slabel)[:40] + "…", lang=slabel.language)
        _add_label(labels, s, slabel)
        _add_label(labels, p, plabel)
    incoming, seen = [], set()
    for s, p, _sl, _pl in rows:
        if (str(s), str(p)) in seen:
            continue
        seen.add((str(s), str(p)))
        incoming.append(Incoming(str(s), _pick(labels.get(str(s), {}), str(s)), str(p),
                                 _pick(labels.get(str(p), {}), str(p))))
    return incoming


def _document_of(store, node: str) -> tuple[str, str] | None:
    rows = list(store.query(f"""
        SELECT ?doc ?title WHERE {{
          {{ {node} pol:inDocument ?doc }} UNION {{ {node} prov:wasDerivedFrom ?doc }}
          UNION {{ {node} a pol:PolicyDocument BIND ({node} AS ?doc) }}
          ?doc a pol:PolicyDocument ; dcterms:title ?title .
        }} LIMIT 1"""))
    return (str(rows[0][0]), str(rows[0][1])) if rows else None


def _outline(store, node: str) -> list[OutlineNode]:
    rows = store.query(f"""
        SELECT DISTINCT ?u ?parent ?pos ?label ?type ?start ?end WHERE {{
          GRAPH {node} {{
            ?u pol:inDocument {node} ; a pol:StructuralUnit ; a ?type ; dcterms:isPartOf ?parent ;
               pol:position ?pos ; rdfs:label ?label ; pol:startOffset ?start ; pol:endOffset ?end .
            FILTER (?type != pol:StructuralUnit)
          }}
        }}""")
    nodes: dict[str, tuple[str, int, OutlineNode]] = {}
    for u, parent, pos, label, typ, start, end in rows:
        nodes[str(u)] = (str(parent), int(pos), OutlineNode(str(u), str(label), local_name(str(typ)),
                                                             int(start), int(end)))
    top: list[tuple[int, OutlineNode]] = []
    children: dict[str, list[tuple[int, OutlineNode]]] = {}
    for parent, pos, outline in nodes.values():
        (children.setdefault(parent, []) if parent in nodes else top).append((pos, outline))
    for iri, (_parent, _pos, outline) in nodes.items():
        outline.children = [o for _, o in sorted(children.get(iri, []), key=lambda x: x[0])]
    return [o for _, o in sorted(top, key=lambda x: x[0])]


def _spans(store, node: str) -> list[dict[str, Any]]:
    rows = store.query(f"""
        SELECT DISTINCT ?start ?end ?entity ?label ?type WHERE {{
          GRAPH {node} {{
            ?ann a pol:Mention ; pol:mentionOf ?entity ; oa:hasTarget/oa:hasSelector ?sel .
            ?sel oa:start ?start ; oa:end ?end .
            OPTIONAL {{ ?entity pol:entityType ?type }}
            OPTIONAL {{ ?entity rdfs:label ?label FILTER (lang(?label) = "zh") }}
          }}
        }} ORDER BY ?start ?end""")
    return [{"start": int(s), "end": int(e), "entity": str(ent),
             "label": None if lbl is None else str(lbl), "type": None if t is None else str(t)}
            for s, e, ent, lbl, t in rows]


def describe_rdf(store: Any, iri: str, media_type: str) -> tuple[bytes, str]:
    """The triples about ``iri`` (as subject) and its evidence annotations, serialised.

    ``media_type`` is ``text/turtle``, ``application/ld+json`` or
    ``application/n-triples`` (anything else gets Turtle); the answer says which.

    Raises:
        InvalidIRI: ``iri`` is not an absolute IRI (kind ``invalid``).
        NotFound: the IRI is not in the graph (or is private).
    """
    node = _node(store, iri)
    fmt = by_media_type(media_type or "", "graph") or by_media_type("text/turtle")
    if fmt.name not in _RDF_PAGE_FORMATS:
        fmt = by_media_type("text/turtle")
    query = f"""
        CONSTRUCT {{ ?s ?p ?o }} WHERE {{
          {{ {node} ?p ?o BIND ({node} AS ?s) }}
          UNION {{ ?s pol:mentionOf|pol:evidenceFor {node} ; ?p ?o }}
          UNION {{ ?ann pol:mentionOf|pol:evidenceFor {node} ; oa:hasTarget ?s . ?s ?p ?o }}
          UNION {{ ?ann pol:mentionOf|pol:evidenceFor {node} ; oa:hasTarget/oa:hasSelector ?s .
                   ?s ?p ?o }}
        }}"""
    # Oxigraph writes it where it can: an entity named 10,000 times has 10⁵ triples, which
    # rdflib took 80 s to copy and write as Turtle
    written = store.construct(query, fmt.name)
    if written is not None:
        if written[1] == 0 and not _exists(store, node):
            raise NotFound(f"图中没有 {iri} · {iri} is not in the graph")
        return written[0], fmt.media_type
    result = store.query(query)
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    for triple in result:
        graph.add(triple)
    if len(graph) == 0 and not _exists(store, node):
        raise NotFound(f"图中没有 {iri} · {iri} is not in the graph")
    return graph.serialize(format=fmt.rdflib, encoding="utf-8"), fmt.media_type


def _exists(store: Any, node: str) -> bool:
    return bool(store.query(f"ASK {{ ?s ?p {node} }}").askAnswer)


@dataclass
class DocumentSummary:
    """One line of the document list."""

    iri: str
    title: str
    date: str | None
    issuer: str | None
    kind: str | None
    units: int
    tasks: int
    entities: int
    mentions: int
    source_file: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON object."""
        return asdict(self)


def list_documents(store: Any, tables: Any = None) -> list[DocumentSummary]:
    """Every document in ``store`` with its date, issuer, kind and counts, newest first (by
    title within a date; undated ones last).

    ``tables`` (``kg.cache.Tables``) keeps the list beside the store for its generation.
    """
    docs = saved_rows(tables, "documents", _DOCUMENT_TABLE, lambda: _read_documents(store),
                      lambda row: DocumentSummary(**row))
    # a library is read from its latest documents (the first of 1,000 pages was from 1952)
    docs.sort(key=lambda d: d.date or "", reverse=True)  # stable: titles stay in order
    return docs


#: The layout of the saved document list (a new layout ignores old files).
_DOCUMENT_TABLE = "document list v1"


def _read_documents(store: Any) -> list[DocumentSummary]:
    """Every document in ``store`` with its date, issuer, kind and counts, oldest first."""
    rows = store.query("""
        SELECT ?doc ?title ?date ?kind ?issuerLabel ?file WHERE {
          GRAPH ?doc {
            ?doc a pol:PolicyDocument ; dcterms:title ?title .
            OPTIONAL { ?doc dcterms:issued ?date }
            OPTIONAL { ?doc pol:kind ?kind }
            OPTIONAL { ?doc pol:sourceFile ?file }
            OPTIONAL { ?doc dcterms:publisher ?issuer .
                       ?issuer rdfs:label ?issuerLabel FILTER (lang(?issuerLabel) = "zh") }
          }
        }""")
    # each count apart: joined to the rows above as OPTIONAL subqueries they took 1.2 s
    # on a corpus instead of 0.3 s
    counts: dict[str, dict[str, int]] = {}
    for name, pattern in (("units", "?x a pol:StructuralUnit"), ("tasks", "?x a pol:Task"),
                          ("entities", "?doc pol:mentions ?x"), ("mentions", "?x a pol:Mention")):
        for doc, n in store.query(f"SELECT ?doc (COUNT(DISTINCT ?x) AS ?n) "
                                  f"WHERE {{ GRAPH ?doc {{ {pattern} }} }} GROUP BY ?doc"):
            counts.setdefault(str(doc), {})[name] = int(n)
    docs: dict[str, DocumentSummary] = {}
    for doc, title, date, kind, issuer, file in rows:
        if str(doc) in docs:
            continue
        count = counts.get(str(doc), {})
        docs[str(doc)] = DocumentSummary(
            iri=str(doc), title=str(title), date=None if date is None else str(date),
            issuer=None if issuer is None else str(issuer), kind=None if kind is None else str(kind),
            units=count.get("units", 0), tasks=count.get("tasks", 0),
            entities=count.get("entities", 0), mentions=count.get("mentions", 0),
            source_file=None if file is None else str(file))
    return sorted(docs.values(), key=lambda d: (d.date or "9999", d.title))


def filter_documents(docs: list[DocumentSummary], *, text: str | None = None,
                     kind: str | None = None, date_from: str | None = None,
                     date_to: str | None = None) -> list[DocumentSummary]:
    """The documents whose title, issuer or file name contains ``text``, of ``kind``,
    issued within ``date_from``..``date_to`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, each
    bound covering its whole period: ``date_to="2018"`` keeps 2018-12-20); an undated
    document is left out as soon as a date bound is given (:class:`kg.filters.DocumentFilter`).

    >>> d = DocumentSummary("urn:d", "上海市统计条例", "2018-12-20", "上海市人大常委会",
    ...                     "条例", 0, 0, 0, 0)
    >>> [x.title for x in filter_documents([d], text="统计", kind="条例", date_from="2018")]
    ['上海市统计条例']
    >>> filter_documents([d], date_to="2017-12-31")
    []

    Raises:
        PolicyKGError: (kind ``invalid``) a date that is not a real year, month or day.
    """
    wanted = DocumentFilter.parse(text=text, kind=kind, date_from=date_from, date_to=date_to)
    out = []
    for doc in docs:
        if wanted.accepts(date=doc.date, kind=doc.kind, iri=doc.iri,
                          names=(doc.title, doc.issuer, doc.source_file)):
            out.append(doc)
    return out


__all__ = ["describe", "describe_rdf", "list_documents", "filter_documents", "Resource", "Property", "Incoming",
           "Evidence", "OutlineNode", "DocumentSummary"]
