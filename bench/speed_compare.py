"""Exact vs int8 + re-rank search, and term counts by scan vs by index, in one process.

Used by ``python bench/search_speed.py --store DIR --compare`` (see there).
"""
from __future__ import annotations

import random
import re
import statistics
import time
from pathlib import Path

import numpy as np

from policykg.kg import KnowledgeGraph
from policykg.kg.embeddings import get_embedder
from policykg.kg.quantised import QuantisedMatrix
from policykg.kg.search.terms import CharIndex


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _hits(result) -> list[str]:
    return [getattr(h, "iri", None) or str(h) for h in getattr(result, "hits", [])]


def _searches(kg, searcher, questions, repeat: int, methods) -> tuple[list, list]:
    """Each question with each method in turn (the same machine load for both); every
    search counts its terms afresh, as the first search after a start does."""
    times = [[] for _ in methods]
    answers = [{} for _ in methods]
    for _ in range(repeat):
        for question in questions:
            for i, quant in enumerate(methods):
                searcher.dense.quantised = quant
                searcher.dense._last = (b"", np.zeros(0, np.float32), True)
                searcher.counts.cache.clear()
                searcher.counts.cells = 0
                t = time.perf_counter()
                result = kg.search(question)
                times[i].append(time.perf_counter() - t)
                answers[i][question] = _hits(result)
    return times, answers


def _terms(corpus, count: int = 200, seed: int = 0) -> list[str]:
    """Substrings of 2-4 characters of random sentences (terms a question could hold)."""
    rng = random.Random(seed)
    out = set()
    while len(out) < count:
        text = rng.choice(corpus.sentences).text
        size = rng.randint(2, 4)
        if len(text) > size:
            at = rng.randrange(len(text) - size)
            out.add(text[at:at + size])
    return sorted(out)


def _term_rows(corpus, scale: int) -> list[str]:
    """First-time term lookups: a regex scan of the joined text (before) vs the index (after),
    on the store's text and on it repeated ``scale`` times (corpus-sized)."""
    terms = _terms(corpus)
    rows = []
    for times in (1, scale):
        blob = "\x00".join(corpus.docs[d].text for d in corpus.doc_list * times)
        scan, fresh = [], []
        t = time.perf_counter()
        index = CharIndex.build(blob)
        built = time.perf_counter() - t
        for term in terms:
            t = time.perf_counter()
            want = [m.start() for m in re.finditer(re.escape(term), blob)]
            scan.append(time.perf_counter() - t)
            t = time.perf_counter()
            got = index.find(term)
            fresh.append(time.perf_counter() - t)
            assert got.tolist() == want, term
        label = "the store's text" if times == 1 else f"the store's text × {times}"
        rows.append(f"| {label} | {len(blob):,} | {_pct(scan, 0.5) * 1e3:.2f} | "
                    f"{_pct(scan, 0.95) * 1e3:.2f} | {built:.2f} | {_pct(fresh, 0.5) * 1e3:.2f}"
                    f" | {_pct(fresh, 0.95) * 1e3:.2f} |")
    return rows


def compare(store: str, repeat: int, questions: list[str]) -> None:
    """Print the two tables for one store."""
    with KnowledgeGraph.open({"store": store}) as kg:
        embedder = get_embedder(kg.settings)
        embedder.embed_queries(["warm-up"])
        kg.search("warm-up")
        searcher = kg.searcher()
        embeds = []
        for question in questions * repeat:
            t = time.perf_counter()
            embedder.embed_queries([question])
            embeds.append(time.perf_counter() - t)
        emb = statistics.median(embeds)
        matrix = searcher.dense._matrix
        t = time.perf_counter()
        quant = QuantisedMatrix.of(matrix)
        made = time.perf_counter() - t
        methods = (("exact float32", None, matrix.nbytes / 1e6),
                   ("int8 scan + exact re-rank", quant,
                    quant.codes.nbytes / 1e6 + 3 * 256 * matrix.shape[1] * 4 / 1e6))
        all_times, answers = _searches(kg, searcher, questions, repeat, [m[1] for m in methods])
        rows = [f"| {label} | {_pct(times, 0.5) * 1e3:.1f} | {_pct(times, 0.95) * 1e3:.1f}"
                f" | {_pct(times, 0.95) / emb:.2f} | {read:.1f} |"
                for (label, _q, read), times in zip(methods, all_times)]
        searcher.dense.quantised = None
        same = sum(answers[0][q] == answers[1][q] for q in questions)
        print(f"\n**{Path(store).name}**: {len(matrix):,} vectors; query embedding p50 "
              f"{emb * 1e3:.1f} ms; int8 copy made in {made:.2f} s; identical hit lists for "
              f"{same} of {len(questions)} questions\n")
        print("| dense product | search p50 ms | p95 ms | p95 / embedding | MB read per question |")
        print("|---|--:|--:|--:|--:|")
        print("\n".join(rows))
        scale = max(1, round(6_300_000 / max(1, sum(len(d.text) for d in
                                                       searcher.corpus.docs.values()))))
        print("\n| first lookup of a term (200 random 2–4 character substrings of sentences) "
              "| characters | scan p50 ms | scan p95 ms | index made s | index p50 ms "
              "| index p95 ms |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        print("\n".join(_term_rows(searcher.corpus, scale)))
