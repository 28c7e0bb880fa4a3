"""``/sparql``: the SPARQL 1.1 Protocol for queries, and the query page for people.

Formats are negotiated here (werkzeug's ``best_match`` over ``kg.formats``);
a ``format`` or ``output`` parameter naming a known format wins over
``Accept``, an unknown one is ignored. The answer streams from kg as the
engine encodes it. CORS headers (read-only, no credentials) are added to
``/sparql`` and ``/api/*`` answers unless the setting ``cors`` is empty.
"""
from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, abort, render_template, request, url_for
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ...kg import (Format, InvalidIRI, PolicyKGError, QueryRefused, by_media_type, by_name,
                   check_iri, of_kind, service_description, sparql_prologue)
from ..context import get_kg, kg_of
from ..errors import error_response, status_of

bp = Blueprint("sparql", __name__)

_PAGE_ROWS = 1000  # rows the HTML page shows; the protocol formats give all of them


def _offered(family: str) -> dict[str, Format]:
    """Media type → format for one family (``results``, ``graph``), canonical types first."""
    formats = of_kind("results") if family == "results" else of_kind("graph") + of_kind("dataset")
    offered = {f.media_type: f for f in formats}
    for f in formats:
        for alias in f.aliases:
            if "/" in alias:
                offered.setdefault(alias, f)
    if family == "results":
        # a plain-text client gets TSV: readable, and lossless unlike CSV
        offered.setdefault("text/plain", by_name("tsv"))
    else:
        for media_type in ("application/json", "application/xml", "text/xml"):
            offered.setdefault(media_type, by_media_type(media_type, "graph"))
    return offered


_OFFERED = {family: _offered(family) for family in ("results", "graph")}
_SERVICE_TYPES = ["text/turtle", "application/rdf+xml", "application/ld+json",
                  "application/n-triples"]


def _negotiate(family: str, named: str | None, accept: str | None) -> tuple[Format | None, bool]:
    """The format of one family: the ``format`` parameter if it names one, else ``Accept``;
    and whether the client asked for ``text/plain``."""
    if named:
        kinds = ("results",) if family == "results" else ("graph", "dataset")
        for kind in kinds:
            fmt = by_name(named, kind) or by_media_type(named, kind)
            if fmt is not None:
                return fmt, False
    if not accept:
        return next(iter(_OFFERED[family].values())), False
    best = parse_accept_header(accept, MIMEAccept).best_match(list(_OFFERED[family]))
    # answered as asked: TSV (or N-Triples) labelled text/plain
    return (_OFFERED[family][best] if best else None), best == "text/plain"


def _browser(named: str | None, accept: str | None) -> bool:
    """True when the client wants the HTML page, not a protocol answer."""
    if named:
        return named == "html"
    machine = list(_OFFERED["results"]) + list(_OFFERED["graph"])
    # machine formats first: "Accept: */*" (curl, most libraries) is a protocol client
    return parse_accept_header(accept, MIMEAccept).best_match(machine + ["text/html"]) == \
        "text/html"


@dataclass(frozen=True)
class _Choice:
    """What one ``Accept`` header and ``format`` parameter ask for."""

    browser: bool
    results: Format | None
    graph: Format | None
    plain: bool  # text/plain was asked for: a TSV or N-Triples answer is labelled so


def _choose(accept: str | None, named: str | None) -> _Choice:
    """The negotiation for one pair of header and parameter, remembered: a client sends the same
    ``Accept`` with every request, and matching it costs more than a small query."""
    if (accept and len(accept) > 1024) or (named and len(named) > 256):
        return _choose_now(accept, named)  # odd ones are not kept
    return _choose_cached(accept, named)


def _choose_now(accept: str | None, named: str | None) -> _Choice:
    results, plain_results = _negotiate("results", named, accept)
    graph, plain_graph = _negotiate("graph", named, accept)
    return _Choice(_browser(named, accept), results, graph, plain_results or plain_graph)


_choose_cached = lru_cache(maxsize=512)(_choose_now)


def _media_type(choice: _Choice, answer: Any) -> str:
    plain = choice.plain and answer.format.name in ("tsv", "nt")
    return "text/plain" if plain else answer.media_type


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        abort(400, f"the request has {len(values)} '{name}' parameters; send exactly one")
    return values[0] if values else None


