"""Export the whole graph: RDF (named graphs kept or merged) or the entity–task graph for Gephi."""
from __future__ import annotations

import json
from typing import Any, BinaryIO

from .errors import PolicyKGError

__all__ = ["export", "FORMATS", "RDF_FORMATS", "GRAPH_FORMATS"]

#: RDF formats written by the store: trig and nq keep one named graph per
#: document; ttl, nt and jsonld hold the union of all graphs.
RDF_FORMATS = ("trig", "nq", "ttl", "nt", "jsonld")
#: The entity–task graph of ``kg.analytics.entity_graph``: GraphML (Gephi, yEd)
#: and networkx node-link JSON.
GRAPH_FORMATS = ("graphml", "json")
FORMATS = RDF_FORMATS + GRAPH_FORMATS
_ALIASES = {"turtle": "ttl", "nquads": "nq", "ntriples": "nt", "json-ld": "jsonld",
            "node-link": "json"}


def export(kg: Any, fmt: str, out: BinaryIO) -> None:
    """Write the whole graph to ``out`` in ``fmt`` (one of ``FORMATS``).

    Args:
        kg: the knowledge graph.
        fmt: trig, nq, ttl, nt, jsonld (RDF) or graphml, json (entity–task graph).
        out: a binary file (bytes are written, UTF-8 for text formats).

    Raises:
        PolicyKGError: an unknown format.
    """
    key = _ALIASES.get(fmt.lower(), fmt.lower()) if isinstance(fmt, str) else fmt
    if key in RDF_FORMATS:
        out.write(kg.store.serialize(key))
        return
    if key not in GRAPH_FORMATS:
        raise PolicyKGError(f"cannot export as {fmt!r}; choose one of {', '.join(FORMATS)}")
    from .analytics import entity_graph

    graph = entity_graph(kg)
    if key == "graphml":
        import networkx as nx

        nx.write_graphml(graph, out, encoding="utf-8")
        return
    from networkx.readwrite import json_graph

    data = json_graph.node_link_data(graph, edges="links")
    out.write(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))
