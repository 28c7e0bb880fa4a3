"""Evidence of a hit: its best sentences, with the spans where the question's words occur."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .results import Evidence
from .tables import Sentence
from .text import nfkc

__all__ = ["evidence", "highlights"]


def evidence(sentences: Sequence[Sentence], indices: np.ndarray | list[int],
             sentence_score: np.ndarray, terms: list[str], most: int = 2) -> list[Evidence]:
    """The ``most`` best-scoring of the sentences at ``indices`` (at least one), highlighted."""
    indices = np.asarray(indices, dtype=np.int64)
    if not len(indices):
        return []
    ranked = indices[np.argsort(-sentence_score[indices], kind="stable")][:most]
    out = []
    for i in ranked:
        if sentence_score[i] <= 0 and out:
            break
        s = sentences[i]
        out.append(Evidence(s.text, s.start, s.end, s.doc, highlights(s.text, terms)))
    return out


def highlights(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Spans of ``text`` where a term occurs (terms of two characters or more, longest first).

    >>> highlights("航空服务和航空物流", ["航空服务", "航空"])
    [(0, 4), (5, 7)]
    """
    spans: list[tuple[int, int]] = []
    normalised = nfkc(text)
    lowered = normalised if len(normalised) == len(text) else text  # offsets must stay valid
    for term in terms:
        if len(term) < 2:
            continue
        start = lowered.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = lowered.find(term, end)
    return sorted(spans)
