"""/sparql side by side with ``oxigraph serve-read-only`` on an export of the same store.

    nice -n 10 python bench/bench_sparql_http.py --store /tmp/kg [--runs 20] [--clients 8] [--waitress]
    nice -n 10 python bench/bench_sparql_http.py --store /tmp/kg --distinct --queries-only
    nice -n 10 python bench/bench_sparql_http.py --store /tmp/kg --paths --runs 200
    nice -n 10 python bench/bench_sparql_http.py --store /tmp/kg --distinct --compare /tmp/before

Exports the store (N-Quads, without the build index, which /sparql does not
show either), loads it into a fresh Oxigraph directory, starts
``oxigraph serve-read-only --union-default-graph`` and ``policykg serve``
(its default server, granian) on the store itself (``--waitress``: also
``policykg serve`` with ``POLICYKG_SERVER=waitress`` on a copy of it, in the
same run; ``--compare CHECKOUT``: also ``policykg serve`` from another checkout of the
repository, on a copy, for a before/after table), then measures in one run:

- per query, the median over ``--runs`` GETs (JSON results, one keep-alive
  connection per server) of the example queries and four heavier ones;
- throughput: ``--clients`` threads cycling through the example queries for
  ``--seconds``, requests/s and p50/max latency;
- a runaway query on /sparql (stopped at ``--timeout``) while one client keeps
  asking a small query: that client's median latency with and without it.

Prints a Markdown table (ratios policykg/Oxigraph).
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import _tree_rss as tree_rss  # noqa: E402  (a sibling bench script)
from services_speed import package_shim  # noqa: E402  (a sibling bench script)

from policykg.kg import KnowledgeGraph, sparql_prologue
from policykg.kg.sparql import example_queries

HEAVY = {
    "group-by-all": "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)",
    "regex-labels": 'SELECT ?s ?l WHERE { ?s rdfs:label ?l FILTER regex(str(?l), "发展|建设") }',
    "two-hop-mentions": "SELECT ?e (COUNT(DISTINCT ?other) AS ?n) WHERE { ?m a pol:Mention ; "
                        "pol:mentionOf ?e ; pol:inDocument ?d . ?m2 pol:inDocument ?d ; "
                        "pol:mentionOf ?other } GROUP BY ?e ORDER BY DESC(?n) LIMIT 50",
    "dump-9000": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 9000",
}
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
HEAVY_MEMORY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and all its descendants (Linux /proc)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += [child for child, (parent, _) in stats.items() if parent == p]
        total += stats.get(p, (0, 0))[1]
    return total / os.sysconf("SC_CLK_TCK")


def settle(pid: int, seconds: float = 120) -> float:
    """Wait until the server and its workers are idle (under 5 % of a core for 2 s): a server
    that has just started still compacts its snapshot and starts workers, which would be
    timed as the first query's latency. Returns the seconds waited."""
    started = time.monotonic()
    before = tree_cpu(pid)
    while time.monotonic() - started < seconds:
        time.sleep(2)
        now = tree_cpu(pid)
        if now - before < 0.1:
            break
        before = now
    return time.monotonic() - started


