"""Plain records: the only contract between ``ingest`` and ``kg``.

Every offset is a ``[start, end)`` pair of code-point indices into the clean
text of the document (``Document.text``), so ``text[start:end]`` is exactly
the span the record describes.
"""
from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any

#: Kinds of structure node, outermost first.
NODE_KINDS = (
    "part",  # 一、
    "chapter",  # 第X章
    "section",  # (一) / （一） / 第X节
    "task",  # 1. numbered item with a heading clause
    "principle",  # 坚持… under 基本原则
    "goal",  # heading clause under 总体目标
    "article",  # 第X条
    "item",  # (1) / （1） / ① / 一是…
    "paragraph",
    "annex",  # 附件 N: after the body, never a part of it
    "row",  # a table row (in an annex)
    "cell",  # a table cell; its title is the column header
)

#: Entity types produced by extraction.
ENTITY_TYPES = ("Organization", "Place", "Event", "Document", "Programme")

#: Typed relation predicates produced by extraction (names of ``pol:`` terms).
RELATION_PREDICATES = (
    "reliesOn",  # 依托…
    "hosts",  # 办好… / 举办…
    "develops",  # 推进…建设 / 打造…
    "cooperatesWith",  # 与…合作
    "implements",  # 落实…《…》 / 根据《…》
    "issuedBy",  # …印发的《…》
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of the clean text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Node:
    """One unit of a document's numbered structure.

    ``id`` is a path that is stable for the same text, such as
    ``"part-3/section-1/task-2"`` or ``"part-2/section-2/principle-1"``;
    ``number`` is the number as written without punctuation ("三", "2", "1");
    ``title`` is the heading clause (e.g. "打造航空服务新优势") or ``None``.
    """

    id: str
    kind: str
    number: str | None
    title: str | None
    text: str
    start: int
    end: int
    children: tuple["Node", ...] = ()

    def walk(self):
        """Yield this node and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_json(self) -> dict[str, Any]:
        """The node as the JSON object of ``policykg parse --json``."""
        return {
            "id": self.id,
            "kind": self.kind,
            "number": self.number,
            "title": self.title,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "children": [c.to_json() for c in self.children],
        }


@dataclass(frozen=True)
class Metadata:
    """What a document says about itself (header, title line, footer)."""

    title: str | None = None
    date: str | None = None  # ISO publication date, else the written date; or only a year
    written_date: str | None = None  # 成文日期, ISO
    issuer: str | None = None
    doc_number: str | None = None  # 发文字号
    subject: str | None = None  # 主题分类
    source: str | None = None  # 文档来源 (site)
    original_source: str | None = None  # (来源:长宁时报)
    keywords: tuple[str, ...] = ()
    status: str | None = None  # 状态 as the header states it (有效, 废止 …)


@dataclass(frozen=True)
class Page:
    """One page of a PDF, Word or OFD file as a ``[start, end)`` span of the clean text.

    ``method`` is how its text was obtained: ``"text"`` (text layer or markup)
    or ``"ocr"`` (recognised from the page image, ``confidence`` the mean score
    of its lines, 0–1).
    """

    number: int
    start: int
    end: int
    method: str = "text"
    confidence: float | None = None


@dataclass(frozen=True)
class Box:
    """A printed region of a PDF or OFD page holding the clean-text span ``[start, end)``.

    ``x0 y0 x1 y1`` are in the file's own units (``Document.box_units``):
    ``"pt"``, PDF points with the origin at the page's bottom left, or
    ``"mm"``, OFD millimetres with the origin at the top left.
    """

    start: int
    end: int
    page: int
    x0: float
    y0: float
    x1: float
    y1: float

    def literal(self) -> str:
        """The box as ``"page x0 y0 x1 y1"`` (the form of ``pol:boundingBox``)."""
        return " ".join(f"{v:g}" for v in (self.page, self.x0, self.y0, self.x1, self.y1))


@dataclass(frozen=True)
class Document:
    """A parsed document: clean text, metadata, structure and sentences.

    ``sha256`` is the hex digest of the clean text's UTF-8 bytes; ``path`` is the
    file it was read from (``None`` for text given directly); ``encoding`` is the
    detected encoding of that file. ``pages`` are the pages of a layout file
    (PDF, Word, OFD; empty for text and HTML), ``source_format`` names its reader
    (``pdf``, ``docx``, ``doc``, ``wps``, ``ofd``) and ``layout_hints`` what the
    layout said besides the text (``signer``, ``seals``, ``image_only_pages`` …).
    ``lines`` are the printed lines of a PDF or OFD file as :class:`Box` spans
    of the clean text, in ``box_units``.
    """

    text: str
    metadata: Metadata
    structure: tuple[Node, ...]
    sentences: tuple[Sentence, ...]
    sha256: str
    path: str | None = None
    encoding: str | None = None
    pages: tuple[Page, ...] = ()
    source_format: str | None = None
    layout_hints: tuple[tuple[str, str], ...] = ()
    lines: tuple[Box, ...] = ()
    box_units: str | None = None

    def box_of(self, start: int, end: int) -> Box | None:
        """The union box of the printed lines over ``[start, end)`` on the first page they stand on."""
        # Lines are in text order and do not overlap: look back from the first one past ``end``.
        i = bisect.bisect_left(self.lines, end, key=lambda b: b.start)
        hit = []
        while i > 0 and self.lines[i - 1].end > start:
            i -= 1
            hit.insert(0, self.lines[i])
        if not hit:
            return None
        on = [b for b in hit if b.page == hit[0].page]
        return Box(start, end, hit[0].page, min(b.x0 for b in on), min(b.y0 for b in on),
                   max(b.x1 for b in on), max(b.y1 for b in on))

    def page_of(self, offset: int) -> Page | None:
        """The page holding the clean-text ``offset`` (``None`` without pages)."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page
        return self.pages[-1] if self.pages and offset >= self.pages[-1].start else None

    def nodes(self):
        """Yield every structure node, depth first, in document order."""
        for node in self.structure:
            yield from node.walk()

    def to_json(self) -> dict[str, Any]:
        """The document as the JSON object of ``policykg parse --json``."""
        meta = asdict(self.metadata)
        meta["keywords"] = list(self.metadata.keywords)
        return {
            **meta,
            "text": self.text,
            "structure": [n.to_json() for n in self.structure],
            "sentences": [self._sentence_json(s) for s in self.sentences],
            "pages": [asdict(p) for p in self.pages],
            **({"box_units": self.box_units} if self.lines else {}),
        }

    def _sentence_json(self, sentence: Sentence) -> dict[str, Any]:
        """A sentence for ``to_json``, with ``box`` [page, x0, y0, x1, y1] when the file was printed."""
        out = asdict(sentence)
        box = self.box_of(sentence.start, sentence.end) if self.lines else None
        if box is not None:
            out["box"] = [box.page, box.x0, box.y0, box.x1, box.y1]
        return out


@dataclass(frozen=True)
class Entity:
    """A named thing: one per canonical name, whatever surface forms it has.

    ``key`` is the normalised canonical name (stable across runs and
    documents); ``label`` the canonical Chinese name; ``aliases`` the other
    names it goes by (short forms, full forms); ``label_en`` an English name
    where the alias table gives one.
    """

    key: str
    label: str
    type: str  # one of ENTITY_TYPES
    aliases: tuple[str, ...] = ()
    label_en: str | None = None


@dataclass(frozen=True)
class Mention:
    """A surface form of an entity at an exact place in the clean text.

    ``node_id`` is the innermost structure node containing the mention
    (``None`` when it lies outside every node, e.g. in a preamble).
    """

    entity_key: str
    surface: str
    start: int
    end: int
    node_id: str | None = None


@dataclass(frozen=True)
class Relation:
    """A typed relation found by a pattern, with its evidence span.

    ``subject`` is a node id (``subject_is_node``; ``None`` when the evidence
    lies outside every node, e.g. in a preamble, so the document itself is the
    subject) or an entity key; ``object`` is always an entity key. ``start``/``end``/``exact`` delimit the evidence
    (the phrase that triggered the pattern) in the clean text.
    """

    subject: str | None
    predicate: str  # one of RELATION_PREDICATES
    object: str
    start: int
    end: int
    exact: str
    subject_is_node: bool = True


#: Roles of a unit in a duty: 牵头 (lead), 配合 / 按职责分工负责 / 参与 (cooperating), 责任单位 (responsible).
DUTY_ROLES = ("lead", "cooperating", "responsible")

#: Links between documents found in the text (names of ``pol:`` terms).
DOCUMENT_LINKS = ("repeals", "amends", "implements")


@dataclass(frozen=True)
class Duty:
    """A unit made responsible for a structure unit (a task, a table row …).

    ``unit`` is the name as written (bracketed other names dropped), ``start``/``end``
    its span; ``entity_key`` the organisation entity it resolves to, ``None`` for a
    collective phrase (各区政府, 各有关部门), which is kept whole and ``collective``;
    ``evidence_start``/``evidence_end`` delimit the parenthetical, clause or table cell.
    """

    node_id: str | None
    role: str  # one of DUTY_ROLES
    unit: str
    entity_key: str | None
    collective: bool
    start: int
    end: int
    evidence_start: int
    evidence_end: int


@dataclass(frozen=True)
class Deadline:
    """When a structure unit is due: ``due`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""

    node_id: str | None
    due: str
    start: int
    end: int
    exact: str


@dataclass(frozen=True)
class Target:
    """A quantitative target: ``value`` ``unit`` with a comparator (>=, <=, >, <, =), by ``year``."""

    node_id: str | None
    indicator: str
    value: str
    unit: str
    comparator: str
    year: int | None
    start: int
    end: int
    exact: str


@dataclass(frozen=True)
class DocumentLink:
    """This document repeals, amends or implements another, named by title and/or 发文字号."""

    predicate: str  # one of DOCUMENT_LINKS
    title: str | None
    number: str | None
    start: int
    end: int
    exact: str
    node_id: str | None = None


@dataclass(frozen=True)
class Validity:
    """When the document is in force: ``in_force_from`` / ``in_force_until`` (ISO dates) with evidence."""

    in_force_from: str | None = None
    from_start: int | None = None
    from_end: int | None = None
    in_force_until: str | None = None
    until_start: int | None = None
    until_end: int | None = None


@dataclass(frozen=True)
class Extraction:
    """Everything ``ingest`` found in one document."""

    document: Document
    entities: tuple[Entity, ...] = ()
    mentions: tuple[Mention, ...] = ()
    relations: tuple[Relation, ...] = ()
    duties: tuple[Duty, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    targets: tuple[Target, ...] = ()
    document_links: tuple[DocumentLink, ...] = ()
    validity: Validity = field(default_factory=Validity)
    warnings: tuple[str, ...] = field(default=())
