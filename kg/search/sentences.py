"""The corpus's sentences as columns: numbers in arrays, text taken from the document.

A corpus has 10⁵ sentences. As Python objects they cost seconds to load and
hundreds of megabytes; as columns (document, offsets, unit, target) they load in
a fraction of a second, and their text is their document's clean text between
the offsets (``Sentence.text`` is always that slice). A :class:`Sentence` is
made when one is asked for: evidence, results.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, overload

import numpy as np

from ..iris import sentence_iri

__all__ = ["Sentence", "SentenceTable", "is_heading"]


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
        unit_doc: per unit name, the code of the document it is written below (made relative,
            ``/part-1``), or -1 for a whole IRI; ``None``: every name is whole.
        own_text: the text of the sentences whose text is not their document's slice
            (a store built by other means), by index.
    """

    def __init__(self, docs: Mapping[str, _Doc], doc_names: list[str], doc: np.ndarray,
                 start: np.ndarray, end: np.ndarray, iris: list[str | None],
                 unit_names: list[str], unit: np.ndarray, own_text: dict[int, str] | None = None,
                 unit_doc: np.ndarray | None = None):
        self.docs, self.doc_names, self.iris_rel = docs, doc_names, iris
        self.own_text = own_text or {}
        self.doc = np.asarray(doc, dtype=np.int32)
        self.start = np.asarray(start, dtype=np.int64)
        self.end = np.asarray(end, dtype=np.int64)
        self.unit = np.asarray(unit, dtype=np.int32)
        # the names below their document's IRI (10⁵ strings of a corpus, a third of the bytes)
        self._unit_rel, self._unit_doc = _relative(unit_names, doc_names, unit_doc)
        self.target = np.full(len(self.doc), -1, dtype=np.int32)  # set by the corpus

    @classmethod
    def of(cls, docs: Mapping[str, _Doc], sentences: Sequence[Sentence]) -> "SentenceTable":
        """The table of ``sentences`` (records read from the store)."""
        doc_code: dict[str, int] = {}
        unit_code: dict[str, int] = {}
        iris: list[str | None] = []
        for s in sentences:
            rel = s.iri[len(s.doc):] if s.iri.startswith(s.doc + "/") else s.iri
            iris.append(None if s.iri == sentence_iri(s.doc, s.start, s.end) else rel)
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
                "end": self.end.tolist(), "iri": self.iris_rel, "units": self._unit_rel,
                "unit_doc": self._unit_doc.tolist(), "unit": self.unit.tolist(),
                "own_text": [[i, t] for i, t in self.own_text.items()]}

    @classmethod
    def from_columns(cls, docs: Mapping[str, _Doc], data: Mapping[str, Any]) -> "SentenceTable":
        """The table :meth:`columns` saved (``KeyError``/``ValueError`` when it does not fit)."""
        table = cls(docs, list(data["docs"]), np.array(data["doc"], dtype=np.int32),
                    np.array(data["start"], dtype=np.int64), np.array(data["end"], dtype=np.int64),
                    list(data["iri"]), list(data["units"]), np.array(data["unit"], dtype=np.int32),
                    {int(i): str(t) for i, t in data["own_text"]},
                    np.array(data["unit_doc"], dtype=np.int32))
        n = len(table.doc)
        if not (len(table.start) == len(table.end) == len(table.iris_rel) == len(table.unit) == n):
            raise ValueError("sentence columns of different lengths")
        if n and (table.doc.max() >= len(table.doc_names)
                  or table.unit.max() >= len(table._unit_rel)):
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
                        self.unit_name(unit) if unit >= 0 else None,
                        target if target >= 0 else None)

    def __iter__(self) -> Iterator[Sentence]:
        return (self[i] for i in range(len(self)))

    @property
    def unit_names(self) -> list[str]:
        """The IRIs the ``unit`` codes name."""
        return [self.unit_name(code) for code in range(len(self._unit_rel))]

    def unit_name(self, code: int) -> str:
        """The IRI of unit ``code``."""
        doc = int(self._unit_doc[code])
        return self.doc_names[doc] + self._unit_rel[code] if doc >= 0 else self._unit_rel[code]

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


def _relative(names: list[str], doc_names: list[str],
              doc_of: np.ndarray | None) -> tuple[list[str], np.ndarray]:
    """``names`` below their document's IRI where they are (``doc_of`` given: already so),
    and per name the code of that document, -1 for a whole IRI."""
    if doc_of is not None:
        doc_of = np.asarray(doc_of, dtype=np.int32)
        if len(doc_of) != len(names) or (len(doc_of) and doc_of.max() >= len(doc_names)):
            raise ValueError("unit names and their documents do not match")
        return names, doc_of
    code = {name: i for i, name in enumerate(doc_names)}
    rel, docs = [], np.full(len(names), -1, dtype=np.int32)
    for i, name in enumerate(names):
        cut = len(name) if name in code else name.rfind("/")  # a document itself: ""
        # the longest document IRI the name starts with (a unit's IRI is its document's + path)
        while cut > 0:
            doc = code.get(name[:cut])
            if doc is not None:
                rel.append(name[cut:])
                docs[i] = doc
                break
            cut = name.rfind("/", 0, cut)
        else:
            rel.append(name)
    return rel, docs


#: A numbered part, section or chapter line, short and without a clause of its own ("第三条 …"
#: is an article: not a heading).
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]"
                      r"|第[一二三四五六七八九十百]+(?:部分|章|节|编))[^。；;，,！？]{0,30}$")


def is_heading(text: str, title: str = "") -> bool:
    """Whether a sentence is a heading (a numbered part, section or chapter line, or the
    document's title, or its end: "政府工作报告") rather than a passage.

    >>> is_heading("一、2024年工作回顾"), is_heading("（三）扩大国内需求。"), is_heading("第二章 管理")
    (True, True, True)
    >>> is_heading("一、坚持稳中求进，推动高质量发展取得新成效"), is_heading("政府工作报告", "2024年政府工作报告")
    (False, True)
    """
    bare = text.strip().rstrip("。")
    if _HEADING.match(bare):
        return True
    title = title.strip()
    return len(bare) >= 4 and bool(title) and title.endswith(bare)
