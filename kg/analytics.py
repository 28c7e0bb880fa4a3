"""The entity–task graph: node-link views, centrality, paths and communities (networkx).

The graph is read from the store with one SPARQL query. Its nodes are the
documents, their structural units, the entities they mention and the topics
they are linked to; its edges are ``dcterms:isPartOf`` (unit → parent),
``pol:mentions`` (unit or document → entity), the typed relations
(``pol:reliesOn`` …), ``dcterms:publisher`` and ``dcterms:subject`` (→ topic).
Sentences and annotations are left out. The graph is undirected; each edge
remembers the predicate and the direction of the triple it comes from.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from .errors import NotFound, PolicyKGError
from .vocab import PREFIXES, curie

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = ["entity_graph", "neighbourhood", "stats", "shortest_connection", "communities",
           "save_graph_table",
           "NODE_TYPES", "ENTITY_NODE_TYPES", "UNIT_NODE_TYPES", "MAX_LAYOUT_NODES"]

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
_TYPE_OF = dict(_CLASS_TYPES)

UNIT_NODE_TYPES = ("part", "chapter", "section", "task", "principle", "goal", "article",
                   "item", "paragraph", "unit")
ENTITY_NODE_TYPES = ("organization", "place", "event", "reference", "programme")
#: Every node type, as used in ``types`` filters and in the ``type`` of nodes.
NODE_TYPES = ("document", *UNIT_NODE_TYPES, *ENTITY_NODE_TYPES, "topic")
#: Filter words that stand for several node types (and English/extraction spellings).
_TYPE_ALIASES = {
    "entity": ENTITY_NODE_TYPES, "entities": ENTITY_NODE_TYPES,
    "unit": UNIT_NODE_TYPES, "units": UNIT_NODE_TYPES,
    "organisation": ("organization",), "documentreference": ("reference",),
    "concept": ("topic",), "program": ("programme",),
}

#: Edge predicates, most specific first (the one kept when a pair has several).
_EDGE_PREDICATES = (
    "pol:reliesOn", "pol:hosts", "pol:develops", "pol:cooperatesWith", "pol:implements",
    "pol:issuedBy", "dcterms:publisher", "dcterms:isPartOf", "dcterms:subject", "pol:mentions",
)
_LABEL_PREDICATES = ("rdfs:label", "skos:prefLabel", "skos:altLabel", "dcterms:title")
_HUB_TYPES = ("document", "topic")  # edges touching these cost more in shortest paths

#: Above this many nodes, views keep the best-connected nodes only (a force
#: layout of more is slow to compute and unreadable in a browser).
MAX_LAYOUT_NODES = 500
#: Betweenness is exact up to this many nodes, estimated from a sample of
#: sources (fixed seed) up to ``_BETWEENNESS_MAX_NODES``, and skipped beyond.
_BETWEENNESS_EXACT_NODES = 1000
_BETWEENNESS_SAMPLE = 64
_BETWEENNESS_MAX_NODES = 20000
_SEED = 42


def _expand(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return PREFIXES[prefix] + local


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


#: Layout of the saved entity graph (see :func:`_to_table`; change it with the layout).
_TABLE_VERSION = "entity graph v1"
_NODE_FIELDS = ("type", "parent", "label", "label_en", "title", "aliases")


def _to_table(graph: "nx.Graph") -> dict[str, list]:
    """The entity graph as JSON data: node rows, and edges by node number."""
    number = {n: i for i, n in enumerate(graph)}
    return {"nodes": [[n, *(d[f] for f in _NODE_FIELDS)] for n, d in graph.nodes(data=True)],
            "edges": [[number[a], number[b], d["predicate"], int(d["source"] == a), d["weight"]]
                      for a, b, d in sorted((min(a, b), max(a, b), d)  # as entity_graph adds them
                                            for a, b, d in graph.edges(data=True))]}


def _from_table(table: dict[str, list]) -> "nx.Graph | None":
    """The graph :func:`_to_table` saved, or ``None`` when the data does not fit."""
    import networkx as nx

    try:
        graph = nx.Graph()
        names = [row[0] for row in table["nodes"]]
        graph.add_nodes_from((row[0], dict(zip(_NODE_FIELDS, row[1:], strict=True)))
                             for row in table["nodes"])
        graph.add_edges_from(
            (names[a], names[b], {"predicate": p, "source": names[a] if forward else names[b],
                                  "weight": w})
            for a, b, p, forward, w in table["edges"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return graph


def save_graph_table(kg: Any) -> None:
    """Read the entity graph from the store and save it beside the store (:mod:`kg.cache`)."""
    from .cache import save_table

    save_table(kg, "graph", _TABLE_VERSION, _to_table(entity_graph(kg)))


def _graph_of(kg: Any) -> "nx.Graph":
    """The entity graph of ``kg``, read once and kept on it (a build drops it).

    It is also saved beside the store for the next process (:mod:`kg.cache`).
    """
    graph = getattr(kg, "_entity_graph", None)
    if graph is not None:
        return graph
    lock = getattr(kg, "_load_lock", None)
    if lock is not None:
        with lock:  # one thread reads it; the others wait for it
            graph = getattr(kg, "_entity_graph", None)
            return graph if graph is not None else _read_graph(kg)
    return _read_graph(kg)


def _read_graph(kg: Any) -> "nx.Graph":
    """The entity graph from the saved file or the store, kept on ``kg``."""
    from .cache import save_table, saved_table

    table = saved_table(kg, "graph", _TABLE_VERSION)
    graph = _from_table(table) if table is not None else None
    del table
    if graph is None:
        graph = entity_graph(kg)
        save_table(kg, "graph", _TABLE_VERSION, _to_table(graph))
    try:
        kg._entity_graph = graph
    except AttributeError:  # an object without attributes: read every time
        pass
    return graph


def entity_graph(kg: Any) -> "nx.Graph":
    """The entity–task graph of the store as an undirected networkx graph.

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

    rdf_type = PREFIXES["rdf"] + "type"
    ranks: dict[str, int] = {}
    labels: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
    edges: dict[tuple[str, str], tuple[int, str, str]] = {}
    parent: dict[str, str] = {}
    edge_rank = {_expand(p): i for i, p in enumerate(_EDGE_PREDICATES)}
    label_of = {_expand(p): p for p in _LABEL_PREDICATES}
    part_of = _expand("dcterms:isPartOf")

    same: dict[str, str] = {}  # one string object per IRI, however many edges name it
    for row in kg.store.select_rows(_query()):
        s, p, o = same.setdefault(row["s"], row["s"]), row["p"], row["o"]
        if p == rdf_type:
            rank = _TYPE_RANK.get(o)
            if rank is not None and rank < ranks.get(s, len(_TYPE_RANK)):
                ranks[s] = rank
        elif p in label_of:
            if row["oi"] != "true":
                labels.setdefault(s, {}).setdefault(label_of[p], []).append(
                    (o, row["lang"] or None))
        elif row["oi"] == "true" and s != o:
            o = same.setdefault(o, o)
            if p == part_of:
                parent.setdefault(s, o)
            key = (min(s, o), max(s, o))
            candidate = (edge_rank[p], curie(p), s)
            if key not in edges or candidate < edges[key]:
                edges[key] = candidate

    types = {iri: _CLASS_TYPES[rank][1] for iri, rank in ranks.items()}
    linked = {iri for pair in edges for iri in pair if pair[0] in types and pair[1] in types}
    nodes = sorted(iri for iri, t in types.items() if t != "topic" or iri in linked)
    keep = set(nodes)

    graph = nx.Graph()
    for iri in nodes:
        graph.add_node(iri, type=types[iri], parent=parent.get(iri, "") if parent.get(iri) in keep
                       else "", **_labels(iri, labels.get(iri, {})))
    for (a, b), (_rank, predicate, source) in sorted(edges.items()):
        if a in keep and b in keep:
            if types[a] in _HUB_TYPES or types[b] in _HUB_TYPES:
                weight = 3.0
            elif predicate == "dcterms:isPartOf":
                weight = 1.5
            else:
                weight = 1.0
            graph.add_edge(a, b, predicate=predicate, source=source, weight=weight)
    return graph


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


