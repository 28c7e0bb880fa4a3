"""The web app through Flask's test client: every page, API route and negotiation case."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

pytest.importorskip("flask")

from policykg.kg import KnowledgeGraph  # noqa: E402
from policykg.web.app import close_app, create_app, get_kg  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
XSS = "<script>alert(1)</script>"
XSS_DOC = "https://w3id.org/policykg/doc/0000000000000bad"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    """The bundled sample, plus a document whose title and text contain a script tag.

    The ingest cleaner drops tag-like lines from files, so the hostile document
    is written as triples, as a remote store or another tool could hold it.
    """
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import DCTERMS, RDF, RDFS

    from policykg.kg.vocab import POL

    root = tmp_path_factory.mktemp("web")
    path = str(root / "store")
    with KnowledgeGraph.open({"store": path}) as kg:
        report = kg.build([str(REPO / "data")], embed=False)
        assert report.ok, report.summary()
        doc = URIRef(XSS_DOC)
        graph = Graph()
        graph.add((doc, RDF.type, POL.PolicyDocument))
        graph.add((doc, DCTERMS.title, Literal(f"关于{XSS}的通知", lang="zh")))
        graph.add((doc, RDFS.label, Literal(f"关于{XSS}的通知", lang="zh")))
        graph.add((doc, POL.cleanText, Literal(f"关于{XSS}的通知\n\n各单位要注意{XSS}这样的文字。")))
        kg.store.replace_graph(XSS_DOC, graph)
    return path


@pytest.fixture(scope="module")
def app(store):
    app = create_app({"POLICYKG": {"store": store}, "TESTING": True})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail /etc/passwd")

    yield app
    close_app(app)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def documents(app):
    return app.test_client().get("/api/documents").json


def _doc(documents, needle: str) -> dict:
    return next(d for d in documents if needle in d["title"] or needle == d.get("source_file"))


def _path(iri: str) -> str:
    return "/" + iri.split("policykg/", 1)[1]


# -- pages ------------------------------------------------------------------------
def test_home_has_nav_and_a_plain_get_form(client):
    page = client.get("/", headers=HTML).get_data(as_text=True)
    for label in ("搜索", "文档", "图谱", "SPARQL"):
        assert label in page
    assert '<form class="search" action="/search" method="get"' in page


def test_search_groups_results_and_marks_evidence(client):
    page = client.get("/search?q=航空", headers=HTML).get_data(as_text=True)
    assert "打造航空服务新优势" in page
    assert "<mark>" in page and "航空" in page
    assert 'href="/doc/' in page  # results link to their resource pages


def test_search_with_a_type(client):
    response = client.get("/search?q=航空&type=sentence", headers=HTML)
    assert response.status_code == 200
    assert "（类型 type: 句子 Sentences）" in response.get_data(as_text=True)
    # without one, the groups' headings say what each result is (an entity first, then
    # tasks): no single type for the whole answer
    page = client.get("/search?q=东华大学", headers=HTML).get_data(as_text=True)
    assert "类型 type:" not in page and "东华大学" in page


def test_suggestions_as_json(client):
    data = client.get("/api/suggest?q=东华").json
    assert data and data[0]["label"] == "东华大学" and data[0]["type"] == "Organization"
    assert client.get("/api/suggest?q=").status_code == 400


def test_documents_page(client, documents):
    page = client.get("/documents", headers=HTML).get_data(as_text=True)
    assert "国际精品城区" in page and "2022-12-09" in page
    assert len(documents) == 2
    dates = [d["date"] for d in documents]
    assert dates == sorted((d for d in dates if d), reverse=True) + [None] * dates.count(None)
    # a page past the last says so (not "no document matches") and links back to the last
    past = client.get("/documents?page=99", headers=HTML).get_data(as_text=True)
    assert "This page is past the last one (page 1)" in past and "No document matches" not in past
    assert 'page=1" rel="prev"' in past


def test_documents_page_filters_by_title_kind_and_date(client, documents):
    def titles(query: str) -> str:
        return client.get("/documents?" + query, headers=HTML).get_data(as_text=True)

    assert "国际精品城区" in titles("q=精品城区") and "(1 / 2)" in titles("q=精品城区")
    seed_kind = _doc(documents, "国际精品城区")["kind"]
    assert "国际精品城区" in titles("kind=" + quote(seed_kind))
    assert "国际精品城区" in titles("from=2022&to=2022-12-31")
    empty = titles("from=2023-01-01")
    assert "国际精品城区" not in empty and "No document matches" in empty
    hostile = titles("q=" + quote("<script>alert(1)</script>"))
    assert "<script>alert(1)" not in hostile and "&lt;script&gt;" in hostile


def test_document_page_shows_text_and_outline(client, documents):
    doc = _doc(documents, "国际精品城区")
    page = client.get(_path(doc["iri"]), headers=HTML).get_data(as_text=True)
    assert "提纲" in page and "打造航空服务新优势" in page
    assert 'id="doc-text"' in page


def test_script_in_a_document_is_text(client, documents):
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for url in (_path(XSS_DOC), "/documents",
                "/sparql?format=html&query=" + quote("SELECT ?t WHERE { ?d dcterms:title ?t }")):
        page = client.get(url, headers=HTML).get_data(as_text=True)
        assert XSS not in page, url
        assert escaped in page, url
    api = client.get("/api/resource?iri=" + quote(XSS_DOC)).json
    assert XSS in api["text"]  # the data is kept, only escaped on the page


def test_unit_page_by_pretty_route_and_by_iri(client, documents):
    doc = _doc(documents, "国际精品城区")
    task = doc["iri"] + "/part-3/section-1/task-2"
    pretty = client.get(_path(task), headers=HTML)
    assert pretty.status_code == 200 and "打造航空服务新优势" in pretty.get_data(as_text=True)
    by_iri = client.get("/resource?iri=" + quote(task), headers=HTML)
    assert by_iri.status_code == 200


def test_a_request_without_accept_header_gets_the_html_page(client, documents):
    doc = _doc(documents, "国际精品城区")
    response = client.get(_path(doc["iri"]))  # the test client sends no Accept header
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert client.get(_path(doc["iri"]), headers={"Accept": "image/png"}).status_code == 406


def test_topic_page(client):
    response = client.get("/topic/aviation", headers=HTML)
    assert response.status_code == 200
    assert "aviation" in response.get_data(as_text=True)


@pytest.mark.parametrize("accept, media_type", [
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
])
def test_resource_content_negotiation(client, documents, accept, media_type):
    from rdflib import Graph

    doc = _doc(documents, "国际精品城区")
    response = client.get(_path(doc["iri"]), headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.headers.get("Vary", "")
    fmt = {"text/turtle": "turtle", "application/ld+json": "json-ld",
           "application/n-triples": "nt"}[media_type]
    graph = Graph().parse(data=response.data, format=fmt)
    assert len(graph) > 5


def test_resource_unacceptable_type_is_406(client, documents):
    doc = _doc(documents, "国际精品城区")
    response = client.get(_path(doc["iri"]), headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_unknown_resource_is_404_as_html_or_json(client):
    iri = quote("https://w3id.org/policykg/entity/不存在的单位")
    page = client.get("/resource?iri=" + iri, headers=HTML)
    assert page.status_code == 404 and page.mimetype == "text/html"
    api = client.get("/api/resource?iri=" + iri)
    assert api.status_code == 404 and api.json["error"]["status"] == 404
    # said in both languages, Chinese first: the graph's and werkzeug's own "not found"
    assert "图中没有" in page.get_data(as_text=True)
    assert "is not in the graph" in api.json["error"]["message"]
    nowhere = client.get("/no-such-page", headers=HTML).get_data(as_text=True)
    assert "这个网址没有页面" in nowhere and "no page at this address" in nowhere


def test_no_stack_trace_reaches_the_client(client):
    for headers in (HTML, {"Accept": "application/json"}):
        response = client.get("/boom", headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Traceback" not in body and "secret internal detail" not in body
    assert client.get("/boom", headers={"Accept": "application/json"}).json["error"]["status"] == 500


def test_graph_page_and_api(client, documents):
    assert client.get("/graph", headers=HTML).status_code == 200
    whole = client.get("/api/graph").json
    assert whole["nodes"] and whole["links"]
    assert all("url" in n for n in whole["nodes"])
    task = _doc(documents, "国际精品城区")["iri"] + "/part-3/section-1/task-2"
    ego = client.get("/api/graph?depth=2&iri=" + quote(task)).json
    assert any(n["id"] == task for n in ego["nodes"])
    hit = client.get("/api/graph?q=航空").json
    assert any(n.get("highlight") for n in hit["nodes"])
    assert client.get("/api/graph?depth=5").status_code == 400
    # a document by its IRI or by the id its page's address ends in, as /doc/<id> takes it
    doc = _doc(documents, "国际精品城区")["iri"]
    by_id = client.get("/api/graph?document=" + doc.rsplit("/doc/", 1)[1]).json
    assert by_id["document"] == doc == client.get("/api/graph?document=" + quote(doc)).json["document"]


def test_api_search_and_documents(client):
    data = client.get("/api/search?q=航空&k=3").json
    assert data["results"] and len(data["results"]) <= 3
    assert client.get("/api/search?q=").status_code == 400
    assert client.get("/api/documents").json[0]["iri"].startswith("https://w3id.org/policykg/doc/")


# -- SPARQL protocol ------------------------------------------------------------
SELECT = "SELECT ?t WHERE { ?t a pol:Task } LIMIT 5"


def test_sparql_get_post_form_and_post_query(client):
    got = client.get("/sparql", query_string={"query": SELECT},
                     headers={"Accept": "application/sparql-results+json"})
    assert got.status_code == 200 and got.mimetype == "application/sparql-results+json"
    assert len(got.json["results"]["bindings"]) == 5
    form = client.post("/sparql", data={"query": SELECT}, headers={"Accept": "text/csv"})
    assert form.status_code == 200 and form.mimetype == "text/csv"
    assert len(list(csv.reader(io.StringIO(form.get_data(as_text=True))))) == 6
    direct = client.post("/sparql", data=SELECT.encode(), content_type="application/sparql-query",
                         headers={"Accept": "application/sparql-results+xml"})
    assert direct.status_code == 200 and b"<sparql" in direct.data


def test_sparql_graph_results(client):
    query = "CONSTRUCT { ?t a pol:Task } WHERE { ?t a pol:Task }"
    for accept in ("text/turtle", "application/ld+json", "application/n-triples"):
        response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept


def test_sparql_errors(client):
    bad = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"},
                     headers={"Accept": "application/sparql-results+json"})
    assert bad.status_code == 400 and "expected" in bad.get_data(as_text=True).lower()
    update = client.post("/sparql", data={"update": "DROP ALL"})
    assert update.status_code == 403
    insert = client.get("/sparql", query_string={"query": "INSERT DATA { <a:b> <a:c> <a:d> }"})
    assert insert.status_code == 403
    service = client.get("/sparql", query_string={
        "query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"})
    assert service.status_code == 403
    assert client.post("/sparql", data="x", content_type="text/plain").status_code == 415
    unacceptable = client.get("/sparql", query_string={"query": SELECT},
                              headers={"Accept": "text/turtle"})
    assert unacceptable.status_code == 406


def test_sparql_dataset_parameters(client, documents):
    doc = XSS_DOC
    count = "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a pol:PolicyDocument }"
    only = client.get("/sparql", query_string={"query": count, "default-graph-uri": doc},
                      headers={"Accept": "application/sparql-results+json"}).json
    assert only["results"]["bindings"][0]["n"]["value"] == "1"
    both = client.get("/sparql", query_string={"query": count},
                      headers={"Accept": "application/sparql-results+json"}).json
    assert both["results"]["bindings"][0]["n"]["value"] == "2"


def test_service_description_and_query_page(client):
    from rdflib import Graph, Namespace

    sd = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert sd.status_code == 200 and sd.mimetype == "text/turtle"
    graph = Graph().parse(data=sd.data, format="turtle")
    SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, SD.supportedLanguage, SD.SPARQL11Query) in graph
    page = client.get("/sparql", headers=HTML).get_data(as_text=True)
    assert "<textarea" in page and "PREFIX pol:" in page
    assert "加快推动高质量发展" in page  # the example queries are one click away


def test_query_page_renders_results_as_a_linked_table(client):
    page = client.post("/sparql", data={"query": SELECT, "format": "html"}, headers=HTML)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-rows="5"' in text and 'href="/doc/' in text
    bad = client.post("/sparql", data={"query": "SELECT", "format": "html"}, headers=HTML)
    assert bad.status_code == 400 and "sparql-error" in bad.get_data(as_text=True)


def test_every_example_query_runs_on_the_seed(app):
    with app.app_context():
        kg = get_kg()
    for example in kg.example_queries():
        answer = kg.query(example["query"])
        assert answer.kind == "select", example["name"]


def test_json_error_for_api_clients(client):
    response = client.get("/api/resource")
    assert response.status_code == 400 and json.loads(response.data)["error"]["message"]


def test_search_filters_reach_kg_from_page_and_api(client):
    # The document filter narrows the answer to nothing for an unknown title,
    # on the page (filters kept in the form) and in the JSON API alike.
    page = client.get("/search?q=航空&document=no+such+title").get_data(as_text=True)
    assert 'value="no such title"' in page and "打造航空服务新优势" not in page
    assert client.get("/api/search?q=航空&document=no+such+title").get_json()["results"] == []
    hits = client.get("/api/search?q=航空&from=2022-01-01&to=2022-12-31&kind=意见").get_json()
    assert hits["results"] and hits["results"][0]["number"] == "2"


def test_entity_page_pages_its_mentions_and_lists_its_documents(app, client, monkeypatch):
    import re

    from policykg.kg import resource as kg_resource

    with app.app_context():
        rows = get_kg().store.select_rows(
            "SELECT ?e (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m pol:mentionOf ?e } "
            "GROUP BY ?e HAVING (COUNT(DISTINCT ?m) >= 5) ORDER BY DESC(?n) ?e LIMIT 1")
        [row] = list(rows)
    iri, total = row["e"], int(row["n"])
    monkeypatch.setattr(kg_resource, "MENTIONS_PER_PAGE", 2)
    monkeypatch.setattr(kg_resource, "VALUES_PER_PROPERTY", 1)
    url = f"/resource?iri={quote(iri)}"

    seen, pages = [], -(-total // 2)
    for page in (1, 2, pages):
        r = client.get(f"{url}&page={page}")
        assert r.status_code == 200
        body = r.get_data(as_text=True)
        assert f"({total})" in body  # the heading counts every mention, not the page
        assert f"page {page} of {pages}" in body
        assert ('rel="prev"' in body) == (page > 1) and ('rel="next"' in body) == (page < pages)
        shown = re.findall(r"\[(\d+), (\d+)\)</span>", body)
        assert 1 <= len(shown) <= 2
        seen += shown
    assert len(seen) == len(set(seen))  # pages do not repeat mentions
    data = client.get(f"/api/resource?iri={quote(iri)}&page=2").get_json()
    assert data["mention_total"] == total and data["mention_page"] == 2
    assert len(data["mentions"]) == 2
    assert data["more_values"]  # every predicate with several values is cut to one
    assert all(n > 1 for n in data["more_values"].values())
    body = client.get(url).get_data(as_text=True)
    assert "values, first 1 shown" in body
    # every document naming it, with date and kind (here: the bundled sample)
    assert "Documents that mention it</small> (1)" in body and "实施意见" in body
    assert "<td>2022-12-09</td>" in body and "<td>意见</td>" in body
    past = client.get(f"{url}&page={pages + 5}").get_data(as_text=True)
    assert f"no mentions on page {pages + 5}" in past
    assert f'page={pages}" rel="prev"' in past  # back to the last page
    for bad in ("0", "-1", "abc", "1e3"):
        assert client.get(f"{url}&page={bad}").status_code == 400
        assert client.get(f"/api/resource?iri={quote(iri)}&page={bad}").status_code == 400


# -- the workspace: task view, passages, lists, exports ---------------------------
TASK2 = "/part-3/section-1/task-2"


def test_task_page_shows_its_text_in_order_and_its_entities_by_type(client, documents):
    import re

    doc = _doc(documents, "国际精品城区")
    page = client.get(_path(doc["iri"] + TASK2), headers=HTML).get_data(as_text=True)
    assert '<nav class="breadcrumb"' in page and "三、主攻方向和重点任务" in page
    assert "<h1>打造航空服务新优势</h1>" in page and '<span class="number">2</span>' in page
    text = re.search(r'<div class="doc-text unit-text" id="unit-text">(.*?)</div>', page, re.S)[1]
    plain = re.sub(r"<[^>]+>", "", text)
    assert plain.startswith("2.打造航空服务新优势。全面落实")
    starts = [int(s) for s in re.findall(r'class="sent" id="s-(\d+)-\d+"', text)]
    assert len(starts) >= 5 and starts == sorted(starts)  # every sentence, in reading order
    places = re.search(r'<section class="entity-group" data-type="Place">(.*?)</section>', page, re.S)[1]
    assert "上海虹桥临空经济示范区" in places and "建设" in places and "develops" in places
    assert 'data-type="DocumentReference"' in page and "落实" in page
    assert "isPartOf" not in page and "起始位置" not in page  # no raw RDF terms or offsets
    assert re.search(r'href="/doc/[0-9a-f]+#s-\d+-\d+"[^>]*>¶1', page)  # evidence links
    assert "航空" in page and "相关任务" in page


def test_sentence_iris_open_the_document_at_the_sentence(client, documents):
    doc = _doc(documents, "国际精品城区")
    sentence = doc["iri"] + "/sentence/2875-2986"
    response = client.get(_path(sentence), headers=HTML)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(_path(doc["iri"]) + "#s-2875-2986")
    via_resource = client.get("/resource?iri=" + quote(sentence), headers=HTML)
    assert via_resource.status_code == 303
    assert via_resource.headers["Location"].endswith("#s-2875-2986")
    rdf = client.get(_path(sentence), headers={"Accept": "text/turtle"})
    assert rdf.status_code == 200 and rdf.mimetype == "text/turtle"  # machines still get RDF
    page = client.get(_path(doc["iri"]), headers=HTML).get_data(as_text=True)
    assert 'id="s-2875-2986"' in page  # the anchor exists in the document page


def test_every_evidence_link_uses_a_passage_anchor(client, documents):
    import re

    doc = _doc(documents, "国际精品城区")
    for url in ("/search?q=航空", _path(doc["iri"] + TASK2), "/entities?type=Organization",
                "/entity/东华大学"):
        page = client.get(url, headers=HTML).get_data(as_text=True)
        assert "/sentence/" not in page and "/mention/" not in page, url
        assert re.search(r'href="/doc/[0-9a-f]+#s-\d+-\d+"', page), url


def test_entity_lists_by_type_with_counts(client):
    import re

    page = client.get("/entities?type=Organization", headers=HTML).get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td><a href=\"(/entity/[^\"]+)\"", page)
    assert len(rows) >= 12 and "东华大学" in page and "中共长宁区委" in page
    assert f"单位 <small lang=\"en\">Organisations</small> ({len(rows)})" in page
    assert client.get("/api/entities?type=Organization").json[0]["type"] == "Organization"
    assert len(client.get("/api/entities?type=Organization").json) == len(rows)
    for kind in ("Place", "Event", "Programme", "DocumentReference"):
        assert client.get(f"/entities?type={kind}", headers=HTML).status_code == 200
    assert client.get("/entities?type=Nonsense", headers=HTML).status_code == 400
    # any case, and the British spelling the page shows
    for spelled in ("organization", "ORGANIZATION", "Organisation"):
        assert client.get(f"/entities?type={spelled}", headers=HTML).get_data(as_text=True).count(
            "<tr>") == page.count("<tr>")
        assert len(client.get(f"/api/entities?type={spelled}").json) == len(rows)
    filtered = client.get("/entities?type=Organization&q=长宁", headers=HTML).get_data(as_text=True)
    assert "中共长宁区委" in filtered and "东华大学" not in filtered
    nav = client.get("/", headers=HTML).get_data(as_text=True)
    assert 'href="/entities"' in nav and 'href="/topics"' in nav
    topics = client.get("/topics", headers=HTML).get_data(as_text=True)
    assert "航空" in topics and "Aviation" in topics


def test_exports_match_the_page(client):
    import re

    from openpyxl import load_workbook

    page = client.get("/entities?type=Organization", headers=HTML).get_data(as_text=True)
    shown = re.findall(r"<tr>\s*<td><a href=\"/entity/[^\"]+\">([^<]+)", page)
    got = client.get("/entities?type=Organization&format=csv")
    assert got.mimetype == "text/csv" and "attachment" in got.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "名称 Name" and [r[0] for r in rows[1:]] == [s.strip() for s in shown]
    named = [r for r in rows[1:] if int(r[4]) > 0]  # mentioned in the text (not only as a source)
    assert named and all(r[8].startswith("[") and "#s-" in r[9] for r in named)  # evidence location
    book = load_workbook(io.BytesIO(client.get("/entities?type=Organization&format=xlsx").data))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert [r[0] for r in sheet[1:]] == [r[0] for r in rows[1:]]
    assert isinstance(sheet[1][4], int)  # numbers stay numbers
    search = client.get("/search?q=航空&format=csv")
    found = list(csv.reader(io.StringIO(search.get_data(as_text=True).lstrip("\ufeff"))))
    assert found[1][3] == "2. 打造航空服务新优势" and "#s-" in found[1][9] and found[1][7]
    xlsx = load_workbook(io.BytesIO(client.get("/search?q=航空&format=xlsx").data)).active
    assert xlsx.cell(2, 4).value == "2. 打造航空服务新优势"
    assert client.get("/search?q=航空&format=pdf").status_code == 400


def test_bad_dates_are_a_400_with_a_message(client):
    for url in ("/search?q=航空&from=abc", "/documents?from=2022-13-45", "/api/search?q=航空&to=2022-02-30"):
        response = client.get(url, headers=HTML)
        assert response.status_code == 400, url
        assert "Traceback" not in response.get_data(as_text=True)
    assert "abc" in client.get("/search?q=航空&from=abc", headers=HTML).get_data(as_text=True)


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data


def test_closing_the_app_releases_the_store(store):
    from policykg.kg import KnowledgeGraph

    app = create_app({"POLICYKG": {"store": store + "-copy"}, "TESTING": True})
    close_app(app)
    close_app(app)  # twice is fine
    with KnowledgeGraph.open({"store": store + "-copy"}):  # not locked any more
        pass
    app = create_app({"POLICYKG": {"store": store + "-copy"}, "TESTING": True})
    del app  # an app dropped without close_app releases its store too
    import gc

    gc.collect()
    with KnowledgeGraph.open({"store": store + "-copy"}):
        pass


def test_base_iri_comes_from_the_settings(tmp_path):
    app = create_app({"POLICYKG": {"store": str(tmp_path / "s"), "base_iri": "http://example.org/kg/"},
                      "TESTING": True})
    try:
        with app.test_request_context():
            from policykg.web.urls import resource_url

            assert resource_url("http://example.org/kg/doc/abc") == "/doc/abc"
            assert resource_url("http://example.org/kg/doc/abc/sentence/1-5") == "/doc/abc#s-1-5"
            assert resource_url("https://w3id.org/policykg/doc/abc").startswith("/resource?iri=")
    finally:
        close_app(app)


def test_first_run_answers_at_once_with_a_progress_page(tmp_path):
    import threading

    from werkzeug.test import Client

    from policykg.kg import Settings
    from policykg.web.startup import Starting, needs_sample

    settings = Settings.load({"store": str(tmp_path / "store"), "sample": str(REPO / "data")})
    assert needs_sample(settings)
    go = threading.Event()

    def build(s):  # the real build, held until the test has seen the progress page
        import sys

        sys.stderr.write("embedding:  40%|####      | 89/223 [00:30<00:45, 2.9text/s]\r")
        go.wait(60)
        with KnowledgeGraph.open(s) as kg:
            return kg.build([s.sample], embed=False).summary()

    made = []
    starting = Starting(settings, lambda: made.append(create_app({"POLICYKG": settings,
                                                                   "TESTING": True})) or made[-1],
                        build=build)
    client = Client(starting)
    waiting = client.get("/search?q=航空", headers=HTML)
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "3"
    body = waiting.get_data(as_text=True)
    assert 'data-state="building"' in body and "正在构建示例" in body and "<progress" in body
    assert 'http-equiv="refresh"' in body
    assert "<strong>embedding</strong> 40%" in body and 'value="40"' in body  # the build's own bar
    assert client.get("/favicon.ico").status_code == 200
    go.set()
    assert starting.wait(120)
    ready = client.get("/search?q=航空", headers=HTML)
    assert ready.status_code == 200 and "打造航空服务新优势" in ready.get_data(as_text=True)
    close_app(made[0])
    assert not needs_sample(settings)


def test_a_failed_first_build_is_shown_not_hidden(tmp_path):
    from werkzeug.test import Client

    from policykg.kg import Settings
    from policykg.web.startup import Starting

    settings = Settings.load({"store": str(tmp_path / "store")})

    def build(s):
        raise OSError("disk full")

    starting = Starting(settings, lambda: None, build=build)
    assert not starting.wait(10)
    page = Client(starting).get("/").get_data(as_text=True)
    assert 'data-state="error"' in page and "disk full" in page


def test_entity_page_says_what_it_does_in_which_tasks(client):
    import re

    page = client.get("/entity/东华大学", headers=HTML).get_data(as_text=True)
    section = re.search(r'<section class="entity-tasks">(.*?)</section>', page, re.S)[1]
    assert "4. 打造时尚文化新优势" in section and "依托" in section and "relies on" in section
    assert "国际精品城区" in section and "2022-12-09" in section
    assert re.search(r'href="/doc/[0-9a-f]+#s-\d+-\d+"', section)
    assert "单位 <small" in page  # its class in Chinese first


def test_task_page_shows_duties_deadlines_and_targets(tmp_path):
    """A plan with duties: the responsible units (a collective one too) with their role,
    the deadlines and the quantitative targets of a unit."""
    import re

    plans = REPO / "tests" / "data" / "plans" / "plans"
    files = [next(plans.glob("*崇明区*农村公路*")), next(plans.glob("*海绵城市*"))]
    store = str(tmp_path / "plans")
    with KnowledgeGraph.open({"store": store}) as kg:
        assert kg.build(files, embed=False).ok
        duty = next(iter(kg.store.select_rows(
            "SELECT ?u WHERE { ?u pol:responsibleUnit ?c . ?c a pol:CollectiveUnit } LIMIT 1")))["u"]
        target = next(iter(kg.store.select_rows(
            "SELECT ?u WHERE { ?u pol:hasTarget ?t ; pol:deadline ?d } LIMIT 1")))["u"]
    app = create_app({"POLICYKG": {"store": store}, "TESTING": True})
    try:
        client = app.test_client()
        page = client.get(_path(duty), headers=HTML).get_data(as_text=True)
        orgs = re.search(r'<section class="entity-group" data-type="Organization">(.*?)</section>',
                         page, re.S)[1]
        assert "责任单位" in orgs and "各乡镇政府" in orgs
        page = client.get(_path(target), headers=HTML).get_data(as_text=True)
        duties = re.search(r'<section class="duties">(.*?)</section>', page, re.S)[1]
        assert "期限" in duties and re.search(r"20\d\d", duties)
        assert "目标" in duties and "海绵城市" in duties
    finally:
        close_app(app)


def test_long_lists_show_the_most_mentioned_and_say_so(client, monkeypatch):
    from policykg.web.views import pages as web_pages

    monkeypatch.setattr(web_pages, "MAX_LIST_ROWS", 3)
    page = client.get("/entities?type=Place", headers=HTML).get_data(as_text=True)
    assert page.count('<tr>\n    <td><a href="/entity/') == 3 and "the 3 most mentioned are shown" in page
    rows = list(csv.reader(io.StringIO(client.get("/entities?type=Place&format=csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) - 1 > 3  # the download holds them all


# -- every match ------------------------------------------------------------------
def _shown(page: str) -> list[tuple[int, str]]:
    """(rank, first evidence sentence as text) of each result on a search page."""
    import html
    import re

    shown = []
    for item in re.findall(r'<li class="result">(.*?)</li>', page, re.S):
        rank = int(re.search(r'class="rank"[^>]*>(\d+)<', item).group(1))
        quote = re.search(r'<blockquote class="evidence">(.*?)</blockquote>', item, re.S)
        shown.append((rank, html.unescape(re.sub(r"<[^>]+>", "", quote.group(1))).strip()))
    return shown


def _link(page: str, pattern: str) -> str | None:
    import html
    import re

    found = re.search(pattern, page)
    return html.unescape(found.group(1)) if found else None


def test_search_offers_every_match_and_pages_through_them(client):
    page = client.get("/search?q=航空&type=sentence&k=3", headers=HTML).get_data(as_text=True)
    assert len(_shown(page)) == 3
    url = _link(page, r'<a id="show-all" href="([^"]+)">显示全部 8 条匹配 · show all 8 matches</a>')
    assert url and "all=1" in url, page
    seen, pages = [], 0
    while url:
        page = client.get(url, headers=HTML).get_data(as_text=True)
        pages += 1
        assert "共 8 条 · " in page and "show all" not in page
        seen += _shown(page)
        url = _link(page, r'<a href="([^"]+)" rel="next">')
    assert pages == 3 and [rank for rank, _ in seen] == list(range(1, 9))
    assert len({text for _, text in seen}) == 8 and all("航空" in text for _, text in seen)
    assert "第 7–8 条，共 8 条 · 7–8 of 8" in page and "page 3 of 3" in page
    back = client.get(_link(page, r'<a href="([^"]+)" rel="prev">'), headers=HTML)
    assert [rank for rank, _ in _shown(back.get_data(as_text=True))] == [4, 5, 6]


def test_a_hits_number_is_shown_once(app):
    from flask import render_template_string

    page = '{% from "_macros.html" import hit_item %}{{ hit_item(hit, 1) }}'
    with app.test_request_context("/search?q=x"):
        article = render_template_string(page, hit={"iri": "https://w3id.org/policykg/doc/a/article-32",
                                                    "number": "三十二", "label": "第三十二条",
                                                    "type": "article", "evidence": [], "score": 0.9})
        task = render_template_string(page, hit={"iri": "https://w3id.org/policykg/doc/a/task-2",
                                                 "number": "2", "label": "打造航空服务新优势",
                                                 "type": "task", "evidence": [], "score": 0.8})
    assert '<span class="number">' not in article and "第三十二条" in article
    assert '<span class="number">2</span>' in task
    with app.test_request_context("/search?q=x"):  # a digit inside a title is no number
        dated = render_template_string(page, hit={"iri": "https://w3id.org/policykg/doc/a/task-2",
                                                  "number": "2", "label": "实现2025年目标",
                                                  "type": "task", "evidence": [], "score": 0.8})
    assert '<span class="number">2</span>' in dated


def test_previous_from_a_short_last_page_goes_back_a_whole_page(app):
    from policykg.web.views.pages import _search_pager

    last = {"answer": "list", "total": 1514, "offset": 1500, "limit": 100,
            "results": [{}] * 14}
    with app.test_request_context("/search?q=哪些单位&offset=1500"):
        pager = _search_pager(last, 10)
    assert "offset=1400" in pager["prev"] and pager["next"] is None
    assert (pager["first"], pager["last"], pager["page"], pager["pages"]) == (1501, 1514, 16, 16)
    with app.test_request_context("/search?q=哪些单位&offset=100"):
        assert "offset=0" in _search_pager({**last, "offset": 100, "results": [{}] * 100}, 10)["prev"]


def test_the_all_view_lists_every_sentence_holding_the_words(client):
    page = client.get("/search?q=航空&type=sentence&all=1", headers=HTML).get_data(as_text=True)
    shown = _shown(page)
    assert len(shown) == 8 and all("航空" in text for _, text in shown)
    assert any("贸易和航空服务" in text for _, text in shown)
    assert "第 1–8 条，共 8 条" in page and 'rel="next"' not in page
    # a ranked answer that already holds every match offers nothing more
    page = client.get("/search?q=航空&type=sentence", headers=HTML).get_data(as_text=True)
    assert len(_shown(page)) == 8 and 'id="show-all"' not in page
    # past the end: no results, and a way back
    page = client.get("/search?q=航空&type=sentence&all=1&offset=50", headers=HTML)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and not _shown(text) and 'rel="prev"' in text


def test_api_search_all_pages(client):
    first = client.get("/api/search?q=航空&type=sentence&all=1&k=3").get_json()
    assert (first["answer"], first["total"], first["offset"], len(first["results"])) == \
        ("all", 8, 0, 3)
    iris = [hit["iri"] for hit in first["results"]]
    for offset in (3, 6):
        page = client.get(f"/api/search?q=航空&type=sentence&all=1&k=3&offset={offset}").get_json()
        assert page["offset"] == offset
        iris += [hit["iri"] for hit in page["results"]]
    assert len(iris) == len(set(iris)) == 8


def test_bad_offset_or_all_is_a_400_with_a_message(client):
    for url, said in (("/search?q=航空&all=1&offset=-1", "parameter offset must be"),
                      ("/search?q=航空&all=1&offset=two", "parameter offset must be"),
                      ("/api/search?q=航空&all=1&offset=1.5", "parameter offset must be"),
                      ("/api/search?q=航空&all=maybe", "parameter all must be 1 or 0")):
        response = client.get(url, headers=HTML)
        text = response.get_data(as_text=True)
        assert response.status_code == 400, url
        assert said in text and "Traceback" not in text, (url, text)
    message = client.get("/api/search?q=航空&all=1&offset=-1").get_json()["error"]["message"]
    assert "offset" in message and "-1" in message


def test_downloads_of_every_match_hold_every_match(client):
    from openpyxl import load_workbook

    page = client.get("/search?q=航空&type=sentence&k=3&all=1&offset=3", headers=HTML)
    csv_url = _link(page.get_data(as_text=True), r'<a id="export-csv" href="([^"]+)"')
    rows = list(csv.reader(io.StringIO(client.get(csv_url).get_data(as_text=True).lstrip("\ufeff"))))
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 9))
    assert all("航空" in r[7] and "#s-" in r[9] for r in rows[1:])
    book = load_workbook(io.BytesIO(client.get(csv_url.replace("format=csv", "format=xlsx")).data))
    assert book.active.max_row == 9
    # without all=1 a download holds the page's answer
    ranked = client.get("/search?q=航空&type=sentence&k=3&format=csv").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(ranked.lstrip("\ufeff"))))) == 4


def test_document_from_a_pdf_marks_its_pages(tmp_path):
    """A PDF's document view: a marker anchored #page-N where each page begins, a page index
    linking to them, and every passage (sentence anchor) inside the page it starts on."""
    import re

    store = str(tmp_path / "pdf")
    with KnowledgeGraph.open({"store": store}) as kg:
        assert kg.build([REPO / "tests" / "data" / "formats" / "regulation.pdf"], embed=False).ok
        doc = kg.documents()[0].to_json()["iri"]
        on_page = {(int(r["start"]), int(r["end"])): int(r["page"]) for r in kg.store.select_rows(
            "SELECT ?start ?end ?page WHERE { ?s a pol:Sentence ; pol:startOffset ?start ; "
            "pol:endOffset ?end ; pol:page ?page }")}
    assert set(on_page.values()) == {1, 2}
    app = create_app({"POLICYKG": {"store": store}, "TESTING": True})
    try:
        page = app.test_client().get(_path(doc), headers=HTML).get_data(as_text=True)
    finally:
        close_app(app)
    for n in (1, 2):
        assert page.count(f'id="page-{n}"') == 1 and f"第 {n} 页 · page {n}" in page
        assert f'<a href="#page-{n}">{n}</a>' in page  # the page index
    text = page[page.index('id="doc-text"'):]
    assert text.index('id="page-1"') < text.index('id="page-2"')
    # Each sentence anchor stands after the marker of its page and before the next one.
    for (start, end), number in on_page.items():
        at = text.index(f'id="s-{start}-{end}"')
        assert text.rfind('id="page-', 0, at) == text.index(f'id="page-{number}"')


def test_unit_of_a_pdf_links_to_its_page(tmp_path):
    """A unit's page names the page of the PDF it starts on and links to that page's marker."""
    store = str(tmp_path / "pdf")
    with KnowledgeGraph.open({"store": store}) as kg:
        assert kg.build([REPO / "tests" / "data" / "formats" / "regulation.pdf"], embed=False).ok
        row = next(iter(kg.store.select_rows(
            "SELECT ?u ?doc WHERE { ?u a pol:StructuralUnit ; pol:page 2 ; pol:inDocument ?doc } LIMIT 1")))
    app = create_app({"POLICYKG": {"store": store}, "TESTING": True})
    try:
        page = app.test_client().get(_path(row["u"]), headers=HTML).get_data(as_text=True)
    finally:
        close_app(app)
    assert f'href="{_path(row["doc"])}#page-2">第 2 页 · page 2</a>' in page


def test_search_page_folds_the_more_results_below_the_answer(client):
    data = client.get("/api/search?q=住房&type=task").json
    assert data["results"] and data["more"]
    page = client.get("/search?q=住房&type=task", headers=HTML).get_data(as_text=True)
    answer, folded, rest = page.partition('<details class="more-results" id="more-results">')
    assert folded and f'{len(data["more"])} more result' in rest
    assert all(h["label"] in answer for h in data["results"])
    assert all(h["label"] in rest and h["label"] not in answer for h in data["more"])
    ranks = [int(r) for r in re.findall(r'<span class="rank" title="排名 rank">(\d+)</span>', page)]
    assert ranks == list(range(1, len(data["results"]) + len(data["more"]) + 1))


def test_search_page_ranks_run_on_across_the_groups_of_hits(client):
    data = client.get("/api/search?q=进博会").json
    assert len({h["type"] for h in data["results"]}) >= 2  # an entity, then tasks
    page = client.get("/search?q=进博会", headers=HTML).get_data(as_text=True)
    ranks = [int(r) for r in re.findall(r'<span class="rank" title="排名 rank">(\d+)</span>', page)]
    assert ranks == list(range(1, len(data["results"]) + len(data.get("more", [])) + 1))
    assert "<h2>单位 <small" in page or "<h2>活动 <small" in page  # entity groups in Chinese first


def test_every_link_on_a_document_page_resolves(client, documents):
    from html import unescape

    doc = _doc(documents, "长宁")
    page = client.get("/doc/" + doc["iri"].rsplit("/doc/", 1)[1], headers=HTML).get_data(as_text=True)
    links = {unescape(h).split("#", 1)[0] for h in re.findall(r'href="(/[^"]*)"', page)}
    links = {h for h in links if h and not h.startswith("/static/")}
    assert len(links) >= 20
    broken = {h: client.get(h, headers=HTML).status_code for h in links}
    assert {h: s for h, s in broken.items() if s >= 400} == {}


def test_a_date_filter_on_the_page_says_undated_documents_were_left_out(client):
    data = client.get("/api/search?q=航空&from=2020").json
    assert data["results"] and data["undated"] == 1  # the hostile test document has no date
    page = client.get("/search?q=航空&from=2020", headers=HTML).get_data(as_text=True)
    assert "另有 1 份文件没有日期" in page and "1 undated document left out" in page
    assert "undated" not in client.get("/api/search?q=航空").json


def test_the_home_page_examples_are_asked_of_this_store_and_answered(client):
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    page = client.get("/", headers=HTML).get_data(as_text=True)
    intro = page.split("示例 Examples:", 1)[1].split("</p>", 1)[0]
    examples = [parse_qs(urlsplit(unescape(h)).query)["q"][0]
                for h in re.findall(r'href="([^"]+)"', intro)]
    assert len(examples) == 3 and "哪些单位" in examples
    for question in examples:
        data = client.get("/api/search?" + urlencode({"q": question})).json
        assert data["answer"] != "none" and data["results"], question
