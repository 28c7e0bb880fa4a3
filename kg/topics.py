"""Topics of the SKOS scheme in ``ontology/topics.ttl``, and linking text to them.

A unit (task, principle, goal, section …) is linked to a topic when one of the
topic's Chinese labels (prefLabel or altLabel, two characters or more) occurs
in its text; every link carries the span where the label occurs, so the RDF
builder can write a ``pol:TopicEvidence`` annotation for it. Matching is
leftmost-longest over all labels at once, so "养老保险" is one match (elderly
care), not "养老" plus "保险".
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..ingest.records import Document, Node

from .errors import PolicyKGError
from .vocab import TOPIC_IRI

__all__ = ["Topic", "TopicLink", "TopicMatch", "load_topics", "topics_by_iri",
           "match_topics", "link_topics", "LINKED_KINDS"]

#: Unit kinds linked to topics. Units with linked children (a section holding
#: tasks) need the label twice in their text, or once in their heading.
LINKED_KINDS = ("part", "chapter", "section", "task", "principle", "goal", "article")

#: A document is linked to a topic named this many times in its text (or in its title).
DOCUMENT_MIN_OCCURRENCES = 2
_CONTAINER_MIN_OCCURRENCES = 2


@dataclass(frozen=True)
class Topic:
    """One concept of the topic scheme, with its labels.

    ``broader`` is the IRI of the broader concept (``None`` for the gov.cn top
    categories).
    """

    iri: str
    slug: str
    label_zh: str
    label_en: str
    alt_labels_zh: tuple[str, ...] = ()
    alt_labels_en: tuple[str, ...] = ()
    broader: str | None = None

    @property
    def is_top(self) -> bool:
        """True for the top categories of the gov.cn 主题分类."""
        return self.broader is None

    def labels(self, lang: str) -> tuple[str, ...]:
        """The preferred then alternative labels in ``lang`` ("zh" or "en")."""
        if lang == "zh":
            return (self.label_zh, *self.alt_labels_zh)
        return (self.label_en, *self.alt_labels_en)


@dataclass(frozen=True)
class TopicLink:
    """A unit (``node_id``) or the whole document (``node_id`` None) is about a topic.

    ``start``/``end``/``exact`` is the evidence: ``doc.text[start:end] == exact``.
    """

    node_id: str | None
    topic_iri: str
    start: int
    end: int
    exact: str


@dataclass(frozen=True)
class TopicMatch:
    """A topic label found at ``text[start:end] == exact``."""

    topic_iri: str
    start: int
    end: int
    exact: str


def load_topics(path: str | Path | None = None) -> list[Topic]:
    """Every concept of the topic scheme, top categories first, then by IRI.

    Args:
        path: a Turtle file; default ``ontology/topics.ttl``.

    Raises:
        PolicyKGError: the file is missing or not valid Turtle.
    """
    return list(_load(str(path) if path is not None else None))


def topics_by_iri(path: str | Path | None = None) -> dict[str, Topic]:
    """The concepts of the topic scheme keyed by IRI."""
    return {t.iri: t for t in _load(str(path) if path is not None else None)}


@functools.lru_cache(maxsize=4)
def _load(path: str | None) -> tuple[Topic, ...]:
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF, SKOS

    from ..ontology import TOPICS

    source = Path(path) if path is not None else TOPICS
    graph = Graph()
    try:
        graph.parse(str(source), format="turtle")
    except FileNotFoundError:
        raise PolicyKGError(f"{source}: topic scheme not found") from None
    except Exception as exc:  # rdflib raises many parser exception types
        raise PolicyKGError(f"{source}: cannot read the topic scheme: {exc}") from None

    def literals(subject: URIRef, predicate: URIRef, lang: str) -> list[str]:
        return sorted(str(o) for o in graph.objects(subject, predicate)
                      if isinstance(o, Literal) and (o.language or "").split("-")[0] == lang)

    topics = []
    for concept in graph.subjects(RDF.type, SKOS.Concept):
        iri = str(concept)
        zh, en = literals(concept, SKOS.prefLabel, "zh"), literals(concept, SKOS.prefLabel, "en")
        if not zh or not en:
            raise PolicyKGError(f"{source}: topic {iri} lacks a skos:prefLabel @zh or @en")
        broader = sorted(str(b) for b in graph.objects(concept, SKOS.broader))
        topics.append(Topic(
            iri=iri,
            slug=iri[len(TOPIC_IRI):] if iri.startswith(TOPIC_IRI) else iri.rsplit("/", 1)[-1],
            label_zh=zh[0],
            label_en=en[0],
            alt_labels_zh=tuple(_ordered(graph, concept, SKOS.altLabel, "zh", literals)),
            alt_labels_en=tuple(_ordered(graph, concept, SKOS.altLabel, "en", literals)),
            broader=broader[0] if broader else None,
        ))
    topics.sort(key=lambda t: (not t.is_top, t.iri))
    return tuple(topics)


def _ordered(graph, concept, predicate, lang, literals) -> list[str]:
    """altLabels longest first (then alphabetical), so listings show full forms first."""
    return sorted(literals(concept, predicate, lang), key=lambda s: (-len(s), s))


# -- matching ------------------------------------------------------------------

def _is_ascii_word(label: str) -> bool:
    return all(ch.isascii() for ch in label)


def _case_sensitive(label: str) -> bool:
    """Acronyms (AI, IT, SMEs, R&D) match only as written, so "it" is not IT."""
    upper = sum(ch.isupper() for ch in label)
    return label.isupper() or (upper >= 2 and len(label) <= 4 and " " not in label)


def _lower(text: str) -> str:
    """Lower case that keeps every offset (characters whose lower form is longer are kept)."""
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def _boundary(text: str, start: int, end: int) -> bool:
    """No ASCII letter or digit glued to either side of ``text[start:end]``."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def _plural_stops(lower: str, end: int) -> list[int]:
    """Candidate ends of an English match: with -es, with -s, as written."""
    stops = [end + 2] if lower.startswith("es", end) else []
    if lower.startswith("s", end):
        stops.append(end + 1)
    return stops + [end]


