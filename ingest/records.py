"""Plain records: the only contract between ``ingest`` and ``kg``.

Every offset is a ``[start, end)`` pair of code-point indices into the clean
text of the document (``Document.text``), so ``text[start:end]`` is exactly
the span the record describes.
"""
from __future__ import annotations

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
    date: str | None = None  # ISO publication date, else the written date
    written_date: str | None = None  # 成文日期, ISO
    issuer: str | None = None
    doc_number: str | None = None  # 发文字号
    subject: str | None = None  # 主题分类
    source: str | None = None  # 文档来源 (site)
    original_source: str | None = None  # (来源:长宁时报)
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """A parsed document: clean text, metadata, structure and sentences.

    ``sha256`` is the hex digest of the clean text's UTF-8 bytes; ``path`` is the
    file it was read from (``None`` for text given directly); ``encoding`` is the
    detected encoding of that file.
    """

    text: str
    metadata: Metadata
    structure: tuple[Node, ...]
    sentences: tuple[Sentence, ...]
    sha256: str
    path: str | None = None
    encoding: str | None = None

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
            "sentences": [asdict(s) for s in self.sentences],
        }


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


@dataclass(frozen=True)
class Extraction:
    """Everything ``ingest`` found in one document."""

    document: Document
    entities: tuple[Entity, ...] = ()
    mentions: tuple[Mention, ...] = ()
    relations: tuple[Relation, ...] = ()
    warnings: tuple[str, ...] = field(default=())
