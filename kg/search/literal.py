"""Literal matches: every sentence, target and document holding the question's words verbatim.

A question that occurs in the text as written (a term, a name, a quoted phrase)
is answered completely: ranking decides the order, never whether a verbatim
occurrence is shown. The phrases are the quoted parts of the question if any
and it asks little else, else the question without its intent words, else its runs of content
words (all of them must occur).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from .intent import INTENTS
from .terms import TermCounts
from .text import QueryTokenizer

__all__ = ["LiteralMatches", "literal_phrases"]

_QUOTED = re.compile(r"[\"“「『《']([^\"“”「」『』《》']{2,})[\"”」』》']")
_EDGE = " \t\r\n?？!！。.,，、;；:：\"'“”‘’「」『』《》()（）"


def _without_intent(text: str) -> str:
    """``text`` in NFKC (case kept) without the words that ask for a result type."""
    cased = unicodedata.normalize("NFKC", text)
    lowered = cased.lower()
    if len(lowered) != len(cased):  # offsets of the lowered text must fit the cased one
        cased = lowered
    for pattern, _rtype, _etype in INTENTS:
        match = re.search(pattern, lowered)
        if match:
            return cased[:match.start()] + " " + cased[match.end():]
    return cased


def literal_phrases(text: str, tokenizer: QueryTokenizer) -> list[list[str]]:
    """Alternatives, best first, each a list of phrases that must all occur.

    >>> literal_phrases('哪些句子提到“航空服务”？', None)
    [['航空服务']]
    """
    quoted = [q.strip() for q in _QUOTED.findall(unicodedata.normalize("NFKC", text))]
    # Chinese quotes a term inside a long question as a matter of style (“十三五”期间…取得了哪些
    # 成果): the quotes ask for the phrase only when little else is asked beside it
    asked = _without_intent(text)
    if quoted and (tokenizer is None
                   or len(tokenizer.content_runs(_QUOTED.sub(" ", asked))) <= 1):
        return [[q for q in quoted if q]]
    whole = asked.strip(_EDGE)
    out = [[whole]] if len(whole) >= 2 else []
    runs = tokenizer.content_runs(whole) if tokenizer is not None else []
    if runs and runs != [whole]:
        out.append(runs)
    return out


@dataclass
class Literal:
    """The phrases found and where: boolean masks over sentences and targets."""

    phrases: list[str]
    sentences: np.ndarray
    targets: np.ndarray


class LiteralMatches:
    """Finds the sentences and targets holding a question's phrases (counts are cached)."""

    def __init__(self, counts: TermCounts, tokenizer: QueryTokenizer):
        self.counts = counts
        self.tokenizer = tokenizer

    def find(self, text: str) -> Literal | None:
        """The first alternative of :func:`literal_phrases` that occurs in some sentence."""
        for phrases in literal_phrases(text, self.tokenizer):
            sentences = targets = None
            for phrase in phrases:
                in_sentences, in_targets, in_titles = self.counts.counts(phrase)
                here_s, here_t = in_sentences > 0, (in_targets + in_titles) > 0
                sentences = here_s if sentences is None else sentences & here_s
                targets = here_t if targets is None else targets & here_t
            if sentences is not None and sentences.any():
                return Literal(phrases, sentences, targets)
        return None
