"""Load test of ``policykg serve``: many clients of mixed requests, then heavy queries at once.

    python bench/bench_load.py --store /tmp/kg                     # 50 clients × 60 s
    python bench/bench_load.py --store /tmp/kg --clients 20 --seconds 30 --heavy 20

Starts the server on a free port (stderr kept in a log file), discovers real
IRIs through the JSON API, then runs ``--clients`` threads for ``--seconds``,
each picking requests from a fixed mix: pages (home, documents, a document, an
entity, search), the JSON API (search, resource, graph) and SPARQL (the
example queries, as JSON). Every one of these is valid, so any status other
than 200 counts as an error. Then ``--heavy`` expensive queries (a cross
product ordered by two variables) are sent at once, with the mix still
running: they must be stopped by the time or memory limit (an error status
with a message) while the light requests keep being answered. Prints one
Markdown table: requests, errors, p50/p95 per class, server memory (server
and its workers) before and after, and the tracebacks in the server log.
Asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import _free_port, _tree_rss  # noqa: E402  (a sibling bench script)

HEAVY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
QUESTIONS = ["哪些任务涉及航空", "which tasks involve aviation?", "人才", "国际消费中心城市",
             "东华大学", "进博会", "营商环境", "elderly care", "科技创新", "生态环境"]


def _request(url: str, accept: str = "text/html", timeout: float = 120) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def _discover(base: str) -> dict[str, list[str]]:
    """Real IRIs to ask for: documents, entities and tasks of the store."""
    status, body = _request(base + "/api/documents", "application/json")
    listed = json.loads(body) if status == 200 else []
    listed = listed.get("documents", []) if isinstance(listed, dict) else listed
    docs = [d["iri"] for d in listed][:20]
    entities, units = [], []
    for q in QUESTIONS[:4]:
        status, body = _request(base + "/api/search?" + urllib.parse.urlencode({"q": q}),
                                "application/json")
        if status == 200:
            for hit in json.loads(body).get("results", []):
                (entities if hit.get("type") == "entity" else units).append(hit["iri"])
    status, body = _request(base + "/api/search?" + urllib.parse.urlencode(
        {"q": "哪些单位", "type": "entity"}), "application/json")
    if status == 200:
        entities += [hit["iri"] for hit in json.loads(body).get("results", [])]
    return {"documents": docs, "entities": entities or units, "units": units or entities}


def _mix(base: str, iris: dict[str, list[str]], examples: list[str]) -> list[tuple[str, str, str]]:
    """(class, url, accept) of every request a client may pick."""
    quote = urllib.parse.quote
    out = [("page", base + "/", "text/html"), ("page", base + "/documents", "text/html")]
    out += [("page", f"{base}/resource?iri={quote(i)}", "text/html") for i in
            iris["documents"][:5] + iris["entities"][:10] + iris["units"][:10]]
    out += [("page", f"{base}/search?q={quote(q)}", "text/html") for q in QUESTIONS]
    out += [("api", f"{base}/api/search?q={quote(q)}", "application/json") for q in QUESTIONS]
    out += [("api", f"{base}/api/resource?iri={quote(i)}", "application/json")
            for i in iris["entities"][:10]]
    out += [("api", f"{base}/api/graph?iri={quote(i)}", "application/json")
            for i in iris["entities"][:5]]
    out += [("sparql", f"{base}/sparql?query={quote(q)}", "application/sparql-results+json")
            for q in examples]
    return out


def _examples() -> list[str]:
    from policykg.kg.sparql import example_queries  # noqa: PLC0415  (after the server starts)

    return [e["query"] for e in example_queries() if "CONSTRUCT" not in e["query"].upper()]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv: list[str] | None = None) -> int:
    """Run the load test and print one Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True, help="a built store directory")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--heavy", type=int, default=20, help="heavy queries sent at once")
    ap.add_argument("--sparql-timeout", default="10", help="POLICYKG_SPARQL_TIMEOUT for the server")
    args = ap.parse_args(argv)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile("w+b", suffix=".log", delete=False)
    env = {**os.environ, "POLICYKG_SPARQL_TIMEOUT": args.sparql_timeout}
    proc = subprocess.Popen([sys.executable, "-m", "policykg.web.cli", "serve", "--store",
                             args.store, "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    try:
        while _request(base + "/", timeout=2)[0] != 200:
            if proc.poll() is not None:
                raise SystemExit(f"server exited; see {log.name}")
            time.sleep(0.1)
        iris = _discover(base)  # also loads the search tables once
        mix = _mix(base, iris, _examples())
        rss_before = _tree_rss(proc.pid)
        times: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < stop:
                kind, url, accept = rng.choice(mix)
                t0 = time.perf_counter()
                status, _ = _request(url, accept)
                elapsed = time.perf_counter() - t0
                with lock:
                    times.setdefault(kind, []).append(elapsed)
                    if status != 200:
                        errors[kind] = errors.get(kind, 0) + 1

        heavy: list[tuple[int, float]] = []

        def heavy_query() -> None:
            t0 = time.perf_counter()
            status, _ = _request(f"{base}/sparql?query={urllib.parse.quote(HEAVY)}",
                                 "application/sparql-results+json", timeout=600)
            with lock:
                heavy.append((status, time.perf_counter() - t0))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.seconds / 3)  # the heavy queries arrive while the mix runs
        rss_peak = _tree_rss(proc.pid)
        heavies = [threading.Thread(target=heavy_query) for _ in range(args.heavy)]
        for t in heavies:
            t.start()
        while any(t.is_alive() for t in heavies):
            rss_peak = max(rss_peak, _tree_rss(proc.pid))
            time.sleep(0.2)
        for t in threads + heavies:
            t.join()
        rss_after = _tree_rss(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    log.seek(0)
    text = log.read().decode("utf-8", "replace")
    tracebacks = text.count("Traceback (most recent call last)")

    print(f"{args.clients} clients × {args.seconds:.0f} s on {args.store}; "
          f"{args.heavy} heavy queries at once (timeout {args.sparql_timeout} s); log {log.name}\n")
    print("| class | requests | errors | p50 | p95 | max |\n|---|---:|---:|---:|---:|---:|")
    for kind in sorted(times):
        values = times[kind]
        print(f"| {kind} | {len(values)} | {errors.get(kind, 0)} | {statistics.median(values)*1e3:.0f} ms"
              f" | {_percentile(values, .95)*1e3:.0f} ms | {max(values)*1e3:.0f} ms |")
    statuses = sorted({s for s, _ in heavy})
    print(f"| heavy query | {len(heavy)} | statuses {statuses} | "
          f"{statistics.median([t for _, t in heavy]):.1f} s | | {max(t for _, t in heavy):.1f} s |")
    print(f"\nserver RSS (with workers): before {rss_before/2**30:.2f} GB, peak during the heavy "
          f"queries {rss_peak/2**30:.2f} GB, after {rss_after/2**30:.2f} GB; "
          f"tracebacks in the log: {tracebacks}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
