"""What the workspace pages show people: a unit's text and its entities, lists of entities and topics.

Services layer: each function receives the store (``kg.store.GraphStore``) and
runs a fixed handful of SELECT queries; answers are plain dataclasses with
``to_json``. Names come Chinese first, English second.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .cache import saved_rows
from .errors import NotFound, PolicyKGError
from .vocab import POL_IRI, PREFIXES

__all__ = ["ENTITY_TYPES", "TYPE_OF_VALUE", "entity_type", "Name", "Passage", "EntityRole", "UnitView", "EntityRow", "TopicRow",
           "unit_view", "entity_list", "entity_type_counts", "topic_list", "document_passages", "document_pages",
           "names_of", "entity_tasks"]

#: The entity types of the lists (``/entities?type=``), as ``pol:entityType`` values.
ENTITY_TYPES = {"Organization": "Organization", "Place": "Place", "Event": "Event",
                "Programme": "Programme", "DocumentReference": "Document"}
#: The list type of each ``pol:entityType`` value (``Document`` → ``DocumentReference``).
TYPE_OF_VALUE = {v: k for k, v in ENTITY_TYPES.items()}


def entity_type(name: str | None) -> str | None:
    """The entity list type ``name`` spells, in any case and as the pages spell it
    ("organisation" is ``Organization``); ``name`` itself when it spells none, ``None`` for none."""
    if not name:
        return None
    return {t.lower(): t for t in ENTITY_TYPES}.get(name.lower().replace("isation", "ization"), name)
#: Relations of a unit shown as a mere mention when nothing more specific links the pair.
_MENTIONS = POL_IRI + "mentions"
_UNIT_CLASSES = ("Part", "Chapter", "Section", "Task", "Principle", "Goal", "Article", "Item",
                 "Paragraph", "Annex")
_MAX_RELATED = 12
_ENTITY_TABLE = "entity list v1"  # the layout of the saved entity list: a new one ignores old files


def _node(iri: str) -> str:
    """``<iri>`` for a query; an IRI that cannot be one is not in the graph."""
    if not iri or any(ch in iri for ch in '<>"{}|^`\\ \n\t'):
        raise NotFound(f"not a valid IRI: {iri!r}")
    return f"<{iri}>"


def _literal(text: str) -> str:
    """A SPARQL string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _rows(store, query: str) -> list[dict[str, str | None]]:
    # read to the end here: a half-read pyoxigraph answer dropped by another thread logs an error
    return list(store.select_rows(query))


@dataclass
class Name:
    """Something with a Chinese and an English name (either may be empty)."""

    iri: str
    zh: str
    en: str = ""
    type: str = ""

    @property
    def label(self) -> str:
        """The name to show first: Chinese, else English, else the IRI's last segment."""
        return self.zh or self.en or self.iri.rstrip("/").rsplit("/", 1)[-1]


def names_of(store, iris: set[str], *,
             predicates: str = "rdfs:label skos:prefLabel dcterms:title",
             where: str | None = None) -> dict[str, Name]:
    """Chinese and English names of ``iris`` (pref/rdfs labels, then titles).

    ``where`` is a graph pattern binding ``?s`` to (a superset of) ``iris``: on
    thousands of IRIs a pattern is much faster than listing them.
    """
    names = {iri: Name(iri, "") for iri in iris}
    if not iris:
        return names
    subjects = where or f"VALUES ?s {{ {' '.join(_node(i) for i in sorted(iris))} }}"
    order = {p: i for i, p in enumerate(predicates.split())}
    # one branch per predicate: with ``VALUES ?p`` Oxigraph read every label of the store
    # first (4 s for 300 units of a corpus)
    each = " UNION ".join(f"{{ ?s {p} ?l BIND ({p} AS ?p) }}" for p in predicates.split())
    rows = [r for r in _rows(store, f"""
            SELECT DISTINCT ?s ?p ?l (LANG(?l) AS ?lang) WHERE {{ {subjects}
              {{ {each} }} FILTER (isLiteral(?l)) }}""") if r["s"] in names]
    prefix = {f"{k}:": v for k, v in PREFIXES.items()}

    def rank(row: dict) -> tuple:  # the predicates in the order given, then the text itself
        short = next((k + row["p"][len(v):] for k, v in prefix.items() if row["p"].startswith(v)), "")
        return order.get(short, len(order)), row["l"] or ""

    for row in sorted(rows, key=rank):
        name, lang, text = names[row["s"]], (row["lang"] or "").split("-")[0], row["l"] or ""
        if lang == "en":
            name.en = name.en or text
        elif lang in ("zh", ""):
            name.zh = name.zh or text
    return names


