"""The comparison page in headless Chromium at 1400 and 400 px: it fits, and an excerpt opens
its passage highlighted in the document.

Set POLICYKG_SCREENSHOTS=1 to also write docs/screenshot-compare-test[-400].png.
"""
from __future__ import annotations

import os
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

from conftest import TEST_DATA, require_test_data  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The 2024 and 2025 work reports served; the path of their comparison."""
    from policykg.kg import KnowledgeGraph
    from policykg.web.app import close_app, create_app

    folder = require_test_data(TEST_DATA / "corpus" / "gov_work_reports")
    files = [p for p in folder.iterdir() if p.name.startswith(("000_2025", "002_2024"))]
    root = tmp_path_factory.mktemp("browser-compare")
    store = str(root / "store")
    with KnowledgeGraph.open({"store": store}) as kg:
        assert kg.build(files, embed=False).ok
        ids = {("2025" if "2025" in d.source_file else "2024"): d.iri.rsplit("/doc/", 1)[1]
               for d in kg.documents()}
    app = create_app({"POLICYKG": {"store": store}})
    server, base = start_server(app)
    driver = chrome(str(root / "profile"))
    yield driver, base, f"/compare?a={ids['2025']}&b={ids['2024']}"
    driver.quit()
    server.shutdown()
    close_app(app)


@pytest.mark.parametrize("width", [1400, 400])
def test_comparison_fits_and_an_excerpt_lands_on_its_highlighted_passage(site, width):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver, base, path = site
    driver.set_window_size(width, 900)
    driver.get(base + path)
    wait_for(driver, "ol.pairs")
    inner = driver.execute_script("return window.innerWidth")
    assert driver.execute_script("return document.documentElement.scrollWidth") <= inner
    columns = driver.find_elements(By.CSS_SELECTOR, "#entities .compare-col")
    assert [c.get_attribute("data-side") for c in columns] == ["both", "a", "b"]
    tops = {round(c.rect["y"]) for c in columns}
    assert len(tops) == (1 if width == 1400 else 3)  # side by side when wide, stacked on a phone
    if os.environ.get("POLICYKG_SCREENSHOTS"):
        driver.save_screenshot(str(REPO / "docs" / f"screenshot-compare-test{'' if width == 1400 else '-400'}.png"))
    # the B side of the second most similar sentence: open it in its document
    link = driver.find_elements(By.CSS_SELECTOR, "ol.pairs")[1].find_elements(
        By.CSS_SELECTOR, ".excerpt.side-b a.passage-link")[1]
    href, words = link.get_attribute("href"), link.text.rstrip("…")[:12]
    assert "#s-" in href
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    anchor = href.split("#", 1)[1]
    wait_for(driver, "#doc-text", "data-target", anchor)
    marked = driver.find_elements(By.CSS_SELECTOR, "#doc-text .sent.target, #doc-text mark.passage")
    assert marked and words in "".join(m.text for m in marked).replace("\n", "")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "var r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight;",
        marked[0]))
    assert driver.execute_script("return document.documentElement.scrollWidth") <= inner
