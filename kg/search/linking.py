"""Concept linking: question words that name a topic or an entity, in Chinese or English.

Chinese labels are looked up by substring, English labels by their sequence of
normalised words ("historic neighbourhoods" meets "historic neighborhood").
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Iterable

from .tables import Entity, SavedTables
from .text import CJK, EN_TOKEN, QueryTokenizer, en_key, nfkc, written_together

__all__ = ["Concept", "Lexicon", "Match", "read_topic_labels", "load_lexicon"]

#: (concept index, matched surface, whether the surface is a preferred label)
Match = tuple[int, str, bool]


@dataclass
class Concept:
    """A topic or entity that question words can link to."""

    iri: str
    zh_terms: tuple[str, ...]  # Chinese labels, searched for in the text
    is_topic: bool
    names_zh: tuple[str, ...] = ()  # Chinese preferred labels (every name of an entity)


#: Layout of a saved :class:`Lexicon` (the bundled topic scheme's hash is added to it): change it
#: with the layout or with the way labels are normalised (``nfkc``, ``en_key``).
LEXICON_VERSION = "lexicon v2"

#: Last words an English name may go without and still name the same thing ("the Belt and Road"
#: for the Belt and Road Initiative, "Rural Revitalization" for the … Strategy): what a name
#: calls itself, not what it is about.
GENERIC_HEADS = frozenset({"initiative", "strategy", "programme", "program", "project", "plan",
                           "campaign"})


_MARKS = re.compile(r"[\u3000-\u303f\uff00-\uff0f\u2018-\u201f\"'()\[\]《》]")


def _without_generic_head(names: Iterable[str]) -> list[str]:
    """The English ``names`` ending in a :data:`GENERIC_HEADS` word, without it, when at least
    two words are left.

    >>> _without_generic_head(["Belt and Road Initiative", "Plan", "Healthy Plan", "一带一路"])
    ['belt and road']
    """
    out = []
    for name in names:
        if not name or CJK.search(name):
            continue
        words = EN_TOKEN.findall(nfkc(name))
        if len(words) >= 3 and en_key(words[-1]) in GENERIC_HEADS:
            out.append(" ".join(words[:-1]))
    return out


def load_lexicon(store: Any, tables: SavedTables | None,
                 entities: dict[str, Entity]) -> "Lexicon":
    """The lexicon of the store's topics and ``entities``, kept in ``tables``
    (``kg.cache.Tables``) for the store's generation and the bundled scheme's bytes:
    reading the labels and normalising 3·10⁴ of them takes about a second."""
    if tables is None:
        return Lexicon(read_topic_labels(store), entities)
    from ...ontology import TOPICS

    try:
        version = f"{LEXICON_VERSION} {hashlib.sha256(TOPICS.read_bytes()).hexdigest()[:16]}"
    except OSError:
        return Lexicon(read_topic_labels(store), entities)
    saved = tables.saved("search-lexicon", version)
    lexicon = Lexicon.from_table(saved) if saved is not None else None
    if lexicon is None:
        lexicon = Lexicon(read_topic_labels(store), entities)
        tables.save("search-lexicon", version, lexicon.to_table())
    return lexicon


def read_topic_labels(store: Any) -> dict[str, dict[str, set[str]]]:
    """Topic IRI → {"pref": labels, "alt": labels}: the store's scheme and the bundled file."""
    topics: dict[str, dict[str, set[str]]] = {}
    try:
        for r in store.select_rows("""SELECT ?t ?p ?l WHERE { ?t a skos:Concept .
                VALUES ?p { skos:prefLabel skos:altLabel } ?t ?p ?l }"""):
            kind = "pref" if r["p"].endswith("prefLabel") else "alt"
            topics.setdefault(r["t"], {"pref": set(), "alt": set()})[kind].add(r["l"])
    except Exception:  # a store without the topic scheme: the file still gives it
        pass
    try:
        from ..topics import load_topics

        for topic in load_topics():
            labels = topics.setdefault(topic.iri, {"pref": set(), "alt": set()})
            labels["pref"].update(l for l in (topic.label_zh, topic.label_en) if l)
            labels["alt"].update(l for l in (*topic.alt_labels_zh, *topic.alt_labels_en) if l)
    except (ImportError, OSError, ValueError, AttributeError):
        pass
    return topics


