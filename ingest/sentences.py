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


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Split ``text`` into sentences with ``[start, end)`` offsets.

    Sentences end after 。！？； or ASCII !?; (with any run of them) and at line
    breaks, but never inside 《》, “”, ‘’, 「」 or brackets. Surrounding
    whitespace is not part of a sentence, and empty sentences are dropped.

    >>> [s.text for s in split_sentences("根据《关于A；B的意见》，做好。二是“好！”\\n三")]
    ['根据《关于A；B的意见》，做好。', '二是“好！”', '三']
    """
    sentences: list[Sentence] = []
    start = 0
    # Open brackets as (opener, offset); entries below ``base`` have been given up
    # (left open too long). ``tops`` keeps, per opener, the stack indexes where it
    # sits, so a closer finds its opener without scanning the stack: linear time.
    stack: list[tuple[str, int]] = []
    base = 0
    tops: dict[str, list[int]] = {opener: [] for opener in _PAIRS}
    n = len(text)

    def emit(end: int) -> None:
        s, e = start, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            sentences.append(Sentence(text[s:e], s, e))

    def truncate(k: int) -> None:
        del stack[k:]
        for positions in tops.values():
            while positions and positions[-1] >= k:
                positions.pop()

    skip_to = 0
    # Only line breaks, brackets and terminators change anything: jump from one to the next.
    for found in _SPECIAL.finditer(text):
        i = found.start()
        if i < skip_to:
            continue  # inside a run of terminators already emitted
        ch = text[i]
        if ch == "\n":
            emit(i)
            start = i + 1
            truncate(0)
            base = 0
        elif ch in _PAIRS:
            tops[ch].append(len(stack))
            stack.append((ch, i))
        elif ch in _CLOSERS:
            positions = tops[_CLOSERS[ch]]
            if positions and positions[-1] >= base:
                truncate(positions[-1])
        elif ch in _TERMINATORS:
            while base < len(stack) and i - stack[base][1] > _MAX_OPEN:
                base += 1
            if base == len(stack):
                truncate(0)
                base = 0
                j = i + 1
                while j < n and text[j] in _TERMINATORS:
                    j += 1
                emit(j)
                start = skip_to = j
    emit(n)
    return tuple(sentences)
