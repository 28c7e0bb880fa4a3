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
    aliases: list[str] | None = None  # an entity's other names (Chinese, English, pinyin)
    mentions: int | None = None  # an entity's mentions in the documents searched
    # what the graph says the unit assigns (kg.search.duties): Duty, Deadline, Aim objects
    duties: list[Any] | None = None
    deadlines: list[Any] | None = None
    targets: list[Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"iri": self.iri, "type": self.type, "label": self.label, "number": self.number,
                "document": self.document, "score": round(float(self.score), 4),
                "title": self.title, "date": self.date,
                "evidence": [e.to_json() for e in self.evidence]}
        if self.aliases is not None:
            data["aliases"] = self.aliases
        if self.mentions is not None:
            data["mentions"] = self.mentions
        for name in ("duties", "deadlines", "targets"):
            if getattr(self, name) is not None:
                data[name] = [x.to_json() for x in getattr(self, name)]
        return data


@dataclass
class SearchResult:
    """The answer to one question: its type and the hits above the relevance cut-off.

    ``answer`` says what kind of answer it is: ``ranked`` (the hits above the cut-off),
    ``list`` (every entity or document of the type asked for, in scope), ``all``
    (every match of the question's words, asked for with ``all_matches``) or ``assigned``
    (every unit assigned to the organisation a question names: "市绿化市容局负责哪些任务") or
    ``none`` (nothing in the store answers the question: no results, a ``message`` saying
    so and the closest topics in ``suggestions``, see ``kg.search.noanswer``).
    A ranked answer also carries ``more``: the next hits by score that the cut-off left out
    (up to ``k`` with ``results``), which a reader may open as more results. They are below the
    cut-off by score, or above it but without the words or topics asked for when other hits have
    them, so a hit of ``more`` may score higher than the last of ``results``.
    ``facets`` names what the question asks of its hits: ``duties`` (谁负责), ``deadlines``
    (什么时候完成) or ``targets`` (目标); such hits carry that list even when it is empty. ``total``
    counts every item there is (the verbatim matches, for a ranked answer to a
    question that occurs in the text); ``offset`` is the first one shown.
    """

    query: str
    type: str
    results: list[Hit] = field(default_factory=list)
    message: str | None = None  # why the result is empty, when it is
    answer: str = "ranked"
    total: int | None = None
    offset: int = 0
    facets: tuple[str, ...] = ()
    limit: int | None = None  # the most items one page of a counted answer holds
    # why a question was answered or refused (kg.search.noanswer.Support; not in the JSON)
    support: Any = None
    suggestions: list[dict[str, str]] = field(default_factory=list)  # topics, with a refusal
    # a ranked answer's next hits below the relevance cut-off, best first (``k`` in all with
    # ``results``): shown apart, as more results
    more: list[Hit] = field(default_factory=list)
    # documents without a date that the date filter left out (a reader should know)
    undated: int = 0
    # English phrases of the question read through the dictionary: [{"en", "zh": [...]}]
    translated: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``{"query", "type", "answer", "results": [{"iri", "type", "label", "number", …}]}``,
        with ``total``, ``offset`` (and ``limit``, a page's size) when the items were counted,
        ``more`` when hits fell
        below the cut-off."""
        data = {"query": self.query, "type": self.type, "answer": self.answer,
                "results": [h.to_json() for h in self.results]}
        if self.total is not None:
            data["total"] = self.total
            data["offset"] = self.offset
            if self.limit is not None:
                data["limit"] = self.limit
        if self.facets:
            data["facets"] = list(self.facets)
        if self.message:
            data["message"] = self.message
        if self.suggestions:
            data["suggestions"] = self.suggestions
        if self.more:
            data["more"] = [h.to_json() for h in self.more]
        if self.undated:
            data["undated"] = self.undated
        if self.translated:
            data["translated"] = self.translated
        return data
