"""Answers beyond the ranked cut-off: complete lists, every literal match, the entity named.

- a list question ("哪些单位", "which events are mentioned?") answers with every entity of
  that type (or every document) in scope, ranked by mentions;
- ``all_matches`` answers with every sentence, target or document holding the question's
  words verbatim (:mod:`.literal`), ranked by the fused score, paged;
- a question that names an entity (any label, alias, English or pinyin name) gets the
  entity before the tasks.
"""
from __future__ import annotations

import numpy as np

from .dense import distinct
from .evidence import evidence
from .lifting import Lifter
from .linking import Lexicon, Match
from .literal import Literal
from .results import Hit
from .text import QueryTokenizer, longest_first, nfkc

__all__ = ["Answers", "LIST_PAGE", "NAMED_MAX"]

#: A list answer holds at least this many items per page (the whole list on a small store).
LIST_PAGE = 100
#: Entities put before the tasks when a question names them.
NAMED_MAX = 3


class Answers:
    """Builds list answers, all-matches answers and named-entity hits."""

    def __init__(self, lifter: Lifter, lexicon: Lexicon, tokenizer: QueryTokenizer):
        self.lifter = lifter
        self.corpus = lifter.corpus
        self.lexicon = lexicon
        self.tokenizer = tokenizer

    # -- list answers -----------------------------------------------------------------
    def entity_list(self, etype: str | None, allowed: set[str] | None) -> list[Hit]:
        """Every entity of ``etype`` mentioned in the allowed documents, most mentioned first."""
        table = self.lifter.entity_table
        ranked = []
        for e, ent in enumerate(table.entities):
            if etype and (ent.type or "") != etype:
                continue
            count = sum(n for doc, n in ent.mentions.items() if allowed is None or doc in allowed)
            if count:
                ranked.append((-count, ent.label, e, count))
        ranked.sort()
        zero = np.zeros(len(self.corpus.sentences), dtype=np.float32)
        top = max((count for *_, count in ranked), default=1)
        hits = []
        for _, _, e, count in ranked:
            found = table.ev_idx[table.ev_ptr[e]:table.ev_ptr[e + 1]]
            if allowed is not None:
                found = np.array([i for i in found if self.corpus.sentences[i].doc in allowed],
                                 dtype=np.int64)
            hits.append(self._entity_hit(e, count, count / top, zero, found,
                                         list(table.names_of[e])))
        return hits

    def document_list(self, allowed: set[str] | None) -> list[Hit]:
        """Every document in scope, newest first."""
        docs = [d for d in self.corpus.docs.values() if allowed is None or d.iri in allowed]
        docs.sort(key=lambda d: (d.date or "", d.title), reverse=True)
        return [Hit(d.iri, "document", d.title or d.iri, None, d.iri, 1.0, [], d.title or None,
                    d.date) for d in docs]

    # -- every literal match ------------------------------------------------------------
    def literal_ranked(self, rtype: str, literal: Literal, sentence_score: np.ndarray,
                       target_score: np.ndarray, mask_s: np.ndarray | None) -> list[int]:
        """The ``rtype`` units (sentences, targets or document numbers) holding the literal
        phrases in the documents searched, best score first."""
        corpus = self.corpus
        found_s = literal.sentences if mask_s is None else literal.sentences & mask_s
        if rtype == "sentence":
            return _ranked(np.flatnonzero(found_s), sentence_score)
        if rtype == "document":
            # distinct, not np.unique, which hashes (numpy 2.4): a common phrase is in
            # 10⁵ sentences
            return _ranked(distinct(corpus.sent_doc[found_s]),
                           self.lifter.document_scores(sentence_score))
        found_t = literal.targets.copy()
        if mask_s is not None:
            found_t &= np.isin(corpus.target_doc, distinct(corpus.sent_doc[mask_s]))
        return _ranked(np.flatnonzero(found_t), target_score)

    def literal_hits(self, rtype: str, indices: list[int], literal: Literal,
                     sentence_score: np.ndarray, target_score: np.ndarray,
                     terms: list[str]) -> list[Hit]:
        """Hits of the units :meth:`literal_ranked` returned."""
        lifter = self.lifter
        words = sorted(set(terms) | set(literal.phrases), key=longest_first)
        if rtype == "sentence":
            return [lifter.sentence_hit(i, sentence_score, words) for i in indices]
        if rtype == "document":
            scores = lifter.document_scores(sentence_score)
            return [lifter.document_hit(d, scores, sentence_score, words) for d in indices]
        return [lifter.task_hit(t, target_score, sentence_score, words) for t in indices]

    # -- the entity a question names ---------------------------------------------------
    def named_entities(self, content: str, matches: list[Match], sentence_score: np.ndarray,
                       allowed: set[str] | None) -> list[Hit]:
        """The entities the question names, when naming them is all it does."""
        rest = nfkc(content)
        named: dict[int, bool] = {}
        for index, surface, preferred in matches:
            rest = rest.replace(surface, " ")
            if not self.lexicon.concepts[index].is_topic:
                named[index] = named.get(index, False) or preferred
        if not named or self.tokenizer.tokens(rest):
            return []
        if any(named.values()):
            named = {i: p for i, p in named.items() if p}
        table, hits = self.lifter.entity_table, []
        at = table.at
        for index in named:
            e = at.get(self.lexicon.concepts[index].iri)
            if e is None:
                continue
            ent = table.entities[e]
            count = sum(n for doc, n in ent.mentions.items() if allowed is None or doc in allowed)
            found = [i for i in table.ev_idx[table.ev_ptr[e]:table.ev_ptr[e + 1]]
                     if allowed is None or self.corpus.sentences[i].doc in allowed]
            if count or found:
                hits.append(self._entity_hit(e, count, 1.0, sentence_score,
                                             np.array(found, dtype=np.int64),
                                             list(table.names_of[e])))
        hits.sort(key=lambda h: -(h.mentions or 0))
        return hits[:NAMED_MAX]

    def _entity_hit(self, e: int, count: int, score: float, sentence_score: np.ndarray,
                    found: np.ndarray, words: list[str]) -> Hit:
        ent = self.lifter.entity_table.entities[e]
        shown = evidence(self.corpus.sentences, found, sentence_score, words)
        doc = shown[0].document if shown else None  # where the evidence shown first is
        title, date = self.corpus.doc_info(doc) if doc else (None, None)
        aliases = sorted(a for a in ent.aliases if a != ent.label)
        return Hit(ent.iri, ent.type or "entity", ent.label, None, doc, score, shown,
                   title, date, aliases=aliases, mentions=count)


def _ranked(indices: np.ndarray, scores: np.ndarray) -> list[int]:
    """``indices`` by descending score (stable)."""
    indices = np.asarray(indices, dtype=np.int64)
    return indices[np.argsort(-scores[indices], kind="stable")].tolist()
