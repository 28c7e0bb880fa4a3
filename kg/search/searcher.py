"""The searcher: reads the parts once, then answers questions (see the package docstring)."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterable

import numpy as np

from ..errors import PolicyKGError, SearchError
from ..filters import DocumentFilter
from .bm25 import Bm25, cache_key, idf, load_or_build
from .bridge import Bridge, load_or_build as load_bridge, recased
from .dense import load_dense
from .duties import load_duty_table
from .answers import LIST_PAGE, Answers
from .fusion import Signals, SignalSources, by_year, doc_years, fuse, headings_down
from .intent import asks, intent
from .lifting import Lifter
from .linking import Lexicon, Match, load_lexicon
from .literal import LiteralMatches
from .asked import named_years
from .noanswer import NoAnswer
from .provisions import Provisions
from .results import Hit, SearchResult
from .sentences import is_heading
from .tables import Corpus, SavedTables, load_corpus
from .terms import TermCounts
from .text import CJK, QueryTokenizer, gibberish, looks_like_code, nfkc, written_together

__all__ = ["Searcher", "save_search_table", "MAX_QUERY_CHARS", "RESULT_TYPES"]

#: Longest query accepted, in characters.
MAX_QUERY_CHARS = 1000
#: Result types.
RESULT_TYPES = ("task", "entity", "sentence", "document")
#: An English question is embedded with the Chinese words its phrases translate to (the
#: model matches an English question to a Chinese passage poorly on its own; set on the tune
#: parts, see docs/search.md "English questions …").
EN_TRANSLATIONS = True
#: A Chinese question is embedded with its abbreviations written out in Chinese (GDP →
#: 国内生产总值; tune block T4: Chinese hit@1 7 → 9 of 19, see docs/search.md, stop 32).
ZH_WRITTEN_OUT = True
#: Questions up to this long are looked for verbatim in a ranked answer (``total``).
LITERAL_MAX_CHARS = 16
#: Why an answer is empty (Chinese first, English second, as every message a reader sees).
NO_DOCUMENTS = "库中还没有文件，请先构建 the store holds no documents yet: build it first " \
    "(policykg build PATH)"
NO_MATCHING_DOCUMENTS = "没有文件符合筛选条件 no document matches the filters (document, kind, " \
    "dates): nothing was searched"
NO_WORDS = "查询中没有可搜索的词 the query has no words to search for"
NO_KNOWN_WORDS = "查询中的词在库中都没有 the query has no known words"
#: The answer to a query that is code or markup, not a question (and not in the texts).
CODE_MESSAGE = ("没有可靠的答案 no good match: 这是代码或标记，不是问题 the query looks like code or "
                "markup, not a question")


def _read_parts(store: Any, tables: SavedTables | None
                ) -> tuple[Corpus, Lexicon, QueryTokenizer, Bm25]:
    """The corpus, the labels it links by, the tokenizer knowing them and the BM25 indexes."""
    corpus = load_corpus(store, tables)
    lexicon = load_lexicon(store, tables, corpus.entities)
    tokenizer = QueryTokenizer(lexicon.chinese_labels(),
                               tables.directory("tokenizer") if tables is not None else None)
    bm25 = load_or_build(corpus, tokenizer,
                         tables.directory("bm25") if tables is not None else None)
    return corpus, lexicon, tokenizer, bm25


def save_search_table(store: Any, tables: SavedTables,
                      vectors: Callable[[], Any] | None = None) -> None:
    """Read what search needs from ``store`` and save it, its BM25 indexes, its English
    bridge, the words tagged as names and the duties in ``tables``, and with the vector index
    ``vectors()`` (``rows``, ``matrix``, ``matrix_name``) the row of each sentence, target
    and entity and the int8 table of the vectors scanned: what a :class:`Searcher` does when
    it finds them not saved (a child process calls this)."""
    corpus, _, tokenizer, bm25 = _read_parts(store, tables)
    _bridge(corpus, tokenizer, bm25, tables)
    tokenizer.name_keys()
    load_duty_table(store, corpus, tables)  # 4 s on a corpus of plans: not at the first search
    try:
        index = vectors() if vectors is not None else None
    except PolicyKGError:  # the store's model does not load here: the first search makes them
        index = None
    if index is not None and len(index.matrix):
        load_dense(corpus, lambda: index.rows, index.matrix, index.matrix_name, tables)


_WORDS: ThreadPoolExecutor | None = None
_WORDS_LOCK = threading.Lock()


def _beside(function: Callable[..., Any], *args: Any) -> Future:
    """``function(*args)`` started in a thread of a shared pool (enough threads that one
    question's word work never waits for another's)."""
    global _WORDS
    with _WORDS_LOCK:
        if _WORDS is None:
            _WORDS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="policykg-words")
    return _WORDS.submit(function, *args)


def _embedded_beside(embed: Callable[[list[str]], np.ndarray], text: str,
                     words: Callable[[], Any]) -> tuple[np.ndarray, Any]:
    """``embed([text])[0]`` and ``words()``, the second in a thread of the shared pool while
    this one embeds."""
    # this thread embeds because it holds the GIL and lets it go at once in the model; a
    # pool thread would first wait for it while this one ran Python (up to the interpreter's
    # 5 ms switch interval), and the word work, shorter than the embedding, has let it go
    # again by the time the vector is back. What needs the vector then runs in this thread:
    # handing it to the word thread and the signals back cost 0.25 ms of waking
    beside = _beside(words)
    try:
        vec = embed([text])[0]
    except BaseException:
        wait([beside])  # the word work ends before the embedding's error goes up
        raise
    return vec, beside.result()


def _bridge(corpus: Corpus, tokenizer: QueryTokenizer, bm25: Bm25,
            tables: SavedTables | None) -> Bridge:
    """The English bridge into the store's sentence words (kg.search.bridge), saved in
    ``tables`` under the BM25 index's key."""
    # a store without sentences has an index that was never filled: no vocabulary at all
    vocabulary = getattr(bm25.sentences, "vocab_dict", None) or {}
    return load_bridge(vocabulary, tokenizer.tokens, cache_key(tokenizer, corpus),
                       tables.directory("bridge") if tables is not None else None)


