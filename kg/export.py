"""Export the whole graph: RDF (named graphs kept or merged) or the entity–task graph for Gephi."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

from .errors import PolicyKGError
from .formats import Format, by_name

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = ["export", "export_format", "FORMATS", "RDF_FORMATS", "GRAPH_FORMATS"]

#: RDF formats written by the store: trig and nq keep one named graph per
#: document; ttl, nt and jsonld hold the union of all graphs.
RDF_FORMATS = ("trig", "nq", "ttl", "nt", "jsonld")
#: The entity–task graph of ``kg.entity_graph``: GraphML (Gephi, yEd) and
#: networkx node-link JSON (``json``).
GRAPH_FORMATS = ("graphml", "json")
FORMATS = RDF_FORMATS + GRAPH_FORMATS


def export_format(name: str) -> Format:
    """The format an export named ``name`` writes (``json`` is node-link JSON here).

    Raises:
        PolicyKGError: (kind ``invalid``) no export format has that name.
    """
    key = (name or "").strip().lower() if isinstance(name, str) else ""
    fmt = by_name("nodelink" if key == "json" else key)
    if fmt is None or fmt.kind not in ("graph", "dataset", "network"):
        raise PolicyKGError(f"cannot export as {name!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def export(fmt: str, out: BinaryIO, *, store: Any,
           entity_graph: Callable[[], "nx.Graph"]) -> None:
    """Write the whole graph to ``out`` in ``fmt`` (one of ``FORMATS``).

    Args:
        fmt: trig, nq, ttl, nt, jsonld (RDF) or graphml, json (entity–task graph).
        out: a binary file (bytes are written, UTF-8 for text formats).
        store: the ``GraphStore`` (RDF formats; the build index is left out).
        entity_graph: gives the entity–task graph (network formats).

    Raises:
        PolicyKGError: an unknown format.
    """
    format_ = export_format(fmt)
    if format_.kind != "network":
        out.write(store.serialize(format_.name))
        return
    graph = entity_graph()
    if format_.name == "graphml":
        import networkx as nx

        nx.write_graphml(graph, out, encoding="utf-8")
        return
    from networkx.readwrite import json_graph

    data = json_graph.node_link_data(graph, edges="links")
    out.write(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))