@dataclass
class Passage:
    """A place in a document's text: ``[start, end)`` offsets and the words there."""

    document: str
    start: int
    end: int
    text: str = ""


@dataclass
class EntityRole:
    """An entity of a unit with what the unit does with it (roles), and where the text says so."""

    entity: Name
    roles: list[Name] = field(default_factory=list)  # predicates, labelled 依托/relies on …
    evidence: list[Passage] = field(default_factory=list)


@dataclass
class UnitView:
    """A structural unit (task, section, article …) as people read it."""

    iri: str
    kind: str  # Task, Section, Article …
    number: str
    title: str
    label: str
    document: Name
    breadcrumb: list[Name]  # document → part → section (the unit itself last)
    start: int
    end: int
    text: str  # the unit's text in reading order (the document's clean text [start, end))
    sentences: list[Passage]
    mentions: list[dict[str, Any]]  # {start, end, entity, type} relative to the document
    entities: dict[str, list[EntityRole]]  # by type (ENTITY_TYPES keys), roles first
    topics: list[Name]
    related: list[dict[str, Any]]  # units sharing entities: {unit: Name, document: Name, shared}
    parts: list[Name] = field(default_factory=list)  # the units directly inside it
    deadlines: list[str] = field(default_factory=list)  # pol:deadline: 2025, 2019-03 …
    targets: list[dict[str, str]] = field(default_factory=list)  # {label, indicator}
    page: int | None = None  # pol:page: where it starts in a PDF/Word/OFD file

    def to_json(self) -> dict[str, Any]:
        """The view as a JSON object."""
        return asdict(self)