class Searcher:
    """Everything search needs, loaded once.

    Args:
        store: the graph store (``select_rows``).
        embedder: embeds questions (``embed_queries``).
        vectors: the vector index (``rows``, ``matrix``, ``matrix_name``) of the same store and
            embedder.
        tables: where the corpus tables and BM25 indexes are saved (``kg.cache.Tables``);
            ``None`` reads the store every time.
    """

    def __init__(self, store: Any, embedder: Any, vectors: Any,
                 tables: SavedTables | None = None):
        self.corpus, self.lexicon, self.tokenizer, self.bm25 = _read_parts(store, tables)
        self.embedder = embedder
        self.dense = load_dense(self.corpus, lambda: vectors.rows, vectors.matrix,
                                vectors.matrix_name, tables)
        self.counts = TermCounts(self.corpus, tables.directory("terms") if tables is not None else None)
        # loaded by the first English question (or prepare): 1-3 s when not saved; a question
        # arriving meanwhile waits for it instead of making it a second time
        bridge = _once(lambda: _bridge(self.corpus, self.tokenizer, self.bm25, tables))
        self.sources = SignalSources(self.corpus, self.tokenizer, self.bm25, self.dense,
                                     self.lexicon, self.counts, bridge)
        self.wording = Wording(self.sources, self.lexicon, self.bm25)
        self.years = doc_years(self.corpus)  # each document's year, for the years a question names
        self.provisions = Provisions(self.corpus)  # "why was it made", "when did it take effect"
        self.lifter = Lifter(self.corpus, self.dense)
        self.literal = LiteralMatches(self.counts, self.tokenizer)
        self.answers = Answers(self.lifter, self.lexicon, self.tokenizer)
        self.duties = load_duty_table(store, self.corpus, tables)
        self.no_answer = NoAnswer(self.corpus, self.lexicon, self.tokenizer, self.bm25.sentences,
                                  embedder, tables.directory("noanswer") if tables else None,
                                  names=lambda: self.sources.bridge().names,
                                  holding=lambda text: self.counts.sparse(text)[0][0])
        self.words = WordWork(self.literal, self.sources, self.no_answer)

    def prepare(self) -> None:
        """Load what the first question would otherwise load: the query model, jieba's tags of
        names, the term indexes and the topics' label counts, the English bridge (with its
        names), the no-answer judge's anchors (110 passages to embed once: seconds) and the
        topics it suggests."""
        self.embedder.embed_queries(["warm-up"])
        self.tokenizer.name_keys()
        self.counts.prepare()
        self.sources.bridge()
        self.no_answer.anchor_vectors()
        self.counts.warm(t for c in self.lexicon.concepts if c.is_topic for t in c.zh_terms)
        self.no_answer.prepare()  # the topics a refusal suggests, last: only a refusal needs them

    def rank_targets(self, text: str, method: str = "hybrid") -> list[tuple[str, float]]:
        """(target IRI, score) best first, for evaluation: hybrid, bm25 or dense."""
        _, _, content = intent(asks(_checked(text))[2])
        matches = self.lexicon.matches(content) if method == "hybrid" else []
        cased = recased(content or text, text)
        query = self.wording.dense_text(cased, matches, "task")
        vec = self.embedder.embed_queries([query])[0] if method != "bm25" else None
        sig = self.sources.signals(cased, vec, matches, None, self.sources.expands("task"))
        _, target = fuse(sig, self.corpus, method)
        order = np.argsort(-target, kind="stable")
        return [(self.corpus.targets[i].iri, float(target[i])) for i in order if target[i] > 0]

    def search(self, text: str, *, type: str | None = None, k: int = 10, offset: int = 0,
               all_matches: bool = False, document: str | None = None,
               date_from: str | None = None, date_to: str | None = None,
               kind: str | None = None) -> SearchResult:
        """Answer one question; see the package docstring.

        ``all_matches`` answers with every sentence, task or document holding the question's
        words verbatim (``k`` of them from ``offset``, ranked); a list question answers with
        every entity or document of the type asked for.

        Raises:
            SearchError: empty or oversized query, or an unknown result type.
            PolicyKGError: (kind ``invalid``) a date filter that is not a date.
        """
        text = _checked(text)
        facets, named, question = asks(text)
        if type is not None and type not in RESULT_TYPES:
            raise SearchError(f"unknown result type {type!r}: choose one of "
                              f"{', '.join(RESULT_TYPES)}")
        wanted = DocumentFilter.parse(text=document, kind=kind, date_from=date_from,
                                      date_to=date_to)
        allowed = _allowed_docs(self.corpus.docs.values(), wanted)
        undated = _undated(self.corpus.docs.values(), wanted)
        k, offset = max(1, int(k or 10)), max(0, int(offset or 0))
        if not self.corpus.docs:  # say why, not "nothing relevant found"
            return SearchResult(text, type or "task", [], NO_DOCUMENTS)
        if allowed is not None and not allowed:  # say why, not "nothing relevant found"
            return SearchResult(text, type or "task", [], NO_MATCHING_DOCUMENTS, undated=undated)
        if named is not None and type in (None, "task"):
            assigned = self._assigned(text, named, allowed, k, offset)
            # where nothing is assigned to anyone (a store of laws: 漕河泾开发区总公司负责哪些
            # 业务) or the body named is in the texts but given no task, the question is asked
            # like any other; a body the plans never name gets nothing
            if assigned.results or offset or (self.duties.names and not self.literal.find(named)):
                return assigned
            question = nfkc(text)  # the body's name is a word of the question again
        asked, etype, content = intent(question)
        rtype = type or asked or ("task" if self.corpus.targets or facets else "sentence")
        if rtype == "task" and not self.corpus.targets:
            rtype = "sentence"
        # a question asking only for a name gets the entity first; one asking who or by
        # when wants the tasks
        result = self._answer(text, question if facets else text, content, rtype, etype,
                              allowed, k, offset, all_matches,
                              named_first=type is None and asked is None and not facets)
        result.facets, result.undated = facets, undated
        self.duties.annotate(result.results, facets)
        return result

    def _answer(self, text: str, question: str, content: str, rtype: str, etype: str | None,
                allowed: set[str] | None, k: int, offset: int,
                all_matches: bool, named_first: bool) -> SearchResult:
        """The hits of ``rtype`` for ``content`` (the question without its intent words)."""
        query = content or question
        matches = self.lexicon.matches(content)
        if rtype in ("entity", "document") and not matches and not self.tokenizer.tokens(content):
            return self._list(text, rtype, etype, allowed, k, offset)
        if not re.search(r"[\w\u3400-\u9fff]", query):
            return SearchResult(text, rtype, [], NO_WORDS)
        if looks_like_code(question) and not self.literal.find(question):
            return SearchResult(text, rtype, [], CODE_MESSAGE)
        concepts = list(dict.fromkeys(index for index, _, _ in matches))
        if not concepts and gibberish(query) and not _any_bm25(self.tokenizer, self.bm25,
                                                               len(self.corpus.sentences), query):
            return SearchResult(text, rtype, [], NO_KNOWN_WORDS)
        # the word work beside the embedding: BM25, translations, labels, verbatim matches
        cased = recased(query, text)  # abbreviations as typed: GDP, not the word "gdp"
        vec, (literal, sig, worded) = _embedded_beside(
            self.embedder.embed_queries, self.wording.dense_text(cased, matches, rtype),
            lambda: self.words(question, query, text, cased, matches, allowed, rtype, all_matches))
        sig = self.sources.with_dense(sig, vec, allowed)
        scores = _reordered(fuse(sig, self.corpus, "hybrid", rtype), rtype, text, self.corpus,
                            self.years, self.provisions)
        if literal is not None:
            ranked = self.answers.literal_ranked(rtype, literal, *scores, sig.mask_s)
            if all_matches:
                hits = self.answers.literal_hits(rtype, ranked[offset:offset + k], literal,
                                                 *scores, sig.terms)
                return SearchResult(text, rtype, hits, None if hits else "没有更多匹配 no more matches",
                                    "all", len(ranked), offset, limit=k)
        support = None if literal is not None else \
            self.no_answer.judge(worded, sig.dense_s, vec, sig.lexical())
        hits = [] if support is not None and support.refused else \
            self._ranked(rtype, etype, scores, sig, vec, concepts, k)
        support = self.no_answer.check_figures(
            support, text, hits, self.wording.written_variants(text) if sig.translated else ())
        support = self.no_answer.check_names(support, text, matches, scores[0])
        if support is not None and support.refused:  # nothing answers it: say so, suggest topics
            return self.no_answer.result(text, rtype, sig.dense_t, support)
        if literal is not None and rtype == "sentence":  # every verbatim match first
            first = self.answers.literal_hits(rtype, ranked[:k], literal, *scores, sig.terms)
            hits = _merged(first, hits, k)
        if named_first and rtype == "task":
            hits = _merged(self.answers.named_entities(content, matches, scores[0], allowed),
                           hits, k)
        more = self.lifter.below_cutoff(rtype, scores, sig, {h.iri for h in hits}, k - len(hits))
        return SearchResult(text, rtype, hits, None if hits else "没有相关结果 nothing relevant found",
                            total=len(ranked) if literal is not None else None, support=support,
                            more=more, translated=[{"en": en, "zh": zh}
                                                   for en, zh in sig.translated])

    def _ranked(self, rtype: str, etype: str | None, scores: tuple[np.ndarray, np.ndarray],
                sig: Signals, vec: np.ndarray, concepts: list[int], k: int) -> list[Hit]:
        """The hits of ``rtype`` above the relevance cut-off."""
        sentence_score, target_score = scores
        if rtype == "task":
            return self.lifter.tasks(target_score, sentence_score, sig, k)
        if rtype == "sentence":
            return self.lifter.sentences(sentence_score, sig.terms, k)
        if rtype == "document":
            return self.lifter.documents(sentence_score, sig.terms, k)
        linked = {self.lexicon.concepts[i].iri for i in concepts}
        return self.lifter.entities(sentence_score, target_score, vec, linked, etype, sig, k)

    def _list(self, text: str, rtype: str, etype: str | None, allowed: set[str] | None,
              k: int, offset: int) -> SearchResult:
        """Every entity of ``etype`` (or every document) in scope: a list question's answer."""
        items = self.answers.entity_list(etype, allowed) if rtype == "entity" \
            else self.answers.document_list(allowed)
        page = items[offset:offset + max(k, LIST_PAGE)]
        return SearchResult(text, rtype, page, None if page else "这里没有这类条目 nothing of that "
                            "kind here", "list", len(items), offset, limit=max(k, LIST_PAGE))

    def _assigned(self, text: str, name: str, allowed: set[str] | None, k: int,
                  offset: int) -> SearchResult:
        """Every unit assigned to the organisation ``name``: a "…负责哪些任务" question."""
        linked = {self.lexicon.concepts[i].iri for i, _, _ in self.lexicon.matches(name)}
        items = [h for h in self.duties.assigned_to(name, linked)
                 if allowed is None or h.document in allowed]
        page = items[offset:offset + max(k, LIST_PAGE)]
        return SearchResult(text, "task", page, None if page else f"没有分配给{name}的任务 no task "
                            f"assigned to {name}", "assigned", len(items), offset, ("duties",),
                            limit=max(k, LIST_PAGE))


