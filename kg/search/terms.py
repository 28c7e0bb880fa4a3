"""Occurrences of a term in every sentence, target text and target title, from an index of the text.

Sentences and targets are spans of their document's clean text, so the
documents are joined into one text, and a :class:`CharIndex` of it (where every
pair of adjacent characters begins) gives a term's occurrences without scanning
the text: the positions of the term's rarest character pair, confirmed against
the text's character codes. The positions are counted per span with two binary
searches. The index is made once per text (about a second on the 6.3 M characters
of the corpus), saved under a hash of the text (in the directory given, else for a
big text in the user's cache) and memory-mapped by the next process. Counts are cached per term, sparse and bounded.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path
from typing import Callable, Iterable, Union

import numpy as np

from ..files import atomic_write
from .tables import Corpus

__all__ = ["TermCounts", "SpanColumn", "TextColumn", "CharIndex", "INDEX_VERSION"]

TERM_CACHE = 4096  # terms whose occurrence counts are kept per searcher
TERM_CELLS = 4_000_000  # and at most this many non-zero counts (32 MB) in all
#: Layout of the saved character indexes (a new layout ignores old files).
INDEX_VERSION = "char-pairs v1"
#: a name for a text (or a function giving it, asked only when the name is needed)
Key = Union[str, Callable[[], str], None]
_ARRAYS = ("chars", "codes", "positions", "keys", "starts")
#: Without a directory, texts this long keep their index in the user's cache (others: memory)
SHARED_MIN_CHARS = 1_000_000
SHARED_KEEP = 4  # the indexes of this many texts, the ones used last


class CharIndex:
    """Where every pair of adjacent characters of a text begins (an inverted index of pairs).

    ``chars`` are the text's distinct code points (sorted); ``codes`` the text as
    indexes into them; a pair's key is ``first * len(chars) + second``; ``positions``
    holds the start of every pair, grouped by key (ascending within a key), the group
    of ``keys[i]`` being ``positions[starts[i]:starts[i + 1]]``. The text ends with a
    NUL, so its last real character begins a pair too.
    """

    def __init__(self, chars: np.ndarray, codes: np.ndarray, positions: np.ndarray,
                 keys: np.ndarray, starts: np.ndarray):
        self.chars, self.codes, self.positions = chars, codes, positions
        self.keys, self.starts = keys, starts
        self._base = max(len(chars), 1)

    @classmethod
    def build(cls, text: str) -> "CharIndex":
        """The index of ``text``."""
        points = np.frombuffer((text + "\x00").encode("utf-32-le", "surrogatepass"),
                               dtype=np.uint32)
        present = np.bincount(points) > 0
        chars = np.flatnonzero(present).astype(np.uint32)
        lookup = np.zeros(len(present), dtype=np.uint32)
        lookup[chars] = np.arange(len(chars), dtype=np.uint32)
        codes = lookup[points].astype(np.uint16 if len(chars) <= 65536 else np.uint32)
        base = np.uint64(max(len(chars), 1))
        pair = codes[:-1].astype(np.uint64) * base + codes[1:].astype(np.uint64)
        order, ordered = _group(pair, len(chars))
        first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) \
            else np.zeros(0, dtype=np.int64)
        return cls(chars, codes, order, ordered[first],
                   np.r_[first, len(ordered)].astype(np.int64))

    def _pair(self, first: int, second: int) -> np.ndarray:
        key = np.uint64(first * self._base + second)
        i = int(np.searchsorted(self.keys, key))
        if i >= len(self.keys) or self.keys[i] != key:
            return np.zeros(0, dtype=np.int32)
        return self.positions[self.starts[i]:self.starts[i + 1]]

    def _term_codes(self, term: str) -> np.ndarray | None:
        points = np.frombuffer(term.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        at = np.searchsorted(self.chars, points)
        if (at >= len(self.chars)).any() or (self.chars[np.minimum(at, len(self.chars) - 1)]
                                             != points).any():
            return None  # a character the text does not have
        return at.astype(np.int64)

    def find(self, term: str) -> np.ndarray:
        """Start positions of the non-overlapping occurrences of ``term`` (as ``str.count``)."""
        codes = self._term_codes(term) if term and len(self.chars) else None
        if codes is None:
            return np.zeros(0, dtype=np.int64)
        if len(codes) == 1:
            lo, hi = np.searchsorted(self.keys, [np.uint64(codes[0] * self._base),
                                                 np.uint64((codes[0] + 1) * self._base)])
            found = np.sort(self.positions[self.starts[lo]:self.starts[hi]]).astype(np.int64)
            return found[found < len(self.codes) - 1]  # never the closing NUL
        groups = [self._pair(codes[j], codes[j + 1]) for j in range(len(codes) - 1)]
        j = int(np.argmin([len(g) for g in groups]))  # the rarest pair
        found = groups[j].astype(np.int64) - j
        found = found[(found >= 0) & (found + len(codes) <= len(self.codes))]
        for k, code in enumerate(codes):
            if k not in (j, j + 1) and len(found):
                found = found[self.codes[found + k] == code]
        return _non_overlapping(found, len(codes))

    def save(self, directory: Path) -> None:
        """Write the arrays into ``directory`` (each atomically, a ``done`` mark last)."""
        for name in _ARRAYS:
            array = getattr(self, name)
            atomic_write(directory / f"{name}.npy", lambda f, a=array: np.save(f, a), fsync=False)
        atomic_write(directory / "done", lambda f: f.write(b"ok"), fsync=False)

    @classmethod
    def load(cls, directory: Path) -> "CharIndex | None":
        """The index saved in ``directory`` (memory-mapped), or ``None``."""
        if not (directory / "done").is_file():
            return None
        try:
            # mapped, seen as plain arrays (a numpy.memmap's slices run Python code)
            return cls(*(np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r"))
                         for name in _ARRAYS))
        except (OSError, ValueError):
            return None


def _group(pair: np.ndarray, alphabet: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions grouped by pair key, ascending within a key; the keys in that order)."""
    shift = max(int(len(pair)).bit_length(), 1)
    if alphabet ** 2 * 2 ** shift < 2 ** 64:
        # one plain sort of key·2^shift + position: unique values, so the order is the stable
        # one, and numpy's SIMD sort of uint64 is several times faster than a stable argsort
        combined = np.sort((pair << np.uint64(shift)) | np.arange(len(pair), dtype=np.uint64))
        return ((combined & np.uint64((1 << shift) - 1)).astype(np.int32),
                combined >> np.uint64(shift))
    order = np.argsort(pair, kind="stable").astype(np.int32)
    return order, pair[order]


