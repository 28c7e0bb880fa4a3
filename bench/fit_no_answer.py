"""Fit the "no answer" judge on the tune parts of the gold sets; cross-validate; report.

    python bench/fit_no_answer.py R.json [--folds 5] [--json]

``R.json`` holds the per-question records of ``bench/eval_sets.py --records`` (the searcher
judges every question there but refuses none, so each hybrid record carries the judge's
signals, see ``kg.search.noanswer.Support``). Compared, under grouped k-fold cross-validation
within the tune parts (a question of d asked of three stores stays in one fold):

  hand     the rule of ``kg.search.noanswer.refuses`` (known share < a and cosine gap < a
           limit between b for English and c for Chinese questions), the thresholds picked by
           ``eval_sets.fit_no_answer`` on the training folds
  hand-max the same rule, its thresholds the ones refusing most of d's training rows with no
           answerable training row refused (as aggressive as the logistic model)
  logistic a logistic model over the judge's signals (L2, standardised features), its
           threshold the lowest that refuses no answerable question of the training folds,
           moved up by a safety margin

Labels: every answerable question of a–c (whether or not the hybrid answered it right) is a
question that must be answered; every question of d (asked for the type its store's set asks)
one that must be refused. One or two words (``probe``) are never refused by either. Only the
tune parts are fitted; the report parts are then scored once with the model fitted on all of
tune, and with the shipped judge (``kg.search.noanswer``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import eval_sets  # noqa: E402


#: logit units added to the threshold above the highest answerable training question
SAFETY = 0.5
L2 = 1.0


def rows_of(records: list[dict]) -> list[dict]:
    """The hybrid records of the answerable sets and of d (asked for the type its store's set
    asks), labelled: y = 1 must be refused. ``judged`` is False for a question that never
    reached the judge (found verbatim, or stopped before as having no known words)."""
    out = []
    for r in records:
        if r["method"] != "hybrid" or (r["set"] == "d" and not r.get("primary")):
            continue
        out.append(dict(r, y=int(r["set"] == "d"), judged="known" in r,
                        probe=r.get("probe", False)))
    return out


#: the judge's signals the logistic model weighs, in the order of :func:`feature_vector`
FEATURES = ("known", "gap", "cos", "margin", "linked", "log_words", "chinese", "known_zh",
            "gap_en")


def feature_vector(signals: dict[str, Any]) -> list[float]:
    """The model's inputs from a record's signals (``kg.search.noanswer.Support.to_json``).

    >>> feature_vector({"known": 0.5, "gap": 0.01, "cos": 0.8, "margin": 0.02, "links": 2,
    ...                 "words": 3, "chinese": 1.0})
    [0.5, 0.01, 0.8, 0.02, 1.0, 1.3862943611198906, 1.0, 0.5, 0.0]
    """
    chinese = float(signals.get("chinese", 0.0))
    return [float(signals["known"]), float(signals["gap"]), float(signals["cos"]),
            float(signals["margin"]), float(signals["links"] > 0),
            float(np.log1p(signals["words"])), chinese, float(signals["known"]) * chinese,
            float(signals["gap"]) * (1.0 - chinese)]


def features(rows: list[dict]) -> np.ndarray:
    return np.array([feature_vector(r) for r in rows if r["judged"]], dtype=np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> dict[str, Any]:
    """L2-regularised logistic regression on standardised ``x`` (Newton's method); classes
    weighted to equal total weight."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    weight = np.where(y == 1, len(y) / (2 * max(1, y.sum())), len(y) / (2 * max(1, (1 - y).sum())))
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0  # the bias is not shrunk
    for _ in range(100):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (weight * (p - y)) + reg * w
        hess = (z * (weight * p * (1 - p))[:, None]).T @ z + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {"mean": mean.tolist(), "scale": scale.tolist(), "weights": w[:-1].tolist(),
            "bias": float(w[-1])}


def logits(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    z = (x - np.asarray(model["mean"])) / np.asarray(model["scale"])
    return z @ np.asarray(model["weights"]) + model["bias"]


def fit_model(rows: list[dict]) -> dict[str, Any]:
    """The logistic model of ``rows`` and its threshold: no answerable row refused, plus SAFETY."""
    judged = [r for r in rows if r["judged"]]
    x, y = features(judged), np.array([r["y"] for r in judged])
    model = fit_logistic(x, y)
    s = logits(model, x)
    answerable = [v for v, r in zip(s, judged) if r["y"] == 0 and not r["probe"]]
    model["threshold"] = float(max(answerable) + SAFETY) if answerable else 0.0
    return model


def refused_by_model(model: dict[str, Any], rows: list[dict]) -> np.ndarray:
    """Per row: refused by ``model`` (a row that never reached the judge: as it was)."""
    judged = [r for r in rows if r["judged"]]
    s = iter(logits(model, features(judged))) if judged else iter(())
    return np.array([(next(s) >= model["threshold"] and not r["probe"]) if r["judged"]
                     else r["set"] == "d" and r["none"] == 1 for r in rows], dtype=bool)


def refused_by_hand(rule: dict[str, float], rows: list[dict]) -> np.ndarray:
    """Per row: refused by the rule with thresholds ``rule`` (not judged: as it was)."""
    return np.array([eval_sets.judged_refused(r, rule) if r["judged"]
                     else r["set"] == "d" and r["none"] == 1 for r in rows], dtype=bool)


def fold_of(gold_id: str, folds: int) -> int:
    return int(hashlib.sha1(("fold:" + gold_id).encode()).hexdigest(), 16) % folds


def score(rows: list[dict], refused: np.ndarray) -> dict[str, Any]:
    """d's refused share, and the answerable questions refused (all, and those answered right)."""
    d = [bool(f) or r["none"] == 1 for r, f in zip(rows, refused) if r["y"] == 1]
    lost = [r for r, f in zip(rows, refused) if r["y"] == 0 and f]
    return {"d_n": len(d), "d_refused": sum(d), "answerable_n": sum(r["y"] == 0 for r in rows),
            "answerable_refused": len(lost),
            "hit_lost": sum(1 for r in lost if r["hit@1"] == 1),
            "lost": [f"{r['set']} {r['id']} {r['lang']}" for r in lost]}


def fit_hand_max(rows: list[dict]) -> dict[str, float]:
    """The rule's thresholds as aggressive as the logistic model's: the most unanswerable
    rows refused with no answerable row refused (ties: smallest English gap, largest
    Chinese gap, smallest share)."""
    # (a question asking for a figure or a person its answers lack, or about years the store
    # never mentions, is refused whatever the thresholds)
    answerable = [r for r in rows if r["y"] == 0 and r["judged"] and r.get("figure") is not False
                  and r.get("person") is not False and r.get("named") is not False
                  and not r.get("years")]
    unanswerable = [r for r in rows if r["y"] == 1]
    best: tuple[tuple, dict[str, float]] | None = None
    for known_min in eval_sets.KNOWN_GRID:
        for gap_min in eval_sets.GAP_GRID:
            for gap_min_zh in eval_sets.GAP_ZH_GRID:
                rule = {"known_min": known_min, "gap_min": gap_min, "gap_min_zh": gap_min_zh,
                        "gap_unmatched": 0.0}
                if any(eval_sets.judged_refused(r, rule) for r in answerable):
                    continue
                refused = sum(bool(f) for f in refused_by_hand(rule, unanswerable))
                key = (refused, -gap_min, gap_min_zh, -known_min)
                if best is None or key > best[0]:
                    best = (key, rule)
    return best[1] if best else {"known_min": 0.0, "gap_min": 0.0, "gap_min_zh": 0.0,
                                 "gap_unmatched": 0.0}


def cross_validate(tune: list[dict], folds: int) -> dict[str, dict[str, Any]]:
    """Held-out totals of both judges over grouped folds of the tune rows."""
    totals: dict[str, dict[str, Any]] = {}
    for k in range(folds):
        train = [r for r in tune if fold_of(r["id"], folds) != k]
        test = [r for r in tune if fold_of(r["id"], folds) == k]
        if not test:
            continue
        hand = eval_sets.fit_no_answer([dict(r, method="hybrid") for r in train])
        rule = {k: hand[k] for k in ("known_min", "gap_min", "gap_min_zh", "gap_unmatched")} \
            if hand else {"known_min": 0.0, "gap_min": 0.0, "gap_min_zh": 0.0,
                          "gap_unmatched": 0.0}
        judged = {
            "hand": refused_by_hand(rule, test),
            "hand-max": refused_by_hand(fit_hand_max(train), test),
            "logistic": refused_by_model(fit_model(train), test)}
        for name, refused in judged.items():
            got = score(test, refused)
            total = totals.setdefault(name, {"d_n": 0, "d_refused": 0, "answerable_n": 0,
                                             "answerable_refused": 0, "hit_lost": 0, "lost": []})
            for key, value in got.items():
                total[key] += value
    return totals


#: the blocks of set d, each written at another time (bench/gold/README.md): first, last id
D_BLOCKS = (("d001–d056", 1, 56), ("d057–d119", 57, 119), ("d120–d196", 120, 196),
            ("d301–d389", 301, 389), ("d402–d498", 402, 498),
            ("d601–d696", 601, 696), ("d801–d901", 801, 901),
            ("d1001001–d1001079", 1001001, 1001079),
            ("d1101–d1199", 1101, 1199),
            ("d1201–d1299", 1201, 1299),
            ("d1301–d1399", 1301, 1399),
            ("d1401–d1499", 1401, 1499),
            ("d1501–d1607", 1501, 1607),
            ("d1702–d1800", 1702, 1800),
            ("d1801–d1901", 1801, 1901))


def by_block(rows: list[dict], refused: np.ndarray) -> list[str]:
    """d's refused share per block × store × language (the rows given, e.g. the report part)."""
    lines = []
    for name, first, last in D_BLOCKS:
        cells: dict[str, list[int]] = {}
        for r, f in zip(rows, refused):
            if r["y"] == 1 and first <= int(r["id"][1:]) <= last:
                for cell in (f"{Path(r['store']).name} {r['lang']}", "all"):
                    got = cells.setdefault(cell, [0, 0])
                    got[0] += int(bool(f) or r["none"] == 1)
                    got[1] += 1
        if cells:
            lines.append(f"  {name}: " + "; ".join(
                f"{cell} {a}/{n} ({a / n:.3f})" for cell, (a, n) in sorted(cells.items())))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = rows_of(json.loads(args.records.read_text(encoding="utf-8")))
    if not rows:
        raise SystemExit(f"{args.records}: no hybrid records with the judge's signals")
    tune = [r for r in rows if r["split"] == "tune"]
    report = [r for r in rows if r["split"] == "report"]
    cv = cross_validate(tune, args.folds)
    model = fit_model(tune)
    shipped = refused_by_hand(eval_sets.rule_of(), report)
    out = {"features": list(FEATURES), "cv": cv, "model": model,
           "tune_fit": score(tune, refused_by_model(model, tune)),
           "report_model": score(report, refused_by_model(model, report)),
           "report_shipped": score(report, shipped)}
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print(f"features: {', '.join(FEATURES)}; tune rows {len(tune)}, "
          f"report rows {len(report)}")
    print(f"\n{args.folds}-fold cross-validation within tune (held-out totals):")
    for name, t in cv.items():
        print(f"  {name:<8} d refused {t['d_refused']}/{t['d_n']} "
              f"({t['d_refused'] / max(1, t['d_n']):.3f}); answerable refused "
              f"{t['answerable_refused']}/{t['answerable_n']} (hit@1 lost {t['hit_lost']}) "
              f"{t['lost']}")
    print("\nmodel fitted on all of tune:")
    print("  " + json.dumps({k: (np.round(v, 4).tolist() if isinstance(v, list) else round(v, 4))
                             for k, v in model.items()}))
    for name in ("tune_fit", "report_model", "report_shipped"):
        t = out[name]
        print(f"  {name:<15} d refused {t['d_refused']}/{t['d_n']} "
              f"({t['d_refused'] / max(1, t['d_n']):.3f}); answerable refused "
              f"{t['answerable_refused']}/{t['answerable_n']} (hit@1 lost {t['hit_lost']}) "
              f"{t['lost']}")
    print("\nthe shipped judge on the report part of d, by block:")
    print("\n".join(by_block(report, shipped)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