def unit_view(store, iri: str) -> UnitView:
    """The unit ``iri`` with its text, entities by type and role, topics and related units.

    Raises:
        NotFound: ``iri`` is not a structural unit of a document in the graph.
    """
    node = _node(iri)
    found = _rows(store, f"""
        SELECT ?type ?number ?title ?label ?start ?end ?doc ?page WHERE {{
          {node} a pol:StructuralUnit ; a ?type ; pol:inDocument ?doc ;
                 pol:startOffset ?start ; pol:endOffset ?end .
          FILTER (?type != pol:StructuralUnit && STRSTARTS(STR(?type), "{POL_IRI}"))
          OPTIONAL {{ {node} pol:number ?number }} OPTIONAL {{ {node} dcterms:title ?title }}
          OPTIONAL {{ {node} rdfs:label ?label }} OPTIONAL {{ {node} pol:page ?page }} }} LIMIT 1""")
    if not found:
        raise NotFound(f"{iri} is not a unit of a document in the graph")
    row = found[0]
    doc, start, end = row["doc"] or "", int(row["start"] or 0), int(row["end"] or 0)
    ancestors = _rows(store, f"""
        SELECT DISTINCT ?a ?start ?end WHERE {{ GRAPH {_node(doc)} {{ {node} dcterms:isPartOf+ ?a .
          ?a a pol:StructuralUnit ; pol:startOffset ?start ; pol:endOffset ?end }} }}""")
    ancestors.sort(key=lambda a: (int(a["start"] or 0), -int(a["end"] or 0)))
    parts = _rows(store, f"""
        SELECT ?u ?pos WHERE {{ ?u dcterms:isPartOf {node} ; a pol:StructuralUnit ;
          pol:position ?pos }}""")
    parts.sort(key=lambda p: int(p["pos"] or 0))
    text, sentences, mentions = _unit_passages(store, doc, start, end)
    entities = _unit_entities(store, node, doc, mentions)
    deadlines, targets, topics = _unit_aims(store, node)
    related = _rows(store, f"""
        SELECT ?other ?doc (COUNT(DISTINCT ?e) AS ?n) WHERE {{
          {node} pol:mentions ?e . ?other pol:mentions ?e ; a pol:Task ; pol:inDocument ?doc .
          FILTER (?other != {node}) }} GROUP BY ?other ?doc ORDER BY DESC(?n) ?other
        LIMIT {_MAX_RELATED}""")
    names = names_of(store, {doc, iri, *(a["a"] for a in ancestors), *topics,
                             *(r["other"] for r in related), *(r["doc"] for r in related),
                             *(p["u"] for p in parts)},
                     predicates="rdfs:label skos:prefLabel dcterms:title")
    titled = names_of(store, {doc, *(r["doc"] for r in related)}, predicates="dcterms:title")
    document = titled[doc] if titled[doc].zh or titled[doc].en else names[doc]
    return UnitView(
        iri=iri, kind=(row["type"] or "").rsplit("#", 1)[-1], number=row["number"] or "",
        title=row["title"] or "", label=row["label"] or row["title"] or "",
        document=document, breadcrumb=[document] + [names[a["a"]] for a in ancestors] + [names[iri]],
        start=start, end=end, text=text[start:end], sentences=sentences, mentions=mentions,
        entities=entities, topics=sorted((names[t] for t in topics), key=lambda n: n.label),
        related=[{"unit": names[r["other"]], "document": titled.get(r["doc"]) or names[r["doc"]],
                  "shared": int(r["n"])} for r in related],
        parts=[names[p["u"]] for p in parts], deadlines=deadlines, targets=targets,
        page=int(row["page"]) if row.get("page") else None)


def _unit_passages(store, doc: str, start: int, end: int
                   ) -> tuple[str, list[Passage], list[dict[str, Any]]]:
    """The document's clean text, and the sentences and entity mentions within [start, end)."""
    text_rows = _rows(store, f"SELECT ?text WHERE {{ GRAPH {_node(doc)} {{ {_node(doc)} pol:cleanText ?text }} }}")
    text = (text_rows[0]["text"] or "") if text_rows else ""
    sentences = [Passage(doc, int(s["start"]), int(s["end"]), s["value"] or "") for s in _rows(store, f"""
        SELECT ?start ?end ?value WHERE {{ GRAPH {_node(doc)} {{
          ?s a pol:Sentence ; pol:startOffset ?start ; pol:endOffset ?end ; rdf:value ?value .
          FILTER (?start >= {start} && ?end <= {end}) }} }} ORDER BY ?start""")]
    mentions = [{"start": int(m["s"]), "end": int(m["e"]), "entity": m["entity"], "type": m["type"]}
                for m in _rows(store, f"""
        SELECT DISTINCT ?s ?e ?entity ?type WHERE {{ GRAPH {_node(doc)} {{
          ?m a pol:Mention ; pol:mentionOf ?entity ; oa:hasTarget/oa:hasSelector ?sel .
          ?sel oa:start ?s ; oa:end ?e . FILTER (?s >= {start} && ?e <= {end})
          OPTIONAL {{ ?entity pol:entityType ?type }} }} }} ORDER BY ?s ?e""")]
    return text, sentences, mentions


