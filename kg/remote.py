"""The remote backend of :class:`kg.store.GraphStore`: a SPARQL 1.1 server over HTTP.

Stores named ``sparql+http://host:port/path`` (or ``sparql+https``) send queries
to ``http://host:port/path/query`` and updates to ``…/update``, the endpoints
``oxigraph serve`` exposes; the server must answer queries over the union of
its named graphs.
"""
from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from rdflib import Dataset, Graph

from .errors import StoreError
from .vocab import PREFIXES

__all__ = ["open_remote", "serialize_rows"]


def open_remote(location: str) -> tuple[Any, Dataset]:
    """The rdflib ``SPARQLUpdateStore`` of ``location`` and a ``Dataset`` over it.

    Raises:
        StoreError: nothing answers at the URL, or it does not answer SPARQL queries.
    """
    from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

    endpoint = location.split("+", 1)[1].rstrip("/")
    _probe(location, f"{endpoint}/query")
    # ``union-default-graph``: Oxigraph answers over the union of the named graphs
    # even when ``oxigraph serve`` runs without --union-default-graph
    # (other SPARQL 1.1 servers ignore the parameter and must be set up so).
    remote = SPARQLUpdateStore(query_endpoint=f"{endpoint}/query",
                               update_endpoint=f"{endpoint}/update", autocommit=True,
                               params={"union-default-graph": ""})
    try:
        remote.query("ASK { ?s ?p ?o }", {}, {}, "__UNION__")
    except Exception as exc:  # HTTP errors, bad answers
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise StoreError(f"store {location} does not answer SPARQL queries at "
                         f"{endpoint}/query: {first}") from None
    return remote, Dataset(store=remote, default_union=True)


def _probe(location: str, url: str) -> None:
    """Raise a one-line StoreError when nothing answers HTTP at ``url``."""
    try:
        with urllib.request.urlopen(f"{url}?{urlencode({'query': 'ASK {}'})}", timeout=10):
            pass
    except urllib.error.HTTPError:
        return  # something answers; the SPARQL check that follows says what is wrong
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StoreError(f"store {location} is unreachable: nothing answers at {url} "
                         f"({reason})") from None


def serialize_rows(rows: Any, rdflib_format: str, keeps_graphs: bool) -> bytes:
    """Rows (s, p, o, g) of a remote answer serialised by rdflib in ``rdflib_format``."""
    ds = Dataset()
    for key, iri in PREFIXES.items():
        ds.bind(key, iri)
    if keeps_graphs:
        for s, p, o, g in rows:
            ds.graph(g).add((s, p, o))
        return ds.serialize(format=rdflib_format, encoding="utf-8")
    graph = Graph(namespace_manager=ds.namespace_manager)
    for s, p, o, _g in rows:
        graph.add((s, p, o))
    return graph.serialize(format=rdflib_format, encoding="utf-8")
