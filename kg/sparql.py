"""Read-only SPARQL over the graph: validated, time- and row-limited, in any protocol format.

A query is parsed here (rdflib's parser) before it runs: a syntax error is a
:class:`QueryError` with the parser's message; updates, ``LOAD`` and
``SERVICE`` are :class:`QueryRefused`. It then runs in a worker process that
opens the Oxigraph store read-only, so a query that runs past
``sparql_timeout`` can be killed (:class:`QueryTimeout`) while the caller keeps
serving. Results are capped at ``sparql_max_rows`` rows (or triples).

    answer = run_query(kg, "SELECT * WHERE { ?s ?p ?o } LIMIT 3",
                       accept="text/csv")
    answer.body        # bytes in the negotiated format
    answer.to_text()   # a plain-text table for the CLI
"""
from __future__ import annotations

import csv
import io
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence
from xml.sax.saxutils import escape as xml_escape

from .errors import NotAcceptable, PolicyKGError, QueryError, QueryRefused, QueryTimeout, StoreError
from .vocab import PREFIXES, curie, sparql_prologue

__all__ = [
    "QueryAnswer",
    "NotAcceptable",
    "run_query",
    "check_query",
    "negotiate",
    "RESULT_TYPES",
    "GRAPH_TYPES",
    "service_description",
    "example_queries",
]

#: Media types of SELECT/ASK results, the default first.
RESULT_TYPES: tuple[str, ...] = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
#: Media types of CONSTRUCT/DESCRIBE results, the default first.
GRAPH_TYPES: tuple[str, ...] = (
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
)
# Common names clients send for the same formats.
_ALIASES = {
    "application/json": ("application/sparql-results+json", "application/ld+json"),
    "application/xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "text/xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "application/x-turtle": (None, "text/turtle"),
    "text/n-triples": (None, "application/n-triples"),
    "text/plain": (None, "application/n-triples"),
}

_UPDATE_WORDS = "INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY"
_QUERY_KINDS = {"SelectQuery": "select", "AskQuery": "ask",
                "ConstructQuery": "graph", "DescribeQuery": "graph"}
_EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "ontology" / "queries"


# -- answers ----------------------------------------------------------------
@dataclass(frozen=True)
class QueryAnswer:
    """The answer to one query: the body in the negotiated format and a table view.

    ``kind`` is ``select``, ``ask`` or ``graph`` (CONSTRUCT/DESCRIBE);
    ``columns``/``rows`` hold the table (cells are SPARQL-JSON terms
    ``{"type", "value", "xml:lang"?, "datatype"?}`` or ``None``; graph answers
    have the columns subject, predicate, object); ``truncated`` says the
    answer stopped at ``limit`` rows.
    """

    kind: str
    media_type: str
    body: bytes
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[dict | None, ...], ...] = ()
    boolean: bool | None = None
    truncated: bool = False
    limit: int = 0
    elapsed: float = field(default=0.0, compare=False)

    @property
    def note(self) -> str | None:
        """A line telling the reader the answer was cut at the row limit, if it was."""
        if not self.truncated:
            return None
        what = "triples" if self.kind == "graph" else "rows"
        return f"results truncated to the first {self.limit} {what} (setting sparql_max_rows)"

    def to_text(self) -> str:
        """The answer as a plain-text table (IRIs shortened with the known prefixes)."""
        if self.kind == "ask":
            return "true" if self.boolean else "false"
        header = list(self.columns)
        lines = [[_short(cell) for cell in row] for row in self.rows]
        widths = [max([_width(h)] + [_width(r[i]) for r in lines]) for i, h in enumerate(header)]
        out = [" | ".join(_pad(h, w) for h, w in zip(header, widths)),
               "-+-".join("-" * w for w in widths)]
        out += [" | ".join(_pad(c, w) for c, w in zip(r, widths)) for r in lines]
        out.append(f"({len(self.rows)} {'triples' if self.kind == 'graph' else 'rows'})")
        if self.note:
            out.append(f"note: {self.note}")
        return "\n".join(out)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _short(term: dict | None) -> str:
    """A compact rendering of a SPARQL-JSON term: prefixed names, quoted literals."""
    if term is None:
        return ""
    if term["type"] == "uri":
        short = curie(term["value"])
        return short if short != term["value"] else f"<{short}>"
    if term["type"] == "bnode":
        return f"_:{term['value']}"
    if term["type"] == "literal":
        text = term["value"].replace("\n", " ")
        if len(text) > 60:
            text = text[:59] + "…"
        if "xml:lang" in term:
            return f'"{text}"@{term["xml:lang"]}'
        return text
    return str(term.get("value"))