def _read_request() -> tuple[str | None, list[str], list[str], str | None]:
    """The query, dataset and format parameter of a protocol request.

    Raises:
        QueryRefused: the request is an update.
    """
    limit = int(get_kg().settings.sparql_max_bytes)
    if (request.content_length or 0) > limit or len(request.query_string) > limit:
        abort(413, f"the request is larger than {limit} bytes (setting sparql_max_bytes)")
    request.max_content_length = limit
    args = request.args
    if request.method in ("GET", "HEAD"):
        params = [args]
        query = _single(args.getlist("query"), "query")
    else:
        mimetype = request.mimetype
        if mimetype == "application/x-www-form-urlencoded":
            params = [args, request.form]
            query = _single(args.getlist("query") + request.form.getlist("query"), "query")
        elif mimetype == "application/sparql-query":
            params = [args]
            if "query" in args:
                abort(400, "a query POSTed as application/sparql-query must not also be "
                           "given as a 'query' parameter")
            charset = request.mimetype_params.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8"):
                abort(400, f"a query must be sent as UTF-8 (SPARQL 1.1 Protocol), not {charset}")
            try:
                query = request.get_data().decode("utf-8")
            except UnicodeDecodeError:
                abort(400, "the query is not valid UTF-8")
        elif mimetype == "application/sparql-update":
            raise QueryRefused("SPARQL updates are not allowed here; this endpoint only answers "
                               "queries")
        else:
            abort(415, f"POST a query as application/x-www-form-urlencoded or "
                       f"application/sparql-query, not {mimetype or 'no content type'}")
    if any(p.get("update") is not None for p in params):
        raise QueryRefused("SPARQL updates are not allowed here; this endpoint only answers queries")
    defaults = [g for p in params for g in p.getlist("default-graph-uri")]
    named = [g for p in params for g in p.getlist("named-graph-uri")]
    for name, values in (("default-graph-uri", defaults), ("named-graph-uri", named)):
        for value in values:
            try:
                check_iri(value)
            except InvalidIRI as exc:
                abort(400, f"{name}: {exc}")
    fmt = next((p.get(k) for p in params for k in ("format", "output") if p.get(k)), None)
    return query, defaults, named, fmt


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    query, defaults, named, fmt = _read_request()
    kg = get_kg()
    choice = _choose(request.headers.get("Accept"), fmt)
    if choice.browser:
        return _page(kg, query, defaults, named)
    if query is None:
        if request.method == "POST":
            abort(400, "the request has no 'query' parameter")
        return _service_description(fmt)
    answer = kg.query(query, results_format=choice.results, graph_format=choice.graph,
                      default_graph_uris=defaults, named_graph_uris=named)
    # whole (with a Content-Length) when it is all here already or for HEAD; else it streams
    body = answer.read() if answer.complete or request.method == "HEAD" else answer.chunks
    response = Response(body, content_type=f"{_media_type(choice, answer)}; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


class FastPath:
    """WSGI middleware: a plain protocol ``GET /sparql?query=…`` is answered here, without
    Flask's per-request work (request context, URL routing, hooks), as the view would answer it.

    Anything else (a page, POST, HEAD, dataset parameters, CORS, a bare GET, an
    oversized or non-ASCII query string) goes to the app unchanged; so do errors,
    rendered by the app's error handlers.
    """

    _PARAMS = frozenset({"query", "format", "output"})

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        kg = kg_of(self.app)
        if environ.get("PATH_INFO") != "/sparql" or environ.get("REQUEST_METHOD") != "GET" \
                or "HTTP_ORIGIN" in environ or kg is None:
            return self.wsgi_app(environ, start_response)
        text = environ.get("QUERY_STRING", "")
        if not text.isascii() or len(text) > int(kg.settings.sparql_max_bytes):
            return self.wsgi_app(environ, start_response)
        params: dict[str, str] = {}
        for key, value in _parse_qs(text):
            if key not in self._PARAMS or key in params or "\ufffd" in value:
                return self.wsgi_app(environ, start_response)  # the view says what is wrong
            params[key] = value
        query = params.get("query")
        fmt = params.get("format") or params.get("output") or None
        choice = _choose(environ.get("HTTP_ACCEPT"), fmt)
        if query is None or choice.browser:
            return self.wsgi_app(environ, start_response)
        try:
            answer = kg.query(query, results_format=choice.results, graph_format=choice.graph)
        except PolicyKGError as exc:
            with self.app.request_context(environ):
                return error_response(status_of(exc), str(exc))(environ, start_response)
        headers = [("Content-Type", f"{_media_type(choice, answer)}; charset=utf-8"),
                   ("Vary", "Accept")]
        if answer.complete:
            body = answer.read()
            headers.append(("Content-Length", str(len(body))))
            start_response("200 OK", headers)
            return [body]
        start_response("200 OK", headers)
        return answer.chunks  # streams; the server calls its close() (frees the worker)


# a percent sign not followed by two hex digits (searched apart from line breaks: one pattern
# with both alternatives took 29 us on a prefixed query string, these three checks 6)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _parse_qs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True, errors="replace")`` for an ASCII query string,
    5-10x faster.

    ``urllib`` decodes percent escapes in a Python loop: 0.1 ms for a query with the usual
    prefixes (~400 escapes), as much as the query itself. Quoted-printable is the same code
    with ``=`` for ``%``, and ``binascii`` decodes it in C; a string QP would read otherwise
    (a ``%`` not followed by two hex digits, a line break) is left to ``parse_qsl``.

    >>> _parse_qs("query=ASK+%7B%7D&format=json&x&a%3Db=%E4%B8%AD%3D")
    [('query', 'ASK {}'), ('format', 'json'), ('x', ''), ('a=b', '中=')]
    """
    if "\n" in text or "\r" in text or _BAD_ESCAPE.search(text):
        return parse_qsl(text, keep_blank_values=True, errors="replace")
    pairs = []
    for field in text.split("&"):
        if field:
            key, _, value = field.partition("=")
            pairs.append((_unquote(key), _unquote(value)))
    return pairs


def _unquote(part: str) -> str:
    qp = part.replace("=", "=3D").replace("%", "=").replace("+", " ")
    return binascii.a2b_qp(qp).decode("utf-8", "replace")


def _service_description(fmt: str | None) -> Response:
    chosen = by_name(fmt, "graph") if fmt else None
    if chosen is None or chosen.media_type not in _SERVICE_TYPES:
        best = request.accept_mimetypes.best_match(_SERVICE_TYPES) \
            if request.headers.get("Accept") else _SERVICE_TYPES[0]
        if best is None:
            abort(406, f"the service description is offered as {', '.join(_SERVICE_TYPES)}")
        chosen = by_media_type(best)
    body = service_description(url_for("sparql.endpoint", _external=True), chosen)
    response = Response(body, content_type=f"{chosen.media_type}; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


@bp.after_app_request
def cors(response: Response) -> Response:
    """CORS for read-only clients on other origins: ``/sparql`` and the JSON API."""
    if not request.path.startswith(("/sparql", "/api/")):
        return response
    allowed = get_kg().settings.cors.split()
    origin = request.headers.get("Origin")
    if not allowed or not origin:
        return response
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    else:
        return response
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Accept, Content-Type")
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _page(kg, query: str | None, defaults: list[str], named: list[str]):
    examples = kg.example_queries()
    prologue = sparql_prologue()
    answer = error = None
    if query:
        try:
            result = kg.query(query, results_format="json", graph_format="nt",
                              default_graph_uris=defaults, named_graph_uris=named)
            table = result.table()
            answer = {"kind": table.kind, "boolean": table.boolean, "columns": table.columns,
                      "rows": table.rows[:_PAGE_ROWS], "elapsed": result.elapsed,
                      "note": (f"共 {len(table.rows)} 行，这里显示前 {_PAGE_ROWS} 行，"
                               f"JSON、CSV、TSV 格式给出全部 · showing the first {_PAGE_ROWS} of "
                               f"{len(table.rows)} rows; the JSON, CSV or TSV formats give all of them")
                      if len(table.rows) > _PAGE_ROWS else None}
        except PolicyKGError as exc:
            error = exc
    else:
        first = examples[0]["query"] if examples else "SELECT * WHERE { ?s ?p ?o } LIMIT 10\n"
        query = prologue + "\n" + _strip_comment(first)
    # the same query (and dataset) asked of /sparql as CSV: all rows, for a spreadsheet
    csv_url = url_for("sparql.endpoint", query=query, format="csv",
                      **{"default-graph-uri": defaults, "named-graph-uri": named}) \
        if answer is not None else None
    html = render_template("sparql.html", query=query, answer=answer, error=error,
                           csv_url=csv_url,
                           error_status=status_of(error) if error is not None else None,
                           examples=[{**e, "query": prologue + "\n" + _strip_comment(e["query"])}
                                     for e in examples])
    return (html, status_of(error)) if error is not None else html


def _strip_comment(text: str) -> str:
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "\n".join(lines).strip() + "\n"