# -- views ----------------------------------------------------------------------

def _normalise_types(types: Iterable[str] | None) -> set[str] | None:
    if types is None:
        return None
    wanted: set[str] = set()
    for raw in types:
        for word in str(raw).replace(",", " ").split():
            key = word.strip().lower()
            if key in NODE_TYPES:
                wanted.add(key)
            elif key in _TYPE_ALIASES:
                wanted.update(_TYPE_ALIASES[key])
            else:
                raise PolicyKGError(f"unknown node type {word!r}; choose from "
                                    f"{', '.join(NODE_TYPES)} or entity")
    return wanted or None


def _area_nodes(graph: "nx.Graph", area: str) -> set[str]:
    """The units inside ``area`` (a unit IRI, title or label) and the nodes linked to them."""
    units = [n for n, d in graph.nodes(data=True) if d["type"] in UNIT_NODE_TYPES]
    if area in graph and graph.nodes[area]["type"] in UNIT_NODE_TYPES:
        roots = {area}
    else:
        wanted = area.strip()
        roots = {n for n in units
                 if wanted in (graph.nodes[n]["title"], graph.nodes[n]["label"])}
        if not roots:
            roots = {n for n in units if wanted and wanted in graph.nodes[n]["label"]}
    if not roots:
        raise NotFound(f"no section or unit named {area!r} in the graph")
    inside = set(roots)
    for unit in units:
        chain, seen = unit, set()
        while chain and chain not in seen:
            if chain in roots:
                inside.add(unit)
                break
            seen.add(chain)
            chain = graph.nodes[chain]["parent"] if chain in graph else ""
    around = {m for u in inside for m in graph.neighbors(u)
              if graph.nodes[m]["type"] not in UNIT_NODE_TYPES + ("document",)}
    return inside | around


