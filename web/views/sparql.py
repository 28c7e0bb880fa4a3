"""``/sparql``: the SPARQL 1.1 Protocol for queries, and the query page for people.

Formats are negotiated here (werkzeug's ``best_match`` over ``kg.formats``);
a ``format`` or ``output`` parameter naming a known format wins over
``Accept``, an unknown one is ignored. The answer streams from kg as the
engine encodes it. CORS headers (read-only, no credentials) are added to
``/sparql`` and ``/api/*`` answers unless the setting ``cors`` is empty.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template, request, url_for

from ...kg import (Format, InvalidIRI, PolicyKGError, QueryRefused, by_media_type, by_name,
                   check_iri, of_kind, service_description, sparql_prologue)
from ..context import get_kg
from ..errors import status_of

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


def _negotiate(family: str, named: str | None) -> Format | None:
    """The format of one family: the ``format`` parameter if it names one, else ``Accept``."""
    if named:
        kinds = ("results",) if family == "results" else ("graph", "dataset")
        for kind in kinds:
            fmt = by_name(named, kind) or by_media_type(named, kind)
            if fmt is not None:
                return fmt
    if not request.headers.get("Accept"):
        return next(iter(_OFFERED[family].values()))
    best = request.accept_mimetypes.best_match(list(_OFFERED[family]))
    if best == "text/plain":  # answered as asked: TSV (or N-Triples) labelled text/plain
        g.sparql_plain = True
    return _OFFERED[family][best] if best else None


def _browser(named: str | None) -> bool:
    """True when the client wants the HTML page, not a protocol answer."""
    if named:
        return named == "html"
    machine = list(_OFFERED["results"]) + list(_OFFERED["graph"])
    # machine formats first: "Accept: */*" (curl, most libraries) is a protocol client
    return request.accept_mimetypes.best_match(machine + ["text/html"]) == "text/html"


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
    if _browser(fmt):
        return _page(kg, query, defaults, named)
    if query is None:
        if request.method == "POST":
            abort(400, "the request has no 'query' parameter")
        return _service_description(fmt)
    answer = kg.query(query, results_format=_negotiate("results", fmt),
                      graph_format=_negotiate("graph", fmt),
                      default_graph_uris=defaults, named_graph_uris=named)
    # whole (with a Content-Length) when it is all here already or for HEAD; else it streams
    body = answer.read() if answer.complete or request.method == "HEAD" else answer.chunks
    media_type = "text/plain" if g.get("sparql_plain") and answer.format.name in ("tsv", "nt") \
        else answer.media_type
    response = Response(body, content_type=f"{media_type}; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


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
                      "note": (f"showing the first {_PAGE_ROWS} of {len(table.rows)} rows; "
                               "the JSON, CSV or TSV formats give all of them")
                      if len(table.rows) > _PAGE_ROWS else None}
        except PolicyKGError as exc:
            error = exc
    else:
        first = examples[0]["query"] if examples else "SELECT * WHERE { ?s ?p ?o } LIMIT 10\n"
        query = prologue + "\n" + _strip_comment(first)
    html = render_template("sparql.html", query=query, answer=answer, error=error,
                           error_status=status_of(error) if error is not None else None,
                           examples=[{**e, "query": prologue + "\n" + _strip_comment(e["query"])}
                                     for e in examples])
    return (html, status_of(error)) if error is not None else html


def _strip_comment(text: str) -> str:
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "\n".join(lines).strip() + "\n"