def _unit_aims(store, node: str) -> tuple[list[str], list[dict[str, str]], list[str]]:
    """A unit's deadlines, quantitative targets and topics."""
    deadlines = sorted({r["d"] for r in _rows(store, f"SELECT ?d WHERE {{ {node} pol:deadline ?d }}")})
    targets = [{"label": r["label"] or "", "indicator": r["indicator"] or ""} for r in _rows(store, f"""
        SELECT DISTINCT ?label ?indicator WHERE {{ {node} pol:hasTarget ?t .
          OPTIONAL {{ ?t rdfs:label ?label }} OPTIONAL {{ ?t pol:indicator ?indicator }} }}
        ORDER BY ?indicator""")]
    topics = [r["t"] for r in _rows(store, f"SELECT DISTINCT ?t WHERE {{ {node} dcterms:subject ?t }}")]
    return deadlines, targets, topics


def _unit_entities(store, node: str, doc: str,
                   mentions: list[dict[str, Any]]) -> dict[str, list[EntityRole]]:
    """The entities a unit (or a unit inside it) names or relates to, by type, with their roles."""
    # a collective unit (各区政府, 各成员单位) of a duty counts as an organisation; paths are
    # followed in the document's graph (over the union: seconds on a corpus)
    links = _rows(store, f"""
        SELECT DISTINCT ?p ?e ?type WHERE {{ GRAPH {_node(doc)} {{
          ?u dcterms:isPartOf* {node} ; a pol:StructuralUnit ; ?p ?e .
          {{ ?e pol:entityType ?type }} UNION {{ ?e a pol:CollectiveUnit BIND ("Organization" AS ?type) }} }} }}""")
    evidence = _rows(store, f"""
        SELECT DISTINCT ?p ?e ?s ?end WHERE {{ GRAPH {_node(doc)} {{
          ?u dcterms:isPartOf* {node} ; a pol:StructuralUnit .
          ?ann a pol:RelationEvidence ; pol:evidenceFor ?u ; pol:assertedPredicate ?p ;
               pol:assertedObject ?e ; oa:hasTarget/oa:hasSelector ?sel .
          ?sel oa:start ?s ; oa:end ?end }} }} ORDER BY ?s""")
    by_entity: dict[str, tuple[str, set[str]]] = {}
    for link in links:
        by_entity.setdefault(link["e"], (link["type"] or "", set()))[1].add(link["p"])
    roles = names_of(store, {p for _t, ps in by_entity.values() for p in ps}, predicates="rdfs:label")
    names = names_of(store, set(by_entity))
    grouped: dict[str, list[EntityRole]] = {}
    for entity, (type_value, predicates) in by_entity.items():
        specific = sorted(p for p in predicates if p != _MENTIONS)
        passages = [Passage(doc, int(e["s"]), int(e["end"])) for e in evidence
                    if e["e"] == entity and e["p"] in specific]
        passages += [Passage(doc, m["start"], m["end"]) for m in mentions if m["entity"] == entity]
        seen: set[tuple[int, int]] = set()
        unique = [p for p in passages if (p.start, p.end) not in seen and not seen.add((p.start, p.end))]
        name = names[entity]
        name.type = TYPE_OF_VALUE.get(type_value, type_value)
        grouped.setdefault(name.type, []).append(EntityRole(
            name, [roles[p] for p in specific] or [roles.get(_MENTIONS) or Name(_MENTIONS, "提及", "mentions")],
            unique))
    order = list(ENTITY_TYPES)
    for group in grouped.values():  # related by a role before merely mentioned, then by name
        group.sort(key=lambda r: (r.roles[0].iri == _MENTIONS, r.entity.label))
    return {t: grouped[t] for t in sorted(grouped, key=lambda t: (order.index(t) if t in order
                                                                  else len(order), t))}


def document_passages(store, doc: str) -> list[tuple[int, int]]:
    """The ``[start, end)`` of every sentence of a document, in reading order (anchors of its page)."""
    node = _node(doc)
    return [(int(r["start"]), int(r["end"])) for r in _rows(store, f"""
        SELECT ?start ?end WHERE {{ GRAPH {node} {{ ?s a pol:Sentence ; pol:startOffset ?start ;
          pol:endOffset ?end }} }} ORDER BY ?start""")]


