"""Hybrid search: BM25 over jieba tokens + dense vectors + concept linking, lifted by the graph.

    searcher = Searcher(store, embedder, vectors, tables)
    result = searcher.search("which tasks involve aviation?")
    result.results[0].number  # "2"

A question (Chinese or English) is tokenised and embedded once. Three signals
score every sentence and unit (:mod:`.fusion`): BM25 over jieba tokens
(:mod:`.bm25`), cosine similarity of the question's vector with sentence and
unit vectors (:mod:`.dense`), and concept linking (:mod:`.linking`: question
words matching topic or entity labels in either language, English compared word
by word after light stemming, expanded to their Chinese labels and to
``dcterms:subject`` links). An English concept name is embedded together with
its Chinese name, so the dense signal meets the Chinese text; English words that link to no
label are translated through a dictionary into the store's Chinese words, which add
BM25 (:mod:`.bridge`). The intent of the
question (:mod:`.intent`) picks the result type; the graph then lifts sentence
scores to their task, document or entity (:mod:`.lifting`); the signals are
normalised and fused by a weighted sum. Hits close enough to the best one are
returned, and so is every task holding direct evidence (the Chinese name of the
concept the question names, or the Chinese label it used), while tasks that are
only similar in meaning are dropped when such evidence exists; each hit comes
with its evidence sentences and offsets (:mod:`.evidence`).

Everything that does not depend on the question (the corpus tables of
:mod:`.tables`, groups of sentences per task and document, BM25 indexes, label
tables, entity evidence) is built once per :class:`Searcher`; a question costs
one embedding plus a few milliseconds.
"""
from .fusion import CUTOFF_RATIO, MIN_SCORE, Signals
from .results import Evidence, Hit, SearchResult
from .searcher import MAX_QUERY_CHARS, RESULT_TYPES, Searcher, save_search_table
from .tables import TABLE_VERSION, SavedTables

__all__ = [
    "Searcher",
    "save_search_table",
    "SearchResult",
    "Hit",
    "Evidence",
    "Signals",
    "SavedTables",
    "RESULT_TYPES",
    "MAX_QUERY_CHARS",
    "CUTOFF_RATIO",
    "MIN_SCORE",
    "TABLE_VERSION",
]
