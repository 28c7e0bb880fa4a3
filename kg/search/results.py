"""What a search returns: hits with their evidence, as JSON data (rendering is the caller's)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Evidence", "Hit", "SearchResult"]


@dataclass
class Evidence:
    """A sentence supporting a hit, with offsets into its document's clean text."""

    text: str
    start: int
    end: int
    document: str
    highlights: list[tuple[int, int]] = field(default_factory=list)  # offsets into ``text``

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end,
                "document": self.document, "highlights": [list(h) for h in self.highlights]}


@dataclass
class Hit:
    """One answer: a task, entity, sentence or document, with its evidence."""

    iri: str
    type: str
    label: str
    number: str | None
    document: str | None
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    title: str | None = None
    date: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "type": self.type, "label": self.label, "number": self.number,
                "document": self.document, "score": round(float(self.score), 4),
                "title": self.title, "date": self.date,
                "evidence": [e.to_json() for e in self.evidence]}


@dataclass
class SearchResult:
    """The answer to one question: its type and the hits above the relevance cut-off."""

    query: str
    type: str
    results: list[Hit] = field(default_factory=list)
    message: str | None = None  # why the result is empty, when it is

    def to_json(self) -> dict[str, Any]:
        """``{"query", "type", "results": [{"iri", "type", "label", "number", …}]}``."""
        data = {"query": self.query, "type": self.type,
                "results": [h.to_json() for h in self.results]}
        if self.message:
            data["message"] = self.message
        return data
