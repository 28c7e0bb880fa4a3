"""Linked-data pages stay bounded however often a resource is named.

On a corpus, 国务院 is named 9,665 times in 841 documents and 6,258 units; its page
once took 79 s and 3 MB of HTML. Here the five State Council regulations of
tests/data (国务院: 38 mentions in 5 documents, 22 units) are served with pages a
few rows long, so every list on the page has several pages: each page holds at
most its share, the totals count everything, and the pages together hold
every mention, document and unit once.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from policykg.kg import KnowledgeGraph
from policykg.kg import resource as kg_resource
from policykg.web.app import close_app, create_app
from policykg.web.views import pages as web_pages

HTML = {"Accept": "text/html"}
STATE_COUNCIL = "https://w3id.org/policykg/entity/国务院"


@pytest.fixture(scope="module")
def store(corpus_dir, tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("pages-scale") / "store")
    with KnowledgeGraph.open({"store": path}) as kg:
        report = kg.build([str(corpus_dir / "laws" / "state_council_admin_regulations")], embed=False)
        assert report.ok, report.summary()
    return path


@pytest.fixture(scope="module")
def app(store):
    app = create_app({"POLICYKG": {"store": store}, "TESTING": True})
    yield app
    close_app(app)


@pytest.fixture()
def client(app):
    return app.test_client()


def _rows(app, query: str) -> list[dict]:
    from policykg.web.context import get_kg

    with app.app_context():
        return list(get_kg().store.select_rows(query))


def _places(app) -> list[tuple[str, int, int]]:
    """Every mention of 国务院 as (document, start, end), in the pages' order."""
    rows = _rows(app, f"""SELECT DISTINCT ?m ?doc ?s ?e WHERE {{ ?m pol:mentionOf <{STATE_COUNCIL}> ;
        oa:hasTarget ?t . ?t oa:hasSource ?doc ; oa:hasSelector ?sel . ?sel oa:start ?s ; oa:end ?e }}""")
    return sorted((r["doc"], int(r["s"]), int(r["e"])) for r in rows)


