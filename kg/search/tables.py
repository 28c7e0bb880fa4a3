"""The corpus search reads: documents, units, sentences and entities, from the store or a saved table.

Reading a big store takes about a minute; what was read is saved as JSON data
(:func:`to_table`) through the caller's :class:`SavedTables` and loaded back
(:func:`from_table`) by the next process.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..iris import local_name
from .sentences import Sentence, SentenceTable
from .text import CJK, longest_first

__all__ = ["Corpus", "Doc", "Unit", "Sentence", "SentenceTable", "Entity", "SavedTables",
           "TargetLift", "TABLE_VERSION", "load_corpus", "read_store", "to_table", "from_table"]

UNIT_TYPES = ("Task", "Principle", "Goal", "Section", "Part", "Chapter", "Article", "Item",
              "Paragraph")
#: Layout of the tables :func:`to_table` saves (change it with the layout).
TABLE_VERSION = "search tables v7"
#: The units results are made of, per document: the first of these groups it has
#: (tasks in an implementation opinion, articles in a law, sections in a report).
TARGET_TIERS = (("Task",), ("Article",), ("Principle", "Goal"), ("Section",), ("Part", "Chapter"))


class SavedTables(Protocol):
    """Files derived from the store, kept for its current generation (``kg.cache`` provides one)."""

    def saved(self, name: str, version: str) -> Any | None:
        """The saved table, else ``None`` (the caller reads the store and saves it)."""

    def save(self, name: str, version: str, table: Any) -> str | None:
        """Keep ``table`` (JSON data) for the store's current generation (and name it: a
        stamp as ``kg.cache.Tables.stamped``, or ``None``)."""

    def directory(self, name: str) -> Path | None:
        """A directory for files derived from the store, or ``None`` when there is none."""


@dataclass(slots=True)
class Doc:
    iri: str
    title: str = ""
    date: str | None = None
    kind: str | None = None
    text: str = ""


@dataclass(slots=True)
class Unit:
    iri: str
    type: str
    doc: str
    label: str = ""
    title: str | None = None
    number: str | None = None
    start: int = 0
    end: int = 0
    text: str = ""  # read from the store (a loaded table leaves it in the document: target_text)
    # topics and entities it is linked to, sorted (a set while the store is read)
    links: set[str] | list[str] | None = None


@dataclass(slots=True)
class Entity:
    iri: str
    label: str
    type: str | None = None
    aliases: set[str] = field(default_factory=set)
    units: set[str] | list[str] = field(default_factory=set)  # a sorted list from a saved table
    mentions: dict[str, int] = field(default_factory=dict)  # document → mentions in it
    pinyin: set[str] = field(default_factory=set)  # its names in pinyin (also in aliases)


@dataclass
class Corpus:
    """What search reads once: the four tables, the targets (result units) and arrays over them."""

    docs: dict[str, Doc]
    units: dict[str, Unit]  # from a saved table: only the targets
    sentences: SentenceTable  # a list of records is made a table
    entities: dict[str, Entity]
    # entity IRI → its evidence: the sentences of the units mentioning it that hold one of its
    # names (made once with the table, then saved: a scan of 10⁶ sentence-name pairs)
    evidence: dict[str, list[int]] | None = None
    # the result units, in corpus order; given by a saved table (its sentences' targets set),
    # else chosen from the units
    targets: list[Unit] = field(default_factory=list)
    target_at: dict[str, int] = field(default_factory=dict)  # target IRI → index
    # names exactly these texts and offsets: the stamp of the saved table read (else None)
    stamp: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.sentences, SentenceTable):
            self.sentences = SentenceTable.of(self.docs, self.sentences)
        if self.targets:  # a saved table: the targets, and the sentences' targets, are given
            self.target_at = {u.iri: i for i, u in enumerate(self.targets)}
        else:
            self._assign_targets()
        self._index()
        if self.evidence is None:
            self.evidence = self._entity_evidence()

    def _entity_evidence(self) -> dict[str, list[int]]:
        table = self.sentences
        texts = table.texts()
        own = dict(zip(table.unit_names,
                       groups(table.unit.astype(np.int64), len(table.unit_names))))
        empty = np.zeros(0, dtype=np.int64)

        def sentences_of(unit: str) -> np.ndarray:
            """The sentences naming ``unit`` as theirs, and those of the target it is."""
            target = self.target_at.get(unit)
            inside = self.sentences_of_target[target] if target is not None else empty
            return np.concatenate((own.get(unit, empty), inside))

        out = {}
        for ent in self.entities.values():
            names = entity_names(ent)
            out[ent.iri] = sorted({i for u in ent.units for i in sentences_of(u).tolist()
                                   if any(n in texts[i] for n in names)})
        return out

    def _assign_targets(self) -> None:
        """Pick the units results are made of, and map every sentence to one of them."""
        units_of: dict[str, list[Unit]] = {}
        for unit in self.units.values():
            units_of.setdefault(unit.doc, []).append(unit)
        chosen: list[Unit] = []
        for units in units_of.values():
            for tier in TARGET_TIERS:
                picked = [u for u in units if u.type in tier]
                if picked:
                    chosen += picked
                    break
        self.targets = sorted(chosen, key=lambda u: (u.doc, u.start, u.iri))
        is_target = {id(u) for u in chosen}
        for unit in self.units.values():
            if id(unit) not in is_target:
                unit.text = ""  # the clean text of the document holds it
        self.sentences.target[:] = self._targets_of_sentences()
        self.target_at = {u.iri: i for i, u in enumerate(self.targets)}

    def _targets_of_sentences(self) -> np.ndarray:
        """Per sentence, the first target of its document holding its start (-1: none)."""
        table = self.sentences
        code = {iri: i for i, iri in enumerate(table.doc_names)}
        t_doc = np.array([code.get(u.doc, -1) for u in self.targets], dtype=np.int64)
        t_start = np.array([u.start for u in self.targets], dtype=np.int64)
        t_end = np.array([u.end for u in self.targets], dtype=np.int64)
        out = np.full(len(table), -1, dtype=np.int32)
        if not len(t_doc) or not len(table):
            return out
        # where a document's targets lie apart and in order, the last one starting at or before
        # a sentence is the one holding it, if any: one binary search for every sentence
        shift = np.int64(max(int(t_start.max()), int(table.start.max()), 0) + 1)
        keys = t_doc * shift + t_start
        order = np.argsort(keys, kind="stable")
        at = np.searchsorted(keys[order], table.doc.astype(np.int64) * shift + table.start,
                             side="right") - 1
        j = order[np.maximum(at, 0)]
        ok = (at >= 0) & (t_doc[j] == table.doc) & (table.start < t_end[j])
        out[ok] = j[ok]
        # nested targets (parts and their chapters): the first that holds it, document by document
        overlap = (t_doc[1:] == t_doc[:-1]) & (t_end[:-1] > t_start[1:])
        for doc in np.unique(t_doc[:-1][overlap]):
            mine = np.flatnonzero(t_doc == doc)
            for i in np.flatnonzero(table.doc == doc):
                hold = mine[(t_start[mine] <= table.start[i]) & (table.start[i] < t_end[mine])]
                out[i] = hold[0] if len(hold) else -1
        return out

    def _index(self) -> None:
        """Arrays every question reuses: documents, targets and their sentences by number."""
        table = self.sentences
        self.target_of = table.target.astype(np.int64)
        self.lift = TargetLift(self.target_of, len(self.targets))  # per target: best sentence
        self.doc_list = sorted(set(self.docs) | set(table.doc_names)
                               | {u.doc for u in self.targets})
        self.doc_index = {iri: i for i, iri in enumerate(self.doc_list)}
        recode = np.array([self.doc_index[d] for d in table.doc_names], dtype=np.int64)
        self.sent_doc = recode[table.doc] if len(table) else np.zeros(0, dtype=np.int64)
        self.target_doc = np.array([self.doc_index[u.doc] for u in self.targets], dtype=np.int64)
        self.sentences_of_target = groups(self.target_of, len(self.targets))
        self.sentences_of_doc = groups(self.sent_doc, len(self.doc_list))
        targets_of: dict[str, list[int]] = {}
        for i, unit in enumerate(self.targets):
            for iri in unit.links or ():
                targets_of.setdefault(iri, []).append(i)
        self.targets_of_link = {iri: np.array(v, dtype=np.int64) for iri, v in targets_of.items()}

    def fingerprint(self) -> str:
        """A name for exactly this corpus's texts: what BM25 and term indexes saved beside the
        store are named by. The saved table's stamp when the corpus was read from one, else a
        hash of the documents, the offsets of every sentence and target and the targets'
        titles (which decide every text; 0.1 s on a corpus), made once."""
        if self.stamp is None:
            digest = hashlib.blake2b(digest_size=16)
            docs = self.docs
            digest.update(("\x00".join(f"{iri}\x01{docs[iri].text}" for iri in sorted(docs))
                           + "\x00").encode("utf-8", "surrogatepass"))
            table = self.sentences
            digest.update(("\x00".join(table.doc_names) + "\x00").encode("utf-8"))
            for column in (table.doc, table.start, table.end):
                digest.update(np.ascontiguousarray(column, dtype=np.int64).tobytes())
            own = sorted(table.own_text.items())
            digest.update(("\x00".join(f"{i}\x01{t}" for i, t in own) + "\x00")
                          .encode("utf-8", "surrogatepass"))
            digest.update(("\x00".join(f"{u.doc}\x01{u.start}\x01{u.end}\x01{u.title or ''}"
                                        for u in self.targets) + "\x00")
                          .encode("utf-8", "surrogatepass"))
            self.stamp = "hash-" + digest.hexdigest()
        return self.stamp

    def target_text(self, unit: Unit) -> str:
        """The text of a target: its span of its document's text (the unit's own text when the
        document has none here)."""
        doc = self.docs.get(unit.doc)
        return doc.text[unit.start:unit.end] if doc is not None and doc.text else unit.text

    def doc_info(self, doc_iri: str) -> tuple[str | None, str | None]:
        """(title, date) of a document."""
        doc = self.docs.get(doc_iri)
        return (doc.title or None, doc.date) if doc else (None, None)



class TargetLift:
    """The best sentence score of each target, at least 0 (``Corpus.lift``), with the sentences
    that have a target and their targets listed once: selecting them by a boolean mask cost
    1–2 ms a call on the corpus's 155,000 sentences (fusion lifts twice a question), more
    than ``np.maximum.at`` itself."""

    def __init__(self, target_of: np.ndarray, n_targets: int):
        self.held = np.flatnonzero(target_of >= 0)
        self.targets = np.ascontiguousarray(target_of[self.held])
        self.n_targets = n_targets

    def __call__(self, per_sentence: np.ndarray) -> np.ndarray:
        """Per target: the maximum of 0 and its sentences' scores (float32)."""
        out = np.zeros(self.n_targets, dtype=np.float32)
        if len(self.held):
            np.maximum.at(out, self.targets, per_sentence[self.held])
        return out


