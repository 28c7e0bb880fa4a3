"""Graph views people can read: a document's task–entity map, and bounded views around one node.

Services layer: each function receives the entity–task graph (``kg.entity_graph``,
networkx) and returns node-link JSON with a layout. Nodes carry both names and
their aliases, so a highlight by name also finds 进博会 under 中国国际进口博览会.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from .entity_graph import ENTITY_NODE_TYPES, UNIT_NODE_TYPES, node_links
from .errors import NotFound, PolicyKGError

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = ["document_map", "ego_view", "names_matching", "DEFAULT_LIMIT", "MAX_LIMIT"]

#: Nodes a view shows at first, and at most ("show more" raises the limit step by step).
DEFAULT_LIMIT = 80
MAX_LIMIT = 400
#: Nodes a depth-2 view shows but does not expand: every unit of a document reaches
#: every other through them, which is how 东华大学 at depth 2 pulled in the whole document.
_HUBS = ("document", "topic", "part", "chapter", "section")
#: Units a document map shows (parts, principles and goals would add hubs without tasks).
_MAP_UNITS = ("section", "chapter", "task", "article")
_SEED = 42


def _names(data: dict) -> list[str]:
    return [n for n in (data.get("label"), data.get("label_en"), data.get("title"),
                        *(data.get("aliases") or "").split("|")) if n]


def names_matching(graph: "nx.Graph", text: str) -> set[str]:
    """Nodes one of whose names (label, English label, title or alias) contains ``text``."""
    needle = (text or "").strip().casefold()
    if not needle:
        return set()
    return {n for n, data in graph.nodes(data=True)
            if any(needle in name.casefold() for name in _names(data))}


def _resolve(graph: "nx.Graph", name: str) -> str:
    """The node for an IRI or a name: an exact name first (entities before units), then a part."""
    if name in graph:
        return name
    wanted = name.strip().casefold()
    exact, partial = [], []
    for n, data in graph.nodes(data=True):
        names = [x.casefold() for x in _names(data)]
        rank = (data["type"] not in ENTITY_NODE_TYPES, data["type"] == "topic", n)
        if wanted in names:
            exact.append(rank)
        elif wanted and any(wanted in x for x in names):
            partial.append((min(len(x) for x in names if wanted in x), *rank))
    if exact:
        return min(exact)[2]
    if partial:
        return min(partial)[3]
    raise NotFound(f"图中没有名为 {name!r} 的节点 · nothing named {name!r} in the graph "
                   "(give a name, an alias or an IRI)")


def _document_of(graph: "nx.Graph", node: str) -> str | None:
    """The document a unit belongs to (following ``parent`` links)."""
    seen = set()
    while node and node not in seen:
        seen.add(node)
        data = graph.nodes[node]
        if data["type"] == "document":
            return node
        node = data.get("parent") or ""
    return None


def document_map(graph: "nx.Graph", document: str | None = None, *,
                 highlight: Iterable[str] = (), limit: int = MAX_LIMIT) -> dict:
    """One document's task–entity map: its sections and tasks as hubs, the entities they name.

    Args:
        graph: the entity–task graph.
        document: the document's IRI, title or id (``/doc/<id>``); ``None`` for the document
            with most tasks.
        highlight: node IRIs to mark.
        limit: most entity nodes (the most connected kept).

    Returns:
        ``{"nodes": [{"id", "label", "label_en", "type", "group", "hub", "x", "y",
        "highlight"}], "links": [...], "document": iri, "more": n, "mode": "map"}``;
        ``group`` is the section a node belongs to (its first one for shared entities).

    Raises:
        NotFound: no such document in the graph.
    """
    documents = [n for n, d in graph.nodes(data=True) if d["type"] == "document"]
    if document:
        wanted = document.strip()
        matches = [n for n in documents if wanted in (n, graph.nodes[n]["title"], graph.nodes[n]["label"])
                   or n.endswith("/doc/" + wanted)]  # or the id of its page's address
        if not matches:
            raise NotFound(f"没有这份文档 · no document {document!r} in the graph")
        doc = matches[0]
    elif documents:
        units_of = {d: 0 for d in documents}
        for n, data in graph.nodes(data=True):
            if data["type"] == "task":
                owner = _document_of(graph, n)
                if owner in units_of:
                    units_of[owner] += 1
        doc = max(sorted(documents), key=lambda d: units_of[d])
    else:
        return {"nodes": [], "links": [], "document": None, "more": 0, "mode": "map"}
    units = {n for n, data in graph.nodes(data=True)
             if data["type"] in _MAP_UNITS and _document_of(graph, n) == doc}
    group: dict[str, str] = {}
    for unit in sorted(units, key=lambda u: graph.nodes[u].get("position", 0) or 0):
        chain = unit
        while chain and graph.nodes[chain]["type"] not in ("section", "chapter", "part"):
            chain = graph.nodes[chain].get("parent") or ""
        group[unit] = chain or unit
    entities: dict[str, int] = {}
    for unit in units:
        for m in graph.adj[unit]:
            if graph.nodes[m]["type"] in ENTITY_NODE_TYPES:
                entities[m] = entities.get(m, 0) + 1
    ranked = sorted(entities, key=lambda e: (-entities[e], e))
    kept = ranked[:limit]
    for e in kept:
        group[e] = min((group[u] for u in graph.adj[e] if u in units), default="")
    view = graph.subgraph(units | set(kept))
    # a section without tasks or entities (指导思想, 总体目标) would only float alone
    view = view.subgraph([n for n in view if view.degree(n) > 0 or len(view) == 1])
    result = _node_link(view, set(highlight), group=group, hubs=units)
    result.update(document=doc, more=len(ranked) - len(kept), mode="map")
    return result


def ego_view(graph: "nx.Graph", centre: str, *, depth: int = 1, limit: int = DEFAULT_LIMIT,
             types: Iterable[str] | None = None, highlight: Iterable[str] = ()) -> dict:
    """The nodes around ``centre`` (an IRI, name or alias) up to ``depth`` 1 or 2, bounded.

    The second ring is reached through entities and tasks only (documents,
    topics and sections are shown, not crossed); it is ranked by how many
    first-ring nodes each node touches, and cut to ``limit`` nodes in all;
    ``more`` says how many were left out.

    Raises:
        NotFound: nothing in the graph has that IRI or name.
        PolicyKGError: ``depth`` is not 1 or 2, or ``limit`` is out of range.
    """
    if depth not in (1, 2):
        raise PolicyKGError(f"depth must be 1 or 2, not {depth!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise PolicyKGError(f"limit must be between 1 and {MAX_LIMIT}, not {limit!r}")
    wanted = {t.strip().lower() for t in types or () if t.strip()} or None
    if wanted:
        wanted = {x for t in wanted for x in (ENTITY_NODE_TYPES if t in ("entity", "entities")
                                              else UNIT_NODE_TYPES if t in ("unit", "units") else (t,))}
    node = _resolve(graph, centre)

    def allowed(n: str) -> bool:
        return wanted is None or graph.nodes[n]["type"] in wanted

    first = sorted((m for m in graph.adj[node] if allowed(m)),
                   key=lambda m: (-graph.degree(m) if graph.nodes[m]["type"] in _HUBS else 0, m))
    second: dict[str, int] = {}
    if depth == 2:
        for m in first:
            if graph.nodes[m]["type"] in _HUBS:
                continue
            for x in graph.adj[m]:
                if x != node and x not in graph.adj[node] and allowed(x):
                    second[x] = second.get(x, 0) + 1
    ranked = first + sorted(second, key=lambda x: (-second[x], graph.nodes[x]["type"] in _HUBS, x))
    kept = ranked[:limit - 1]
    view = graph.subgraph({node, *kept})
    result = _node_link(view, {node, *highlight}, hubs={node})
    result.update(centre=node, more=len(ranked) - len(kept), mode="ego")
    return result


def _node_link(view: "nx.Graph", marked: set[str], *, group: dict[str, str] | None = None,
               hubs: Iterable[str] = ()) -> dict:
    """Node-link JSON of ``view``, laid out with a fixed seed (groups start side by side)."""
    import math

    import networkx as nx

    hubs = set(hubs)
    order = sorted(view)
    start = None
    if group:  # each section starts on its own spot of a circle, so the map reads by section
        names = sorted(set(group.values()))
        spot = {g: (math.cos(2 * math.pi * i / max(1, len(names))),
                    math.sin(2 * math.pi * i / max(1, len(names)))) for i, g in enumerate(names)}
        start = {n: spot.get(group.get(n, ""), (0.0, 0.0)) for n in order}
    if len(order) > 1:
        pos = nx.spring_layout(view, pos=start, seed=_SEED, weight=None,
                               k=1.6 / math.sqrt(len(order)))
    else:
        pos = {n: (0.0, 0.0) for n in order}
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 or 1.0
    nodes = []
    for n in order:
        data = view.nodes[n]
        nodes.append({"id": n, "label": data["label"], "label_en": data.get("label_en") or "",
                      "aliases": [a for a in (data.get("aliases") or "").split("|") if a],
                      "type": data["type"], "group": (group or {}).get(n, ""), "hub": n in hubs,
                      "x": round(float(pos[n][0] - cx) / half, 4),
                      "y": round(float(pos[n][1] - cy) / half, 4), "highlight": n in marked})
    links = node_links(view)
    return {"nodes": nodes, "links": links, "truncated": False}
