"""The entity–task graph of a store as a networkx graph, and its saved table.

The graph is read from the store with one SPARQL query. Its nodes are the
documents, their structural units, the entities they mention and the topics
they are linked to; its edges are ``dcterms:isPartOf`` (unit → parent),
``pol:mentions`` (unit or document → entity), the typed relations
(``pol:reliesOn`` …), ``dcterms:publisher`` and ``dcterms:subject`` (→ topic).
Sentences and annotations are left out. The graph is undirected; each edge
remembers the predicate and the direction of the triple it comes from.
"""
from __future__ import annotations

import functools
from collections.abc import MutableMapping
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .cache import Tables
from .vocab import PREFIXES, curie

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = ["entity_graph", "load_entity_graph", "TABLE_NAME", "TABLE_VERSION",
           "NODE_TYPES", "ENTITY_NODE_TYPES", "UNIT_NODE_TYPES"]

_P = PREFIXES
_POL, _DCT, _SKOS, _SDO, _ORG = _P["pol"], _P["dcterms"], _P["skos"], _P["schema"], _P["org"]

#: Node type of each class (a node with several classes takes the first in this order).
_CLASS_TYPES: tuple[tuple[str, str], ...] = (
    (_POL + "PolicyDocument", "document"),
    (_POL + "Part", "part"),
    (_POL + "Chapter", "chapter"),
    (_POL + "Section", "section"),
    (_POL + "Task", "task"),
    (_POL + "Principle", "principle"),
    (_POL + "Goal", "goal"),
    (_POL + "Article", "article"),
    (_POL + "Item", "item"),
    (_POL + "Paragraph", "paragraph"),
    (_POL + "StructuralUnit", "unit"),
    (_SKOS + "Concept", "topic"),
    (_POL + "DocumentReference", "reference"),
    (_POL + "Programme", "programme"),
    (_SDO + "Event", "event"),
    (_SDO + "Place", "place"),
    (_SDO + "GovernmentOrganization", "organization"),
    (_SDO + "CollegeOrUniversity", "organization"),
    (_SDO + "Organization", "organization"),
    (_ORG + "Organization", "organization"),
)
_TYPE_RANK = {cls: i for i, (cls, _t) in enumerate(_CLASS_TYPES)}

UNIT_NODE_TYPES = ("part", "chapter", "section", "task", "principle", "goal", "article",
                   "item", "paragraph", "unit")
ENTITY_NODE_TYPES = ("organization", "place", "event", "reference", "programme")
#: Every node type, as used in ``types`` filters and in the ``type`` of nodes.
NODE_TYPES = ("document", *UNIT_NODE_TYPES, *ENTITY_NODE_TYPES, "topic")

#: Edge predicates, most specific first (the one kept when a pair has several).
_EDGE_PREDICATES = (
    "pol:reliesOn", "pol:hosts", "pol:develops", "pol:cooperatesWith", "pol:implements",
    "pol:issuedBy", "dcterms:publisher", "dcterms:isPartOf", "dcterms:subject", "pol:mentions",
)
_LABEL_PREDICATES = ("rdfs:label", "skos:prefLabel", "skos:altLabel", "dcterms:title")
_HUB_TYPES = ("document", "topic")  # edges touching these cost more in shortest paths

