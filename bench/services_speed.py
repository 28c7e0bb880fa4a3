"""The document services on a store: compare, duties, links between documents, statuses.

    python bench/services_speed.py --store DIR [--pairs 12] [--repeat 2] [--reference CHECKOUT]

Times ``kg.compare`` on ``--pairs`` pairs of documents (the first two work reports by title
when the store has them, then pairs drawn with a fixed seed), ``policykg duties`` (all and one
unit), ``document_links`` and ``document_statuses`` of the whole store; the median of
``--repeat`` runs each, the first run apart (a store's first reads are slower). With
``--reference CHECKOUT`` the same runs in a child process importing that checkout (its
``kg``, ``ingest`` … folders), side by side with ratios, and the answers of the two are
compared (equal, or how many differ).
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
import time
from dataclasses import asdict
from pathlib import Path

#: The folders of a checkout that make the package ``policykg``.
PACKAGES = ("kg", "web", "ingest", "ontology", "data")


def package_shim(checkout: str, work: Path) -> Path:
    """A folder in ``work`` to put on ``PYTHONPATH`` so that ``import policykg`` reads
    ``checkout``'s packages (its ``kg``, ``ingest`` … linked, nothing copied)."""
    shim = work / "policykg"
    shim.mkdir(parents=True)
    for package in PACKAGES:
        (shim / package).symlink_to(Path(checkout).resolve() / package)
    return work


def measure(store: str, pairs: int, repeat: int) -> dict:
    """Seconds per service (first run, median of the rest) and what each answered."""
    from policykg.kg import KnowledgeGraph
    from policykg.kg.duties import assignments
    from policykg.kg.validity import document_links, document_statuses

    out: dict = {"times": {}, "answers": {}}
    with KnowledgeGraph.open({"store": store}, read_only=True) as kg:
        chosen = _pairs(kg.store, pairs)
        jobs = {f"compare {a[-6:]} vs {b[-6:]}": (lambda a=a, b=b: kg.compare(a, b, limit=20).to_json())
                for a, b in chosen}
        jobs["duties (all)"] = lambda: [asdict(x) for x in assignments(kg.store)]
        jobs["duties (教育)"] = lambda: [asdict(x) for x in assignments(kg.store, unit="教育")]
        jobs["links of the store"] = lambda: sorted(json.dumps(asdict(x), ensure_ascii=False)
                                                    for x in document_links(kg.store))
        jobs["statuses"] = lambda: [json.dumps(asdict(x), ensure_ascii=False, default=str)
                                    for x in document_statuses(kg.store, today="2026-12-01")]
        for name, job in jobs.items():
            runs = []
            for _ in range(repeat + 1):
                t = time.perf_counter()
                answer = job()
                runs.append(time.perf_counter() - t)
            out["times"][name] = (runs[0], statistics.median(runs[1:]))
            out["answers"][name] = json.dumps(answer, ensure_ascii=False, sort_keys=True,
                                              default=str)
    return out


def _pairs(store, count: int) -> list[tuple[str, str]]:
    rows = list(store.select_rows("SELECT ?d ?t WHERE { ?d a pol:PolicyDocument ; "
                                  "dcterms:title ?t } ORDER BY ?d"))
    docs = sorted({r["d"] for r in rows})
    reports = sorted({r["d"] for r in rows if "政府工作报告" in (r["t"] or "")
                      and "决议" not in (r["t"] or "")})
    chosen = [tuple(reports[:2])] if len(reports) >= 2 else []
    rng = random.Random(2026)
    while len(chosen) < count and len(docs) >= 2:
        chosen.append(tuple(rng.sample(docs, 2)))
    return chosen[:count]


def _reference(checkout: str, argv: list[str]) -> dict:
    """:func:`measure` in a child process importing ``checkout``."""
    with tempfile.TemporaryDirectory() as work:
        path = package_shim(checkout, Path(work))
        done = subprocess.run([sys.executable, __file__, *argv, "--json"], check=True,
                              capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(path)))
    return json.loads(done.stdout)


def _same(reference: str, this: str) -> str:
    """"yes", or how many items of two list answers differ."""
    if reference == this:
        return "yes"
    a, b = json.loads(reference), json.loads(this)
    if isinstance(a, list) and isinstance(b, list):
        dumped = [{json.dumps(x, sort_keys=True, ensure_ascii=False) for x in side} for side in (a, b)]
        return f"{len(dumped[0] - dumped[1])} of {len(a)} differ"
    return "no"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--reference", metavar="CHECKOUT")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    plain = ["--store", args.store, "--pairs", str(args.pairs), "--repeat", str(args.repeat)]
    if args.json:
        print(json.dumps(measure(args.store, args.pairs, args.repeat), ensure_ascii=False))
        return 0
    reference = _reference(args.reference, plain) if args.reference else None
    this = measure(args.store, args.pairs, args.repeat)
    print("| service | this: first / median s | " + ("reference | ratio | same answer |"
                                                     if reference else ""))
    print("|---|--:|" + ("--:|--:|:-:|" if reference else ""))
    for name, (first, median) in this["times"].items():
        row = f"| {name} | {first:.3f} / {median:.3f} |"
        if reference:
            ref_first, ref_median = reference["times"][name]
            same = _same(reference["answers"][name], this["answers"][name])
            row += f" {ref_first:.3f} / {ref_median:.3f} | {median / ref_median:.2f} | {same} |"
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
