"""The comparison of two documents: ``/compare?a=<doc>&b=<doc>`` (HTML, CSV, XLSX)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from ..context import get_kg
from ..exports import table_response, wanted_format
from ..params import int_arg, text_arg
from ..urls import passage_url, resource_url

bp = Blueprint("compare", __name__)

_HEADERS = ["类别 Part", "范围 In", "类型 Type", "A 名称或文字 A name or text", "A 提及或位置 A mentions or location",
            "B 名称或文字 B name or text", "B 提及或位置 B mentions or location", "相似度 Similarity",
            "A 链接 A link", "B 链接 B link"]
_SIDES = {"both": "both", "a": "A", "b": "B"}


def doc_id(iri: str) -> str:
    """The short id of a document IRI (what ``/doc/<id>`` and the selects use)."""
    return iri.rsplit("/doc/", 1)[-1]


@bp.get("/compare")
def compare():
    a, b = text_arg("a"), text_arg("b")
    fmt = wanted_format()
    kg = get_kg()
    comparison = None
    if a and b:
        comparison = kg.compare(a, b, limit=int_arg("k", 20, 1, 200)).to_json()
        if fmt:
            return _table(comparison, fmt)
    elif fmt:
        abort(400, "下载前请选择两份文档 · choose two documents (a= and b=) to download their comparison")
    return render_template("compare.html", options=_options(kg.documents()), c=comparison, doc_id=doc_id,
                           chosen=(comparison["a"]["iri"] if comparison else a,
                                   comparison["b"]["iri"] if comparison else b))


def _options(documents: list) -> list[tuple[str, str]]:
    """(id, label) of every document for the selects: title and date, and the file name
    when another document has the same title (the work reports of several years)."""
    titles = [d.title for d in documents]
    out = []
    for d in documents:
        label = d.title or d.iri
        if d.date:
            label += f" · {d.date}"
        if d.source_file and titles.count(d.title) > 1:
            label += f" · {d.source_file}"
        out.append((doc_id(d.iri), label))
    return out


def _table(c: dict, fmt: str) -> Response:
    """The comparison as one table: relations, entities, topics, similar units and sentences."""
    root = request.host_url.rstrip("/")
    rows: list[list] = []
    for r in c["relations"]:
        rows.append(["关系 relation", "", r["predicate"], r["source"], "", r["target"], "", None,
                     root + resource_url(r["source"]), root + resource_url(r["target"])])
    for e in c["entities"]:
        rows.append(["实体 entity", _SIDES[e["side"]], e["type"], e["zh"] if e["a"] else "", e["a"],
                     e["zh"] if e["b"] else "", e["b"], None, root + resource_url(e["iri"]), ""])
    for t in c["topics"]:
        rows.append(["主题 topic", _SIDES[t["side"]], "", t["zh"] if t["a"] else "", t["a"],
                     t["zh"] if t["b"] else "", t["b"], None, root + resource_url(t["iri"]), ""])
    for part, pairs in (("相似单元 similar unit", c["units"]), ("相似句子 similar sentence", c["sentences"]),
                        ("相同句子 identical sentence", c["identical"])):
        for p in pairs:
            rows.append([part, "both", p["a"]["kind"], _excerpt(p["a"]), f"[{p['a']['start']}, {p['a']['end']})",
                         _excerpt(p["b"]), f"[{p['b']['start']}, {p['b']['end']})", p["score"],
                         root + passage_url(c["a"]["iri"], p["a"]["start"], p["a"]["end"]),
                         root + passage_url(c["b"]["iri"], p["b"]["start"], p["b"]["end"])])
    return table_response(f"compare-{doc_id(c['a']['iri'])}-{doc_id(c['b']['iri'])}", _HEADERS, rows, fmt)


def _excerpt(item: dict) -> str:
    return f"{item['label']}：{item['text']}" if item["label"] and not item["text"].startswith(item["label"]) \
        else item["text"]
