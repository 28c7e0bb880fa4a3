"""Screenshot the comparison of two documents: docs/screenshot-compare.png (1400 px) and -400.png.

    python bench/screenshot_compare.py --store DIR A B

A and B name documents of the store (id, IRI or a unique part of the title or file name).
The store is opened by the app as a server opens it: give a copy of a store others use.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from screenshots import chrome, start_server, wait_for  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="a built store (a copy: the app opens it)")
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--out", default=str(REPO / "docs"))
    args = parser.parse_args(argv)
    from policykg.web.app import close_app, create_app

    app = create_app({"POLICYKG": {"store": args.store}})
    server, base = start_server(app)
    driver = chrome(tempfile.mkdtemp(prefix="policykg-shot-"))
    written = []
    try:
        for width, suffix in ((1400, ""), (400, "-400")):
            driver.set_window_size(width, 3300 if width == 1400 else 900)
            driver.get(f"{base}/compare?{urlencode({'a': args.a, 'b': args.b})}")
            wait_for(driver, "ol.pairs")
            time.sleep(0.4)
            target = Path(args.out) / f"screenshot-compare{suffix}.png"
            driver.save_screenshot(str(target))
            written.append(target.name)
    finally:
        driver.quit()
        server.shutdown()
        close_app(app)
    print(f"wrote {', '.join(written)} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