@dataclass(frozen=True)
class WordWork:
    """What a question's words give, worked out beside its embedding."""

    literal: LiteralMatches
    sources: SignalSources
    no_answer: NoAnswer

    def __call__(self, question: str, query: str, text: str, cased: str, matches: list[Match],
                 allowed: set[str] | None, rtype: str, all_matches: bool
                 ) -> tuple[Any, Signals, Any]:
        """The sentences holding a term or a name verbatim (or any question asking for
        sentences or every match; a long one rarely occurs as written), the word signals, and
        the no-answer judge's signals of the words when nothing matched verbatim (then the
        judge is asked)."""
        wants = all_matches or rtype == "sentence" or len(query.strip()) <= LITERAL_MAX_CHARS
        literal = self.literal.find(question) if rtype != "entity" and wants else None
        sig = self.sources.word_signals(cased, matches, allowed, self.sources.expands(rtype))
        worded = None if literal is not None else self.no_answer.worded(
            query, matches, asked=text, translated=[phrase for phrase, _ in sig.translated])
        return literal, sig, worded


@dataclass(frozen=True)
class Wording:
    """How a question's words are put to the model and to the figure check."""

    sources: SignalSources
    lexicon: Lexicon
    bm25: Bm25

    def dense_text(self, query: str, matches: list[Match], rtype: str) -> str:
        """The text embedded for ``rtype`` results: with the linked labels or as written
        (the fusion weights of the result unit type say which); an English question also
        with the Chinese words its phrases translate to (see ``Bridge.common_words``), a
        Chinese one with its abbreviations written out."""
        linked = self.sources.linked_labels(rtype)
        text = self.lexicon.dense_text(query, matches) if linked else query
        if CJK.search(query):
            return self.written_out(text) if ZH_WRITTEN_OUT else text
        if not EN_TRANSLATIONS:
            return text
        # a phrase inside a name already given its Chinese name is not translated again
        # word by word ("belt" of "belt and road" is no 衣带 beside 一带一路)
        named = [s for _, s, _ in matches if not CJK.search(s)] if linked else []
        return written_together([text, *self.sources.bridge().common_words(query, self._rarity,
                                                                             named)])

    def written_out(self, text: str) -> str:
        """Chinese ``text`` with its abbreviations written out (see ``Bridge.written_out``)."""
        return self.sources.bridge().written_out(text, self._rarity)

    def written_variants(self, text: str) -> list[str]:
        """Chinese ``text`` written out each way (see ``Bridge.written_variants``)."""
        return self.sources.bridge().written_variants(text, self._rarity)

    def _rarity(self, token: str) -> float:
        return idf(self.bm25.sentences, token)


