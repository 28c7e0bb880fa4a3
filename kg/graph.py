"""The facade of the kg layer: every caller (CLI, web, tests) goes through it.

    with KnowledgeGraph.open({"store": "/tmp/kg"}) as kg:
        kg.build(["data/"])
        kg.search("which tasks involve aviation?")

Each method is one call into the module that owns the concept; heavy modules
(embeddings, search, networkx) are imported on first use.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

from .settings import Settings


class KnowledgeGraph:
    """A policy knowledge graph: store, vectors and search over it."""

    def __init__(self, settings: Settings, store: Any):
        self.settings = settings
        self.store = store  # kg.store.GraphStore
        self._searcher = None  # kg.search.Searcher, loaded on the first search
        self._entity_graph = None  # networkx graph of kg.analytics, read on first use
        # one thread loads them; others asking meanwhile wait (a server's threads)
        self._load_lock = threading.RLock()

    # -- life cycle ---------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings | Mapping[str, Any] | None = None, *,
             read_only: bool = False) -> "KnowledgeGraph":
        """Open (creating if needed) the store named by the settings.

        ``read_only`` callers (search, SPARQL, export …) may share a local store
        with a running server; builders need it to themselves.

        Raises:
            StoreError: the store cannot be opened (locked, unreadable, unreachable).
        """
        from .store import open_store

        if not isinstance(settings, Settings):
            settings = Settings.load(settings)
        return cls(settings, open_store(settings, read_only=read_only))

    def close(self) -> None:
        """Release the store (and its lock on disk) and stop the query workers."""
        from .sparql import close_pool

        close_pool(self)
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

        report = build_paths(self, list(paths), prune=prune, progress=progress, embed=embed)
        self._searcher = self._entity_graph = None
        return report

    def is_empty(self) -> bool:
        """True when no document has been built into the store."""
        return self.store.is_empty()

    # -- reading ------------------------------------------------------------
    def query(self, sparql: str, *, accept: str | None = None,
              default_graph_uris: Iterable[str] = (),
              named_graph_uris: Iterable[str] = ()):
        """Run a read-only SPARQL query with the configured time and row limits.

        Returns a ``kg.sparql.QueryAnswer`` (media type, body, and rows for
        tables).

        Raises:
            QueryError: syntax error (the parser's message).
            QueryRefused: updates, SERVICE, LOAD.
            QueryTimeout: ran past ``sparql_timeout``.
        """
        from .sparql import run_query

        return run_query(self, sparql, accept=accept,
                         default_graph_uris=list(default_graph_uris),
                         named_graph_uris=list(named_graph_uris))

    def example_queries(self) -> list[dict[str, str]]:
        """Example SPARQL queries (``ontology/queries/*.rq``): name, title, query."""
        from .sparql import example_queries

        return example_queries()

    def search(self, text: str, *, type: str | None = None, k: int | None = None,
               document: str | None = None, date_from: str | None = None,
               date_to: str | None = None, kind: str | None = None):
        """Answer a question in Chinese or English; returns a ``kg.search.SearchResult``.

        Raises:
            SearchError: an empty or oversized query.
        """
        searcher = self._searcher
        if searcher is None:
            from .search import Searcher

            with self._load_lock:
                if self._searcher is None:
                    self._searcher = Searcher(self)
                searcher = self._searcher
        return searcher.search(text, type=type, k=k or self.settings.search_k,
                               document=document, date_from=date_from,
                               date_to=date_to, kind=kind)

    def resource(self, iri: str, *, page: int = 1):
        """Everything the graph says about one IRI; returns ``kg.resource.Resource``.

        ``page`` numbers the pages of its mentions (``MENTIONS_PER_PAGE`` each).

        Raises:
            NotFound: the IRI is not in the graph.
            PolicyKGError: ``page`` is not a positive integer.
        """
        from .resource import describe

        return describe(self, iri, page=page)

    def resource_rdf(self, iri: str, media_type: str) -> tuple[bytes, str]:
        """The triples about one IRI serialised for ``media_type``; (body, media type).

        Raises:
            NotFound: the IRI is not in the graph.
        """
        from .resource import describe_rdf

        return describe_rdf(self, iri, media_type)

    def documents(self) -> list:
        """Every document: title, date, issuer, kind and counts (``kg.resource.DocumentSummary``)."""
        from .resource import list_documents

        return list_documents(self)

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
        return neighbourhood(self, iri, depth=depth, types=types, area=area, highlight=marked)

    def graph_stats(self) -> dict:
        """Sizes and the most central entities of the entity–task graph."""
        from .analytics import stats

        return stats(self)

    def connection(self, a: str, b: str) -> list[dict]:
        """The shortest chain of links between two entities (names or IRIs)."""
        from .analytics import shortest_connection

        return shortest_connection(self, a, b)

    def communities(self) -> list[list[dict]]:
        """Communities of tasks and entities in the entity–task graph."""
        from .analytics import communities

        return communities(self)

    def export(self, fmt: str, out) -> None:
        """Write the whole graph as trig, ttl, nt, jsonld, graphml or node-link json."""
        from .export import export

        export(self, fmt, out)
