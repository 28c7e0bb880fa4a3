"""Running a read-only query: a local store through the worker pool, a remote one over HTTP.

    service = SparqlService(store, settings)
    answer = service.query("SELECT * WHERE { ?s ?p ?o } LIMIT 3", results_format="csv")
    answer.read()     # bytes, encoded by pyoxigraph (or by the remote server)
    service.close()
"""
from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterable, Iterator

from ..errors import NotAcceptable, QueryTimeout, StoreError
from ..formats import Format, by_name
from ..vocab import sparql_prologue
from .answer import QueryAnswer
from .check import check_query
from .pool import WorkerPool, error_of

__all__ = ["SparqlService", "answer_format"]


def answer_format(name: str | Format | None, family: str) -> Format | None:
    """The format called ``name`` for a ``results`` or ``graph`` answer (graphs may be quads too).

    >>> answer_format("xml", "graph").name
    'rdfxml'
    >>> answer_format("nq", "graph").media_type
    'application/n-quads'
    >>> answer_format("turtle", "results") is None
    True
    """
    if name is None or isinstance(name, Format):
        return name
    if family == "graph":
        return by_name(name, "graph") or by_name(name, "dataset")
    return by_name(name, "results")


class SparqlService:
    """Read-only SPARQL over one store, with the time, memory and row limits of the settings.

    The composition root (``KnowledgeGraph``) makes one and closes it; a local
    store's worker pool starts on the first query.
    """

    def __init__(self, store: Any, settings: Any):
        self.store = store
        self.settings = settings
        self._pool: WorkerPool | None = None
        self._lock = threading.Lock()

    def _workers(self) -> WorkerPool:
        with self._lock:
            if self._pool is None:
                size = int(self.settings.sparql_workers) or (os.cpu_count() or 2)
                self._pool = WorkerPool(self.store, size=size,
                                        memory_mb=int(self.settings.sparql_memory),
                                        shed_after=float(self.settings.sparql_shed_after),
                                        cache_bytes=int(self.settings.sparql_cache) * 2**20)
            return self._pool

    def query(self, sparql: str, *, results_format: str | Format | None = "json",
              graph_format: str | Format | None = "turtle",
              default_graph_uris: Iterable[str] = (),
              named_graph_uris: Iterable[str] = ()) -> QueryAnswer:
        """Run a query; the answer streams in the format of its kind.

        Args:
            sparql: the query text (the prefixes of ``kg.vocab.PREFIXES`` are
                predeclared; relative IRIs resolve against ``base_iri``).
            results_format: the format of a SELECT/ASK answer; ``None`` when the
                caller accepts none (such an answer is :class:`NotAcceptable`).
            graph_format: the format of a CONSTRUCT/DESCRIBE answer, or ``None``.
            default_graph_uris: graphs whose merge is the default graph
                (protocol ``default-graph-uri``).
            named_graph_uris: the graphs ``GRAPH`` may see (``named-graph-uri``).
                With neither, the query's ``FROM``/``FROM NAMED`` decide, and
                without those the default graph is the union of the graphs.

        Raises:
            QueryError: a syntax error (the parser's message).
            QueryRefused: an update, LOAD or SERVICE.
            NotAcceptable: no accepted format for this kind of answer.
            QueryTimeout: ran past ``sparql_timeout``.
            TooLarge: more rows than ``sparql_max_rows`` or more memory than ``sparql_memory``.
        """
        formats = {"results": answer_format(results_format, "results"),
                   "graph": answer_format(graph_format, "graph")}
        request = {
            "query": sparql,
            "formats": {k: f.engine if f else None for k, f in formats.items()},
            "offered": {"results": "JSON, XML, CSV, TSV",
                        "graph": "Turtle, N-Triples, RDF/XML, JSON-LD, N-Quads, TriG"},
            "default_graphs": list(default_graph_uris),
            "named_graphs": list(named_graph_uris),
            "base_iri": self.settings.base_iri,
            "max_rows": int(self.settings.sparql_max_rows),
        }
        timeout = float(self.settings.sparql_timeout)
        started = time.monotonic()
        if self.settings.is_remote:
            kind, chunks = _run_remote(self.settings.store, request, formats, timeout)
        else:
            kind, chunks = self._workers().run(request, timeout)
        fmt = formats["graph" if kind == "graph" else "results"]
        return QueryAnswer(kind, fmt, chunks, elapsed=time.monotonic() - started)

    def warm(self, *, wait: bool = False) -> None:
        """Start the query workers now rather than on the first query (a local store; a
        remote one has nothing to start). ``wait``: return once they are ready."""
        if not self.settings.is_remote:
            self._workers().warm(wait=wait)

    def close(self) -> None:
        """Stop the workers and remove their snapshot of the store."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _run_remote(store: str, request: dict, formats: dict[str, Format | None],
                timeout: float) -> tuple[str, Iterator[bytes]]:
    """Forward a query to the remote store's SPARQL endpoint; its answer streams back as is."""
    checked = check_query(request["query"])
    family = "results" if checked.form in ("select", "ask") else "graph"
    fmt = formats[family]
    if fmt is None:
        raise NotAcceptable(f"cannot answer this query in any format the client accepts; "
                            f"offered: {request['offered'][family]}")
    endpoint = store.split("+", 1)[1].rstrip("/") + "/query"  # the layout of ``oxigraph serve``
    params = [("query", sparql_prologue() + request["query"])]
    params += [("default-graph-uri", g) for g in request["default_graphs"]]
    params += [("named-graph-uri", g) for g in request["named_graphs"]]
    if not (request["default_graphs"] or request["named_graphs"] or checked.has_dataset):
        params.append(("union-default-graph", ""))  # Oxigraph: the union, like the local store
    http = urllib.request.Request(
        endpoint, data=urllib.parse.urlencode(params).encode(), method="POST",
        headers={"Accept": fmt.media_type, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        response = urllib.request.urlopen(http, timeout=timeout)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        raise error_of("invalid" if exc.code == 400 else "unavailable",
                       f"{endpoint}: HTTP {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
            raise QueryTimeout(f"{endpoint} did not answer within {timeout:g} s") from None
        raise StoreError(f"{endpoint}: cannot reach the SPARQL server: {reason}") from None
    kind = "graph" if family == "graph" else checked.form or "select"

    def chunks() -> Iterator[bytes]:
        with response:
            while chunk := response.read(1 << 16):
                yield chunk

    return kind, chunks()
