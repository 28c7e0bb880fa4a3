"""The corpus's sentences as columns: numbers in arrays, text taken from the document.

A corpus has 10⁵ sentences. As Python objects they cost seconds to load and
hundreds of megabytes; as columns (document, offsets, unit, target) they load in
a fraction of a second, and their text is their document's clean text between
the offsets (``Sentence.text`` is always that slice). A :class:`Sentence` is
made when one is asked for: evidence, results.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, overload

import numpy as np

from ..iris import sentence_iri

__all__ = ["Sentence", "SentenceTable"]


@dataclass(slots=True)
class Sentence:
    iri: str
    doc: str
    start: int
    end: int
    text: str
    unit: str | None = None
    target: int | None = None  # index into Corpus.targets


class _Doc(Protocol):
    text: str


class SentenceTable(Sequence[Sentence]):
    """Sentences as columns, in corpus order; indexing makes a :class:`Sentence`.

    Args:
        docs: documents by IRI (their clean text holds the sentences' text).
        doc_names: the documents the ``doc`` codes name.
        doc, start, end: per sentence, its document code and offsets in that text.
        iris: per sentence, its IRI, below its document's made relative (``/sentence/…``), or
            ``None`` for the IRI its document and offsets give (``kg.iris.sentence_iri``: all of
            them in a store policykg built, 10⁵ strings not kept).
        unit_names: the units the ``unit`` codes name; ``unit``: per sentence, -1 for none.
        own_text: the text of the sentences whose text is not their document's slice
            (a store built by other means), by index.
    """

    def __init__(self, docs: Mapping[str, _Doc], doc_names: list[str], doc: np.ndarray,
                 start: np.ndarray, end: np.ndarray, iris: list[str | None],
                 unit_names: list[str], unit: np.ndarray, own_text: dict[int, str] | None = None):
        self.docs, self.doc_names, self.iris_rel = docs, doc_names, iris
        self.own_text = own_text or {}
        self.doc = np.asarray(doc, dtype=np.int32)
        self.start = np.asarray(start, dtype=np.int64)
        self.end = np.asarray(end, dtype=np.int64)
        self.unit_names, self.unit = unit_names, np.asarray(unit, dtype=np.int32)
        self.target = np.full(len(self.doc), -1, dtype=np.int32)  # set by the corpus

    @classmethod
    def of(cls, docs: Mapping[str, _Doc], sentences: Sequence[Sentence]) -> "SentenceTable":
        """The table of ``sentences`` (records read from the store)."""
        doc_code: dict[str, int] = {}
        unit_code: dict[str, int] = {}
        iris: list[str | None] = []
        for s in sentences:
            rel = s.iri[len(s.doc):] if s.iri.startswith(s.doc + "/") else s.iri
            iris.append(None if rel == f"/sentence/{s.start}-{s.end}" else rel)
        doc = [doc_code.setdefault(s.doc, len(doc_code)) for s in sentences]
        unit = [unit_code.setdefault(s.unit, len(unit_code)) if s.unit else -1 for s in sentences]
        own = {}
        for i, s in enumerate(sentences):
            doc_of = docs.get(s.doc)
            if doc_of is None or doc_of.text[s.start:s.end] != s.text:
                own[i] = s.text
        return cls(docs, list(doc_code), np.array(doc, dtype=np.int32),
                   np.array([s.start for s in sentences], dtype=np.int64),
                   np.array([s.end for s in sentences], dtype=np.int64),
                   iris, list(unit_code), np.array(unit, dtype=np.int32), own)

    def columns(self) -> dict[str, list]:
        """JSON data :meth:`from_columns` reads back."""
        return {"docs": self.doc_names, "doc": self.doc.tolist(), "start": self.start.tolist(),
                "end": self.end.tolist(), "iri": self.iris_rel, "units": self.unit_names,
                "unit": self.unit.tolist(), "own_text": [[i, t] for i, t in self.own_text.items()]}

    @classmethod
    def from_columns(cls, docs: Mapping[str, _Doc], data: Mapping[str, Any]) -> "SentenceTable":
        """The table :meth:`columns` saved (``KeyError``/``ValueError`` when it does not fit)."""
        table = cls(docs, list(data["docs"]), np.array(data["doc"], dtype=np.int32),
                    np.array(data["start"], dtype=np.int64), np.array(data["end"], dtype=np.int64),
                    list(data["iri"]), list(data["units"]), np.array(data["unit"], dtype=np.int32),
                    {int(i): str(t) for i, t in data["own_text"]})
        n = len(table.doc)
        if not (len(table.start) == len(table.end) == len(table.iris_rel) == len(table.unit) == n):
            raise ValueError("sentence columns of different lengths")
        if n and (table.doc.max() >= len(table.doc_names)
                  or table.unit.max() >= len(table.unit_names)):
            raise ValueError("a sentence names a document or unit the table does not list")
        return table

    def __len__(self) -> int:
        return len(self.doc)

    @overload
    def __getitem__(self, i: int) -> Sentence: ...

    @overload
    def __getitem__(self, i: slice) -> list[Sentence]: ...

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("sentence index out of range")
        doc = self.doc_names[self.doc[i]]
        start, end = int(self.start[i]), int(self.end[i])
        unit, target = int(self.unit[i]), int(self.target[i])
        return Sentence(self.iri(i), doc, start, end, self.text(i),
                        self.unit_names[unit] if unit >= 0 else None,
                        target if target >= 0 else None)

    def __iter__(self) -> Iterator[Sentence]:
        return (self[i] for i in range(len(self)))

    def iri(self, i: int) -> str:
        """The IRI of sentence ``i``."""
        rel = self.iris_rel[i]
        if rel is None:
            return sentence_iri(self.doc_names[self.doc[i]], int(self.start[i]), int(self.end[i]))
        return self.doc_names[self.doc[i]] + rel if rel.startswith("/") else rel

    def iris(self) -> list[str]:
        """Every sentence's IRI, in order."""
        names = self.doc_names
        return [sentence_iri(names[d], start, end) if rel is None
                else names[d] + rel if rel.startswith("/") else rel
                for d, start, end, rel in zip(self.doc.tolist(), self.start.tolist(),
                                              self.end.tolist(), self.iris_rel)]

    def text(self, i: int) -> str:
        """The text of sentence ``i`` (its document's text between its offsets)."""
        if i in self.own_text:
            return self.own_text[i]
        doc = self.docs.get(self.doc_names[self.doc[i]])
        return doc.text[int(self.start[i]):int(self.end[i])] if doc is not None else ""

    def texts(self) -> list[str]:
        """Every sentence's text, in order."""
        out = []
        for d, start, end in zip(self.doc.tolist(), self.start.tolist(), self.end.tolist()):
            doc = self.docs.get(self.doc_names[d])
            out.append(doc.text[start:end] if doc is not None else "")
        for i, text in self.own_text.items():
            out[i] = text
        return out
