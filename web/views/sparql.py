"""``/sparql``: the SPARQL 1.1 Protocol for queries, and the query page for people."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for

from ...kg import PolicyKGError, QueryRefused, sparql_prologue

from ..context import get_kg
from ..errors import status_of

bp = Blueprint("sparql", __name__)

_FORMATS = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
    "csv": "text/csv", "tsv": "text/tab-separated-values", "ttl": "text/turtle",
    "turtle": "text/turtle", "jsonld": "application/ld+json", "nt": "application/n-triples",
}
_MACHINE_TYPES = ["application/sparql-results+json", "application/sparql-results+xml",
                  "text/turtle", "application/ld+json", "application/n-triples",
                  "text/csv", "text/tab-separated-values"]


def _browser() -> bool:
    """True when the client wants a page (a browser), not a protocol answer."""
    return request.accept_mimetypes.best_match(_MACHINE_TYPES + ["text/html"]) == "text/html"


def _read_request() -> tuple[str | None, list[str], list[str]]:
    """The query and dataset of a protocol request (GET, POST form or POST query).

    Raises:
        QueryRefused: the request is an update.
    """
    if request.method == "GET":
        source = request.args
        query = source.get("query")
    else:
        mimetype = request.mimetype
        if mimetype == "application/x-www-form-urlencoded":
            source = request.form
            query = source.get("query")
        elif mimetype == "application/sparql-query":
            source = request.args
            query = request.get_data(as_text=True)
        elif mimetype == "application/sparql-update":
            raise QueryRefused("SPARQL updates are not allowed here; this endpoint only answers queries")
        else:
            abort(415, f"POST a query as application/x-www-form-urlencoded or "
                       f"application/sparql-query, not {mimetype or 'no content type'}")
    if source.get("update") is not None:
        raise QueryRefused("SPARQL updates are not allowed here; this endpoint only answers queries")
    defaults = request.args.getlist("default-graph-uri") + (
        request.form.getlist("default-graph-uri") if request.method == "POST" else [])
    named = request.args.getlist("named-graph-uri") + (
        request.form.getlist("named-graph-uri") if request.method == "POST" else [])
    return query, defaults, named


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    query, defaults, named = _read_request()
    kg = get_kg()
    fmt = request.args.get("format") or (request.form.get("format") if request.method == "POST"
                                          else None)
    if fmt and fmt not in _FORMATS and fmt != "html":
        abort(400, f"unknown format {fmt!r}; use one of {', '.join(_FORMATS)}")
    html = fmt == "html" or (not fmt and _browser())
    if query is None:
        if html:
            return _page(kg, "", None, None)
        from ...kg.sparql import service_description

        return Response(service_description(url_for("sparql.endpoint", _external=True)),
                        mimetype="text/turtle")
    if html:
        try:
            answer = kg.query(query, default_graph_uris=defaults, named_graph_uris=named)
        except PolicyKGError as exc:
            return _page(kg, query, None, exc), status_of(exc)
        return _page(kg, query, answer, None)
    accept = _FORMATS[fmt] if fmt else request.headers.get("Accept")
    answer = kg.query(query, accept=accept, default_graph_uris=defaults, named_graph_uris=named)
    mimetype = answer.media_type
    response = Response(answer.body, content_type=f"{mimetype}; charset=utf-8")
    response.headers["Vary"] = "Accept"
    if answer.truncated:
        response.headers["X-PolicyKG-Truncated"] = str(answer.limit)
        response.headers["Warning"] = f'199 - "{answer.note}"'
    return response


def _page(kg, query: str, answer, error):
    examples = kg.example_queries()
    prologue = sparql_prologue()
    if not query:
        first = examples[0]["query"] if examples else "SELECT * WHERE { ?s ?p ?o } LIMIT 10\n"
        query = prologue + "\n" + _strip_comment(first)
    return render_template("sparql.html", query=query, answer=answer, error=error,
                           examples=[{**e, "query": prologue + "\n" + _strip_comment(e["query"])}
                                     for e in examples])


def _strip_comment(text: str) -> str:
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "\n".join(lines).strip() + "\n"
