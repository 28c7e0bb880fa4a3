"""The JSON API: search, resources, graph views and the document list."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from ..app import get_kg
from .pages import page_arg, resource_url, search_filters

bp = Blueprint("api", __name__, url_prefix="/api")


def _int(name: str, default: int | None, low: int, high: int) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        abort(400, f"parameter {name} must be an integer, not {value!r}")
    if not low <= number <= high:
        abort(400, f"parameter {name} must be between {low} and {high}")
    return number


@bp.get("/search")
def search():
    query = request.args.get("q", "")
    result = get_kg().search(query, type=request.args.get("type") or None,
                             k=_int("k", None, 1, 200), **search_filters())
    return jsonify(result.to_json())


@bp.get("/resource")
def resource():
    iri = request.args.get("iri", "").strip()
    if not iri:
        abort(400, "missing parameter iri")
    return jsonify(get_kg().resource(iri, page=page_arg()).to_json())


@bp.get("/graph")
def graph():
    types = [t for t in request.args.get("types", "").split(",") if t.strip()] or None
    data = get_kg().neighbourhood(request.args.get("iri") or None,
                                  depth=_int("depth", 1, 1, 2), types=types,
                                  area=request.args.get("area") or None,
                                  query=request.args.get("q", "").strip() or None)
    for node in data.get("nodes", []):
        node.setdefault("url", resource_url(node["id"]))
    return jsonify(data)


@bp.get("/documents")
def documents():
    return jsonify([d.to_json() for d in get_kg().documents()])
