"""End to end in headless Chromium: search and follow a result, the graph view, a SPARQL query.

Set POLICYKG_SCREENSHOTS=1 to also rewrite docs/screenshot-*.png
(or run ``python bench/screenshots.py``).
"""
from __future__ import annotations

import os
import shutil
import sys
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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from policykg.kg import KnowledgeGraph
    from policykg.web.app import close_app, create_app

    root = tmp_path_factory.mktemp("browser")
    store = str(root / "store")
    with KnowledgeGraph.open({"store": store}) as kg:
        kg.build([str(REPO / "data")], embed=False)
    app = create_app({"POLICYKG": {"store": store}})
    server, base = start_server(app)
    driver = chrome(str(root / "profile"))
    yield driver, base
    driver.quit()
    server.shutdown()
    close_app(app)


def _shot(driver, name: str) -> None:
    if os.environ.get("POLICYKG_SCREENSHOTS"):
        driver.save_screenshot(str(REPO / "docs" / f"screenshot-{name}.png"))


def test_search_and_follow_a_result(site):
    from selenium.webdriver.common.by import By

    driver, base = site
    driver.get(base + "/")
    box = driver.find_element(By.NAME, "q")
    box.send_keys("航空")
    box.submit()
    first = wait_for(driver, "li.result a.hit-title")
    assert driver.find_elements(By.CSS_SELECTOR, "blockquote.evidence mark")
    _shot(driver, "search")
    title = first.text
    first.click()
    heading = wait_for(driver, "article.resource h1")
    assert heading.text and (title in heading.text or heading.text in title)


def test_document_page(site):
    from selenium.webdriver.common.by import By

    driver, base = site
    driver.get(base + "/documents")
    wait_for(driver, "table.table td a").click()
    text = wait_for(driver, "#doc-text")
    assert "国际精品城区" in text.text
    assert driver.find_elements(By.CSS_SELECTOR, "nav.outline li")
    _shot(driver, "document")


def test_graph_view_draws_nodes(site):
    from selenium.webdriver.common.by import By

    driver, base = site
    driver.get(base + "/graph?q=航空")
    graph = wait_for(driver, "#graph", "data-state", "ready")
    assert int(graph.get_attribute("data-nodes")) > 10
    assert len(driver.find_elements(By.CSS_SELECTOR, "#graph svg g.node circle")) > 10
    assert driver.find_elements(By.CSS_SELECTOR, "#graph g.node.highlight")
    assert driver.find_elements(By.CSS_SELECTOR, "#legend li")
    wait_for(driver, "#graph", "data-settled", "true", timeout=60)
    _shot(driver, "graph")


def test_sparql_query_page(site):
    from selenium.webdriver.common.by import By

    driver, base = site
    driver.get(base + "/sparql")
    driver.find_element(By.CSS_SELECTOR, "a.example").click()  # loads into the editor
    assert "加快推动高质量发展" in driver.find_element(By.ID, "query").get_attribute("value")
    driver.find_element(By.ID, "run").click()
    results = wait_for(driver, "#results")
    assert int(results.get_attribute("data-rows")) >= 1
    assert driver.find_elements(By.CSS_SELECTOR, "table.results-table td a")