def _expand(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return PREFIXES[prefix] + local


_RDF_TYPE = PREFIXES["rdf"] + "type"
_EDGE_RANK = {_expand(p): i for i, p in enumerate(_EDGE_PREDICATES)}
_LABEL_OF = {_expand(p): p for p in _LABEL_PREDICATES}
_PART_OF = _expand("dcterms:isPartOf")


class _Fields(MutableMapping):
    """The attributes of one node or edge: the usual ones in slots, any other in a dict.

    A corpus's graph has 10⁵ nodes and 2.5·10⁵ edges; as dicts their attributes held 48 MB
    more of a server's memory than in slots (105 MB against 57 for the whole graph)."""

    __slots__ = ("_extra",)
    _FIELDS: tuple[str, ...] = ()

    def __init__(self, *values: Any) -> None:
        """The values of the first fields, in their order (networkx passes none)."""
        self._extra: dict[str, Any] | None = None
        for key, value in zip(self._FIELDS, values):
            setattr(self, key, value)

    def __getitem__(self, key: str) -> Any:
        if key in self._FIELDS:
            try:
                return getattr(self, key)
            except AttributeError:
                raise KeyError(key) from None
        if self._extra is None:
            raise KeyError(key)
        return self._extra[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, else ``default`` (shortest paths ask it of every edge)."""
        if key in self._FIELDS:
            return getattr(self, key, default)
        return default if self._extra is None else self._extra.get(key, default)

    def __contains__(self, key: object) -> bool:
        if key in self._FIELDS:
            return hasattr(self, key)  # type: ignore[arg-type]
        return self._extra is not None and key in self._extra

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self._FIELDS:
            setattr(self, key, value)
        else:
            if self._extra is None:
                self._extra = {}
            self._extra[key] = value

    def __delitem__(self, key: str) -> None:
        if key in self._FIELDS:
            try:
                delattr(self, key)
            except AttributeError:
                raise KeyError(key) from None
        elif self._extra is None or key not in self._extra:
            raise KeyError(key)
        else:
            del self._extra[key]

    def __iter__(self) -> Iterator[str]:
        for key in self._FIELDS:
            if hasattr(self, key):
                yield key
        if self._extra:
            yield from list(self._extra)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def update(self, other: Any = (), /, **more: Any) -> None:  # type: ignore[override]
        """Set the fields of ``other`` (a mapping or pairs) and of ``more``."""
        for given in (other, more):
            for key, value in (given.items() if hasattr(given, "items") else given):
                self[key] = value

    def copy(self) -> dict[str, Any]:
        """A plain dict of the same attributes (as networkx copies a graph's)."""
        return dict(self)

    def __repr__(self) -> str:
        return repr(dict(self))


class _NodeFields(_Fields):
    __slots__ = ("type", "parent", "label", "label_en", "title", "aliases")
    _FIELDS = __slots__


class _EdgeFields(_Fields):
    __slots__ = ("predicate", "source", "weight")
    _FIELDS = __slots__


@functools.cache
def graph_class() -> type:
    """The networkx graph class of entity graphs: a ``networkx.Graph`` whose node and edge
    attributes are :class:`_Fields` (networkx is imported on first use, not with this module)."""
    import networkx as nx

    class EntityGraph(nx.Graph):
        """An entity–task graph (``kg.entity_graph``)."""

        node_attr_dict_factory = _NodeFields
        edge_attr_dict_factory = _EdgeFields

    return EntityGraph


def _query() -> str:
    """The one query reading the entity–task graph: typed nodes, labels and edges.

    Each row also says whether the object is an IRI (``?oi``) and its language
    (``?lang``), so that rows can be read as plain strings.
    """
    # pol:StructuralUnit is left out: every unit also has its specific class.
    classes = " ".join(f"<{cls}>" for cls, t in _CLASS_TYPES if t != "unit")
    predicates = " ".join(f"<{_expand(p)}>" for p in (*_EDGE_PREDICATES, *_LABEL_PREDICATES)
                          if p != "dcterms:isPartOf")
    # Sentences are dcterms:isPartOf units too; only units have a pol:position.
    return (
        "SELECT ?s ?p ?o ?oi ?lang WHERE {\n"
        f"  {{ VALUES ?o {{ {classes} }} ?s a ?o . BIND(<{PREFIXES['rdf']}type> AS ?p) }}\n"
        f"  UNION {{ ?s <{_expand('dcterms:isPartOf')}> ?o ; <{_expand('pol:position')}> ?n .\n"
        f"           BIND(<{_expand('dcterms:isPartOf')}> AS ?p) }}\n"
        f"  UNION {{ VALUES ?p {{ {predicates} }} ?s ?p ?o . }}\n"
        "  FILTER (isIRI(?s))\n"
        "  BIND (isIRI(?o) AS ?oi) BIND (LANG(?o) AS ?lang)\n"
        "}"
    )


def entity_graph(store: Any) -> "nx.Graph":
    """The entity–task graph of ``store`` (a ``GraphStore``) as an undirected networkx graph.

    Nodes are keyed by IRI with attributes ``label`` (Chinese first), ``label_en``,
    ``aliases`` ("|"-joined), ``type`` (one of ``NODE_TYPES``), ``title`` and
    ``parent`` (the IRI the unit is part of, or ""). Edges carry ``predicate``
    (a CURIE such as ``pol:mentions``), ``source`` (the subject of the triple)
    and ``weight`` for shortest paths (3 for edges touching documents and
    topics, which are hubs; 1.5 for ``dcterms:isPartOf``; 1 for mentions and
    typed relations, so shared entities connect before shared outline).
    Topics nobody is linked to are left out.
    """
    import networkx as nx

    read = _read_rows(store)
    types = {iri: _CLASS_TYPES[rank][1] for iri, rank in read.ranks.items()}
    linked = {iri for pair in read.edges for iri in pair if pair[0] in types and pair[1] in types}
    nodes = sorted(iri for iri, t in types.items() if t != "topic" or iri in linked)
    keep = set(nodes)

    graph = graph_class()()
    for iri in nodes:
        parent = read.parent.get(iri, "")
        graph.add_node(iri, type=types[iri], parent=parent if parent in keep else "",
                       **_labels(iri, read.labels.get(iri, {})))
    for (a, b), (_rank, predicate, source) in sorted(read.edges.items()):
        if a in keep and b in keep:
            if types[a] in _HUB_TYPES or types[b] in _HUB_TYPES:
                weight = 3.0
            elif predicate == "dcterms:isPartOf":
                weight = 1.5
            else:
                weight = 1.0
            graph.add_edge(a, b, predicate=predicate, source=source, weight=weight)
    return graph


class _Rows:
    """What :func:`_read_rows` gathers: type ranks, labels, parents and best edges."""

    def __init__(self) -> None:
        self.ranks: dict[str, int] = {}
        self.labels: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
        self.edges: dict[tuple[str, str], tuple[int, str, str]] = {}
        self.parent: dict[str, str] = {}


def _read_rows(store: Any) -> _Rows:
    """Read the rows of :func:`_query` into a :class:`_Rows`, one row at a time."""
    read = _Rows()
    same: dict[str, str] = {}  # one string object per IRI, however many edges name it
    # streamed when the store can: a corpus answers ~10⁶ rows
    stream = getattr(store, "stream_rows", None)
    with stream(_query()) if stream else nullcontext(store.select_rows(_query())) as rows:
        for row in rows:
            _add_row(read, same.setdefault(row["s"], row["s"]), row, same)
    return read


def _add_row(read: _Rows, s: str, row: dict, same: dict[str, str]) -> None:
    """Add one row of :func:`_query` (subject ``s``) to ``read``."""
    p, o = row["p"], row["o"]
    if p == _RDF_TYPE:
        rank = _TYPE_RANK.get(o)
        if rank is not None and rank < read.ranks.get(s, len(_TYPE_RANK)):
            read.ranks[s] = rank
    elif p in _LABEL_OF:
        if row["oi"] != "true":
            read.labels.setdefault(s, {}).setdefault(_LABEL_OF[p], []).append(
                (o, row["lang"] or None))
    elif row["oi"] == "true" and s != o:
        o = same.setdefault(o, o)
        if p == _PART_OF:
            read.parent.setdefault(s, o)
        key = (min(s, o), max(s, o))
        candidate = (_EDGE_RANK[p], curie(p), s)
        if key not in read.edges or candidate < read.edges[key]:
            read.edges[key] = candidate


def _labels(iri: str, found: dict[str, list[tuple[str, str | None]]]) -> dict[str, str]:
    """label (zh first), label_en, title and aliases of one node."""
    def pick(predicates: Iterable[str], langs: Iterable[str | None]) -> str:
        for lang in langs:
            for predicate in predicates:
                values = sorted(v for v, l in found.get(predicate, [])
                                if (l or "").split("-")[0] == (lang or ""))
                if values:
                    return values[0]
        return ""

    main = ("rdfs:label", "skos:prefLabel", "dcterms:title")
    label = pick(main, ("zh", None, "en")) or iri.rsplit("/", 1)[-1]
    label_en = pick(main, ("en",))
    aliases = sorted({v for v, _l in found.get("skos:altLabel", [])})
    return {"label": label, "label_en": label_en, "title": pick(("dcterms:title",), ("zh", None)),
            "aliases": "|".join(aliases)}


#: Name of the saved entity graph among the store's tables (:class:`kg.cache.Tables`).
TABLE_NAME = "graph"
#: Layout of the saved entity graph (see :func:`_to_table`; change it with the layout).
TABLE_VERSION = "entity graph v2"
_TEXT_FIELDS = ("label", "label_en", "title", "aliases")


def _to_table(graph: "nx.Graph") -> dict[str, list]:
    """The entity graph as JSON data: node fields as columns, types, parents and predicates
    by number, and the edges as one flat list of numbers (a, b, predicate × 2 + forward,
    weight per edge).

    Columns of numbers cost a loading process a tenth of the objects that rows of strings
    do, and the strings it keeps are the ones it read: on a corpus the graph takes 160 MB
    instead of 234 MB.
    """
    names = list(graph)
    number = {n: i for i, n in enumerate(names)}
    nodes = [d for _n, d in graph.nodes(data=True)]
    types = sorted({d["type"] for d in nodes})
    type_code = {t: i for i, t in enumerate(types)}
    edges = sorted((min(a, b), max(a, b), d)  # as entity_graph adds them
                   for a, b, d in graph.edges(data=True))
    predicates = sorted({d["predicate"] for _a, _b, d in edges})
    code = {p: i for i, p in enumerate(predicates)}
    return {"names": names, "types": types, "type": [type_code[d["type"]] for d in nodes],
            "parent": [number[d["parent"]] if d["parent"] else -1 for d in nodes],
            **{field: [d[field] for d in nodes] for field in _TEXT_FIELDS},
            "predicates": predicates,
            "edges": [x for a, b, d in edges
                      for x in (number[a], number[b],
                                code[d["predicate"]] * 2 + int(d["source"] == a), d["weight"])]}


def _from_table(table: dict[str, list]) -> "nx.Graph | None":
    """The graph :func:`_to_table` saved, or ``None`` when the data does not fit."""
    try:
        names, types, predicates = table["names"], table["types"], table["predicates"]
        columns = [table[field] for field in _TEXT_FIELDS]
        if any(len(c) != len(names) for c in (table["type"], table["parent"], *columns)):
            return None
        graph = graph_class()()
        # filled as networkx's documented structure for subclasses: one attribute object per
        # node and edge, made once (add_nodes_from and add_edges_from copy each twice)
        node, adjacency = graph._node, graph._adj
        for name, t, parent, *texts in zip(names, table["type"], table["parent"], *columns):
            node[name] = _NodeFields(types[t], names[parent] if parent >= 0 else "", *texts)
            adjacency[name] = {}
        edges = table["edges"]
        weights: dict[float, float] = {}  # one float object per weight
        for i in range(0, len(edges) - 3, 4):
            a, b, code = names[edges[i]], names[edges[i + 1]], edges[i + 2]
            data = _EdgeFields(predicates[code >> 1], a if code & 1 else b,
                               weights.setdefault(edges[i + 3], edges[i + 3]))
            adjacency[a][b] = adjacency[b][a] = data
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return graph


def load_entity_graph(store: Any, tables: Tables | None = None) -> "nx.Graph":
    """The entity graph of ``store``: from its saved table when there is one, else read from
    the store (and then saved for the next process)."""
    tables = tables or Tables(None)
    table = tables.saved(TABLE_NAME, TABLE_VERSION)
    graph = _from_table(table) if table is not None else None
    del table
    if graph is None:
        graph = entity_graph(store)
        tables.save(TABLE_NAME, TABLE_VERSION, _to_table(graph))
    return graph


def node_links(view: "nx.Graph") -> list[dict[str, str]]:
    """The edges of a view as node-link ``links`` (source, target, predicate), in a stable order.

    An edge keeps the direction it had in the RDF triple (its ``source`` attribute).
    """
    links = []
    for a, b, data in view.edges(data=True):
        source, target = (a, b) if data["source"] == a else (b, a)
        links.append({"source": source, "target": target, "predicate": data["predicate"]})
    links.sort(key=lambda link: (link["source"], link["target"], link["predicate"]))
    return links
