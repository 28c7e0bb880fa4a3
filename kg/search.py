"""Hybrid search: BM25 over jieba tokens + dense vectors + concept linking, lifted by the graph.

    result = Searcher(kg).search("which tasks involve aviation?")
    result.results[0].number  # "2"

A question (Chinese or English) is tokenised and embedded once. Three signals
score every sentence and unit: BM25 over jieba tokens, cosine similarity of
the question's vector with sentence and unit vectors, and concept linking
(question words matching topic or entity labels in either language, expanded
to their Chinese labels and to ``dcterms:subject`` links). The graph then lifts
sentence scores to their task, document or entity; the signals are normalised
and fused by a weighted sum, and only hits close enough to the best one are
returned, each with its evidence sentences and offsets.
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
from .vocab import POL_IRI, sparql_prologue

#: Longest query accepted, in characters.
MAX_QUERY_CHARS = 1000
#: Result types.
RESULT_TYPES = ("task", "entity", "sentence", "document")

# Fusion weights and the relevance cut-off, calibrated on bench/gold_search.tsv.
W_BM25, W_DENSE, W_CONCEPT = 0.30, 0.40, 0.30
CUTOFF_RATIO = 0.62  # keep hits scoring at least this share of the best hit
MIN_SCORE = 0.12  # and at least this much in absolute terms
DENSE_Z_FLOOR = 0.5  # dense similarity counts from this many standard deviations above the mean

_UNIT_TYPES = ("Task", "Principle", "Goal", "Section", "Part", "Chapter", "Article", "Item",
               "Paragraph")
_LEAF_UNIT_TYPES = ("Task", "Principle", "Goal", "Article")

_INTENTS: tuple[tuple[str, str, str | None], ...] = (
    # (regex, result type, entity type)
    (r"\b(which|what)\s+(organi[sz]ations?|institutions?|agencies|departments?|units|"
     r"companies|enterprises|universities|bodies)\b|哪些(单位|机构|部门|企业|高校|组织|大学)|"
     r"(单位|机构|部门|企业|高校)有哪些", "entity", "Organization"),
    (r"\b(which|what)\s+(events?|activities|exhibitions?|expos?|festivals?|competitions?)\b|"
     r"哪些(活动|展会|赛事|节庆|会展)|(活动|展会)有哪些", "entity", "Event"),
    (r"\b(which|what|where)\s+(places?|areas?|districts?|regions?|locations?)\b|"
     r"哪些(地方|区域|地区|地点|街区)|(地方|区域)有哪些", "entity", "Place"),
    (r"\b(which|what)\s+(documents?|policies|files)\b|哪些(文件|政策|文档)", "document", None),
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
@dataclass
class _Doc:
    iri: str
    title: str = ""
    date: str | None = None
    kind: str | None = None
    text: str = ""


@dataclass
class _Unit:
    iri: str
    type: str
    doc: str
    label: str = ""
    title: str | None = None
    number: str | None = None
    start: int = 0
    end: int = 0
    text: str = ""
    topics: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)


@dataclass
class _Sentence:
    iri: str
    doc: str
    start: int
    end: int
    text: str
    unit: str | None = None
    target: int | None = None  # index into Searcher.targets


@dataclass
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


def _term_value(term: Any) -> str | None:
    if term is None:
        return None
    if hasattr(term, "toPython"):  # rdflib
        return str(term)
    value = getattr(term, "value", None)  # pyoxigraph
    return str(value) if value is not None else str(term)


def _rows(kg: Any, body: str) -> list[dict[str, str | None]]:
    answer = kg.store.query(sparql_prologue() + body)
    variables = [str(v).lstrip("?") for v in getattr(answer, "vars", None) or
                 getattr(answer, "variables", None) or []]
    rows = []
    for row in answer:
        if hasattr(row, "asdict"):
            rows.append({k: _term_value(v) for k, v in row.asdict().items()})
        else:
            rows.append({v: _term_value(row[v]) for v in variables})
    return rows


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


# -- the searcher -----------------------------------------------------------------
class Searcher:
    """Everything search needs, loaded once from a KnowledgeGraph."""

    def __init__(self, kg: Any):
        from .vectors import VectorIndex

        self.kg = kg
        self._load_graph()
        self._tokenizer = self._make_tokenizer()
        self._build_lexicon()
        self._build_bm25()
        self.vectors = VectorIndex.open(kg)
        self.embedder = self.vectors.embedder
        self._load_vectors()

    # .. loading ..................................................................
    def _load_graph(self) -> None:
        kg = self.kg
        self.docs: dict[str, _Doc] = {}
        for r in _rows(kg, """SELECT ?d ?title ?issued ?kind ?text WHERE {
                ?d pol:cleanText ?text .
                OPTIONAL { ?d dcterms:title ?title } OPTIONAL { ?d dcterms:issued ?issued }
                OPTIONAL { ?d pol:kind ?kind } }"""):
            doc = self.docs.setdefault(r["d"], _Doc(r["d"], text=r["text"] or ""))
            doc.title = doc.title or r.get("title") or ""
            doc.date = doc.date or (r.get("issued") or None)
            doc.kind = doc.kind or r.get("kind")
        types = " ".join(f"pol:{t}" for t in _UNIT_TYPES)
        self.units: dict[str, _Unit] = {}
        for r in _rows(kg, f"""SELECT ?u ?type ?doc ?label ?title ?number ?start ?end WHERE {{
                VALUES ?type {{ {types} }}
                ?u a ?type ; pol:inDocument ?doc .
                OPTIONAL {{ ?u rdfs:label ?label }} OPTIONAL {{ ?u dcterms:title ?title }}
                OPTIONAL {{ ?u pol:number ?number }}
                OPTIONAL {{ ?u pol:startOffset ?start }} OPTIONAL {{ ?u pol:endOffset ?end }} }}"""):
            if r["u"] in self.units:
                continue
            unit = _Unit(r["u"], _local(r["type"]), r["doc"], label=r.get("label") or "",
                         title=r.get("title"), number=r.get("number"),
                         start=int(r.get("start") or 0), end=int(r.get("end") or 0))
            doc = self.docs.get(unit.doc)
            unit.text = doc.text[unit.start:unit.end] if doc else ""
            unit.label = unit.label or (unit.title or unit.text[:30])
            self.units[unit.iri] = unit
        self.sentences: list[_Sentence] = []
        for r in _rows(kg, """SELECT ?s ?text ?doc ?start ?end ?unit WHERE {
                ?s a pol:Sentence ; rdf:value ?text ; pol:inDocument ?doc ;
                   pol:startOffset ?start ; pol:endOffset ?end .
                OPTIONAL { ?s dcterms:isPartOf ?unit } }"""):
            self.sentences.append(_Sentence(r["s"], r["doc"], int(r["start"]), int(r["end"]),
                                            r["text"] or "", r.get("unit")))
        self.sentences.sort(key=lambda s: (s.doc, s.start, s.iri))
        seen: set[str] = set()
        self.sentences = [s for s in self.sentences if not (s.iri in seen or seen.add(s.iri))]
        for r in _rows(kg, "SELECT ?u ?t WHERE { ?u dcterms:subject ?t }"):
            if r["u"] in self.units:
                self.units[r["u"]].topics.add(r["t"])
        self.entities: dict[str, _Entity] = {}
        for r in _rows(kg, """SELECT ?e ?label ?etype WHERE {
                ?x pol:mentions ?e . ?e rdfs:label ?label .
                OPTIONAL { ?e pol:entityType ?etype } }"""):
            ent = self.entities.setdefault(r["e"], _Entity(r["e"], r["label"] or ""))
            ent.type = ent.type or r.get("etype")
            if r["label"] and _CJK.search(r["label"]) is None:
                ent.aliases.add(r["label"])
        for r in _rows(kg, """SELECT ?e ?alt WHERE { ?x pol:mentions ?e . ?e skos:altLabel ?alt }"""):
            if r["e"] in self.entities and r["alt"]:
                self.entities[r["e"]].aliases.add(r["alt"])
        for r in _rows(kg, "SELECT ?u ?e WHERE { ?u pol:mentions ?e }"):
            if r["e"] in self.entities:
                self.entities[r["e"]].units.add(r["u"])
                if r["u"] in self.units:
                    self.units[r["u"]].entities.add(r["e"])
        self._assign_targets()

    def _assign_targets(self) -> None:
        """Pick the units results are made of, and map every sentence to one of them."""
        tasks = [u for u in self.units.values() if u.type == "Task"]
        if not tasks:
            tasks = [u for u in self.units.values() if u.type in _LEAF_UNIT_TYPES]
        self.targets: list[_Unit] = sorted(tasks, key=lambda u: (u.doc, u.start, u.iri))
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
            for r in _rows(self.kg, """SELECT ?t ?l WHERE { ?t a skos:Concept .
                    { ?t skos:prefLabel ?l } UNION { ?t skos:altLabel ?l } }"""):
                topics.setdefault(r["t"], {"labels": set()})["labels"].add(r["l"])
        except Exception:  # a store without the topic scheme: fall back to the file
            pass
        try:
            from .topics import load_topics

            for topic in load_topics():
                labels = topics.setdefault(topic.iri, {"labels": set()})["labels"]
                for attr in ("label_zh", "label_en"):
                    if getattr(topic, attr, None):
                        labels.add(getattr(topic, attr))
                for attr in ("alt_labels", "alt_zh", "alt_en", "alt_labels_zh", "alt_labels_en"):
                    labels.update(a for a in (getattr(topic, attr, None) or ()) if a)
        except (ImportError, OSError, ValueError, AttributeError):
            pass
        self.concepts: list[_Concept] = []
        self._lexicon: list[tuple[str, int]] = []  # (normalised surface, concept index)
        for iri in sorted(topics):
            self._add_concept(iri, topics[iri]["labels"], True)
        for iri in sorted(self.entities):
            ent = self.entities[iri]
            self._add_concept(iri, {ent.label, *ent.aliases}, False)
        for surface, _ in self._lexicon:
            if _CJK.search(surface) and 2 <= len(surface) <= 12:
                self._tokenizer.add_word(surface, freq=2000)

    def _add_concept(self, iri: str, labels: Iterable[str], is_topic: bool) -> None:
        labels = {_nfkc(l).strip() for l in labels if l and l.strip()}
        zh = tuple(sorted(l for l in labels if _CJK.search(l) and len(l) >= 2))
        if not zh:
            return
        index = len(self.concepts)
        self.concepts.append(_Concept(iri, zh, is_topic))
        for label in labels:
            if _CJK.search(label) and len(label) < 2:
                continue
            if not _CJK.search(label) and len(label) < 3:
                continue
            self._lexicon.append((label, index))

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
        import bm25s

        def index(texts: list[str]):
            corpus = [self._tokens(t) or ["\u2205"] for t in texts]
            retriever = bm25s.BM25()
            if corpus:
                retriever.index(corpus, show_progress=False)
            return retriever

        self._bm25_sent = index([s.text for s in self.sentences])
        self._bm25_target = index([f"{u.title or ''} {u.title or ''} {u.text}"
                                   for u in self.targets])

    def _load_vectors(self) -> None:
        rows, matrix = self.vectors.select(["sentence"])
        at = {row.iri: i for i, row in enumerate(rows)}
        self._sent_vec_rows = np.array([at.get(s.iri, -1) for s in self.sentences], dtype=np.int64)
        self._sent_matrix = matrix
        rows, matrix = self.vectors.select(["unit"])
        at = {row.iri: i for i, row in enumerate(rows)}
        self._target_vec_rows = np.array([at.get(u.iri, -1) for u in self.targets],
                                         dtype=np.int64)
        self._unit_matrix = matrix
        rows, matrix = self.vectors.select(["entity"])
        self._entity_vec = {}
        for i, row in enumerate(rows):
            self._entity_vec.setdefault(row.iri, i)
        self._entity_matrix = matrix

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
        """Concepts (topics, entities) whose labels occur in the question."""
        lowered = _nfkc(text)
        found: dict[int, int] = {}
        spans: list[tuple[int, int]] = []
        for surface, index in sorted(self._lexicon, key=lambda x: -len(x[0])):
            if _CJK.search(surface):
                pos = lowered.find(surface)
                match = (pos, pos + len(surface)) if pos >= 0 else None
            else:
                m = re.search(r"(?<![a-z])" + re.escape(surface) + r"(?:s|es)?(?![a-z])",
                              lowered)
                if m is None and len(surface) > 4 and surface.endswith("s"):
                    m = re.search(r"(?<![a-z])" + re.escape(surface[:-1]) + r"(?![a-z])",
                                  lowered)
                match = m.span() if m else None
            if match is None:
                continue
            # a longer label already covering this span wins (机场东片区 over 机场)
            if any(s <= match[0] and match[1] <= e and (e - s) > (match[1] - match[0])
                   for s, e in spans):
                continue
            spans.append(match)
            found.setdefault(index, len(found))
        return sorted(found, key=found.get)

    def _signals(self, content: str, query_vec: np.ndarray | None, concepts: list[int],
                 allowed_docs: set[str] | None) -> dict[str, np.ndarray]:
        """Raw per-sentence and per-target scores of the three signals."""
        tokens = self._tokens(content)
        expansion: list[str] = []
        terms: set[str] = set()
        for index in concepts:
            for term in self.concepts[index].zh_terms:
                terms.add(term)
                expansion.extend(t for t in self._tokens(term) if t not in tokens)
        n_s, n_t = len(self.sentences), len(self.targets)
        bm_s = np.zeros(n_s, dtype=np.float32)
        bm_t = np.zeros(n_t, dtype=np.float32)
        if tokens and n_s:
            bm_s += self._bm25_sent.get_scores(tokens)
        if tokens and n_t:
            bm_t += self._bm25_target.get_scores(tokens)
        if expansion and n_s:
            bm_s += 0.6 * self._bm25_sent.get_scores(sorted(set(expansion)))
        if expansion and n_t:
            bm_t += 0.6 * self._bm25_target.get_scores(sorted(set(expansion)))
        dn_s = np.zeros(n_s, dtype=np.float32)
        dn_t = np.zeros(n_t, dtype=np.float32)
        if query_vec is not None:
            if len(self._sent_matrix):
                sims = self._sent_matrix @ query_vec
                ok = self._sent_vec_rows >= 0
                dn_s[ok] = sims[self._sent_vec_rows[ok]]
            if len(self._unit_matrix):
                sims = self._unit_matrix @ query_vec
                ok = self._target_vec_rows >= 0
                dn_t[ok] = sims[self._target_vec_rows[ok]]
        cc_s = np.zeros(n_s, dtype=np.float32)
        cc_t = np.zeros(n_t, dtype=np.float32)
        if concepts:
            linked = {self.concepts[i].iri for i in concepts}
            for i, sentence in enumerate(self.sentences):
                cc_s[i] = sum(sentence.text.count(t) for t in terms)
            for i, unit in enumerate(self.targets):
                hits = sum(unit.text.count(t) for t in terms)
                title_hits = sum((unit.title or "").count(t) for t in terms)
                links = len(linked & (unit.topics | unit.entities))
                cc_t[i] = math.log1p(hits) + 1.5 * min(title_hits, 1) + 1.0 * links
        if allowed_docs is not None:
            mask_s = np.array([s.doc in allowed_docs for s in self.sentences], dtype=bool)
            mask_t = np.array([u.doc in allowed_docs for u in self.targets], dtype=bool)
            for arr in (bm_s, dn_s, cc_s):
                arr[~mask_s] = 0
            for arr in (bm_t, dn_t, cc_t):
                arr[~mask_t] = 0
        return {"bm_s": bm_s, "bm_t": bm_t, "dn_s": dn_s, "dn_t": dn_t, "cc_s": cc_s,
                "cc_t": cc_t, "terms": sorted(terms | set(tokens), key=len, reverse=True)}

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

    def _fuse(self, sig: dict, method: str) -> tuple[np.ndarray, np.ndarray]:
        """Fused per-sentence and per-target scores for ``method``."""
        n_t = len(self.targets)
        target_of = np.array([s.target if s.target is not None else -1 for s in self.sentences],
                             dtype=np.int64)

        def lift(per_sentence: np.ndarray) -> np.ndarray:
            out = np.zeros(n_t, dtype=np.float32)
            ok = target_of >= 0
            if ok.any():
                np.maximum.at(out, target_of[ok], per_sentence[ok])
            return out

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
        concepts = self.link(content) if method == "hybrid" else []
        vec = self.embedder.embed_queries([content or text])[0] if method != "bm25" else None
        sig = self._signals(content or text, vec, concepts, None)
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
        concepts = self.link(content)
        if not concepts and _gibberish(content or text) and not self._any_bm25(content or text):
            return SearchResult(text, rtype, [], "the query has no known words")
        vec = self.embedder.embed_queries([content or text])[0]
        allowed = self._allowed_docs(document, date_from, date_to, kind)
        sig = self._signals(content or text, vec, concepts, allowed)
        sentence_score, target_score = self._fuse(sig, "hybrid")
        terms = sig["terms"]
        if rtype == "task":
            hits = self._task_hits(target_score, sentence_score, terms)
        elif rtype == "sentence":
            hits = self._sentence_hits(sentence_score, terms)
        elif rtype == "document":
            hits = self._document_hits(sentence_score, terms)
        else:
            hits = self._entity_hits(sentence_score, target_score, vec, concepts, etype, terms,
                                     allowed)
        hits = _cut(hits)[:k]
        message = None if hits else "nothing relevant found"
        return SearchResult(text, rtype, hits, message)

    def _any_bm25(self, text: str) -> bool:
        tokens = self._tokens(text)
        return bool(tokens) and bool(len(self.sentences)) and \
            bool(self._bm25_sent.get_scores(tokens).any())

    # .. lifting to result types ..........................................................
    def _evidence(self, indices: Iterable[int], sentence_score: np.ndarray, terms: list[str],
                  most: int = 2) -> list[Evidence]:
        ranked = sorted(indices, key=lambda i: -sentence_score[i])
        out = []
        for i in ranked[:most]:
            if sentence_score[i] <= 0 and out:
                break
            s = self.sentences[i]
            out.append(Evidence(s.text, s.start, s.end, s.doc, _highlights(s.text, terms)))
        return out

    def _doc_info(self, doc_iri: str) -> tuple[str | None, str | None]:
        doc = self.docs.get(doc_iri)
        return (doc.title or None, doc.date) if doc else (None, None)

    def _task_hits(self, target_score, sentence_score, terms) -> list[Hit]:
        by_target: dict[int, list[int]] = {}
        for i, s in enumerate(self.sentences):
            if s.target is not None:
                by_target.setdefault(s.target, []).append(i)
        hits = []
        for t in np.argsort(-target_score, kind="stable"):
            if target_score[t] <= 0:
                break
            unit = self.targets[t]
            title, date = self._doc_info(unit.doc)
            hits.append(Hit(unit.iri, unit.type.lower(), unit.label, unit.number, unit.doc,
                            float(target_score[t]),
                            self._evidence(by_target.get(int(t), ()), sentence_score, terms),
                            title, date))
        return hits

    def _sentence_hits(self, sentence_score, terms) -> list[Hit]:
        hits = []
        for i in np.argsort(-sentence_score, kind="stable")[:200]:
            if sentence_score[i] <= 0:
                break
            s = self.sentences[i]
            title, date = self._doc_info(s.doc)
            hits.append(Hit(s.iri, "sentence", s.text[:60], None, s.doc, float(sentence_score[i]),
                            self._evidence([int(i)], sentence_score, terms, 1), title, date))
        return hits

    def _document_hits(self, sentence_score, terms) -> list[Hit]:
        per_doc: dict[str, list[int]] = {}
        for i, s in enumerate(self.sentences):
            per_doc.setdefault(s.doc, []).append(i)
        hits = []
        for doc_iri, indices in per_doc.items():
            scores = sorted((float(sentence_score[i]) for i in indices), reverse=True)
            score = scores[0] * 0.6 + 0.4 * (sum(scores[:3]) / 3) if scores else 0.0
            if score <= 0:
                continue
            title, date = self._doc_info(doc_iri)
            hits.append(Hit(doc_iri, "document", title or doc_iri, None, doc_iri, score,
                            self._evidence(indices, sentence_score, terms), title, date))
        return sorted(hits, key=lambda h: -h.score)

    def _entity_hits(self, sentence_score, target_score, vec, concepts, etype, terms,
                     allowed) -> list[Hit]:
        unit_score = {self.targets[i].iri: float(target_score[i]) for i in range(len(self.targets))}
        sentences_of_unit: dict[str, list[int]] = {}
        for i, s in enumerate(self.sentences):
            if s.unit:
                sentences_of_unit.setdefault(s.unit, []).append(i)
            if s.target is not None:
                sentences_of_unit.setdefault(self.targets[s.target].iri, []).append(i)
        linked = {self.concepts[i].iri for i in concepts}
        dense = {}
        if len(self._entity_matrix):
            sims = self._entity_matrix @ vec
            dense = {iri: float(sims[i]) for iri, i in self._entity_vec.items()}
        dense_mean = float(np.mean(list(dense.values()))) if dense else 0.0
        dense_span = (max(dense.values()) - dense_mean) if dense else 0.0
        hits = []
        for ent in self.entities.values():
            if etype and (ent.type or "") != etype:
                continue
            names = {ent.label, *ent.aliases}
            evidence_idx = [i for u in ent.units for i in sentences_of_unit.get(u, ())
                            if any(n and n in self.sentences[i].text for n in names)]
            if allowed is not None:
                evidence_idx = [i for i in evidence_idx if self.sentences[i].doc in allowed]
                if not evidence_idx:
                    continue
            lifted = max((unit_score.get(u, 0.0) for u in ent.units), default=0.0)
            best_sentence = max((float(sentence_score[i]) for i in evidence_idx), default=0.0)
            d = dense.get(ent.iri, 0.0) - dense_mean
            d = max(0.0, d) / dense_span if dense_span > 0 else 0.0
            score = 0.45 * lifted + 0.35 * best_sentence + 0.2 * d + (0.5 if ent.iri in linked
                                                                      else 0.0)
            if score <= 0:
                continue
            doc = self.sentences[evidence_idx[0]].doc if evidence_idx else None
            title, date = self._doc_info(doc) if doc else (None, None)
            hits.append(Hit(ent.iri, (ent.type or "entity"), ent.label, None, doc, score,
                            self._evidence(evidence_idx, sentence_score,
                                           sorted(terms | names if isinstance(terms, set)
                                                  else set(terms) | names, key=len,
                                                  reverse=True)),
                            title, date))
        return sorted(hits, key=lambda h: (-h.score, h.label))


def _cut(hits: list[Hit]) -> list[Hit]:
    """The hits close enough to the best one (the relevance cut-off)."""
    if not hits:
        return []
    top = hits[0].score
    return [h for h in hits if h.score >= max(MIN_SCORE, CUTOFF_RATIO * top)]


def _highlights(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Spans of ``text`` where a query term or a linked label occurs (longest first)."""
    spans: list[tuple[int, int]] = []
    lowered = _nfkc(text) if len(_nfkc(text)) == len(text) else text
    for term in terms:
        if len(term) < 2 and not _CJK.search(term):
            continue
        if _CJK.search(term) and len(term) < 2:
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

    >>> _stem("airports"), _stem("cities"), _stem("process")
    ('airport', 'city', 'process')
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
