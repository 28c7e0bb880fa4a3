"""Latin-script names of Chinese entity names: pinyin, and English where a rule gives one.

    pinyin_name("虹桥临空经济示范区")         # 'Hongqiao Linkong Jingji Shifanqu'
    english_name("东华大学", "Organization")  # 'Donghua University'

Pinyin is written word by word (words of the jieba dictionary, two to four
characters, cut as jieba would cut them), so that a question naming part of a place
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
    ("图书馆", "Library", None), ("国际机场", "International Airport", None),
    ("机场", "Airport", None), ("公园", "Park", "Place"), ("街道", "Subdistrict", "Place"),
    ("新区", "New Area", "Place"), ("自治区", "Autonomous Region", "Place"),
    ("自治州", "Autonomous Prefecture", "Place"), ("自治县", "Autonomous County", "Place"),
    ("区", "District", "Place"), ("县", "County", "Place"), ("镇", "Town", "Place"),
    ("乡", "Township", "Place"), ("省", "Province", "Place"), ("市", "City", "Place"),
)
#: Short generic words ending in a suffix above that are not an administrative unit (示范区 is a
#: demonstration zone, 地区 a region): a name ending in one of them gets no English by rule.
_NOT_ADMINISTRATIVE = ("地区", "园区", "片区", "小区", "社区", "城区", "街区", "景区", "示范区",
                       "集聚区", "功能区", "开发区", "自贸区", "试验区", "城镇", "乡镇", "城乡",
                       "城市", "都市", "超市", "股市", "楼市", "夜市", "集市", "城关镇")
_GENERICS = frozenset("省市区县镇乡")
_ORDINAL = re.compile("(第[〇零一二两三四五六七八九十百千]+)")
#: The four municipalities under the central government: "Shanghai", not "Shanghai City".
_MUNICIPALITIES = {"北京市": "Beijing", "上海市": "Shanghai", "天津市": "Tianjin",
                   "重庆市": "Chongqing"}
#: Characters read differently at the start of a word of a name than pypinyin's default
#: (长宁, 长治, 长三角, 长效: cháng, not zhǎng), but for the words that do begin with zhǎng.
_NAME_READINGS = {"长": "chang"}
_DEFAULT_READING = frozenset({"长者", "长辈", "长官", "长大", "长老", "长子", "长女", "长孙",
                              "长兄", "长姐", "长房", "长势"})


def _words(name: str) -> list[str]:
    """``name`` cut into dictionary words of two to four characters where the cut is the most
    probable one (jieba's own route over its dictionary, as it cuts without its HMM; a word of
    four made of two words of two is two), runs of other characters kept together; ``name``
    itself is never one word."""
    tokenizer = shared_tokenizer()
    # jieba's word graph without words over four characters or the whole name (a name of the
    # user dictionary), then its route; the longest word first cut 上海市人 / 民政 / 府
    # ("Shanghaishiren Minzheng Fu")
    graph = {i: [end for end in ends if end - i < _WORD_MAX and end - i + 1 < len(name)] or [i]
             for i, ends in tokenizer.get_DAG(name).items()}
    route: dict[int, tuple[float, int]] = {}
    tokenizer.calc(name, graph, route)
    freq = tokenizer.FREQ  # read once get_DAG has loaded the dictionary
    words: list[str] = []
    loose = ""
    i = 0
    while i < len(name):
        piece = name[i:route[i][1] + 1]
        i += len(piece)
        if len(piece) == 1:
            loose += piece
            continue
        if loose:
            words.append(loose)
            loose = ""
        if len(piece) == 4 and freq.get(piece[:2]) and freq.get(piece[2:]):
            words += [piece[:2], piece[2:]]  # 人民政府 is two words: Renmin Zhengfu
        else:
            words.append(piece)
    if loose:
        words.append(loose)
    return words


def _generic_apart(words: list[str]) -> list[str]:
    """Each word ending in an administrative unit cut before it (上海市 → 上海 市), as place
    names are written in pinyin (Shanghai Shi, Changning Qu)."""
    out = []
    for word in words:
        if len(word) >= 3 and word[-1] in _GENERICS and not word.endswith(_NOT_ADMINISTRATIVE):
            out += [word[:-1], word[-1]]
        else:
            out.append(word)
    return out


def pinyin_name(name: str) -> str | None:
    """``name`` in pinyin, one capitalised word per dictionary word; ``None`` unless all Han.

    >>> pinyin_name("东华大学"), pinyin_name("长宁"), pinyin_name("互联网+")
    ('Donghua Daxue', 'Changning', None)
    """
    from pypinyin import lazy_pinyin

    name = (name or "").strip()
    if len(name) < 2 or not _HAN.match(name):
        return None
    # a short name is one word (Changning, Jinbohui), but for its unit (Changning Qu); an
    # ordinal is one word (第十四届: Di-shisi Jie, not Dishi Sijie)
    words = [name] if len(name) <= 3 and name[-1] not in _GENERICS else \
        [w for i, part in enumerate(_ORDINAL.split(name)) if part
         for w in ([part] if i % 2 else _words(part))]
    out = []
    for word in _generic_apart(words):
        if _ORDINAL.fullmatch(word):
            out.append("Di-" + "".join(lazy_pinyin(word[1:])))
            continue
        syllables = lazy_pinyin(word)
        if word[0] in _NAME_READINGS and word not in _DEFAULT_READING:
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
    if name in _MUNICIPALITIES and entity_type == "Place":
        return _MUNICIPALITIES[name]
    for suffix, generic, needed_type in _ENGLISH_SUFFIXES:
        if name.endswith(suffix) and (needed_type is None or needed_type == entity_type):
            stem = name[:-len(suffix)]
            if len(stem) < 2:
                return None
            romanised = pinyin_name(stem)
            return f"{romanised} {generic}" if romanised else None
    return None
