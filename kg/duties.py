"""Who must do what by when: the duties of the store, for follow-up (督办).

Services layer: functions take the store (``kg.store.GraphStore``) and run one SELECT;
answers are plain dataclasses with ``to_json``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .evidence import evidence_spans
from .filters import date_bound
from .vocab import POL_IRI

__all__ = ["Assignment", "assignments", "due_end", "ROLES"]

#: Roles as the CLI and pages name them, by predicate.
ROLES = {POL_IRI + "leadUnit": "lead", POL_IRI + "cooperatingUnit": "cooperating",
         POL_IRI + "responsibleUnit": "responsible"}


def due_end(due: str) -> str:
    """The last day a deadline allows: 2025 → 2025-12-31, 2024-02 → 2024-02-29.

    >>> due_end("2025"), due_end("2024-02"), due_end("2025-09-30")
    ('2025-12-31', '2024-02-29', '2025-09-30')

    Raises:
        PolicyKGError: (kind ``invalid``) ``due`` is not YYYY, YYYY-MM or YYYY-MM-DD.
    """
    return date_bound(due, end=True)


@dataclass
class Assignment:
    """One unit's role on one task (or table row), with the task's deadlines and the evidence."""

    task: str
    task_label: str
    document: str
    document_title: str
    role: str  # lead | cooperating | responsible
    unit: str  # the organisation's IRI (or the collective unit's)
    unit_label: str
    collective: bool
    deadlines: list[str] = field(default_factory=list)
    evidence: str = ""
    start: int | None = None
    end: int | None = None

    @property
    def due(self) -> str | None:
        """The earliest deadline of the task, as written (YYYY, YYYY-MM or YYYY-MM-DD)."""
        return min(self.deadlines, key=due_end) if self.deadlines else None

    def to_json(self) -> dict[str, Any]:
        """The assignment as a JSON object (with ``due``)."""
        return {**asdict(self), "due": self.due}


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def assignments(store, *, unit: str | None = None, due_before: str | None = None) -> list[Assignment]:
    """Duties in the store, by document and position; optionally only those of one unit
    (a name or a part of one, matched on every label) or due on or before a date.

    Args:
        store: the ``GraphStore`` read.
        unit: keep units whose label or alternative label contains this text (市绿化市容局).
        due_before: keep tasks with a deadline ending on or before this date (2025, 2025-06,
            2025-06-30); tasks without a deadline are then left out.

    Raises:
        PolicyKGError: (kind ``invalid``) ``due_before`` is not a date.
    """
    limit = due_end(due_before) if due_before else None
    unit_filter = ""
    if unit:
        unit_filter = ("FILTER EXISTS { ?org rdfs:label|skos:altLabel ?name "
                       f"FILTER(CONTAINS(STR(?name), {_literal(unit.strip())})) }}")
    rows = store.select_rows(f"""
SELECT ?task ?taskLabel ?doc ?title ?p ?org ?orgLabel ?collective WHERE {{
  VALUES ?p {{ pol:leadUnit pol:cooperatingUnit pol:responsibleUnit }}
  ?task ?p ?org .
  {unit_filter}
  OPTIONAL {{ ?task pol:inDocument ?inDoc }}
  BIND(COALESCE(?inDoc, ?task) AS ?doc)
  OPTIONAL {{ ?doc dcterms:title ?title }}
  OPTIONAL {{ ?task rdfs:label ?taskLabel }}
  OPTIONAL {{ ?org rdfs:label ?orgLabel FILTER(lang(?orgLabel) = "zh") }}
  BIND(EXISTS {{ ?org a pol:CollectiveUnit }} AS ?collective)
}}""")
    evidence = evidence_spans(store, [f"pol:{p.removeprefix(POL_IRI)}" for p in ROLES])
    deadlines: dict[str, set[str]] = {}
    for row in store.select_rows("SELECT ?task ?due WHERE { ?task pol:deadline ?due }"):
        deadlines.setdefault(row["task"], set()).add(row["due"])
    found: dict[tuple[str, str, str], Assignment] = {}
    for row in rows:
        key = (row["task"], row["p"], row["org"])
        if key in found:
            continue
        exact, start, end = evidence.get(key, ("", None, None))
        found[key] = Assignment(
            task=row["task"], task_label=row["taskLabel"] or "", document=row["doc"] or "",
            document_title=row["title"] or "", role=ROLES[row["p"]], unit=row["org"],
            unit_label=row["orgLabel"] or row["org"].rsplit("/", 1)[-1],
            collective=row["collective"] in ("true", "1"),
            deadlines=sorted(deadlines.get(row["task"], ()), key=due_end),
            evidence=exact, start=start, end=end)
    out = list(found.values())
    if limit is not None:
        out = [a for a in out if a.due is not None and due_end(a.due) <= limit]
    order = {"lead": 0, "responsible": 1, "cooperating": 2}
    out.sort(key=lambda a: (a.document_title, a.start if a.start is not None else 0, a.task, order[a.role],
                            a.unit_label))
    return out
