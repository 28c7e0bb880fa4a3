"""The three signals of a question (BM25, dense, concept links), their fusion and the cut-off.

Every sentence and every target gets a raw score per signal (:class:`Signals`);
:func:`fuse` normalises them and takes a weighted sum, and :func:`shown` keeps
the hits close enough to the best one.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from .bm25 import Bm25
from .bridge import Bridge
from .dense import DenseIndex, largest
from .linking import Lexicon, Match
from .tables import Corpus
from .terms import TermCounts
from .text import CJK, QueryTokenizer, longest_first

__all__ = ["Signals", "SignalSources", "WordParts", "word_parts", "Weights", "WEIGHTS",
           "weights_of", "fuse", "shown", "by_year", "doc_years", "W_BM25", "W_DENSE",
           "W_CONCEPT", "CUTOFF_RATIO", "MIN_SCORE", "YEAR_BOOST"]


@dataclass(frozen=True)
class Weights:
    """How one result unit type fuses the three signals."""

    bm25: float
    dense: float
    concept: float
    # embed the question with its linked concepts' Chinese names (see Lexicon.dense_text)
    linked_labels: bool = True
    # add the BM25 of the linked concepts' own words (EXPANSION_WEIGHT); for an English
    # question it is the only BM25 there is, so it takes the whole BM25 weight
    expansion: bool = True


# Fusion weights per result unit type (a unit's rdf type, or "sentence" for sentence
# results), calibrated on the tune parts of bench/gold/ (issue 13) and, for tasks, on
# bench/gold_search.tsv. Tasks are short and topical: the concept links find them. A
# passage or an article is asked for by its own wording: topic links drown it (they lift
# every sentence naming the topic), so its dense signal leads; an article's question is
# embedded as written, the linked Chinese labels pull it towards the topic, not the article.
WEIGHTS: dict[str, Weights] = {
    "Task": Weights(0.30, 0.40, 0.30),
    "sentence": Weights(0.30, 0.70, 0.0, expansion=False),
    "Article": Weights(0.30, 0.70, 0.0, linked_labels=False),
}
#: Sentences asked for in Chinese: tune block T3 (47 Chinese passage questions) put the hybrid's
#: MRR below dense alone with WEIGHTS["sentence"] (36 / 0.841 against 36 / 0.851) and above it
#: with BM25 at 0.2 (37 / 0.853); English passages lost on the report part with 0.2, so it is
#: for Chinese questions only (docs/search.md, stop 31).
ZH_SENTENCE = replace(WEIGHTS["sentence"], bm25=0.20, dense=0.80)
NO_BRIDGE = Bridge({})
DEFAULT_WEIGHTS = WEIGHTS["Task"]  # the other unit types (goals, sections, entities, documents)
W_BM25, W_DENSE, W_CONCEPT = DEFAULT_WEIGHTS.bm25, DEFAULT_WEIGHTS.dense, DEFAULT_WEIGHTS.concept
CUTOFF_RATIO = 0.62  # keep hits scoring at least this share of the best hit
MIN_SCORE = 0.12  # and at least this much in absolute terms
DENSE_Z_FLOOR = 0.5  # dense similarity counts from this many standard deviations above the mean
EXPANSION_WEIGHT = 0.6  # BM25 of a linked concept's own words, against the question's words
BRIDGE_WEIGHT = 1.5  # BM25 of an English question's words translated (kg.search.bridge)
#: A Chinese question's BM25 part weighs by how much of the question its best sentence holds:
#: that sentence's BM25 over this share of the BM25 of a sentence holding each of its words
#: once (at most 1), so that a best lexical match of a few common words does not lift its
#: sentence over the one dense finds. Set on the tune parts, the largest value they allow
#: (0.5 and 0.7 change none of their answers; 1.0 lost two of 16 Chinese law questions, short
#: ones such as 常委会议事规则由谁解释和修改). English questions' BM25 is their translations';
#: a store without sentence vectors has no dense signal to take over: neither is weighed so.
BM25_COVER = 0.7


@dataclass
class Signals:
    """Raw per-sentence (``*_s``) and per-target (``*_t``) scores of one question."""

    bm25_s: np.ndarray
    bm25_t: np.ndarray
    dense_s: np.ndarray
    dense_t: np.ndarray
    concept_s: np.ndarray
    concept_t: np.ndarray
    lexical_t: np.ndarray  # the question's own words occur in the target
    direct_t: np.ndarray  # the target holds direct evidence (see SignalSources.signals)
    mask_s: np.ndarray | None  # sentences of the allowed documents (None: all)
    terms: list[str]  # words to highlight, longest first
    target_types: np.ndarray | None = None  # per target: its index in unit_types
    unit_types: tuple[str, ...] = ()  # the targets' unit types
    target_weights: np.ndarray | None = None  # (3, n_t) of target_weights, made once a corpus
    # the English phrases of the question read through the dictionary, with their Chinese words
    translated: list[tuple[str, list[str]]] = field(default_factory=list)
    # the word signals normalised for fusion, made while the question was being embedded
    # (None: fuse makes them); they belong to the arrays above as they were then
    words: WordParts | None = None
    bm25_scale: float = 1.0  # what the BM25 part weighs (BM25_COVER)
    chinese: bool = False  # the question is written in Chinese (ZH_SENTENCE weights)

    def lexical(self) -> bool:
        """Whether some sentence or target holds a word of the question, a translation of one
        or a label it links to (else only meaning relates the store to it)."""
        return any(bool(a.any()) for a in (self.bm25_s, self.bm25_t, self.concept_s,
                                            self.concept_t))


@dataclass
class SignalSources:
    """What the signals are computed from."""

    corpus: Corpus
    tokenizer: QueryTokenizer
    bm25: Bm25
    dense: DenseIndex
    lexicon: Lexicon
    counts: TermCounts
    bridge: Callable[[], Bridge] = lambda: NO_BRIDGE  # English words → the store's Chinese
    # made once a corpus, shared by every question (read-only)
    target_types: np.ndarray = field(init=False)  # per target: its index in unit_types
    unit_types: tuple[str, ...] = field(init=False)  # the targets' unit types, sorted
    main_type: str | None = field(init=False)  # the unit type most targets have
    weights_t: np.ndarray = field(init=False)  # (3, n_t): target_weights by unit type

    def __post_init__(self) -> None:
        names = [u.type for u in self.corpus.targets]
        self.unit_types = tuple(sorted(set(names)))
        index = {t: i for i, t in enumerate(self.unit_types)}
        self.target_types = np.array([index[t] for t in names], dtype=np.int64)
        self.main_type = self.unit_types[int(np.bincount(self.target_types).argmax())] \
            if self.unit_types else None
        self.weights_t = target_weights(self.target_types, self.unit_types, len(names))
        for shared in (self.target_types, self.weights_t):
            shared.flags.writeable = False

    def signals(self, content: str, query_vec: np.ndarray | None, matches: list[Match],
                allowed_docs: set[str] | None, expand: bool = True) -> Signals:
        """Raw per-sentence and per-target scores of the three signals (``expand``: with the
        BM25 of the linked concepts' words, see :meth:`expands`; no dense ones without
        ``query_vec``).

        Besides the scores, ``direct_t`` marks the targets holding direct evidence:
        the Chinese name of a concept the question names by its preferred label
        ("aviation" → 航空), or the Chinese label the question itself used (机场).
        """
        sig = self.word_signals(content, matches, allowed_docs, expand)
        return self.with_dense(sig, query_vec, allowed_docs)

    def word_signals(self, content: str, matches: list[Match], allowed_docs: set[str] | None,
                     expand: bool = True) -> Signals:
        """:meth:`signals` without the dense ones (empty until :meth:`with_dense`): what is
        worked out while the question is being embedded."""
        n_s, n_t = len(self.corpus.sentences), len(self.corpus.targets)
        tokens = self.tokenizer.tokens(content)
        concepts = list(dict.fromkeys(index for index, _, _ in matches))
        expansion, terms = self._expansion(concepts, set(tokens))
        bm_s = self.bm25.sentence_scores(tokens, n_s)
        bm_t = self.bm25.target_scores(tokens, n_t)
        lexical_t = bm_t > 0
        if expansion and expand:
            bm_s += EXPANSION_WEIGHT * self.bm25.sentence_scores(sorted(expansion), n_s)
            bm_t += EXPANSION_WEIGHT * self.bm25.target_scores(sorted(expansion), n_t)
        chinese = bool(CJK.search(content))
        # an English question's words, a Chinese one's abbreviations (GDP, PM2.5)
        translated = self._translated(content, bm_s, bm_t)
        cc_s, cc_t = self._concept_scores(concepts, terms)
        # without sentence vectors nothing would take over from a weakened BM25
        scale = self._coverage(tokens, bm_s) if chinese and self.dense.has_sentences else 1.0
        # normalised now, while the question may still be being embedded (about 1 ms on the
        # corpus that would otherwise follow the vector); a restricted search zeroes scores
        # afterwards, so it normalises them in fuse
        words = word_parts(bm_s, bm_t, cc_s, cc_t, self.corpus.lift, scale) \
            if allowed_docs is None else None
        empty = np.zeros(0, dtype=np.float32)
        return Signals(bm_s, bm_t, empty, empty, cc_s, cc_t, lexical_t, self._direct(matches),
                       None, sorted(terms | {w for _, ws in translated for w in ws} | set(tokens),
                                    key=longest_first),
                       self.target_types, self.unit_types, self.weights_t, translated, words,
                       scale, chinese)

    def with_dense(self, sig: Signals, query_vec: np.ndarray | None,
                   allowed_docs: set[str] | None) -> Signals:
        """``sig`` of :meth:`word_signals` with the similarities of ``query_vec`` (zeros
        without one), every score outside ``allowed_docs`` zeroed."""
        if query_vec is not None:
            sig.dense_s, sig.dense_t = self.dense.sentence_and_target(query_vec)
        else:
            sig.dense_s = np.zeros(len(self.corpus.sentences), dtype=np.float32)
            sig.dense_t = np.zeros(len(self.corpus.targets), dtype=np.float32)
        if allowed_docs is not None:
            self._restrict(sig, allowed_docs)
        return sig

    def _coverage(self, tokens: list[str], bm_s: np.ndarray) -> float:
        """What the BM25 part of a Chinese question weighs (:data:`BM25_COVER`)."""
        full = self.bm25.full_score(tokens)
        top = float(bm_s.max()) if len(bm_s) else 0.0
        return min(1.0, top / (BM25_COVER * full)) if full > 0 else 1.0

    def linked_labels(self, rtype: str) -> bool:
        """Whether a question asking for ``rtype`` results is embedded with its linked labels:
        sentences by their own weights, tasks by the type most of the targets have."""
        return self.weights_for(rtype).linked_labels

    def expands(self, rtype: str) -> bool:
        """Whether the BM25 of a question asking for ``rtype`` results adds its linked
        concepts' words (:attr:`Weights.expansion`), decided as :meth:`linked_labels`."""
        return self.weights_for(rtype).expansion

    def weights_for(self, rtype: str) -> Weights:
        """The weights that decide how a question asking for ``rtype`` results is asked."""
        if rtype == "sentence":
            return weights_of("sentence")
        if rtype != "task":
            return DEFAULT_WEIGHTS
        return weights_of(self.main_type)

    def _expansion(self, concepts: list[int], known: set[str]) -> tuple[set[str], set[str]]:
        """(tokens of the linked concepts not in the question, their Chinese labels)."""
        expansion: set[str] = set()
        terms: set[str] = set()
        for index in concepts:
            terms.update(self.lexicon.concepts[index].zh_terms)
            expansion.update(t for t in self.lexicon.concept_tokens(index, self.tokenizer)
                             if t not in known)
        return expansion, terms

    def _translated(self, content: str, bm_s: np.ndarray, bm_t: np.ndarray
                    ) -> list[tuple[str, list[str]]]:
        """Add the BM25 of an English question's translated words to ``bm_s`` and ``bm_t``;
        the phrases translated, with their Chinese words."""
        bridge = self.bridge()
        used = bridge.add_scores(content, self.bm25.sentence_postings, bm_s, BRIDGE_WEIGHT)
        if used:
            bridge.add_scores(content, self.bm25.target_postings, bm_t, BRIDGE_WEIGHT)
        return used

    def _concept_scores(self, concepts: list[int], terms: set[str]
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Occurrences of the linked labels per sentence; per target, occurrences in its text
        and title and the concepts it is linked to."""
        n_s, n_t = len(self.corpus.sentences), len(self.corpus.targets)
        cc_s = np.zeros(n_s, dtype=np.float32)
        cc_t = np.zeros(n_t, dtype=np.float32)
        if not concepts:
            return cc_s, cc_t
        hits_t = np.zeros(n_t, dtype=np.float32)
        title_t = np.zeros(n_t, dtype=np.float32)
        for term in terms:
            for total, (idx, values) in zip((cc_s, hits_t, title_t), self.counts.sparse(term)):
                total[idx] += values  # each index once per term
        links = np.zeros(n_t, dtype=np.float32)
        for index in concepts:
            linked = self.corpus.targets_of_link.get(self.lexicon.concepts[index].iri)
            if linked is not None:
                links[linked] += 1
        cc_t = np.log1p(hits_t) + 1.5 * np.minimum(title_t, 1) + 1.0 * links
        return cc_s, cc_t

    def _direct(self, matches: list[Match]) -> np.ndarray:
        """The targets holding a Chinese label the question wrote, or the Chinese names of a
        concept it named by its preferred label; the latter only for unit types whose fusion
        weighs concept links: an article naming a linked topic is no evidence for it (else
        every article naming 文化 is shown for "culture", and the article asked for, similar
        in meaning but not naming it, is dropped)."""
        written: set[str] = set()
        named: set[str] = set()
        for index, surface, preferred in matches:
            if CJK.search(surface):
                written.add(surface)
            if preferred:
                named.update(self.lexicon.concepts[index].names_zh)
        direct_t = self._holding(written)
        concepts_count = self.weights_t[2] > 0
        if named - written and concepts_count.any():
            direct_t |= self._holding(named - written) & concepts_count
        return direct_t

    def _holding(self, terms: set[str]) -> np.ndarray:
        """Which targets hold one of ``terms`` in their text or title."""
        held = np.zeros(len(self.corpus.targets), dtype=bool)
        for term in terms:  # sparse: the sentences' counts are not needed
            _, (in_targets, n_t), (in_titles, n_ti) = self.counts.sparse(term)
            held[in_targets[n_t > 0]] = True
            held[in_titles[n_ti > 0]] = True
        return held

    def _restrict(self, sig: Signals, allowed_docs: set[str]) -> None:
        """Zero every score outside the allowed documents."""
        corpus = self.corpus
        allowed = np.array([corpus.doc_index[d] for d in allowed_docs if d in corpus.doc_index],
                           dtype=np.int64)
        mask_s = np.isin(corpus.sent_doc, allowed)
        mask_t = np.isin(corpus.target_doc, allowed)
        for arr in (sig.bm25_s, sig.dense_s, sig.concept_s):
            arr[~mask_s] = 0
        for arr in (sig.bm25_t, sig.dense_t, sig.concept_t):
            arr[~mask_t] = 0
        sig.lexical_t &= mask_t
        sig.direct_t &= mask_t
        sig.mask_s = mask_s


def norm_pos(values: np.ndarray) -> np.ndarray:
    """``values`` divided by their maximum (zeros when none is positive)."""
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def norm_dense(values: np.ndarray) -> np.ndarray:
    """Cosines standardised over the corpus; only clear outliers count, scaled to [0, 1].

    Absolute cosines of a small multilingual model sit in a narrow band
    (0.7–0.9) that differs by language, so the spread is what tells.
    """
    if len(values) < 2:
        return np.ones_like(values) if len(values) else values
    std = float(values.std())
    if std <= 0:
        return np.zeros_like(values)
    lifted = values - float(values.mean())  # then in place: one array, not four
    lifted /= std
    lifted -= DENSE_Z_FLOOR
    np.clip(lifted, 0, None, out=lifted)
    top = float(lifted.max())
    if top <= 0:
        return np.zeros_like(values)
    lifted /= top
    return lifted


def weights_of(unit_type: str | None) -> Weights:
    """The fusion weights of a result unit type (``DEFAULT_WEIGHTS`` for the others)."""
    return WEIGHTS.get(unit_type or "", DEFAULT_WEIGHTS)


def fuse(sig: Signals, corpus: Corpus, method: str, rtype: str = "task"
         ) -> tuple[np.ndarray, np.ndarray]:
    """Fused per-sentence and per-target scores for ``method`` (hybrid, bm25 or dense).

    Sentences fuse with the weights of ``rtype`` when it is ``sentence`` (else with the
    default ones: they are evidence, lifted to documents and entities); each target with
    the weights of its own unit type (a store may hold tasks and articles).
    """
    lift = corpus.lift
    if method == "bm25":
        return sig.bm25_s, lift(sig.bm25_s)
    if method == "dense":
        return sig.dense_s, np.maximum(lift(sig.dense_s), sig.dense_t)
    if rtype != "sentence":
        ws = DEFAULT_WEIGHTS
    else:
        ws = ZH_SENTENCE if sig.chinese else weights_of("sentence")
    words = sig.words or word_parts(sig.bm25_s, sig.bm25_t, sig.concept_s, sig.concept_t, lift,
                                    sig.bm25_scale)
    # the weighted sum accumulates in place: each full-size temporary costs a pass over
    # every sentence (155,000 on the corpus)
    sentence = ws.bm25 * words.bm_s
    sentence += ws.dense * norm_dense(sig.dense_s)
    if ws.concept:
        sentence += ws.concept * words.cc_s
    dn_t = norm_dense(np.maximum(sig.dense_t, lift(sig.dense_s)))
    wt = sig.target_weights if sig.target_weights is not None \
        else target_weights(sig.target_types, sig.unit_types, len(corpus.targets))
    target = wt[0] * words.bm_t + wt[1] * dn_t + wt[2] * words.cc_t
    return sentence, target.astype(np.float32)


#: A sentence of a document dated in a year the question names scores this much more (one
#: dated the year after, which looks back on that year, half as much). Tune parts of b, hit@1
#: English / Chinese of 68 / 67: 0 → 40 / 50, 0.1 → 44 / 53, 0.2 → 44 / 56, 0.3 → 45 / 56,
#: 0.5 → 45 / 53, 1.0 → 46 / 52; the most first hits taken (docs/search.md, stop 32).
YEAR_BOOST = 0.3


def doc_years(corpus: Corpus) -> np.ndarray:
    """The year of each document of ``corpus`` (by its index in ``doc_list``; 0: undated)."""
    years = np.zeros(len(corpus.doc_list), dtype=np.int64)
    for i, iri in enumerate(corpus.doc_list):
        doc = corpus.docs.get(iri)
        date = str(getattr(doc, "date", "") or "") if doc is not None else ""
        if len(date) >= 4 and date[:4].isdigit():
            years[i] = int(date[:4])
    return years


def by_year(sentence: np.ndarray, sent_doc: np.ndarray, years_of_docs: np.ndarray,
            named: tuple[str, ...], boost: float = YEAR_BOOST) -> np.ndarray:
    """``sentence`` scores with the sentences of documents dated in a ``named`` year (a work
    report of 2024 plans 2024) raised by ``boost``, and of documents dated the year after (the
    2025 report looks back on 2024) by half of it; all scaled so that the best score stays
    what it was (the order is what changes)."""
    if not named or not boost or not len(sentence) or not years_of_docs.any():
        return sentence
    wanted = np.array(sorted({int(y) for y in named}), dtype=np.int64)
    same = np.isin(years_of_docs, wanted)
    after = np.isin(years_of_docs - 1, wanted) & ~same
    factor = 1.0 + boost * same.astype(np.float32) + (boost / 2) * after.astype(np.float32)
    return best_kept(sentence, (sentence * factor.astype(np.float32)[sent_doc]).astype(np.float32))


def best_kept(before: np.ndarray, raised: np.ndarray) -> np.ndarray:
    """``raised`` (some of ``before``'s scores raised; changed in place) scaled back so that its
    best score is ``before``'s: scores stay within what fusion gives (≤ 1), the order changes."""
    top, new_top = float(before.max()), float(raised.max())
    if new_top > top > 0:
        raised *= np.float32(top / new_top)
    return raised


#: What a heading's score is multiplied by among sentence results: "一、2024年工作回顾" or a
#: report's title line holds a question's words and its year, but says nothing a passage asked
#: for would (docs/search.md, stop 33).
HEADING_FACTOR = 0.8
#: How many of the best sentences are looked at (a heading further down stays there anyway).
HEADING_TOP = 100


def headings_down(sentence: np.ndarray, is_heading_at: Callable[[int], bool],
                  factor: float | None = None, top: int = HEADING_TOP) -> np.ndarray:
    """``sentence`` scores with the headings among the best ``top`` scaled by ``factor``
    (:data:`HEADING_FACTOR` unless given)."""
    factor = HEADING_FACTOR if factor is None else factor
    if factor == 1.0 or not len(sentence):
        return sentence
    best = largest(sentence, top)
    down = [i for i in best.tolist() if sentence[i] > 0 and is_heading_at(i)]
    if not down:
        return sentence
    lowered = sentence.copy()
    lowered[down] *= np.float32(factor)
    return lowered


@dataclass(frozen=True)
class WordParts:
    """The word signals of a question normalised for :func:`fuse`."""

    bm_s: np.ndarray  # per sentence: BM25 over its maximum
    cc_s: np.ndarray  # per sentence: log1p of the linked labels' occurrences, over its maximum
    bm_t: np.ndarray  # per target: its own BM25 and its best sentence's, over their maximum
    cc_t: np.ndarray  # per target: the concept score over its maximum


def word_parts(bm25_s: np.ndarray, bm25_t: np.ndarray, concept_s: np.ndarray,
               concept_t: np.ndarray, lift: Callable[[np.ndarray], np.ndarray],
               bm25_scale: float = 1.0) -> WordParts:
    """The word signals normalised: what fusion needs of them, whatever the weights (the BM25
    parts times ``bm25_scale``, see :data:`BM25_COVER`)."""
    bm_s = norm_pos(bm25_s)
    held = np.flatnonzero(concept_s)  # log1p(0) is 0: only the sentences holding a label
    cc_s = np.zeros_like(concept_s)
    cc_s[held] = np.log1p(concept_s[held])
    bm_t = norm_pos(0.5 * norm_pos(bm25_t) + 0.5 * lift(bm_s))
    if bm25_scale != 1.0:
        bm_s = bm_s * np.float32(bm25_scale)
        bm_t *= np.float32(bm25_scale)
    return WordParts(bm_s, norm_pos(cc_s), bm_t, norm_pos(concept_t))


def target_weights(target_types: np.ndarray | None, unit_types: tuple[str, ...],
                   n_t: int) -> np.ndarray:
    """(3, n_t) weights of BM25, dense and concept per target, by its unit type."""
    if target_types is None or not unit_types:
        w = DEFAULT_WEIGHTS
        return np.array([[w.bm25], [w.dense], [w.concept]], dtype=np.float32).repeat(n_t, axis=1)
    table = np.array([[w.bm25, w.dense, w.concept] for w in map(weights_of, unit_types)],
                     dtype=np.float32)
    return np.ascontiguousarray(table[target_types].T)


def shown(scores: np.ndarray, direct: np.ndarray | None = None,
          lexical: np.ndarray | None = None) -> list[int]:
    """Indices of the hits shown, best first (the relevance cut-off).

    A hit is shown when it scores at least ``CUTOFF_RATIO`` of the best one (and
    ``MIN_SCORE``). When some hits carry direct evidence (a linked topic or entity
    label occurs in them, or they are linked to it), every hit with direct evidence
    above ``MIN_SCORE`` is shown too, and hits that are only similar in meaning
    (no label, no word of the question) are dropped.

    >>> shown(np.array([0.1, 0.9, 0.5, 0.7]))
    [1, 3]
    >>> shown(np.array([0.1, 0.9, 0.3, 0.7]), np.array([0, 1, 1, 0], bool))
    [1, 2]
    """
    if not len(scores):
        return []
    top = float(scores.max())
    if top <= 0:
        return []
    keep = scores >= max(MIN_SCORE, CUTOFF_RATIO * top)
    if direct is not None and direct.any():
        evidence = direct if lexical is None else direct | lexical
        keep = (keep & evidence) | (direct & (scores >= MIN_SCORE))
    candidates = np.flatnonzero(keep)
    return candidates[np.argsort(-scores[candidates], kind="stable")].tolist()
