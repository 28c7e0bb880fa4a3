"""Two documents side by side: what they share and where they differ.

    comparison = compare_documents(store, a, b, vectors=index, links=links, title_key=key)

The entities each names (with mention counts) and the topics each is linked to,
in both or in one only; the most similar pairs of units (tasks, sections,
articles …) and of sentences across the two, by the cosine of their stored
embedding vectors, or, when the store holds no vectors for them, by the
entities and words (character pairs) they share; and the repeal, amendment,
implementation or citation linking them.

Services layer: functions receive the store, the vector index (rows and matrix,
``kg.vectors.VectorIndex``) and the document links (``kg.validity.DocumentLink``)
they need; answers are plain dataclasses with ``to_json``.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable

import numpy as np

from .errors import NotFound, PolicyKGError
from .iris import iri_ref
from .vocab import POL_IRI

__all__ = ["DocumentSide", "EntityCount", "TopicCount", "Excerpt", "Pair", "Relation", "Comparison",
           "compare_documents", "resolve_document", "METHODS"]

#: ``pol:entityType`` values named as the entity lists name them.
_TYPE_OF_VALUE = {"Document": "DocumentReference"}
#: How units were paired: stored embedding vectors, or shared entities and words.
METHODS = ("vectors", "words")
#: Unit kinds compared (those that get a vector; items and paragraphs are covered by sentences).
_UNIT_KINDS = ("Part", "Chapter", "Section", "Task", "Principle", "Goal", "Article")
_EXCERPT_CHARS = 160
_WORD_CHARS = 400  # a unit's words come from its first characters, as its vector does
_CANDIDATES = 3  # best partners per row considered before pairs are chosen one to one
_CHUNK = 512
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z][A-Za-z0-9]+|\d+")


def _rows(store, query: str) -> list[dict[str, str | None]]:
    return list(store.select_rows(query))


@dataclass
class DocumentSide:
    """One of the two documents: what it is, who issued it, when, and its size."""

    iri: str
    title: str
    date: str | None
    kind: str | None
    issuer: str | None
    identifier: str | None
    units: int
    sentences: int
    file: str | None = None  # the source file's name


class _Counted:
    a: int
    b: int

    @property
    def side(self) -> str:
        """``both``, ``a`` or ``b``: which documents have it."""
        return "both" if self.a and self.b else "a" if self.a else "b"


@dataclass
class EntityCount(_Counted):
    """An entity named by either document, with its mentions in A and in B."""

    iri: str
    zh: str
    en: str
    type: str  # Organization, Place, Event, Programme, DocumentReference or the graph's own
    a: int
    b: int


@dataclass
class TopicCount(_Counted):
    """A topic linked to either document (or its units), with the units linked in A and B."""

    iri: str
    zh: str
    en: str
    a: int
    b: int


@dataclass
class Excerpt:
    """A unit or sentence of one document: where it is and the start of its text."""

    iri: str
    kind: str  # Task, Section … or Sentence
    label: str  # the unit's number and title; empty for a sentence
    start: int
    end: int
    text: str


@dataclass
class Pair:
    """A unit (or sentence) of A and its most similar counterpart in B."""

    a: Excerpt
    b: Excerpt
    score: float  # cosine similarity, 0–1
    identical: bool  # the same text (whitespace aside)


@dataclass
class Relation:
    """``source`` repeals, amends, implements or cites ``target`` (one of the two documents)."""

    source: str
    predicate: str  # repeals, amends, implements, cites
    target: str
    evidence: str
    derived: bool = False  # a later version of the same instrument, not words of the source


@dataclass
class Comparison:
    """What two documents share and where they differ."""

    a: DocumentSide
    b: DocumentSide
    relations: list[Relation]
    entities: list[EntityCount]  # in both first, then only in A, then only in B
    topics: list[TopicCount]
    units: list[Pair]  # most similar first
    sentences: list[Pair]  # most similar first, identical ones left out (they are in ``identical``)
    identical: list[Pair]  # sentences of A found word for word in B, in A's order
    method: str  # one of METHODS

    def entities_on(self, side: str) -> list[EntityCount]:
        """The entities named in ``both`` documents, only in ``a`` or only in ``b``."""
        return [e for e in self.entities if e.side == side]

    def topics_on(self, side: str) -> list[TopicCount]:
        """The topics of ``both`` documents, only of ``a`` or only of ``b``."""
        return [t for t in self.topics if t.side == side]

    def to_json(self) -> dict[str, Any]:
        """The comparison as a JSON object (entities and topics with their ``side``)."""
        data = asdict(self)
        for key, items in (("entities", self.entities), ("topics", self.topics)):
            for row, item in zip(data[key], items):
                row["side"] = item.side
        return data


# -- which documents ------------------------------------------------------------------
def resolve_document(store, name: str, base_iri: str) -> str:
    """The IRI of the document ``name``: its IRI, its id (``/doc/<id>``), or a unique
    part of its title or file name.

    Raises:
        PolicyKGError: (kind ``invalid``) an empty name, or one matching several documents.
        NotFound: no document by that name.
    """
    name = (name or "").strip()
    if not name:
        raise PolicyKGError("name a document: its IRI, id or part of its title")
    docs = {r["doc"]: r for r in _rows(store, """
        SELECT ?doc ?title ?file WHERE { ?doc a pol:PolicyDocument .
          OPTIONAL { ?doc dcterms:title ?title } OPTIONAL { ?doc pol:sourceFile ?file } }""")}
    for iri in (name, f"{base_iri}doc/{name.strip('/')}"):
        if iri in docs:
            return iri
    needle = name.casefold()
    exact = [d for d, r in docs.items() if needle in ((r["title"] or "").casefold(),
                                                      (r["file"] or "").casefold())]
    found = exact or [d for d, r in docs.items()
                      if needle in (r["title"] or "").casefold() or needle in (r["file"] or "").casefold()]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"no document named {name[:200]!r}")
    some = "; ".join(sorted(docs[d]["title"] or d for d in found)[:3])
    raise PolicyKGError(f"{name[:200]!r} matches {len(found)} documents ({some} …); "
                        "give its id or more of its title")


def _side(store, doc: str) -> DocumentSide:
    node = iri_ref(doc)
    rows = _rows(store, f"""
        SELECT ?title ?date ?kind ?number ?issuer ?issuerLabel ?file WHERE {{ GRAPH {node} {{
          {node} a pol:PolicyDocument . OPTIONAL {{ {node} pol:sourceFile ?file }}
          OPTIONAL {{ {node} dcterms:title ?title }} OPTIONAL {{ {node} dcterms:issued ?date }}
          OPTIONAL {{ {node} pol:kind ?kind }} OPTIONAL {{ {node} dcterms:identifier ?number }}
          OPTIONAL {{ {node} dcterms:publisher ?issuer OPTIONAL {{ ?issuer rdfs:label ?issuerLabel }} }}
        }} }}""")
    if not rows:
        raise NotFound(f"{doc} is not a document in the graph")
    # a Chinese name of the issuer first (labels come in both languages)
    row = sorted(rows, key=lambda r: not re.search(r"[\u4e00-\u9fff]", r["issuerLabel"] or ""))[0]
    counts = _rows(store, f"""
        SELECT (COUNT(DISTINCT ?u) AS ?units) (COUNT(DISTINCT ?s) AS ?sentences) WHERE {{ GRAPH {node} {{
          {{ ?u a pol:StructuralUnit }} UNION {{ ?s a pol:Sentence }} }} }}""")[0]
    return DocumentSide(doc, row["title"] or doc, row["date"], row["kind"], row["issuerLabel"] or row["issuer"],
                        row["number"], int(counts["units"] or 0), int(counts["sentences"] or 0), row["file"])


# -- entities and topics --------------------------------------------------------------
def _names(store, iris: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(Chinese, English) names of ``iris``: preferred labels, then labels (not ``names_of``:
    its ``LANG`` column and literal filter took Oxigraph 50 ms against 25 for 400 entities)."""
    iris = sorted(set(iris))
    names = {i: ["", ""] for i in iris}
    if not iris:
        return {}
    # one branch per predicate: with ``VALUES ?p`` Oxigraph read every label of the store
    # first (0.5 s of the two reports' 72 entities on the corpus, 0.03 s so)
    rows = _rows(store, f"""
        SELECT DISTINCT ?s ?p ?l WHERE {{ VALUES ?s {{ {' '.join(iri_ref(i) for i in iris)} }}
          {{ ?s skos:prefLabel ?l BIND (skos:prefLabel AS ?p) }}
          UNION {{ ?s rdfs:label ?l BIND (rdfs:label AS ?p) }} }}""")
    rows.sort(key=lambda r: (not (r["p"] or "").endswith("prefLabel"), r["l"] or ""))
    for row in rows:
        text = row["l"] or ""
        slot = 0 if re.search(r"[\u3400-\u9fff]", text) else 1
        names[row["s"]][slot] = names[row["s"]][slot] or text
    return {i: (zh, en) for i, (zh, en) in names.items()}