def _layout(graph: "nx.Graph") -> dict[str, tuple[float, float]]:
    """Spring layout with a fixed seed, scaled so every coordinate is in [-1, 1]."""
    import networkx as nx

    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_nodes() == 1:
        return {next(iter(graph)): (0.0, 0.0)}
    pos = nx.spring_layout(graph, seed=_SEED, weight=None)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 or 1.0
    return {n: (round(float(p[0] - cx) / half, 4), round(float(p[1] - cy) / half, 4))
            for n, p in pos.items()}


def neighbourhood(kg: Any, iri: str | None = None, *, depth: int = 1,
                  types: Iterable[str] | None = None, area: str | None = None,
                  highlight: Iterable[str] = ()) -> dict:
    """A node-link view of the graph, whole or around one node, with a layout.

    Args:
        kg: the knowledge graph (its ``store`` is queried).
        iri: the centre (IRI, or a label or alias of an entity); ``None`` for the whole graph.
        depth: 1 or 2, the radius of the ego network around ``iri``.
        types: keep only these node types (``NODE_TYPES``; "entity" stands for all
            entity types); the centre is always kept.
        area: keep only the units inside a section (its IRI, title or label) and
            the entities and topics they link to.
        highlight: IRIs to mark with ``highlight: true``.

    Returns:
        ``{"nodes": [{"id", "label", "type", "x", "y", "highlight"}],
        "links": [{"source", "target", "predicate"}], "truncated": bool}``,
        sorted by id; x and y in [-1, 1].

    Raises:
        NotFound: ``iri`` or ``area`` is not in the graph.
        PolicyKGError: ``depth`` is not 1 or 2, or an unknown type is asked for.
    """
    if depth not in (1, 2):
        raise PolicyKGError(f"depth must be 1 or 2, not {depth!r}")
    wanted = _normalise_types(types)
    graph = _graph_of(kg)
    centre = _resolve(graph, iri) if iri is not None else None
    # sets of node IRIs rather than nested subgraph views: on a corpus-sized
    # graph every view of a view filters each neighbour again
    keep: set[str] | None = None
    if area:
        keep = _area_nodes(graph, area)
        if centre is not None:
            keep.add(centre)
    if centre is not None:
        ball, frontier = {centre}, [centre]
        for _ in range(depth):
            frontier = [m for n in frontier for m in graph.adj[n]
                        if m not in ball and (keep is None or m in keep) and not ball.add(m)]
        keep = ball
    if wanted is not None:
        keep = {n for n in (graph if keep is None else keep)
                if graph.nodes[n]["type"] in wanted or n == centre}
    truncated = False
    if len(graph if keep is None else keep) > MAX_LAYOUT_NODES:
        if keep is None:
            degree = dict(graph.degree())
        else:
            degree = {n: sum(1 for m in graph.adj[n] if m in keep) for n in keep}
        ranked = sorted(degree, key=lambda n: (-degree[n], n))[:MAX_LAYOUT_NODES]
        if centre is not None and centre not in ranked:
            ranked[-1] = centre
        keep = set(ranked)
        truncated = True
    view = graph if keep is None else graph.subgraph(keep)
    pos = _layout(view)
    marked = set(highlight)
    nodes = [{"id": n, "label": view.nodes[n]["label"], "type": view.nodes[n]["type"],
              "x": pos[n][0], "y": pos[n][1], "highlight": n in marked}
             for n in sorted(view)]
    links = []
    for a, b, data in view.edges(data=True):
        source, target = (a, b) if data["source"] == a else (b, a)
        links.append({"source": source, "target": target, "predicate": data["predicate"]})
    links.sort(key=lambda link: (link["source"], link["target"], link["predicate"]))
    return {"nodes": nodes, "links": links, "truncated": truncated}


