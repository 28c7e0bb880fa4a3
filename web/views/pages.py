"""HTML pages: search, documents, resource pages (with content negotiation) and the graph view."""
from __future__ import annotations

from dataclasses import replace

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request,
                   send_from_directory, url_for)
from markupsafe import Markup

from ...kg import NotFound, entity_type
from ..context import get_kg
from ..errors import error_response
from ..exports import table_response, wanted_format
from ..highlight import Span, annotate, mark_spans, term_spans
from ..params import date_arg, page_arg, search_filters, search_paging, text_arg
from ..templating import ENTITY_TYPE_NAMES, TYPE_NAMES
from ..urls import (doc_iri, entity_iri_of, passage_anchor, passage_of, passage_url, resource_url,
                    topic_iri_of)

bp = Blueprint("pages", __name__)

#: Media types a resource URL answers with; HTML first.
RESOURCE_TYPES = ["text/html", "text/turtle", "application/ld+json", "application/n-triples"]
_RDF_ALIASES = {"application/json": "application/ld+json", "text/n-triples": "application/n-triples",
                "application/x-turtle": "text/turtle", "text/plain": "application/n-triples"}


# -- search -------------------------------------------------------------------
def _evidence_html(evidence: dict, query: str):
    """An evidence sentence with the matched words in ``<mark>``."""
    text = evidence.get("text", "")
    spans = [(int(h[0]), int(h[1])) for h in evidence.get("highlights") or ()]
    if not spans:
        spans = term_spans(text, [query, *query.split()])
    return mark_spans(text, spans)


@bp.get("/")
@bp.get("/search")
def search():
    query = text_arg("q")
    kind = text_arg("type") or None
    if kind and kind not in TYPE_NAMES:
        kind = None
    filters, paging, fmt = search_filters(), search_paging(), wanted_format()
    groups: list[tuple[str, list[dict]]] = []
    result = pager = None
    if query:
        kg = get_kg()
        if fmt and paging["all_matches"]:  # a download holds every match, not one page
            paging = {**paging, "k": EXPORT_MAX, "offset": 0}
        result = kg.search(query, type=kind, **filters, **paging).to_json()
        if fmt:
            return _search_table(result, fmt)
        by_type: dict[str, list[dict]] = {}
        first = (result.get("offset") or 0) + 1  # one rank across the groups and the more
        for rank, hit in enumerate(result.get("results", []) + result.get("more", []), first):
            hit["rank"] = rank
            for ev in hit.get("evidence", []) or []:
                ev["html"] = _evidence_html(ev, query)
        for hit in result.get("results", []):
            by_type.setdefault(hit.get("type") or "other", []).append(hit)
        groups = list(by_type.items())
        pager = _search_pager(result, paging["k"] or kg.settings.search_k)
    return render_template("search.html", query=query, kind=kind, result=result, groups=groups,
                           filters=filters, pager=pager,
                           examples=[] if query else _examples(get_kg()))


def _examples(kg) -> list[str]:
    """Example questions about what this store holds: its two most linked finer topics (the
    top categories, 其他 among them, are too broad to ask about), as task questions when it has
    tasks, and a list question."""
    topics = sorted((t for t in kg.topics() if t.broader and t.units), key=lambda t: -t.units)[:2]
    tasks = any(d.tasks for d in kg.documents())
    examples = []
    if topics:
        examples.append(f"哪些任务涉及{topics[0].zh}？" if tasks else topics[0].zh)
    if len(topics) > 1 and topics[1].en:
        english = topics[1].en[:1].lower() + topics[1].en[1:]
        examples.append(f"which tasks involve {english}?" if tasks else english)
    if kg.entity_type_counts().get("Organization"):
        examples.append("哪些单位")
    return examples


#: The most matches one download of ``all=1`` holds.
EXPORT_MAX = 10_000