def _entity_counts(store, a: str, b: str) -> list[EntityCount]:
    counts: dict[str, list[int]] = {}
    for i, doc in enumerate((a, b)):
        for row in _rows(store, f"""
                SELECT ?e (COUNT(DISTINCT ?m) AS ?n) WHERE {{ GRAPH {iri_ref(doc)} {{
                  ?m a pol:Mention ; pol:mentionOf ?e }} }} GROUP BY ?e"""):
            counts.setdefault(row["e"], [0, 0])[i] = int(row["n"] or 0)
    if not counts:
        return []
    types = {r["e"]: r["t"] for r in _rows(store, f"""
        SELECT DISTINCT ?e ?t WHERE {{ VALUES ?e {{ {' '.join(iri_ref(e) for e in sorted(counts))} }}
          ?e pol:entityType ?t }}""")}
    names = _names(store, counts)
    out = []
    for iri, (in_a, in_b) in counts.items():
        kind = types.get(iri) or "Entity"
        zh, en = names.get(iri, ("", ""))
        out.append(EntityCount(iri, zh or en or iri.rsplit("/", 1)[-1], en, _TYPE_OF_VALUE.get(kind, kind),
                               in_a, in_b))
    order = {"both": 0, "a": 1, "b": 2}
    out.sort(key=lambda e: (order[e.side], -(e.a + e.b), e.zh))
    return out