def document_pages(store, doc: str) -> list[tuple[int, int]]:
    """``(page number, offset)`` of a PDF/Word/OFD document's pages: where its first sentence starting
    on that page begins (``pol:page``), page order; empty for a text file."""
    node = _node(doc)
    return [(int(r["page"]), int(r["start"])) for r in _rows(store, f"""
        SELECT ?page (MIN(?offset) AS ?start) WHERE {{ GRAPH {node} {{ ?s a pol:Sentence ;
          pol:page ?page ; pol:startOffset ?offset }} }} GROUP BY ?page ORDER BY ?page""")]


@dataclass
class EntityRow:
    """One line of an entity list: names, type, how often and where it is named, and a first example."""

    iri: str
    zh: str
    en: str
    aliases: list[str]
    type: str
    mentions: int
    documents: int
    units: int
    example: Passage | None = None

    def to_json(self) -> dict[str, Any]:
        """The row as a JSON object."""
        return asdict(self)


def entity_type_counts(store) -> dict[str, int]:
    """How many entities of each list type (``ENTITY_TYPES``) the graph holds; every type present."""
    counts = {t: 0 for t in ENTITY_TYPES}
    for row in _rows(store, "SELECT ?t (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e pol:entityType ?t } "
                            "GROUP BY ?t"):
        kind = TYPE_OF_VALUE.get(row["t"] or "")
        if kind:
            counts[kind] = int(row["n"] or 0)
    return counts


def entity_list(store, type: str | None = None, *, text: str | None = None,
                tables: Any = None) -> list[EntityRow]:
    """The entities of one type (or all), whose names contain ``text``, most mentioned first.

    Each row has its Chinese and English names, aliases, counts of mentions, documents and units,
    one of its mentions (the same on every call) as an example. ``tables`` (``kg.cache.Tables``)
    keeps the whole list beside the store for its generation.

    Raises:
        PolicyKGError: (kind ``invalid``) ``type`` is not one of ``ENTITY_TYPES``.
    """
    type = entity_type(type)
    if type and type not in ENTITY_TYPES:
        raise PolicyKGError(f"unknown entity type {type!r}; choose from {', '.join(ENTITY_TYPES)}")
    every = saved_rows(tables, "entities", _ENTITY_TABLE, lambda: _every_entity(store),
                       lambda r: EntityRow(**{**r, "example": Passage(**r["example"])
                                              if r["example"] else None}))
    needle = (text or "").strip().casefold()
    return [r for r in every if (not type or r.type == type) and (not needle or any(
        needle in n.casefold() for n in (r.zh, r.en, *r.aliases)))]


def _every_entity(store) -> list[EntityRow]:
    """Every entity of the store with its names, counts and example, most mentioned first."""
    # counted in each document's graph, never joined on an entity's own triples: the union
    # has a copy of them per graph naming it, and joins multiplied by that (国务院: 841) took minutes
    rows = _rows(store, "SELECT DISTINCT ?e ?t WHERE { ?e pol:entityType ?t }")
    counts = {r["e"]: r for r in _rows(store, "SELECT ?e (COUNT(?m) AS ?mentions) (MIN(?m) AS ?first) "
                                              "WHERE { GRAPH ?g { ?m pol:mentionOf ?e } } GROUP BY ?e")}
    for row in _rows(store, "SELECT ?e (SUM(IF(?x = ?g, 1, 0)) AS ?docs) (SUM(IF(?x = ?g, 0, 1)) AS ?units) "
                            "WHERE { GRAPH ?g { ?e pol:mentionedIn ?x } } GROUP BY ?e"):
        counts.setdefault(row["e"], {}).update(docs=row["docs"], units=row["units"])
    kinds = "{ SELECT DISTINCT ?s WHERE { ?s pol:entityType ?t } }"
    names = names_of(store, {r["e"] for r in rows}, predicates="rdfs:label skos:prefLabel", where=kinds)
    aliases: dict[str, list[str]] = {}
    for row in _rows(store, f"SELECT DISTINCT ?s ?a WHERE {{ {kinds} ?s skos:altLabel ?a }}"):
        aliases.setdefault(row["s"], []).append(row["a"] or "")
    out = []
    for row in rows:
        name, count = names[row["e"]], counts.get(row["e"], {})
        out.append(EntityRow(row["e"], name.zh or name.label, name.en, sorted(aliases.get(row["e"], [])),
                             TYPE_OF_VALUE.get(row["t"] or "", row["t"] or ""),
                             int(count.get("mentions") or 0), int(count.get("docs") or 0),
                             int(count.get("units") or 0)))
    out.sort(key=lambda r: (-r.mentions, r.zh))
    _add_examples(store, out, {e: c["first"] for e, c in counts.items() if c.get("first")})
    return out


