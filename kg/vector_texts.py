"""What gets embedded for a document: its sentences, titled units and entities, as texts.

A unit without a title is not embedded: its vector is derived from its
sentences' (:func:`derived_units`). :mod:`kg.vectors` embeds these texts and
keeps their vectors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from .iris import entity_iri, sentence_iri, unit_iri

__all__ = ["UNIT_KINDS", "UNIT_CHARS", "ENTITY_CONTEXT_CHARS", "DocumentTexts", "derived_units",
           "document_texts", "entity_text", "extraction_texts", "unit_text"]

#: Structure node kinds that get a unit vector (items and paragraphs are covered by sentences).
UNIT_KINDS = frozenset({"part", "chapter", "section", "task", "principle", "goal", "article"})
#: Most characters of a unit's text that are embedded (e5-small reads 512 tokens).
UNIT_CHARS = 400
#: Most characters of context embedded with an entity's names.
ENTITY_CONTEXT_CHARS = 120


def unit_text(title: str | None, text: str) -> str:
    """The text embedded for a unit: its title, then its text, truncated.

    >>> unit_text("打造航空服务新优势", "2.打造航空服务新优势。全面落实")
    '2.打造航空服务新优势。全面落实'
    >>> unit_text("加强组织实施", "加大统筹协调力度")
    '加强组织实施。加大统筹协调力度'
    """
    text = " ".join(text.split())
    if title and title not in text[: len(title) + 8]:
        text = f"{title}。{text}"
    return text[:UNIT_CHARS]


def entity_text(label: str, aliases: Sequence[str], label_en: str | None,
                context: str | None) -> str:
    """The text embedded for an entity: its names and a little context.

    >>> entity_text("中国国际进口博览会", ["进博会"], "China International Import Expo", None)
    '中国国际进口博览会（进博会；China International Import Expo）'
    """
    names = [a for a in aliases if a and a != label]
    if label_en:
        names.append(label_en)
    text = f"{label}（{'；'.join(names)}）" if names else label
    if context:
        text += "：" + " ".join(context.split())[:ENTITY_CONTEXT_CHARS]
    return text


def extraction_texts(doc_iri: str, extraction: Any, base_iri: str,
                     derived: list[tuple[str, list[str]]] | None = None,
                     ) -> list[tuple[str, str, str]]:
    """(iri, kind, text) of everything embedded for one document, in document order.

    Units without a title (the articles of a law, say) are not embedded: their
    vector is the mean of their sentences' vectors (see :func:`derived_units`;
    pass its answer as ``derived`` when you have it).
    """
    document = extraction.document
    items: list[tuple[str, str, str]] = []
    for sentence in document.sentences:
        text = sentence.text.strip()
        if text:
            items.append((sentence_iri(doc_iri, sentence.start, sentence.end), "sentence", text))
    if derived is None:
        derived = derived_units(doc_iri, extraction)
    derived_iris = {iri for iri, _members in derived}
    for node in document.nodes():
        if node.kind in UNIT_KINDS and (node.text or "").strip():
            iri = unit_iri(doc_iri, node.id)
            if iri not in derived_iris:
                items.append((iri, "unit", unit_text(node.title, node.text)))
    first_context: dict[str, str] = {}
    for mention in extraction.mentions:
        if mention.entity_key in first_context:
            continue
        for sentence in document.sentences:
            if sentence.start <= mention.start < sentence.end:
                first_context[mention.entity_key] = sentence.text
                break
    for entity in extraction.entities:
        items.append((entity_iri(base_iri, entity.key), "entity",
                      entity_text(entity.label, entity.aliases, entity.label_en,
                                  first_context.get(entity.key))))
    return items


@dataclass(frozen=True)
class DocumentTexts:
    """What one document brings to the vector cache: its texts, and its derived units.

    Much smaller than the extraction it comes from, so a build keeps these,
    not the extractions, until it embeds (a corpus of extractions takes GBs).
    """

    items: list[tuple[str, str, str]]  # (iri, kind, text), as extraction_texts
    derived: list[tuple[str, list[str]]]  # (unit IRI, its sentence IRIs), as derived_units


def document_texts(doc_iri: str, extraction: Any, base_iri: str) -> DocumentTexts:
    """The texts to embed and the derived units of one extracted document."""
    derived = derived_units(doc_iri, extraction)
    return DocumentTexts(extraction_texts(doc_iri, extraction, base_iri, derived), derived)


def derived_units(doc_iri: str, extraction: Any) -> list[tuple[str, list[str]]]:
    """(unit IRI, IRIs of its sentences) of the units whose vector is derived, not embedded.

    A unit without a title says nothing its sentences do not say, so its
    vector is the normalised mean of the vectors of the sentences in its first
    ``UNIT_CHARS`` characters: embedding it again would double the work on a
    corpus of laws (tens of thousands of articles) for no gain in search.
    """
    document = extraction.document
    sentences = [s for s in document.sentences if s.text.strip()]
    out: list[tuple[str, list[str]]] = []
    for node in document.nodes():
        if node.kind not in UNIT_KINDS or node.title or not (node.text or "").strip():
            continue
        stop = min(node.end, node.start + UNIT_CHARS)
        members = [sentence_iri(doc_iri, s.start, s.end) for s in sentences
                   if node.start <= s.start < stop]
        if members:
            out.append((unit_iri(doc_iri, node.id), members))
    return out
