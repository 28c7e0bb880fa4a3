"""Who leads, by when, how much: the duties, deadlines and targets search hits carry (issue 15).

Read once from the store (a few small SELECTs) and saved beside the search tables
(``search-duties``); a unit's facts go to the result unit (task, section …) that holds
it, so a duty written on an item or a table row inside a task shows on the task.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..evidence import Span, evidence_spans
from ..vocab import POL_IRI
from .results import Evidence, Hit
from .tables import Corpus, SavedTables

__all__ = ["Aim", "Deadline", "Duty", "DutyTable", "Facts", "load_duty_table"]

#: Name and layout of the saved table (change the version with the layout).
TABLE_NAME = "search-duties"
TABLE_VERSION = "search duties v2"
ROLES = {"leadUnit": "lead", "cooperatingUnit": "cooperating", "responsibleUnit": "responsible"}
ROLE_ORDER = {"lead": 0, "responsible": 1, "cooperating": 2}

_ROLE_PREDICATES = tuple(f"pol:{p}" for p in ROLES)
_NO_SPAN: Span = ("", None, None)  # a fact the store gives no words for


@dataclass(slots=True)
class Duty:
    """One organisation's (or collective unit's) role on a unit, with the span naming it."""

    role: str  # lead | cooperating | responsible
    unit: str  # the organisation's IRI (or the collective unit's)
    label: str  # its Chinese name
    collective: bool
    evidence: str = ""
    start: int | None = None
    end: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "unit": self.unit, "label": self.label,
                "collective": self.collective, "evidence": self.evidence,
                "start": self.start, "end": self.end}


@dataclass(slots=True)
class Deadline:
    """A deadline as written in the graph (YYYY, YYYY-MM or YYYY-MM-DD) and its phrase."""

    value: str
    evidence: str = ""
    start: int | None = None
    end: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "evidence": self.evidence, "start": self.start,
                "end": self.end}


@dataclass(slots=True)
class Aim:
    """A quantitative target (``pol:Target``): indicator, value, unit, comparator, year."""

    indicator: str
    value: float
    unit: str = ""
    comparator: str = ""
    year: str | None = None
    evidence: str = ""
    start: int | None = None
    end: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "value": self.value, "unit": self.unit,
                "comparator": self.comparator, "year": self.year, "evidence": self.evidence,
                "start": self.start, "end": self.end}


@dataclass
class Facts:
    """What the graph says a unit (task, section, item, table row …) assigns."""

    iri: str
    doc: str
    label: str = ""
    number: str | None = None
    start: int | None = None
    duties: list[Duty] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    targets: list[Aim] = field(default_factory=list)


def _read_units(store: Any) -> dict[str, Facts]:
    facts: dict[str, Facts] = {}
    for r in store.select_rows("""SELECT DISTINCT ?u ?doc ?label ?number ?start WHERE {
            { SELECT DISTINCT ?u WHERE { ?u pol:leadUnit|pol:cooperatingUnit|pol:responsibleUnit|
                                             pol:deadline|pol:hasTarget ?x } }
            ?u pol:inDocument ?doc . OPTIONAL { ?u rdfs:label ?label }
            OPTIONAL { ?u pol:number ?number } OPTIONAL { ?u pol:startOffset ?start } }"""):
        if r["u"] not in facts:
            facts[r["u"]] = Facts(r["u"], r["doc"], r.get("label") or "", r.get("number"),
                                  int(r["start"]) if r.get("start") else None)
    return facts


def _read_duties(store: Any, facts: dict[str, Facts]) -> dict[str, set[str]]:
    """Duties onto ``facts``; every name (label, alternative label) of each assigned unit."""
    seen: set[tuple] = set()
    spans = evidence_spans(store, _ROLE_PREDICATES)
    for r in store.select_rows("""SELECT ?u ?p ?org ?name ?collective WHERE {
            VALUES ?p { pol:leadUnit pol:cooperatingUnit pol:responsibleUnit } ?u ?p ?org .
            OPTIONAL { ?org rdfs:label ?name FILTER(lang(?name) = "zh") }
            BIND(EXISTS { ?org a pol:CollectiveUnit } AS ?collective) }"""):
        key = (r["u"], r["p"], r["org"])
        if r["u"] not in facts or key in seen:
            continue
        seen.add(key)
        facts[r["u"]].duties.append(Duty(
            ROLES[r["p"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]], r["org"],
            r.get("name") or r["org"].rsplit("/", 1)[-1],
            str(r.get("collective")).lower() in ("true", "1"), *spans.get(key, _NO_SPAN)))
    names: dict[str, set[str]] = {}
    # the bodies first, then a branch per label predicate: as two alternative paths, Oxigraph
    # read every label of the store (2.1 s on the corpus, 0.16 s so)
    for r in store.select_rows("""SELECT DISTINCT ?org ?name WHERE {
            { SELECT DISTINCT ?org WHERE {
                VALUES ?p { pol:leadUnit pol:cooperatingUnit pol:responsibleUnit } ?u ?p ?org } }
            { ?org rdfs:label ?name } UNION { ?org skos:altLabel ?name } }"""):
        names.setdefault(r["org"], set()).add(r["name"])
    return names


def _read_deadlines_and_targets(store: Any, facts: dict[str, Facts]) -> None:
    seen: set[tuple] = set()
    spans = evidence_spans(store, ("pol:deadline",), value=True)
    for r in store.select_rows("SELECT ?u ?due WHERE { ?u pol:deadline ?due }"):
        if r["u"] in facts and (r["u"], r["due"]) not in seen:
            seen.add((r["u"], r["due"]))
            facts[r["u"]].deadlines.append(Deadline(
                r["due"], *spans.get((r["u"], POL_IRI + "deadline", r["due"]), _NO_SPAN)))
    spans = evidence_spans(store, ("pol:hasTarget",))
    for r in store.select_rows("""SELECT ?u ?t ?ind ?value ?unit ?cmp ?year
            WHERE { ?u pol:hasTarget ?t . ?t pol:indicator ?ind ; pol:targetValue ?value .
            OPTIONAL { ?t pol:unitOfMeasure ?unit } OPTIONAL { ?t pol:comparator ?cmp }
            OPTIONAL { ?t pol:targetYear ?year } }"""):
        if r["u"] in facts and (r["u"], r["t"]) not in seen:
            seen.add((r["u"], r["t"]))
            facts[r["u"]].targets.append(Aim(
                r["ind"], float(r["value"]), r.get("unit") or "", r.get("cmp") or "",
                r.get("year"), *spans.get((r["u"], POL_IRI + "hasTarget", r["t"]), _NO_SPAN)))


def read_facts(store: Any) -> dict:
    """The duties, deadlines and targets of the store as JSON data (the saved table)."""
    facts = _read_units(store)
    names = _read_duties(store, facts)
    _read_deadlines_and_targets(store, facts)
    return {"units": [[f.iri, f.doc, f.label, f.number, f.start,
                       [d.to_json() for d in f.duties], [d.to_json() for d in f.deadlines],
                       [a.to_json() for a in f.targets]] for f in facts.values()],
            "names": {org: sorted(n) for org, n in names.items()}}


def load_duty_table(store: Any, corpus: Corpus, tables: SavedTables | None) -> "DutyTable":
    """The duty table of ``store``: the saved one when current, else read (and saved)."""
    table = tables.saved(TABLE_NAME, TABLE_VERSION) if tables is not None else None
    if table is None:
        table = read_facts(store)
        if tables is not None:
            tables.save(TABLE_NAME, TABLE_VERSION, table)
    try:
        return DutyTable(table, corpus)
    except (KeyError, TypeError, ValueError):  # a table of another layout: read again
        return DutyTable(read_facts(store), corpus)


class DutyTable:
    """The facts of every unit, by the result unit (search target) holding it."""

    def __init__(self, table: dict, corpus: Corpus):
        self.corpus = corpus
        self.units: list[Facts] = []
        for iri, doc, label, number, start, duties, deadlines, targets in table["units"]:
            facts = Facts(iri, doc, label, number, start, [Duty(**d) for d in duties],
                          [Deadline(**d) for d in deadlines], [Aim(**a) for a in targets])
            facts.duties.sort(key=lambda d: (ROLE_ORDER[d.role], d.start or 0, d.label))
            self.units.append(facts)
        self.units.sort(key=lambda f: (f.doc, f.start if f.start is not None else -1, f.iri))
        self.names: dict[str, set[str]] = {o: set(n) for o, n in table["names"].items()}
        self.of_target: dict[str, list[Facts]] = {}
        spans: dict[str, list[Any]] = {}
        for unit in corpus.targets:
            spans.setdefault(unit.doc, []).append(unit)
        for facts in self.units:
            holder = corpus.targets[corpus.target_at[facts.iri]] \
                if facts.iri in corpus.target_at else next(
                    (u for u in spans.get(facts.doc, ()) if facts.start is not None
                     and u.start <= facts.start < u.end), None)
            if holder is not None:
                self.of_target.setdefault(holder.iri, []).append(facts)

    def annotate(self, hits: list[Hit], facets: tuple[str, ...]) -> list[Hit]:
        """``hits`` with the duties, deadlines and targets of their units: every kind asked
        for (``facets``, an empty list when there is none), the others when there are some."""
        for hit in hits:
            held = self.of_target.get(hit.iri, [])
            for name in ("duties", "deadlines", "targets"):
                found = [x for f in held for x in getattr(f, name)]
                if found or name in facets:
                    setattr(hit, name, found)
        return hits

    def assigned_to(self, name: str, linked: set[str] = frozenset()) -> list[Hit]:
        """The units assigned to the organisations named ``name`` (any label or alternative
        label containing it) or linked by the question (``linked`` IRIs), in document order."""
        name = name.strip()
        orgs = {org for org, names in self.names.items()
                if org in linked or (name and any(name in n for n in names))}
        hits = []
        for facts in self.units:
            mine = [d for d in facts.duties if d.unit in orgs or (name and name in d.label)]
            if not mine:
                continue
            title, date = self.corpus.doc_info(facts.doc)
            hit = Hit(facts.iri, "task", facts.label, facts.number, facts.doc, 1.0,
                      [Evidence(d.evidence, d.start, d.end, facts.doc)
                       for d in mine[:1] if d.start is not None], title, date)
            hit.duties, hit.deadlines, hit.targets = facts.duties, facts.deadlines, facts.targets
            hits.append(hit)
        return hits