def entity_names(entity: Entity) -> list[str]:
    """Every name of ``entity`` (label and aliases), longest first."""
    return sorted({n for n in (entity.label, *entity.aliases) if n}, key=longest_first)


def groups(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """For each key 0 … n-1, the positions holding it, in order (negative keys are dropped).

    >>> [g.tolist() for g in groups(np.array([1, -1, 0, 1]), 3)]
    [[2], [0, 3], []]
    """
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(n)]


# -- loading --------------------------------------------------------------------
def load_corpus(store: Any, tables: SavedTables | None) -> Corpus:
    """The corpus of ``store``: the saved table when current, else read (and saved)."""
    table, stamp = _stamped(tables, "search", TABLE_VERSION)
    corpus = from_table(table) if table is not None else None
    del table
    if corpus is None:
        corpus = read_store(store)
        if tables is not None:
            stamp = tables.save("search", TABLE_VERSION, to_table(corpus))
    # what is saved beside the store from this corpus is named by its table's stamp
    corpus.stamp = f"{TABLE_VERSION} {stamp}" if isinstance(stamp, str) else None
    return corpus


def _stamped(tables: SavedTables | None, name: str, version: str
             ) -> tuple[Any | None, str | None]:
    """The saved table and a stamp naming its contents (``kg.cache.Tables.stamped``; none
    from tables that keep no stamps)."""
    if tables is None:
        return None, None
    if hasattr(tables, "stamped"):
        return tables.stamped(name, version)
    return tables.saved(name, version), None