# -- validation -------------------------------------------------------------
def check_query(sparql: str) -> str:
    """Parse a query and say its kind: ``select``, ``ask`` or ``graph``.

    Raises:
        QueryError: the text is not a SPARQL query (the parser's message).
        QueryRefused: an update (INSERT, DELETE, LOAD …) or a query using SERVICE.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    if not sparql or not sparql.strip():
        raise QueryError("empty query")
    try:
        tree = parseQuery(sparql)
    except ParseException as exc:
        try:
            parseUpdate(sparql)
        except Exception:  # noqa: BLE001 - not an update either: report the query error
            raise QueryError(f"syntax error: {exc}") from None
        raise QueryRefused(f"updates ({_UPDATE_WORDS}) are not allowed here; "
                           "this endpoint only answers queries") from None
    except Exception as exc:  # noqa: BLE001 - rdflib raises assorted errors on odd input
        raise QueryError(f"syntax error: {exc}") from None
    if _contains(tree, "ServiceGraphPattern"):
        raise QueryRefused("SERVICE (federated queries) is not allowed here")
    return _QUERY_KINDS[tree[1].name]


def _contains(node: Any, name: str) -> bool:
    """True when the parse tree has a node called ``name`` anywhere."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            if item.name == name:
                return True
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) or hasattr(item, "asList"):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


