"""The comparison page through Flask's test client: selects, sides, escaping, errors, CSV and XLSX."""
from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

pytest.importorskip("flask")

from policykg.kg import KnowledgeGraph  # noqa: E402
from policykg.web.app import close_app, create_app  # noqa: E402

from conftest import TEST_DATA, require_test_data  # noqa: E402

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
XSS = "<script>alert(1)</script>"
XSS_DOC = "https://w3id.org/policykg/doc/0000000000000bad"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The 2024 and 2025 work reports (no vectors) and a document whose title holds a script tag."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import DCTERMS, RDF

    from policykg.kg.vocab import POL

    folder = require_test_data(TEST_DATA / "corpus" / "gov_work_reports")
    files = [p for p in folder.iterdir() if p.name.startswith(("000_2025", "002_2024"))]
    store = str(tmp_path_factory.mktemp("web-compare") / "store")
    with KnowledgeGraph.open({"store": store}) as kg:
        assert kg.build(files, embed=False).ok
        graph = Graph()
        doc = URIRef(XSS_DOC)
        graph.add((doc, RDF.type, POL.PolicyDocument))
        graph.add((doc, DCTERMS.title, Literal(f"关于{XSS}的通知", lang="zh")))
        graph.add((doc, DCTERMS.issued, Literal("2024-01-02")))
        graph.add((doc, POL.cleanText, Literal(f"关于{XSS}的通知")))
        kg.store.replace_graph(XSS_DOC, graph)
    app = create_app({"POLICYKG": {"store": store}, "TESTING": True})
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def ids(app) -> dict[str, str]:
    docs = app.test_client().get("/api/documents").json
    by = {}
    for d in docs:
        key = "2025" if "2025" in (d.get("source_file") or "") else "2024" if d.get("source_file") else "xss"
        by[key] = d["iri"].rsplit("/doc/", 1)[1]
    return by


@pytest.fixture(scope="module")
def page(app, ids) -> str:
    response = app.test_client().get(f"/compare?a={ids['2025']}&b={ids['2024']}", headers=HTML)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start:html.index("</div>", start)]


def test_the_empty_page_offers_every_document_with_its_date(app, ids):
    html = app.test_client().get("/compare", headers=HTML).get_data(as_text=True)
    assert html.count('<select name="') == 2
    options = re.findall(r'<option value="([0-9a-f]+)"', html)
    assert sorted(set(options)) == sorted(ids.values()) and len(options) == 6
    assert "2024-01-02" in html  # dates shown beside titles
    chosen = app.test_client().get(f"/compare?a={ids['2025']}", headers=HTML).get_data(as_text=True)
    assert f'<option value="{ids["2025"]}" selected>' in chosen


def test_the_comparison_shows_sides_entities_topics_and_passages(page, ids):
    assert "2025年中华人民共和国国务院政府工作报告" in page and "<th>标题 <small>Title</small></th>" in page
    entities = _section(page, 'id="entities"')
    both = entities[:entities.index('data-side="a"')]
    assert "两者都有" in both and "中共中央" in both and "/entity/" in both
    only_a = entities[entities.index('data-side="a"'):entities.index('data-side="b"')]
    assert "十五五" in only_a and "十五五" not in both
    links = re.findall(r'class="passage-link" href="/doc/([0-9a-f]+)#s-(\d+)-(\d+)"', page)
    assert {ids["2025"], ids["2024"]} == {doc for doc, _s, _e in links}
    assert "此库中这两份文档没有向量" in page and "no vectors" in page  # said, not hidden
    assert 'id="export-csv"' in page and "format=xlsx" in page


def test_titles_are_escaped(app, ids):
    response = app.test_client().get(f"/compare?a={ids['xss']}&b={ids['2024']}", headers=HTML)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and XSS not in body and "&lt;script&gt;" in body
    # a part of a title names a document too; one naming none is a 404 that shows it escaped
    bad = app.test_client().get(f"/compare?a=<img src=x onerror=alert(1)>&b={ids['2024']}", headers=HTML)
    assert bad.status_code == 404 and "<img" not in bad.get_data(as_text=True)
    assert "&lt;img src=x" in bad.get_data(as_text=True)


@pytest.mark.parametrize("query, status, message", [
    ("a=ffffffffffffffff&b={b}", 404, "no document named"),
    ("a={b}&b={b}", 400, "two different documents"),
    ("a={a}&b={b}&k=0", 400, "k"),
    ("a={a}&format=csv", 400, "choose two documents"),
    ("a={a}&b={b}&format=pdf", 400, "csv or xlsx"),
])
def test_bad_parameters_are_one_line_errors(app, ids, query, status, message):
    response = app.test_client().get("/compare?" + query.format(a=ids["2025"], b=ids["2024"]), headers=HTML)
    body = response.get_data(as_text=True)
    assert response.status_code == status
    shown = unescape(re.search(r'<p class="message">(.*?)</p>', body, re.S).group(1))
    assert message in shown and "\n" not in shown.strip() and "Traceback" not in body


def test_csv_and_xlsx_hold_the_rows_on_the_page(app, ids, page):
    from openpyxl import load_workbook

    query = f"/compare?a={ids['2025']}&b={ids['2024']}"
    response = app.test_client().get(query + "&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    entities = [r for r in body if r[0] == "实体 entity"]
    shown = re.findall(r'<span class="chip"><a href="/entity/[^"]+">(.*?)</a>', _section(page, 'id="entities"'))
    assert len(entities) == len(shown)
    names = {unescape(re.sub(r"<[^>]+>|\s<small.*", "", s)) for s in shown}
    assert names == {r[3] or r[5] for r in entities}
    assert any(r[1] == "A" and r[3] == "十五五" and r[5] == "" for r in entities)
    units = [r for r in body if r[0] == "相似单元 similar unit"]
    assert len(units) == page.count('class="pair"', 0, page.index("最相似的句子"))
    assert all(r[8].endswith(tuple(f"#s-{s}" for s in [r[4][1:-1].replace(", ", "-")])) for r in units)
    book = load_workbook(io.BytesIO(app.test_client().get(query + "&format=xlsx").data))
    sheet = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert sheet[0] == header and len(sheet) == len(rows)
    counted = [r for r in sheet[1:] if r[0] == "实体 entity"]
    assert all(isinstance(r[4], int) and isinstance(r[6], int) for r in counted)  # numbers sort as numbers


def test_documents_link_to_the_comparison(app, ids):
    listing = app.test_client().get("/documents", headers=HTML).get_data(as_text=True)
    assert 'href="/compare"' in listing
    doc = app.test_client().get(f"/doc/{ids['2025']}", headers=HTML).get_data(as_text=True)
    assert f'href="/compare?a={ids["2025"]}">与…比较 · Compare with…' in doc
