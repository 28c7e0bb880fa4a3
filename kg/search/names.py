"""Proper names in a question that the store never mentions ("Chicago", "Schengen", "Gmail",
周杰伦, 德国): a sign the question is about something else (issue 13, item 7).

A Chinese question's names are the words jieba's dictionary tags as names of people, places
or works (:meth:`QueryTokenizer.proper_names`; not organisations, which questions abbreviate),
absent when no sentence holds them (:func:`absent_chinese`). The rest is about English.

An English question reaches the store's Chinese words only through translations, labels and
meaning; a name (a run of capitalised words) that has none of these in the store is a strong
hint that the question asks about another place, body or product. Names are judged against:

- the labels the question links to (English and pinyin labels of topics and entities);
- the store's own Latin tokens ("GDP", "5G") and the pinyin of its Chinese words ("Caohejing",
  "Jishishan": names no dictionary holds);
- CC-CEDICT's glosses read backwards, for glosses that *are* a name ("California" → 加州, 加利福尼亚;
  "European Union (EU)" → 欧盟): a name the dictionary knows is known to the store when the
  store holds one of its Chinese headwords, and absent otherwise.

Only words a reader would take for names count: capitalised words whose lower-case form no
gloss uses ("Schengen", "Ontario") and acronyms the dictionary holds ("EU", "UK"); "What" or
"Under" at the start of a question, and names made of ordinary words ("Federal Reserve",
"Five-Year Plan": the dictionary's 五年计划 is the reports' 五年规划), are not judged.
"""
from __future__ import annotations

import bisect
import functools
import gzip
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from .text import CJK, in_sorted, stem, word_keys

__all__ = ["NameTable", "absent_chinese", "absent_names", "build", "name_runs",
           "surface_words"]

#: lower-case words a gloss may add to a name and still be only that name ("Gansu province")
_KIND = frozenset("province city county district river lake mountain mountains island islands "
                  "state prefecture region sea strait bay peninsula desert".split())
_WORD = r"(?:[A-Z][A-Za-z'\-]*|[A-Z0-9]*[A-Z][A-Z0-9]+)"
_RUN = re.compile(rf"{_WORD}(?: {_WORD})*")
_PAREN = re.compile(r"\(([^)]*)\)")
#: capitalised in English, but no names: a date is no subject of its own
_CALENDAR = frozenset("january february march april may june july august september october "
                      "november december monday tuesday wednesday thursday friday saturday "
                      "sunday".split())
#: pinyin shorter than this is too likely to be an English word ("Lima", "Hebe")
PINYIN_MIN = 5


@functools.lru_cache(maxsize=1)  # about a second to read; shared by every store of a process
def _dictionary_names() -> tuple[dict[str, tuple[str, ...]], frozenset[str], frozenset[str]]:
    """(name as written lower-cased → its Chinese headwords, every lower-case gloss word, the
    ambiguous headwords) from CC-CEDICT: a name is a gloss that consists of one run of
    capitalised words (after "the", before a comma, with a word for its kind), or an acronym
    in brackets beside one. An entry names only while its glosses do: 内地's "Japan" comes
    after "mainland China" and "inland", 三星's "Samsung" after a township's description.
    A headword is ambiguous when an entry of it is an ordinary word (小米 "millet" beside
    "Xiaomi", 三星 "three stars" beside "Samsung"): a store holding it may mean the word."""
    from .bridge import _SKIP, _data_file, entries

    path = _data_file()
    if path is None:
        return {}, frozenset(), frozenset()
    names: dict[str, dict[str, None]] = {}
    common: set[str] = set()
    ordinary: set[str] = set()
    with gzip.open(path.open("rb"), "rt", encoding="utf-8") as lines:
        for word, proper, glosses in entries(lines, 8):
            naming = True
            for gloss in glosses:
                common.update(re.findall(r"(?<![A-Za-z])[a-z][a-z'\-]*", gloss))
                if gloss.lower().startswith(_SKIP):
                    continue
                found = _gloss_names(gloss) if naming else []
                naming = bool(found)
                if not proper and not found and gloss is glosses[0]:
                    ordinary.add(word)
                for name in found:
                    names.setdefault(name.lower(), {})[word] = None
    return ({name: tuple(words) for name, words in names.items()}, frozenset(common),
            frozenset(ordinary))