def _topic_counts(store, a: str, b: str) -> list[TopicCount]:
    counts: dict[str, list[int]] = {}
    for i, doc in enumerate((a, b)):
        for row in _rows(store, f"""
                SELECT ?t (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH {iri_ref(doc)} {{
                  ?x dcterms:subject ?t }} }} GROUP BY ?t"""):
            counts.setdefault(row["t"], [0, 0])[i] = int(row["n"] or 0)
    names = _names(store, counts)
    out = [TopicCount(t, *(names.get(t) or ("", "")), in_a, in_b) for t, (in_a, in_b) in counts.items()]
    for topic in out:
        topic.zh = topic.zh or topic.en or topic.iri.rsplit("/", 1)[-1]
    order = {"both": 0, "a": 1, "b": 2}
    out.sort(key=lambda t: (order[t.side], -(t.a + t.b), t.zh))
    return out


# -- relations ------------------------------------------------------------------------
def _relations(a: DocumentSide, b: DocumentSide, links: Iterable[Any], entities: list[EntityCount],
               title_key: Callable[[str], str] | None) -> list[Relation]:
    """Links between the two (``kg.validity.DocumentLink``), and citations by title."""
    pair = {a.iri, b.iri}
    out = [Relation(link.source, link.predicate, link.target, link.evidence or link.reference_label,
                    bool(getattr(link, "derived", False)))
           for link in links if link.target and {link.source, link.target} == pair]
    key = title_key or (lambda t: re.sub(r"[\s《》]", "", t or ""))
    for source, target in ((a, b), (b, a)):
        wanted = key(target.title)
        if not wanted or any(r.source == source.iri and r.target == target.iri for r in out):
            continue
        for entity in entities:
            cited = entity.a if source is a else entity.b
            if cited and entity.type == "DocumentReference" and key(entity.zh) == wanted:
                out.append(Relation(source.iri, "cites", target.iri, f"《{entity.zh.strip('《》')}》"))
                break
    return out


