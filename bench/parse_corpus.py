"""Parse every document of a corpus and report robustness and speed.

Usage: python bench/parse_corpus.py [DIR ...]   (default: ../shared/corpus next to the repository)

Prints files parsed, files refused with their reasons, structure nodes by kind,
total characters and characters per second, and pages per second for each
layout format (PDF, DOCX, OFD …; OCR'd PDF pages apart). Any exception other than
IngestError is a parser bug: it is reported with its traceback and the script
exits with status 1.
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policykg.ingest import IngestError, iter_document_files, parse_file  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", default=[str(REPO.parent / "shared" / "corpus")],
                        help="files or folders to parse (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        files = list(iter_document_files(args.dirs))
    except IngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        def tqdm(items, **_):
            return items

    parsed = 0
    chars = 0
    kinds: Counter[str] = Counter()
    refused: list[tuple[Path, str]] = []
    crashed: list[tuple[Path, str]] = []
    seconds = 0.0
    layout: dict[str, list[float]] = {}  # format → [files, pages, seconds]
    for path in tqdm(files, desc="parsing", unit="file", file=sys.stderr):
        began = time.perf_counter()
        try:
            doc = parse_file(path)
        except IngestError as exc:
            refused.append((path, exc.reason))
            continue
        except Exception:  # a bug: report it, keep going, fail at the end
            crashed.append((path, traceback.format_exc()))
            continue
        finally:
            seconds += time.perf_counter() - began
        parsed += 1
        chars += len(doc.text)
        if doc.pages:
            fmt = doc.source_format + ("+ocr" if any(p.method == "ocr" for p in doc.pages) else "")
            row = layout.setdefault(fmt, [0, 0, 0.0])
            row[0] += 1
            row[1] += len(doc.pages)
            row[2] += time.perf_counter() - began
        kinds.update(node.kind for node in doc.nodes())

    return _report(len(files), parsed, chars, kinds, refused, crashed, seconds, layout)


def _report(found: int, parsed: int, chars: int, kinds: Counter, refused: list, crashed: list,
            seconds: float, layout: dict) -> int:
    """Print the figures; 1 if the parser crashed on any file."""
    print(f"files found:   {found}")
    print(f"files parsed:  {parsed}")
    print(f"files refused: {len(refused)}")
    for path, reason in refused:
        print(f"  {path}: {reason}")
    print("structure nodes by kind:")
    for kind, count in kinds.most_common():
        print(f"  {kind:10} {count:8d}")
    print(f"  {'total':10} {sum(kinds.values()):8d}")
    print(f"characters (clean text): {chars}")
    print(f"parse time: {seconds:.2f} s, {chars / seconds if seconds else 0:,.0f} characters/s")
    if layout:
        print("layout formats (whole parse: reading, cleaning, structure, sentences):")
        for fmt, (n, pages, secs) in sorted(layout.items()):
            print(f"  {fmt:9} {n:4d} files {pages:5d} pages {secs:8.2f} s  {pages / secs if secs else 0:8.1f} pages/s")
    if crashed:
        print(f"CRASHED on {len(crashed)} files (parser bugs):")
        for path, trace in crashed:
            print(f"--- {path}\n{trace}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
