"""Entities, mentions and relations of a parsed document: ``extract(doc) -> Extraction``."""
from __future__ import annotations

import bisect
from pathlib import Path

from .duties import DutyFinder, Scope, document_scope, load_unit_names, official_name, scoped_name
from .designations import find_designations, media_candidates, merge
from .legal import find_legal_names
from .entities import Candidate, EntityExtractor, normalise_key
from .records import Document, Entity, Extraction, Mention, Node
from .relations import find_relations
from .targets import find_deadlines, find_targets
from .validity import find_document_links, find_validity


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


def owning_units(doc: Document):
    """Like :func:`innermost_nodes`, but a plain paragraph gives way to the unit that holds it:
    a duty, deadline or target belongs to a task, section, part, item or table row."""
    find = innermost_nodes(doc)

    def owner(start: int, end: int) -> str | None:
        node_id = find(start, end)
        while node_id and node_id.rsplit("/", 1)[-1].startswith(("paragraph-", "cell-")):
            node_id = node_id.rsplit("/", 1)[0] if "/" in node_id else None
        return node_id

    return owner


class Extractor:
    """Entity and relation extraction, built once (tokenizer and data cached) and reused."""

    def __init__(self, entities: EntityExtractor | None = None):
        self.entities = entities or EntityExtractor()
        self._unit_endings = load_unit_names(Path(__file__).parent / "data" / "unit_names.tsv")
        self._places = [name for e in self.entities.aliases if e.type == "Place" for name in (e.label, *e.aliases)]

    def __call__(self, doc: Document) -> Extraction:
        """Entities, mentions and relations of ``doc``."""
        cands: list[Candidate] = self.entities.find(doc.text, _context(doc))
        media, absent_media = media_candidates(doc.text, (doc.metadata.source, doc.metadata.original_source))
        cands = merge(cands, find_designations(doc.text, self._places) + media
                      + find_legal_names(doc.text, self._places))
        node_of = innermost_nodes(doc)
        by_key: dict[str, dict] = {}
        for name in absent_media:  # the page's source, named only in its header
            by_key[normalise_key(name)] = {"label": name, "type": "Organization", "label_en": None, "aliases": set()}
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
        unit_of = owning_units(doc)
        duties = DutyFinder(self.resolve_unit)(doc, unit_of)
        entities, mentions = self._link_duty_units(doc, duties, entities, mentions, node_of)
        mentions.sort(key=lambda m: (m.start, m.end, m.entity_key))
        relations = find_relations(doc, mentions, entities)
        return Extraction(document=doc, entities=tuple(entities.values()),
                          mentions=tuple(mentions), relations=tuple(relations),
                          duties=tuple(duties), deadlines=tuple(find_deadlines(doc, unit_of)),
                          targets=tuple(find_targets(doc, unit_of)),
                          document_links=tuple(find_document_links(doc, unit_of)),
                          validity=find_validity(doc))

    def resolve_unit(self, unit: str, scope: Scope, aliases: tuple[str, ...] = ()) -> tuple[str, str]:
        """``(entity key, label)`` of a responsible unit: its city or district spelled out, its
        official name (上海市绿化和市容管理局 for 市绿化市容局 in a Shanghai document)."""
        key, label, _names = self.unit_names(unit, scope)
        return key, label

    def unit_names(self, unit: str, scope: Scope) -> tuple[str, str, set[str]]:
        """``(entity key, label, other names)`` of a responsible unit."""
        name = scoped_name(unit, scope)
        full = official_name(name, self._unit_endings)
        names = {unit, name, full}
        if scope.city and scope.district and name.startswith(scope.district):
            names |= {scope.city + name, scope.city + full}
        for candidate in (full, name, unit):
            entry = self.entities.entry(candidate)
            if entry is not None and entry.type == "Organization" and (
                    entry.scope is None or candidate != unit or any(
                        w in (scope.city or "") + (scope.district or "") for w in entry.scope.split("|"))):
                return normalise_key(entry.label), entry.label, (names | set(entry.aliases)) - {entry.label}
        return normalise_key(full), full, names - {full}

    def _link_duty_units(self, doc: Document, duties, entities: dict[str, Entity], mentions: list[Mention],
                         node_of) -> tuple[dict[str, Entity], list[Mention]]:
        """Every unit named in a duty is an organisation entity, mentioned where the duty names it;
        a short form the entity rules found alone (市水务局) joins the scoped entity."""
        by_surface: dict[str, str] = {}
        scope = document_scope(doc)
        for d in duties:
            if d.entity_key is None:
                continue
            key, label, names = self.unit_names(d.unit, scope)
            for name in names:
                by_surface[normalise_key(name)] = d.entity_key
            entity = entities.get(d.entity_key)
            entry = self.entities.entry(label)
            if entity is None:
                entities[d.entity_key] = Entity(key=d.entity_key, label=label, type="Organization",
                                                aliases=tuple(sorted(names - {label})),
                                                label_en=entry.label_en if entry is not None else None)
            elif not names - {entity.label} <= set(entity.aliases):
                entities[d.entity_key] = Entity(key=entity.key, label=entity.label, type=entity.type,
                                                aliases=tuple(sorted((set(entity.aliases) | names) - {entity.label})),
                                                label_en=entity.label_en)
        out = []
        spans = set()
        for m in mentions:
            target = by_surface.get(m.entity_key)
            if target is not None and target != m.entity_key:
                m = Mention(entity_key=target, surface=m.surface, start=m.start, end=m.end, node_id=m.node_id)
            out.append(m)
            spans.add((m.start, m.end))
        for d in duties:
            if d.entity_key is not None and (d.start, d.end) not in spans:
                out.append(Mention(entity_key=d.entity_key, surface=doc.text[d.start:d.end], start=d.start,
                                   end=d.end, node_id=node_of(d.start, d.end)))
                spans.add((d.start, d.end))
        used = {m.entity_key for m in out} | {r for r in by_surface.values()}
        entities = {k: e for k, e in entities.items() if k in used or k not in by_surface}
        return entities, out



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