@dataclass(frozen=True)
class _Matcher:
    """Labels indexed by first character, longest first, for leftmost-longest matching."""

    exact: dict[str, tuple[tuple[str, str, bool], ...]]  # first char → (label, iri, needs boundary)
    folded: dict[str, tuple[tuple[str, str], ...]]  # English, lower-cased

    def find(self, text: str) -> list[TopicMatch]:
        lower = _lower(text) if self.folded else text
        out, i, n = [], 0, len(text)
        while i < n:
            best: tuple[int, str] | None = None
            for label, iri, bounded in self.exact.get(text[i], ()):
                end = i + len(label)
                if text.startswith(label, i) and (not bounded or _boundary(text, i, end)):
                    best = (end, iri)
                    break
            for label, iri in self.folded.get(lower[i], ()):
                end = i + len(label)
                if best is not None and end + 2 <= best[0]:
                    break  # longest first: nothing further can be longer
                if not lower.startswith(label, i):
                    continue
                stop = next((s for s in _plural_stops(lower, end) if _boundary(text, i, s)), None)
                if stop is not None and (best is None or stop > best[0]):
                    best = (stop, iri)
                    break
            if best is None:
                i += 1
                continue
            out.append(TopicMatch(best[1], i, best[0], text[i:best[0]]))
            i = best[0]
        return out


@functools.lru_cache(maxsize=8)
def _matcher(languages: tuple[str, ...], path: str | None) -> _Matcher:
    exact: dict[str, list[tuple[str, str, bool]]] = {}
    folded: dict[str, list[tuple[str, str]]] = {}
    for topic in _load(path):
        for lang in languages:
            for label in topic.labels(lang):
                if len(label) < 2:
                    continue  # one character (e.g. 林, 税) matches far too much
                if lang == "en" and not _case_sensitive(label):
                    folded.setdefault(label[0].lower(), []).append((label.lower(), topic.iri))
                else:
                    exact.setdefault(label[0], []).append((label, topic.iri, _is_ascii_word(label)))
    return _Matcher(
        exact={k: tuple(sorted(set(v), key=lambda e: (-len(e[0]), e[0], e[1])))
               for k, v in exact.items()},
        folded={k: tuple(sorted(set(v), key=lambda e: (-len(e[0]), e[0], e[1])))
                for k, v in folded.items()},
    )