def to_table(corpus: Corpus) -> dict[str, Any]:
    """The corpus as JSON data: documents, entities and evidence as records, the targets and
    sentences as columns (IRIs below their document's made relative). Units that are not
    targets are left out: a loaded corpus needs only the targets, which sentences hold."""
    def rel(iri: str | None, doc: str) -> str | None:
        return iri[len(doc):] if iri and iri.startswith(doc + "/") else iri

    targets = corpus.targets
    doc_code = {iri: i for i, iri in enumerate(corpus.docs)}
    return {
        "docs": [[d.iri, d.title, d.date, d.kind, d.text] for d in corpus.docs.values()],
        "targets": {
            "iri": [rel(u.iri, u.doc) for u in targets], "type": [u.type for u in targets],
            "doc": [doc_code.get(u.doc, u.doc) for u in targets],
            "label": [u.label for u in targets], "title": [u.title for u in targets],
            "number": [u.number for u in targets], "start": [u.start for u in targets],
            "end": [u.end for u in targets],
            "links": [sorted(u.links) if u.links else None for u in targets]},
        "sentences": {**corpus.sentences.columns(), "target": corpus.sentences.target.tolist()},
        "entities": [[e.iri, e.label, e.type, sorted(e.aliases), sorted(e.units), e.mentions,
                      sorted(e.pinyin)] for e in corpus.entities.values()],
        "evidence": corpus.evidence,
    }


