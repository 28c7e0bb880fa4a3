"""The JSON API: search, resources, graph views and the document list."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from ..context import get_kg
from ..params import int_arg, list_arg, page_arg, search_filters, text_arg
from ..urls import resource_url

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    result = get_kg().search(request.args.get("q", ""), type=text_arg("type") or None,
                             k=int_arg("k", None, 1, 200), **search_filters())
    return jsonify(result.to_json())


@bp.get("/resource")
def resource():
    iri = text_arg("iri")
    if not iri:
        abort(400, "missing parameter iri")
    return jsonify(get_kg().resource(iri, page=page_arg()).to_json())


@bp.get("/graph")
def graph():
    data = get_kg().neighbourhood(text_arg("iri") or None, depth=int_arg("depth", 1, 1, 2),
                                  types=list_arg("types"), area=text_arg("area") or None,
                                  query=text_arg("q") or None)
    for node in data.get("nodes", []):
        node.setdefault("url", resource_url(node["id"]))
    return jsonify(data)


@bp.get("/documents")
def documents():
    return jsonify([d.to_json() for d in get_kg().documents()])