# -- similar units and sentences ------------------------------------------------------
def _excerpts(store, doc: str) -> tuple[list[Excerpt], list[Excerpt], list[tuple[str, int, int]]]:
    """The comparable units and the sentences of a document, and its mentions (entity, start, end)."""
    node = iri_ref(doc)
    text_rows = _rows(store, f"SELECT ?text WHERE {{ GRAPH {node} {{ {node} pol:cleanText ?text }} }}")
    text = (text_rows[0]["text"] or "") if text_rows else ""
    kinds = " ".join(f"pol:{k}" for k in _UNIT_KINDS)
    units = []
    for r in _rows(store, f"""
            SELECT ?u ?type ?number ?title ?label ?start ?end WHERE {{ GRAPH {node} {{
              VALUES ?type {{ {kinds} }} ?u a ?type ; pol:startOffset ?start ; pol:endOffset ?end .
              OPTIONAL {{ ?u pol:number ?number }} OPTIONAL {{ ?u dcterms:title ?title }}
              OPTIONAL {{ ?u rdfs:label ?label }} }} }}"""):
        start, end = int(r["start"]), int(r["end"])
        label = r["label"] or " ".join(x for x in (r["number"], r["title"]) if x)
        units.append(Excerpt(r["u"], (r["type"] or "").replace(POL_IRI, ""), label, start, end,
                             text[start:end]))
    sentences = [Excerpt(r["s"], "Sentence", "", int(r["start"]), int(r["end"]), r["value"] or "")
                 for r in _rows(store, f"""
            SELECT ?s ?start ?end ?value WHERE {{ GRAPH {node} {{ ?s a pol:Sentence ;
              pol:startOffset ?start ; pol:endOffset ?end ; rdf:value ?value }} }}""")]
    mentions = [(r["e"], int(r["s"]), int(r["end"])) for r in _rows(store, f"""
            SELECT DISTINCT ?e ?s ?end WHERE {{ GRAPH {node} {{ ?m a pol:Mention ; pol:mentionOf ?e ;
              oa:hasTarget/oa:hasSelector ?sel . ?sel oa:start ?s ; oa:end ?end }} }}""")]
    units.sort(key=lambda u: (u.start, -u.end))
    sentences.sort(key=lambda s: s.start)
    return units, sentences, mentions


def _vector_rows(vectors: Any, doc: str) -> dict[str, int]:
    """Row numbers of ``doc``'s stored vectors by IRI (empty without vectors)."""
    if vectors is None:
        return {}
    return {row.iri: i for i, row in enumerate(vectors.rows) if row.document == doc}


def _with_vectors(vectors: Any, where: dict[str, int], items: list[Excerpt]
                  ) -> tuple[list[Excerpt], np.ndarray] | None:
    """The items that have a stored vector, and their vectors (None: none has one)."""
    kept = [item for item in items if item.iri in where]
    if not kept:
        return None
    return kept, np.asarray(vectors.matrix[[where[item.iri] for item in kept]], dtype=np.float32)


