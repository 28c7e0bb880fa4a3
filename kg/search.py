"""Hybrid search: BM25 over jieba tokens + dense vectors + concept linking, lifted by the graph.

    result = Searcher(kg).search("which tasks involve aviation?")
    result.results[0].number  # "2"

A question (Chinese or English) is tokenised and embedded once. Three signals
score every sentence and unit: BM25 over jieba tokens, cosine similarity of
the question's vector with sentence and unit vectors, and concept linking
(question words matching topic or entity labels in either language, English
compared word by word after light stemming, expanded to their Chinese labels and
to ``dcterms:subject`` links). An English concept name is embedded together
with its Chinese name, so the dense signal meets the Chinese text. The graph then
lifts sentence scores to their task, document or entity; the signals are
normalised and fused by a weighted sum. Hits close enough to the best one are
returned, and so is every task holding direct evidence (the Chinese name of the
concept the question names, or the Chinese label it used), while tasks that are
only similar in meaning are dropped when such evidence exists; each hit comes
with its evidence sentences and offsets.

Everything that does not depend on the question (texts, groups of sentences per
task and document, BM25 indexes, label tables, entity evidence) is built once
per ``Searcher``; a question costs one embedding plus a few milliseconds.
"""
from __future__ import annotations

import math
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .errors import SearchError
from .iris import local_name
from .vocab import POL_IRI

#: Longest query accepted, in characters.
MAX_QUERY_CHARS = 1000
#: Result types.
RESULT_TYPES = ("task", "entity", "sentence", "document")

# Fusion weights and the relevance cut-off, calibrated on bench/gold_search.tsv.
W_BM25, W_DENSE, W_CONCEPT = 0.30, 0.40, 0.30
CUTOFF_RATIO = 0.62  # keep hits scoring at least this share of the best hit
MIN_SCORE = 0.12  # and at least this much in absolute terms
DENSE_Z_FLOOR = 0.5  # dense similarity counts from this many standard deviations above the mean
_TERM_CACHE = 4096  # terms whose occurrence counts are kept per searcher
_TERM_CELLS = 4_000_000  # and at most this many non-zero counts (32 MB) in all

_UNIT_TYPES = ("Task", "Principle", "Goal", "Section", "Part", "Chapter", "Article", "Item",
               "Paragraph")
#: Layout of the tables :meth:`Searcher._to_table` saves (change it with the layout).
_TABLE_VERSION = "search tables v1"
#: The units results are made of, per document: the first of these groups it has
#: (tasks in an implementation opinion, articles in a law, sections in a report).
_TARGET_TIERS = (("Task",), ("Article",), ("Principle", "Goal"), ("Section",), ("Part", "Chapter"))

_INTENTS: tuple[tuple[str, str, str | None], ...] = (
    # (regex, result type, entity type)
    (r"\b(which|what)\s+(organi[sz]ations?|institutions?|agencies|departments?|units|"
     r"companies|enterprises|universities|bodies)\b|哪些(单位|机构|部门|企业|高校|组织|大学)|"
     r"(单位|机构|部门|企业|高校)有哪些", "entity", "Organization"),
    (r"\b(which|what)\s+(events?|activities|exhibitions?|expos?|festivals?|competitions?)\b|"
     r"哪些(活动|展会|赛事|节庆|会展)|(活动|展会)有哪些", "entity", "Event"),
    (r"\b(which|what|where)\s+(places?|areas?|districts?|regions?|locations?)\b|"
     r"哪些(地方|区域|地区|地点|街区)|(地方|区域)有哪些", "entity", "Place"),
    (r"\b(which|what)\s+(documents?|policies|files|reports?|regulations?|laws?|opinions?|"
     r"notices?)\b|哪些(文件|政策|文档|报告|条例|法规|规定|意见|通知)", "document", None),
    (r"\b(which|what)\s+(sentences?|passages?)\b|哪些(句子|表述|段落)", "sentence", None),
    (r"\b(which|what)\s+(tasks?|measures?|actions?|initiatives?)\b|哪些(任务|举措|措施|工作)",
     "task", None),
)

_EN_STOP = frozenset("""
a an the of in on at to for from by with about and or not no is are was were be been being
do does did which what who whom whose where when why how that this these those it its any all
some there their they them we our us you your i me my involve involves involving concern
concerns concerning mention mentions mentioned relate relates related relating regarding
deal deals dealing cover covers covering address addresses talk talks say says tasks task
measures measure actions action initiatives initiative documents document policy policies
organisations organizations organisation organization events event places place area areas
sentences sentence list show find give tell me please can could should would will shall
more most much many other into than then so as also such only own same both each few via
""".split())
_ZH_STOP = frozenset("""
的 了 和 与 及 或 在 是 有 哪些 哪个 什么 怎么 如何 是否 关于 有关 涉及 相关 方面 提到 提及
任务 举措 措施 工作 文件 政策 单位 机构 部门 企业 活动 地方 区域 一些 那些 这些 中 对 把 被 等
为 以 之 其 并 将 要 上 下 个 吗 呢 吧 啊 也 都 就 还 又 及其 进行 方面的 有关的 问题
""".split())

