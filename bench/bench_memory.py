"""Where a corpus build's memory goes: what the build keeps per document, and the store's own growth.

    python bench/bench_memory.py                      # every 7th file of ../shared/corpus
    python bench/bench_memory.py --every 3 --quads 4200000

Two measurements, each with its reference from the same run:

* the Python memory (tracemalloc) of the whole extractions of the sampled
  files against the texts to embed (``kg.vector_texts.DocumentTexts``) that the
  build keeps of them until its embedding step;
* the RSS of pyoxigraph alone while it stores ``--quads`` synthetic quads
  in 7,000-quad updates (about one document each), into a temporary store.
"""
from __future__ import annotations

import argparse
import gc
import random
import shutil
import sys
import tempfile
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BASE = "https://w3id.org/policykg/"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def kept_per_document(corpus: Path, every: int) -> tuple[int, int, float, float]:
    """(files, chars, MB of extractions, MB of texts to embed) on every ``every``-th file."""
    from policykg.ingest import Extractor, parse_file
    from policykg.kg.iris import document_iri
    from policykg.kg.vector_texts import document_texts

    files = sorted(p for p in corpus.rglob("*") if p.is_file())[::every]
    docs = []
    for file in files:
        try:
            docs.append(parse_file(file))
        except Exception:  # refused files are not built either
            continue
    extract = Extractor()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    extractions = [(document_iri(BASE, d.sha256), extract(d)) for d in docs]
    gc.collect()
    after_extract = tracemalloc.get_traced_memory()[0]
    texts = [document_texts(iri, x, BASE) for iri, x in extractions]
    gc.collect()
    after_texts = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(texts) == len(docs)
    return (len(docs), sum(len(d.text) for d in docs), (after_extract - before) / 1e6,
            (after_texts - after_extract) / 1e6)


def store_growth(quads: int, per_update: int = 7000) -> list[tuple[int, float]]:
    """(quads stored, RSS in MB) while pyoxigraph stores ``quads`` synthetic quads."""
    import pyoxigraph as ox

    rng = random.Random(42)
    directory = tempfile.mkdtemp(prefix="bench-memory-")
    points = [(0, _rss_mb())]
    try:
        store = ox.Store(directory)
        updates = max(1, quads // per_update)
        for number in range(updates):
            lines = [f'<http://x/s{number}_{i}> <http://x/p{i % 20}> '
                     f'"文本{rng.random()}第{i}条，某某机关关于推进工作的意见{number}"@zh .'
                     for i in range(per_update)]
            store.update(f"INSERT DATA {{ GRAPH <http://x/g{number}> {{ {' '.join(lines)} }} }}")
            if (number + 1) % max(1, updates // 6) == 0 or number + 1 == updates:
                points.append(((number + 1) * per_update, _rss_mb()))
        store.flush()
        del store
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return points


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and print one Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    ap.add_argument("--every", type=int, default=7, help="take every N-th file of the corpus")
    ap.add_argument("--quads", type=int, default=4_200_000, help="synthetic quads to store")
    args = ap.parse_args(argv)

    files, chars, extractions, texts = kept_per_document(Path(args.corpus), args.every)
    growth = store_growth(args.quads)
    print(f"\nbench_memory: every {args.every}th file of {args.corpus} ({files} files, "
          f"{chars:,} chars); {args.quads:,} synthetic quads\n")
    print("| measure | value | ratio |")
    print("|---|---:|---:|")
    print(f"| extractions of the sampled files (tracemalloc) | {extractions:,.1f} MB | 1 |")
    print(f"| texts to embed kept of them by the build | {texts:,.1f} MB | "
          f"{texts / max(extractions, 1e-9):.3f} |")
    start = growth[0][1]
    for stored, rss in growth[1:]:
        print(f"| process RSS after pyoxigraph stored {stored:,} quads | {rss:,.0f} MB | "
              f"+{rss - start:,.0f} MB over the {start:,.0f} MB before the store opened |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
