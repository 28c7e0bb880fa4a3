"""BM25 over search tokens: one index of sentences, one of targets, cached on disk.

The cache directory is named by a hash of the texts and of the tokenizer, so a
changed corpus or dictionary never reads a stale index; a damaged one is rebuilt.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..cache import read_json
from ..files import atomic_write_bytes
from .tables import Corpus
from .text import QueryTokenizer

__all__ = ["Bm25", "SavedIndex", "idf", "load_or_build", "target_texts"]

_EMPTY = "\u2205"  # the token of a text without tokens (bm25s needs one)


@dataclass
class Bm25:
    """The BM25 indexes of a corpus's sentences and targets."""

    sentences: Any  # bm25s.BM25
    targets: Any

    def sentence_scores(self, tokens: list[str], n: int) -> np.ndarray:
        """BM25 of every sentence for ``tokens`` (zeros without tokens or sentences)."""
        return self._scores(self.sentences, tokens, n)

    def target_scores(self, tokens: list[str], n: int) -> np.ndarray:
        """BM25 of every target for ``tokens``."""
        return self._scores(self.targets, tokens, n)

    def sentence_postings(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The sentences ``tokens`` score and their BM25 (sparse: indices, scores)."""
        return _postings_of(self.sentences, tokens)

    def target_postings(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The targets ``tokens`` score and their BM25 (sparse: indices, scores)."""
        return _postings_of(self.targets, tokens)

    def full_score(self, tokens: list[str]) -> float:
        """The BM25 a sentence of average length would score holding each of ``tokens`` once:
        what a question's best sentence is measured against (how much of it that holds)."""
        index = self.sentences
        scores = getattr(index, "scores", None)
        if not isinstance(scores, dict) or not scores.get("num_docs"):
            return 0.0
        # lucene's BM25 of one occurrence in a text of average length: idf / (1 + k1)
        return sum(idf(index, token) for token in set(tokens)) \
            / (1 + float(getattr(index, "k1", 1.5)))

    @staticmethod
    def _scores(index: Any, tokens: list[str], n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        if tokens and n:
            out += _scores_of(index, tokens)
        return out


def idf(index: Any, token: str, documents: int = 0) -> float:
    """Lucene BM25's idf of ``token`` over the documents of ``index`` (a token none holds: the
    highest); ``documents``: their number when the index does not say."""
    scores = getattr(index, "scores", None)
    scores = scores if isinstance(scores, dict) else {}
    n = max(1, int(scores.get("num_docs", documents)))
    indptr = scores.get("indptr")
    at = (getattr(index, "vocab_dict", None) or {}).get(token)
    df = int(indptr[at + 1] - indptr[at]) \
        if indptr is not None and at is not None and at < len(indptr) - 1 else 0
    return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))


def _postings_table(index: Any) -> dict[str, Any] | None:
    """The index's postings (``data``, ``indices``, ``indptr``, ``num_docs``) when a token's
    scores are all there is to it (lucene's BM25), else ``None``: ask ``get_scores``."""
    scores = getattr(index, "scores", None)
    if getattr(index, "nonoccurrence_array", None) is not None or not isinstance(scores, dict):
        return None
    return scores


def _scores_of(index: Any, tokens: list[str]) -> np.ndarray:
    """``index.get_scores(tokens)``, each token's postings added with one indexed add (a
    token's documents are distinct) instead of ``np.add.at``: 2–3 ms less a question on the
    corpus; the same sums in the same order."""
    scores = _postings_table(index)
    if scores is None:
        return index.get_scores(tokens)
    data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
    ids = [index.vocab_dict[t] for t in tokens if t in index.vocab_dict]
    if ids and max(ids) >= len(indptr) - 1:  # bm25s's "" token: no postings (its error too)
        raise ValueError("the query holds a token the index has no postings for")
    out = np.zeros(scores["num_docs"], dtype=np.dtype(index.dtype))
    for at in ids:
        start, end = indptr[at], indptr[at + 1]
        out[indices[start:end]] += data[start:end]
    return out