def _search_pager(result: dict, size: int) -> dict | None:
    """Links past this answer: "show all" for a ranked answer that leaves verbatim matches
    out, previous/next pages for an answer of every match (or a list); None otherwise."""
    total, shown = result.get("total"), len(result.get("results") or ())
    offset = result.get("offset") or 0
    args = {key: value for key, value in request.args.items() if key not in ("offset", "format")}
    if total is None or (result.get("answer") == "ranked" and total <= shown):
        return None
    if result.get("answer") == "ranked":
        return {"total": total, "all": url_for("pages.search", **{**args, "all": "1"})}
    if offset == 0 and shown >= total:
        return {"total": total, "first": 1, "last": total}
    # a page's size as the answer gives it (a list's pages hold 100): the shown count is short
    # on the last page, and "previous" from there went back by that count only
    step = max(result.get("limit") or size, shown)
    page = -(-offset // step) + 1  # an offset between pages counts as the next one

    def url(start: int) -> str:
        return url_for("pages.search", **args, offset=start)

    return {"total": total, "first": offset + 1, "last": offset + shown,
            "page": page, "pages": max(page, -(-total // step)),
            # past the end, "previous" is the last page
            "prev": url(min(max(0, offset - step), (total - 1) // step * step))
            if offset > 0 and total else None,
            "next": url(offset + shown) if shown and offset + shown < total else None}


_SEARCH_HEADERS = ["排名 Rank", "类型 Type", "编号 Number", "名称 Name", "文档 Document", "日期 Date",
                   "得分 Score", "证据 Evidence", "位置 Location", "链接 Link"]


def _search_table(result: dict, fmt: str) -> Response:
    """Search results as a table: one row per evidence sentence (or per hit without evidence)."""
    root = request.host_url.rstrip("/")
    rows = []
    for rank, hit in enumerate(result.get("results", []), (result.get("offset") or 0) + 1):
        head = [rank, hit.get("type") or "", hit.get("number") or "", hit.get("label") or hit["iri"],
                hit.get("title") or "", hit.get("date") or "", hit.get("score")]
        evidence = hit.get("evidence") or [{}]
        for ev in evidence:
            where = link = ""
            if ev.get("document") and ev.get("start") is not None:
                where = f"[{ev['start']}, {ev['end']})"
                link = root + passage_url(ev["document"], ev["start"], ev["end"])
            rows.append(head + [ev.get("text") or "", where, link or root + resource_url(hit["iri"])])
    return table_response("search", _SEARCH_HEADERS, rows, fmt)


# -- documents ------------------------------------------------------------------
@bp.get("/documents")
def documents():
    wanted = {"q": text_arg("q"), "kind": text_arg("kind"),
              "from": date_arg("from") or "", "to": date_arg("to") or ""}
    kg = get_kg()
    every = kg.documents()
    docs = kg.documents(text=wanted["q"], kind=wanted["kind"], date_from=wanted["from"],
                        date_to=wanted["to"]) if any(wanted.values()) else every
    kinds = sorted({d.kind for d in every if d.kind})
    page = page_arg()
    pager = _pager("page", page, max(1, -(-len(docs) // DOCUMENT_LIST_PAGE)), DOCUMENT_LIST_PAGE)
    shown = docs[(page - 1) * DOCUMENT_LIST_PAGE:page * DOCUMENT_LIST_PAGE]
    return render_template("documents.html", documents=[d.to_json() for d in shown],
                           matching=len(docs), total=len(every), kinds=kinds, wanted=wanted,
                           pager=pager)


#: Rows of the document list per page (a corpus of 1,083 made a page of 456 kB).
DOCUMENT_LIST_PAGE = 200


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
    data = kg.resource(iri, page=page_arg(), tasks_page=page_arg("tasks_page")).to_json()
    if _is_document(data):
        html = render_template("document.html", r=data, iri=iri, hidden=_DOCUMENT_HIDDEN,
                               **_document_parts(data, kg.passages(iri), kg.pages(iri)))
    else:
        html = render_template("resource.html", r=data, iri=iri, **_page_parts(data))
    response = Response(html, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response


# Shown elsewhere on a document page (outline, highlighted text) or too long for a table.
_DOCUMENT_HIDDEN = ("https://w3id.org/policykg/ontology#mentions", "http://purl.org/dc/terms/hasPart",
                    "https://w3id.org/policykg/ontology#contentHash")


def _is_document(data: dict) -> bool:
    return bool(data.get("text")) and any(
        t.get("iri", "").endswith("#PolicyDocument") for t in data.get("types") or ())


def _mention_spans(mentions) -> list[Span]:
    """Entity mentions as marked links, classed by entity type."""
    return [Span(m["start"], m["end"], resource_url(m["entity"]) if m.get("entity") else None,
                 css=f"t-{(m.get('type') or 'entity').lower()}", title=m.get("label") or "")
            for m in mentions]


def _document_parts(data: dict, sentences: list[tuple[int, int]], pages: list[tuple[int, int]]) -> dict:
    """A document's text as safe HTML: every sentence anchored (``#s-START-END``), every
    entity mention linked and marked (escaped segments, markup only at stored offsets),
    and a marker anchored ``#page-N`` where each page of a PDF/Word/OFD file begins."""
    text = data["text"]
    # a tooltip only where the entity's name differs from the words marked
    spans = [replace(s, title="") if s.title == text[s.start:s.end] else s
             for s in _mention_spans(data.get("spans") or ())]
    starts = [(n, s) for n, s in pages if 0 <= s <= len(text)]
    bounds = [s for _, s in starts] + [len(text)]
    html = [annotate(text[:bounds[0]], sentences=sentences, spans=spans)]
    for (number, start), end in zip(starts, bounds[1:]):
        html.append(Markup(f'<a class="page-mark hint" id="page-{number}" href="#page-{number}">'
                           f'第 {number} 页 · page {number}</a>'))
        html.append(annotate(text[start:end], offset=start, sentences=sentences, spans=spans))
    return {"text_html": Markup("").join(html), "page_numbers": [n for n, _ in starts],
            "headings": _headings(data.get("outline") or [])}


def _headings(nodes: list[dict], top: bool = True) -> list[dict]:
    """The outline without plain paragraphs (as ``policykg parse`` shows it): a report's
    hundreds of them made its page 96 kB longer; a document of paragraphs only lists them."""
    kept = [n for n in nodes if n.get("type") != "Paragraph"] or (nodes if top else [])
    return [{**n, "children": _headings(n.get("children") or [], False)} for n in kept]


#: Rows of the table of documents naming an entity shown per page (a corpus entity has hundreds).
DOCUMENTS_PER_PAGE = 50


def _page_parts(data: dict) -> dict:
    """Pre-rendered safe HTML of a resource page: each mention of the resource in its
    sentence with the span marked, and the pagers of its mentions, its documents and
    their tasks (parameters ``page``, ``docs_page``, ``tasks_page``)."""
    parts: dict = {}
    contexts = []
    seen: set[tuple] = set()
    for m in data.get("mentions") or ():
        place = (m.get("document"), m.get("start"), m.get("end"))
        if place in seen:  # one passage asserted twice (a topic by two of its labels)
            continue
        seen.add(place)
        if m.get("sentence"):
            span = m.get("highlight")
            contexts.append((m, mark_spans(m["sentence"], [tuple(span)] if span else [])))
        else:
            contexts.append((m, mark_spans(m.get("exact") or "", [(0, len(m.get("exact") or ""))])))
    parts["mention_contexts"] = contexts
    per_page = data.get("mentions_per_page") or 50
    total, page = data.get("mention_total") or 0, data.get("mention_page") or 1
    parts["pager"] = _pager("page", page, max(1, -(-total // per_page)), per_page)
    documents = data.get("documents") or []
    docs_page = page_arg("docs_page")
    parts["documents"] = documents[(docs_page - 1) * DOCUMENTS_PER_PAGE:docs_page * DOCUMENTS_PER_PAGE]
    parts["docs_pager"] = _pager("docs_page", docs_page,
                                 max(1, -(-len(documents) // DOCUMENTS_PER_PAGE)), DOCUMENTS_PER_PAGE,
                                 anchor="documents")
    parts["tasks"] = data.get("tasks") or []
    parts["tasks_pager"] = _pager("tasks_page", data.get("tasks_page") or 1,
                                  data.get("tasks_pages") or 1,
                                  data.get("task_documents_per_page") or 10, anchor="tasks")
    return parts


def _pager(param: str, page: int, pages: int, per_page: int, *, anchor: str | None = None) -> dict:
    """Page ``page`` of ``pages`` with links to the previous and next ones (the other
    parameters of the request kept, landing on ``#anchor``; past the end, "previous" is
    the last page)."""
    args = {**(request.view_args or {}), **request.args.to_dict()}

    def url(number: int) -> str:
        return url_for(request.endpoint, **{**args, param: number}, _anchor=anchor)

    return {"page": page, "pages": pages, "first": (page - 1) * per_page + 1,
            "prev": url(min(page - 1, pages)) if page > 1 else None,
            "next": url(page + 1) if page < pages else None}


@bp.get("/resource")
def resource():
    iri = text_arg("iri")
    if not iri:
        abort(400, "缺少参数 iri · missing parameter iri")
    url = resource_url(iri)
    if "#s-" in url and _negotiate_resource() == "text/html":  # a passage: open the document there
        return redirect(url, code=303)
    return _resource_response(iri)


@bp.get("/doc/<path:rest>")
def doc_page(rest: str):
    passage = passage_of(rest)
    html = _negotiate_resource() == "text/html"
    if passage and html:
        # a sentence, mention or evidence: the document, scrolled to that passage
        document, start, end = passage
        return redirect(f"{url_for('pages.doc_page', rest=document)}#{passage_anchor(start, end)}",
                        code=303)
    if html and "/" in rest.strip("/"):
        try:
            return _unit_page(get_kg().unit_view(doc_iri(rest)).to_json())
        except NotFound:
            pass  # not a unit (an annotation, a selector …): its linked-data page
    return _resource_response(doc_iri(rest))


def _unit_page(view: dict) -> Response:
    """A task, section or article: breadcrumb, its text with entities marked, entities by type."""
    text_html = annotate(view["text"], offset=view["start"],
                         sentences=[(s["start"], s["end"]) for s in view["sentences"]],
                         spans=_mention_spans(view["mentions"]))
    response = Response(render_template("unit.html", u=view, text_html=text_html),
                        mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/entity/<path:rest>")
def entity_page(rest: str):
    return _resource_response(entity_iri_of(rest))


@bp.get("/topic/<path:slug>")
def topic_page(slug: str):
    return _resource_response(topic_iri_of(slug))


# -- lists ------------------------------------------------------------------------
#: Rows a list page shows (a corpus has tens of thousands of entities; downloads hold them all).
MAX_LIST_ROWS = 300
_ENTITY_HEADERS = ["名称 Name", "英文名 English name", "别名 Aliases", "类型 Type", "提及 Mentions",
                   "文档 Documents", "单元 Units", "首次提及 First mention", "位置 Location",
                   "链接 Link"]


@bp.get("/entities")
def entities():
    kind = entity_type(text_arg("type"))  # any case, or as the page spells it (Organisation)
    if kind and kind not in ENTITY_TYPE_NAMES:
        abort(400, f"类型须为 · type must be one of {', '.join(ENTITY_TYPE_NAMES)}, not {kind!r}")
    needle = text_arg("q")
    kg = get_kg()
    rows = [r.to_json() for r in kg.entities(kind, text=needle or None)]
    fmt = wanted_format()
    if fmt:
        root = request.host_url.rstrip("/")
        table = []
        for r in rows:
            ex = r.get("example") or {}
            table.append([r["zh"], r["en"], "、".join(r["aliases"]), r["type"], r["mentions"],
                          r["documents"], r["units"], ex.get("text") or "",
                          f"[{ex['start']}, {ex['end']})" if ex else "",
                          root + (passage_url(ex["document"], ex["start"], ex["end"]) if ex
                                  else resource_url(r["iri"]))])
        return table_response(f"entities-{kind or 'all'}", _ENTITY_HEADERS, table, fmt)
    return render_template("entities.html", rows=rows[:MAX_LIST_ROWS], total=len(rows), kind=kind,
                           q=needle, counts=kg.entity_type_counts())


_TOPIC_HEADERS = ["主题 Topic", "英文 English", "单元 Units", "文档 Documents", "链接 Link"]


@bp.get("/topics")
def topics():
    rows = [t.to_json() for t in get_kg().topics()]
    fmt = wanted_format()
    if fmt:
        root = request.host_url.rstrip("/")
        return table_response("topics", _TOPIC_HEADERS,
                              [[t["zh"], t["en"], t["units"], t["documents"],
                                root + resource_url(t["iri"])] for t in rows], fmt)
    return render_template("topics.html", rows=rows)


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)


# -- graph ----------------------------------------------------------------------
@bp.get("/graph")
def graph():
    params = {key: text_arg(key, default) for key, default in
              (("iri", ""), ("depth", "1"), ("types", ""), ("area", ""), ("q", ""),
               ("document", ""), ("limit", ""))}
    api_params = {k: v for k, v in params.items() if v}
    return render_template("graph.html", params=params, api_params=api_params,
                           documents=[d.to_json() for d in get_kg().documents()])
