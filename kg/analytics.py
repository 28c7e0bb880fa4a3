"""Views of the entity–task graph: node-link neighbourhoods with a layout, centrality,
shortest connections and communities (networkx).

Every function takes the graph of :func:`kg.entity_graph.entity_graph` (or its
saved copy, :func:`kg.entity_graph.load_entity_graph`) and reads nothing else.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from .entity_graph import ENTITY_NODE_TYPES, NODE_TYPES, UNIT_NODE_TYPES, node_links
from .errors import NotFound, PolicyKGError

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = ["neighbourhood", "stats", "shortest_connection", "communities",
           "NODE_TYPES", "ENTITY_NODE_TYPES", "UNIT_NODE_TYPES", "MAX_LAYOUT_NODES"]

#: Filter words that stand for several node types (and English/extraction spellings).
_TYPE_ALIASES = {
    "entity": ENTITY_NODE_TYPES, "entities": ENTITY_NODE_TYPES,
    "unit": UNIT_NODE_TYPES, "units": UNIT_NODE_TYPES,
    "organisation": ("organization",), "documentreference": ("reference",),
    "concept": ("topic",), "program": ("programme",),
}
#: Above this many nodes, views keep the best-connected nodes only (a force
#: layout of more is slow to compute and unreadable in a browser).
MAX_LAYOUT_NODES = 500
#: Betweenness is exact up to this many nodes, estimated from a sample of
#: sources (fixed seed) up to ``_BETWEENNESS_MAX_NODES``, and skipped beyond.
_BETWEENNESS_EXACT_NODES = 1000
_BETWEENNESS_SAMPLE = 64
_BETWEENNESS_MAX_NODES = 20000
_SEED = 42

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


def neighbourhood(graph: "nx.Graph", iri: str | None = None, *, depth: int = 1,
                  types: Iterable[str] | None = None, area: str | None = None,
                  highlight: Iterable[str] = ()) -> dict:
    """A node-link view of the graph, whole or around one node, with a layout.

    Args:
        graph: the entity–task graph.
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
    keep, truncated = _cap(graph, keep, centre)
    return _node_link(graph if keep is None else graph.subgraph(keep), set(highlight), truncated)


def _cap(graph: "nx.Graph", keep: set[str] | None,
         centre: str | None) -> tuple[set[str] | None, bool]:
    """``keep`` cut to its ``MAX_LAYOUT_NODES`` best-connected nodes (the centre kept)."""
    if len(graph if keep is None else keep) <= MAX_LAYOUT_NODES:
        return keep, False
    if keep is None:
        degree = dict(graph.degree())
    else:
        degree = {n: sum(1 for m in graph.adj[n] if m in keep) for n in keep}
    ranked = sorted(degree, key=lambda n: (-degree[n], n))[:MAX_LAYOUT_NODES]
    if centre is not None and centre not in ranked:
        ranked[-1] = centre
    return set(ranked), True


def _node_link(view: "nx.Graph", marked: set[str], truncated: bool) -> dict:
    """The node-link JSON of ``view`` with its layout."""
    pos = _layout(view)
    nodes = [{"id": n, "label": view.nodes[n]["label"], "type": view.nodes[n]["type"],
              "x": pos[n][0], "y": pos[n][1], "highlight": n in marked}
             for n in sorted(view)]
    links = node_links(view)
    return {"nodes": nodes, "links": links, "truncated": truncated}


def _node(graph: "nx.Graph", iri: str) -> dict:
    data = graph.nodes[iri]
    return {"iri": iri, "label": data["label"], "type": data["type"]}


def stats(graph: "nx.Graph", *, top: int = 10) -> dict:
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


def shortest_connection(graph: "nx.Graph", a: str, b: str) -> list[dict]:
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


def communities(graph: "nx.Graph") -> list[list[dict]]:
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