def wait_for(port: int, path: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no server on port {port} after {seconds:g} s")


class Client:
    """One keep-alive connection asking GET /path?query= with JSON/Turtle accepted."""

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def ask(self, query: str) -> tuple[int, float, int]:
        url = f"{self.path}?{urllib.parse.urlencode({'query': query})}"
        started = time.perf_counter()
        try:
            self.conn.request("GET", url, headers={
                "Accept": "application/sparql-results+json, text/turtle;q=0.9"})
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            return 0, time.perf_counter() - started, 0
        return response.status, time.perf_counter() - started, len(body)


def per_query(servers: dict, queries: dict, runs: int, distinct: bool = False) -> dict:
    """Per query and server: (median ms, status, bytes). The servers are asked in turn, one
    request each, so that both see the same moments of a machine whose load changes.
    ``distinct``: every request's text differs (a numbered comment at its end), so that
    /sparql has never seen it: no kept answer, no inline evaluation, a worker each time."""
    table = {}
    count = itertools.count()
    for name, query in queries.items():
        clients = {label: Client(port, path) for label, (port, path) in servers.items()}
        first = {label: client.ask(query) for label, client in clients.items()}  # warm-up
        times: dict[str, list[float]] = {label: [] for label in clients}
        for _ in range(runs):
            text = f"{query}\n# request {next(count)}" if distinct else query
            for label, client in clients.items():
                times[label].append(client.ask(text)[1])
        table[name] = {label: (statistics.median(times[label]) * 1000, first[label][0],
                               first[label][2]) for label in clients}
    return table


def throughput(port: int, path: str, queries: list[str], clients: int, seconds: float,
               distinct: bool = False) -> dict:
    """``clients`` threads cycling through ``queries`` for ``seconds`` (``distinct``: every
    request a new text): requests/s, p50 and max latency, errors."""
    latencies: list[float] = []
    count = itertools.count()
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(offset: int) -> None:
        client = Client(port, path)
        i = offset
        mine = []
        while time.monotonic() < stop:
            query = queries[i % len(queries)]
            status, elapsed, _ = client.ask(f"{query}\n# request {next(count)}" if distinct
                                            else query)
            i += 1
            if status != 200:
                with lock:
                    errors[0] += 1
            mine.append(elapsed)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    latencies.sort()
    return {"rps": len(latencies) / wall, "p50": latencies[len(latencies) // 2] * 1000,
            "max": latencies[-1] * 1000, "errors": errors[0], "n": len(latencies)}


def runaway(port: int, path: str, small: str, seconds: float) -> dict:
    client = Client(port, path)
    base = [client.ask(small)[1] for _ in range(30)]
    outcome = {}

    def heavy() -> None:
        status, elapsed, _ = Client(port, path).ask(RUNAWAY)
        outcome.update(status=status, elapsed=elapsed)

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.3)
    during = []
    while thread.is_alive() and len(during) < 5000:
        during.append(client.ask(small)[1])
    thread.join()
    return {"before_ms": statistics.median(base) * 1000,
            "during_ms": statistics.median(during) * 1000 if during else float("nan"),
            "runaway_status": outcome.get("status"), "runaway_s": outcome.get("elapsed", 0)}


def memory_guard(port: int, server_pid: int, queries: int) -> dict:
    """``queries`` heavy ORDER BY queries at once: statuses, time, and the peak RSS of the server tree."""
    peak, stop, outcomes = [tree_rss(server_pid)], threading.Event(), []

    def sample() -> None:
        while not stop.is_set():
            peak.append(tree_rss(server_pid))
            time.sleep(0.1)

    def heavy() -> None:
        status, elapsed, size = Client(port, "/sparql").ask(sparql_prologue() + HEAVY_MEMORY)
        outcomes.append((status, elapsed))

    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=heavy) for _ in range(queries)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    sampler.join()
    return {"before": peak[0], "peak": max(peak), "statuses": sorted({s for s, _ in outcomes}),
            "slowest": max(e for _, e in outcomes)}