def _checked(text: Any) -> str:
    """``text`` stripped, once it is a query that can be searched (else ``SearchError``)."""
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


def _any_bm25(tokenizer: QueryTokenizer, bm25: Bm25, sentences: int, text: str) -> bool:
    """True when a word of ``text`` occurs in some sentence."""
    tokens = tokenizer.tokens(text)
    return bool(tokens) and bool(bm25.sentence_scores(tokens, sentences).any())


def _once(make: Callable[[], Any]) -> Callable[[], Any]:
    """``make``, called by the first caller only; callers meanwhile wait for its value."""
    lock, made = threading.Lock(), []

    def get() -> Any:
        if not made:
            with lock:
                if not made:
                    made.append(make())
        return made[0]
    return get


def _reordered(scores: tuple[np.ndarray, np.ndarray], rtype: str, text: str, corpus: Corpus,
               years: np.ndarray, provisions: Provisions) -> tuple[np.ndarray, np.ndarray]:
    """Fused (sentence, target) ``scores`` reordered by what ``text`` asks: for passages those of
    a year it names first ("2024年…") and headings lower; for units, the article stating the
    regulation's purpose or when it took effect first in its regulation when that is asked."""
    sentence, target = scores
    if rtype == "sentence":
        return headings_down(by_year(sentence, corpus.sent_doc, years, named_years(text)),
                             _heading_test(corpus)), target
    if rtype == "task":
        return sentence, provisions.reorder(text, target)
    return scores


