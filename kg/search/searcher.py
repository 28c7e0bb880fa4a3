"""The searcher: reads the parts once, then answers questions (see the package docstring)."""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..errors import SearchError
from ..filters import DocumentFilter
from .bm25 import Bm25, load_or_build
from .dense import DenseIndex
from .fusion import SignalSources, fuse
from .intent import intent
from .lifting import Lifter
from .linking import Lexicon, read_topic_labels
from .results import SearchResult
from .tables import Corpus, SavedTables, load_corpus
from .terms import TermCounts
from .text import QueryTokenizer, gibberish

__all__ = ["Searcher", "save_search_table", "MAX_QUERY_CHARS", "RESULT_TYPES"]

#: Longest query accepted, in characters.
MAX_QUERY_CHARS = 1000
#: Result types.
RESULT_TYPES = ("task", "entity", "sentence", "document")


def _read_parts(store: Any, tables: SavedTables | None
                ) -> tuple[Corpus, Lexicon, QueryTokenizer, Bm25]:
    """The corpus, the labels it links by, the tokenizer knowing them and the BM25 indexes."""
    corpus = load_corpus(store, tables)
    lexicon = Lexicon(read_topic_labels(store), corpus.entities)
    tokenizer = QueryTokenizer(lexicon.chinese_labels())
    bm25 = load_or_build(corpus, tokenizer,
                         tables.directory("bm25") if tables is not None else None)
    return corpus, lexicon, tokenizer, bm25


def save_search_table(store: Any, tables: SavedTables) -> None:
    """Read what search needs from ``store`` and save it, and its BM25 indexes, in ``tables``:
    what a :class:`Searcher` does when it finds neither saved (a child process calls this)."""
    _read_parts(store, tables)


class Searcher:
    """Everything search needs, loaded once.

    Args:
        store: the graph store (``select_rows``).
        embedder: embeds questions (``embed_queries``).
        vectors: the vector index (``rows`` and ``matrix``) of the same store and embedder.
        tables: where the corpus tables and BM25 indexes are saved (``kg.cache.Tables``);
            ``None`` reads the store every time.
    """

    def __init__(self, store: Any, embedder: Any, vectors: Any,
                 tables: SavedTables | None = None):
        self.corpus, self.lexicon, self.tokenizer, self.bm25 = _read_parts(store, tables)
        self.embedder = embedder
        self.dense = DenseIndex(self.corpus, vectors.rows, vectors.matrix)
        self.counts = TermCounts(self.corpus)
        self.sources = SignalSources(self.corpus, self.tokenizer, self.bm25, self.dense,
                                     self.lexicon, self.counts)
        self.lifter = Lifter(self.corpus, self.dense)

    def _check(self, text: Any) -> str:
        if not isinstance(text, str):
            raise SearchError("the query must be text")
        text = text.strip()
        if not text:
            raise SearchError("empty query: ask a question such as "
                              "“which tasks involve aviation?” or “哪些任务涉及养老？”")
        if len(text) > MAX_QUERY_CHARS:
            raise SearchError(f"query too long ({len(text)} characters, at most "
                              f"{MAX_QUERY_CHARS})")
        return text

    def rank_targets(self, text: str, method: str = "hybrid") -> list[tuple[str, float]]:
        """(target IRI, score) best first, for evaluation: hybrid, bm25 or dense."""
        text = self._check(text)
        _, _, content = intent(text)
        matches = self.lexicon.matches(content) if method == "hybrid" else []
        vec = self.embedder.embed_queries([self.lexicon.dense_text(content or text, matches)])[0] \
            if method != "bm25" else None
        sig = self.sources.signals(content or text, vec, matches, None)
        _, target = fuse(sig, self.corpus, method)
        order = np.argsort(-target, kind="stable")
        return [(self.corpus.targets[i].iri, float(target[i])) for i in order if target[i] > 0]

    def search(self, text: str, *, type: str | None = None, k: int = 10,
               document: str | None = None, date_from: str | None = None,
               date_to: str | None = None, kind: str | None = None) -> SearchResult:
        """Answer one question; see the package docstring.

        Raises:
            SearchError: empty or oversized query, or an unknown result type.
            PolicyKGError: (kind ``invalid``) a date filter that is not a date.
        """
        text = self._check(text)
        if type is not None and type not in RESULT_TYPES:
            raise SearchError(f"unknown result type {type!r}: choose one of "
                              f"{', '.join(RESULT_TYPES)}")
        wanted = DocumentFilter.parse(text=document, kind=kind, date_from=date_from,
                                      date_to=date_to)
        rtype, etype, content = intent(text)
        rtype = type or rtype or ("task" if self.corpus.targets else "sentence")
        if rtype == "task" and not self.corpus.targets:
            rtype = "sentence"
        k = max(1, int(k or 10))
        query = content or text
        if not re.search(r"[\w\u3400-\u9fff]", query):
            return SearchResult(text, rtype, [], "the query has no words to search for")
        matches = self.lexicon.matches(content)
        concepts = list(dict.fromkeys(index for index, _, _ in matches))
        if not concepts and gibberish(query) and not self._any_bm25(query):
            return SearchResult(text, rtype, [], "the query has no known words")
        vec = self.embedder.embed_queries([self.lexicon.dense_text(query, matches)])[0]
        sig = self.sources.signals(query, vec, matches, self._allowed_docs(wanted))
        sentence_score, target_score = fuse(sig, self.corpus, "hybrid")
        if rtype == "task":
            hits = self.lifter.tasks(target_score, sentence_score, sig, k)
        elif rtype == "sentence":
            hits = self.lifter.sentences(sentence_score, sig.terms, k)
        elif rtype == "document":
            hits = self.lifter.documents(sentence_score, sig.terms, k)
        else:
            linked = {self.lexicon.concepts[i].iri for i in concepts}
            hits = self.lifter.entities(sentence_score, target_score, vec, linked, etype, sig, k)
        return SearchResult(text, rtype, hits, None if hits else "nothing relevant found")

    def _any_bm25(self, text: str) -> bool:
        """True when a word of ``text`` occurs in some sentence."""
        tokens = self.tokenizer.tokens(text)
        return bool(tokens) and bool(
            self.bm25.sentence_scores(tokens, len(self.corpus.sentences)).any())

    def _allowed_docs(self, wanted: DocumentFilter) -> set[str] | None:
        """The documents the filter keeps; ``None`` without a filter."""
        if not wanted:
            return None
        return {doc.iri for doc in self.corpus.docs.values()
                if wanted.accepts(date=doc.date, kind=doc.kind, names=(doc.title,), iri=doc.iri)}
