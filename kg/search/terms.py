"""Occurrences of a term in every sentence, target text and target title, counted in one scan.

Sentences and targets are spans of their document's clean text, so the
documents are joined into one string, scanned once per term, and the
positions counted per span with two binary searches. Counts are cached per
term, sparse and bounded.
"""
from __future__ import annotations

import re

import numpy as np

from .tables import Corpus

__all__ = ["TermCounts", "SpanColumn", "TextColumn"]

TERM_CACHE = 4096  # terms whose occurrence counts are kept per searcher
TERM_CELLS = 4_000_000  # and at most this many non-zero counts (32 MB) in all


class SpanColumn:
    """Texts joined into one string, and spans of them: a term is counted in every span in one scan.

    An occurrence counts in a span when it lies wholly inside it; occurrences do
    not overlap (as ``str.count``).
    """

    def __init__(self, texts: list[str], spans: dict[str, tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]]):
        self.blob = "\x00".join(texts)  # never part of a term
        lengths = np.array([len(t) + 1 for t in texts], dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) \
            if texts else np.zeros(0, dtype=np.int64)
        # spans: name → (text number, start, end) arrays, offsets within that text
        self.spans = {name: (offsets[text] + start, offsets[text] + end)
                      for name, (text, start, end) in spans.items()}

    def count(self, term: str) -> dict[str, np.ndarray]:
        """Occurrences of ``term`` in each span, by span name."""
        positions = np.array([m.start() for m in re.finditer(re.escape(term), self.blob)]
                             if term else [], dtype=np.int64)
        out = {}
        for name, (starts, ends) in self.spans.items():
            if not len(positions):
                out[name] = np.zeros(len(starts), dtype=np.float32)
                continue
            first = np.searchsorted(positions, starts, side="left")
            last = np.searchsorted(positions, ends - len(term), side="right")
            out[name] = np.maximum(last - first, 0).astype(np.float32)
        return out


class TextColumn:
    """Many texts joined into one string, so a term is counted in all of them in one scan."""

    def __init__(self, texts: list[str]):
        self.size = len(texts)
        self.blob = "\x00".join(texts)  # never part of a term
        lengths = np.array([len(t) + 1 for t in texts], dtype=np.int64)
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) \
            if texts else np.zeros(0, dtype=np.int64)

    def count(self, term: str) -> np.ndarray:
        """Non-overlapping occurrences of ``term`` in each text (as ``str.count``)."""
        out = np.zeros(self.size, dtype=np.float32)
        if not term or not self.size:
            return out
        positions, find = [], self.blob.find
        at = find(term)
        while at >= 0:
            positions.append(at)
            at = find(term, at + len(term))
        if positions:
            np.add.at(out, np.searchsorted(self.starts, positions, side="right") - 1, 1)
        return out


class TermCounts:
    """Counts of terms in the sentences, target texts and target titles of a corpus (cached)."""

    def __init__(self, corpus: Corpus):
        docs, sentences, targets = corpus.docs, corpus.sentences, corpus.targets
        self._sizes = (len(sentences), len(targets), len(targets))
        self._text = SpanColumn(
            [docs[d].text if d in docs else "" for d in corpus.doc_list],
            {"sentences": (corpus.sent_doc,
                           np.array([s.start for s in sentences], dtype=np.int64),
                           np.array([s.end for s in sentences], dtype=np.int64)),
             "targets": (corpus.target_doc,
                         np.array([u.start for u in targets], dtype=np.int64),
                         np.array([u.end for u in targets], dtype=np.int64))})
        self._titles = TextColumn([u.title or "" for u in targets])
        self.cache: dict[str, tuple] = {}  # term → (indices, counts) of each array
        self.cells = 0  # counts held in the cache

    def counts(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Occurrences of ``term`` in every sentence, target text and target title."""
        cached = self.cache.get(term)
        if cached is None:
            in_text = self._text.count(term)
            # kept sparse: dense arrays would cost 0.75 MB a term on a 1,000-document corpus
            cached = tuple((np.flatnonzero(a).astype(np.int32), a[a != 0])
                           for a in (in_text["sentences"], in_text["targets"],
                                     self._titles.count(term)))
            size = sum(len(idx) for idx, _v in cached)
            if len(self.cache) >= TERM_CACHE or self.cells + size > TERM_CELLS:
                self.cache, self.cells = {}, 0
            self.cache[term] = cached
            self.cells += size
        out = []
        for (idx, values), n in zip(cached, self._sizes):
            dense = np.zeros(n, dtype=np.float32)
            dense[idx] = values
            out.append(dense)
        return out[0], out[1], out[2]
