"""Dense similarity: the question's vector against the stored sentence, unit and entity vectors.

The matrix is the vector index's own (memory-mapped, never copied). On a big
store (``QUANTISE_MIN_ROWS`` rows or more) the product is taken with the matrix's
int8 copy (``kg.quantised``: a quarter of the bytes read) and the best
``RERANK`` rows of each kind are then scored exactly from the float32 matrix, so
the best hits keep their exact scores and order; every other row keeps its
approximate score (off by 0.0002 on average, 0.0012 at most on the laws'
vectors), which only the corpus-wide mean and spread of ``fusion.norm_dense``
see. A small store is multiplied exactly. The similarities of the last question
are kept for the next caller with the same vector.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..quantised import QuantisedMatrix, quantised_beside, read_rows
from .tables import Corpus, SavedTables

__all__ = ["DenseIndex", "RERANK", "rerank", "load_dense"]

#: Layout of the saved row numbers (the matrix file's name is added to it).
ROWS_VERSION = "dense rows v1"

#: Rows of each kind (sentences, targets, entities) re-scored exactly after the int8 scan
#: (recall@10 against the exact product on the corpus's 214,048 vectors: 1.0000 from 16 rows
#: up, 509 questions, ``bench/vector_index.py --store … --rerank 16 32 64 128 256``; each row
#: read costs: 256 a kind took 1.9 ms a question, 64 took 1.4 ms).
RERANK = 64


def rerank(approx: np.ndarray, matrix: np.ndarray, query: np.ndarray,
           groups: list[np.ndarray], count: int = RERANK) -> np.ndarray:
    """``approx`` with the best ``count`` rows of each group (arrays of row numbers)
    replaced by their exact product with ``query`` (in place; returned)."""
    picks = []
    for rows in groups:
        if len(rows) > count:
            rows = rows[np.argpartition(-approx[rows], count - 1)[:count]]
        picks.append(rows)
    chosen = np.unique(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)
    if len(chosen):
        approx[chosen] = read_rows(matrix, chosen) @ query
    return approx


def load_dense(corpus: Corpus, rows: Callable[[], Sequence[Any]], matrix: np.ndarray,
               matrix_name: str, tables: SavedTables | None) -> "DenseIndex":
    """The dense index of ``corpus`` on ``matrix``; the row number of each sentence, target and
    entity is kept in ``tables`` for the matrix file ``matrix_name``, so that the vector rows
    (``rows()``, 10⁵ records) are read only when that is missing."""
    version = f"{ROWS_VERSION} {matrix_name}"
    saved = tables.saved("search-dense", version) if tables is not None and matrix_name \
        else None
    try:
        if saved is not None:
            numbers = (np.array(saved["sentences"], dtype=np.int64),
                       np.array(saved["targets"], dtype=np.int64),
                       {str(iri): int(i) for iri, i in saved["entities"]})
            if len(numbers[0]) == len(corpus.sentences) \
                    and len(numbers[1]) == len(corpus.targets) \
                    and all(-1 <= int(a.max(initial=-1)) < len(matrix) for a in numbers[:2]):
                return DenseIndex(corpus, [], matrix, numbers=numbers)
    except (KeyError, TypeError, ValueError):  # a table of another layout: made again
        pass
    dense = DenseIndex(corpus, rows(), matrix)
    if tables is not None and matrix_name:
        tables.save("search-dense", version, {
            "sentences": dense.sentence_rows.tolist(), "targets": dense.target_rows.tolist(),
            "entities": sorted(dense.entity_row.items())})
    return dense


class DenseIndex:
    """Rows of the vector matrix for the corpus's sentences, targets and entities.

    Args:
        corpus: the corpus searched.
        rows: the matrix's rows (``kind`` and ``iri``), read unless ``numbers`` is given.
        matrix: the vectors (memory-mapped).
        quantised: the int8 copy to scan; True: the saved one when the matrix is big enough.
        numbers: the row of each sentence and target (-1: none) and of each entity by IRI.
    """

    def __init__(self, corpus: Corpus, rows: Sequence[Any], matrix: np.ndarray,
                 quantised: QuantisedMatrix | None | bool = True,
                 numbers: tuple[np.ndarray, np.ndarray, dict[str, int]] | None = None):
        self._matrix = matrix
        if numbers is None:
            at: dict[tuple[str, str], int] = {}
            for i, row in enumerate(rows):
                at.setdefault((row.kind, row.iri), i)
            numbers = (
                np.array([at.get(("sentence", iri), -1) for iri in corpus.sentences.iris()],
                         dtype=np.int64),
                np.array([at.get(("unit", u.iri), -1) for u in corpus.targets], dtype=np.int64),
                {iri: i for (kind, iri), i in at.items() if kind == "entity"})
        self.sentence_rows, self.target_rows, self.entity_row = numbers
        self.entity_rows = np.array(sorted(self.entity_row.values()), dtype=np.int64)
        # True: the saved int8 copy when the matrix is big enough (made once); False: exact
        self.quantised = quantised_beside(matrix) if quantised is True else (quantised or None)
        self._groups = [np.unique(r[r >= 0]) for r in (self.sentence_rows, self.target_rows)] \
            + [self.entity_rows]
        self._last: tuple[bytes, np.ndarray] = (b"", np.zeros(0, dtype=np.float32))
        # (positions with a vector, their rows) of sentences and targets: a boolean mask over
        # 155,000 sentences cost 5 ms a question
        self._held = [(np.flatnonzero(r >= 0), r[r >= 0]) for r in (self.sentence_rows,
                                                                     self.target_rows)]

    def similarities(self, query_vec: np.ndarray) -> np.ndarray:
        """Cosine similarity of ``query_vec`` with every stored vector (one product)."""
        key, cached = query_vec.tobytes(), self._last  # one tuple: safe across threads
        if cached[0] == key:
            return cached[1]
        if not len(self._matrix):
            sims = np.zeros(0, np.float32)
        elif self.quantised is not None:
            query = np.asarray(query_vec, dtype=np.float32)
            sims = rerank(self.quantised.scores(query), self._matrix, query, self._groups)
        else:
            sims = np.asarray(self._matrix @ query_vec.astype(self._matrix.dtype),
                              dtype=np.float32)
        self._last = (key, sims)
        return sims

    def sentence_and_target(self, query_vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Similarity of every sentence and every target (0 where one has no vector)."""
        sims = self.similarities(query_vec)
        out = []
        for rows, (at, held) in zip((self.sentence_rows, self.target_rows), self._held):
            values = np.zeros(len(rows), dtype=np.float32)
            values[at] = sims[held]
            out.append(values)
        return out[0], out[1]

    def entities(self, query_vec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Similarity of the entities at vector ``rows`` (-1: none) above the entities' mean,
        scaled to [0, 1] by the best one."""
        dense = np.zeros(len(rows), dtype=np.float32)
        if not self.entity_row:
            return dense
        sims = self.similarities(query_vec)
        mean = float(sims[self.entity_rows].mean())
        span = float(sims[self.entity_rows].max()) - mean
        raw = np.where(rows >= 0, sims[rows], 0.0) - mean
        return np.clip(raw, 0, None) / span if span > 0 else dense