def _postings_of(index: Any, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(documents, BM25 of ``tokens``) for the documents they score, without a dense array of
    every document (a question's translated words are many short postings lists)."""
    scores = _postings_table(index)
    if scores is None:
        dense = np.asarray(index.get_scores(tokens), dtype=np.float32) if tokens \
            else np.zeros(0, dtype=np.float32)
        at = np.flatnonzero(dense)
        return at, dense[at]
    data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
    ids = [index.vocab_dict[t] for t in dict.fromkeys(tokens) if t in index.vocab_dict]
    ids = [i for i in ids if i < len(indptr) - 1]
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    at = np.concatenate([indices[indptr[i]:indptr[i + 1]] for i in ids]).astype(np.int64)
    values = np.concatenate([data[indptr[i]:indptr[i + 1]] for i in ids]).astype(np.float32)
    if len(ids) > 1:  # a document holding several of the tokens: their sum
        at, inverse = np.unique(at, return_inverse=True)
        values = np.bincount(inverse, weights=values).astype(np.float32)
    return at, values


def load_or_build(corpus: Corpus, tokenizer: QueryTokenizer, cache: Path | None) -> Bm25:
    """The indexes of ``corpus``: from ``cache`` (a directory) when current, else built and saved."""
    directory = cache / cache_key(tokenizer, corpus) if cache is not None else None
    if directory is not None and (directory / "done").is_file():
        try:
            return Bm25(*(_load(directory / part) for part in ("sentences", "targets")))
        except (OSError, ValueError, KeyError):  # a damaged cache is rebuilt
            shutil.rmtree(directory, ignore_errors=True)
    sentences, targets = corpus.sentences.texts(), target_texts(corpus)
    built = Bm25(_index(tokenizer, sentences), _index(tokenizer, targets))
    if directory is not None and sentences and targets:
        save_indexes(built, directory)
    return built


@dataclass
class SavedIndex:
    """A BM25 index as bm25s saved it, memory-mapped without importing bm25s: what
    :func:`_scores_of` and the no-answer judge read (``vocab_dict``, ``scores``, ``dtype``).

    bm25s imports scipy (0.3 s and 22 MB in a server that never calls it); the index is
    bm25s's own files, whose layout the cache key's bm25s version pins.
    """

    vocab_dict: dict[str, int]
    scores: dict[str, Any]  # data, indices, indptr (memory-mapped) and num_docs
    dtype: str = "float32"
    nonoccurrence_array: None = None  # lucene's BM25 has none (others: bm25s loads them)
    k1: float = 1.5  # bm25s's default, as the index was built

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 of every document for ``tokens``."""
        return _scores_of(self, tokens)


def _load(directory: Path) -> Any:
    """The index bm25s saved in ``directory``: read as a :class:`SavedIndex` when it is a lucene
    BM25 in the layout of bm25s 0.2–0.3, else loaded by bm25s itself."""
    params = json.loads((directory / "params.index.json").read_text(encoding="utf-8"))
    if params.get("method") == "lucene" and isinstance(params.get("num_docs"), int):
        # mapped, seen as plain arrays: each slice of a numpy.memmap runs Python code (300 a
        # question on the corpus, 2-3 ms)
        arrays = {name: np.asarray(np.load(directory / f"{name}.csc.index.npy", mmap_mode="r"))
                  for name in ("data", "indices", "indptr")}
        vocab = read_json((directory / "vocab.index.json").read_bytes())  # 2 MB on a corpus
        if not isinstance(vocab, dict) or len(arrays["indptr"]) < 1:
            raise ValueError(f"{directory}: not a BM25 index")
        return SavedIndex(vocab, {**arrays, "num_docs": params["num_docs"]},
                          str(params.get("dtype", "float32")), k1=float(params.get("k1", 1.5)))
    import bm25s

    return bm25s.BM25.load(str(directory), mmap=True, show_progress=False, verbosity=0)


def target_texts(corpus: Corpus) -> list[str]:
    """The text of each target as BM25 sees it: its title twice (a title word weighs more), then
    its text."""
    return [f"{u.title or ''} {u.title or ''} {corpus.target_text(u)}" for u in corpus.targets]


def _index(tokenizer: QueryTokenizer, texts: list[str]) -> Any:
    import bm25s

    corpus = [tokenizer.tokens(t) or [_EMPTY] for t in texts]
    retriever = bm25s.BM25()
    if corpus:
        retriever.index(corpus, show_progress=False)
    return retriever


def cache_key(tokenizer: QueryTokenizer, corpus: Corpus) -> str:
    """The name of the cache directory of exactly this corpus's texts and this tokenizer."""
    from importlib.metadata import version  # not bm25s itself: it imports scipy

    digest = tokenizer.digest()
    digest.update(f"bm25 v3 {version('bm25s')}\n{corpus.fingerprint()}".encode())
    return digest.hexdigest()[:24]


def save_indexes(indexes: Bm25, directory: Path) -> None:
    """Write both indexes to ``directory`` (a temporary directory renamed into place, its
    ``done`` marker last); older indexes beside it are removed. Failures only cost speed."""
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".tmp-"))
    except OSError:
        return
    try:
        indexes.sentences.save(str(tmp / "sentences"), show_progress=False)
        indexes.targets.save(str(tmp / "targets"), show_progress=False)
        atomic_write_bytes(tmp / "done", b"ok\n", fsync=False)
        tmp.rename(directory)
    except OSError:  # no room, or another process saved the same index first
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for old in directory.parent.iterdir():
        if old != directory and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)