def _features(item: Excerpt, mentions: list[tuple[str, int, int]]) -> Counter:
    """Words of an item (character pairs of Chinese, whole Latin words and numbers) and
    the entities it names (counted twice: a shared entity says more than a shared pair)."""
    words: Counter = Counter()
    text = item.text[:_WORD_CHARS] if item.kind != "Sentence" else item.text
    for run in _CJK_RUN.findall(text):
        if run[0] >= "\u3400" and len(run) > 1:
            words.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            words[run.lower()] += 1
    stop = item.start + len(text)
    for entity, start, _end in mentions:
        if item.start <= start < stop:
            words["\x00" + entity] += 2
    return words


def _word_matrices(items_a: list[Excerpt], items_b: list[Excerpt], mentions_a, mentions_b
                   ) -> tuple[np.ndarray, np.ndarray]:
    """TF-IDF vectors (L2-normalised) of both sides over the features they share."""
    feats_a = [_features(i, mentions_a) for i in items_a]
    feats_b = [_features(i, mentions_b) for i in items_b]
    df = Counter(f for feats in feats_a + feats_b for f in feats)
    n = len(feats_a) + len(feats_b)
    idf = {f: math.log(1 + n / d) for f, d in df.items()}
    shared = sorted(set().union(*feats_a) & set().union(*feats_b)) if feats_a and feats_b else []
    column = {f: j for j, f in enumerate(shared)}

    def matrix(feats: list[Counter]) -> np.ndarray:
        out = np.zeros((len(feats), len(shared)), dtype=np.float32)
        for i, counts in enumerate(feats):
            weights = {f: (1 + math.log(c)) * idf[f] for f, c in counts.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for f, w in weights.items():
                if f in column:
                    out[i, column[f]] = w / norm
        return out

    return matrix(feats_a), matrix(feats_b)


def _best_pairs(items_a: list[Excerpt], items_b: list[Excerpt], va: np.ndarray, vb: np.ndarray,
                limit: int) -> list[Pair]:
    """The ``limit`` most similar pairs of one kind, each unit of A and of B in one pair at most."""
    if not len(items_a) or not len(items_b) or va.shape[1] == 0:
        return []
    take = min(_CANDIDATES, len(items_b))
    kinds_a, kinds_b = np.array([i.kind for i in items_a]), np.array([i.kind for i in items_b])
    candidates: list[tuple[float, int, int]] = []
    for first in range(0, len(items_a), _CHUNK):  # a chunk at a time: laws have thousands of sentences
        scores = va[first:first + _CHUNK] @ vb.T
        # a chapter pairs with a chapter, an article with an article
        scores[kinds_a[first:first + _CHUNK, None] != kinds_b[None, :]] = -1.0
        best = np.argpartition(-scores, take - 1, axis=1)[:, :take]
        for row, columns in enumerate(best):
            candidates += [(float(scores[row, j]), first + row, int(j)) for j in columns]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for score, i, j in candidates:
        if len(pairs) >= limit or score <= 0:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        a, b = items_a[i], items_b[j]
        same = " ".join(a.text.split()) == " ".join(b.text.split())
        pairs.append(Pair(_short(a), _short(b), round(min(1.0, max(0.0, score)), 4), same))
    return pairs


def _short(item: Excerpt) -> Excerpt:
    """The item with its text cut to an excerpt."""
    text = " ".join(item.text.split())
    text = text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS - 1] + "…"
    return Excerpt(item.iri, item.kind, item.label, item.start, item.end, text)


def _identical(items_a: list[Excerpt], items_b: list[Excerpt]
               ) -> tuple[list[Pair], list[Excerpt], list[Excerpt]]:
    """Sentences of A found word for word in B (each paired once, in A's order), and the rest
    of each side."""
    waiting: dict[str, list[Excerpt]] = {}
    for item in items_b:
        waiting.setdefault(" ".join(item.text.split()), []).append(item)
    pairs, rest_a, paired_b = [], [], set()
    for item in items_a:
        twins = waiting.get(" ".join(item.text.split()))
        if twins:
            twin = twins.pop(0)
            paired_b.add(twin.iri)
            pairs.append(Pair(_short(item), _short(twin), 1.0, True))
        else:
            rest_a.append(item)
    return pairs, rest_a, [item for item in items_b if item.iri not in paired_b]


