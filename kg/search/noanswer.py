"""Honest "no answer": questions the store cannot answer get no results and the closest topics.

Two signals, both measured against the store itself (issue 13, item 7; fitted on the tune
parts of ``bench/gold/``, see bench/README "No answer (item 7)"):

- **words**: the share of the question's content words the store knows — a Chinese word
  of two characters or more, or an English word, that occurs as a search token of some
  sentence, or that lies inside a topic or entity label the question links to — each word
  weighted by its BM25 idf over the sentences (a word no sentence holds weighs most), so
  the common words a big store knows anyway (为什么, 推荐, 技巧) count little;
- **meaning**: how much closer the question is to the store's best sentence than to the
  best of 110 one-line descriptions of everyday subjects nobody asks a policy store
  about (:data:`ANCHORS`, :mod:`.anchors`: cooking, sport, celebrities, games, pets …):
  cosine of the best sentence minus cosine of the best anchor, both with the vector the
  search embeds.

A question is refused when both are low: fewer than :data:`KNOWN_MIN` of its words are
known *and* its best sentence is less than a gap limit closer than the nearest everyday
subject. The limit depends on the question's language, since the stores' words are Chinese:
an English question is known only through the labels it links to, and its gap limit is
:data:`GAP_MIN`; a Chinese question's known share says much by itself, and its limit is the
larger :data:`GAP_MIN_ZH` (a mixed question in between, by the idf-weighted share of its
words written in Chinese characters). One or two content words typed as keywords (电影, 老人,
看病就医, "garbage classification") are a topic probe, answered by the nearest meaning, never
refused ("how many calories in a banana" is a question, not a probe);
a question found verbatim in the text never reaches this rule. A question that nothing in the
store matches by its words (no word, dictionary translation or linked label in any sentence or
unit) is refused whatever its known share when its gap is below :data:`GAP_UNMATCHED`; so is
one whose names the store never mentions ("minimum wage in California", 周杰伦演唱会门票:
:mod:`.names`), and the refusal says which names. An English question that links to no label
and none of whose words the store knows (only dictionary translations relate it to the store)
is refused below :data:`GAP_UNLINKED`.

**After ranking** (:meth:`NoAnswer.check_figures`, :meth:`NoAnswer.check_names`): a question
asking for a figure ("how many", "how much", 多少, 几天, 什么时候 …: :mod:`.asked`) whose best
:data:`FIGURE_HITS` answers hold no figure of the kind asked (a number with a unit, not a year
or an article number; for a Chinese question, in an answer whose evidence holds
:data:`FIGURE_COVER` of its words; for "when", a time: a year, a month, a day) is refused: the
store is about its subject, but nothing in it gives what was asked ("the 2024 defence budget in
yuan"); so is one asking who holds an office when they name no one, and
an English one naming only what the store mentions rarely when no sentence mentioning it ranks
among the best :data:`NAME_SHARE` (at least :data:`NAME_RANK`). Before ranking, a question naming
only years the store never mentions (2031; 1950 in the 2021–2025 reports) is refused.

:class:`Support` also keeps signals the rule does not use (the best cosine, its margin over
the tenth, the links), so that ``bench/fit_no_answer.py`` can compare other judges.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..files import atomic_write_bytes
from .anchors import ANCHORS
from .asked import (asked_units, asks_figure, asks_person, asks_time, asks_year_of_report,
                    gives_figure, gives_time, is_question, named_years, names_person)
from .bm25 import idf
from .dense import largest, stable_top
from .linking import Lexicon, Match
from .names import NameTable, absent_names, surface_words
from .results import SearchResult
from .tables import Corpus
from .text import CJK, QueryTokenizer, nfkc

__all__ = ["ANCHORS", "GAP_MIN", "GAP_MIN_ZH", "GAP_UNLINKED", "GAP_UNMATCHED", "KNOWN_MIN",
           "NoAnswer", "Support", "Topic", "is_question", "refuses"]

#: A question needs at least this share of known words, or else …
KNOWN_MIN = 0.5
#: … its best sentence at least this much closer (cosine) than the nearest everyday subject
#: (for an English question; for a Chinese one GAP_MIN_ZH, in between by its Chinese share).
GAP_MIN = 0.012
GAP_MIN_ZH = 0.1
#: A question no word of which (nor a translation, nor a linked label) occurs anywhere in the
#: store, answered by meaning alone, or one naming only what the store never mentions
#: (kg.search.names), is refused below this gap whatever its language.
GAP_UNMATCHED = 0.1
#: An English question none of whose words the store knows and that links to no label (only
#: dictionary translations and meaning relate it to the store: "how to fold a paper airplane")
#: needs this gap. Fitted on the tune parts as GAP_MIN was: the smallest value on the same grid
#: that refuses the most tune unanswerable questions and no tune answerable one. 0.024 in stop
#: 29; refitted in stop 30, once English questions were embedded with their translations: any
#: value above GAP_MIN then refuses a tune law question (c005 at 0.019), so none is kept.
GAP_UNLINKED = GAP_MIN
#: The gap of a store without sentence vectors (more than any cosine gap: never refused).
NO_VECTORS_GAP = 1.0
#: The dense margin is the best sentence cosine minus the cosine of this rank.
MARGIN_RANK = 10
#: Keyword queries of at most this many content words are topic probes, never refused.
PROBE_WORDS = 2
#: Topics suggested with a refusal, and the units whose links they are drawn from.
SUGGESTED, NEAREST_UNITS = 3, 30


#: Answers whose evidence is looked at for a figure the question asks for (the fewest of 3, 5,
#: 10 at which no answerable tune question of bench/gold is refused: 3 refused c007).
FIGURE_HITS = 5
#: …and, for a Chinese question, in a passage holding at least this share of its words
#: (idf-weighted): the figure of another subject is no answer (雄安新区常住人口 is not answered
#: by 雄安新区's investment). Set at a fifth: the answerable Chinese figure questions of the
#: gold sets (report part; the tune part has none) had 0.30 at least, the answered near
#: misses 0.17 at the median.
FIGURE_COVER = 0.2
#: Sentences read to tell whether a Chinese name they hold verbatim is a word of theirs.
VERBATIM_READ = 20
#: A name held by at least this share of the sentences is the store's own subject (中国 in the
#: work reports, 上海 in Shanghai's regulations): the answer need not say it.
NAME_COMMON = 0.01
#: …and a question naming only rarer ones is answered when a sentence mentioning one of them
#: ranks among the best NAME_SHARE of the sentences, and at least the best NAME_RANK (on the
#: whole corpus, 155,000 sentences, answerable questions had such a sentence at rank 1,021 at
#: worst: "billion US dollars" is 美元, not 美国; on the 2,642 of five work reports at 12).
NAME_RANK, NAME_SHARE = 50, 0.01


@dataclass(frozen=True)
class Support:
    """What the store offers a question: the signals of the rule and its verdict."""

    words: int  # content words counted
    known: float  # share of them the store knows
    gap: float  # best sentence cosine − best anchor cosine
    probe: bool  # one or two content words
    refused: bool = False
    cos: float = 0.0  # best sentence cosine
    margin: float = 0.0  # best sentence cosine − the MARGIN_RANK-th best
    links: int = 0  # topics and entities the question links to
    chinese: float = 0.0  # share of the words (idf-weighted) written in Chinese characters
    lexical: bool = True  # some sentence or unit holds a word, translation or label of it
    figure: bool | None = None  # asks a figure: whether the best answers give one
    person: bool | None = None  # asks who holds an office: whether the best answers name anyone
    named: bool | None = None  # English, names what the store knows: whether the best answers do
    absent: tuple[str, ...] = ()  # names in the question the store never mentions
    years: tuple[str, ...] = ()  # the years the question names, when the store mentions none
    names: tuple[str, ...] = ()  # names in the question the store mentions (rarely)
    name_rank: int | None = None  # the best rank of a sentence mentioning one of them

    def to_json(self) -> dict[str, Any]:
        return {"words": self.words, "known": round(self.known, 4), "gap": round(self.gap, 4),
                "probe": self.probe, "refused": self.refused, "cos": round(self.cos, 4),
                "margin": round(self.margin, 4), "links": self.links,
                "chinese": round(self.chinese, 4), "lexical": self.lexical,
                "figure": self.figure, "person": self.person, "named": self.named,
                "name_rank": self.name_rank, "absent": list(self.absent),
                "years": list(self.years)}


def refuses(known: float, gap: float, probe: bool, chinese: float = 0.0,
            known_min: float = KNOWN_MIN, gap_min: float = GAP_MIN,
            gap_min_zh: float = GAP_MIN_ZH, lexical: bool = True,
            gap_unmatched: float = GAP_UNMATCHED, figure: bool | None = None,
            absent: bool = False, person: bool | None = None,
            named: bool | None = None, undated: bool = False, links: int = 1,
            gap_unlinked: float = GAP_UNLINKED) -> bool:
    """The rule: few known words and no sentence clearly closer than everyday subjects.

    How close is clearly closer depends on the question's language: the store's words are
    Chinese, so a Chinese question's known share alone says much (its gap limit is
    ``gap_min_zh``), while an English one is known only through the labels it links to
    (``gap_min``); a mixed question is weighed by its ``chinese`` share. A question that
    nothing in the store matches by its words (not ``lexical``: no word, translation or linked
    label anywhere) needs a gap of ``gap_unmatched``: its answer would rest on meaning alone;
    so does one naming only what the store never mentions (``absent``: "Chicago",
    "Schengen"), whatever else it shares with the store. A question asking for a figure that
    the best answers do not give (``figure`` False) is refused, and so is one asking who holds
    an office when they name no one (``person`` False), or an English one naming what the
    store knows when they mention none of it (``named`` False), or one naming only years the
    store never mentions (``undated``: "the GDP target for 2031"). An English question that
    links to no label (``links``) and none of whose words the store knows needs ``gap_unlinked``.

    >>> refuses(0.0, 0.0, False), refuses(0.6, 0.0, False), refuses(0.0, 0.2, False)
    (True, False, False)
    >>> refuses(0.0, 0.0, True)
    False
    >>> refuses(0.3, 0.05, False, chinese=1.0), refuses(0.3, 0.05, False, chinese=0.0)
    (True, False)
    >>> refuses(0.3, 0.03, False, lexical=False), refuses(0.3, 0.03, True, lexical=False)
    (True, False)
    >>> refuses(0.6, 0.05, False, absent=True), refuses(0.6, 0.05, False)
    (True, False)
    """
    if probe:
        return False
    if figure is False or person is False or named is False or undated:
        return True
    if (not lexical or absent) and gap < gap_unmatched:
        return True
    if known <= 0 and links == 0 and chinese <= 0 and gap < gap_unlinked:
        return True
    limit = gap_min + min(max(chinese, 0.0), 1.0) * (gap_min_zh - gap_min)
    return known < known_min and gap < limit


@dataclass(frozen=True)
class Topic:
    """A topic suggested instead of an answer."""

    iri: str
    label: str  # Chinese
    label_en: str

    def to_json(self) -> dict[str, str]:
        return {"iri": self.iri, "label": self.label, "label_en": self.label_en}


@dataclass
class NoAnswer:
    """Judges whether a question has an answer in the store; suggests topics when not."""

    corpus: Corpus
    lexicon: Lexicon
    tokenizer: QueryTokenizer
    index: Any  # the sentences' BM25 index (bm25s): its vocabulary and document frequencies
    embedder: Any
    cache: Path | None = None  # where the anchors' vectors are saved
    enabled: bool = True  # False: judge, but never refuse (bench/eval_sets.py measures so)
    names: Callable[[], NameTable | None] = lambda: None  # the store's names (kg.search.names)
    # the sentences holding a text verbatim (row numbers); None: not known (no name or year
    # is then judged by where it occurs)
    holding: Callable[[str], np.ndarray] | None = None
    _anchors: np.ndarray | None = field(default=None, repr=False)
    _topics: tuple[dict[str, Topic], list[list[str]]] | None = field(default=None, repr=False)
    _dated: str | None = field(default=None, repr=False)  # the documents' titles and dates

    def __post_init__(self) -> None:
        self.vocabulary: dict[str, int] = getattr(self.index, "vocab_dict", None) or {}

    def worded(self, query: str, matches: list[Match], asked: str | None = None,
               translated: Sequence[str] = ()) -> Support:
        """The signals of ``query``'s words and its linked ``matches`` (:meth:`judge` adds
        those of its vector and the verdict: these are worked out while it is embedded);
        ``asked``: the question as typed (its names are checked as written, and a question of
        two words is no topic probe); ``translated``: its phrases the dictionary read as the
        store's Chinese words (a Chinese question's are its abbreviations, GDP for 国内生产总值:
        known words of it)."""
        tokens = self.tokenizer.tokens(query)
        words = [t for t in tokens if not CJK.search(t) or len(t) >= 2]
        surfaces = " ".join(nfkc(surface) for _, surface, _ in matches)
        # an English question is known only through its labels (the rule was fitted so)
        read = {t for phrase in translated for t in self.tokenizer.tokens(phrase)} \
            if CJK.search(query) else set()
        weights = [self._idf(t) for t in words]
        total = sum(weights)
        known = sum(w for t, w in zip(words, weights)
                    if t in self.vocabulary or t in surfaces or t in read)
        share = known / total if words else 0.0
        chinese = sum(w for t, w in zip(words, weights) if CJK.search(t)) / total \
            if words and total else 0.0
        # two words typed as keywords probe a topic; asked as a question, they ask something
        probe = 0 < len(tokens) <= PROBE_WORDS and not is_question(asked or query)
        links = len({index for index, _, _ in matches})
        absent = [name for name in absent_names(asked or query, surfaces, self.vocabulary,
                                                self.tokenizer, self.names)
                  if not self.names_verbatim(name)]
        return Support(len(words), share, 0.0, probe, links=links, chinese=chinese,
                       absent=tuple(absent), years=self.absent_years(asked or query))

    def judge(self, words: Support, dense_s: np.ndarray, vec: np.ndarray,
              lexical: bool = True) -> Support:
        """``words`` (:meth:`worded`) with the signals of the question's vector ``vec`` (the
        sentences' cosines with it), whether anything in the store holds its words
        (``lexical``), and whether the rule refuses it."""
        cos = margin = 0.0
        if len(dense_s) and dense_s.any():
            anchors = self.anchor_vectors() @ vec.astype(np.float32)
            rank = min(MARGIN_RANK, len(dense_s))
            scores = np.asarray(dense_s, dtype=np.float32)
            best = scores[largest(scores, rank)]
            cos = float(best.max())
            margin = cos - float(best.min())
            gap = cos - float(anchors.max())
        else:  # a store without sentence vectors: meaning cannot tell, so never refuse
            gap = NO_VECTORS_GAP
        refused = self.enabled and refuses(words.known, gap, words.probe, words.chinese,
                                           lexical=lexical, absent=bool(words.absent),
                                           undated=bool(words.years), links=words.links)
        return replace(words, gap=gap, refused=refused, cos=cos, margin=margin, lexical=lexical)

    def names_verbatim(self, name: str) -> bool:
        """Whether a sentence holds Chinese ``name`` verbatim with a word beginning or ending
        where it does: the words may cut it otherwise (遏制重特大事故 is 遏制 重 特大事故, and
        no token is 重特大), while 安保 inside 治安保卫 (治安 保卫) begins and ends inside words
        and is no mention of 安保."""
        if self.holding is None or not CJK.match(name):
            return False
        rows = self.holding(name)
        for i in rows[rows < len(self.corpus.sentences)][:VERBATIM_READ]:
            text = self.corpus.sentences[int(i)].text
            bounds = self.tokenizer.word_bounds(text)
            at = text.find(name)
            while at >= 0:
                if at in bounds or at + len(name) in bounds:
                    return True
                at = text.find(name, at + 1)
        return False

    def absent_years(self, question: str) -> tuple[str, ...]:
        """The years ``question`` names when the store mentions none of them, in a sentence
        (in figures or in Chinese numerals: 一九五六年), a document's title or its date: a
        question about 2031, or about 1950 in the 2021–2025 work reports, is about a time the
        store does not cover."""
        years = named_years(question)
        if not years or self.holding is None:
            return ()
        if self._dated is None:
            self._dated = " ".join(f"{doc.title or ''} {doc.date or ''}"
                                   for doc in self.corpus.docs.values())
        for year in years:
            numerals = "".join("〇一二三四五六七八九"[int(d)] for d in year)
            for form in (year, numerals, numerals.replace("〇", "零")):
                if form in self._dated or len(self.holding(form)):
                    return ()
        return years

    def check_names(self, support: Support | None, question: str, matches: list[Match],
                    sentence_scores: np.ndarray) -> Support | None:
        """``support`` with its verdict on names: an English question naming only what the store
        mentions in few sentences (the USA, Tokyo, India) is answered only if one of those
        sentences ranks among the best :data:`NAME_SHARE` of them, or :data:`NAME_RANK`, for it
        (``sentence_scores``: the fused score of every sentence): "What is the US federal
        minimum wage?" is not answered by the minimum wages of Shanghai's regulations."""
        table = self.names()
        if support is None or support.refused or support.probe or table is None \
                or CJK.search(question) or not len(sentence_scores):
            return support
        linked: dict[str, tuple[str, ...]] = {}
        for index, surface, _ in matches:
            terms = tuple(self.lexicon.concepts[index].zh_terms)
            for word in surface_words(nfkc(surface)):
                linked[word] = linked.get(word, ()) + terms
        named = table.named_forms(question, linked, self.vocabulary)
        if not named or self.holding is None:
            return support
        held = {f: self.holding(f) for _, forms in named for f in forms}
        # a name the store holds only in pieces (全国人大会议 as 全国, 人大, 会议) cannot be found
        # in its sentences, so nothing can be said of where it is
        if any(not any(len(held[f]) for f in forms) for _, forms in named):
            return support
        # a name of the store's own subject (China in the work reports, Shanghai in its
        # regulations) goes without saying in the passages that answer
        if any(len(held[f]) >= NAME_COMMON * len(sentence_scores)
               for _, forms in named for f in forms):
            return support
        rows = np.unique(np.concatenate([np.asarray(r, dtype=np.int64) for r in held.values()]))
        rows = rows[rows < len(sentence_scores)]
        rank = int((sentence_scores > sentence_scores[rows].max()).sum()) if len(rows) \
            else len(sentence_scores)
        said = rank < max(NAME_RANK, NAME_SHARE * len(sentence_scores))
        return replace(support, named=said, name_rank=rank, names=tuple(n for n, _ in named),
                       refused=self.enabled and not said)

    def covers(self, question: str, text: str) -> float:
        """The share of ``question``'s words (idf-weighted) that ``text`` holds."""
        return self._covered(self._word_weights(question), text)

    def _word_weights(self, question: str) -> dict[str, float]:
        return {w: self._idf(w) for w in dict.fromkeys(self.tokenizer.tokens(question))}

    def _covered(self, weights: dict[str, float], text: str) -> float:
        held = set(self.tokenizer.tokens(text))
        total = sum(weights.values())
        return sum(v for w, v in weights.items() if w in held) / total if total else 1.0

    def _idf(self, word: str) -> float:
        """BM25's idf of ``word`` over the sentences (a word no sentence has: the highest)."""
        return idf(self.index, word, len(self.corpus.sentences))

    def prepare(self) -> None:
        """Load what a refusal needs before the first one: the anchors' vectors and the topics
        linked to each unit (half a second on the corpus, which the first refused question
        of a server waited for)."""
        self.anchor_vectors()
        self._topic_links()

    def anchor_vectors(self) -> np.ndarray:
        """The everyday subjects embedded as passages: once per store and model (saved in
        ``cache``; embedding them takes seconds on a busy machine), then read."""
        if self._anchors is None:
            name = getattr(self.embedder, "name", type(self.embedder).__name__)
            key = hashlib.sha256("\n".join((name, *ANCHORS)).encode()).hexdigest()[:16]
            path = self.cache / f"anchors-{key}.npy" if self.cache is not None else None
            try:
                vectors = np.load(path) if path is not None and path.is_file() else None
            except (OSError, ValueError):  # a damaged file: embed again
                vectors = None
            if vectors is None or vectors.shape[0] != len(ANCHORS):
                vectors = np.asarray(self.embedder.embed_passages(list(ANCHORS)),
                                     dtype=np.float32)
                if path is not None:
                    _save(path, vectors)
            self._anchors = vectors.astype(np.float32)
        return self._anchors

    def check_figures(self, support: Support | None, question: str,
                      hits: list[Any], written: Sequence[str] = ()) -> Support | None:
        """``support`` with its verdict on figures: for a question asking for one, whether the
        best :data:`FIGURE_HITS` of ``hits`` (their evidence, else their labels) give one, of
        the kind the question names if it names one (an area, an age, money …); for one asking
        who holds an office, whether they name a person. ``written``: a Chinese question with
        its abbreviations written out, each way its translations allow, of which an answer's
        passage must hold the words of one (R&D强度 is held by a passage on 研发经费投入强度)."""
        person = asks_person(question)
        if support is None or support.refused or support.probe or not (
                person or asks_figure(question) or asks_time(question)):
            return support
        # an answer's evidence taken whole: an article's figure may follow the sentence that
        # holds the question's words ("…构成犯罪的，依法追究刑事责任；尚不构成犯罪的，…处1万元以上…")
        texts = [" ".join(e.text for e in hit.evidence) or hit.label or ""
                 for hit in hits[:FIGURE_HITS]]
        if person:
            named = any(names_person(t) for t in texts)
            return replace(support, person=named, refused=self.enabled and not named)
        units = asked_units(question)
        # "when" is answered by a time (a year counts), not by any figure; "which year's report"
        # also by the date of the passage's document (a year's report need not name its year)
        dated = asks_year_of_report(question)
        gives = (lambda t, hit: gives_time(t) or (dated and bool(hit.date))) \
            if asks_time(question) else (lambda t, hit: gives_figure(t, units))
        # the question's words weighed once for all its answers' passages
        weights = [self._word_weights(w) for w in written or [question]] \
            if CJK.search(question) else []
        figure = any(gives(t, hit) and (
            not weights or max(self._covered(w, t) for w in weights) >= FIGURE_COVER)
            for t, hit in zip(texts, hits))
        return replace(support, figure=figure, refused=self.enabled and not figure)

    def result(self, text: str, rtype: str, dense_t: np.ndarray,
               support: Support) -> SearchResult:
        """The empty answer to a refused question, with the topics closest to it."""
        topics = self.closest_topics(dense_t)
        message = "没有可靠的答案 no good match: nothing in these documents answers this question"
        if support.figure is False:  # the subject is there, the number asked for is not
            message += " (其中没有所问的数字 the best passages give no such figure)"
        elif support.person is False:
            message += " (其中没有提到任何人名 the best passages name no one)"
        elif support.named is False:
            message += " (最接近的段落没有提到 the best passages never mention: " \
                + ", ".join(support.names) + ")"
        elif support.years:
            message += " (这些文件没有提到所问的年份 these documents never mention the year asked: " \
                + ", ".join(support.years) + ")"
        elif support.absent:  # say which name the documents lack, so the user can rephrase
            message += " (这些文件没有提到 these documents never mention: " \
                + ", ".join(support.absent) + ")"
        if topics:
            message += "; 相近主题 closest topics: " + "; ".join(
                f"{t.label} {t.label_en}".strip() for t in topics)
        return SearchResult(text, rtype, [], message, "none", support=support,
                            suggestions=[t.to_json() for t in topics])

    def closest_topics(self, dense_t: np.ndarray, limit: int = SUGGESTED) -> list[Topic]:
        """Up to ``limit`` topics linked to the units closest in meaning, each scored by the
        summed similarity of those units."""
        topics, of_target = self._topic_links()
        if not topics or not len(dense_t):
            return []
        score: dict[str, float] = {}
        # the nearest units only: sorting every unit's score took 4 ms on the corpus
        for i in stable_top(dense_t, NEAREST_UNITS):
            for iri in of_target[i]:
                score[iri] = score.get(iri, 0.0) + float(dense_t[i])
        return [topics[iri] for iri in sorted(score, key=lambda i: (-score[i], i))[:limit]]

    def _topic_links(self) -> tuple[dict[str, Topic], list[list[str]]]:
        """(topic IRI → topic, per target: the topics it is linked to), read once."""
        if self._topics is None:
            from ..topics import topics_by_iri

            try:
                known = topics_by_iri()
            except (OSError, ValueError):
                known = {}
            topics: dict[str, Topic] = {}
            of_target: list[list[str]] = []
            for unit in self.corpus.targets:
                linked = [iri for iri in sorted(unit.links or ()) if iri in known]
                for iri in linked:
                    topics.setdefault(iri, Topic(iri, known[iri].label_zh, known[iri].label_en))
                of_target.append(linked)
            self._topics = (topics, of_target)
        return self._topics


def _save(path: Path, vectors: np.ndarray) -> None:
    """Save ``vectors`` as .npy; a store directory that cannot be written is no error."""
    buffer = io.BytesIO()
    np.save(buffer, vectors)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buffer.getvalue())
    except OSError:
        pass
