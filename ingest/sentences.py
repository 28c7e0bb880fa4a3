"""Sentence splitting with exact offsets into the clean text."""
from __future__ import annotations

from .records import Sentence

_TERMINATORS = frozenset("。！？；!?;")
_PAIRS = {"《": "》", "“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕",
          "[": "]", "〈": "〉", "［": "］"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
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
    stack: list[tuple[str, int]] = []
    i, n = 0, len(text)

    def emit(end: int) -> None:
        s, e = start, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            sentences.append(Sentence(text[s:e], s, e))

    while i < n:
        ch = text[i]
        if ch == "\n":
            emit(i)
            start, stack = i + 1, []
        elif ch in _PAIRS:
            stack.append((ch, i))
        elif ch in _CLOSERS:
            opener = _CLOSERS[ch]
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == opener:
                    del stack[k:]
                    break
        elif ch in _TERMINATORS:
            while stack and i - stack[0][1] > _MAX_OPEN:
                stack.pop(0)
            if not stack:
                j = i + 1
                while j < n and text[j] in _TERMINATORS:
                    j += 1
                emit(j)
                start = j
                i = j
                continue
        i += 1
    emit(n)
    return tuple(sentences)