def _add_examples(store, rows: list[EntityRow], first: dict[str, str]) -> None:
    """Give each row its ``first`` mention (the least IRI: stable between runs) as an example:
    document, offsets and the sentence around it."""
    wanted_rows = [r for r in rows if r.iri in first]
    if not wanted_rows:
        return
    values = " ".join(_node(first[r.iri]) for r in wanted_rows)
    where: dict[str, Passage] = {}
    for row in _rows(store, f"""
            SELECT ?m ?doc ?s ?end ?text WHERE {{ VALUES ?m {{ {values} }}
              ?m oa:hasTarget ?t . ?t oa:hasSource ?doc ; oa:hasSelector ?sel .
              ?sel oa:start ?s ; oa:end ?end . OPTIONAL {{ ?m oa:hasScope/rdf:value ?text }} }}"""):
        where.setdefault(row["m"], Passage(row["doc"] or "", int(row["s"]), int(row["end"]),
                                           row["text"] or ""))
    for r in wanted_rows:
        r.example = where.get(first[r.iri])


@dataclass
class TopicRow:
    """One topic of the scheme with its names and how many units and documents it is linked to."""

    iri: str
    zh: str
    en: str
    broader: str | None
    units: int
    documents: int

    def to_json(self) -> dict[str, Any]:
        """The row as a JSON object."""
        return asdict(self)


def topic_list(store) -> list[TopicRow]:
    """Every topic linked to at least one unit or document, most linked first."""
    # counted in each document's graph, the concepts apart: joined over the union, every
    # unit was counted once per graph holding its topic's triples (5 s on a corpus)
    concepts = {r["t"]: r["b"] for r in _rows(store, "SELECT DISTINCT ?t ?b WHERE { ?t a skos:Concept "
                                                     "OPTIONAL { ?t skos:broader ?b } } ORDER BY ?t ?b")}
    rows = [{**r, "broader": concepts[r["t"]]} for r in _rows(store, """
        SELECT ?t (COUNT(DISTINCT ?u) AS ?units) (COUNT(DISTINCT ?d) AS ?docs) WHERE { GRAPH ?g {
          ?x dcterms:subject ?t . OPTIONAL { ?x a pol:StructuralUnit BIND (?x AS ?u) }
          OPTIONAL { ?x a pol:PolicyDocument BIND (?x AS ?d) } } } GROUP BY ?t""") if r["t"] in concepts]
    names = names_of(store, {r["t"] for r in rows}, predicates="skos:prefLabel rdfs:label")
    out = [TopicRow(r["t"], names[r["t"]].zh, names[r["t"]].en, r["broader"],
                    int(r["units"] or 0), int(r["docs"] or 0)) for r in rows]
    out.sort(key=lambda r: (-r.units, -r.documents, r.zh))
    return out