def from_table(table: Any) -> Corpus | None:
    """The corpus :func:`to_table` saved; ``None`` when the data does not fit this code."""
    try:
        docs = {iri: Doc(iri, title, date, kind, text)
                for iri, title, date, kind, text in table["docs"]}
        t = table["targets"]
        names = list(docs)
        doc_iris = [names[d] if isinstance(d, int) else d for d in t["doc"]]
        # one comprehension: a corpus has 4·10⁴ targets (a loop with checks took 4 times longer);
        # their texts are left in their documents (``target_text``): slicing 7 MB of them took
        # 0.08 s of a first load
        targets = [Unit(d + iri if iri[:1] == "/" else iri, type_, d, label, title, number,
                        start, end, "", links or None)
                   for iri, type_, d, label, title, number, start, end, links in zip(
                       t["iri"], t["type"], doc_iris, t["label"], t["title"], t["number"],
                       t["start"], t["end"], t["links"], strict=True)]
        sentences = SentenceTable.from_columns(docs, table["sentences"])
        sentences.target[:] = np.array(table["sentences"]["target"], dtype=np.int32)
        # units and mentions as saved (only read after a load; 10⁵ unit IRIs on a corpus)
        entities = {iri: Entity(iri, label, type_, set(aliases), in_units, dict(mentions),
                                set(pinyin))
                    for iri, label, type_, aliases, in_units, mentions, pinyin
                    in table["entities"]}
        evidence = {str(iri): list(found) for iri, found in table["evidence"].items()}
        if any(i >= len(sentences) for found in evidence.values() for i in found[-1:]) \
                or (len(sentences) and int(sentences.target.max()) >= len(targets)):
            return None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None
    return Corpus(docs, {u.iri: u for u in targets}, sentences, entities, evidence,
                  targets=targets)


def read_store(store: Any) -> Corpus:
    """Read documents, units, sentences and entities from the store (slow on a corpus)."""
    docs = _read_docs(store)
    units = _read_units(store, docs)
    sentences = _read_sentences(store, docs, units)
    entities = _read_entities(store, units)
    for unit in units.values():  # sorted, as a saved table gives them
        unit.links = sorted(unit.links) if unit.links else None
    return Corpus(docs, units, sentences, entities)


def _read_docs(store: Any) -> dict[str, Doc]:
    docs: dict[str, Doc] = {}
    for r in store.select_rows("""SELECT ?d ?title ?issued ?kind ?text WHERE {
            ?d pol:cleanText ?text .
            OPTIONAL { ?d dcterms:title ?title } OPTIONAL { ?d dcterms:issued ?issued }
            OPTIONAL { ?d pol:kind ?kind } }"""):
        doc = docs.setdefault(r["d"], Doc(r["d"], text=r["text"] or ""))
        doc.title = doc.title or r.get("title") or ""
        doc.date = doc.date or (r.get("issued") or None)
        doc.kind = doc.kind or r.get("kind")
    return docs