# -- negotiation ------------------------------------------------------------
def negotiate(accept: str | None, kind: str) -> str:
    """The media type to answer a ``kind`` query with, given an ``Accept`` header.

    ``None`` or a wildcard gets the default (SPARQL JSON results, Turtle).

    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", "select")
    'application/sparql-results+xml'
    >>> negotiate(None, "graph")
    'text/turtle'

    Raises:
        NotAcceptable: no acceptable format carries this kind of result.
    """
    offered = GRAPH_TYPES if kind == "graph" else RESULT_TYPES
    if not accept:
        return offered[0]
    ranges = []
    for i, part in enumerate(accept.split(",")):
        fields_ = [f.strip() for f in part.split(";")]
        media = fields_[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields_[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((q, -i, media))
    for q, _, media in sorted(ranges, reverse=True):
        if q <= 0:
            continue
        if media in ("*/*", "*"):
            return offered[0]
        if media.endswith("/*"):
            for candidate in offered:
                if candidate.startswith(media[:-1]):
                    return candidate
            continue
        if media in offered:
            return media
        alias = _ALIASES.get(media)
        if alias:
            chosen = alias[1] if kind == "graph" else alias[0]
            if chosen:
                return chosen
    raise NotAcceptable(f"cannot answer a {'CONSTRUCT/DESCRIBE' if kind == 'graph' else 'SELECT/ASK'}"
                        f" query as {accept!r}; offered: {', '.join(offered)}")


# -- running ----------------------------------------------------------------
def run_query(kg: Any, sparql: str, *, accept: str | None = None,
              default_graph_uris: Sequence[str] = (),
              named_graph_uris: Sequence[str] = ()) -> QueryAnswer:
    """Run a read-only SPARQL query against the graph with its time and row limits.

    Args:
        kg: the open ``KnowledgeGraph``.
        sparql: the query text.
        accept: an ``Accept`` header or one media type; ``None`` for the default.
        default_graph_uris: graphs whose union is the default graph (protocol
            ``default-graph-uri``); none means the union of all graphs.
        named_graph_uris: the graphs ``GRAPH`` may see (``named-graph-uri``).

    Raises:
        QueryError: syntax error.
        QueryRefused: an update, LOAD or SERVICE.
        NotAcceptable: no acceptable format for this kind of query.
        QueryTimeout: the query ran past ``sparql_timeout`` and was stopped.
    """
    import time

    kind = check_query(sparql)
    media_type = negotiate(accept, kind)
    settings = kg.settings
    request = {
        "query": sparql,
        "default_graphs": list(default_graph_uris),
        "named_graphs": list(named_graph_uris),
        "max_rows": int(settings.sparql_max_rows),
    }
    started = time.monotonic()
    if settings.is_remote:
        # the layout of ``oxigraph serve`` that kg.store also uses: <base>/query
        endpoint = settings.store.split("+", 1)[1].rstrip("/") + "/query"
        raw = _run_remote(endpoint, kind, request, float(settings.sparql_timeout))
    else:
        request["path"] = str(_store_path(kg))
        raw = _pool_of(kg).run(request, float(settings.sparql_timeout))
    if raw[0] == "error":
        _, error, message = raw
        raise (QueryError if error == "syntax" else StoreError)(message)
    return _answer(raw, media_type, int(settings.sparql_max_rows), time.monotonic() - started)


def _store_path(kg: Any) -> Path:
    path = getattr(kg.store, "path", None) or kg.settings.store
    return Path(path)


def _answer(raw: tuple, media_type: str, limit: int, elapsed: float) -> QueryAnswer:
    """Encode a worker's raw result in the negotiated format."""
    if raw[0] == "ask":
        return QueryAnswer("ask", media_type, _encode_boolean(raw[1], media_type),
                           columns=("boolean",),
                           rows=(({"type": "literal", "value": str(raw[1]).lower()},),),
                           boolean=raw[1], limit=limit, elapsed=elapsed)
    if raw[0] == "select":
        _, columns, rows, truncated = raw
        return QueryAnswer("select", media_type, _encode_rows(columns, rows, media_type),
                           columns=tuple(columns), rows=tuple(tuple(r) for r in rows),
                           truncated=truncated, limit=limit, elapsed=elapsed)
    _, ntriples, truncated = raw
    body, rows = _encode_graph(ntriples, media_type)
    return QueryAnswer("graph", media_type, body, columns=("subject", "predicate", "object"),
                       rows=rows, truncated=truncated, limit=limit, elapsed=elapsed)


def _encode_boolean(value: bool, media_type: str) -> bytes:
    if media_type == "application/sparql-results+xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{str(value).lower()}</boolean></sparql>\n").encode()
    if media_type in ("text/csv", "text/tab-separated-values"):
        return f"{str(value).lower()}\n".encode()
    return json.dumps({"head": {}, "boolean": value}).encode()


def _encode_rows(columns: list[str], rows: list[list[dict | None]], media_type: str) -> bytes:
    """SELECT results in one of the four SPARQL results formats."""
    if media_type == "application/sparql-results+json":
        bindings = [{c: t for c, t in zip(columns, row) if t is not None} for row in rows]
        return json.dumps({"head": {"vars": columns}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode("utf-8")
    if media_type == "application/sparql-results+xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
               "<head>", *(f'<variable name="{xml_escape(c)}"/>' for c in columns),
               "</head>", "<results>"]
        for row in rows:
            out.append("<result>")
            for c, t in zip(columns, row):
                if t is not None:
                    out.append(f'<binding name="{xml_escape(c)}">{_xml_term(t)}</binding>')
            out.append("</result>")
        out.append("</results></sparql>\n")
        return "\n".join(out).encode("utf-8")
    if media_type == "text/csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if t is None else (f"_:{t['value']}" if t["type"] == "bnode"
                                                   else _plain(t)) for t in row])
        return buffer.getvalue().encode("utf-8")
    lines = ["\t".join(f"?{c}" for c in columns)]
    lines += ["\t".join("" if t is None else _nt_term(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _plain(term: dict) -> str:
    if term["type"] == "triple":
        return _nt_term(term)
    return term["value"]


def _xml_term(term: dict) -> str:
    value = xml_escape(term["value"]) if isinstance(term["value"], str) else ""
    if term["type"] == "uri":
        return f"<uri>{value}</uri>"
    if term["type"] == "bnode":
        return f"<bnode>{value}</bnode>"
    if term["type"] == "triple":
        return f"<literal>{xml_escape(_nt_term(term))}</literal>"
    if "xml:lang" in term:
        return f'<literal xml:lang="{xml_escape(term["xml:lang"])}">{value}</literal>'
    if "datatype" in term:
        return f'<literal datatype="{xml_escape(term["datatype"])}">{value}</literal>'
    return f"<literal>{value}</literal>"


def _nt_term(term: dict) -> str:
    """A SPARQL-JSON term in N-Triples syntax (the TSV results encoding)."""
    if term["type"] == "uri":
        return f"<{term['value']}>"
    if term["type"] == "bnode":
        return f"_:{term['value']}"
    if term["type"] == "triple":
        v = term["value"]
        return f"<< {_nt_term(v['subject'])} {_nt_term(v['predicate'])} {_nt_term(v['object'])} >>"
    text = (term["value"].replace("\\", "\\\\").replace('"', '\\"')
            .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    if "xml:lang" in term:
        return f'"{text}"@{term["xml:lang"]}'
    if "datatype" in term:
        return f'"{text}"^^<{term["datatype"]}>'
    return f'"{text}"'


def _encode_graph(ntriples: bytes, media_type: str) -> tuple[bytes, tuple]:
    """CONSTRUCT/DESCRIBE triples (as N-Triples) re-serialised, plus table rows."""
    import pyoxigraph as ox

    triples = list(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES))
    rows = tuple(tuple(_term_json(t) for t in (tr.subject, tr.predicate, tr.object))
                 for tr in triples)
    if media_type == "application/n-triples":
        return ntriples, rows
    fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
           "application/rdf+xml": ox.RdfFormat.RDF_XML}[media_type]
    prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    body = ox.serialize(triples, format=fmt, prefixes=prefixes)
    return body, rows


def _term_json(term: Any) -> dict:
    """A pyoxigraph term as a SPARQL-JSON term."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": _term_json(term.subject),
                                        "predicate": _term_json(term.predicate),
                                        "object": _term_json(term.object)}}


# -- the worker process -------------------------------------------------------
def _execute(request: dict) -> tuple:
    """Run one query on a read-only view of the store (in the worker process)."""
    import pyoxigraph as ox

    try:
        store = ox.Store.read_only(request["path"])
    except OSError as exc:
        return ("error", "store", f"{request['path']}: cannot open the store: {exc}")
    options: dict[str, Any] = {}
    if request["default_graphs"]:
        options["default_graph"] = [ox.NamedNode(g) for g in request["default_graphs"]]
    else:
        options["use_default_graph_as_union"] = True
    if request["named_graphs"]:
        options["named_graphs"] = [ox.NamedNode(g) for g in request["named_graphs"]]
    options["prefixes"] = dict(PREFIXES)  # predeclared, as in kg.store and the CLI
    limit = request["max_rows"]
    try:
        result = store.query(request["query"], **options)
        if isinstance(result, bool) or isinstance(result, ox.QueryBoolean):
            return ("ask", bool(result))
        if isinstance(result, ox.QuerySolutions):
            columns = [v.value for v in result.variables]
            rows, truncated = [], False
            for solution in result:
                if len(rows) >= limit:
                    truncated = True
                    break
                rows.append([None if solution[c] is None else _term_json(solution[c])
                             for c in columns])
            return ("select", columns, rows, truncated)
        triples, truncated = [], False
        for triple in result:
            if len(triples) >= limit:
                truncated = True
                break
            triples.append(triple)
        return ("graph", ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), truncated)
    except SyntaxError as exc:
        return ("error", "syntax", f"syntax error: {exc}")
    except (OSError, ValueError, RuntimeError) as exc:
        return ("error", "store", f"query failed: {exc}")


def _worker_main() -> None:
    """Serve framed requests from standard input until it closes (the worker process)."""
    import os
    import pickle
    import sys

    reply = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing but frames may reach the parent's pipe
    requests = sys.stdin.buffer
    import pyoxigraph  # noqa: F401 - loaded before saying ready, so no query pays for it

    ready = pickle.dumps(("ready",))
    reply.write(len(ready).to_bytes(4, "big") + ready)
    reply.flush()
    while True:
        header = requests.read(4)
        if len(header) < 4:
            return
        request = pickle.loads(requests.read(int.from_bytes(header, "big")))
        try:
            result = _execute(request)
        except Exception as exc:  # noqa: BLE001 - report, never die silently
            result = ("error", "store", f"query failed: {type(exc).__name__}: {exc}")
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        reply.write(len(data).to_bytes(4, "big") + data)
        reply.flush()


_STARTUP_TIMEOUT = 120.0  # seconds a new worker may take to import its modules


class _Worker:
    """One query process: ``python -c`` running :func:`_worker_main` over pipes.

    A plain subprocess rather than ``multiprocessing`` so that the caller's
    ``__main__`` is never re-imported and the process can be killed at any time.
    """

    def __init__(self) -> None:
        import os
        import subprocess
        import sys

        env = dict(os.environ)
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from policykg.kg.sparql import _worker_main; _worker_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True)

        self.ready = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: dict, timeout: float) -> tuple | None:
        """Send a request; the answer, or ``None`` when ``timeout`` passed first.

        The clock starts once the worker has started (imports are not query time).
        """
        import pickle

        if not self.ready:
            if self._read(_STARTUP_TIMEOUT) != ("ready",):
                raise OSError("the query process did not start")
            self.ready = True
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.write(len(data).to_bytes(4, "big") + data)
        self.process.stdin.flush()
        return self._read(timeout)

    def _read(self, timeout: float) -> tuple | None:
        """One frame from the worker, or ``None`` when ``timeout`` passed first."""
        import os
        import pickle
        import select
        import time

        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        buffer = bytearray()
        need = 4
        while len(buffer) < need:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, max(need - len(buffer), 65536))
            if not chunk:
                raise EOFError("the worker exited")
            buffer += chunk
            if need == 4 and len(buffer) >= 4:
                need = 4 + int.from_bytes(buffer[:4], "big")
        return pickle.loads(bytes(buffer[4:need]))

    def stop(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        if self.alive():
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except Exception:  # noqa: BLE001 - best effort on shutdown
            pass


class _WorkerPool:
    """Pre-started query workers; a worker that runs out of time is killed and replaced."""

    def __init__(self, idle: int = 2):
        self._lock = threading.Lock()
        self._idle_max = idle
        self._idle: list[_Worker] = []
        self._closed = False
        self._spare()

    def _spare(self) -> None:
        """Start one worker in reserve so the next query need not wait for a process."""
        with self._lock:
            if not self._closed and len(self._idle) < self._idle_max:
                self._idle.append(_Worker())

    def _acquire(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise StoreError("the graph is closed")
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.stop()
        return _Worker()

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self._idle_max:
                self._idle.append(worker)
                return
        worker.stop()

    def run(self, request: dict, timeout: float) -> tuple:
        worker = self._acquire()
        try:
            result = worker.ask(request, timeout)
        except (EOFError, OSError, ValueError) as exc:
            worker.stop()
            raise StoreError(f"the query process failed: {exc}") from None
        if result is not None:
            self._release(worker)
            return result
        worker.stop()
        threading.Thread(target=self._spare, daemon=True).start()
        raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped "
                           "(setting sparql_timeout)")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


def _pool_of(kg: Any) -> _WorkerPool:
    """The worker pool of an open graph, started on its first query."""
    pool = kg.__dict__.get("_sparql_pool")
    if pool is None:
        with _POOL_LOCK:
            pool = kg.__dict__.get("_sparql_pool")
            if pool is None:
                pool = _WorkerPool()
                kg._sparql_pool = pool
                try:
                    weakref.finalize(kg, pool.close)
                except TypeError:  # not weak-referenceable: workers are daemons anyway
                    pass
    return pool


_POOL_LOCK = threading.Lock()  # guards creating a graph's pool, holds no data


def close_pool(kg: Any) -> None:
    """Stop the query workers of a graph (called when the graph is closed)."""
    pool = kg.__dict__.pop("_sparql_pool", None)
    if pool is not None:
        pool.close()


# -- remote stores -----------------------------------------------------------
def _run_remote(endpoint: str, kind: str, request: dict, timeout: float) -> tuple:
    """Forward a query to a remote SPARQL 1.1 endpoint and read its answer."""
    import pyoxigraph as ox

    params = [("query", sparql_prologue() + request["query"])]
    params += [("default-graph-uri", g) for g in request["default_graphs"]]
    params += [("named-graph-uri", g) for g in request["named_graphs"]]
    if not request["default_graphs"] and not request["named_graphs"]:
        # Oxigraph: answer over the union of the named graphs, like the embedded store
        params.append(("union-default-graph", ""))
    accept = "application/n-triples" if kind == "graph" else "application/sparql-results+json"
    http = urllib.request.Request(
        endpoint, data=urllib.parse.urlencode(params).encode(), method="POST",
        headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(http, timeout=timeout) as response:
            body = response.read()
    except TimeoutError:
        raise QueryTimeout(f"{endpoint} did not answer within {timeout:g} s") from None
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        if exc.code == 400:
            return ("error", "syntax", f"{endpoint}: {detail}")
        return ("error", "store", f"{endpoint}: HTTP {exc.code}: {detail}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise QueryTimeout(f"{endpoint} did not answer within {timeout:g} s") from None
        raise StoreError(f"{endpoint}: cannot reach the SPARQL server: {reason}") from None
    limit = request["max_rows"]
    if kind == "graph":
        triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        truncated = len(triples) > limit
        return ("graph", ox.serialize(triples[:limit], format=ox.RdfFormat.N_TRIPLES), truncated)
    data = json.loads(body)
    if "boolean" in data:
        return ("ask", bool(data["boolean"]))
    columns = data["head"]["vars"]
    bindings = data["results"]["bindings"]
    rows = [[_from_remote(b.get(c)) for c in columns] for b in bindings[:limit]]
    return ("select", columns, rows, len(bindings) > limit)


def _from_remote(term: dict | None) -> dict | None:
    if term is None:
        return None
    if term.get("type") == "typed-literal":  # SPARQL 1.0 JSON servers
        term = {**term, "type": "literal"}
    if term.get("datatype") == "http://www.w3.org/2001/XMLSchema#string":
        term = {k: v for k, v in term.items() if k != "datatype"}
    return term


# -- service description and examples ----------------------------------------
def service_description(endpoint: str) -> bytes:
    """A SPARQL 1.1 Service Description of an endpoint, in Turtle."""
    formats = {
        "application/sparql-results+json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
        "application/sparql-results+xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
        "text/csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
        "text/tab-separated-values": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
        "text/turtle": "http://www.w3.org/ns/formats/Turtle",
        "application/ld+json": "http://www.w3.org/ns/formats/JSON-LD",
        "application/n-triples": "http://www.w3.org/ns/formats/N-Triples",
        "application/rdf+xml": "http://www.w3.org/ns/formats/RDF_XML",
    }
    results = ", ".join(f"<{iri}>" for iri in formats.values())
    endpoint = endpoint.replace(">", "%3E").replace("<", "%3C")
    text = f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

[] a sd:Service ;
    rdfs:label "policykg SPARQL endpoint (read-only)"@en, "policykg SPARQL 查询端点（只读）"@zh ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:resultFormat {results} ;
    sd:feature sd:UnionDefaultGraph ;
    sd:defaultDataset [
        a sd:Dataset ;
        rdfs:comment "The default graph is the union of every document's named graph; each document is a named graph named by its IRI."@en
    ] .
"""
    return text.encode("utf-8")


def example_queries(directory: str | Path | None = None) -> list[dict[str, str]]:
    """The example queries of ``ontology/queries/*.rq``: name, title and text.

    The title is the first comment line of the file (``# title``).
    """
    folder = Path(directory) if directory else _EXAMPLES_DIR
    examples = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = next((line for line in text.splitlines() if line.strip()), "")
        title = first.lstrip("#").strip() if first.startswith("#") else path.stem
        examples.append({"name": path.stem, "title": title, "query": text})
    return examples