def _heading_test(corpus: Corpus) -> Callable[[int], bool]:
    """Whether the ``i``-th sentence of ``corpus`` is a heading (see ``sentences.is_heading``)."""
    def test(i: int) -> bool:
        doc = corpus.docs.get(corpus.doc_list[corpus.sent_doc[i]])
        return is_heading(corpus.sentences.text(i), getattr(doc, "title", "") or "")
    return test


def _merged(first: list[Hit], rest: list[Hit], k: int) -> list[Hit]:
    """``first``, then the hits of ``rest`` not in it, ``k`` in all."""
    seen = {h.iri for h in first}
    return (first + [h for h in rest if h.iri not in seen])[:k]


def _allowed_docs(docs: Iterable[Any], wanted: DocumentFilter) -> set[str] | None:
    """The IRIs of the documents the filter keeps; ``None`` without a filter."""
    if not wanted:
        return None
    return {doc.iri for doc in docs
            if wanted.accepts(date=doc.date, kind=doc.kind, names=(doc.title,), iri=doc.iri)}


def _undated(docs: Iterable[Any], wanted: DocumentFilter) -> int:
    """How many documents a date bound of ``wanted`` leaves out for having no date (those its
    other constraints keep)."""
    if not (wanted.date_from or wanted.date_to):
        return 0
    rest = DocumentFilter(wanted.text, wanted.kind, "", "")
    return sum(1 for doc in docs if not doc.date and rest.accepts(
        date=None, kind=doc.kind, names=(doc.title,), iri=doc.iri))
