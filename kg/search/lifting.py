"""Lifting sentence and target scores to the result units: tasks, sentences, documents, entities."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .dense import DenseIndex, largest
from .evidence import evidence
from .fusion import Signals, shown
from .results import Hit
from .tables import Corpus, Entity, entity_names
from .text import longest_first

__all__ = ["Lifter", "EntityTable", "best_first", "segment_max", "top3_scores"]


@dataclass
class EntityTable:
    """Per entity (sorted by IRI): its names, evidence sentences and targets, as flat arrays."""

    entities: list[Entity]
    names_of: list[list[str]]  # every name, longest first
    ev_ptr: np.ndarray  # evidence of entity i: ev_idx[ev_ptr[i]:ev_ptr[i + 1]]
    ev_idx: np.ndarray
    t_ptr: np.ndarray  # targets of entity i: t_idx[t_ptr[i]:t_ptr[i + 1]]
    t_idx: np.ndarray
    vec_rows: np.ndarray  # row in the vector matrix, -1 when none
    at: dict[str, int] = field(default_factory=dict)  # entity IRI → index
    _types: dict[str | None, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.at = {e.iri: i for i, e in enumerate(self.entities)}
        self._types[None] = np.ones(len(self.entities), dtype=bool)
        for name in {e.type or "" for e in self.entities}:
            self._types[name] = np.array([(e.type or "") == name for e in self.entities],
                                         dtype=bool)

    def of_type(self, etype: str | None) -> np.ndarray:
        """Which entities have type ``etype`` (all when none is given; read-only)."""
        found = self._types.get(etype or None)
        return found if found is not None else np.zeros(len(self.entities), dtype=bool)

    @classmethod
    def build(cls, corpus: Corpus, dense: DenseIndex) -> "EntityTable":
        entities = sorted(corpus.entities.values(), key=lambda e: e.iri)
        evidence = corpus.evidence or {}
        ev_ptr, ev_idx, t_ptr, t_idx, names_of = [0], [], [0], [], []
        for ent in entities:
            names_of.append(entity_names(ent))
            ev_idx.extend(evidence.get(ent.iri, ()))
            ev_ptr.append(len(ev_idx))
            t_idx.extend(sorted(corpus.target_at[u] for u in ent.units if u in corpus.target_at))
            t_ptr.append(len(t_idx))
        vec_rows = np.array([dense.entity_row.get(e.iri, -1) for e in entities], dtype=np.int64)
        as_array = lambda values: np.array(values, dtype=np.int64)  # noqa: E731
        return cls(entities, names_of, as_array(ev_ptr), as_array(ev_idx), as_array(t_ptr),
                   as_array(t_idx), vec_rows)


class Lifter:
    """Turns fused scores into hits of one result type, each with its evidence."""

    def __init__(self, corpus: Corpus, dense: DenseIndex):
        self.corpus = corpus
        self.dense = dense
        # 0.1 s on 72 reports: paid at load, not by the first question
        self.entity_table = EntityTable.build(corpus, dense)
        self._last_documents: tuple[np.ndarray | None, np.ndarray] = (None, np.zeros(0))

    def tasks(self, target_score: np.ndarray, sentence_score: np.ndarray, sig: Signals,
              k: int) -> list[Hit]:
        return [self.task_hit(t, target_score, sentence_score, sig.terms)
                for t in shown(target_score, sig.direct_t, sig.lexical_t)[:k]]

    def task_hit(self, t: int, target_score: np.ndarray, sentence_score: np.ndarray,
                 terms: list[str]) -> Hit:
        """Target ``t`` as a hit, with its best sentences as evidence."""
        corpus, unit = self.corpus, self.corpus.targets[t]
        title, date = corpus.doc_info(unit.doc)
        return Hit(unit.iri, unit.type.lower(), unit.label, unit.number, unit.doc,
                   float(target_score[t]),
                   evidence(corpus.sentences, corpus.sentences_of_target[t], sentence_score,
                            terms),
                   title, date)

    def sentences(self, sentence_score: np.ndarray, terms: list[str], k: int) -> list[Hit]:
        return [self.sentence_hit(i, sentence_score, terms) for i in shown(sentence_score)[:k]]

    def sentence_hit(self, i: int, sentence_score: np.ndarray, terms: list[str]) -> Hit:
        """Sentence ``i`` as a hit, its own evidence."""
        s = self.corpus.sentences[i]
        title, date = self.corpus.doc_info(s.doc)
        return Hit(s.iri, "sentence", s.text[:60], None, s.doc, float(sentence_score[i]),
                   evidence(self.corpus.sentences, [int(i)], sentence_score, terms, 1),
                   title, date)

    def document_scores(self, sentence_score: np.ndarray) -> np.ndarray:
        """Per document: its best sentence score, raised by its next two."""
        made_from, scores = self._last_documents  # one tuple: safe across threads
        if made_from is not sentence_score:  # a question's literal and ranked paths both ask
            scores = top3_scores(sentence_score, self.corpus.sent_doc, len(self.corpus.doc_list))
            self._last_documents = (sentence_score, scores)
        return scores

    def documents(self, sentence_score: np.ndarray, terms: list[str], k: int) -> list[Hit]:
        scores = self.document_scores(sentence_score)
        return [self.document_hit(d, scores, sentence_score, terms) for d in shown(scores)[:k]]

    def document_hit(self, d: int, scores: np.ndarray, sentence_score: np.ndarray,
                     terms: list[str]) -> Hit:
        """Document number ``d`` as a hit, with its best sentences as evidence."""
        corpus = self.corpus
        doc_iri = corpus.doc_list[d]
        title, date = corpus.doc_info(doc_iri)
        return Hit(doc_iri, "document", title or doc_iri, None, doc_iri, float(scores[d]),
                   evidence(corpus.sentences, corpus.sentences_of_doc[d], sentence_score, terms),
                   title, date)

    def below_cutoff(self, rtype: str, scores: tuple[np.ndarray, np.ndarray], sig: Signals,
                     shown_iris: set[str], n: int) -> list[Hit]:
        """Up to ``n`` hits of ``rtype`` (tasks, sentences or documents) that the relevance
        cut-off left out, best first: the rest of the ranking, for a user who asks for more.

        Past the last fused score above zero, tasks and sentences follow in order of their
        plain similarity to the question (the fusion keeps only clear outliers of it)."""
        sentence_score, target_score = scores
        if n <= 0 or rtype not in ("task", "sentence", "document"):
            return []
        corpus, terms = self.corpus, sig.terms
        if rtype == "task":
            ranked, iri_of = target_score, (lambda i: corpus.targets[i].iri)
            make = lambda i: self.task_hit(i, target_score, sentence_score, terms)  # noqa: E731
            similar = lambda: np.maximum(sig.dense_t, corpus.lift(sig.dense_s))  # noqa: E731
        elif rtype == "sentence":
            ranked, iri_of = sentence_score, (lambda i: corpus.sentences[i].iri)
            make = lambda i: self.sentence_hit(i, sentence_score, terms)  # noqa: E731
            similar = lambda: sig.dense_s  # noqa: E731
        else:
            ranked, iri_of = self.document_scores(sentence_score), corpus.doc_list.__getitem__
            make = lambda i: self.document_hit(i, ranked, sentence_score, terms)  # noqa: E731
            similar = None
        wanted = n + len(shown_iris)
        rest = [i for i in best_first(ranked, wanted) if iri_of(i) not in shown_iris][:n]
        if len(rest) < n and similar is not None and len(sig.dense_s):
            unscored = [i for i in best_first(similar(), wanted + len(rest))
                        if ranked[i] <= 0 and iri_of(i) not in shown_iris]
            rest += unscored[:n - len(rest)]
        return [make(i) for i in rest]

    def entities(self, sentence_score: np.ndarray, target_score: np.ndarray,
                 vec: np.ndarray, linked: set[str], etype: str | None, sig: Signals,
                 k: int) -> list[Hit]:
        """Entities of type ``etype`` (any when None): their targets' and evidence sentences'
        scores, their own vector's similarity, and a bonus when the question names them."""
        table = self.entity_table
        if not table.entities:
            return []
        score, ev_ptr, ev_idx = self._entity_scores(sentence_score, target_score, vec, linked,
                                                    etype, sig.mask_s)
        order = sorted(shown(score), key=lambda e: (-float(score[e]), table.entities[e].label))
        hits = []
        for e in order[:k]:
            ent, evidence_idx = table.entities[e], ev_idx[ev_ptr[e]:ev_ptr[e + 1]]
            words = sorted(set(sig.terms) | set(table.names_of[e]), key=longest_first)
            shown_ev = evidence(self.corpus.sentences, evidence_idx, sentence_score, words)
            # the document of the evidence shown first, which is where the reader looks
            doc = shown_ev[0].document if shown_ev else None
            title, date = self.corpus.doc_info(doc) if doc else (None, None)
            hits.append(Hit(ent.iri, (ent.type or "entity"), ent.label, None, doc,
                            float(score[e]), shown_ev, title, date))
        return hits

    def _entity_scores(self, sentence_score: np.ndarray, target_score: np.ndarray,
                       vec: np.ndarray, linked: set[str], etype: str | None,
                       mask_s: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(score of every entity, 0 where not eligible; evidence pointers and indices)."""
        table = self.entity_table
        ev_ptr, ev_idx = table.ev_ptr, table.ev_idx
        eligible = table.of_type(etype).copy()
        if mask_s is not None:  # evidence only from the documents allowed by the filters
            ok = mask_s[ev_idx]
            kept = np.concatenate(([0], np.cumsum(ok)))
            ev_ptr, ev_idx = kept[ev_ptr], ev_idx[ok]
            eligible &= ev_ptr[1:] > ev_ptr[:-1]
        lifted = segment_max(target_score, table.t_idx, table.t_ptr)
        best_sentence = segment_max(sentence_score, ev_idx, ev_ptr)
        dense = self.dense.entities(vec, table.vec_rows)
        bonus = np.zeros(len(table.entities), dtype=np.float32)
        bonus[[table.at[iri] for iri in linked if iri in table.at]] = 0.5
        score = 0.45 * lifted + 0.35 * best_sentence + 0.2 * dense + bonus
        return np.where(eligible, score, 0).astype(np.float32), ev_ptr, ev_idx


def segment_max(values: np.ndarray, indices: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """``max(values[indices[ptr[i]:ptr[i+1]]])`` for every segment i; 0 for an empty one.

    >>> segment_max(np.array([3., 1., 2.]), np.array([0, 2, 1]), np.array([0, 2, 2, 3])).tolist()
    [3.0, 0.0, 1.0]
    """
    out = np.zeros(len(ptr) - 1, dtype=np.float32)
    nonempty = ptr[1:] > ptr[:-1]
    if nonempty.any():
        out[nonempty] = np.maximum.reduceat(values[indices], ptr[:-1][nonempty])
    return out


def top3_scores(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Per group 0 … n-1: ``0.6 * best + 0.4 * mean of the best three`` of its ``values``
    (missing ones count 0; float32, as a loop over the groups summing each one's best three).

    Only positive values can be among a group's best three when none is negative, so only
    those are sorted (a loop over the corpus's 1,083 documents took 26 ms a question).

    >>> top3_scores(np.array([1., 0., 4., 2., 3.], np.float32), np.array([0, 0, 1, 1, 1]), 3
    ...             ).astype(float).round(3).tolist()
    [0.733, 3.6, 0.0]
    """
    values = np.asarray(values)
    out = np.zeros(n, dtype=np.float32)
    kept = np.flatnonzero(values > 0) if not len(values) or values.min() >= 0 \
        else np.arange(len(values))
    if not len(kept):
        return out
    group, value = groups[kept], values[kept]
    if value.dtype == np.float32 and float(value.min()) > 0:
        # by group, each group's best first, in one sort of 64-bit keys: the group, then the
        # complement of the value's bits (a positive float32's bits order as its value does);
        # a lexsort of the corpus's 60,000 scored sentences took 12 ms, this 1 ms
        keys = (group.astype(np.uint64) << np.uint64(32)) \
            | (~value.view(np.uint32)).astype(np.uint64)
        keys.sort()
        group = (keys >> np.uint64(32)).astype(np.int64)
        value = (~(keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)).view(np.float32)
    else:
        order = np.lexsort((-value, group))  # by group, each group's best first
        group, value = group[order], value[order]
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    size = np.diff(np.r_[first, len(group)])
    best = [value[first]] + [np.where(size > r, value[np.minimum(first + r, len(value) - 1)],
                                      value.dtype.type(0)) for r in (1, 2)]
    total = (best[0] + best[1]) + best[2]  # summed in order, as ndarray.sum sums three
    mean_part = (0.4 * total.astype(np.float64) / 3).astype(np.float32)
    out[group[first]] = best[0] * np.float32(0.6) + mean_part
    return out


def best_first(scores: np.ndarray, n: int) -> list[int]:
    """The indices of the ``n`` best positive scores, best first."""
    n = min(n, len(scores))
    if n <= 0:
        return []
    top = largest(scores, n)
    top = top[scores[top] > 0]
    return top[np.argsort(-scores[top], kind="stable")].tolist()