def _read_units(store: Any, docs: dict[str, Doc]) -> dict[str, Unit]:
    types = " ".join(f"pol:{t}" for t in UNIT_TYPES)
    units: dict[str, Unit] = {}
    doc_iris = {iri: iri for iri in docs}
    for r in store.select_rows(f"""SELECT ?u ?type ?doc ?label ?title ?number ?start ?end WHERE {{
            VALUES ?type {{ {types} }}
            ?u a ?type ; pol:inDocument ?doc .
            OPTIONAL {{ ?u rdfs:label ?label }} OPTIONAL {{ ?u dcterms:title ?title }}
            OPTIONAL {{ ?u pol:number ?number }}
            OPTIONAL {{ ?u pol:startOffset ?start }} OPTIONAL {{ ?u pol:endOffset ?end }} }}"""):
        if r["u"] in units:
            continue
        unit = Unit(r["u"], local_name(r["type"]), doc_iris.get(r["doc"], r["doc"]),
                    label=r.get("label") or "", title=r.get("title"), number=r.get("number"),
                    start=int(r.get("start") or 0), end=int(r.get("end") or 0))
        doc = docs.get(unit.doc)
        unit.text = doc.text[unit.start:unit.end] if doc else ""
        unit.label = unit.label or (unit.title or unit.text[:30])
        units[unit.iri] = unit
    for r in store.select_rows("SELECT DISTINCT ?u ?t WHERE { ?u dcterms:subject ?t }"):
        unit = units.get(r["u"])
        if unit is not None:
            unit.links = unit.links or set()
            unit.links.add(r["t"])
    return units


def _read_sentences(store: Any, docs: dict[str, Doc], units: dict[str, Unit]) -> list[Sentence]:
    # one string object per IRI: a corpus has 10⁵ sentences naming the same few IRIs
    same: dict[str, str] = {iri: iri for iri in (*docs, *units)}
    sentences: list[Sentence] = []
    for r in store.select_rows("""SELECT ?s ?text ?doc ?start ?end ?unit WHERE {
            ?s a pol:Sentence ; rdf:value ?text ; pol:inDocument ?doc ;
               pol:startOffset ?start ; pol:endOffset ?end .
            OPTIONAL { ?s dcterms:isPartOf ?unit } }"""):
        unit = r.get("unit")
        sentences.append(Sentence(
            r["s"], same.setdefault(r["doc"], r["doc"]), int(r["start"]), int(r["end"]),
            r["text"] or "", same.setdefault(unit, unit) if unit else None))
    sentences.sort(key=lambda s: (s.doc, s.start, s.iri))
    seen: set[str] = set()
    return [s for s in sentences if not (s.iri in seen or seen.add(s.iri))]


def _read_entities(store: Any, units: dict[str, Unit]) -> dict[str, Entity]:
    entities: dict[str, Entity] = {}
    # an entity shared by many documents is described in each of their graphs:
    # DISTINCT, or the union repeats its label once per mention and graph
    for r in store.select_rows("""SELECT DISTINCT ?e ?label ?etype WHERE {
            { SELECT DISTINCT ?e WHERE { ?x pol:mentions ?e } }
            ?e rdfs:label ?label . OPTIONAL { ?e pol:entityType ?etype } }"""):
        ent = entities.setdefault(r["e"], Entity(r["e"], r["label"] or ""))
        ent.type = ent.type or r.get("etype")
        if r["label"] and CJK.search(r["label"]) is None:
            ent.aliases.add(r["label"])
        elif r["label"] and CJK.search(ent.label) is None:  # the Chinese label names it
            ent.label = r["label"]
    for r in store.select_rows("""SELECT DISTINCT ?e ?alt ?pinyin WHERE {
            { SELECT DISTINCT ?e WHERE { ?x pol:mentions ?e } } ?e skos:altLabel ?alt
            BIND(LCASE(LANG(?alt)) = "zh-latn-pinyin" AS ?pinyin) }"""):
        if r["e"] in entities and r["alt"]:
            entities[r["e"]].aliases.add(r["alt"])
            if str(r.get("pinyin")).lower() in ("true", "1"):
                entities[r["e"]].pinyin.add(r["alt"])
    for r in store.select_rows("""SELECT ?e ?doc (COUNT(DISTINCT ?m) AS ?n) WHERE {
            ?m pol:mentionOf ?e ; oa:hasTarget ?target . ?target oa:hasSource ?doc }
            GROUP BY ?e ?doc"""):
        if r["e"] in entities:
            entities[r["e"]].mentions[r["doc"]] = int(r["n"] or 0)
    for r in store.select_rows("SELECT DISTINCT ?u ?e WHERE { ?u pol:mentions ?e }"):
        if r["e"] in entities:
            entities[r["e"]].units.add(r["u"])
            unit = units.get(r["u"])
            if unit is not None:
                unit.links = unit.links or set()
                unit.links.add(r["e"])
    return entities