def _similar(store, a: str, b: str, vectors: Any, limit: int
             ) -> tuple[list[Pair], list[Pair], list[Pair], str]:
    """The most similar units, the most similar sentences that are not identical, the
    identical sentences, and how units were compared (one of METHODS)."""
    units_a, sentences_a, mentions_a = _excerpts(store, a)
    units_b, sentences_b, mentions_b = _excerpts(store, b)
    same, sentences_a, sentences_b = _identical(sentences_a, sentences_b)
    where_a, where_b = _vector_rows(vectors, a), _vector_rows(vectors, b)
    sent_a, sent_b = _with_vectors(vectors, where_a, sentences_a), _with_vectors(vectors, where_b, sentences_b)
    if sent_a and sent_b:  # every embedded document has sentence vectors; units may lack them
        unit_a, unit_b = _with_vectors(vectors, where_a, units_a), _with_vectors(vectors, where_b, units_b)
        units = _best_pairs(unit_a[0], unit_b[0], unit_a[1], unit_b[1], limit) if unit_a and unit_b else []
        return units, _best_pairs(sent_a[0], sent_b[0], sent_a[1], sent_b[1], limit), same, "vectors"
    out = []
    for xa, xb in ((units_a, units_b), (sentences_a, sentences_b)):
        va, vb = _word_matrices(xa, xb, mentions_a, mentions_b)
        out.append(_best_pairs(xa, xb, va, vb, limit))
    return out[0], out[1], same, "words"


def _may_link(store, a: DocumentSide, b: DocumentSide, title_key: Callable[[str], str] | None) -> bool:
    """Whether a repeal, amendment or implementation can link the two: one of them names
    another document so, or both carry one title (versions). Resolving the links of a
    whole store takes seconds on a corpus, so it is done only then."""
    if title_key is not None and title_key(a.title) and title_key(a.title) == title_key(b.title):
        return True
    found = _rows(store, f"""SELECT ?d WHERE {{ VALUES ?d {{ {iri_ref(a.iri)} {iri_ref(b.iri)} }}
        VALUES ?p {{ pol:repeals pol:amends pol:implements }} ?d ?p ?ref }} LIMIT 1""")
    return bool(found)


def compare_documents(store, a: str, b: str, *, vectors: Any = None,
                      links: Callable[[], Iterable[Any]] | None = None,
                      title_key: Callable[[str], str] | None = None, limit: int = 20) -> Comparison:
    """Compare documents ``a`` and ``b`` (IRIs): sides, relations, entities, topics, similar parts.

    Args:
        store: the ``GraphStore``.
        vectors: the vector index (``kg.vectors.VectorIndex``) or None; without vectors for
            the two documents, units are paired by the entities and words they share.
        links: gives the document links of the store (``kg.validity.document_links``),
            called only when the two may be linked.
        title_key: how titles are compared to find a citation (``kg.validity.title_key``).
        limit: most pairs of units and of sentences.

    Raises:
        PolicyKGError: (kind ``invalid``) ``a`` and ``b`` are the same document, or ``limit`` < 1.
        NotFound: either is not a document of the store.
    """
    if a == b:
        raise PolicyKGError("choose two different documents to compare")
    if limit < 1:
        raise PolicyKGError(f"limit must be at least 1, not {limit}")
    side_a, side_b = _side(store, a), _side(store, b)
    entities = _entity_counts(store, a, b)
    units, sentences, same, method = _similar(store, a, b, vectors, limit)
    resolved = links() if links is not None and _may_link(store, side_a, side_b, title_key) else ()
    return Comparison(side_a, side_b, _relations(side_a, side_b, resolved, entities, title_key), entities,
                      _topic_counts(store, a, b), units, sentences, same, method)