def _node(graph: "nx.Graph", iri: str) -> dict:
    data = graph.nodes[iri]
    return {"iri": iri, "label": data["label"], "type": data["type"]}


def stats(kg: Any, *, top: int = 10) -> dict:
    """Sizes of the entity–task graph and its most central entities.

    Returns:
        ``{"nodes", "edges", "components", "nodes_by_type": {type: n},
        "edges_by_predicate": {curie: n}, "top_degree": [{"iri", "label", "type",
        "degree"}], "top_betweenness": [{"iri", "label", "type", "betweenness"}],
        "betweenness": "exact" | "sampled" | "skipped"}``; rankings are over
        entities only, ties by IRI. Betweenness is exact up to 1000 nodes,
        estimated from 64 sampled sources (fixed seed) up to 20000 nodes, and
        skipped (empty ranking) beyond.
    """
    import networkx as nx

    graph = _graph_of(kg)
    by_type: dict[str, int] = {}
    for _n, t in graph.nodes(data="type"):
        by_type[t] = by_type.get(t, 0) + 1
    by_predicate: dict[str, int] = {}
    for _a, _b, p in graph.edges(data="predicate"):
        by_predicate[p] = by_predicate.get(p, 0) + 1
    entities = [n for n, t in graph.nodes(data="type") if t in ENTITY_NODE_TYPES]
    n = graph.number_of_nodes()
    if n <= _BETWEENNESS_EXACT_NODES:
        mode, betweenness = "exact", nx.betweenness_centrality(graph) if n else {}
    elif n <= _BETWEENNESS_MAX_NODES:
        mode = "sampled"
        betweenness = nx.betweenness_centrality(graph, k=_BETWEENNESS_SAMPLE, seed=_SEED)
    else:
        mode, betweenness = "skipped", {}
    by_degree = sorted(entities, key=lambda e: (-graph.degree(e), e))[:top]
    by_between = sorted((e for e in entities if e in betweenness),
                        key=lambda e: (-betweenness[e], e))[:top]
    return {
        "nodes": n,
        "edges": graph.number_of_edges(),
        "components": nx.number_connected_components(graph) if n else 0,
        "nodes_by_type": dict(sorted(by_type.items())),
        "edges_by_predicate": dict(sorted(by_predicate.items())),
        "top_degree": [{**_node(graph, e), "degree": graph.degree(e)} for e in by_degree],
        "top_betweenness": [{**_node(graph, e), "betweenness": round(betweenness[e], 6)}
                            for e in by_between],
        "betweenness": mode,
    }