def _non_overlapping(found: np.ndarray, length: int) -> np.ndarray:
    """The occurrences a left-to-right search keeps (``aa`` occurs once in ``aaa``)."""
    if len(found) < 2 or length < 2 or not (np.diff(found) < length).any():
        return found
    kept, last = [], -length
    for at in found.tolist():
        if at >= last + length:
            kept.append(at)
            last = at
    return np.array(kept, dtype=np.int64)


def _dense(found: tuple[np.ndarray, np.ndarray], size: int) -> np.ndarray:
    """Counts kept sparse, (indices, values), as an array of ``size``."""
    out = np.zeros(size, dtype=np.float32)
    out[found[0]] = found[1]
    return out


def _joined(texts: list[str]) -> tuple[str, np.ndarray]:
    """The texts joined by NULs (never part of a term), and where each begins."""
    lengths = np.array([len(t) + 1 for t in texts], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) \
        if texts else np.zeros(0, dtype=np.int64)
    return "\x00".join(texts), offsets


def shared_directory() -> Path:
    """Where the indexes of big texts are kept when the caller gives no directory."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "policykg" / "terms"


def _index_of(text: str, directory: Path | None, key: Key = None) -> CharIndex:
    """The index of ``text``: saved under a hash of the text (or of ``key``, a name the caller
    has for exactly this text, or a function giving it) in ``directory`` (else, for a text of
    ``SHARED_MIN_CHARS`` or more, in :func:`shared_directory`), else made (and saved there
    when it can be).
    ``directory`` keeps one index; the shared one the ``SHARED_KEEP`` used last."""
    shared = directory is None
    if shared and len(text) < SHARED_MIN_CHARS:
        return CharIndex.build(text)
    directory = shared_directory() if shared else directory
    named = text if key is None else f"key {key() if callable(key) else key}"
    digest = hashlib.blake2b(f"{INDEX_VERSION}\n{named}".encode("utf-8", "surrogatepass"),
                             digest_size=12).hexdigest()
    found = CharIndex.load(directory / digest)
    if found is not None:
        if shared:
            try:
                (directory / digest / "done").touch()  # used: kept longest
            except OSError:
                pass
        return found
    index = CharIndex.build(text)
    try:
        index.save(directory / digest)
        _prune(directory, digest, SHARED_KEEP if shared else 1)
    except OSError:  # read-only or full: the index only saves time
        return index
    return CharIndex.load(directory / digest) or index


def _prune(directory: Path, digest: str, keep: int) -> None:
    """Delete all but the ``keep`` indexes used last (``digest``, just made, among them)."""
    def used(path: Path) -> float:
        try:
            return (path / "done").stat().st_mtime
        except OSError:
            return 0.0
    others = sorted((p for p in directory.iterdir() if p.is_dir() and p.name != digest),
                    key=used, reverse=True)
    for old in others[keep - 1:]:
        shutil.rmtree(old, ignore_errors=True)


class SpanColumn:
    """Texts joined into one, and spans of them: a term is counted in every span at once.

    An occurrence counts in a span when it lies wholly inside it; occurrences do
    not overlap (as ``str.count``).
    """

    def __init__(self, texts: list[str], spans: dict[str, tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]],
                 directory: Path | None = None, key: Key = None):
        self._text, offsets = _joined(texts)
        self._directory, self._key = directory, key
        self._index: CharIndex | None = None
        self._lock = threading.Lock()
        # spans: name → (text number, start, end) arrays, offsets within that text
        self.spans = {name: (offsets[text] + start, offsets[text] + end)
                      for name, (text, start, end) in spans.items()}
        # spans in order and apart (sentences, most targets): each occurrence is placed by
        # one binary search over the spans, not the spans by two over the occurrences
        self._apart = {name: bool(len(starts) < 2 or (ends[:-1] <= starts[1:]).all())
                       for name, (starts, ends) in self.spans.items()}

    def index(self) -> CharIndex:
        """The character index of the joined text (loaded or made at the first use)."""
        if self._index is None:
            # one thread makes it: a server's warm-up and its first question may both ask,
            # and a second maker could read the text after the first had let it go
            with self._lock:
                if self._index is None:
                    self._index = _index_of(self._text, self._directory, self._key)
                    self._text = ""
        return self._index

    def count(self, term: str) -> dict[str, np.ndarray]:
        """Occurrences of ``term`` in each span, by span name."""
        return {name: _dense(found, len(self.spans[name][0]))
                for name, found in self.count_sparse(term).items()}

    def count_sparse(self, term: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Occurrences of ``term`` by span name: (the spans holding it, how often)."""
        positions = self.index().find(term) if term else np.zeros(0, dtype=np.int64)
        out = {}
        for name, (starts, ends) in self.spans.items():
            if not len(positions):
                out[name] = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
            elif self._apart[name]:
                at = np.searchsorted(starts, positions, side="right") - 1
                inside = at >= 0
                inside[inside] = positions[inside] + len(term) <= ends[at[inside]]
                spans, counts = np.unique(at[inside], return_counts=True)
                out[name] = (spans.astype(np.int32), counts.astype(np.float32))
            else:
                first = np.searchsorted(positions, starts, side="left")
                last = np.searchsorted(positions, ends - len(term), side="right")
                dense = np.maximum(last - first, 0)
                spans = np.flatnonzero(dense)
                out[name] = (spans.astype(np.int32), dense[spans].astype(np.float32))
        return out