def entity_tasks(store, iri: str, *, documents: list[str] | None = None) -> list[dict[str, Any]]:
    """What an entity does in which units, grouped by document (newest first).

    Returns ``[{"document": Name, "date": str | None, "units": [{"unit": Name, "kind": str,
    "roles": [Name], "evidence": [Passage]}]}]``; units in reading order, roles
    (依托 relies on …, 提及 mentions when nothing more specific) and the passages naming it.
    ``documents`` (IRIs) limits it to those documents: an entity of a corpus has thousands of units.
    """
    node = _node(iri)  # joined in each document's graph: the union repeats an entity's triples
    docs_in = f"VALUES ?doc {{ {' '.join(map(_node, documents))} }}" if documents is not None else ""
    links = _rows(store, f"""
        SELECT DISTINCT ?u ?p ?doc ?start ?end ?type WHERE {{ {docs_in} GRAPH ?doc {{
          ?u ?p {node} ; a pol:StructuralUnit ; pol:inDocument ?doc ;
             pol:startOffset ?start ; pol:endOffset ?end ; a ?type .
          FILTER (?type != pol:StructuralUnit && STRSTARTS(STR(?type), "{POL_IRI}")) }} }}""")
    if not links:
        return []
    places = _rows(store, f"""
        SELECT DISTINCT ?doc ?s ?e WHERE {{ {docs_in} GRAPH ?doc {{
          {{ ?a pol:mentionOf {node} }} UNION {{ ?a a pol:RelationEvidence ; pol:assertedObject {node} }}
          ?a oa:hasTarget ?t . ?t oa:hasSource ?doc ; oa:hasSelector ?sel . ?sel oa:start ?s ; oa:end ?e }} }}""")
    units: dict[str, dict[str, Any]] = {}
    for row in links:
        unit = units.setdefault(row["u"], {"doc": row["doc"], "start": int(row["start"]),
                                           "end": int(row["end"]), "kind": row["type"].rsplit("#", 1)[-1],
                                           "predicates": set(), "passages": []})
        unit["predicates"].add(row["p"])
    docs = {u["doc"] for u in units.values()}
    names = names_of(store, set(units) | docs)
    titles = names_of(store, docs, predicates="dcterms:title")
    roles = names_of(store, {p for u in units.values() for p in u["predicates"]}, predicates="rdfs:label")
    dates = {r["d"]: r["date"] for r in _rows(store, "SELECT ?d ?date WHERE { VALUES ?d { "
                                                     + " ".join(_node(d) for d in sorted(docs))
                                                     + " } ?d dcterms:issued ?date }")}
    units_of: dict[str, list[dict[str, Any]]] = {}
    for u in units.values():
        units_of.setdefault(u["doc"], []).append(u)
    for p in places:  # a passage belongs to the smallest unit holding it (units nest)
        holding = [u for u in units_of.get(p["doc"], ()) if u["start"] <= int(p["s"]) < u["end"]]
        smallest = min((u["end"] - u["start"] for u in holding), default=0)
        for u in (u for u in holding if u["end"] - u["start"] == smallest):
            u["passages"].append(Passage(p["doc"], int(p["s"]), int(p["e"])))
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for iri_u, u in sorted(units.items(), key=lambda kv: (kv[1]["start"], -kv[1]["end"])):
        specific = sorted(p for p in u["predicates"] if p != _MENTIONS)
        by_doc.setdefault(u["doc"], []).append({
            "unit": names[iri_u], "kind": u["kind"],
            "roles": [roles[p] for p in specific] or [roles.get(_MENTIONS) or Name(_MENTIONS, "提及", "mentions")],
            "evidence": sorted(u["passages"], key=lambda p: p.start)})
    out = [{"document": titles[d] if titles[d].zh or titles[d].en else names[d], "date": dates.get(d),
            "units": us} for d, us in by_doc.items()]
    out.sort(key=lambda g: g["date"] or "", reverse=True)
    return out
