"""The composition root of the kg layer: every caller (CLI, web, tests) goes through it.

    with KnowledgeGraph.open({"store": "/tmp/kg"}) as kg:
        kg.build(["data/"])
        kg.search("which tasks involve aviation?")

``KnowledgeGraph`` opens the parts (store, saved tables) and makes the rest
on first use, once, under one lock (embedder, vector index, searcher, entity
graph); each method hands the parts it needs to the module that owns the
concept. Nothing else in kg imports this module but the child-process entry
(``kg.child``); heavy modules (embeddings, search, networkx) load on first use.
"""
from __future__ import annotations

import ctypes
import dataclasses
import gc
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from .cache import Tables, saved_rows
from .settings import Settings
from .store import GraphStore, open_store


#: How long closing waits for a background load of the searcher to finish.
WARM_JOIN_SECONDS = 10.0


class KnowledgeGraph:
    """A policy knowledge graph: store, vectors and search over it.

    Args:
        settings: the resolved settings.
        store: the open ``GraphStore`` (closed by :meth:`close`).
        embedder: the embedding model to use instead of the one the settings name
            (tests pass a stand-in).
        table_children: let a big store's tables be read by a child process
            (a child itself passes False).
    """

    def __init__(self, settings: Settings, store: GraphStore, *, embedder: Any = None,
                 table_children: bool = True):
        self.settings = settings
        self.store = store
        self.tables = Tables(store, child_settings=dataclasses.asdict(settings)
                             if table_children else None)
        self._embedder = embedder  # kg.embeddings.Embedder, loaded on first use
        self._vectors = None  # kg.vectors.VectorIndex, loaded on first use
        self._searcher = None  # kg.search.Searcher, loaded on the first search
        self._entity_graph = None  # networkx graph of kg.entity_graph, read on first use
        self._sparql = None  # kg.sparql.SparqlService, made on the first query
        # one thread loads them; others asking meanwhile wait (a server's threads)
        self._load_lock = threading.RLock()
        self._warming: threading.Thread | None = None  # the background load of :meth:`warm`
        self._closing = False  # set by close(): a warm-up still running starts nothing more

    # -- life cycle ---------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings | Mapping[str, Any] | None = None, *, read_only: bool = False,
             embedder: Any = None, table_children: bool = True) -> "KnowledgeGraph":
        """Open the store named by the settings (a builder creates it if needed).

        ``read_only`` callers (search, SPARQL, export …) may share a local store
        with a running server, and never create one; builders need it to themselves.

        Raises:
            StoreError: the store cannot be opened (locked, unreadable, unreachable, bad scheme).
            StoreMissing: ``read_only`` and the store does not exist.
        """
        if not isinstance(settings, Settings):
            settings = Settings.load(settings)
        return cls(settings, open_store(settings, read_only=read_only), embedder=embedder,
                   table_children=table_children)

    # -- the parts, made on first use ------------------------------------------
    @property
    def embedder(self) -> Any:
        """The embedding model the settings name (``kg.embeddings.Embedder``), loaded once.

        Raises:
            ModelError: the model cannot be loaded.
        """
        if self._embedder is None:
            from .embeddings import get_embedder

            with self._load_lock:
                if self._embedder is None:
                    self._embedder = get_embedder(self.settings)
        return self._embedder

    @property
    def vectors(self) -> Any:
        """The vector index of the store for :attr:`embedder` (``kg.vectors.VectorIndex``)."""
        if self._vectors is None:
            from .vectors import VectorIndex

            with self._load_lock:
                if self._vectors is None:
                    self._vectors = VectorIndex.of_store(self.store, self.embedder)
        return self._vectors

    def entity_graph(self) -> Any:
        """The entity–task graph (networkx), read once: from its saved table or the store."""
        graph = self._entity_graph
        if graph is None:
            from .entity_graph import load_entity_graph

            with self._load_lock:  # one thread reads it; the others wait for it
                if self._entity_graph is None:
                    with _bulk_load():
                        self._entity_graph = load_entity_graph(self.store, self.tables)
                graph = self._entity_graph
        return graph

    def searcher(self) -> Any:
        """The searcher (``kg.search.Searcher``), loaded once from the saved tables or the store."""
        searcher = self._searcher
        if searcher is None:
            from .search import Searcher

            with self._load_lock:
                if self._searcher is None:
                    with _bulk_load():
                        self._searcher = Searcher(self.store, self.embedder, self.vectors,
                                                  self.tables)
                searcher = self._searcher
        return searcher

    def save_table(self, name: str) -> None:
        """Read the table ``name`` (``search``, ``graph`` or ``lists``: of entities, topics and
        documents) from the store and save it beside it (what ``kg.cache``'s child runs)."""
        if name == "search":
            from .search import save_search_table

            save_search_table(self.store, self.tables, lambda: self.vectors)
        elif name == "graph":
            self.entity_graph()
        elif name == "lists":  # their pages' first visit: 4–12 s for the corpus's entities
            self.entities(), self.topics(), self.documents()
        else:
            raise ValueError(f"no table named {name!r}")

    def warm(self) -> threading.Thread:
        """Load the searcher and the query model, then start the SPARQL workers, in a background
        thread, so that the first question and query do not wait for them (a server calls it
        once it has started).

        One after the other: on two cores, the workers' start (a snapshot of the store, two
        processes importing their libraries) slowed a corpus's searcher load fourfold.
        """
        def load() -> None:
            try:
                self.searcher().prepare()
            except Exception:  # noqa: BLE001 - the first question meets the error and reports it
                pass
            if self._closing:  # closed while the searcher loaded: no workers for a closed store
                return
            try:
                self.sparql().warm()
            except Exception:  # noqa: BLE001 - the first query meets the error and reports it
                pass
        thread = self._warming = threading.Thread(target=load, name="policykg-warm", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Release the store (and its lock on disk) and stop the query workers."""
        self._closing = True
        if self._warming is not None:  # a load still reading the store keeps its lock a while
            self._warming.join(timeout=WARM_JOIN_SECONDS)
        sparql, self._sparql = self._sparql, None
        if sparql is not None:
            sparql.close()
        self.store.close()

    def __enter__(self) -> "KnowledgeGraph":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- building -----------------------------------------------------------
    def build(self, paths: Iterable[str | Path], *, prune: bool = False,
              progress: bool = False, embed: bool = True):
        """Ingest files or directories; returns a ``kg.build.BuildReport``.

        Unchanged documents are skipped, changed ones replaced, and with
        ``prune`` documents whose files are gone from the given directories are
        removed. Refused files are listed in the report, never raised.
        """
        from .build import build_paths

        report = build_paths(self.store, list(paths), base_iri=self.settings.base_iri,
                             vectors=(lambda: self.vectors) if embed else None,
                             tables=self.tables, prune=prune, progress=progress)
        self._searcher = self._entity_graph = None
        return report

    def is_empty(self) -> bool:
        """True when no document has been built into the store."""
        return self.store.is_empty()

    # -- reading ------------------------------------------------------------
    def sparql(self):
        """The read-only SPARQL service of this graph (``kg.sparql.SparqlService``), made once."""
        service = self._sparql
        if service is None:
            from .sparql import SparqlService

            with self._load_lock:
                if self._sparql is None:
                    self._sparql = SparqlService(self.store, self.settings)
                service = self._sparql
        return service

    def query(self, sparql: str, *, results_format: Any = "json", graph_format: Any = "turtle",
              default_graph_uris: Iterable[str] = (),
              named_graph_uris: Iterable[str] = ()):
        """Run a read-only SPARQL query with the configured time, memory and row limits.

        Returns a ``kg.sparql.QueryAnswer``: the body streams in ``results_format``
        (SELECT/ASK) or ``graph_format`` (CONSTRUCT/DESCRIBE), format names of
        ``kg.formats`` (``None``: the caller accepts none of that kind).

        Raises:
            QueryError: syntax error (the parser's message).
            QueryRefused: updates, SERVICE, LOAD.
            NotAcceptable: the answer's kind has no accepted format.
            QueryTimeout: ran past ``sparql_timeout``.
            TooLarge: past ``sparql_max_rows`` or ``sparql_memory``.
        """
        return self.sparql().query(sparql, results_format=results_format,
                                   graph_format=graph_format,
                                   default_graph_uris=list(default_graph_uris),
                                   named_graph_uris=list(named_graph_uris))

    def example_queries(self) -> list[dict[str, str]]:
        """Example SPARQL queries (``ontology/queries/*.rq``): name, title, query."""
        from .sparql import example_queries

        return example_queries()

    def search(self, text: str, *, type: str | None = None, k: int | None = None,
               document: str | None = None, date_from: str | None = None,
               date_to: str | None = None, kind: str | None = None,
               all_matches: bool = False, offset: int = 0):
        """Answer a question in Chinese or English; returns a ``kg.search.SearchResult``.

        ``all_matches``: every sentence, task or document holding the question's words
        verbatim, ``k`` of them from ``offset`` (``result.total`` counts them all).

        Raises:
            SearchError: an empty or oversized query.
        """
        searcher = self.searcher()
        return searcher.search(text, type=type, k=k or self.settings.search_k,
                               document=document, date_from=date_from,
                               date_to=date_to, kind=kind, all_matches=all_matches,
                               offset=offset)

    def resource(self, iri: str, *, page: int = 1, tasks_page: int = 1):
        """Everything the graph says about one IRI; returns ``kg.resource.Resource``.

        ``page`` numbers the pages of its mentions (``MENTIONS_PER_PAGE`` each),
        ``tasks_page`` those of an entity's tasks (``TASK_DOCUMENTS_PER_PAGE`` documents each).

        Raises:
            NotFound: the IRI is not in the graph.
            PolicyKGError: ``page`` or ``tasks_page`` is not a positive integer.
        """
        from .resource import describe

        return describe(self.store, iri, page=page, tasks_page=tasks_page)

    def resource_rdf(self, iri: str, media_type: str) -> tuple[bytes, str]:
        """The triples about one IRI serialised for ``media_type``; (body, media type).

        Raises:
            NotFound: the IRI is not in the graph.
        """
        from .resource import describe_rdf

        return describe_rdf(self.store, iri, media_type)

    def documents(self, *, text: str | None = None, kind: str | None = None,
                  date_from: str | None = None, date_to: str | None = None) -> list:
        """Every document: title, date, issuer, kind and counts (``kg.resource.DocumentSummary``).

        With filters, only the documents whose title, issuer or file contains
        ``text``, of ``kind``, issued within ``date_from``..``date_to``.
        """
        from .resource import filter_documents, list_documents

        docs = list_documents(self.store, self.tables)
        if text or kind or date_from or date_to:
            docs = filter_documents(docs, text=text, kind=kind, date_from=date_from,
                                    date_to=date_to)
        return docs

    def duties(self, *, unit: str | None = None, due_before: str | None = None) -> list:
        """Who must do what by when (``kg.duties.Assignment``), optionally for one unit or due by a date."""
        from .duties import assignments

        return assignments(self.store, unit=unit, due_before=due_before)

    def document_statuses(self, *, today: str | None = None) -> list:
        """Whether each document is in force, repealed, amended or expired (``kg.validity.DocumentStatus``)."""
        from .validity import document_statuses

        return document_statuses(self.store, today=today)

    def neighbourhood(self, iri: str | None = None, *, depth: int = 1,
                      types: Iterable[str] | None = None, area: str | None = None,
                      highlight: Iterable[str] = (), query: str | None = None) -> dict:
        """A node-link view of the graph (whole graph, or around ``iri``) with a layout.

        ``query`` marks the nodes its search results point at, besides ``highlight``.
        """
        from .analytics import neighbourhood

        marked = list(highlight)
        if query and query.strip():
            marked += [hit["iri"] for hit in self.search(query, k=20).to_json()["results"]]
        return neighbourhood(self.entity_graph(), iri, depth=depth, types=types, area=area,
                             highlight=marked)

    def graph_stats(self) -> dict:
        """Sizes and the most central entities of the entity–task graph."""
        from .analytics import stats

        return stats(self.entity_graph())

    def connection(self, a: str, b: str) -> list[dict]:
        """The shortest chain of links between two entities (names or IRIs)."""
        from .analytics import shortest_connection

        return shortest_connection(self.entity_graph(), a, b)

    def communities(self) -> list[list[dict]]:
        """Communities of tasks and entities in the entity–task graph."""
        from .analytics import communities

        return communities(self.entity_graph())

    def export(self, fmt: str, out) -> None:
        """Write the whole graph as trig, ttl, nt, jsonld, graphml or node-link json."""
        from .export import export

        export(fmt, out, store=self.store, entity_graph=self.entity_graph)

    # -- workspace pages (kg.workspace) ----------------------------------------
    def unit_view(self, iri: str):
        """A task, section or article as people read it (``kg.workspace.UnitView``).

        Raises:
            NotFound: ``iri`` is not a unit of a document.
        """
        from .workspace import unit_view

        return unit_view(self.store, iri)

    def entities(self, type: str | None = None, *, text: str | None = None) -> list:
        """Entities of one type (or all) whose names contain ``text`` (``kg.workspace.EntityRow``)."""
        from .workspace import entity_list

        return entity_list(self.store, type, text=text, tables=self.tables)

    def entity_type_counts(self) -> dict[str, int]:
        """How many organisations, places, events, programmes and cited documents the graph holds."""
        from .workspace import entity_type_counts

        return entity_type_counts(self.store)

    def topics(self) -> list:
        """The topics linked to units or documents, most linked first (``TopicRow``s, saved)."""
        from .workspace import TopicRow, topic_list

        return saved_rows(self.tables, "topics", "topic list v1", lambda: topic_list(self.store),
                          lambda row: TopicRow(**row))

    def suggest(self, text: str, *, limit: int = 10) -> list:
        """Entities and tasks whose name or alias contains ``text`` (``kg.workspace.Name``)."""
        from .suggest import suggest_names

        return suggest_names(self.store, text, limit=limit, tables=self.tables)

    def passages(self, document: str) -> list[tuple[int, int]]:
        """The sentences of a document as ``[start, end)`` offsets, in reading order."""
        from .workspace import document_passages

        return document_passages(self.store, document)

    def pages(self, document: str) -> list[tuple[int, int]]:
        """Where each page of a PDF/Word/OFD document begins: ``(number, offset)`` (empty for text)."""
        from .workspace import document_pages

        return document_pages(self.store, document)

    def graph_view(self, iri: str | None = None, *, document: str | None = None, depth: int = 1,
                   limit: int | None = None, types: Iterable[str] | None = None,
                   query: str | None = None) -> dict:
        """A readable graph view (``kg.maps``): around ``iri`` (an IRI, name or alias), bounded
        to ``limit`` nodes, or else the task–entity map of ``document`` (default: the largest).

        ``query`` marks the nodes whose names or aliases contain it and the nodes its
        search results point at.

        Raises:
            NotFound: no node or document by that name.
            PolicyKGError: ``depth`` not 1 or 2, ``limit`` out of range.
        """
        from .maps import DEFAULT_LIMIT, document_map, ego_view, names_matching

        graph = self.entity_graph()
        marked: set[str] = set()
        if query and query.strip():
            marked |= names_matching(graph, query)
            marked |= {hit["iri"] for hit in self.search(query, k=20).to_json()["results"]}
        if iri:
            return ego_view(graph, iri, depth=depth, limit=limit or DEFAULT_LIMIT, types=types,
                            highlight=marked)
        return document_map(graph, document, highlight=marked)

    def entity_tasks(self, iri: str) -> list[dict]:
        """What an entity does in which tasks and units, grouped by document (``kg.workspace``)."""
        from .workspace import entity_tasks

        return entity_tasks(self.store, iri)

    def compare(self, a: str, b: str, *, limit: int = 20):
        """Two documents side by side (``kg.compare.Comparison``): entities and topics in both or
        one, the most similar units and sentences, the links between them.

        ``a`` and ``b`` are IRIs, ids (``/doc/<id>``) or unique parts of titles. Units are
        paired by their stored vectors, else (a store built without them, or no model) by
        the entities and words they share.

        Raises:
            NotFound: no document by that name.
            PolicyKGError: a name matching several documents, or the same document twice.
        """
        from .compare import compare_documents, resolve_document
        from .errors import ModelError, StoreError
        from .validity import document_links, title_key

        first = resolve_document(self.store, a, self.settings.base_iri)
        second = resolve_document(self.store, b, self.settings.base_iri)
        try:
            vectors = self.vectors
        except (ModelError, StoreError):  # no model here, or an unreadable cache: compare words
            vectors = None
        return compare_documents(self.store, first, second, vectors=vectors,
                                 links=lambda: document_links(self.store, {first, second}),
                                 title_key=title_key, limit=limit)


_bulk_lock = threading.Lock()
_bulk_loads = 0  # bulk loads under way in this process (graphs of several stores may overlap)
_gc_was_enabled = True


@contextmanager
def _bulk_load() -> Iterator[None]:
    """Around the load of long-lived tables (10⁶ objects on a corpus): the cyclic garbage
    collector paused meanwhile, then what was loaded moved out of its sight (``gc.freeze``),
    and the memory the load freed returned to the system.

    Every few hundred new objects the collector runs, and its older generations walk all
    objects made so far: on a corpus that took 0.3–0.6 s of a 1.1 s searcher load, and later
    full collections walk the loaded tables again in the middle of a question. What a load
    makes lives as long as the process and forms no garbage cycles (parsed JSON, records).
    """
    global _bulk_loads, _gc_was_enabled
    with _bulk_lock:
        if _bulk_loads == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _bulk_loads += 1
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_loads -= 1
            if _bulk_loads == 0:
                gc.freeze()
                if _gc_was_enabled:
                    gc.enable()
        _trim_heap()


def _trim_heap() -> None:
    """Return the memory a load freed to the system: the C allocator keeps freed pages of the
    tables it parsed (about 25 MB after the searcher's on a corpus) unless asked."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
