"""Sentence splitting with exact offsets into the clean text."""
from __future__ import annotations

import re

from .records import Sentence

_TERMINATORS = frozenset("。！？；!?;")
_PAIRS = {"《": "》", "“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕",
          "[": "]", "〈": "〉", "［": "］"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
_SPECIAL = re.compile("[\n" + re.escape("".join(_TERMINATORS) + "".join(_PAIRS) + "".join(_CLOSERS)) + "]")
#: An opening bracket left open this long is a typo, not a quotation.
_MAX_OPEN = 300


class _OpenBrackets:
    """The brackets open at a point of a line, as (opener, offset) on a stack.

    Entries below ``base`` have been given up (left open too long). ``tops`` keeps,
    per opener, the stack indexes where it sits, so a closer finds its opener
    without scanning the stack: every step is amortised constant time.
    """

    def __init__(self) -> None:
        self.stack: list[tuple[str, int]] = []
        self.base = 0
        self.tops: dict[str, list[int]] = {opener: [] for opener in _PAIRS}

    def open(self, opener: str, offset: int) -> None:
        self.tops[opener].append(len(self.stack))
        self.stack.append((opener, offset))

    def close(self, closer: str) -> None:
        """Close the innermost open ``closer``'s opener and everything opened inside it."""
        positions = self.tops[_CLOSERS[closer]]
        if positions and positions[-1] >= self.base:
            self._truncate(positions[-1])

    def none_open_at(self, offset: int) -> bool:
        """Whether nothing is open at ``offset``, once brackets open too long are given up."""
        stack = self.stack
        while self.base < len(stack) and offset - stack[self.base][1] > _MAX_OPEN:
            self.base += 1
        return self.base == len(stack)

    def clear(self) -> None:
        self._truncate(0)
        self.base = 0

    def _truncate(self, k: int) -> None:
        del self.stack[k:]
        for positions in self.tops.values():
            while positions and positions[-1] >= k:
                positions.pop()


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Split ``text`` into sentences with ``[start, end)`` offsets.

    Sentences end after 。！？； or ASCII !?; (with any run of them) and at line
    breaks, but never inside 《》, “”, ‘’, 「」 or brackets. Surrounding
    whitespace is not part of a sentence, and empty sentences are dropped.

    >>> [s.text for s in split_sentences("根据《关于A；B的意见》，做好。二是“好！”\\n三")]
    ['根据《关于A；B的意见》，做好。', '二是“好！”', '三']
    """
    sentences: list[Sentence] = []
    start = skip_to = 0
    n = len(text)
    brackets = _OpenBrackets()

    def emit(end: int) -> None:
        s, e = start, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            sentences.append(Sentence(text[s:e], s, e))

    # Only line breaks, brackets and terminators change anything: jump from one to the next.
    for found in _SPECIAL.finditer(text):
        i = found.start()
        if i < skip_to:
            continue  # inside a run of terminators already emitted
        ch = text[i]
        if ch == "\n":
            emit(i)
            start = i + 1
            brackets.clear()
        elif ch in _PAIRS:
            brackets.open(ch, i)
        elif ch in _CLOSERS:
            brackets.close(ch)
        elif ch in _TERMINATORS and brackets.none_open_at(i):
            brackets.clear()
            j = i + 1
            while j < n and text[j] in _TERMINATORS:
                j += 1
            emit(j)
            start = skip_to = j
    emit(n)
    return tuple(sentences)