class Lexicon:
    """Topic and entity labels (zh, en, alternatives) question words can link to."""

    def __init__(self, topics: dict[str, dict[str, set[str]]], entities: dict[str, Entity]):
        self.concepts: list[Concept] = []
        # (normalised surface, concept index, whether the surface names the concept itself)
        surfaces: list[tuple[str, int, bool]] = []
        for iri in sorted(topics):
            self._add(surfaces, iri, topics[iri]["pref"], topics[iri]["alt"] - topics[iri]["pref"],
                      True)
        # the first word of an entity's pinyin name ("hongqiao" of Hongqiao Linkong Jingji
        # Shifanqu) links to it when no whole label covers that word
        self._partial: dict[str, list[tuple[int, bool]]] = {}
        for iri in sorted(entities):
            ent = entities[iri]
            index = self._add(surfaces, iri, {ent.label, *ent.aliases}, set(), False)
            if index is not None:  # "Belt and Road" names the Belt and Road Initiative
                surfaces.extend((short, index, True) for short in _without_generic_head(
                    {ent.label, *ent.aliases}))
            for name in sorted(ent.pinyin) if index is not None else ():
                words = EN_TOKEN.findall(nfkc(name))
                if len(words) >= 2 and len(words[0]) >= 4:
                    bucket = self._partial.setdefault(en_key(words[0]), [])
                    if (index, False) not in bucket:
                        bucket.append((index, False))
        # Chinese surfaces by string, English labels by their normalised word sequence
        # (so plurals and British/American spellings meet)
        self._zh: dict[str, list[tuple[int, bool]]] = {}
        self._en: dict[tuple[str, ...], list[tuple[int, bool]]] = {}
        for surface, index, pref in surfaces:
            if CJK.search(surface):
                bucket = self._zh.setdefault(surface, [])
            else:
                key = tuple(en_key(w) for w in EN_TOKEN.findall(surface))
                if not key:
                    continue
                bucket = self._en.setdefault(key, [])
            if (index, pref) not in bucket:
                bucket.append((index, pref))
        self._finish()

    def _finish(self) -> None:
        self._zh_longest = max((len(s) for s in self._zh), default=0)
        self._en_longest = max((len(k) for k in self._en), default=0)
        self._tokens: dict[int, list[str]] = {}

    def to_table(self) -> dict[str, list]:
        """JSON data :meth:`from_table` reads back."""
        def pairs(bucket: list[tuple[int, bool]]) -> list[list]:
            return [[index, pref] for index, pref in bucket]

        return {"concepts": [[c.iri, list(c.zh_terms), c.is_topic, list(c.names_zh)]
                             for c in self.concepts],
                "zh": [[surface, pairs(b)] for surface, b in self._zh.items()],
                "en": [[list(key), pairs(b)] for key, b in self._en.items()],
                "partial": [[word, pairs(b)] for word, b in self._partial.items()]}

    @classmethod
    def from_table(cls, table: Any) -> "Lexicon | None":
        """The lexicon :meth:`to_table` saved; ``None`` when the data does not fit this code."""
        def pairs(bucket: list) -> list[tuple[int, bool]]:
            return [(int(index), bool(pref)) for index, pref in bucket]

        lexicon = cls.__new__(cls)
        try:
            lexicon.concepts = [Concept(str(iri), tuple(zh), bool(topic), tuple(names))
                                for iri, zh, topic, names in table["concepts"]]
            lexicon._zh = {str(surface): pairs(b) for surface, b in table["zh"]}
            lexicon._en = {tuple(key): pairs(b) for key, b in table["en"]}
            lexicon._partial = {str(word): pairs(b) for word, b in table["partial"]}
        except (KeyError, TypeError, ValueError):
            return None
        n = len(lexicon.concepts)
        if any(not 0 <= i < n for index in (lexicon._zh, lexicon._en, lexicon._partial)
               for bucket in index.values() for i, _ in bucket):
            return None
        lexicon._finish()
        return lexicon

    def _add(self, surfaces: list[tuple[str, int, bool]], iri: str, names: Iterable[str],
             alternatives: Iterable[str], is_topic: bool) -> int | None:
        names = {nfkc(l).strip() for l in names if l and l.strip()}
        alternatives = {nfkc(l).strip() for l in alternatives if l and l.strip()} - names
        labels = names | alternatives
        zh = tuple(sorted(l for l in labels if CJK.search(l) and len(l) >= 2))
        if not zh:
            return None
        index = len(self.concepts)
        own = tuple(sorted(l for l in names if CJK.search(l) and len(l) >= 2))
        self.concepts.append(Concept(iri, zh, is_topic, own))
        for label in labels:
            if CJK.search(label) and len(label) < 2:
                continue
            if not CJK.search(label) and len(label) < 3:
                continue
            surfaces.append((label, index, label in names))
        return index

    def chinese_labels(self) -> list[str]:
        """Every Chinese surface a question can link by (words for the tokenizer)."""
        return list(self._zh)

    def matches(self, text: str) -> list[Match]:
        """(concept index, matched surface, whether it is a preferred label) for the question.

        A longer label covering a shorter one wins (机场东片区 over 机场).
        """
        lowered = nfkc(text)
        found = self._zh_spans(lowered) + self._en_spans(lowered)
        found.sort(key=lambda m: (m[0] - m[1], m[0]))
        kept: list[tuple[int, int]] = []
        out: list[Match] = []
        for start, end, concepts in found:
            if any(s <= start and end <= e and (e - s) > (end - start) for s, e in kept):
                continue
            kept.append((start, end))
            out.extend((index, lowered[start:end], pref) for index, pref in self._named(concepts))
        for m in EN_TOKEN.finditer(lowered) if self._partial else ():
            found = self._partial.get(en_key(m.group()))
            if found and not any(s <= m.start() and m.end() <= e for s, e in kept):
                out.extend((index, m.group(), pref) for index, pref in found)
        return out

    def _named(self, concepts: list[tuple[int, bool]]) -> list[tuple[int, bool]]:
        """The concepts one span links to; when it is an entity's name, without the topics it is
        only an alternative label of (一带一路 the initiative, not 对外开放 the topic listing it)."""
        if not any(pref and not self.concepts[i].is_topic for i, pref in concepts):
            return concepts
        return [(i, pref) for i, pref in concepts if pref or not self.concepts[i].is_topic]

    def _zh_spans(self, lowered: str) -> list[tuple[int, int, list[tuple[int, bool]]]]:
        spans = []
        n = len(lowered)
        for i in range(n if self._zh_longest else 0):
            if not CJK.match(lowered[i]):
                continue
            for size in range(min(self._zh_longest, n - i), 1, -1):
                found = self._zh.get(lowered[i:i + size])
                if found:
                    spans.append((i, i + size, found))
        return spans

    def _en_spans(self, lowered: str) -> list[tuple[int, int, list[tuple[int, bool]]]]:
        if not self._en_longest:
            return []
        spans = []
        words = [(m.start(), m.end(), en_key(m.group())) for m in EN_TOKEN.finditer(lowered)]
        for i in range(len(words)):
            for size in range(min(self._en_longest, len(words) - i), 0, -1):
                found = self._en.get(tuple(w[2] for w in words[i:i + size]))
                if found:
                    spans.append((words[i][0], words[i + size - 1][1], found))
        return spans

    def dense_text(self, content: str, matches: list[Match]) -> str:
        """The text embedded for the question: English concept names get their Chinese name.

        The corpus is Chinese, and a small multilingual model matches "historic
        neighbourhoods" better with 文化遗产 beside it.
        """
        extra = []
        for index, surface, _ in matches:
            if not CJK.search(surface):
                names = self.concepts[index].names_zh or self.concepts[index].zh_terms[:1]
                # a name in quotes ("“一带一路”") drew the question towards sentences of quote
                # marks alone: a name of words only, when there is one
                names = sorted(names, key=lambda n: bool(_MARKS.search(n)))
                extra.extend(n for n in names[:1] if n not in extra)
        return written_together([content, *extra])

    def concept_tokens(self, index: int, tokenizer: QueryTokenizer) -> list[str]:
        """The search tokens of a concept's Chinese labels (cached)."""
        tokens = self._tokens.get(index)
        if tokens is None:
            tokens = [t for term in self.concepts[index].zh_terms for t in tokenizer.tokens(term)]
            self._tokens[index] = tokens
        return tokens
