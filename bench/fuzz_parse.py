"""Fuzz the parser with mutated corpus files: parsed, refused cleanly, crashed or hung.

Usage: nice -n 10 python bench/fuzz_parse.py [-n 2000] [--corpus DIR] [--seed 1]
       [--limit 10] [--workers 2] [--extract] [--out DIR]

Each mutated file (byte flips, truncation, NULs, re-encodings, duplicated
headings, 1 MB lines, deep HTML, bracket bombs, splices) is parsed in a child
process (``ingest.worker.ParseWorker``) with a time limit. A file is *parsed*,
*refused* cleanly (an ``IngestError`` with a reason), *crashed* (any other
exception, or the child died) or *hung* (over the limit). Crashes and hangs are
saved under ``--out`` and shrunk to a small reproducer; the script exits 1 if
there are any.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from policykg.ingest import IngestError, iter_document_files  # noqa: E402
from policykg.ingest.worker import ParserCrash, ParseTimeout, ParseWorker  # noqa: E402

_HEADING = re.compile(r"^\s*(?:第.{1,6}?[条章节]|[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[)）])")


def _text_level(change):
    """A mutation applied to the decoded text (cuts fall between characters, not inside one)."""
    def mutation(data: bytes, rng: random.Random) -> bytes:
        return change(data.decode("utf-8", errors="surrogateescape"), rng).encode("utf-8", errors="surrogateescape")
    mutation.__doc__ = change.__doc__
    return mutation


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 64)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _nuls(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        out.insert(rng.randrange(len(out) + 1), 0)
    return bytes(out)


def _reencode(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    encoding = rng.choice(["gb18030", "utf-16", "utf-16-le", "utf-32", "big5", "latin-1-mojibake", "utf-8-sig"])
    if encoding == "latin-1-mojibake":
        return data.decode("latin-1").encode("utf-8")
    return text.encode(encoding, errors="replace")


def _duplicate_headings(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    heads = [i for i, line in enumerate(lines) if _HEADING.match(line)]
    if not heads:
        return text + "\n" + "\n".join(f"{n}、重复标题" for n in "一二三一二三" * 50)
    times = rng.choice([2, 10, 200, 2000])
    for i in sorted(rng.sample(heads, min(len(heads), 5)), reverse=True):
        lines[i:i + 1] = [lines[i]] * times
    return "\n".join(lines)


def _long_line(text: str, rng: random.Random) -> str:
    unit = rng.choice(["政策", "，", "a", " ", "、与", "第一条", "（一）", "《", "“"])
    pos = rng.randrange(len(text) + 1)
    return text[:pos] + "\n" + unit * (2**20 // len(unit.encode())) + "\n" + text[pos:]


def _deep_html(text: str, rng: random.Random) -> str:
    tag = rng.choice(["div", "table", "span", "p", "td", "font", "li", "b"])
    depth = rng.choice([50, 100, 300, 1000, 5000, 20000])
    pos = rng.randrange(len(text) + 1)
    bomb = f"<{tag}>" * depth + text[pos:pos + 2000] + f"</{tag}>" * rng.choice([0, depth])
    page = text[:pos] + bomb + text[pos:]
    return page if page.lstrip()[:1] == "<" else "<html><body>" + page + "</body></html>"


def _bomb(text: str, rng: random.Random) -> str:
    unit = rng.choice(["(一）", "《", "“", "（", "）", "与", "依托", "第一条", "一是", "# ", "<!--", "、\n",
                       "\n\n", "。", "\u200b", "发布时间:", "\U00020000", "😀"])
    pos = rng.randrange(len(text) + 1)
    return text[:pos] + unit * rng.choice([1000, 20000, 100000]) + text[pos:]


def _splice(data: bytes, rng: random.Random, other: bytes = b"") -> bytes:
    a, b = rng.randrange(len(data) + 1), rng.randrange(len(other) + 1)
    return data[:a] + other[b:]


def _chunks(text: str, rng: random.Random) -> str:
    if not text:
        return text
    a = rng.randrange(len(text))
    b = min(len(text), a + rng.randint(1, 2000))
    return text[:b] + text[a:b] * rng.randint(1, 50) + text[b:]


MUTATIONS = {
    "flip": _flip, "truncate": _truncate, "nul": _nuls, "reencode": _reencode,
    "headings": _text_level(_duplicate_headings), "long-line": _text_level(_long_line),
    "deep-html": _text_level(_deep_html), "bomb": _text_level(_bomb), "splice": _splice,
    "chunks": _text_level(_chunks),
}


def mutate(data: bytes, rng: random.Random, other: bytes) -> tuple[str, bytes]:
    """One or two mutations of ``data``: (names, mutated bytes)."""
    names = rng.sample(sorted(MUTATIONS), rng.choice([1, 1, 1, 2]))
    for name in names:
        data = _splice(data, rng, other) if name == "splice" else MUTATIONS[name](data, rng)
    return "+".join(names), data


def classify(worker: ParseWorker, path: Path, extract: bool) -> tuple[str, str]:
    """(outcome, detail): parsed, refused, crashed or hung."""
    try:
        if extract:
            worker.extract(path)
        else:
            worker.parse(path)
    except ParseTimeout as exc:
        return "hung", exc.reason
    except ParserCrash as exc:
        return "crashed", exc.reason
    except IngestError as exc:
        return "refused", exc.reason
    return "parsed", ""


def shrink(worker: ParseWorker, data: bytes, suffix: str, outcome: str, extract: bool, work: Path,
           budget: int = 40) -> bytes:
    """A smaller input with the same outcome (cut halves, then quarters …, within ``budget`` tries)."""
    path = work / f"shrink{suffix}"
    chunk = len(data) // 2
    tries = 0
    while chunk >= 16 and tries < budget:
        cut = False
        for start in range(0, len(data), chunk):
            if tries >= budget:
                break
            candidate = data[:start] + data[start + chunk:]
            path.write_bytes(candidate)
            tries += 1
            if classify(worker, path, extract)[0] == outcome:
                data, cut = candidate, True
                break
        if not cut:
            chunk //= 2
    return data


class _Tally:
    """Outcomes of a fuzz run, filled by one thread per worker."""

    def __init__(self, args: argparse.Namespace, out: Path):
        self.args, self.out = args, out
        self.counts: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()  # reasons without numbers, to group them
        self.by_mutation: dict[str, Counter[str]] = {}  # a file mutated twice counts for both
        self.bad: list[tuple[str, str, str, Path]] = []  # (outcome, mutations, detail, saved file)
        self.lock = threading.Lock()
        self.began = time.monotonic()

    def run(self, share: list) -> None:
        """Mutate and parse the files of ``share`` in one child."""
        args = self.args
        with ParseWorker(time_limit=args.limit, preload=args.extract) as worker, \
                tempfile.TemporaryDirectory() as tmp:
            for i, src, other, seed in share:
                names, data = mutate(src.read_bytes(), random.Random(seed), other.read_bytes())
                path = Path(tmp) / f"m{i}{src.suffix}"
                path.write_bytes(data)
                outcome, detail = classify(worker, path, args.extract)
                if outcome in ("crashed", "hung"):
                    saved = self.out / f"{outcome}-{i}{src.suffix}"
                    saved.write_bytes(data)
                with self.lock:
                    self.counts[outcome] += 1
                    for name in names.split("+"):
                        self.by_mutation.setdefault(name, Counter())[outcome] += 1
                    if outcome == "refused":
                        self.refusals[re.sub(r"[\d.]+", "N", detail)[:90]] += 1
                    if outcome in ("crashed", "hung"):
                        self.bad.append((outcome, names, detail, saved))
                    done = sum(self.counts.values())
                if done % 100 == 0:
                    print(f"  {done}/{args.n}: {dict(self.counts)} ({time.monotonic() - self.began:.0f} s)",
                          file=sys.stderr, flush=True)

    def confirm_and_shrink(self) -> None:
        """Try hung files again alone (hung means over the limit twice); shrink what stays bad."""
        args = self.args
        with ParseWorker(time_limit=args.limit, preload=args.extract) as worker, \
                tempfile.TemporaryDirectory() as tmp:
            for entry in [e for e in self.bad if e[0] == "hung"]:
                outcome, _detail = classify(worker, entry[3], args.extract)
                if outcome != "hung":
                    self.bad.remove(entry)
                    for tally in [self.counts] + [self.by_mutation[n] for n in entry[1].split("+")]:
                        tally["hung"] -= 1
                        tally[outcome] += 1
                    self.counts["slow"] += 1
            for outcome, _names, _detail, saved in self.bad:
                small = shrink(worker, saved.read_bytes(), saved.suffix, outcome, args.extract, Path(tmp),
                               budget=40 if outcome == "crashed" else 12)
                saved.with_name(saved.stem + "-min" + saved.suffix).write_bytes(small)

    def report(self, sources: int) -> int:
        """Print the figures; 1 if anything crashed or hung."""
        args, counts = self.args, self.counts
        print(f"mutated files: {args.n} from {sources} sources (seed {args.seed}, limit {args.limit:g} s, "
              f"{'parse+extract' if args.extract else 'parse'}, {args.workers} worker(s), "
              f"{time.monotonic() - self.began:.0f} s)")
        for outcome in ("parsed", "refused", "crashed", "hung"):
            print(f"  {outcome:8} {counts[outcome]:6d}")
        print(f"  (over the limit once, then within it alone: {counts['slow']})")
        print("by mutation (parsed/refused/crashed/hung):")
        for name, c in sorted(self.by_mutation.items()):
            print(f"  {name:10} {c['parsed']:5d} {c['refused']:5d} {c['crashed']:5d} {c['hung']:5d}")
        print("most common refusals:")
        for reason, count in self.refusals.most_common(8):
            print(f"  {count:5d}  {reason}")
        if not self.bad:
            return 0
        print("crashes and hangs (saved, with a shrunk '-min' copy):")
        for outcome, names, detail, saved in self.bad:
            print(f"  {outcome} [{names}] {saved}: {detail[:160]}")
        return 1


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="mutated files to try (default %(default)s)")
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"),
                        help="folder of source documents (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per file (default %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="child processes in parallel")
    parser.add_argument("--extract", action="store_true", help="also extract entities and relations")
    parser.add_argument("--max-source", type=int, default=200_000,
                        help="only mutate source files up to this many bytes (default %(default)s)")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "policykg-fuzz"),
                        help="where crashing and hanging inputs are saved (default %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    sources = [p for p in iter_document_files([args.corpus])
               if p.suffix.lower() in (".txt", ".md", ".html", ".htm") and p.stat().st_size <= args.max_source]
    if not sources:
        print(f"error: no source documents under {args.corpus}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    jobs = [(i, rng.choice(sources), rng.choice(sources), rng.randrange(2**32)) for i in range(args.n)]
    tally = _Tally(args, out)
    threads = [threading.Thread(target=tally.run, args=(jobs[k::args.workers],)) for k in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.confirm_and_shrink()
    return tally.report(len(sources))


if __name__ == "__main__":
    sys.exit(main())
