"""End to end in headless Chromium: the workspace pages as staff use them, at 1400 and 400 px.

Set POLICYKG_SCREENSHOTS=1 to also rewrite docs/screenshot-*.png
(or run ``python bench/screenshots.py``).
"""
from __future__ import annotations

import csv
import io
import logging
import os
import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
    pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver (apt install chromium "
                "chromium-driver)", allow_module_level=True)
pytest.importorskip("selenium")
sys.path.insert(0, str(REPO / "bench"))
from screenshots import chrome, start_server, wait_for  # noqa: E402

TASK2 = "/part-3/section-1/task-2"
SAMPLE_ORGANISATIONS = {"中共上海市委", "中共长宁区委", "上海国际舞蹈中心", "上海市人民政府办公厅", "东华大学",
                        "东方国际集团", "中共中央", "互联网审判庭", "海关", "虹桥海外人才一站式服务中心",
                        "虹桥贸易便利化一站式服务中心", "长宁区人民政府"}


class _Problems(logging.Handler):
    """Every warning or error logged anywhere while the site runs, and unraisable exceptions."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from policykg.kg import KnowledgeGraph
    from policykg.web.app import close_app, create_app

    root = tmp_path_factory.mktemp("browser")
    store = str(root / "store")
    with KnowledgeGraph.open({"store": store}) as kg:
        kg.build([str(REPO / "data")], embed=False)
    problems = _Problems()
    logging.getLogger().addHandler(problems)
    unraisable = sys.unraisablehook
    sys.unraisablehook = lambda info: problems.records.append(
        f"unraisable: {info.exc_type.__name__}: {info.exc_value}")
    app = create_app({"POLICYKG": {"store": store}})
    server, base = start_server(app)
    driver = chrome(str(root / "profile"))
    with app.app_context():
        from policykg.web.context import get_kg

        doc = get_kg().documents()[0].iri
    yield driver, base, "/doc/" + doc.rsplit("/doc/", 1)[1], problems
    driver.quit()
    server.shutdown()
    close_app(app)
    sys.unraisablehook = unraisable
    logging.getLogger().removeHandler(problems)


@pytest.fixture()
def wide(site):
    driver = site[0]
    driver.set_window_size(1400, 900)
    return site


def _shot(driver, name: str) -> None:
    if os.environ.get("POLICYKG_SCREENSHOTS"):
        driver.save_screenshot(str(REPO / "docs" / f"screenshot-{name}.png"))


def test_search_and_follow_a_result(wide):
    from selenium.webdriver.common.by import By

    driver, base, _doc, _p = wide
    driver.get(base + "/")
    box = driver.find_element(By.NAME, "q")
    box.send_keys("航空")
    box.submit()
    first = wait_for(driver, "li.result a.hit-title")
    assert driver.find_elements(By.CSS_SELECTOR, "blockquote.evidence mark")
    title = first.text
    first.click()
    heading = wait_for(driver, "article h1")
    assert heading.text and (heading.text in title or title in heading.text)


def test_task_page_shows_the_full_text_in_order_and_its_places(wide):
    from selenium.webdriver.common.by import By

    driver, base, doc, _p = wide
    driver.get(base + doc + TASK2)
    text = wait_for(driver, "#unit-text")
    assert text.text.startswith("2.打造航空服务新优势。全面落实")
    starts = [int(s.get_attribute("data-start")) for s in text.find_elements(By.CSS_SELECTOR, ".sent")]
    assert len(starts) >= 5 and starts == sorted(starts)
    assert text.find_elements(By.CSS_SELECTOR, "a mark")  # entity mentions linked and marked
    places = driver.find_element(By.CSS_SELECTOR, 'section.entity-group[data-type="Place"]')
    assert "地点" in places.text and "上海虹桥临空经济示范区" in places.text
    crumbs = driver.find_element(By.CSS_SELECTOR, "nav.breadcrumb").text
    assert "国际精品城区" in crumbs and "主攻方向和重点任务" in crumbs
    _shot(driver, "task")


def test_clicking_evidence_lands_on_the_highlighted_passage(wide):
    from selenium.webdriver.common.by import By

    driver, base, doc, _p = wide
    driver.get(base + "/search?q=" + "虹桥临空经济示范区")
    link = wait_for(driver, "blockquote.evidence a")
    href = link.get_attribute("href")
    assert "#s-" in href
    link.click()
    wait_for(driver, "#doc-text")
    anchor = href.split("#", 1)[1]
    target = wait_for(driver, "#doc-text", "data-target", anchor)
    assert target
    marked = driver.find_elements(By.CSS_SELECTOR, "#doc-text .sent.target")
    assert marked and marked[0].text
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "var r = arguments[0].getBoundingClientRect(); return r.top > 20 && r.bottom < innerHeight;",
        marked[0]))  # scrolled to, not just to the top edge
    # an evidence link of the task page's entities lands on its passage too
    driver.get(base + doc + TASK2)
    ev = wait_for(driver, "section.entity-group a.ev")
    start, end = ev.get_attribute("href").rsplit("#s-", 1)[1].split("-")
    ev.click()
    wait_for(driver, "#doc-text", "data-target", f"s-{start}-{end}")
    passage = driver.find_elements(By.CSS_SELECTOR, "#doc-text mark.passage, #doc-text .sent.target")
    assert passage
    _shot(driver, "document")


def test_entity_list_of_organisations(wide):
    from selenium.webdriver.common.by import By

    driver, base, _doc, _p = wide
    driver.get(base + "/")
    driver.find_element(By.CSS_SELECTOR, 'nav.main-nav a[href="/entities"]').click()
    wait_for(driver, "#entity-table")
    driver.get(base + "/entities?type=Organization")
    rows = wait_for(driver, "#entity-table").find_elements(By.CSS_SELECTOR, "tbody tr")
    names = [r.find_element(By.CSS_SELECTOR, "td a").text.split(" ")[0] for r in rows]
    # the sample's organisations (ingest may find more, e.g. the page's source media)
    assert SAMPLE_ORGANISATIONS <= set(names)
    tab = driver.find_element(By.CSS_SELECTOR, "nav.tabs a.active").text
    assert tab.endswith(f" {len(names)}") and "单位" in tab
    _shot(driver, "entities")


def test_csv_and_xlsx_exports_hold_the_rows_on_the_page(wide):
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By

    driver, base, _doc, _p = wide
    for page in ("/entities?type=Organization", "/search?q=航空"):
        driver.get(base + page)
        if page.startswith("/entities"):
            shown = [a.text.splitlines()[0].split(" ")[0] for a in
                     driver.find_elements(By.CSS_SELECTOR, "#entity-table tbody tr td:first-child > a")]
        else:
            shown = [a.text for a in driver.find_elements(
                By.CSS_SELECTOR, "section.group li.result a.hit-title")]
        assert shown
        csv_url = driver.find_element(By.ID, "export-csv").get_attribute("href")
        xlsx_url = driver.find_element(By.ID, "export-xlsx").get_attribute("href")
        with urllib.request.urlopen(csv_url) as got:
            rows = list(csv.reader(io.StringIO(got.read().decode("utf-8-sig"))))
        with urllib.request.urlopen(xlsx_url) as got:
            sheet = [list(r) for r in load_workbook(io.BytesIO(got.read())).active.iter_rows(values_only=True)]
        column = 0 if page.startswith("/entities") else 3
        in_csv = list(dict.fromkeys(r[column] for r in rows[1:]))
        in_xlsx = list(dict.fromkeys(r[column] for r in sheet[1:]))
        assert in_csv == shown and in_xlsx == shown, page


def test_graph_view_labels_entities_and_centres_on_a_typed_name(wide):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver, base, _doc, _p = wide
    driver.get(base + "/graph")
    graph = wait_for(driver, "#graph", "data-state", "ready")
    assert graph.get_attribute("data-mode") == "map"
    wait_for(driver, "#graph", "data-settled", "true", timeout=60)
    labels = driver.execute_script("""
        return Array.from(document.querySelectorAll('#graph g.node')).filter(function (g) {
          return ['Organization', 'Place', 'Event', 'Programme', 'Reference'].indexOf(g.dataset.type) >= 0;
        }).map(function (g) { var t = g.querySelector('text');
          return [t.textContent, getComputedStyle(t).display]; });""")
    assert len(labels) > 20 and all(text and shown != "none" for text, shown in labels)
    assert driver.find_elements(By.CSS_SELECTOR, "#legend li")
    assert all(ord(li.text[0]) > 0x2e7f for li in driver.find_elements(By.CSS_SELECTOR, "#legend li"))
    _shot(driver, "graph")
    box = driver.find_element(By.ID, "centre-input")
    box.send_keys("东华")
    wait_for(driver, "#centre-names option")  # suggestions while typing
    box.send_keys("大学", Keys.ENTER)
    graph = wait_for(driver, "#graph", "data-state", "ready")
    assert graph.get_attribute("data-centre").endswith("/entity/东华大学")
    centre = driver.find_element(By.CSS_SELECTOR, '#graph g.node.highlight[data-type="Organization"]')
    assert centre.find_element(By.CSS_SELECTOR, "text").text == "东华大学"
    wait_for(driver, "#graph", "data-settled", "true", timeout=60)
    clipped = driver.execute_script("""
        var box = document.querySelector('#graph svg').getBoundingClientRect();
        return Array.from(document.querySelectorAll('#graph g.node text')).filter(function (t) {
          var r = t.getBoundingClientRect();
          return getComputedStyle(t).display !== 'none' && (r.right > box.right + 1 || r.left < box.left - 1);
        }).map(function (t) { return t.textContent; });""")
    assert clipped == []


def test_highlight_by_alias_marks_the_entity(wide):
    driver, base, _doc, _p = wide
    driver.get(base + "/graph?q=进博会")
    wait_for(driver, "#graph", "data-state", "ready")
    marked = driver.execute_script(
        "return Array.from(document.querySelectorAll('#graph g.node.highlight text'))"
        ".map(function (t) { return t.textContent; });")
    assert "中国国际进口博览会" in marked


@pytest.mark.parametrize("window", [400, 360])
def test_every_page_fits_a_phone_without_horizontal_scroll(site, window):
    driver, base, doc, _p = site
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(window, 900)
    driver.get(base + "/")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return window.innerWidth") <= window)
    width = driver.execute_script("return window.innerWidth")
    assert window - 20 <= width <= window
    pages = ["/", "/search?q=航空", "/documents", doc, doc + TASK2, "/entities?type=Organization",
             "/entities", "/topics", "/topic/aviation", "/entity/东华大学", "/graph", "/sparql",
             "/graph?iri=东华大学&depth=2", "/search?q=航空&from=abc", "/search?q=住房&type=task",
             "/search?q=" + "a" * 3000]
    too_wide = {}
    for page in pages:
        driver.get(base + page)
        wait_for(driver, "main")
        # folded parts too (filters, the more results of a search)
        driver.execute_script("document.querySelectorAll('details').forEach("
                              "function (d) { d.open = true; });")
        scroll = driver.execute_script("return document.documentElement.scrollWidth")
        if scroll > width:
            too_wide[page] = scroll
    assert too_wide == {}
    # a list table scrolls in its wrapper rather than breaking a count into lines (9656 as 96/56)
    driver.get(base + "/entities")
    wait_for(driver, "td.num")
    broken = driver.execute_script("""return Array.from(document.querySelectorAll('td.num'))
        .filter(function (td) { var r = document.createRange(); r.selectNodeContents(td);
                                return r.getClientRects().length > 1; }).length""")
    assert broken == 0
    if window != 400:
        driver.set_window_size(1400, 900)
        return
    driver.get(base + doc + TASK2)
    wait_for(driver, "#unit-text")
    _shot(driver, "task-400")
    driver.get(base + "/search?q=航空")
    wait_for(driver, "li.result")
    _shot(driver, "search-400")
    driver.set_window_size(1400, 900)


def test_fifty_pages_leave_a_clean_log(site):
    from selenium.webdriver.common.by import By

    driver, base, doc, problems = site
    driver.set_window_size(1400, 900)
    before = list(problems.records)
    visited = 0
    queue = ["/", "/search?q=航空", "/search?q=哪些单位支持时尚产业", "/documents", doc, doc + TASK2,
             "/entities", "/topics", "/graph", "/sparql"]
    seen: set[str] = set()
    while visited < 50 and queue:
        page = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        driver.get(base + page)
        wait_for(driver, "footer")
        visited += 1
        for a in driver.find_elements(By.CSS_SELECTOR, "main a[href^='/']")[:40]:
            href = a.get_attribute("href") or ""
            path = href[len(base):] if href.startswith(base) else ""
            if path and "format=" not in path and path.split("#")[0] not in seen:
                queue.append(path.split("#")[0])
    assert visited == 50
    assert "Traceback" not in driver.page_source
    new = problems.records[len(before):]
    assert [r for r in new if "Traceback" in r or "unraisable" in r or "ERROR" in r.upper()] == []


def test_sparql_query_page(wide):
    from selenium.webdriver.common.by import By

    driver, base, _doc, _p = wide
    driver.get(base + "/sparql")
    driver.find_element(By.CSS_SELECTOR, "a.example").click()  # loads into the editor
    assert "加快推动高质量发展" in driver.find_element(By.ID, "query").get_attribute("value")
    driver.find_element(By.ID, "run").click()
    results = wait_for(driver, "#results")
    assert int(results.get_attribute("data-rows")) >= 1
    assert driver.find_elements(By.CSS_SELECTOR, "table.results-table td a")
    # Tab indents in the editor; Esc then Tab leaves it (no keyboard trap)
    from selenium.webdriver.common.keys import Keys

    editor = driver.find_element(By.ID, "query")
    editor.click()
    before = editor.get_attribute("value")
    editor.send_keys(Keys.TAB)
    assert len(editor.get_attribute("value")) == len(before) + 2
    assert driver.switch_to.active_element == editor
    editor.send_keys(Keys.ESCAPE, Keys.TAB)
    assert driver.switch_to.active_element != editor


def test_lists_sort_numbers_as_numbers(wide):
    from selenium.webdriver.common.by import By

    driver, base, _doc, _p = wide
    driver.get(base + "/topics")
    heading = wait_for(driver, "table.topic-list thead th:nth-child(2)")
    heading.click()
    units = [int(td.text) for td in driver.find_elements(By.CSS_SELECTOR, "table.topic-list tbody td:nth-child(2)")]
    assert len(units) > 5 and units == sorted(units) and units[0] < 10 <= units[-1]
    heading.click()
    again = [int(td.text) for td in driver.find_elements(By.CSS_SELECTOR, "table.topic-list tbody td:nth-child(2)")]
    assert again == sorted(units, reverse=True)


def test_small_graphs_on_pages_keep_their_labels_whole(wide):
    driver, base, _doc, _p = wide
    for page in ("/entity/东华大学", "/topic/aviation", "/entity/中共长宁区委"):
        driver.get(base + page)
        wait_for(driver, ".mini-graph .graph-canvas", "data-state", "ready")
        wait_for(driver, ".mini-graph .graph-canvas", "data-settled", "true", timeout=60)
        found = driver.execute_script("""
            var box = document.querySelector('.mini-graph svg').getBoundingClientRect();
            return Array.from(document.querySelectorAll('.mini-graph g.node text')).filter(function (t) {
              return getComputedStyle(t).display !== 'none';
            }).map(function (t) { var r = t.getBoundingClientRect();
              return [t.textContent, r.left >= box.left - 1 && r.right <= box.right + 1 &&
                      r.top >= box.top - 1 && r.bottom <= box.bottom + 1]; });""")
        assert found, page
        assert all(inside for _text, inside in found), (page, [t for t, inside in found if not inside])
        # only names too long for the canvas are shortened (a document title), never short ones
        assert not any(text.endswith("…") for text, _inside in found if len(text) < 15), page