class TextColumn:
    """Many texts joined into one, so a term is counted in all of them at once."""

    def __init__(self, texts: list[str], directory: Path | None = None,
                 key: Key = None):
        self.size = len(texts)
        self._column = SpanColumn(texts, {}, directory, key)
        self.starts = _joined(texts)[1]

    def index(self) -> CharIndex:
        """The character index of the joined texts (loaded or made at the first use)."""
        return self._column.index()

    def count(self, term: str) -> np.ndarray:
        """Non-overlapping occurrences of ``term`` in each text (as ``str.count``)."""
        return _dense(self.count_sparse(term), self.size)

    def count_sparse(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(the texts holding ``term``, its occurrences in each)."""
        if not term or not self.size:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        positions = self.index().find(term)
        texts, counts = np.unique(np.searchsorted(self.starts, positions, side="right") - 1,
                                  return_counts=True)
        return texts.astype(np.int32), counts.astype(np.float32)


class TermCounts:
    """Counts of terms in the sentences, target texts and target titles of a corpus (cached).

    ``directory``: where the character indexes are saved (``<store>/terms``: ``text/`` and
    ``titles/``, one index per hash of the texts); ``None``: a big text's index goes to
    :func:`shared_directory`, a small one is made in memory, at the first count.
    """

    def __init__(self, corpus: Corpus, directory: Path | None = None):
        docs, sentences, targets = corpus.docs, corpus.sentences, corpus.targets
        # names the texts below (hashing them again would take 0.1 s on the corpus); asked
        # only when an index is saved or looked up, not for one made in memory
        key = corpus.fingerprint
        self._sizes = (len(sentences), len(targets), len(targets))
        self._text = SpanColumn(
            [docs[d].text if d in docs else "" for d in corpus.doc_list],
            {"sentences": (corpus.sent_doc, sentences.start, sentences.end),
             "targets": (corpus.target_doc,
                         np.array([u.start for u in targets], dtype=np.int64),
                         np.array([u.end for u in targets], dtype=np.int64))},
            directory / "text" if directory is not None else None, lambda: f"text {key()}")
        self._titles = TextColumn([u.title or "" for u in targets],
                                  directory / "titles" if directory is not None else None,
                                  lambda: f"titles {key()}")
        self.directory = directory
        self.cache: dict[str, tuple] = {}  # term → (indices, counts) of each array
        self.cells = 0  # counts held in the cache

    def prepare(self) -> None:
        """Load or make the indexes now (else the first count does)."""
        self._text.index()
        self._titles.index()

    def warm(self, terms: Iterable[str]) -> None:
        """Count ``terms`` now, so that the questions naming them find their counts kept: a
        question linking a topic counts each of its labels the first time (0.1-0.7 ms a label
        on the corpus, 3-10 ms a question); the topic scheme's 819 labels take 0.27 s and
        2.3 MB once, in a server's warm-up. Stops where the cache would be full."""
        for term in dict.fromkeys(terms):
            if len(self.cache) >= TERM_CACHE // 2 or self.cells >= TERM_CELLS // 2:
                return  # room left for the questions' own terms
            self.sparse(term)

    def counts(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Occurrences of ``term`` in every sentence, target text and target title."""
        in_sentences, in_targets, in_titles = (_dense(found, n) for found, n
                                               in zip(self.sparse(term), self._sizes))
        return in_sentences, in_targets, in_titles

    def sparse(self, term: str) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """(indices, occurrences) of ``term`` in the sentences, target texts and target
        titles holding it (each index once)."""
        cached = self.cache.get(term)
        if cached is None:
            in_text = self._text.count_sparse(term)
            # kept sparse: dense arrays would cost 0.75 MB a term on a 1,000-document corpus
            cached = (in_text["sentences"], in_text["targets"], self._titles.count_sparse(term))
            size = sum(len(idx) for idx, _v in cached)
            if len(self.cache) >= TERM_CACHE or self.cells + size > TERM_CELLS:
                self.cache, self.cells = {}, 0
            self.cache[term] = cached
            self.cells += size
        return cached

