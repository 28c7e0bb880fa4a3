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

import re
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..files import atomic_write
from ..quantised import QuantisedMatrix, distinct_rows, quantised_beside, read_rows, release
from .tables import Corpus, SavedTables
from .text import CJK

__all__ = ["DenseIndex", "RERANK", "distinct", "largest", "stable_top", "rerank", "load_dense",
           "scan_table", "blank_sentences"]

#: Layout of the saved row numbers (the matrix file's name is added to it).
ROWS_VERSION = "dense rows v3"
#: Layout of the saved table of distinct rows (its files are named after it and the matrix).
TABLE_VERSION = "scan-v1"

#: Rows of each kind (sentences, targets, entities) re-scored exactly after the int8 scan
#: (recall@10 against the exact product on the corpus's 214,048 vectors: 1.0000 from 16 rows
#: up, 509 questions, ``bench/vector_index.py --store … --rerank 16 32 64 128 256``; each row
#: read costs: 256 a kind took 1.9 ms a question, 64 took 1.4 ms).
RERANK = 64


def distinct(rows: np.ndarray) -> np.ndarray:
    """The distinct values of integer ``rows``, ascending (as ``np.unique``)."""
    # numpy 2.4's np.unique hashes: 95 ms for the corpus's 200,000 row numbers where a sort
    # takes 2 ms, and a searcher's load made nine such calls
    ordered = np.sort(rows)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


#: Arrays shorter than this are partitioned whole by :func:`largest`.
SAMPLED_MIN = 8_192
#: One value in this many is read to set :func:`largest`'s threshold.
SAMPLE_STEP = 16


