"""Precision, recall and F1 of entity extraction against hand-marked gold lists.

Usage: python bench/eval_extraction.py [--verbose] [--shared ../shared]
Matching is entity-level: an extracted entity matches a gold entity when the extracted
canonical key is one of the gold entity's names (canonical or alias) or the gold canonical
key is one of the extracted entity's names; "typed" also requires the same type.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policykg.ingest import parse_file  # noqa: E402
from policykg.ingest.entities import normalise_key  # noqa: E402
from policykg.ingest.extract import Extractor  # noqa: E402

#: (gold file, document path relative to the shared folder)
CASES = (
    ("seed_entities.tsv", "seed/changning-2022-12-09.txt"),
    ("nansha_kejichuangxin_entities.tsv",
     "corpus/nansha_district/html/广州南沙新区(自贸片区)促进科技创新产业发展扶持办法｜广州市南沙区人民政府.html"),
)


def load_gold(path: Path) -> list[tuple[str, str, set[str]]]:
    """(canonical key, type, all name keys) for each gold row."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t") + ["", ""]
        label, etype, aliases = cols[0].strip(), cols[1].strip(), cols[2].strip()
        names = {normalise_key(label)} | {normalise_key(a) for a in aliases.split("|") if a}
        rows.append((normalise_key(label), etype, names))
    return rows


def score(gold, entities, typed: bool):
    """Matched pairs, false positives and false negatives."""
    used_gold: set[int] = set()
    matched, false_pos = [], []
    for ent in sorted(entities, key=lambda e: e.key):
        names = {ent.key} | {normalise_key(a) for a in ent.aliases}
        hit = None
        for i, (gkey, gtype, gnames) in enumerate(gold):
            if i in used_gold or (typed and gtype != ent.type):
                continue
            if ent.key in gnames or gkey in names:
                hit = i
                break
        if hit is None:
            false_pos.append(ent)
        else:
            used_gold.add(hit)
            matched.append((ent, gold[hit]))
    false_neg = [g for i, g in enumerate(gold) if i not in used_gold]
    return matched, false_pos, false_neg


def prf(n_match: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1."""
    p = n_match / n_pred if n_pred else 0.0
    r = n_match / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main(argv: list[str] | None = None) -> int:
    """Print the figures for every gold document found."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbose", action="store_true", help="list false positives and negatives")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared folder")
    args = ap.parse_args(argv)
    extractor = Extractor()
    for gold_name, rel in CASES:
        doc_path = Path(args.shared) / rel
        if not doc_path.exists():
            print(f"{gold_name}: skipped, {doc_path} not found")
            continue
        gold = load_gold(ROOT / "tests" / "gold" / gold_name)
        doc = parse_file(doc_path)
        t0 = time.perf_counter()
        x = extractor(doc)
        elapsed = time.perf_counter() - t0
        print(f"== {rel}  ({len(doc.text)} chars, {len(x.entities)} entities, "
              f"{len(x.mentions)} mentions, {len(x.relations)} relations, {elapsed:.2f}s)")
        for typed in (True, False):
            matched, fp, fn = score(gold, x.entities, typed)
            p, r, f = prf(len(matched), len(x.entities), len(gold))
            label = "typed        " if typed else "type-agnostic"
            print(f"  {label} P={p:.3f} R={r:.3f} F1={f:.3f}  "
                  f"(tp={len(matched)} fp={len(fp)} fn={len(fn)} gold={len(gold)})")
            if args.verbose:
                for e in fp:
                    print(f"    FP {e.type:12} {e.label}")
                for gkey, gtype, _ in fn:
                    print(f"    FN {gtype:12} {gkey}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