def _gloss_names(gloss: str) -> list[str]:
    """The names a gloss consists of: the run itself, its last two or more words when it is
    longer ("US Federal Reserve" → "Federal Reserve"), and an acronym in brackets beside it."""
    inside = [p.strip() for p in _PAREN.findall(gloss)]
    head = _PAREN.sub(" ", gloss).split(",")[0].split(";")[0]
    head = re.sub(r"^(the|a|an) ", "", " ".join(head.split()))
    words = head.split(" ")
    while len(words) > 1 and words[-1] in _KIND:
        words.pop()
    run = " ".join(words)
    # an acronym in brackets that spells the head's initials ("value-added tax (VAT)")
    initials = "".join(w[0] for w in re.split(r"[\s\-]+", head) if w).upper()
    acronyms = [p for p in inside if re.fullmatch(r"[A-Z][A-Z0-9]+", p) and p == initials]
    if not run or not _RUN.fullmatch(run):
        return acronyms
    return [run] + [" ".join(words[i:]) for i in range(1, len(words) - 1)] + acronyms


def surface_words(surface: str) -> list[str]:
    """The words of a linked label's surface as names are matched against them: split at
    spaces and hyphens, a possessive 's dropped."""
    return [re.sub(r"'s$", "", w) for w in re.split(r"[\s\-]+", surface)]