def paths(store: str, runs: int) -> None:
    """The cost of each layer without the network: ``kg.query`` (the worker pool alone), the
    app's thin WSGI path, and the Flask view (the same request with an ``Origin`` header, which
    the thin path leaves to the view); ``runs`` interleaved calls per query, medians in ms."""
    import io

    from policykg.web.app import create_app
    from policykg.web.context import close_app, kg_of

    app = create_app({"POLICYKG": {"store": store}})
    kg = kg_of(app)
    kg.sparql().warm(wait=True)
    accept = "application/sparql-results+json, text/turtle;q=0.9"

    def call(text: str, origin: bool) -> None:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/sparql", "QUERY_STRING": text,
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
                   "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
                   "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "HTTP_ACCEPT": accept}
        if origin:
            environ["HTTP_ORIGIN"] = "http://elsewhere.example"
        body = app(environ, lambda *_: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    print("| query | kg.query (pool) ms | thin path ms | Flask view ms |\n|---|---:|---:|---:|")
    try:
        for example in example_queries():
            query = sparql_prologue() + example["query"]
            text = urllib.parse.urlencode({"query": query})
            steps = {"kg": lambda: kg.query(query).read(), "thin": lambda: call(text, False),
                     "flask": lambda: call(text, True)}
            times: dict[str, list[float]] = {k: [] for k in steps}
            for _ in range(runs):
                for name, step in steps.items():
                    started = time.perf_counter()
                    step()
                    times[name].append(time.perf_counter() - started)
            m = {k: statistics.median(v) * 1000 for k, v in times.items()}
            print(f"| {example['name']} | {m['kg']:.2f} | {m['thin']:.2f} | {m['flask']:.2f} |")
    finally:
        close_app(app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=5, help="sparql_timeout for the runaway")
    parser.add_argument("--waitress", action="store_true",
                        help="also time policykg serve on waitress (on a copy of the store)")
    parser.add_argument("--compare", metavar="CHECKOUT",
                        help="also time policykg serve from another checkout of the repository "
                             "(e.g. `git worktree add /tmp/before HEAD~3`), on a copy of the "
                             "store, in the same run: a before/after table")
    parser.add_argument("--distinct", action="store_true",
                        help="a different text for every request, in the per-query table and the "
                             "throughput run (queries /sparql has not seen: no kept answers, no "
                             "inline evaluation)")
    parser.add_argument("--queries-only", action="store_true",
                        help="only the per-query table (no throughput, runaway or memory runs)")
    parser.add_argument("--paths", action="store_true",
                        help="only the cost of each layer in one process (pool, thin path, Flask "
                             "view); needs the store to itself")
    args = parser.parse_args()
    if args.paths:
        paths(args.store, args.runs)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-sparql-http-"))
    procs = []
    try:
        export = work / "export.nq"
        with KnowledgeGraph.open({"store": args.store}, read_only=True) as kg, \
                open(export, "wb") as out:
            kg.export("nq", out)
        ox_dir = work / "oxigraph"
        subprocess.run(["oxigraph", "load", "--location", str(ox_dir), "--file", str(export)],
                       check=True, capture_output=True)
        ox_port, pk_port = free_port(), free_port()
        procs.append(subprocess.Popen(
            ["oxigraph", "serve-read-only", "--location", str(ox_dir), "--union-default-graph",
             "--bind", f"127.0.0.1:{ox_port}", "--timeout-s", str(int(args.timeout))],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        env = dict(os.environ, POLICYKG_SPARQL_TIMEOUT=str(args.timeout))
        env.pop("POLICYKG_SERVER", None)
        log = open(work / "serve.log", "wb")  # noqa: SIM115 - closed with the work folder
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "policykg.web.cli", "serve", "--store", args.store,
             "--port", str(pk_port)], env=env, stdout=subprocess.DEVNULL, stderr=log))
        servers = {"policykg": (pk_port, "/sparql"), "oxigraph": (ox_port, "/query")}
        if args.waitress:  # the same app on waitress, on a copy (a store is opened by one process)
            copy = work / "waitress-store"
            shutil.copytree(args.store, copy, ignore=shutil.ignore_patterns(".*"))
            servers["waitress"] = (free_port(), "/sparql")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "policykg.web.cli", "serve", "--store", str(copy),
                 "--port", str(servers["waitress"][0])], env=dict(env, POLICYKG_SERVER="waitress"),
                stdout=subprocess.DEVNULL, stderr=log))
        if args.compare:  # the other checkout's packages first on the path (its workers too)
            shim = package_shim(args.compare, work / "compare")
            copy = work / "compare-store"
            shutil.copytree(args.store, copy, ignore=shutil.ignore_patterns(".*"))
            servers["compare"] = (free_port(), "/sparql")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "policykg.web.cli", "serve", "--store", str(copy),
                 "--port", str(servers["compare"][0])],
                env=dict(env, PYTHONPATH=str(shim)), stdout=subprocess.DEVNULL, stderr=log))
        for label, (port, path) in servers.items():
            wait_for(port, path + "?query=ASK%7B%7D")
        for proc in procs[1:]:
            print(f"policykg serve settled after {settle(proc.pid):.0f} s (idle for 2 s)")
        prologue = sparql_prologue()
        examples = {e["name"]: prologue + e["query"] for e in example_queries()}
        queries = {**examples, **{k: prologue + v for k, v in HEAVY.items()}}
        table = per_query(servers, queries, args.runs, args.distinct)
        print(f"store {args.store}: {len(queries)} queries, median of {args.runs} GETs each"
              + (" (every request a new text)" if args.distinct else "") + "\n")
        extra = [label for label in servers if label not in ("policykg", "oxigraph")]
        print("| query | policykg ms | oxigraph ms | ratio | status | bytes (pk / ox) |"
              + "".join(f" {label} ms | {label} ratio |" for label in extra))
        print("|---|---:|---:|---:|---|---|" + "---:|---:|" * len(extra))
        ratios: dict[str, list[float]] = {label: [] for label in ["policykg", *extra]}
        for name, row in table.items():
            ox = row["oxigraph"]
            cells = []
            for label in ratios:
                ratio = row[label][0] / ox[0] if ox[0] else float("nan")
                ratios[label].append(ratio)
                cells.append((row[label][0], ratio))
            pk = row["policykg"]
            print(f"| {name} | {pk[0]:.2f} | {ox[0]:.2f} | {cells[0][1]:.2f} | {pk[1]}/{ox[1]} "
                  f"| {pk[2]} / {ox[2]} |" + "".join(f" {ms:.2f} | {r:.2f} |" for ms, r in cells[1:]))
        for label, values in ratios.items():
            print(f"\n{label}: median ratio {statistics.median(values):.2f}, worst {max(values):.2f}")
        print()
        if args.queries_only:
            return
        loads = {label: throughput(port, path, list(examples.values()), args.clients, args.seconds,
                                   args.distinct)
                 for label, (port, path) in servers.items()}
        print(f"| {args.clients} clients × {args.seconds:g} s | requests/s | p50 ms | max ms | errors |")
        print("|---|---:|---:|---:|---:|")
        for label, load in loads.items():
            print(f"| {label} | {load['rps']:.0f} | {load['p50']:.1f} | {load['max']:.0f} "
                  f"| {load['errors']} |")
        for label in ratios:
            print(f"\n{label}: throughput ratio {loads[label]['rps'] / loads['oxigraph']['rps']:.2f}")
        print()
        small = prologue + next(iter(example_queries()))["query"]
        run = runaway(pk_port, "/sparql", small, args.timeout)
        print(f"runaway query on /sparql: status {run['runaway_status']} after "
              f"{run['runaway_s']:.1f} s (sparql_timeout {args.timeout:g}); a small query "
              f"meanwhile: median {run['during_ms']:.2f} ms (alone: {run['before_ms']:.2f} ms)")
        for heavy_count in (1, 20):
            guard = memory_guard(pk_port, procs[1].pid, heavy_count)
            print(f"{heavy_count} × `{HEAVY_MEMORY}`: statuses {guard['statuses']}, slowest "
                  f"{guard['slowest']:.1f} s; server + workers RSS {guard['before'] / 2**20:.0f} MB "
                  f"before, peak {guard['peak'] / 2**20:.0f} MB")
        text = (work / "serve.log").read_text(encoding="utf-8", errors="replace")
        print(f"\nserver log: {text.count('Traceback')} tracebacks, "
              f"{text.count('unsendable')} 'unsendable' lines")
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