_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
_EN_WORD = re.compile(r"[a-z][a-z0-9'-]*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_TOKEN = re.compile(r"[a-z0-9][a-z0-9&]*(?:['-][a-z0-9]+)*")


# -- results --------------------------------------------------------------------
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

    def to_text(self, *, ansi: bool | None = None) -> str:
        """Plain text: number, title, score and evidence with the matched words marked."""
        if ansi is None:
            ansi = sys.stdout.isatty()
        mark = ("\033[1m", "\033[0m") if ansi else ("【", "】")
        lines = [f"{self.query} → {self.type}: {len(self.results)} result(s)"]
        if not self.results:
            lines.append(f"  {self.message or 'nothing relevant found'}")
        for rank, hit in enumerate(self.results, 1):
            head = hit.label if not hit.number or hit.label.startswith(hit.number) \
                else f"{hit.number}. {hit.label}"
            lines.append(f"{rank:>2}. {head}  [{hit.type}, score {hit.score:.2f}]")
            if hit.title and hit.type != "document":
                lines.append(f"    《{hit.title}》" + (f" {hit.date}" if hit.date else ""))
            for ev in hit.evidence:
                lines.append(f"    … {_mark(ev.text, ev.highlights, mark)}")
        return "\n".join(lines)


def _mark(text: str, spans: list[tuple[int, int]], mark: tuple[str, str]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], mark[0], text[start:end], mark[1]]
        last = end
    out.append(text[last:])
    return "".join(out)


# -- the loaded graph ---------------------------------------------------------------
@dataclass(slots=True)
class _Doc:
    iri: str
    title: str = ""
    date: str | None = None
    kind: str | None = None
    text: str = ""


@dataclass(slots=True)
class _Unit:
    iri: str
    type: str
    doc: str
    label: str = ""
    title: str | None = None
    number: str | None = None
    start: int = 0
    end: int = 0
    text: str = ""  # kept for targets only
    links: set[str] | None = None  # topics and entities it is linked to


@dataclass(slots=True)
class _Sentence:
    iri: str
    doc: str
    start: int
    end: int
    text: str
    unit: str | None = None
    target: int | None = None  # index into Searcher.targets


@dataclass(slots=True)
class _Entity:
    iri: str
    label: str
    type: str | None = None
    aliases: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)


@dataclass
class _Concept:
    """A topic or entity that question words can link to."""

    iri: str
    zh_terms: tuple[str, ...]  # Chinese labels, searched for in the text
    is_topic: bool
    names_zh: tuple[str, ...] = ()  # Chinese preferred labels (every name of an entity)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


# -- the searcher -----------------------------------------------------------------
def save_search_table(kg: Any) -> None:
    """Read what search needs from the store and save it, and its BM25 indexes, beside the
    store (:mod:`kg.cache`): what a :class:`Searcher` does when it finds neither saved."""
    Searcher(kg)


class Searcher:
    """Everything search needs, loaded once from a KnowledgeGraph."""

    def __init__(self, kg: Any):
        from .vectors import VectorIndex

        self.kg = kg
        self._load_graph()
        self._tokenizer = self._make_tokenizer()
        self._build_lexicon()
        self._build_bm25()
        vectors = VectorIndex.open(kg)
        self.embedder = vectors.embedder
        self._load_vectors(vectors)
        self._prepare()

    # .. loading ..................................................................
    def _load_graph(self) -> None:
        """Documents, units, sentences and entities: from the cache, else from the store."""
        from .cache import save_table, saved_table

        table = saved_table(self.kg, "search", _TABLE_VERSION)
        if table is None or not self._from_table(table):
            self._read_store()
            save_table(self.kg, "search", _TABLE_VERSION, self._to_table())
        del table
        self._assign_targets()

    def _to_table(self) -> dict[str, list]:
        """What :meth:`_read_store` read, as JSON data (IRIs below their document's made relative)."""
        def rel(iri: str | None, doc: str) -> str | None:
            return iri[len(doc):] if iri and iri.startswith(doc + "/") else iri

        return {
            "docs": [[d.iri, d.title, d.date, d.kind, d.text] for d in self.docs.values()],
            "units": [[rel(u.iri, u.doc), u.type, u.doc, u.label, u.title, u.number, u.start,
                       u.end, sorted(u.links) if u.links else None]
                      for u in self.units.values()],
            "sentences": [[rel(s.iri, s.doc), s.doc, s.start, s.end, s.text, rel(s.unit, s.doc)]
                          for s in self.sentences],
            "entities": [[e.iri, e.label, e.type, sorted(e.aliases), sorted(e.units)]
                         for e in self.entities.values()],
        }

    def _from_table(self, table: dict[str, list]) -> bool:
        """Load what :meth:`_to_table` saved; False when it does not fit this code."""
        try:
            docs = {}
            for iri, title, date, kind, text in table["docs"]:
                docs[iri] = _Doc(iri, title, date, kind, text)
            same = {iri: iri for iri in docs}

            def absolute(iri: str | None, doc: str) -> str | None:
                return doc + iri if iri and iri.startswith("/") else iri

            units = {}
            for iri, type_, doc, label, title, number, start, end, links in table["units"]:
                doc = same.get(doc, doc)
                unit = _Unit(absolute(iri, doc), type_, doc, label, title, number, start, end,
                             links=set(links) if links else None)
                units[unit.iri] = unit
            same.update((iri, iri) for iri in units)
            sentences = []
            for iri, doc, start, end, text, unit in table["sentences"]:
                doc = same.get(doc, doc)
                unit = absolute(unit, doc)
                sentences.append(_Sentence(absolute(iri, doc), doc, start, end, text,
                                           same.get(unit, unit)))
            entities = {}
            for iri, label, type_, aliases, in_units in table["entities"]:
                entities[iri] = _Entity(iri, label, type_, set(aliases), set(in_units))
        except (KeyError, TypeError, ValueError):
            return False
        for unit in units.values():
            doc = docs.get(unit.doc)
            unit.text = doc.text[unit.start:unit.end] if doc else ""
        self.docs, self.units, self.sentences, self.entities = docs, units, sentences, entities
        return True

    def _read_store(self) -> None:
        """Read documents, units, sentences and entities from the store (slow on a corpus)."""
        kg = self.kg
        self.docs: dict[str, _Doc] = {}
        for r in kg.store.select_rows("""SELECT ?d ?title ?issued ?kind ?text WHERE {
                ?d pol:cleanText ?text .
                OPTIONAL { ?d dcterms:title ?title } OPTIONAL { ?d dcterms:issued ?issued }
                OPTIONAL { ?d pol:kind ?kind } }"""):
            doc = self.docs.setdefault(r["d"], _Doc(r["d"], text=r["text"] or ""))
            doc.title = doc.title or r.get("title") or ""
            doc.date = doc.date or (r.get("issued") or None)
            doc.kind = doc.kind or r.get("kind")
        types = " ".join(f"pol:{t}" for t in _UNIT_TYPES)
        self.units: dict[str, _Unit] = {}
        doc_iris = {iri: iri for iri in self.docs}
        for r in kg.store.select_rows(f"""SELECT ?u ?type ?doc ?label ?title ?number ?start ?end WHERE {{
                VALUES ?type {{ {types} }}
                ?u a ?type ; pol:inDocument ?doc .
                OPTIONAL {{ ?u rdfs:label ?label }} OPTIONAL {{ ?u dcterms:title ?title }}
                OPTIONAL {{ ?u pol:number ?number }}
                OPTIONAL {{ ?u pol:startOffset ?start }} OPTIONAL {{ ?u pol:endOffset ?end }} }}"""):
            if r["u"] in self.units:
                continue
            unit = _Unit(r["u"], local_name(r["type"]),
                         doc_iris.get(r["doc"], r["doc"]),
                         label=r.get("label") or "",
                         title=r.get("title"), number=r.get("number"),
                         start=int(r.get("start") or 0), end=int(r.get("end") or 0))
            doc = self.docs.get(unit.doc)
            unit.text = doc.text[unit.start:unit.end] if doc else ""
            unit.label = unit.label or (unit.title or unit.text[:30])
            self.units[unit.iri] = unit
        # one string object per IRI: a corpus has 10⁵ sentences naming the same few IRIs
        same: dict[str, str] = {iri: iri for iri in (*self.docs, *self.units)}
        self.sentences: list[_Sentence] = []
        for r in kg.store.select_rows("""SELECT ?s ?text ?doc ?start ?end ?unit WHERE {
                ?s a pol:Sentence ; rdf:value ?text ; pol:inDocument ?doc ;
                   pol:startOffset ?start ; pol:endOffset ?end .
                OPTIONAL { ?s dcterms:isPartOf ?unit } }"""):
            unit = r.get("unit")
            self.sentences.append(_Sentence(
                r["s"], same.setdefault(r["doc"], r["doc"]), int(r["start"]), int(r["end"]),
                r["text"] or "", same.setdefault(unit, unit) if unit else None))
        self.sentences.sort(key=lambda s: (s.doc, s.start, s.iri))
        seen: set[str] = set()
        self.sentences = [s for s in self.sentences if not (s.iri in seen or seen.add(s.iri))]
        for r in kg.store.select_rows("SELECT DISTINCT ?u ?t WHERE { ?u dcterms:subject ?t }"):
            unit = self.units.get(r["u"])
            if unit is not None:
                unit.links = unit.links or set()
                unit.links.add(r["t"])
        self.entities: dict[str, _Entity] = {}
        # an entity shared by many documents is described in each of their graphs:
        # DISTINCT, or the union repeats its label once per mention and graph
        for r in kg.store.select_rows("""SELECT DISTINCT ?e ?label ?etype WHERE {
                { SELECT DISTINCT ?e WHERE { ?x pol:mentions ?e } }
                ?e rdfs:label ?label . OPTIONAL { ?e pol:entityType ?etype } }"""):
            ent = self.entities.setdefault(r["e"], _Entity(r["e"], r["label"] or ""))
            ent.type = ent.type or r.get("etype")
            if r["label"] and _CJK.search(r["label"]) is None:
                ent.aliases.add(r["label"])
        for r in kg.store.select_rows("""SELECT DISTINCT ?e ?alt WHERE {
                { SELECT DISTINCT ?e WHERE { ?x pol:mentions ?e } } ?e skos:altLabel ?alt }"""):
            if r["e"] in self.entities and r["alt"]:
                self.entities[r["e"]].aliases.add(r["alt"])
        for r in kg.store.select_rows("SELECT DISTINCT ?u ?e WHERE { ?u pol:mentions ?e }"):
            if r["e"] in self.entities:
                self.entities[r["e"]].units.add(r["u"])
                unit = self.units.get(r["u"])
                if unit is not None:
                    unit.links = unit.links or set()
                    unit.links.add(r["e"])

    def _assign_targets(self) -> None:
        """Pick the units results are made of, and map every sentence to one of them."""
        units_of: dict[str, list[_Unit]] = {}
        for unit in self.units.values():
            units_of.setdefault(unit.doc, []).append(unit)
        chosen: list[_Unit] = []
        for units in units_of.values():
            for tier in _TARGET_TIERS:
                picked = [u for u in units if u.type in tier]
                if picked:
                    chosen += picked
                    break
        self.targets: list[_Unit] = sorted(chosen, key=lambda u: (u.doc, u.start, u.iri))
        is_target = {id(u) for u in chosen}
        for unit in self.units.values():
            if id(unit) not in is_target:
                unit.text = ""  # the clean text of the document holds it
        by_doc: dict[str, list[tuple[int, int, int]]] = {}
        for i, unit in enumerate(self.targets):
            by_doc.setdefault(unit.doc, []).append((unit.start, unit.end, i))
        for sentence in self.sentences:
            for start, end, i in by_doc.get(sentence.doc, ()):
                if start <= sentence.start < end:
                    sentence.target = i
                    break
        self.target_at = {u.iri: i for i, u in enumerate(self.targets)}

    def _make_tokenizer(self):
        import jieba

        tokenizer = jieba.Tokenizer()
        userdict = Path(__file__).resolve().parents[1] / "ingest" / "data" / "userdict.txt"
        if userdict.is_file():
            try:
                tokenizer.load_userdict(str(userdict))
            except Exception:  # a malformed user dictionary only costs precision
                pass
        return tokenizer

    def _build_lexicon(self) -> None:
        """Topic and entity labels (zh, en, alternatives) question words can link to."""
        topics: dict[str, dict[str, set[str]]] = {}
        try:
            for r in self.kg.store.select_rows("""SELECT ?t ?p ?l WHERE { ?t a skos:Concept .
                    VALUES ?p { skos:prefLabel skos:altLabel } ?t ?p ?l }"""):
                kind = "pref" if r["p"].endswith("prefLabel") else "alt"
                topics.setdefault(r["t"], {"pref": set(), "alt": set()})[kind].add(r["l"])
        except Exception:  # a store without the topic scheme: fall back to the file
            pass
        try:
            from .topics import load_topics

            for topic in load_topics():
                labels = topics.setdefault(topic.iri, {"pref": set(), "alt": set()})
                labels["pref"].update(l for l in (topic.label_zh, topic.label_en) if l)
                labels["alt"].update(l for l in (*topic.alt_labels_zh, *topic.alt_labels_en) if l)
        except (ImportError, OSError, ValueError, AttributeError):
            pass
        self.concepts: list[_Concept] = []
        # (normalised surface, concept index, whether the surface names the concept itself)
        self._lexicon: list[tuple[str, int, bool]] = []
        for iri in sorted(topics):
            self._add_concept(iri, topics[iri]["pref"], topics[iri]["alt"] - topics[iri]["pref"],
                              True)
        for iri in sorted(self.entities):
            ent = self.entities[iri]
            self._add_concept(iri, {ent.label, *ent.aliases}, set(), False)
        # lookup tables for link(): Chinese surfaces by string, English labels by their
        # normalised word sequence (so plurals and British/American spellings meet)
        self._zh_index: dict[str, list[tuple[int, bool]]] = {}
        self._en_index: dict[tuple[str, ...], list[tuple[int, bool]]] = {}
        for surface, index, pref in self._lexicon:
            if _CJK.search(surface):
                bucket = self._zh_index.setdefault(surface, [])
            else:
                key = tuple(_en_key(w) for w in _EN_TOKEN.findall(surface))
                if not key:
                    continue
                bucket = self._en_index.setdefault(key, [])
            if (index, pref) not in bucket:
                bucket.append((index, pref))
        self._zh_longest = max((len(s) for s in self._zh_index), default=0)
        self._en_longest = max((len(k) for k in self._en_index), default=0)
        for surface in self._zh_index:
            if 2 <= len(surface) <= 12:
                self._tokenizer.add_word(surface, freq=2000)

    def _add_concept(self, iri: str, names: Iterable[str], alternatives: Iterable[str],
                     is_topic: bool) -> None:
        names = {_nfkc(l).strip() for l in names if l and l.strip()}
        alternatives = {_nfkc(l).strip() for l in alternatives if l and l.strip()} - names
        labels = names | alternatives
        zh = tuple(sorted(l for l in labels if _CJK.search(l) and len(l) >= 2))
        if not zh:
            return
        index = len(self.concepts)
        own = tuple(sorted(l for l in names if _CJK.search(l) and len(l) >= 2))
        self.concepts.append(_Concept(iri, zh, is_topic, own))
        for label in labels:
            if _CJK.search(label) and len(label) < 2:
                continue
            if not _CJK.search(label) and len(label) < 3:
                continue
            self._lexicon.append((label, index, label in names))

    def _tokens(self, text: str) -> list[str]:
        text = _nfkc(text)
        out = []
        for token in self._tokenizer.cut_for_search(text, HMM=False):
            token = token.strip()
            if not token or _PUNCT.match(token) or token in _ZH_STOP or token in _EN_STOP:
                continue
            if _EN_WORD.fullmatch(token):
                token = _stem(token)
            elif not _CJK.search(token) and not token.isalnum():
                continue
            out.append(token)
        return out

    def _build_bm25(self) -> None:
        """The BM25 indexes of sentences and targets, from the on-disk cache when current."""
        import bm25s

        def index(texts: list[str]):
            corpus = [self._tokens(t) or ["\u2205"] for t in texts]
            retriever = bm25s.BM25()
            if corpus:
                retriever.index(corpus, show_progress=False)
            return retriever

        sentences = [s.text for s in self.sentences]
        targets = [f"{u.title or ''} {u.title or ''} {u.text}" for u in self.targets]
        cached = self._bm25_cache(sentences, targets)
        if cached is not None and (cached / "done").is_file():
            try:
                self._bm25_sent = bm25s.BM25.load(str(cached / "sentences"), mmap=True,
                                                  show_progress=False, verbosity=0)
                self._bm25_target = bm25s.BM25.load(str(cached / "targets"), mmap=True,
                                                    show_progress=False, verbosity=0)
                return
            except (OSError, ValueError, KeyError):  # a damaged cache is rebuilt
                import shutil

                shutil.rmtree(cached, ignore_errors=True)
        self._bm25_sent = index(sentences)
        self._bm25_target = index(targets)
        if cached is not None and sentences and targets:
            self._save_bm25(cached)

    def _bm25_cache(self, sentences: list[str], targets: list[str]) -> Path | None:
        """Where the BM25 indexes of exactly these texts and this tokenizer are cached."""
        import hashlib

        import bm25s

        from .cache import cache_dir

        digest = hashlib.sha256(f"bm25 v1 {bm25s.__version__}\n".encode())
        userdict = Path(__file__).resolve().parents[1] / "ingest" / "data" / "userdict.txt"
        if userdict.is_file():
            digest.update(userdict.read_bytes())
        for word in sorted(s for s in self._zh_index if 2 <= len(s) <= 12):
            digest.update(f"w {word}\n".encode())
        for kind, texts in (("s", sentences), ("t", targets)):
            digest.update(f"{kind} {len(texts)}\n".encode())
            for text in texts:
                digest.update(text.encode("utf-8"))
                digest.update(b"\x00")
        try:
            return cache_dir(self.kg, "bm25") / digest.hexdigest()[:24]
        except (TypeError, AttributeError):  # no store location to cache beside
            return None

    def _save_bm25(self, directory: Path) -> None:
        """Write both indexes to ``directory`` (through a temporary directory renamed into
        place); older indexes of the same store are removed. Failures only cost speed."""
        import shutil
        import tempfile

        try:
            directory.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".tmp-"))
        except OSError:
            return
        try:
            self._bm25_sent.save(str(tmp / "sentences"), show_progress=False)
            self._bm25_target.save(str(tmp / "targets"), show_progress=False)
            (tmp / "done").write_text("ok\n", encoding="utf-8")
            tmp.rename(directory)
        except OSError:  # no room, or another process saved the same index first
            shutil.rmtree(tmp, ignore_errors=True)
            return
        for old in directory.parent.iterdir():
            if old != directory and not old.name.startswith(".tmp-"):
                shutil.rmtree(old, ignore_errors=True)

    def _load_vectors(self, vectors: Any) -> None:
        """Row numbers into the (memory-mapped, never copied) matrix of ``vectors``."""
        at: dict[tuple[str, str], int] = {}
        for i, row in enumerate(vectors.rows):
            at.setdefault((row.kind, row.iri), i)
        self._matrix = vectors.matrix
        self._sent_vec_rows = np.array([at.get(("sentence", s.iri), -1) for s in self.sentences],
                                       dtype=np.int64)
        self._target_vec_rows = np.array([at.get(("unit", u.iri), -1) for u in self.targets],
                                         dtype=np.int64)
        self._entity_vec = {iri: i for (kind, iri), i in at.items() if kind == "entity"}
        self._entity_rows = np.array(sorted(self._entity_vec.values()), dtype=np.int64)
        self._last_sims: tuple[bytes, np.ndarray] = (b"", np.zeros(0, dtype=np.float32))

    def _similarities(self, query_vec: np.ndarray) -> np.ndarray:
        """Cosine similarity of ``query_vec`` with every stored vector (one product)."""
        key, cached = query_vec.tobytes(), self._last_sims  # one tuple: safe across threads
        if cached[0] == key:
            return cached[1]
        sims = np.asarray(self._matrix @ query_vec.astype(self._matrix.dtype),
                          dtype=np.float32) if len(self._matrix) else np.zeros(0, np.float32)
        self._last_sims = (key, sims)
        return sims

    # .. one question ................................................................
    def _check(self, text: str) -> str:
        if not isinstance(text, str):
            raise SearchError("the query must be text")
        text = text.strip()
        if not text:
            raise SearchError("empty query: ask a question such as "
                              "“which tasks involve aviation?” or “哪些任务涉及养老？”")
        if len(text) > MAX_QUERY_CHARS:
            raise SearchError(f"query too long ({len(text)} characters, at most "
                              f"{MAX_QUERY_CHARS})")
        return text

    def intent(self, text: str) -> tuple[str | None, str | None, str]:
        """(result type, entity type, the question without its intent words)."""
        lowered = _nfkc(text)
        for pattern, rtype, etype in _INTENTS:
            match = re.search(pattern, lowered)
            if match:
                rest = (lowered[:match.start()] + " " + lowered[match.end():]).strip()
                return rtype, etype, rest
        return None, None, lowered

    def link(self, text: str) -> list[int]:
        """Concepts (topics, entities) whose labels occur in the question, longest label first."""
        order: dict[int, int] = {}
        for index, _, _ in self.link_matches(text):
            order.setdefault(index, len(order))
        return sorted(order, key=order.get)

    def link_matches(self, text: str) -> list[tuple[int, str, bool]]:
        """(concept index, matched surface, whether it is a preferred label) for the question.

        Chinese labels are looked up by substring, English labels by their sequence of
        normalised words ("historic neighbourhoods" meets "historic neighborhood").
        A longer label covering a shorter one wins (机场东片区 over 机场).
        """
        lowered = _nfkc(text)
        matches: list[tuple[int, int, list[tuple[int, bool]]]] = []  # (start, end, concepts)
        if self._zh_longest:
            n = len(lowered)
            for i in range(n):
                if not _CJK.match(lowered[i]):
                    continue
                for size in range(min(self._zh_longest, n - i), 1, -1):
                    found = self._zh_index.get(lowered[i:i + size])
                    if found:
                        matches.append((i, i + size, found))
        if self._en_longest:
            words = [(m.start(), m.end(), _en_key(m.group())) for m in _EN_TOKEN.finditer(lowered)]
            for i in range(len(words)):
                for size in range(min(self._en_longest, len(words) - i), 0, -1):
                    found = self._en_index.get(tuple(w[2] for w in words[i:i + size]))
                    if found:
                        matches.append((words[i][0], words[i + size - 1][1], found))
        matches.sort(key=lambda m: (m[0] - m[1], m[0]))
        kept: list[tuple[int, int]] = []
        out: list[tuple[int, str, bool]] = []
        for start, end, found in matches:
            if any(s <= start and end <= e and (e - s) > (end - start) for s, e in kept):
                continue
            kept.append((start, end))
            out.extend((index, lowered[start:end], pref) for index, pref in found)
        return out

    def _dense_text(self, content: str, matches: list[tuple[int, str, bool]]) -> str:
        """The text embedded for the question: English concept names get their Chinese name.

        The corpus is Chinese, and a small multilingual model matches "historic
        neighbourhoods" better with 文化遗产 beside it.
        """
        extra = []
        for index, surface, _ in matches:
            if not _CJK.search(surface):
                names = self.concepts[index].names_zh or self.concepts[index].zh_terms[:1]
                extra.extend(n for n in names[:1] if n not in extra)
        return f"{content} {' '.join(extra)}" if extra else content

    # .. query-independent tables, built once ...........................................
    def _prepare(self) -> None:
        """Arrays and text columns that every question reuses (nothing here depends on it)."""
        n_t = len(self.targets)
        self._target_of = np.array([s.target if s.target is not None else -1
                                    for s in self.sentences], dtype=np.int64)
        self._has_target = self._target_of >= 0
        doc_ids = sorted(set(self.docs) | {s.doc for s in self.sentences}
                         | {u.doc for u in self.targets})
        self._doc_index = {iri: i for i, iri in enumerate(doc_ids)}
        self._doc_list = doc_ids
        self._sent_doc = np.array([self._doc_index[s.doc] for s in self.sentences],
                                  dtype=np.int64)
        self._target_doc = np.array([self._doc_index[u.doc] for u in self.targets],
                                    dtype=np.int64)
        self._sentences_of_target = _groups(self._target_of, n_t)
        self._sentences_of_doc = _groups(self._sent_doc, len(doc_ids))
        # sentences and targets are spans of their document's clean text: one scan counts both
        self._text_column = _SpanColumn(
            [self.docs[d].text if d in self.docs else "" for d in doc_ids],
            {"sentences": (self._sent_doc,
                           np.array([s.start for s in self.sentences], dtype=np.int64),
                           np.array([s.end for s in self.sentences], dtype=np.int64)),
             "targets": (self._target_doc,
                         np.array([u.start for u in self.targets], dtype=np.int64),
                         np.array([u.end for u in self.targets], dtype=np.int64))})
        self._title_column = _TextColumn([u.title or "" for u in self.targets])
        self._term_counts: dict[str, tuple] = {}  # term → (indices, counts) of each array
        self._term_cells = 0  # counts held in _term_counts
        self._concept_tokens: dict[int, list[str]] = {}
        targets_of: dict[str, list[int]] = {}
        for i, unit in enumerate(self.targets):
            for iri in unit.links or ():
                targets_of.setdefault(iri, []).append(i)
        self._targets_of_concept = {iri: np.array(v, dtype=np.int64)
                                    for iri, v in targets_of.items()}
        self._entities_prepared: tuple | None = None
        self._entity_table()  # 0.1 s on 72 reports: paid at load, not by the first question

    def _counts(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Occurrences of ``term`` in every sentence, target text and target title (cached)."""
        cached = self._term_counts.get(term)
        if cached is None:
            in_text = self._text_column.count(term)
            # kept sparse: dense arrays would cost 0.75 MB a term on a 1,000-document corpus
            cached = tuple((np.flatnonzero(a).astype(np.int32), a[a != 0])
                           for a in (in_text["sentences"], in_text["targets"],
                                     self._title_column.count(term)))
            size = sum(len(idx) for idx, _v in cached)
            if len(self._term_counts) >= _TERM_CACHE or self._term_cells + size > _TERM_CELLS:
                self._term_counts, self._term_cells = {}, 0
            self._term_counts[term] = cached
            self._term_cells += size
        sizes = (len(self.sentences), len(self.targets), len(self.targets))
        out = []
        for (idx, values), n in zip(cached, sizes):
            dense = np.zeros(n, dtype=np.float32)
            dense[idx] = values
            out.append(dense)
        return out[0], out[1], out[2]

    def _tokens_of_concept(self, index: int) -> list[str]:
        tokens = self._concept_tokens.get(index)
        if tokens is None:
            tokens = [t for term in self.concepts[index].zh_terms for t in self._tokens(term)]
            self._concept_tokens[index] = tokens
        return tokens

    def _signals(self, content: str, query_vec: np.ndarray | None,
                 matches: list[tuple[int, str, bool]],
                 allowed_docs: set[str] | None) -> dict[str, Any]:
        """Raw per-sentence and per-target scores of the three signals.

        Besides the scores, ``direct_t`` marks the targets holding direct evidence:
        the Chinese name of a concept the question names by its preferred label
        ("aviation" → 航空), or the Chinese label the question itself used (机场).
        """
        tokens = self._tokens(content)
        known = set(tokens)
        concepts = list(dict.fromkeys(index for index, _, _ in matches))
        expansion: set[str] = set()
        terms: set[str] = set()
        direct_terms: set[str] = set()
        for index in concepts:
            terms.update(self.concepts[index].zh_terms)
            expansion.update(t for t in self._tokens_of_concept(index) if t not in known)
        for index, surface, preferred in matches:
            if preferred:
                direct_terms.update(self.concepts[index].names_zh)
            elif _CJK.search(surface):
                direct_terms.add(surface)
        n_s, n_t = len(self.sentences), len(self.targets)
        bm_s = np.zeros(n_s, dtype=np.float32)
        bm_t = np.zeros(n_t, dtype=np.float32)
        if tokens and n_s:
            bm_s += self._bm25_sent.get_scores(tokens)
        if tokens and n_t:
            bm_t += self._bm25_target.get_scores(tokens)
        lexical_t = bm_t > 0  # the question's own words occur in the target
        if expansion and n_s:
            bm_s += 0.6 * self._bm25_sent.get_scores(sorted(expansion))
        if expansion and n_t:
            bm_t += 0.6 * self._bm25_target.get_scores(sorted(expansion))
        dn_s = np.zeros(n_s, dtype=np.float32)
        dn_t = np.zeros(n_t, dtype=np.float32)
        if query_vec is not None:
            sims = self._similarities(query_vec)
            ok = self._sent_vec_rows >= 0
            dn_s[ok] = sims[self._sent_vec_rows[ok]]
            ok = self._target_vec_rows >= 0
            dn_t[ok] = sims[self._target_vec_rows[ok]]
        cc_s = np.zeros(n_s, dtype=np.float32)
        cc_t = np.zeros(n_t, dtype=np.float32)
        if concepts:
            hits_t = np.zeros(n_t, dtype=np.float32)
            title_t = np.zeros(n_t, dtype=np.float32)
            for term in terms:
                in_sentences, in_targets, in_titles = self._counts(term)
                cc_s += in_sentences
                hits_t += in_targets
                title_t += in_titles
            links = np.zeros(n_t, dtype=np.float32)
            for index in concepts:
                linked = self._targets_of_concept.get(self.concepts[index].iri)
                if linked is not None:
                    links[linked] += 1
            cc_t = np.log1p(hits_t) + 1.5 * np.minimum(title_t, 1) + 1.0 * links
        direct_t = np.zeros(n_t, dtype=bool)
        for term in direct_terms:
            _, in_targets, in_titles = self._counts(term)
            direct_t |= (in_targets + in_titles) > 0
        mask_s = mask_t = None
        if allowed_docs is not None:
            allowed = np.array([self._doc_index[d] for d in allowed_docs if d in self._doc_index],
                               dtype=np.int64)
            mask_s = np.isin(self._sent_doc, allowed)
            mask_t = np.isin(self._target_doc, allowed)
            for arr in (bm_s, dn_s, cc_s):
                arr[~mask_s] = 0
            for arr in (bm_t, dn_t, cc_t):
                arr[~mask_t] = 0
            lexical_t &= mask_t
            direct_t &= mask_t
        return {"bm_s": bm_s, "bm_t": bm_t, "dn_s": dn_s, "dn_t": dn_t, "cc_s": cc_s,
                "cc_t": cc_t, "lexical_t": lexical_t, "direct_t": direct_t, "mask_s": mask_s,
                "terms": sorted(terms | known, key=len, reverse=True)}

    @staticmethod
    def _norm_pos(values: np.ndarray) -> np.ndarray:
        top = float(values.max()) if len(values) else 0.0
        return values / top if top > 0 else np.zeros_like(values)

    @staticmethod
    def _norm_dense(values: np.ndarray) -> np.ndarray:
        """Cosines standardised over the corpus; only clear outliers count, scaled to [0, 1].

        Absolute cosines of a small multilingual model sit in a narrow band
        (0.7–0.9) that differs by language, so the spread is what tells.
        """
        if len(values) < 2:
            return np.ones_like(values) if len(values) else values
        std = float(values.std())
        if std <= 0:
            return np.zeros_like(values)
        lifted = np.clip((values - float(values.mean())) / std - DENSE_Z_FLOOR, 0, None)
        top = float(lifted.max())
        return lifted / top if top > 0 else np.zeros_like(values)

    def _lift(self, per_sentence: np.ndarray) -> np.ndarray:
        """The best sentence score of each target."""
        out = np.zeros(len(self.targets), dtype=np.float32)
        if self._has_target.any():
            np.maximum.at(out, self._target_of[self._has_target], per_sentence[self._has_target])
        return out

    def _fuse(self, sig: dict, method: str) -> tuple[np.ndarray, np.ndarray]:
        """Fused per-sentence and per-target scores for ``method``."""
        lift = self._lift
        if method == "bm25":
            return sig["bm_s"], lift(sig["bm_s"])
        if method == "dense":
            return sig["dn_s"], np.maximum(lift(sig["dn_s"]), sig["dn_t"])
        bm_s = self._norm_pos(sig["bm_s"])
        dn_s = self._norm_dense(sig["dn_s"])
        cc_s = self._norm_pos(np.log1p(sig["cc_s"]))
        sentence = W_BM25 * bm_s + W_DENSE * dn_s + W_CONCEPT * cc_s
        bm_t = self._norm_pos(0.5 * self._norm_pos(sig["bm_t"]) + 0.5 * lift(bm_s))
        dn_t = self._norm_dense(np.maximum(sig["dn_t"], lift(sig["dn_s"])))
        cc_t = self._norm_pos(sig["cc_t"])
        target = W_BM25 * bm_t + W_DENSE * dn_t + W_CONCEPT * cc_t
        return sentence, target

    def _allowed_docs(self, document: str | None, date_from: str | None, date_to: str | None,
                      kind: str | None) -> set[str] | None:
        if not (document or date_from or date_to or kind):
            return None
        allowed = set()
        for doc in self.docs.values():
            if document and document != doc.iri and document not in (doc.title or ""):
                continue
            date = (doc.date or "")[:10]
            if date_from and (not date or date < date_from):
                continue
            if date_to and (not date or date > date_to):
                continue
            if kind and (doc.kind or "") != kind:
                continue
            allowed.add(doc.iri)
        return allowed

    def rank_targets(self, text: str, method: str = "hybrid") -> list[tuple[str, float]]:
        """(target IRI, score) best first, for evaluation: hybrid, bm25 or dense."""
        text = self._check(text)
        _, _, content = self.intent(text)
        matches = self.link_matches(content) if method == "hybrid" else []
        vec = self.embedder.embed_queries([self._dense_text(content or text, matches)])[0] \
            if method != "bm25" else None
        sig = self._signals(content or text, vec, matches, None)
        _, target = self._fuse(sig, method)
        order = np.argsort(-target, kind="stable")
        return [(self.targets[i].iri, float(target[i])) for i in order if target[i] > 0]

    def search(self, text: str, *, type: str | None = None, k: int = 10,
               document: str | None = None, date_from: str | None = None,
               date_to: str | None = None, kind: str | None = None) -> SearchResult:
        """Answer one question; see the module docstring.

        Raises:
            SearchError: empty or oversized query, or an unknown result type.
        """
        text = self._check(text)
        if type is not None and type not in RESULT_TYPES:
            raise SearchError(f"unknown result type {type!r}: choose one of "
                              f"{', '.join(RESULT_TYPES)}")
        rtype, etype, content = self.intent(text)
        rtype = type or rtype or ("task" if self.targets else "sentence")
        if rtype == "task" and not self.targets:
            rtype = "sentence"
        if type == "entity" and not etype:
            etype = None
        k = max(1, int(k or 10))
        if not re.search(r"[\w\u3400-\u9fff]", content or text):
            return SearchResult(text, rtype, [], "the query has no words to search for")
        matches = self.link_matches(content)
        concepts = list(dict.fromkeys(index for index, _, _ in matches))
        if not concepts and _gibberish(content or text) and not self._any_bm25(content or text):
            return SearchResult(text, rtype, [], "the query has no known words")
        vec = self.embedder.embed_queries([self._dense_text(content or text, matches)])[0]
        allowed = self._allowed_docs(document, date_from, date_to, kind)
        sig = self._signals(content or text, vec, matches, allowed)
        sentence_score, target_score = self._fuse(sig, "hybrid")
        terms = sig["terms"]
        if rtype == "task":
            hits = self._task_hits(target_score, sentence_score, sig, k)
        elif rtype == "sentence":
            hits = self._sentence_hits(sentence_score, terms, k)
        elif rtype == "document":
            hits = self._document_hits(sentence_score, terms, k)
        else:
            hits = self._entity_hits(sentence_score, target_score, vec, concepts, etype, terms,
                                     sig["mask_s"], k)
        message = None if hits else "nothing relevant found"
        return SearchResult(text, rtype, hits, message)

    def _any_bm25(self, text: str) -> bool:
        tokens = self._tokens(text)
        return bool(tokens) and bool(len(self.sentences)) and \
            bool(self._bm25_sent.get_scores(tokens).any())

    # .. lifting to result types ..........................................................
    def _evidence(self, indices: np.ndarray, sentence_score: np.ndarray, terms: list[str],
                  most: int = 2) -> list[Evidence]:
        indices = np.asarray(indices, dtype=np.int64)
        if not len(indices):
            return []
        ranked = indices[np.argsort(-sentence_score[indices], kind="stable")][:most]
        out = []
        for i in ranked:
            if sentence_score[i] <= 0 and out:
                break
            s = self.sentences[i]
            out.append(Evidence(s.text, s.start, s.end, s.doc, _highlights(s.text, terms)))
        return out

    def _doc_info(self, doc_iri: str) -> tuple[str | None, str | None]:
        doc = self.docs.get(doc_iri)
        return (doc.title or None, doc.date) if doc else (None, None)

    def _task_hits(self, target_score: np.ndarray, sentence_score: np.ndarray, sig: dict,
                   k: int) -> list[Hit]:
        hits = []
        for t in _shown(target_score, sig["direct_t"], sig["lexical_t"])[:k]:
            unit = self.targets[t]
            title, date = self._doc_info(unit.doc)
            hits.append(Hit(unit.iri, unit.type.lower(), unit.label, unit.number, unit.doc,
                            float(target_score[t]),
                            self._evidence(self._sentences_of_target[t], sentence_score,
                                           sig["terms"]),
                            title, date))
        return hits

    def _sentence_hits(self, sentence_score: np.ndarray, terms: list[str], k: int) -> list[Hit]:
        hits = []
        for i in _shown(sentence_score)[:k]:
            s = self.sentences[i]
            title, date = self._doc_info(s.doc)
            hits.append(Hit(s.iri, "sentence", s.text[:60], None, s.doc, float(sentence_score[i]),
                            self._evidence([int(i)], sentence_score, terms, 1), title, date))
        return hits

    def _document_hits(self, sentence_score: np.ndarray, terms: list[str], k: int) -> list[Hit]:
        scores = np.zeros(len(self._doc_list), dtype=np.float32)
        for d, indices in enumerate(self._sentences_of_doc):
            if len(indices):
                best = -np.sort(-sentence_score[indices])[:3]
                scores[d] = best[0] * 0.6 + 0.4 * float(best.sum()) / 3
        hits = []
        for d in _shown(scores)[:k]:
            doc_iri = self._doc_list[d]
            title, date = self._doc_info(doc_iri)
            hits.append(Hit(doc_iri, "document", title or doc_iri, None, doc_iri,
                            float(scores[d]),
                            self._evidence(self._sentences_of_doc[d], sentence_score, terms),
                            title, date))
        return hits

    def _entity_table(self) -> tuple:
        """Per entity: its evidence sentences and its targets, as flat arrays (built once)."""
        if self._entities_prepared is not None:
            return self._entities_prepared
        sentences_of_unit: dict[str, list[int]] = {}
        for i, s in enumerate(self.sentences):
            if s.unit:
                sentences_of_unit.setdefault(s.unit, []).append(i)
            if s.target is not None:
                sentences_of_unit.setdefault(self.targets[s.target].iri, []).append(i)
        entities = sorted(self.entities.values(), key=lambda e: e.iri)
        ev_ptr, ev_idx, t_ptr, t_idx, names_of = [0], [], [0], [], []
        for ent in entities:
            names = sorted({n for n in (ent.label, *ent.aliases) if n}, key=len, reverse=True)
            names_of.append(names)
            found = {i for u in ent.units for i in sentences_of_unit.get(u, ())
                     if any(n in self.sentences[i].text for n in names)}
            ev_idx.extend(sorted(found))
            ev_ptr.append(len(ev_idx))
            t_idx.extend(sorted(self.target_at[u] for u in ent.units if u in self.target_at))
            t_ptr.append(len(t_idx))
        vec_rows = np.array([self._entity_vec.get(e.iri, -1) for e in entities], dtype=np.int64)
        self._entities_prepared = (entities, names_of,
                                   np.array(ev_ptr, dtype=np.int64),
                                   np.array(ev_idx, dtype=np.int64),
                                   np.array(t_ptr, dtype=np.int64),
                                   np.array(t_idx, dtype=np.int64), vec_rows)
        return self._entities_prepared

    def _entity_hits(self, sentence_score: np.ndarray, target_score: np.ndarray,
                     vec: np.ndarray, concepts: list[int], etype: str | None, terms: list[str],
                     mask_s: np.ndarray | None, k: int) -> list[Hit]:
        entities, names_of, ev_ptr, ev_idx, t_ptr, t_idx, vec_rows = self._entity_table()
        if not entities:
            return []
        eligible = np.ones(len(entities), dtype=bool)
        if etype:
            eligible &= np.array([(e.type or "") == etype for e in entities], dtype=bool)
        if mask_s is not None:  # evidence only from the documents allowed by the filters
            ok = mask_s[ev_idx]
            kept = np.concatenate(([0], np.cumsum(ok)))
            ev_ptr, ev_idx = kept[ev_ptr], ev_idx[ok]
            eligible &= ev_ptr[1:] > ev_ptr[:-1]
        lifted = _segment_max(target_score, t_idx, t_ptr)
        best_sentence = _segment_max(sentence_score, ev_idx, ev_ptr)
        dense = np.zeros(len(entities), dtype=np.float32)
        if self._entity_vec:
            sims = self._similarities(vec)
            mean = float(sims[self._entity_rows].mean())
            span = float(sims[self._entity_rows].max()) - mean
            raw = np.where(vec_rows >= 0, sims[vec_rows], 0.0) - mean
            dense = np.clip(raw, 0, None) / span if span > 0 else dense
        linked = {self.concepts[i].iri for i in concepts}
        bonus = np.array([0.5 if e.iri in linked else 0.0 for e in entities], dtype=np.float32)
        score = 0.45 * lifted + 0.35 * best_sentence + 0.2 * dense + bonus
        score = np.where(eligible, score, 0).astype(np.float32)
        shown = _shown(score)
        shown = sorted(shown, key=lambda e: (-float(score[e]), entities[e].label))[:k]
        hits = []
        for e in shown:
            ent, evidence_idx = entities[e], ev_idx[ev_ptr[e]:ev_ptr[e + 1]]
            doc = self.sentences[evidence_idx[0]].doc if len(evidence_idx) else None
            title, date = self._doc_info(doc) if doc else (None, None)
            words = sorted(set(terms) | set(names_of[e]), key=len, reverse=True)
            hits.append(Hit(ent.iri, (ent.type or "entity"), ent.label, None, doc,
                            float(score[e]), self._evidence(evidence_idx, sentence_score, words),
                            title, date))
        return hits


class _SpanColumn:
    """Texts joined into one string, and spans of them: a term is counted in every span in one scan.

    An occurrence counts in a span when it lies wholly inside it; occurrences do
    not overlap (as ``str.count``).
    """

    def __init__(self, texts: list[str], spans: dict[str, tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]]):
        self.blob = "\x00".join(texts)  # never part of a term
        lengths = np.array([len(t) + 1 for t in texts], dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) \
            if texts else np.zeros(0, dtype=np.int64)
        # spans: name → (text number, start, end) arrays, offsets within that text
        self.spans = {name: (offsets[text] + start, offsets[text] + end)
                      for name, (text, start, end) in spans.items()}

    def count(self, term: str) -> dict[str, np.ndarray]:
        """Occurrences of ``term`` in each span, by span name."""
        positions = np.array([m.start() for m in re.finditer(re.escape(term), self.blob)]
                             if term else [], dtype=np.int64)
        out = {}
        for name, (starts, ends) in self.spans.items():
            if not len(positions):
                out[name] = np.zeros(len(starts), dtype=np.float32)
                continue
            first = np.searchsorted(positions, starts, side="left")
            last = np.searchsorted(positions, ends - len(term), side="right")
            out[name] = np.maximum(last - first, 0).astype(np.float32)
        return out


class _TextColumn:
    """Many texts joined into one string, so a term is counted in all of them in one scan."""

    def __init__(self, texts: list[str]):
        self.size = len(texts)
        self.blob = "\x00".join(texts)  # never part of a term
        lengths = np.array([len(t) + 1 for t in texts], dtype=np.int64)
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) \
            if texts else np.zeros(0, dtype=np.int64)

    def count(self, term: str) -> np.ndarray:
        """Non-overlapping occurrences of ``term`` in each text (as ``str.count``)."""
        out = np.zeros(self.size, dtype=np.float32)
        if not term or not self.size:
            return out
        positions, find, blob = [], self.blob.find, self.blob
        at = find(term)
        while at >= 0:
            positions.append(at)
            at = find(term, at + len(term))
        if positions:
            np.add.at(out, np.searchsorted(self.starts, positions, side="right") - 1, 1)
        return out


def _groups(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """For each key 0 … n-1, the positions holding it, in order (negative keys are dropped).

    >>> [g.tolist() for g in _groups(np.array([1, -1, 0, 1]), 3)]
    [[2], [0, 3], []]
    """
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(n)]


def _segment_max(values: np.ndarray, indices: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """``max(values[indices[ptr[i]:ptr[i+1]]])`` for every segment i; 0 for an empty one.

    >>> _segment_max(np.array([3., 1., 2.]), np.array([0, 2, 1]), np.array([0, 2, 2, 3])).tolist()
    [3.0, 0.0, 1.0]
    """
    out = np.zeros(len(ptr) - 1, dtype=np.float32)
    nonempty = ptr[1:] > ptr[:-1]
    if nonempty.any():
        out[nonempty] = np.maximum.reduceat(values[indices], ptr[:-1][nonempty])
    return out


def _shown(scores: np.ndarray, direct: np.ndarray | None = None,
           lexical: np.ndarray | None = None) -> list[int]:
    """Indices of the hits shown, best first (the relevance cut-off).

    A hit is shown when it scores at least ``CUTOFF_RATIO`` of the best one (and
    ``MIN_SCORE``). When some hits carry direct evidence (a linked topic or entity
    label occurs in them, or they are linked to it), every hit with direct evidence
    above ``MIN_SCORE`` is shown too, and hits that are only similar in meaning
    (no label, no word of the question) are dropped.

    >>> _shown(np.array([0.1, 0.9, 0.5, 0.7]))
    [1, 3]
    >>> _shown(np.array([0.1, 0.9, 0.3, 0.7]), np.array([0, 1, 1, 0], bool))
    [1, 2]
    """
    if not len(scores):
        return []
    top = float(scores.max())
    if top <= 0:
        return []
    keep = scores >= max(MIN_SCORE, CUTOFF_RATIO * top)
    if direct is not None and direct.any():
        evidence = direct if lexical is None else direct | lexical
        keep = (keep & evidence) | (direct & (scores >= MIN_SCORE))
    candidates = np.flatnonzero(keep)
    return candidates[np.argsort(-scores[candidates], kind="stable")].tolist()


def _highlights(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Spans of ``text`` where a query term or a linked label occurs (longest first)."""
    spans: list[tuple[int, int]] = []
    normalised = _nfkc(text)
    lowered = normalised if len(normalised) == len(text) else text  # offsets must stay valid
    for term in terms:
        if len(term) < 2:
            continue
        start = lowered.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = lowered.find(term, end)
    return sorted(spans)


def _gibberish(text: str) -> bool:
    """True when no word of ``text`` looks like language (keyboard mashing, symbols).

    >>> _gibberish("asdfqwer"), _gibberish("ballet"), _gibberish("养老"), _gibberish("%%%")
    (True, False, False, True)
    """
    if _CJK.search(text):
        return False
    words = re.findall(r"[a-z]+", _nfkc(text))
    if not words:
        return True
    return all(not re.search(r"[aeiouy]", w) or re.search(r"[^aeiouy]{5,}", w)
               or re.search(r"(sdf|qwe|wer|zxc|xcv|jkl|asd|dfg|hjk|uio|iop)", w)
               for w in words)


def _stem(word: str) -> str:
    """A light English stem so that "airports" meets "airport".

    >>> _stem("airports"), _stem("cities"), _stem("process"), _stem("taxes"), _stem("campus")
    ('airport', 'city', 'process', 'tax', 'campus')
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _en_key(word: str) -> str:
    """An English word normalised for label matching: stemmed, one spelling.

    >>> _en_key("neighbourhoods"), _en_key("neighborhood"), _en_key("organisations")
    ('neighborhood', 'neighborhood', 'organization')
    >>> _en_key("centres"), _en_key("R&D")
    ('center', 'r&d')
    """
    word = _stem(word.lower())
    if len(word) > 5:
        word = re.sub(r"our(hood|ite|ed|ing)?$", r"or\1", word)
        word = re.sub(r"(?<=[a-z]{3})is(e|ed|ing|ation)$", r"iz\1", word)
        word = re.sub(r"(?<=[a-z]{2})tre$", "ter", word)
    return word
