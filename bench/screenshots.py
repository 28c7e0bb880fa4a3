"""Regenerate the screenshots: docs/screenshot-{search,task,document,entities,graph}[-400].png.

    python bench/screenshots.py [--store DIR] [--no-embed]

Builds the bundled sample into a temporary store (or uses ``--store``), serves
the app on a free loopback port and drives headless Chromium at 1400 and 400 px.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,900", "--lang=zh-CN"]


def start_server(app):
    """Serve ``app`` on a free loopback port in a thread; returns (server, base URL)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def chrome(profile: str):
    """A headless Chromium driven by selenium (the system's chromium and chromedriver)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait_for(driver, css: str, attribute: str | None = None, value: str | None = None,
             timeout: float = 30.0):
    """Wait until an element matches (and, if given, an attribute has a value)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        found = d.find_elements(By.CSS_SELECTOR, css)
        if not found:
            return False
        if attribute is None:
            return found[0]
        return found[0] if found[0].get_attribute(attribute) == value else False

    return WebDriverWait(driver, timeout).until(ready)


#: (name, path or callable of the document path, CSS selector to wait for, wait for the graph)
PAGES = [
    ("search", lambda doc: "/search?q=哪些任务涉及航空？", "li.result", False),
    ("task", lambda doc: doc + "/part-3/section-1/task-2", "#unit-text", False),
    ("document", lambda doc: doc + "#s-2875-2986", "#doc-text .sent.target", False),
    ("entities", lambda doc: "/entities?type=Organization", "#entity-table", False),
    ("graph", lambda doc: "/graph", "#graph", True),
]
WIDTHS = {1400: "", 400: "-400"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="an already built store (default: build the sample)")
    parser.add_argument("--no-embed", action="store_true", help="build the sample without vectors")
    parser.add_argument("--out", default=str(REPO / "docs"))
    args = parser.parse_args(argv)
    from policykg.kg import KnowledgeGraph
    from policykg.web.app import close_app, create_app

    tmp = tempfile.mkdtemp(prefix="policykg-shots-")
    store = args.store or str(Path(tmp) / "store")
    if not args.store:
        with KnowledgeGraph.open({"store": store}) as kg:
            kg.build([str(REPO / "data")], embed=not args.no_embed)
    app = create_app({"POLICYKG": {"store": store}})
    server, base = start_server(app)
    driver = chrome(str(Path(tmp) / "profile"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        doc = app.test_client().get("/api/documents").json[0]["iri"]
        with app.test_request_context():
            from policykg.web.urls import resource_url

            doc_path = resource_url(doc)
        for width, suffix in WIDTHS.items():
            driver.set_window_size(width, 900)
            for name, path, ready, graph in PAGES:
                driver.get(base + path(doc_path))
                if graph:
                    wait_for(driver, "#graph", "data-settled", "true", timeout=60)
                else:
                    wait_for(driver, ready)
                time.sleep(0.4)  # the scroll to an anchor, the last frame of a layout
                target = out / f"screenshot-{name}{suffix}.png"
                driver.save_screenshot(str(target))
                written.append(target.name)
    finally:
        driver.quit()
        server.shutdown()
        close_app(app)
    print(f"wrote {len(written)} screenshots to {out}: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
