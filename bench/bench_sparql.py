"""Benchmark 5 typical SPARQL queries: the Oxigraph-backed store vs rdflib's in-memory store.

    python bench/bench_sparql.py --store /tmp/corpus-store
    python bench/bench_sparql.py --store /tmp/kg --repeat 5

The same quads are loaded into rdflib's default in-memory ``Dataset`` (union
default graph) and both answer the same queries through ``Graph.query``; the
table gives the median latency of each and their ratio, measured in one run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

QUERIES = {
    "count tasks": "SELECT (COUNT(?t) AS ?n) WHERE { ?t a pol:Task }",
    "documents by date": """SELECT ?d ?title ?date WHERE {
        ?d a pol:PolicyDocument ; dcterms:title ?title . OPTIONAL { ?d dcterms:issued ?date } }
        ORDER BY ?date""",
    "top entities by documents": """SELECT ?e (COUNT(DISTINCT ?d) AS ?n) WHERE {
        ?e pol:mentionedIn ?d . ?d a pol:PolicyDocument } GROUP BY ?e ORDER BY DESC(?n) LIMIT 20""",
    "sentences containing 航空": """SELECT ?s ?text WHERE {
        ?s a pol:Sentence ; rdf:value ?text FILTER (CONTAINS(STR(?text), "航空")) } LIMIT 50""",
    "entities of tasks (join)": """SELECT DISTINCT ?task ?label WHERE {
        ?task a pol:Task ; pol:mentions ?e . ?e rdfs:label ?label } LIMIT 200""",
}


def _time(fn, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = len(list(fn()))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True, help="a built store directory")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    from rdflib import Dataset

    from policykg.kg import KnowledgeGraph
    from policykg.kg.vocab import PREFIXES

    with KnowledgeGraph.open({"store": args.store}) as kg:
        queries = QUERIES
        t0 = time.perf_counter()
        nquads = kg.store.serialize("nq")
        memory = Dataset(default_union=True)
        memory.parse(data=nquads, format="nquads")
        load = time.perf_counter() - t0
        triples = len(memory)
        results = []
        for name, query in queries.items():
            ox_secs, ox_rows = _time(lambda: kg.store.query(query), args.repeat)
            mem_secs, mem_rows = _time(lambda: memory.query(query, initNs=PREFIXES), args.repeat)
            results.append((name, ox_secs, mem_secs, ox_rows, mem_rows))

    print(f"\nbench_sparql: {args.store}, {triples:,} quads "
          f"(rdflib in-memory load {load:,.1f} s), median of {args.repeat}\n")
    print("| query | rows | Oxigraph store | rdflib in-memory | rdflib / Oxigraph |")
    print("|---|---:|---:|---:|---:|")
    for name, ox_secs, mem_secs, ox_rows, mem_rows in results:
        rows = str(ox_rows) if ox_rows == mem_rows else f"{ox_rows} vs {mem_rows}"
        print(f"| {name} | {rows} | {ox_secs * 1000:,.1f} ms | {mem_secs * 1000:,.1f} ms | "
              f"{mem_secs / max(ox_secs, 1e-9):,.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