def _resolve(graph: "nx.Graph", name: str) -> str:
    """The node for an IRI, label or alias (entities preferred, then by IRI).

    Raises:
        NotFound: nothing in the graph has that IRI or name.
    """
    if name in graph:
        return name
    wanted = name.strip().casefold()
    found = []
    for n, data in graph.nodes(data=True):
        names = {data["label"], data["label_en"], data["title"], *data["aliases"].split("|")}
        if wanted and wanted in {x.casefold() for x in names if x}:
            found.append((data["type"] not in ENTITY_NODE_TYPES, data["type"] == "topic", n))
    if not found:
        raise NotFound(f"nothing named {name!r} in the graph (give an IRI, a label or an alias)")
    return min(found)[2]


def shortest_connection(kg: Any, a: str, b: str) -> list[dict]:
    """The shortest chain of links between two nodes (IRIs, labels or aliases).

    Paths through shared entities are preferred to paths through the outline
    (sections), and both to paths through a whole document or a topic (see
    the edge weights of :func:`entity_graph`).

    Returns:
        One step per node from ``a`` to ``b``: ``{"iri", "label", "type",
        "predicate", "inverse"}``, where ``predicate`` (a CURIE, ``None`` on the
        first step) links the previous step to this one and ``inverse`` is true
        when the triple points from this step back to the previous one.

    Raises:
        NotFound: a name is unknown, or the two are not connected.
    """
    import networkx as nx

    graph = _graph_of(kg)
    start, end = _resolve(graph, a), _resolve(graph, b)
    try:
        path = nx.dijkstra_path(graph, start, end, weight="weight")
    except nx.NetworkXNoPath:
        raise NotFound(f"no connection between {a!r} and {b!r} in the graph") from None
    steps = []
    for i, node in enumerate(path):
        step = {**_node(graph, node), "predicate": None, "inverse": False}
        if i:
            edge = graph.edges[path[i - 1], node]
            step["predicate"] = edge["predicate"]
            step["inverse"] = edge["source"] == node
        steps.append(step)
    return steps


def communities(kg: Any) -> list[list[dict]]:
    """Communities of tasks and entities (greedy modularity), largest first.

    The graph used holds the leaf units (tasks, principles, goals, articles,
    items, paragraphs) and the entities they are linked to; documents, sections
    and topics are left out so that communities follow shared entities rather
    than the document outline. Communities of one node are dropped.

    Returns:
        Lists of ``{"iri", "label", "type"}``: units first, then entities, each by label.
    """
    import networkx as nx
    from networkx.algorithms.community import greedy_modularity_communities

    graph = _graph_of(kg)
    leaves = ("task", "principle", "goal", "article", "item", "paragraph")
    members = sorted(n for n, t in graph.nodes(data="type") if t in leaves + ENTITY_NODE_TYPES)
    sub = nx.Graph()
    sub.add_nodes_from(members)
    sub.add_edges_from(sorted((min(x, y), max(x, y)) for x, y in graph.subgraph(members).edges))
    sub.remove_nodes_from([n for n in members if sub.degree(n) == 0])
    if sub.number_of_edges() == 0:
        return []
    found = greedy_modularity_communities(sub)
    out = []
    for group in found:
        if len(group) < 2:
            continue
        nodes = [_node(graph, n) for n in group]
        nodes.sort(key=lambda d: (d["type"] in ENTITY_NODE_TYPES, d["label"], d["iri"]))
        out.append(nodes)
    out.sort(key=lambda c: (-len(c), c[0]["label"], c[0]["iri"]))
    return out
