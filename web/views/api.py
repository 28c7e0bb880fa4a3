"""The JSON API: search, resources, graph views and the document list."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from ..context import get_kg
from ..params import int_arg, list_arg, page_arg, search_filters, search_paging, text_arg
from ..urls import resource_url

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    """Ranked hits; with ``all=1`` every verbatim match, ``k`` of them from ``offset``."""
    result = get_kg().search(request.args.get("q", ""), type=text_arg("type") or None,
                             **search_paging(), **search_filters())
    return jsonify(result.to_json())


@bp.get("/resource")
def resource():
    iri = text_arg("iri")
    if not iri:
        abort(400, "missing parameter iri")
    return jsonify(get_kg().resource(iri, page=page_arg(), tasks_page=page_arg("tasks_page")).to_json())


@bp.get("/graph")
def graph():
    """Around ``iri`` (a name, alias or IRI; bounded by ``limit``), the nodes of a section
    (``area``), or else the task–entity map of ``document``; ``q`` highlights."""
    kg = get_kg()
    depth, query = int_arg("depth", 1, 1, 2), text_arg("q") or None
    if text_arg("area"):
        data = kg.neighbourhood(text_arg("iri") or None, depth=depth, types=list_arg("types"),
                                area=text_arg("area"), query=query)
    else:
        data = kg.graph_view(text_arg("iri") or None, document=text_arg("document") or None,
                             depth=depth, limit=int_arg("limit", None, 1, 400),
                             types=list_arg("types"), query=query)
    for node in data.get("nodes", []):
        node.setdefault("url", resource_url(node["id"]))
    return jsonify(data)


@bp.get("/suggest")
def suggest():
    """Names of entities and tasks containing ``q``, for the graph's centre box."""
    return jsonify([{"iri": n.iri, "label": n.label, "en": n.en, "type": n.type}
                    for n in get_kg().suggest(text_arg("q"), limit=int_arg("limit", 10, 1, 50))])


@bp.get("/entities")
def entities():
    return jsonify([r.to_json() for r in get_kg().entities(text_arg("type") or None,
                                                           text=text_arg("q") or None)])


@bp.get("/topics")
def topics():
    return jsonify([t.to_json() for t in get_kg().topics()])


@bp.get("/documents")
def documents():
    return jsonify([d.to_json() for d in get_kg().documents()])