def match_topics(text: str, *, languages: Iterable[str] = ("zh", "en"),
                 path: str | Path | None = None) -> list[TopicMatch]:
    """Every topic label in ``text``, leftmost-longest, not overlapping.

    Chinese labels match as written; English labels match whole words, ignoring
    case (except acronyms such as AI), with an optional plural -s/-es.

    >>> [(m.topic_iri.rsplit("/", 1)[-1], m.exact) for m in match_topics("支持航空物流和elderly care")]
    [('aviation', '航空物流'), ('elderly-care', 'elderly care')]
    """
    return _matcher(tuple(languages), str(path) if path is not None else None).find(text)


# -- linking a parsed document ---------------------------------------------------

def link_topics(doc: Document, *, path: str | Path | None = None) -> list[TopicLink]:
    """Links from the document's units (and the document itself) to topics, with evidence.

    Rules (deterministic; every link's evidence is the first occurrence of a
    label of the topic inside the unit, so ``doc.text[start:end] == exact``):

    - a task, principle, goal or article is linked to every topic whose
      Chinese label occurs in its text (heading or body);
    - a part, chapter or section is linked when a label occurs in its heading,
      or when it has no linked sub-units and a label occurs in its text, or
      when labels of the topic occur at least twice in its text;
    - the document (``node_id`` None) is linked to a topic named at least
      twice in its text, or named in its title and at least once in its text.

    Only Chinese labels of two or more characters are used.
    """
    matches = _matcher(("zh",), str(path) if path is not None else None).find(doc.text)
    starts = [m.start for m in matches]
    links: list[TopicLink] = []

    title = doc.metadata.title or ""
    title_topics = {m.topic_iri for m in match_topics(title, languages=("zh",), path=path)}
    links.extend(_links(None, matches, lambda iri, count: count >= DOCUMENT_MIN_OCCURRENCES
                        or iri in title_topics))

    import bisect

    for node in doc.nodes():
        if node.kind not in LINKED_KINDS:
            continue
        lo, hi = bisect.bisect_left(starts, node.start), bisect.bisect_left(starts, node.end)
        inside = [m for m in matches[lo:hi] if m.end <= node.end]
        if not inside:
            continue
        if _is_container(node):
            heading = _heading_span(doc, node)
            in_heading = {m.topic_iri for m in inside
                          if heading and heading[0] <= m.start and m.end <= heading[1]}
            keep = (lambda iri, count, h=in_heading: iri in h or count >= _CONTAINER_MIN_OCCURRENCES)
        else:
            keep = (lambda iri, count: True)
        links.extend(_links(node.id, inside, keep))
    return links


def _links(node_id: str | None, matches: list[TopicMatch], keep) -> list[TopicLink]:
    """One link per topic kept by ``keep(iri, count)``, in order of first occurrence."""
    first: dict[str, TopicMatch] = {}
    counts: dict[str, int] = {}
    for m in matches:
        first.setdefault(m.topic_iri, m)
        counts[m.topic_iri] = counts.get(m.topic_iri, 0) + 1
    return [TopicLink(node_id, iri, m.start, m.end, m.exact)
            for iri, m in first.items() if keep(iri, counts[iri])]


def _is_container(node: Node) -> bool:
    return any(child.kind in LINKED_KINDS for child in node.walk() if child is not node)


def _heading_span(doc: Document, node: Node) -> tuple[int, int] | None:
    """Where the node's heading clause (its title) is in the clean text, if it is."""
    if not node.title:
        return None
    at = doc.text.find(node.title, node.start, node.end)
    return (at, at + len(node.title)) if at >= 0 else None
