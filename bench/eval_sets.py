"""Search quality beyond the sample: gold sets a–d × language × method, tune and report parts apart.

    python bench/eval_sets.py --store a=/work/stores/sample --store b=/work/stores/gwr \\
        --store c=/work/stores/laws [--split report|tune|both] [--json] [--misses]
    python bench/eval_sets.py --make-law-sample DIR   # copy the law sample set c is written over

Sets (``bench/gold/``, see its README): a = the sample's task questions (``sample.tsv``), b =
passages of the 72 government work reports (``passages.tsv``), c = law articles (``laws.tsv``),
d = questions nothing in the corpus answers (``unanswerable.tsv``), asked of every store given.

Methods, all in one run over the same store:
  hybrid  ``KnowledgeGraph.search`` through its public API only (``to_json()``): sentences for b
          (``type="sentence"``), tasks for a, the default type for c (articles); its ranking,
          at most 10: the hits above its relevance cut-off, then the answer's ``more`` (the
          next ones by score); "R@10 above cut-off" counts only the hits it shows first
  bm25    plain BM25 (bm25s) over jieba search-mode tokens of every sentence; units (tasks,
          articles) score their best sentence
  dense   the store's own sentence and unit vectors (``kg.vectors.VectorIndex``) against the
          query embedded by the same embedder; a unit scores max(its vector, its best sentence)
Baselines read the store's sentences and units with SPARQL (``store.select_rows``) and the vector
cache through ``kg.vectors``; nothing of the searcher's internals is used, so the script runs the
same against any version of ``kg.search``.

Metrics per question, averaged: hit@1 (the first answer is a gold one; for a: a best-graded
task), R@10 (share of the gold answers among the first 10; for b and c one answer, so hit@10),
MRR (1 / rank of the first gold answer, 0 beyond the list). For d: the share of questions
answered with nothing ("none"), and thresholds on the top score that would refuse ≥ 90 % of d
while costing at most 0.01 hit@1 on each of a–c, fitted on the tune parts and checked on the
report parts.

No answer (``kg.search.noanswer``): the searcher judges every question but refuses none while
this script runs; each hybrid record keeps the rule's two signals (``known``, ``gap``, ``probe``),
and the last table shows hit@1 of a–c and the share of d refused before and after the rule
(applied to the records with the shipped thresholds), plus the thresholds the tune parts give.
``--from-records FILE`` prints that table again from saved ``--records``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "bench" / "gold"
SETS = {"a": "sample.tsv", "b": "passages.tsv", "c": "laws.tsv", "d": "unanswerable.tsv"}
SET_TYPE = {"a": "task", "b": "sentence", "c": None}  # result type asked of the hybrid
UNIT_TYPE = {"a": "Task", "c": "Article"}  # units the baselines rank for a and c
METHODS = ("hybrid", "bm25", "dense")
LAWS = Path("/work/shared/corpus/laws")
MAX_LOSS = 0.01  # hit@1 a calibrated "no answer" may cost on each answerable set
MIN_REFUSED = 0.90  # share of set d it must refuse

_ZW = re.compile("[\\s\u200b\u200c\u200d\u2060\ufeff]+")
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
_EN_STOP = frozenset("a an the of to in on for and or is are was were be by with what which who "
                     "how does do did at from as that this it its into about".split())


def norm(text: str) -> str:
    """NFKC, lower case, no white space or zero-width characters: how gold text meets the store."""
    return _ZW.sub("", unicodedata.normalize("NFKC", text or "").lower())


def split_of(gold_id: str) -> str:
    """The fixed split rule of every gold set (decided before any evaluation)."""
    return "tune" if int(hashlib.sha1(gold_id.encode()).hexdigest(), 16) % 10 < 4 else "report"


def read_set(path: Path) -> list[dict[str, str]]:
    """Rows of a gold TSV (header line first; lines starting with # are comments)."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    header = lines[0].split("\t")
    rows = []
    for number, line in enumerate(lines[1:], 2):
        cells = line.split("\t")
        if len(cells) < len(header) - 1:
            raise SystemExit(f"{path}: line {number}: {len(cells)} cells, expected {len(header)}")
        row = dict(zip(header, cells + [""] * (len(header) - len(cells))))
        if row["split"] != split_of(row["id"]):
            raise SystemExit(f"{path}: line {number}: split {row['split']!r} breaks the rule")
        rows.append(row)
    return rows


# -- the store's texts, read once per store ------------------------------------------------
@dataclass
class Corpus:
    """Sentences and units of one store, with their vectors, for the baselines and the gold."""

    sentences: list[str] = field(default_factory=list)  # IRIs
    sent_text: list[str] = field(default_factory=list)
    sent_doc: list[str] = field(default_factory=list)
    sent_start: list[int] = field(default_factory=list)
    doc_of_file: dict[str, str] = field(default_factory=dict)
    units: dict[str, list[dict]] = field(default_factory=dict)  # unit type → rows
    embedder: Any = None
    sent_vecs: np.ndarray | None = None  # rows aligned with sentences (zeros when missing)
    unit_vecs: dict[str, np.ndarray] = field(default_factory=dict)
    bm25: Any = None
    tokenizer: Any = None
    _unit_sents: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def tokens(self, text: str) -> list[str]:
        out = []
        for token in self.tokenizer.cut_for_search(unicodedata.normalize("NFKC", text).lower(),
                                                   HMM=False):
            token = token.strip()
            if token and not _PUNCT.match(token) and token not in _EN_STOP:
                out.append(token)
        return out

    def unit_members(self, utype: str) -> tuple[np.ndarray, np.ndarray]:
        """(sentence index, unit index) pairs: a sentence belongs to the unit holding its start."""
        if utype not in self._unit_sents:
            by_doc: dict[str, list[tuple[int, int, int]]] = {}
            for u, row in enumerate(self.units.get(utype, [])):
                by_doc.setdefault(row["doc"], []).append((row["start"], row["end"], u))
            s_idx, u_idx = [], []
            for i, (doc, start) in enumerate(zip(self.sent_doc, self.sent_start)):
                for a, b, u in by_doc.get(doc, ()):
                    if a <= start < b:
                        s_idx.append(i)
                        u_idx.append(u)
                        break
            self._unit_sents[utype] = (np.array(s_idx, dtype=np.int64),
                                       np.array(u_idx, dtype=np.int64))
        return self._unit_sents[utype]


def vector_index(kg: Any) -> Any:
    """The store's vector cache (``kg.vectors.VectorIndex``), however this version opens it."""
    if isinstance(getattr(type(kg), "vectors", None), property):
        return kg.vectors  # the facade's own index (since the core's-shape refactor)
    from policykg.kg.vectors import VectorIndex

    if hasattr(VectorIndex, "of_store"):
        from policykg.kg.embeddings import get_embedder

        return VectorIndex.of_store(kg.store, get_embedder(kg.settings))
    return VectorIndex.open(kg)


def load_corpus(kg: Any, unit_types: set[str]) -> Corpus:
    """Read sentences, units, documents and vectors of ``kg``; index the sentences for BM25."""
    import bm25s
    import jieba

    c = Corpus()
    for doc in kg.documents():
        c.doc_of_file[doc.source_file] = doc.iri
    rows = kg.store.select_rows("""SELECT ?s ?text ?doc ?start WHERE {
        ?s a pol:Sentence ; rdf:value ?text ; pol:inDocument ?doc ; pol:startOffset ?start }""")
    seen = set()
    for r in sorted(rows, key=lambda r: (r["doc"], int(r["start"]), r["s"])):
        if r["s"] in seen:
            continue
        seen.add(r["s"])
        c.sentences.append(r["s"])
        c.sent_text.append(r["text"] or "")
        c.sent_doc.append(r["doc"])
        c.sent_start.append(int(r["start"]))
    for utype in unit_types:
        units, got = [], set()
        for r in kg.store.select_rows(f"""SELECT ?u ?doc ?number ?label ?start ?end WHERE {{
                ?u a pol:{utype} ; pol:inDocument ?doc ; pol:startOffset ?start ;
                   pol:endOffset ?end .
                OPTIONAL {{ ?u pol:number ?number }} OPTIONAL {{ ?u rdfs:label ?label }} }}"""):
            if r["u"] not in got:
                got.add(r["u"])
                units.append({"iri": r["u"], "doc": r["doc"], "number": r.get("number") or "",
                              "label": r.get("label") or "", "start": int(r["start"]),
                              "end": int(r["end"])})
        c.units[utype] = sorted(units, key=lambda u: (u["doc"], u["start"]))
    c.tokenizer = jieba.Tokenizer()
    userdict = REPO / "ingest" / "data" / "userdict.txt"
    if userdict.is_file():
        c.tokenizer.load_userdict(str(userdict))
    c.bm25 = bm25s.BM25()
    c.bm25.index([c.tokens(t) or ["\u2205"] for t in c.sent_text], show_progress=False)
    index = vector_index(kg)
    c.embedder = index.embedder
    at = {(row.kind, row.iri): i for i, row in enumerate(index.rows)}
    matrix = np.asarray(index.matrix, dtype=np.float32)
    dim = matrix.shape[1] if matrix.ndim == 2 else c.embedder.dim
    rows_s = np.array([at.get(("sentence", s), -1) for s in c.sentences], dtype=np.int64)
    c.sent_vecs = np.zeros((len(c.sentences), dim), dtype=np.float32)
    c.sent_vecs[rows_s >= 0] = matrix[rows_s[rows_s >= 0]]
    for utype, units in c.units.items():
        rows_u = np.array([at.get(("unit", u["iri"]), -1) for u in units], dtype=np.int64)
        vecs = np.zeros((len(units), dim), dtype=np.float32)
        vecs[rows_u >= 0] = matrix[rows_u[rows_u >= 0]]
        c.unit_vecs[utype] = vecs
    return c


# -- answers of the three methods ----------------------------------------------------------
def baseline_scores(c: Corpus, method: str, question: str, qvec: np.ndarray | None,
                    utype: str | None) -> tuple[list[str], np.ndarray]:
    """(item IRIs, scores) of a baseline: sentences, or units of ``utype``."""
    if method == "bm25":
        tokens = c.tokens(question)
        sent = np.asarray(c.bm25.get_scores(tokens), dtype=np.float32) if tokens \
            else np.zeros(len(c.sentences), dtype=np.float32)
    else:
        sent = c.sent_vecs @ qvec.astype(np.float32)
        sent[~c.sent_vecs.any(axis=1)] = -1.0
    if utype is None:
        return c.sentences, sent
    units = c.units[utype]
    s_idx, u_idx = c.unit_members(utype)
    score = np.full(len(units), -np.inf if method == "dense" else 0.0, dtype=np.float32)
    np.maximum.at(score, u_idx, sent[s_idx])
    if method == "dense":
        vecs = c.unit_vecs[utype]
        own = vecs @ qvec.astype(np.float32)
        own[~vecs.any(axis=1)] = -np.inf
        score = np.maximum(score, own)
        score[~np.isfinite(score)] = -1.0
    return [u["iri"] for u in units], score


def top_k(iris: list[str], scores: np.ndarray, k: int = 10, positive: bool = False) -> list[str]:
    order = np.argsort(-scores, kind="stable")[:k]
    return [iris[i] for i in order if not positive or scores[i] > 0]


def metrics(ranking: list[str], best: set[str], relevant: set[str]) -> dict[str, float]:
    first = next((i for i, x in enumerate(ranking) if x in best), None)
    return {"hit@1": float(bool(ranking) and ranking[0] in best),
            "R@10": len(relevant & set(ranking[:10])) / len(relevant) if relevant else 0.0,
            "MRR": 1.0 / (first + 1) if first is not None else 0.0}


def resolve(set_name: str, row: dict[str, str], c: Corpus) -> tuple[set[str], set[str]] | None:
    """(best answers, all relevant answers) as IRIs in the store, or None if not found."""
    doc = c.doc_of_file.get(row["document"])
    if doc is None:
        return None
    if set_name == "b":
        gold = norm(row["answer"])
        hits = {s for s, d, t in zip(c.sentences, c.sent_doc, c.sent_text) if d == doc and (
            gold in norm(t) or (len(norm(t)) >= 8 and norm(t) in gold))}
        return (hits, hits) if hits else None
    units = [u for u in c.units[UNIT_TYPE[set_name]] if u["doc"] == doc]
    if set_name == "c":
        want = row["answer"]
        hits = {u["iri"] for u in units if u["label"] == want or f"第{u['number']}条" == want
                or u["number"] == want}
        return (hits, hits) if hits else None
    grades = {g.split(":")[0]: int(g.split(":")[1]) for g in row["answer"].split()}
    top = max(grades.values())
    best = {u["iri"] for u in units if grades.get(u["number"]) == top}
    relevant = {u["iri"] for u in units if u["number"] in grades}
    return (best, relevant) if best else None


def hybrid(kg: Any, question: str, rtype: str | None) -> tuple[list[str], float, str]:
    """IRIs ranked by ``KnowledgeGraph.search`` (at most 10), its top score and result type."""
    ranked, top, got, _ = hybrid_judged(kg, question, rtype)
    return ranked, top, got


def hybrid_judged(kg: Any, question: str, rtype: str | None
                  ) -> tuple[list[str], float, str, dict[str, Any]]:
    """:func:`hybrid`, plus the searcher's no-answer signals (``kg.search.noanswer.Support``,
    empty for a version without them, or a question that never reached the rule) and
    ``shown``: how many of the ranked IRIs are above its relevance cut-off (the rest are the
    answer's ``more``, which a version without it does not have)."""
    from policykg.kg.errors import SearchError

    try:
        result = kg.search(question, type=rtype, k=10)
    except SearchError:
        return [], 0.0, rtype or "", {"shown": 0}
    data = result.to_json()
    support = getattr(result, "support", None)
    results, more = data.get("results") or [], data.get("more") or []
    judged = support.to_json() if support is not None else {}
    return ([h["iri"] for h in results + more][:10],
            float(results[0]["score"]) if results else 0.0,
            data.get("type") or "", {**judged, "shown": len(results)})


def judge_only(kg: Any) -> None:
    """Let the searcher judge every question but refuse none: the hybrid's answers are then
    those without the no-answer rule, and :func:`with_no_answer` applies the rule after."""
    searcher = kg.searcher() if callable(getattr(kg, "searcher", None)) else None
    if getattr(searcher, "no_answer", None) is not None:
        searcher.no_answer.enabled = False


# -- one store ------------------------------------------------------------------------------
def evaluate_store(store: str, sets: list[str], gold: dict[str, list[dict]],
                   misses: list[str]) -> dict[str, Any]:
    """Per-question records of every method for the answerable set(s) on ``store`` and for d."""
    from policykg.kg import KnowledgeGraph

    records: list[dict] = []
    skipped: dict[str, int] = {}
    t0 = time.perf_counter()
    with KnowledgeGraph.open({"store": store}, read_only=True) as kg:
        judge_only(kg)
        c = load_corpus(kg, {UNIT_TYPE[s] for s in sets if s in UNIT_TYPE})
        loaded = time.perf_counter() - t0
        memo: dict[str, np.ndarray] = {}

        def qvec(text: str) -> np.ndarray:
            if text not in memo:
                memo[text] = np.asarray(c.embedder.embed_queries([text])[0], dtype=np.float32)
            return memo[text]

        for set_name in sets:
            utype = UNIT_TYPE.get(set_name)
            for row in gold[set_name]:
                if row["document"] not in c.doc_of_file:
                    skipped[set_name] = skipped.get(set_name, 0) + 1
                    continue  # a store holding part of the corpus: the question is not for it
                target = resolve(set_name, row, c)
                if target is None:
                    misses.append(f"{set_name} {row['id']}: gold answer not found in {store}")
                    continue
                best, relevant = target
                base = {"set": set_name, "store": store, "id": row["id"], "lang": row["lang"],
                        "split": row["split"]}
                ranked, top, _, support = hybrid_judged(kg, row["question"], SET_TYPE[set_name])
                vec = qvec(row["question"])
                dense_sent = c.sent_vecs @ vec
                signals = {"top": top, "cos": float(dense_sent.max()),
                           "z": (float(dense_sent.max()) - float(dense_sent.mean()))
                           / (float(dense_sent.std()) or 1.0)}
                m = metrics(ranked, best, relevant)
                above = metrics(ranked[:support["shown"]], best, relevant)["R@10"]
                records.append({**base, "method": "hybrid", **m, "R@10 shown": above, **signals,
                                **support})
                if m["hit@1"] < 1:
                    misses.append(f"{set_name} {row['id']} [{row['split']}] {row['question']}: "
                                  f"hybrid rank {int(1 / m['MRR']) if m['MRR'] else '>10'}")
                for method in ("bm25", "dense"):
                    iris, scores = baseline_scores(c, method, row["question"],
                                                   vec if method == "dense" else None, utype)
                    ranking = top_k(iris, scores, positive=(method == "bm25"))
                    records.append({**base, "method": method, **metrics(ranking, best, relevant)})
        for row in gold["d"]:
            vec = qvec(row["question"])
            dense_sent = c.sent_vecs @ vec
            for set_name in sets:
                types = [SET_TYPE[set_name]] + ([None] if SET_TYPE[set_name] else [])
                for rtype in types:
                    _, top, got_type, support = hybrid_judged(kg, row["question"], rtype)
                    if rtype is None and got_type == SET_TYPE[set_name]:
                        continue  # the default type is the set's own: the same answer again
                    records.append({
                        "set": "d", "store": store, "on": set_name, "asked": rtype or "default",
                        "type": got_type, "primary": rtype == SET_TYPE[set_name], "id": row["id"], "lang": row["lang"],
                        "split": row["split"], "method": "hybrid",
                        "none": float(not support["shown"]),
                        "top": top, "cos": float(dense_sent.max()),
                        "z": (float(dense_sent.max()) - float(dense_sent.mean()))
                        / (float(dense_sent.std()) or 1.0), **support})
                tokens = c.tokens(row["question"])
                bm = np.asarray(c.bm25.get_scores(tokens)) if tokens else np.zeros(1)
                records.append({"set": "d", "store": store, "on": set_name, "asked": "-",
                                "id": row["id"], "lang": row["lang"], "split": row["split"],
                                "method": "bm25", "none": float(not (bm > 0).any())})
                records.append({"set": "d", "store": store, "on": set_name, "asked": "-",
                                "id": row["id"], "lang": row["lang"], "split": row["split"],
                                "method": "dense", "none": 0.0})
    return {"store": store, "sentences": len(c.sentences),
            "units": {k: len(v) for k, v in c.units.items()}, "load_s": round(loaded, 1),
            "skipped": skipped,
            "records": records}


# -- tables ----------------------------------------------------------------------------------
def mean(rows: list[dict], key: str) -> float:
    return sum(r[key] for r in rows) / len(rows) if rows else float("nan")


def table(records: list[dict], splits: list[str]) -> list[dict]:
    """Mean metrics per set × language × method × split (language "all" too)."""
    out = []
    for set_name in ("a", "b", "c"):
        for split in splits:
            for lang in ("en", "zh", "all"):
                for method in METHODS:
                    rows = [r for r in records if r["set"] == set_name and r["method"] == method
                            and (split == "both" or r["split"] == split)
                            and (lang == "all" or r["lang"] == lang)]
                    if rows:
                        out.append({"set": set_name, "split": split, "lang": lang,
                                    "method": method, "n": len(rows),
                                    **{k: round(mean(rows, k), 3)
                                       for k in ("hit@1", "R@10", "MRR", "R@10 shown")
                                       if all(k in r for r in rows)}})
    for split in splits:
        for on in sorted({r["on"] for r in records if r["set"] == "d"}):
            for lang in ("en", "zh", "all"):
                for method in METHODS:
                    for asked in sorted({r["asked"] for r in records if r["set"] == "d"
                                         and r["method"] == method and r["on"] == on}):
                        rows = [r for r in records if r["set"] == "d" and r["on"] == on
                                and r["method"] == method and r["asked"] == asked
                                and (split == "both" or r["split"] == split)
                                and (lang == "all" or r["lang"] == lang)]
                        if rows:
                            out.append({"set": "d", "on": on, "asked": asked, "split": split,
                                        "lang": lang, "method": method, "n": len(rows),
                                        "none": round(mean(rows, "none"), 3)})
    return out


def calibrate(records: list[dict]) -> list[dict]:
    """Thresholds on a signal below which the answer is "nothing": fit on tune, check on report.

    A threshold refuses a d question when its signal is below it; it costs the answerable
    questions whose first answer was right and whose signal is below it. Fitted per signal
    (hybrid top score, best dense cosine, its z-score over the store's sentences) as the highest
    threshold that refuses ≥ MIN_REFUSED of d's tune part while its tune cost stays ≤ MAX_LOSS
    on every answerable set, or, when none does, the highest threshold within that cost.
    """
    out = []
    for signal in ("top", "cos", "z"):
        answer = [r for r in records if r["set"] in ("a", "b", "c") and r["method"] == "hybrid"]
        unans = [r for r in records if r["set"] == "d" and r["method"] == "hybrid"
                 and r.get("primary", r["asked"] != "default")]  # the type its store's set asks
        if not answer or not unans:
            continue

        def cost(rows_a: list[dict], tau: float) -> dict[str, float]:
            by_set = {}
            for s in sorted({r["set"] for r in rows_a}):
                rows = [r for r in rows_a if r["set"] == s]
                by_set[s] = sum(1 for r in rows if r["hit@1"] == 1 and r[signal] < tau) / len(rows)
            return by_set

        def refused(rows_d: list[dict], tau: float) -> float:
            return sum(1 for r in rows_d if r["none"] == 1 or r[signal] < tau) / len(rows_d)

        tune_a = [r for r in answer if r["split"] == "tune"]
        tune_d = [r for r in unans if r["split"] == "tune"]
        candidates = sorted({r[signal] for r in tune_a + tune_d})
        if not candidates:  # a block of report questions only (--ids): nothing to fit on
            continue
        candidates.append(max(candidates) + 1e-6)
        allowed = None  # the highest threshold the answerable tune parts allow
        for tau in candidates:
            if all(v <= MAX_LOSS for v in cost(tune_a, tau).values()):
                allowed = tau
            else:
                break
        if allowed is None:
            continue
        # the lowest threshold refusing enough of d, if the cost allows it; else the highest allowed
        enough = next((tau for tau in candidates if refused(tune_d, tau) >= MIN_REFUSED), None)
        best = enough if enough is not None and enough <= allowed else allowed
        rep_a = [r for r in answer if r["split"] == "report"]
        rep_d = [r for r in unans if r["split"] == "report"]
        out.append({"signal": signal, "threshold": round(best, 4),
                    "tune_refused": round(refused(tune_d, best), 3),
                    "tune_cost": {k: round(v, 3) for k, v in cost(tune_a, best).items()},
                    "report_refused": round(refused(rep_d, best), 3) if rep_d else None,
                    "report_cost": {k: round(v, 3) for k, v in cost(rep_a, best).items()},
                    "meets": refused(tune_d, best) >= MIN_REFUSED})
    return out


def rule_of(**params: float) -> dict[str, float]:
    """The no-answer rule's thresholds: the shipped ones, overridden by ``params``."""
    from policykg.kg.search import noanswer

    rule = {"known_min": noanswer.KNOWN_MIN, "gap_min": noanswer.GAP_MIN,
            "gap_min_zh": noanswer.GAP_MIN_ZH, "gap_unmatched": noanswer.GAP_UNMATCHED,
            "gap_unlinked": noanswer.GAP_UNLINKED}
    rule.update({k: v for k, v in params.items() if v is not None})
    return rule


def judged_refused(r: dict, rule: dict[str, float]) -> bool:
    """Whether ``rule`` refuses the question of record ``r`` (False when it was not judged)."""
    from policykg.kg.search import noanswer

    return "known" in r and noanswer.refuses(r["known"], r["gap"], r["probe"],
                                             r.get("chinese", 0.0),
                                             lexical=r.get("lexical", True),
                                             figure=r.get("figure"), person=r.get("person"),
                                             named=r.get("named"),
                                             absent=bool(r.get("absent")),
                                             undated=bool(r.get("years")),
                                             links=r.get("links", 1), **rule)


def with_no_answer(records: list[dict], **params: float) -> list[dict]:
    """The hybrid's records with the no-answer rule (``kg.search.noanswer.refuses``, its
    thresholds overridden by ``params``) applied: a refused answerable question scores 0, a
    refused d question counts as "none"."""
    rule = rule_of(**params)
    out = []
    for r in records:
        if r["method"] != "hybrid":
            continue
        refused = judged_refused(r, rule)
        x = dict(r, method="hybrid+na")
        if r["set"] == "d":
            x["none"] = float(r["none"] == 1 or refused)
        elif refused:
            x.update({"hit@1": 0.0, "R@10": 0.0, "MRR": 0.0})
        out.append(x)
    return out


def no_answer_cells(records: list[dict], after: list[dict], split: str) -> dict[str, float]:
    """hit@1 of a–c per set × language and d's refused share per store × language,
    before (``records``) and after (``after``) the rule, on one split."""
    cells: dict[str, float] = {}
    for name, rows in (("before", [r for r in records if r["method"] == "hybrid"]),
                       ("after", after)):
        for r in rows:
            if r["split"] != split:
                continue
            if r["set"] == "d":
                if not r.get("primary"):
                    continue
                key, value = f"d {r['on']} {r['lang']}", r["none"]
            else:
                key, value = f"{r['set']} {r['lang']}", r["hit@1"]
            cells.setdefault(f"{key}|{name}|n", 0)
            cells[f"{key}|{name}|n"] += 1
            cells[f"{key}|{name}"] = cells.get(f"{key}|{name}", 0.0) + value
    return {k: (v / cells[f"{k}|n"] if not k.endswith("|n") else v) for k, v in cells.items()}


#: the thresholds :func:`fit_no_answer` tries
KNOWN_GRID = (0.25, 0.34, 0.5, 0.67)
GAP_GRID = tuple(step / 1000 for step in range(0, 61, 2))
GAP_ZH_GRID = tuple(step / 1000 for step in range(0, 101, 5))
GAP_UNMATCHED_GRID = tuple(step / 1000 for step in range(0, 101, 5))


def fit_no_answer(records: list[dict]) -> dict[str, Any]:
    """The thresholds of the no-answer rule, fitted on the tune parts: among the settings that
    refuse no answerable tune question at all and refuse ≥ MIN_REFUSED of d's tune part, the
    one with the smallest English gap limit (English answers sit close to everyday subjects),
    then the largest Chinese gap limit (the largest at which no Chinese answerable tune
    question is refused), then the smallest share; when none refuses enough, the one
    refusing most."""
    tune = [r for r in records if r["method"] == "hybrid" and r["split"] == "tune"]
    # a question asking for a figure its answers lack is refused whatever the thresholds
    # (``figure`` False): the thresholds are fitted on the others
    by_figure = [r for r in tune if r["set"] != "d" and r.get("figure") is False]
    answerable = [r for r in tune if r["set"] != "d" and "known" in r
                  and r.get("figure") is not False]
    unanswerable = [r for r in tune if r["set"] == "d" and r.get("primary")]
    fits = []
    for known_min in KNOWN_GRID:
        for gap_min in GAP_GRID:
            for gap_min_zh in GAP_ZH_GRID:
                rule = {"known_min": known_min, "gap_min": gap_min, "gap_min_zh": gap_min_zh,
                        "gap_unmatched": 0.0}
                if any(judged_refused(r, rule) for r in answerable):
                    continue
                refused = sum(r["none"] == 1 or judged_refused(r, rule) for r in unanswerable)
                fits.append((refused / max(1, len(unanswerable)), rule))
    if not fits:
        return {}
    enough = [f for f in fits if f[0] >= MIN_REFUSED]
    refused, rule = min(enough, key=lambda f: (f[1]["gap_min"], -f[1]["gap_min_zh"],
                                               f[1]["known_min"])) if enough \
        else max(fits, key=lambda f: (f[0], -f[1]["gap_min"], -f[1]["gap_min_zh"],
                                      -f[1]["known_min"]))
    # then the gap a question nothing matches by its words needs: the largest at which no
    # answerable tune question is refused (fitted after the rest, so that it only adds)
    for gap in GAP_UNMATCHED_GRID:
        wider = dict(rule, gap_unmatched=gap)
        if any(judged_refused(r, wider) for r in answerable):
            break
        rule = wider
    refused = sum(r["none"] == 1 or judged_refused(r, rule) for r in unanswerable) \
        / max(1, len(unanswerable))
    return {**rule, "tune_refused": round(refused, 3),
            "tune_answerable_refused": [r["id"] for r in by_figure]}


def no_answer_markdown(records: list[dict], splits: list[str]) -> str:
    """The before/after table of the no-answer rule, and the thresholds fitted on tune."""
    after = with_no_answer(records)
    lines = ["| cell | split | n | before | after |", "|---|---|--:|--:|--:|"]
    for split in splits:
        cells = no_answer_cells(records, after, split)
        for key in sorted({k.split("|")[0] for k in cells}, key=lambda k: (k[0] == "d", k)):
            what = "refused" if key.startswith("d") else "hybrid hit@1"
            lines.append(f"| {key} ({what}) | {split} | {int(cells[f'{key}|before|n'])} "
                         f"| {cells[f'{key}|before']:.3f} | {cells[f'{key}|after']:.3f} |")
    fitted = fit_no_answer(records)
    from policykg.kg.search import noanswer

    lines.append(f"\nshipped: known < {noanswer.KNOWN_MIN} and gap < {noanswer.GAP_MIN} "
                 f"(English) … {noanswer.GAP_MIN_ZH} (Chinese), or no word matched and gap < "
                 f"{noanswer.GAP_UNMATCHED}, not for ≤ {noanswer.PROBE_WORDS} words; "
                 f"fitted on tune: {fitted}")
    return "\n".join(lines)


def markdown(rows: list[dict], calib: list[dict]) -> str:
    lines = ["| set | split | lang | n | hybrid hit@1 | R@10 | MRR | R@10 above cut-off "
             "| bm25 hit@1 | R@10 | MRR | dense hit@1 | R@10 | MRR |",
             "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    keyed = {(r["set"], r["split"], r["lang"], r["method"]): r for r in rows if r["set"] != "d"}
    for (s, split, lang, method), r in keyed.items():
        if method != "hybrid":
            continue
        cells = [s, split, lang, str(r["n"])]
        for m in METHODS:
            x = keyed.get((s, split, lang, m))
            cells += [f"{x['hit@1']:.3f}", f"{x['R@10']:.3f}", f"{x['MRR']:.3f}"] if x \
                else ["", "", ""]
            if m == "hybrid":
                cells.append(f"{x['R@10 shown']:.3f}" if x and "R@10 shown" in x else "")
        lines.append("| " + " | ".join(cells) + " |")
    d_rows = [r for r in rows if r["set"] == "d"]
    if d_rows:
        lines += ["", "| d asked of | type asked | split | lang | n | hybrid none | bm25 none "
                  "| dense none |", "|---|---|---|---|--:|--:|--:|--:|"]
        seen = set()
        for r in d_rows:
            if r["method"] != "hybrid" or (r["on"], r["asked"], r["split"], r["lang"]) in seen:
                continue
            seen.add((r["on"], r["asked"], r["split"], r["lang"]))
            base = {m: next((x["none"] for x in d_rows if x["on"] == r["on"]
                             and x["split"] == r["split"] and x["lang"] == r["lang"]
                             and x["method"] == m), float("nan")) for m in ("bm25", "dense")}
            lines.append(f"| {r['on']} | {r['asked']} | {r['split']} | {r['lang']} | {r['n']} "
                         f"| {r['none']:.3f} | {base['bm25']:.3f} | {base['dense']:.3f} |")
    if calib:
        lines += ["", "| no-answer signal | threshold | d refused (tune) | hit@1 cost (tune) "
                  "| d refused (report) | hit@1 cost (report) | ≥ 90 % on tune |",
                  "|---|--:|--:|---|--:|---|---|"]
        for x in calib:
            lines.append(f"| {x['signal']} | {x['threshold']} | {x['tune_refused']:.3f} "
                         f"| {x['tune_cost']} | {x['report_refused']} | {x['report_cost']} "
                         f"| {'yes' if x['meets'] else 'no'} |")
    return "\n".join(lines)


def make_law_sample(directory: Path) -> int:
    """Copy the law sample set c is written over (every 8th Shanghai regulation from the 4th,
    every 17th State Council regulation from the 6th, by sorted file name)."""
    directory.mkdir(parents=True, exist_ok=True)
    picked = sorted((LAWS / "shanghai_local_regulations").iterdir())[3::8] + \
        sorted((LAWS / "state_council_admin_regulations").iterdir())[5::17]
    for path in picked:
        shutil.copy(path, directory / path.name)
    print(f"{len(picked)} regulations copied to {directory}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", action="append", default=[], metavar="SET=DIR",
                        help="the store a set is asked of (a, b, c); d is asked of every one")
    parser.add_argument("--split", choices=("tune", "report", "both"), default="both")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--misses", action="store_true", help="list hybrid misses (hit@1 = 0)")
    parser.add_argument("--records", type=Path, help="write every per-question record here")
    parser.add_argument("--from-records", type=Path, metavar="FILE",
                        help="print the no-answer tables of records saved by --records")
    parser.add_argument("--make-law-sample", type=Path, metavar="DIR")
    parser.add_argument("--ids", metavar="REGEX",
                        help="only the gold questions whose id matches (a block: '^(b14|d18)')")
    args = parser.parse_args(argv)
    if args.make_law_sample:
        return make_law_sample(args.make_law_sample)
    if args.from_records:
        saved = json.loads(args.from_records.read_text(encoding="utf-8"))
        print(no_answer_markdown(saved, ["tune", "report"] if args.split == "both"
                                 else [args.split]))
        return 0
    stores: dict[str, list[str]] = {}
    for item in args.store:
        name, sep, path = item.partition("=")
        if not sep or name not in ("a", "b", "c") or not Path(path).is_dir():
            parser.error(f"--store {item}: expected a=DIR, b=DIR or c=DIR with an existing DIR")
        stores.setdefault(path, []).append(name)
    if not stores:
        parser.error("give at least one --store SET=DIR")
    gold = {name: read_set(GOLD / file) for name, file in SETS.items()}
    if args.ids:
        wanted = re.compile(args.ids)
        gold = {name: [r for r in rows if wanted.search(r["id"])] for name, rows in gold.items()}
    records, misses, info = [], [], []
    for store, sets in stores.items():
        result = evaluate_store(store, sets, gold, misses)
        records += result.pop("records")
        info.append(result)
    splits = ["tune", "report"] if args.split == "both" else [args.split]
    rows = table(records, splits)
    calib = calibrate(records)
    if args.records:
        args.records.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    if args.json:
        print(json.dumps({"stores": info, "table": rows, "no_answer": calib,
                          "misses": misses if args.misses else len(misses)},
                         ensure_ascii=False, indent=1))
        return 0
    for x in info:
        print(f"store {x['store']}: {x['sentences']} sentences, units {x['units']}, "
              f"read in {x['load_s']} s" + "".join(
                  f"; {n} questions of {s} skipped (their document is not in the store)"
                  for s, n in x["skipped"].items()))
    print(markdown(rows, calib))
    if any("known" in r for r in records):
        print("\nNo answer (kg.search.noanswer), hybrid before → after the rule "
              "(d: the type its store's set asks):\n")
        print(no_answer_markdown(records, splits))
    unresolved = [m for m in misses if "not found" in m]
    if unresolved:
        print(f"\n{len(unresolved)} gold answers not found in their store:")
        print("\n".join(unresolved))
    if args.misses:
        print("\nhybrid misses:")
        print("\n".join(m for m in misses if "not found" not in m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