def test_mention_pages_hold_every_mention_once_in_order(app, client, monkeypatch):
    places = _places(app)
    assert len(places) >= 30 and len({d for d, _s, _e in places}) == 5
    url = f"/resource?iri={quote(STATE_COUNCIL)}"
    for size in (4, 7, 50):  # pages that end inside a document, and one page for all
        monkeypatch.setattr(kg_resource, "MENTIONS_PER_PAGE", size)
        pages = -(-len(places) // size)
        seen = []
        for page in range(1, pages + 1):
            body = client.get(f"{url}&page={page}", headers=HTML).get_data(as_text=True)
            assert f"Mentions</small> ({len(places)})" in body
            if pages > 1:
                assert f"page {page} of {pages}" in body
            shown = [(doc, int(s), int(e)) for doc, s, e in re.findall(
                r'《<a href="/doc/([0-9a-f]+)#s-\d+-\d+">[^<]*</a>》 \[(\d+), (\d+)\)', body)]
            assert 1 <= len(shown) <= size
            seen += shown
        assert [(f"https://w3id.org/policykg/doc/{d}", s, e) for d, s, e in seen] == places


def test_entity_tasks_are_paged_by_document_and_bounded_per_document(app, client, monkeypatch):
    monkeypatch.setattr(kg_resource, "TASK_DOCUMENTS_PER_PAGE", 2)
    monkeypatch.setattr(kg_resource, "UNITS_PER_DOCUMENT", 2)
    units = {r["u"] for r in _rows(app, f"SELECT DISTINCT ?u WHERE {{ ?u ?p <{STATE_COUNCIL}> ; "
                                        "a pol:StructuralUnit }")}
    first = client.get(f"/api/resource?iri={quote(STATE_COUNCIL)}").get_json()
    assert first["tasks_pages"] == 3  # five documents, two a page
    shown, counted, dates = set(), 0, []
    for page in (1, 2, 3):
        data = client.get(f"/api/resource?iri={quote(STATE_COUNCIL)}&tasks_page={page}").get_json()
        assert data["tasks_page"] == page and len(data["tasks"]) <= 2
        for group in data["tasks"]:
            assert 1 <= len(group["units"]) <= 2
            shown |= {u["unit"]["iri"] for u in group["units"]}
            counted += len(group["units"]) + group["more_units"]
            dates.append(group["date"])
            for unit in group["units"]:  # evidence inside the unit it is listed under
                assert all(p["document"] == group["document"]["iri"] for p in unit["evidence"])
        body = client.get(f"/entity/国务院?tasks_page={page}", headers=HTML).get_data(as_text=True)
        section = re.search(r'<section class="entity-tasks">(.*?)</section>', body, re.S)[1]
        assert f"page {page} of 3" in section and section.count("<h3>") == len(data["tasks"])
        assert ('rel="next"' in section) == (page < 3)
    assert shown <= units and counted == len(units)
    assert dates == sorted(dates, reverse=True)  # newest document first
    assert client.get(f"/entity/国务院?tasks_page=0", headers=HTML).status_code == 400


def test_documents_and_incoming_links_are_bounded_with_their_totals(app, client, monkeypatch):
    monkeypatch.setattr(web_pages, "DOCUMENTS_PER_PAGE", 2)
    monkeypatch.setattr(kg_resource, "INCOMING_SHOWN", 3)
    titles = []
    for page in (1, 2, 3):
        body = client.get(f"/entity/国务院?docs_page={page}", headers=HTML).get_data(as_text=True)
        assert "Documents that mention it</small> (5)" in body
        table = re.search(r'<table class="table docs-of-entity">(.*?)</table>', body, re.S)[1]
        rows = re.findall(r'<td><a href="/doc/[0-9a-f]+">([^<]+)</a></td>', table)
        assert 1 <= len(rows) <= 2
        titles += rows
    assert len(titles) == len(set(titles)) == 5
    hidden = ", ".join(kg_resource._HIDDEN_INCOMING)
    [row] = _rows(app, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p WHERE {{ "
                       f"?s ?p <{STATE_COUNCIL}> FILTER (?p NOT IN ({hidden})) }} }}")
    total = int(row["n"])
    assert total > 3
    data = client.get(f"/api/resource?iri={quote(STATE_COUNCIL)}").get_json()
    assert data["incoming_total"] == total and len({(i["subject"], i["predicate"])
                                                   for i in data["incoming"]}) <= 3
    body = client.get("/entity/国务院", headers=HTML).get_data(as_text=True)
    assert f"Incoming links</small> ({total})" in body and "the first 3 shown" in body


def test_page_size_does_not_grow_with_the_mentions(app, client, monkeypatch):
    url = f"/resource?iri={quote(STATE_COUNCIL)}"
    monkeypatch.setattr(kg_resource, "MENTIONS_PER_PAGE", 1000)
    everything = len(client.get(url, headers=HTML).get_data())
    monkeypatch.setattr(kg_resource, "MENTIONS_PER_PAGE", 4)
    paged = [len(client.get(f"{url}&page={n}", headers=HTML).get_data()) for n in (1, 5, 10)]
    # a page of 4 mentions leaves 34 sentences (over 200 bytes each) out; pages are alike
    assert everything - max(paged) > 34 * 200 and max(paged) - min(paged) < 4000


def test_document_list_is_paged_and_keeps_its_filters(app, client, monkeypatch):
    monkeypatch.setattr(web_pages, "DOCUMENT_LIST_PAGE", 2)
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/documents?page={page}").get_data(as_text=True)
        assert "Documents</small> (5)" in body and f"page {page} of 3" in body
        seen += re.findall(r'<td class="title"><a href="(/doc/[0-9a-f]+)">', body)
    assert len(seen) == len(set(seen)) == 5
    body = client.get("/documents?q=条例").get_data(as_text=True)
    assert "q=%E6%9D%A1%E4%BE%8B" in body and "page=2" in body  # next page of the filtered list
    assert client.get("/documents?page=abc").status_code == 400


def test_document_outline_leaves_plain_paragraphs_out():
    para = {"type": "Paragraph", "children": []}
    part = {"type": "Part", "children": [para, {"type": "Section", "children": [para]}]}
    assert web_pages._headings([part, para]) == [
        {"type": "Part", "children": [{"type": "Section", "children": []}]}]
    assert web_pages._headings([para, para]) == [para, para]  # a document of paragraphs only


def test_entity_list_is_saved_beside_the_store_and_read_back_alike(store, app, client):
    from pathlib import Path

    from policykg.web.context import get_kg

    with app.app_context():
        kg = get_kg()
        first = [r.to_json() for r in kg.entities()]
        assert list((Path(store) / "entities").glob("*.json"))
        again = [r.to_json() for r in kg.entities()]
        places = [r.to_json() for r in kg.entities("Place")]
        found = [r.to_json() for r in kg.entities(text="国务院")]
    assert first == again and first[0]["zh"] == "国务院" and first[0]["mentions"] == 38
    assert first[0]["documents"] == 5 and first[0]["example"]["document"]
    assert places and all(r["type"] == "Place" for r in places)
    assert found and all("国务院" in r["zh"] + "".join(r["aliases"]) for r in found)


def test_topic_list_is_saved_beside_the_store_and_read_back_alike(store, app):
    from pathlib import Path

    from policykg.web.context import get_kg

    with app.app_context():
        kg = get_kg()
        first = [r.to_json() for r in kg.topics()]
        assert list((Path(store) / "topics").glob("*.json"))
        again = [r.to_json() for r in kg.topics()]
    assert first and first == again
    assert first == sorted(first, key=lambda r: (-r["units"], -r["documents"], r["zh"]))