def name_runs(question: str) -> list[list[str]]:
    """The runs of capitalised words of ``question`` (a possessive 's dropped), in order."""
    runs: list[list[str]] = []
    run: list[str] = []
    for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9\-]*(?:'[A-Za-z]+)?|\S", question):
        token = re.sub(r"'s$", "", token)
        if re.fullmatch(_WORD, token) and len(token) > 1:
            run.append(token)
            continue
        if run:
            runs.append(run)
        run = []
    if run:
        runs.append(run)
    return runs


@dataclass(frozen=True)
class NameTable:
    """What a store knows of names: the dictionary's names it holds and lacks, and the
    pinyin of its Chinese words.

    ``known`` and ``absent`` are the lower-cased names of :func:`_dictionary_names` whose
    headwords the store holds (one at least: ``known`` maps the name to those it holds) or
    lacks (all); ``common`` the dictionary's
    lower-case gloss words (as one newline-joined text: a set of 37,000 words held 3 MB per
    store); ``pinyin`` the sorted toneless pinyin of the store's Chinese words."""

    known: dict[str, tuple[str, ...]]
    absent: frozenset[str]
    common: str
    pinyin: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"known": {name: list(heads) for name, heads in sorted(self.known.items())},
                "absent": sorted(self.absent), "common": self.common,
                "common_keys": self._common_keys.tolist(), "pinyin": list(self.pinyin)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "NameTable":
        table = cls({str(n): tuple(h) for n, h in dict(data["known"]).items()},
                    frozenset(data["absent"]), str(data["common"]), tuple(data["pinyin"]))
        keys = np.array(data["common_keys"], dtype=np.uint64)
        # saved with the table: hashing the 38,000 words again took 70–100 ms of the first
        # English question after a start (a damaged list is caught where the table is read)
        if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            raise ValueError("the saved keys of the dictionary's words are not sorted")
        table.__dict__["_common_keys"] = keys
        return table

    @functools.cached_property
    def _common_keys(self) -> np.ndarray:
        # sorted keys: a search in the joined text took 160 µs a word
        return np.unique(word_keys(self.common.split()))

    def is_common(self, word: str) -> bool:
        """Whether the dictionary uses ``word`` (lower case) as an ordinary word."""
        return bool(in_sorted(self._common_keys, word_keys([word]))[0])

    def in_pinyin(self, word: str) -> bool:
        """Whether ``word`` (lower case) begins the pinyin of one of the store's words."""
        word = word.replace("-", "").replace("'", "")
        if len(word) < PINYIN_MIN or not word.isalpha():
            return False
        at = bisect.bisect_left(self.pinyin, word)
        return at < len(self.pinyin) and self.pinyin[at].startswith(word)

    @functools.cached_property
    def known_words(self) -> dict[str, tuple[str, ...]]:
        """The words of the dictionary names the store holds ("yangtze" of "Yangtze River"; not
        the names joined in one: "US-Japan" 美日 is no evidence of "Japan"), each with the
        headwords of those names the store holds."""
        words: dict[str, dict[str, None]] = {}
        for name, heads in self.known.items():
            for word in name.split():
                words.setdefault(word, {}).update(dict.fromkeys(heads))
        return {word: tuple(heads) for word, heads in words.items()}

    def named_forms(self, question: str, linked: dict[str, tuple[str, ...]],
                    vocabulary: Any) -> list[tuple[str, tuple[str, ...]]] | None:
        """The names of ``question`` the store knows, each with the Chinese forms it holds
        them by: the labels it links to (``linked``: a lower-case word of a linked label's
        surface → the Chinese labels), else a dictionary name's headwords. None when a name
        is known otherwise (a store token such as "GDP", the pinyin of a store word): which
        words of the texts spell it is then not known."""
        if CJK.search(question) or question.upper() == question:
            return []
        out = []
        for run in name_runs(question):
            words, proper, _, joined = self._proper_words(run)
            if not proper:
                continue
            forms = [f for w in proper for f in linked.get(w, ())]
            if not forms:
                if any(stem(w) in vocabulary or self.in_pinyin(w) for w in proper):
                    return None
                forms = [f for span, held in self._dictionary_spans(words, set(proper)).items()
                         if held for f in self.known[span]]
                forms += [f for w in proper if self._in_known_name(w, joined)
                          for f in self.known.get(w) or self.known_words[w]]
            if forms:
                out.append((" ".join(run), tuple(dict.fromkeys(forms))))
        return out

    def absent_names(self, question: str, linked: str, vocabulary: Any) -> list[str]:
        """The names of ``question`` the store does not know, when it knows none of them.

        A name counts by its proper words (not ordinary words of the dictionary's glosses:
        "Five-Year Plan", "Federal Reserve" are translated too many ways to judge). A proper
        word is known as a word of ``linked`` (the surfaces of the labels the question links
        to, lower case), a token of ``vocabulary``, the pinyin of a store word, a word of a
        dictionary name the store holds, or inside such a name. An acronym the dictionary does
        not hold ("DEPA") is not judged: Chinese texts spell such names out. A question naming
        one thing the store knows is about the store, whatever else it names."""
        if CJK.search(question) or question.upper() == question:
            return []
        linked_words = set(surface_words(linked))
        out = []
        for run in name_runs(question):
            words, proper, acronyms, joined = self._proper_words(run)
            if not proper:
                continue
            if any(w in linked_words or stem(w) in vocabulary or self.in_pinyin(w)
                   or self._in_known_name(w, joined) for w in proper):
                return []
            named = self._dictionary_spans(words, set(proper))
            if any(named.values()):
                return []
            unknown = [w for w in proper if w not in acronyms or w in self.absent]
            if named or unknown:
                out.append(" ".join(run))
        return out

    def _in_known_name(self, word: str, joined: set[str] = frozenset()) -> bool:
        """Whether ``word`` is a name the store holds or a word of one, not itself a name the
        store lacks ("us" of "US Open" 美网 says nothing of "US" 美国, judged on its own),
        unless it is ``joined`` to another in a hyphenated name ("Europe" of "China-Europe"
        may be held as 中欧, "Central Europe")."""
        return word in self.known or (word in self.known_words
                                      and (word not in self.absent or word in joined))

    def _proper_words(self, run: list[str]
                      ) -> tuple[list[str], list[str], set[str], set[str]]:
        """(the run's words lower-cased, its proper words, the acronyms among them, the parts
        of hyphenated words): each part of a hyphenated name on its own ("Baotou-Lanzhou",
        "China-ASEAN") unless the dictionary names it whole; months and weekdays are no
        names."""
        words = [w.lower() for w in run]
        parts = [(part, raw_part) for w, raw in zip(words, run)
                 for part, raw_part in ([(w, raw)] if w in self.known or w in self.absent
                                        else zip(w.split("-"), raw.split("-"))) if part]
        acronyms = {p for p, raw in parts if raw.isupper() and len(raw) > 1}
        joined = {p for w in words if "-" in w and w not in self.known and w not in self.absent
                  for p in w.split("-")}
        return words, [p for p, _ in parts if p not in _CALENDAR
                       and (p in acronyms or not self.is_common(p))], acronyms, joined

    def _dictionary_spans(self, words: list[str], proper: set[str]) -> dict[str, bool]:
        """The longest spans of ``words`` that are dictionary names, left to right, each with
        whether the store holds it (a single word only when it is one of the ``proper``)."""
        found: dict[str, bool] = {}
        i = 0
        while i < len(words):
            for n in range(len(words) - i, 0, -1):
                span = " ".join(words[i:i + n])
                if n == 1 and span not in proper:
                    continue
                if span in self.known or span in self.absent:
                    found[span] = span in self.known
                    i += n
                    break
            else:
                i += 1
        return found


#: words jieba's dictionary tags as names that ask rather than name
_ASKING = re.compile(r"多少|怎么|什么|哪|几")


def absent_chinese(names: Iterable[str], linked: str, vocabulary: Any,
                   tokens: Callable[[str], list[str]]) -> list[str]:
    """Of ``names`` (the words of a Chinese question tagged as names of people, places,
    works), those the store never mentions: neither in ``linked`` (the surfaces of
    the labels the question links to) nor in ``vocabulary``, whole or cut by ``tokens``."""
    out = []
    for name in dict.fromkeys(names):
        if _ASKING.search(name) or name in linked or name in vocabulary:
            continue
        parts = tokens(name)
        if not parts or not all(p in vocabulary for p in parts):
            out.append(name)
    return out


def absent_names(text: str, linked: str, vocabulary: Any, tokenizer: Any,
                 table: Callable[[], NameTable | None]) -> list[str]:
    """The names of question ``text`` the store never mentions, Chinese or English (``linked``:
    the surfaces of the labels it links to, lower case; ``tokenizer``: a ``QueryTokenizer``;
    ``table()``: the store's :class:`NameTable`, read only for an English question)."""
    if CJK.search(text):
        return absent_chinese(tokenizer.proper_names(text), linked, vocabulary, tokenizer.tokens)
    names = table() if re.search(r"[A-Z]", text) else None
    return names.absent_names(text, linked, vocabulary) if names is not None else []


def build(vocabulary: Any, tokens: Callable[[str], list[str]],
          words: Iterable[str]) -> NameTable:
    """The name table of a store whose search tokens are ``vocabulary`` (``in``; ``tokens``
    cuts a word into them) and whose Chinese words are ``words``."""
    from pypinyin import lazy_pinyin

    names, common, ambiguous = _dictionary_names()
    # the store's words and their beginnings and ends: the sentences are cut otherwise than a
    # dictionary headword alone (全国人大 begins the token 全国人大常委会); a piece from inside
    # a word is no evidence (日美 inside 节日美化 is no "US-Japan")
    pieces = {p for w in vocabulary if CJK.match(w) and len(w) <= 12
              for i in range(2, len(w)) for p in (w[:i], w[-i:])}
    held: dict[str, bool] = {}

    def holds(word: str) -> bool:
        if word not in held:
            parts = [word] if word in vocabulary or word in pieces else tokens(word)
            held[word] = bool(parts) and all(p in vocabulary or p in pieces for p in parts)
        return held[word]

    # a name is known by a headword the store holds that only names (小米 held as millet
    # does not make "Xiaomi" known)
    known = {n: kept for n, heads in names.items()
             if (kept := tuple(h for h in heads if h not in ambiguous and holds(h)))}
    absent = frozenset(names) - known.keys()
    pinyin = sorted({"".join(lazy_pinyin(w)) for w in words
                     if len(w) >= 2 and all(CJK.match(c) for c in w)})
    return NameTable(known, absent, "\n" + "\n".join(sorted(common)) + "\n", tuple(pinyin))
