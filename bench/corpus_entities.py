"""Entities extracted from the corpus's laws, and from its reports and plans: counts by type,
and signs of bad names.

    python bench/corpus_entities.py [--shared ../shared]

Prints per group the files read, entities by type, organisations and places whose name holds
a clause verb (应当, 不得, 违反, 建立健全 … : a clause glued to a name), the files whose own
title is an entity, and the sessions of a people's congress standing committee found as events.
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policykg.ingest import parse_file  # noqa: E402
from policykg.ingest.errors import PolicyKGError  # noqa: E402
from policykg.ingest.extraction import Extractor  # noqa: E402

CLAUSE_VERBS = re.compile(r"应当|不得|违反|接受|依照|按照|报送|责成|超出|遵守|评价|建立健全|推进|加强"
                          r"|支持|实施|坚持|实行")
GROUPS = {"laws": ("laws/*/*.md",),
          "reports and plans": ("gov_work_reports/*.txt", "cpc_congress_reports/*.txt",
                                "plans_and_validity/plans/*.md")}


def main(argv: list[str] | None = None) -> int:
    """Print the census."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared folder")
    args = parser.parse_args(argv)
    corpus = Path(args.shared) / "corpus"
    if not (corpus / "laws").is_dir():
        print(f"no corpus at {corpus}")
        return 1
    extractor = Extractor()
    for group, patterns in GROUPS.items():
        _census(group, sorted(p for pattern in patterns for p in corpus.glob(pattern)), extractor)
    return 0


def _census(group: str, files: list[Path], extractor: Extractor) -> None:
    """Print the counts of one group of files."""
    types: collections.Counter = collections.Counter()
    glued: collections.Counter = collections.Counter()
    read = own = sessions = 0
    started = time.perf_counter()
    for path in files:
        try:
            doc = parse_file(path)
        except PolicyKGError:
            continue
        read += 1
        title = doc.text.split("\n", 1)[0].strip()
        for entity in extractor(doc).entities:
            types[entity.type] += 1
            if entity.type in ("Organization", "Place") and CLAUSE_VERBS.search(entity.label):
                glued[entity.type] += 1
            own += entity.type == "Document" and entity.label == title
            sessions += entity.type == "Event" and "人民代表大会常务委员会第" in entity.label
    print(f"{group}: {read} files in {time.perf_counter() - started:.0f} s; entities by type: "
          f"{dict(sorted(types.items()))}")
    print(f"  names holding a clause verb: {dict(sorted(glued.items()))}; own title an entity: "
          f"{own}; standing-committee sessions: {sessions}")


if __name__ == "__main__":
    raise SystemExit(main())
