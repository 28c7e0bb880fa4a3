"""Latin-script names of Chinese entity names: pinyin, and English where a rule gives one.

    pinyin_name("虹桥临空经济示范区")         # 'Hongqiao Linkong Jingji Shifanqu'
    english_name("东华大学", "Organization")  # 'Donghua University'

Pinyin is written word by word (words of the jieba dictionary, two to four
characters, longest first), so that a question naming part of a place
("Hongqiao") meets the words of its name. pypinyin reads the characters
(a heteronym in a rare name may come out wrong: the alias table's English
label, when there is one, is the better name).
"""
from __future__ import annotations

import re

from .tokenizer import shared_tokenizer

__all__ = ["pinyin_name", "english_name", "PINYIN_LANG"]

#: The language tag of pinyin labels (BCP 47: Chinese in Latin script, pinyin).
PINYIN_LANG = "zh-Latn-pinyin"

_HAN = re.compile(r"^[\u3400-\u9fff]+$")
_WORD_MAX = 4
# Chinese suffix → English generic word, longest first; the rest of the name is romanised.
_ENGLISH_SUFFIXES = (
    ("大学", "University", "Organization"), ("学院", "College", "Organization"),
    ("医院", "Hospital", "Organization"), ("博物馆", "Museum", None), ("美术馆", "Art Museum", None),
    ("图书馆", "Library", None), ("机场", "Airport", None), ("公园", "Park", "Place"),
    ("街道", "Subdistrict", "Place"), ("新区", "New Area", "Place"), ("区", "District", "Place"),
    ("县", "County", "Place"), ("镇", "Town", "Place"),
)
#: Short generic words ending in a suffix above that are not an administrative unit (示范区 is a
#: demonstration zone, 地区 a region): a name ending in one of them gets no English by rule.
_NOT_ADMINISTRATIVE = ("地区", "园区", "片区", "小区", "社区", "城区", "街区", "景区", "示范区",
                       "集聚区", "功能区", "开发区", "自贸区", "试验区", "城镇", "乡镇")
#: Characters read differently at the start of a place name than pypinyin's default
#: (长宁, 长三角: cháng, not zhǎng).
_NAME_READINGS = {"长": "chang"}


def _words(name: str) -> list[str]:
    """``name`` cut into dictionary words (2–4 characters, longest first), runs of other
    characters kept together."""
    freq = shared_tokenizer().FREQ
    words: list[str] = []
    loose = ""
    i = 0
    while i < len(name):
        for size in range(min(_WORD_MAX, len(name) - i), 1, -1):
            piece = name[i:i + size]
            if piece != name and freq.get(piece):
                break
        else:
            loose += name[i]
            i += 1
            continue
        if loose:
            words.append(loose)
            loose = ""
        words.append(piece)
        i += size
    if loose:
        words.append(loose)
    return words


def pinyin_name(name: str) -> str | None:
    """``name`` in pinyin, one capitalised word per dictionary word; ``None`` unless all Han.

    >>> pinyin_name("东华大学"), pinyin_name("长宁"), pinyin_name("互联网+")
    ('Donghua Daxue', 'Changning', None)
    """
    from pypinyin import lazy_pinyin

    name = (name or "").strip()
    if len(name) < 2 or not _HAN.match(name):
        return None
    out = []
    for word in _words(name):
        syllables = lazy_pinyin(word)
        if not out and word[0] in _NAME_READINGS:
            syllables[0] = _NAME_READINGS[word[0]]
        out.append("".join(syllables).capitalize())
    return " ".join(out)


def english_name(name: str, entity_type: str | None) -> str | None:
    """An English name by rule (…大学 → … University, …区 → … District), else ``None``.

    >>> english_name("东华大学", "Organization"), english_name("徐汇区", "Place")
    ('Donghua University', 'Xuhui District')
    >>> english_name("东华大学", "Place"), english_name("中共长宁区委", "Organization")
    (None, None)
    """
    name = (name or "").strip()
    if name.endswith(_NOT_ADMINISTRATIVE):
        return None
    for suffix, generic, needed_type in _ENGLISH_SUFFIXES:
        if name.endswith(suffix) and (needed_type is None or needed_type == entity_type):
            stem = name[:-len(suffix)]
            if len(stem) < 2:
                return None
            romanised = pinyin_name(stem)
            return f"{romanised} {generic}" if romanised else None
    return None
