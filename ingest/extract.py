"""Entities, mentions and relations of a parsed document: ``extract(doc) -> Extraction``."""
from __future__ import annotations

import bisect

from .entities import Candidate, EntityExtractor, normalise_key
from .records import Document, Entity, Extraction, Mention, Node
from .relations import find_relations


def _context(doc: Document) -> str:
    """The words that decide scoped aliases: issuer, title, source and the opening lines."""
    meta = doc.metadata
    parts = [meta.issuer, meta.title, meta.source, meta.original_source, doc.text[:300]]
    return " ".join(p for p in parts if p)


def innermost_nodes(doc: Document):
    """A function giving the id of the innermost node holding ``[start, end)`` (or ``None``)."""
    nodes: list[Node] = sorted(doc.nodes(), key=lambda n: (n.start, -n.end))
    starts = [n.start for n in nodes]

    def find(start: int, end: int) -> str | None:
        best = None
        for n in nodes[:bisect.bisect_right(starts, start)]:
            if n.start <= start and end <= n.end and (
                    best is None or n.end - n.start <= best.end - best.start):
                best = n
        return best.id if best is not None else None

    return find


class Extractor:
    """Entity and relation extraction, built once (tokenizer and data cached) and reused."""

    def __init__(self, entities: EntityExtractor | None = None):
        self.entities = entities or EntityExtractor()

    def __call__(self, doc: Document) -> Extraction:
        """Entities, mentions and relations of ``doc``."""
        cands: list[Candidate] = self.entities.find(doc.text, _context(doc))
        node_of = innermost_nodes(doc)
        by_key: dict[str, dict] = {}
        mentions = []
        for c in cands:
            key = normalise_key(c.label)
            info = by_key.setdefault(key, {"label": c.label, "type": c.type,
                                           "label_en": c.label_en, "aliases": set()})
            if c.surface != info["label"] and c.source != "anaphor":
                info["aliases"].add(c.surface)
            mentions.append(Mention(entity_key=key, surface=c.surface, start=c.start, end=c.end,
                                    node_id=node_of(c.start, c.end)))
        entities = {}
        for key, info in sorted(by_key.items()):
            entry = self.entities.entry(info["label"])
            aliases = set(info["aliases"])
            if entry is not None:
                aliases |= set(entry.aliases)
            aliases.discard(info["label"])
            entities[key] = Entity(key=key, label=info["label"], type=info["type"],
                                   aliases=tuple(sorted(aliases)), label_en=info["label_en"])
        mentions.sort(key=lambda m: (m.start, m.end, m.entity_key))
        relations = find_relations(doc, mentions, entities)
        return Extraction(document=doc, entities=tuple(entities.values()),
                          mentions=tuple(mentions), relations=tuple(relations))



def extract(doc: Document, extractor: Extractor | None = None) -> Extraction:
    """Entities, mentions and typed relations of a parsed document.

    Args:
        doc: a document from ``parse_file`` / ``parse_text``.
        extractor: a reusable :class:`Extractor`; pass one when extracting many documents,
            so the tokenizer is built once.

    Returns:
        An :class:`~ingest.records.Extraction` whose offsets index ``doc.text``.
    """
    return (extractor or Extractor())(doc)
