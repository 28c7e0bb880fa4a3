"""Search quality on the seed: hybrid vs plain BM25 vs plain dense, per language, in one run.

    python bench/eval_search.py [--seed FILE] [--gold bench/gold_search.tsv] [--store DIR]

Builds the seed into a temporary store (or reuses ``--store``), answers every
gold question with the three methods and prints one table.

Metrics (per question, averaged):
  hit@1    the first task has the question's highest grade
  MRR      1 / rank of the first task with the highest grade
  nDCG@5   graded gain 2^g - 1 over the first five tasks
  P / R    precision and recall of the answer set (the tasks shown after the
           relevance cut-off) against every task graded 1 or 2
Baselines use the same tokeniser, embedder and cut-off rule, but no concept
linking and no fusion: BM25 over sentences (max per task), dense over sentence
and task vectors (max per task).
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policykg.kg import KnowledgeGraph  # noqa: E402
from policykg.kg.search import CUTOFF_RATIO, MIN_SCORE  # noqa: E402

SEED = Path("/work/shared/seed/changning-2022-12-09.txt")
METHODS = ("hybrid", "bm25", "dense")


def read_gold(path: Path) -> list[tuple[str, str, dict[str, int]]]:
    """(language, question, {task number: grade}) for every line of the gold file."""
    gold = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, question, grades = line.split("\t")
        gold.append((lang, question, {g.split(":")[0]: int(g.split(":")[1])
                                      for g in grades.split()}))
    return gold


def answer_set(ranked: list[tuple[str, float]], method: str) -> list[str]:
    """The tasks shown: same cut-off rule for every method (relative to the best score)."""
    if not ranked:
        return []
    top = ranked[0][1]
    floor = max(MIN_SCORE, CUTOFF_RATIO * top) if method == "hybrid" else CUTOFF_RATIO * top
    return [iri for iri, score in ranked if score >= floor and score > 0]


def metrics(ranking: list[str], shown: list[str], grades: dict[str, int]) -> dict[str, float]:
    best = max(grades.values())
    gains = [grades.get(n, 0) for n in ranking]
    first = next((i for i, g in enumerate(gains) if g == best), None)
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:5]))
    ideal = sorted(grades.values(), reverse=True)
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal[:5]))
    relevant = set(grades)
    hit = len(relevant & set(shown))
    return {"hit@1": float(bool(gains) and gains[0] == best),
            "MRR": 1.0 / (first + 1) if first is not None else 0.0,
            "nDCG@5": dcg / idcg if idcg else 0.0,
            "P": hit / len(shown) if shown else 0.0,
            "R": hit / len(relevant)}


class _MemoEmbedder:
    """The searcher's embedder, remembering query vectors (the three methods share them)."""

    def __init__(self, embedder):
        self._embedder, self._memo = embedder, {}
        self.name = embedder.name

    def embed_queries(self, texts):
        import numpy as np

        missing = [t for t in texts if t not in self._memo]
        if missing:
            for text, vec in zip(missing, self._embedder.embed_queries(missing)):
                self._memo[text] = vec
        return np.stack([self._memo[t] for t in texts])

    def embed_passages(self, texts, **kwargs):
        return self._embedder.embed_passages(texts, **kwargs)


def evaluate(kg: KnowledgeGraph, gold) -> tuple[dict, list[str]]:
    """Mean metrics per (method, language) and a list of hybrid misses."""
    from policykg.kg.embeddings import get_embedder
    from policykg.kg.search import Searcher
    from policykg.kg.vectors import VectorIndex

    embedder = get_embedder(kg.settings)
    searcher = Searcher(kg.store, _MemoEmbedder(embedder),  # one embedding per question, not three
                        VectorIndex.of_store(kg.store, embedder))
    number_of = {u.iri: u.number for u in searcher.corpus.targets}
    table: dict[tuple[str, str], list[dict[str, float]]] = {}
    misses = []
    for lang, question, grades in gold:
        for method in METHODS:
            ranked = searcher.rank_targets(question, method)
            ranking = [number_of[iri] for iri, _ in ranked]
            if method == "hybrid":
                result = searcher.search(question, type="task", k=10)
                shown = [h.number for h in result.results]
            else:
                shown = [number_of[iri] for iri in answer_set(ranked, method)]
            m = metrics(ranking, shown, grades)
            table.setdefault((method, lang), []).append(m)
            table.setdefault((method, "all"), []).append(m)
            if method == "hybrid" and (m["hit@1"] < 1 or m["P"] < 1 or m["R"] < 1):
                misses.append(f"  {question}: ranked {ranking[:4]} shown {shown} gold {grades}")
    means = {key: {name: sum(r[name] for r in rows) / len(rows) for name in rows[0]}
             for key, rows in table.items()}
    return means, misses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument("--gold", type=Path, default=REPO / "bench" / "gold_search.tsv")
    parser.add_argument("--store", help="reuse (or create) this store instead of a temp dir")
    parser.add_argument("--embedder", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--misses", action="store_true", help="list hybrid misses")
    args = parser.parse_args(argv)
    gold = read_gold(args.gold)
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or tmp
        t0 = time.perf_counter()
        with KnowledgeGraph.open({"store": store, "embedder": args.embedder,
                                  "model": args.model}) as kg:
            kg.build([args.seed])
            built = time.perf_counter() - t0
            means, misses = evaluate(kg, gold)
    langs = ("en", "zh", "all")
    counts = {lang: sum(1 for g in gold if g[0] == lang) for lang in ("en", "zh")}
    counts["all"] = len(gold)
    print(f"gold: {args.gold.name}, {len(gold)} questions (en {counts['en']}, zh {counts['zh']});"
          f" build {built:.1f}s")
    print(f"{'method':<8} {'lang':<4} {'n':>3} {'hit@1':>6} {'MRR':>6} {'nDCG@5':>7} "
          f"{'P':>6} {'R':>6}")
    for method in METHODS:
        for lang in langs:
            m = means[(method, lang)]
            print(f"{method:<8} {lang:<4} {counts[lang]:>3} {m['hit@1']:>6.3f} {m['MRR']:>6.3f} "
                  f"{m['nDCG@5']:>7.3f} {m['P']:>6.3f} {m['R']:>6.3f}")
    if args.misses and misses:
        print("hybrid misses (hit@1, precision or recall below 1):")
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
