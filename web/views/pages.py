"""HTML pages: search, documents, resource pages (with content negotiation) and the graph view."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for

from ...kg import curie
from ...kg.iris import entity_iri
from ...kg.resource import MENTIONS_PER_PAGE
from ...kg.vocab import TOPIC_IRI

from ..app import get_kg
from ..errors import error_response
from ..highlight import link_spans, mark_spans, term_spans

bp = Blueprint("pages", __name__)

#: Result and node types, with their Chinese and English names.
TYPE_NAMES = {
    "task": "任务 Tasks", "entity": "实体 Entities", "sentence": "句子 Sentences",
    "document": "文档 Documents",
}
#: Media types a resource URL answers with; HTML first.
RESOURCE_TYPES = ["text/html", "text/turtle", "application/ld+json", "application/n-triples"]
_RDF_ALIASES = {"application/json": "application/ld+json", "text/n-triples": "application/n-triples",
                "application/x-turtle": "text/turtle", "text/plain": "application/n-triples"}


def resource_url(iri: str) -> str:
    """The page of an IRI: a pretty path under the base IRI, else ``/resource?iri=``."""
    base = current_app.jinja_env.globals.get("base_iri", "")
    for prefix, route in ((f"{base}doc/", "doc"), (f"{base}entity/", "entity"),
                          (TOPIC_IRI, "topic")):
        if iri.startswith(prefix) and len(iri) > len(prefix):
            return f"/{route}/{iri[len(prefix):]}"
    return url_for("pages.resource", iri=iri)


def page_arg() -> int:
    """The ``page`` parameter (1 when absent); 400 unless a positive integer."""
    value = (request.args.get("page") or "1").strip()
    if not value.isdecimal() or not 1 <= int(value) <= 10 ** 6:
        abort(400, f"参数 page 须为正整数 · parameter page must be a positive integer, not {value!r}")
    return int(value)


def init_app(app: Flask) -> None:
    """Template helpers shared by every page."""
    app.jinja_env.globals.update(resource_url=resource_url, short_iri=curie,
                                 TYPE_NAMES=TYPE_NAMES)
    app.jinja_env.filters["resource_url"] = resource_url
    app.jinja_env.filters["short_iri"] = curie


# -- search -------------------------------------------------------------------
def _evidence_html(evidence: dict, query: str):
    """An evidence sentence with the matched words in ``<mark>``."""
    text = evidence.get("text", "")
    spans = []
    for h in evidence.get("highlights") or ():
        if isinstance(h, dict):
            spans.append((int(h.get("start", 0)), int(h.get("end", 0))))
        elif isinstance(h, (list, tuple)) and len(h) == 2:
            spans.append((int(h[0]), int(h[1])))
        elif isinstance(h, str):
            spans.extend(term_spans(text, [h]))
    if not spans:
        spans = term_spans(text, [query, *query.split()])
    return mark_spans(text, spans)


def search_filters() -> dict[str, str | None]:
    """The search filters of a request: document (IRI or title), from/to dates, kind."""
    return {"document": request.args.get("document") or None,
            "date_from": request.args.get("from") or None,
            "date_to": request.args.get("to") or None,
            "kind": request.args.get("kind") or None}


@bp.get("/")
@bp.get("/search")
def search():
    query = (request.args.get("q") or "").strip()
    kind = request.args.get("type") or None
    if kind and kind not in TYPE_NAMES:
        kind = None
    groups: list[tuple[str, list[dict]]] = []
    result = None
    if query:
        result = get_kg().search(query, type=kind, **search_filters()).to_json()
        by_type: dict[str, list[dict]] = {}
        for hit in result.get("results", []):
            for ev in hit.get("evidence", []) or []:
                ev["html"] = _evidence_html(ev, query)
            by_type.setdefault(hit.get("type") or "other", []).append(hit)
        groups = list(by_type.items())
    return render_template("search.html", query=query, kind=kind, result=result, groups=groups,
                           filters=search_filters())


# -- documents ------------------------------------------------------------------
@bp.get("/documents")
def documents():
    from ...kg.resource import filter_documents

    every = get_kg().documents()
    wanted = {key: (request.args.get(key) or "").strip()[:200]
              for key in ("q", "kind", "from", "to")}
    docs = filter_documents(every, text=wanted["q"], kind=wanted["kind"],
                            date_from=wanted["from"], date_to=wanted["to"])
    kinds = sorted({d.kind for d in every if d.kind})
    return render_template("documents.html", documents=[d.to_json() for d in docs],
                           total=len(every), kinds=kinds, wanted=wanted)


# -- resources ------------------------------------------------------------------
def _negotiate_resource() -> str | None:
    """The media type to answer a resource request with, or None (406)."""
    accept = request.accept_mimetypes
    fmt = request.args.get("format")
    if fmt:
        return {"ttl": "text/turtle", "turtle": "text/turtle", "jsonld": "application/ld+json",
                "nt": "application/n-triples", "html": "text/html"}.get(fmt)
    if not request.headers.get("Accept", "").strip():
        return "text/html"  # no Accept header: any type is acceptable (RFC 9110 §12.5.1)
    best = accept.best_match(RESOURCE_TYPES)
    if best:
        return best
    for alias, target in _RDF_ALIASES.items():
        if accept[alias] > 0:
            return target
    return None


def _resource_response(iri: str):
    media_type = _negotiate_resource()
    if media_type is None:
        return error_response(406, "可提供的格式 · available formats: " + ", ".join(RESOURCE_TYPES))
    kg = get_kg()
    if media_type != "text/html":
        body, media_type = kg.resource_rdf(iri, media_type)
        response = Response(body, mimetype=media_type)
        response.headers["Vary"] = "Accept"
        return response
    data = kg.resource(iri, page=page_arg()).to_json()
    html = render_template("document.html" if _is_document(data) else "resource.html",
                           r=data, iri=iri, hidden=_DOCUMENT_HIDDEN, **_page_parts(data))
    response = Response(html, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response


# Shown elsewhere on a document page (outline, highlighted text) or too long for a table.
_DOCUMENT_HIDDEN = ("https://w3id.org/policykg/ontology#mentions", "http://purl.org/dc/terms/hasPart",
                    "https://w3id.org/policykg/ontology#contentHash")


def _is_document(data: dict) -> bool:
    return bool(data.get("text")) and any(
        t.get("iri", "").endswith("#PolicyDocument") for t in data.get("types") or ())


def _page_parts(data: dict) -> dict:
    """Pre-rendered safe HTML of the text parts of a resource page.

    The document text with every entity mention linked and marked (escaped
    segments, markup only at the stored offsets), and each mention of the
    resource in its sentence with the span marked.
    """
    parts: dict = {}
    text = data.get("text")
    if text:
        spans = [(s["start"], s["end"], resource_url(s["entity"]) if s.get("entity") else None)
                 for s in data.get("spans") or ()]
        parts["text_html"] = link_spans(text, spans)
    contexts = []
    for m in data.get("mentions") or ():
        if m.get("sentence"):
            span = m.get("highlight")
            contexts.append((m, mark_spans(m["sentence"], [tuple(span)] if span else [])))
        else:
            contexts.append((m, mark_spans(m.get("exact") or "", [(0, len(m.get("exact") or ""))])))
    parts["mention_contexts"] = contexts
    total, page = data.get("mention_total") or 0, data.get("mention_page") or 1
    pages = max(1, -(-total // MENTIONS_PER_PAGE))
    args = {**(request.view_args or {}), **request.args.to_dict()}

    def url(number: int) -> str:
        return url_for(request.endpoint, **{**args, "page": number})

    parts["pager"] = {"page": page, "pages": pages,
                      "first": (page - 1) * MENTIONS_PER_PAGE + 1,
                      "prev": url(min(page - 1, pages)) if page > 1 else None,
                      "next": url(page + 1) if page < pages else None}
    return parts


@bp.get("/resource")
def resource():
    iri = (request.args.get("iri") or "").strip()
    if not iri:
        abort(400, "缺少参数 iri · missing parameter iri")
    return _resource_response(iri)


@bp.get("/doc/<path:rest>")
def doc_page(rest: str):
    return _resource_response(f"{current_app.jinja_env.globals['base_iri']}doc/{rest}")


@bp.get("/entity/<path:rest>")
def entity_page(rest: str):
    # The path arrives %-decoded; the IRI scheme re-encodes it the same way it minted it.
    return _resource_response(entity_iri(current_app.jinja_env.globals["base_iri"], rest))


@bp.get("/topic/<path:slug>")
def topic_page(slug: str):
    return _resource_response(f"{TOPIC_IRI}{quote(slug, safe='-_.~/')}")


# -- graph ----------------------------------------------------------------------
@bp.get("/graph")
def graph():
    params = {
        "iri": request.args.get("iri", ""),
        "depth": request.args.get("depth", "1"),
        "types": request.args.get("types", ""),
        "area": request.args.get("area", ""),
        "q": request.args.get("q", ""),
    }
    return render_template("graph.html", params=params)