def largest(values: np.ndarray, count: int) -> np.ndarray:
    """The indices of the ``count`` largest ``values`` (in no order; ties broken arbitrarily).

    >>> sorted(largest(np.array([0.1, 0.9, 0.5, 0.7]), 2).tolist())
    [1, 3]
    >>> v = np.arange(20_000, dtype=np.float32)[::-1].copy()
    >>> sorted(largest(v, 3).tolist())
    [0, 1, 2]
    """
    n = len(values)
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    if count >= n:
        return np.arange(n)
    if n >= SAMPLED_MIN and count * SAMPLE_STEP * 4 <= n:
        # a threshold from every SAMPLE_STEP-th value, set to leave about twice ``count``
        # values above it: one pass over the 142,000 sentence scores of the corpus (0.1 ms)
        # instead of partitioning them all (0.3 ms, twice that after an embedding)
        sample = values[::SAMPLE_STEP]
        keep = min(len(sample) - 1, 2 * count // SAMPLE_STEP + 4)
        threshold = np.partition(sample, len(sample) - keep)[len(sample) - keep]
        above = np.flatnonzero(values >= threshold)
        if len(above) >= count:
            if len(above) == count:
                return above
            return above[np.argpartition(values[above], len(above) - count)[-count:]]
    return np.argpartition(values, n - count)[-count:]


def stable_top(values: np.ndarray, count: int) -> np.ndarray:
    """The indices of the ``count`` largest ``values``, largest first, ties in index order:
    ``np.argsort(-values, kind="stable")[:count]`` without sorting every value.

    >>> stable_top(np.array([0.5, 0.9, 0.5, 0.1, 0.5]), 3).tolist()
    [1, 0, 2]
    """
    n = len(values)
    if count >= n:
        return np.argsort(-values, kind="stable")
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    kth = values[largest(values, count)].min()  # the count-th largest value
    near = np.flatnonzero(values >= kth)  # every value tied with it too, in index order
    return near[np.argsort(-values[near], kind="stable")][:count]


def _minus(rows: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """The values of distinct ``rows`` not in distinct ``taken`` (as ``np.setdiff1d``)."""
    return rows[~np.isin(rows, taken, assume_unique=True)]


def rerank(approx: np.ndarray, matrix: np.ndarray, query: np.ndarray,
           groups: list[np.ndarray], count: int = RERANK,
           row_of: np.ndarray | None = None) -> np.ndarray:
    """``approx`` with the best ``count`` places of each group (distinct ascending places)
    replaced by their exact product with ``query`` (in place; returned); ``row_of``: the
    matrix row of each place (else its own)."""
    picks = []
    for rows in groups:
        if len(rows) > count:  # the best ``count``
            # distinct ascending places from 0 (the sentences of a scan table) are a prefix:
            # a view instead of a copy of 142,000 scores
            values = approx[:len(rows)] if rows[0] == 0 and rows[-1] == len(rows) - 1 \
                else approx.take(rows)
            rows = rows[largest(values, count)]
        picks.append(rows)
    chosen = distinct(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)
    if len(chosen):
        approx[chosen] = read_rows(matrix, chosen if row_of is None else row_of[chosen]) @ query
    return approx


def load_dense(corpus: Corpus, rows: Callable[[], Sequence[Any]], matrix: np.ndarray,
               matrix_name: str, tables: SavedTables | None) -> "DenseIndex":
    """The dense index of ``corpus`` on ``matrix``; the row number of each sentence, target and
    entity is kept in ``tables`` for the matrix file ``matrix_name``, so that the vector rows
    (``rows()``, 10⁵ records) are read only when that is missing; so is the int8 table of the
    distinct rows scanned (:func:`scan_table`)."""
    version = f"{ROWS_VERSION} {matrix_name}"
    saved = tables.saved("search-dense", version) if tables is not None and matrix_name \
        else None
    directory = tables.directory("dense") if tables is not None and matrix_name else None
    try:
        if saved is not None:
            numbers = (np.array(saved["sentences"], dtype=np.int64),
                       np.array(saved["targets"], dtype=np.int64),
                       {str(iri): int(i) for iri, i in saved["entities"]})
            if len(numbers[0]) == len(corpus.sentences) \
                    and len(numbers[1]) == len(corpus.targets) \
                    and all(-1 <= int(a.max(initial=-1)) < len(matrix) for a in numbers[:2]):
                return DenseIndex(corpus, [], matrix, numbers=numbers,
                                  table_at=_table_path(directory, matrix_name),
                                  blank=np.array(saved["blank"], dtype=np.int64))
    except (KeyError, TypeError, ValueError):  # a table of another layout: made again
        pass
    dense = DenseIndex(corpus, rows(), matrix, table_at=_table_path(directory, matrix_name))
    if tables is not None and matrix_name:
        tables.save("search-dense", version, {
            "sentences": dense.sentence_rows.tolist(), "targets": dense.target_rows.tolist(),
            "entities": sorted(dense.entity_row.items()), "blank": dense.blank.tolist()})
    return dense


def _table_path(directory: Path | None, matrix_name: str) -> Path | None:
    if directory is None or not matrix_name:
        return None
    stem = Path(matrix_name).name.removesuffix(".npy")
    return directory / f"{TABLE_VERSION}-{stem}.npy"


def _positions_path(path: Path) -> Path:
    """The file of the positions beside the table's codes at ``path``."""
    return path.with_name(path.name.removesuffix(".npy") + "-at.npy")


def scan_table(quantised: QuantisedMatrix, matrix: np.ndarray, rows: np.ndarray,
               path: Path | None) -> tuple[QuantisedMatrix, np.ndarray]:
    """The int8 codes of the distinct vectors among ``rows`` and each matrix row's position in
    them (``kg.quantised.distinct_rows``): saved at ``path`` (the codes, memory-mapped when
    read back, and beside them the positions), else made and saved there (other tables in
    that directory, of older matrices, are deleted)."""
    if path is not None:
        try:
            codes = np.asarray(np.load(path, mmap_mode="r"))
            position = np.load(_positions_path(path))
            if codes.dtype == np.int8 and codes.ndim == 2 and \
                    codes.shape[1] == quantised.codes.shape[1] and \
                    position.shape == (len(matrix),) and \
                    int(position.max(initial=-1)) < len(codes) and \
                    np.array_equal(np.flatnonzero(position >= 0), np.sort(rows)):
                return QuantisedMatrix(codes, quantised.mean, quantised.step), \
                    position.astype(np.int64)
        except (OSError, ValueError):  # missing or damaged: made again
            pass
    table, position = distinct_rows(quantised, matrix, rows)
    release(quantised.codes)  # read once to make the table: not kept in this process's RSS
    if path is None:
        return table, position
    positions_path = _positions_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob(f"{TABLE_VERSION}-*.npy"):
            if old not in (path, positions_path):
                old.unlink(missing_ok=True)
        atomic_write(positions_path, lambda f: np.save(f, position.astype(np.int32)),
                     fsync=False)
        atomic_write(path, lambda f: np.save(f, table.codes), fsync=False)
        codes = np.asarray(np.load(path, mmap_mode="r"))
    except OSError:  # a read-only store: the table stays in memory
        return table, position
    return QuantisedMatrix(codes, quantised.mean, quantised.step), position


_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# a date's parts: 2025年, 3月, 10日, 二〇二五年, 十日
_DATE = re.compile(r"[0-9０-９〇零一二三四五六七八九十]+\s*[年月日号]")


def blank_sentences(sentences: Any) -> np.ndarray:
    """The sentences with fewer than two Chinese characters and fewer than two English words
    once dates are set aside (numbers, years, a signature's date "2025年3月10日", quote marks
    left alone by the splitter, "附："): nothing a question can mean. ``sentences`` without
    ``texts()`` have none.

    >>> class S:
    ...     def texts(self):
    ...         return ["2025年3月10日", "二〇二五年三月", "附：", "2025年是收官之年。", "GDP growth"]
    >>> blank_sentences(S()).tolist()
    [0, 1, 2]
    """
    texts = getattr(sentences, "texts", None)
    if texts is None:
        return np.zeros(0, dtype=np.int64)
    return np.array([i for i, raw in enumerate(texts())
                     if len(CJK.findall(text := _DATE.sub(" ", raw))) < 2
                     and len(_LATIN_WORD.findall(text)) < 2], dtype=np.int64)


class DenseIndex:
    """Rows of the vector matrix for the corpus's sentences, targets and entities.

    Scores are held per *position*: a matrix row's place among the vectors scanned. An exact
    product scans every row (position = row). The int8 scan reads the table of the distinct
    vectors search uses (sentences first, then targets, then entities) when ``table_at``
    names where it is saved, else the int8 copy of the whole matrix.

    Args:
        corpus: the corpus searched.
        rows: the matrix's rows (``kind`` and ``iri``), read unless ``numbers`` is given.
        matrix: the vectors (memory-mapped).
        quantised: the int8 copy to scan; True: the saved one when the matrix is big enough.
        numbers: the row of each sentence and target (-1: none) and of each entity by IRI.
        table_at: the file of the table of distinct rows (made there when missing).
        blank: the sentences without words (:func:`blank_sentences`), else read from the corpus.
    """

    def __init__(self, corpus: Corpus, rows: Sequence[Any], matrix: np.ndarray,
                 quantised: QuantisedMatrix | None | bool = True,
                 numbers: tuple[np.ndarray, np.ndarray, dict[str, int]] | None = None,
                 table_at: Path | None = None, blank: np.ndarray | None = None):
        self._matrix = matrix
        # sentences of no words ("2019年", "”。", "1"): their vectors sit close to every question
        # (the corpus has 715), so they take the mean similarity instead of their own
        self.blank = blank if blank is not None else blank_sentences(corpus.sentences)
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
        groups = [distinct(r[r >= 0]) for r in (self.sentence_rows, self.target_rows)] \
            + [self.entity_rows]
        # True: the saved int8 copy when the matrix is big enough (made once); False: exact
        full = quantised_beside(matrix) if quantised is True else (quantised or None)
        # the position of each matrix row among the vectors scanned (None: its own row)
        self._position: np.ndarray | None = None
        if full is not None and table_at is not None:
            used = np.concatenate([groups[0], _minus(groups[1], groups[0]),
                                   _minus(self.entity_rows, distinct(np.r_[groups[0], groups[1]]))])
            full, self._position = scan_table(full, matrix, used, table_at)
        self.quantised = full
        # the row read for each position (exact re-scoring); the positions of each kind
        self._row_at = np.arange(len(matrix))
        if self._position is not None:
            self._row_at = np.zeros(len(full.codes), dtype=np.int64)
            held = np.flatnonzero(self._position >= 0)
            self._row_at[self._position[held]] = held
        self._groups = [distinct(self._at(g)) for g in groups]
        # the entities' best rows are read only for an entity answer (64 of a question's 192
        # reads), unless an entity shares a vector with a sentence or target, whose score
        # would then depend on the answer's type
        self._eager = 3 if np.isin(self._groups[2], self._groups[0]).any() \
            or np.isin(self._groups[2], self._groups[1]).any() else 2
        # (question vector, similarities, whether the entities' best are exact)
        self._last: tuple[bytes, np.ndarray, bool] = (b"", np.zeros(0, dtype=np.float32), True)
        # (places with a vector, their positions) of sentences and targets: a boolean mask
        # over 155,000 sentences cost 5 ms a question
        self._held = [(np.flatnonzero(r >= 0), self._at(r[r >= 0]))
                      for r in (self.sentence_rows, self.target_rows)]
        self._entity_at = self._at(self.entity_rows)

    @property
    def has_sentences(self) -> bool:
        """Whether some sentence has a vector (a store built without embeddings has none)."""
        return bool(len(self._held[0][0]))

    def _at(self, rows: np.ndarray) -> np.ndarray:
        """The positions of matrix ``rows`` (all >= 0)."""
        return rows if self._position is None else self._position[rows]

    def similarities(self, query_vec: np.ndarray, entities: bool = False) -> np.ndarray:
        """Cosine similarity of ``query_vec`` with every vector scanned, by position (one
        product); the entities' best exact only when ``entities`` is asked for."""
        key, cached = query_vec.tobytes(), self._last  # one tuple: safe across threads
        if cached[0] == key and (cached[2] or not entities):
            return cached[1]
        query, done = np.asarray(query_vec, dtype=np.float32), True
        if cached[0] == key:  # the entities' best rows, not read for the question's first use
            sims = rerank(cached[1], self._matrix, query, self._groups[2:], row_of=self._row_at)
        elif not len(self._matrix):
            sims = np.zeros(0, np.float32)
        elif self.quantised is not None:
            groups = self._groups if entities else self._groups[:self._eager]
            sims = rerank(self.quantised.scores(query), self._matrix, query, groups,
                          row_of=self._row_at)
            done = len(groups) == len(self._groups)
        else:
            sims = np.asarray(self._matrix @ query_vec.astype(self._matrix.dtype),
                              dtype=np.float32)
        self._last = (key, sims, done)
        return sims

    def sentence_and_target(self, query_vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Similarity of every sentence and every target (0 where one has no vector)."""
        sims = self.similarities(query_vec)
        out = []
        for rows, (at, held) in zip((self.sentence_rows, self.target_rows), self._held):
            if len(at) == len(rows):  # every one has a vector: one gather (a third of the time)
                out.append(sims.take(held))
                continue
            values = np.zeros(len(rows), dtype=np.float32)
            values[at] = sims[held]
            out.append(values)
        if len(self.blank) and len(out[0]):
            out[0][self.blank] = out[0].mean()
        return out[0], out[1]

    def entities(self, query_vec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Similarity of the entities at vector ``rows`` (-1: none) above the entities' mean,
        scaled to [0, 1] by the best one."""
        dense = np.zeros(len(rows), dtype=np.float32)
        if not self.entity_row:
            return dense
        sims = self.similarities(query_vec, entities=True)
        mine = sims[self._entity_at]
        mean = float(mine.mean())
        span = float(mine.max()) - mean
        raw = np.where(rows >= 0, sims[self._at(np.where(rows >= 0, rows, 0))], 0.0) - mean
        return np.clip(raw, 0, None) / span if span > 0 else dense
