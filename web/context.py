"""The app's knowledge graph: opened once per app, closed with it (as flaskr's ``db.py``).

    init_app(app, settings)   # in the factory
    get_kg()                  # in a view
    close_app(app)            # when the server stops (tests: in the fixture's teardown)
"""
from __future__ import annotations

import weakref

from flask import Flask, current_app

from ..kg import KnowledgeGraph, Settings

_EXTENSION = "policykg"
_FINALIZERS = "policykg.close"


def init_app(app: Flask, settings: Settings) -> KnowledgeGraph:
    """Open the graph the settings name and attach it to ``app``.

    The graph is closed by :func:`close_app`, or when ``app`` is garbage
    collected, or at interpreter exit, whichever comes first; nothing keeps a
    finished app (and its store lock) alive.

    Raises:
        StoreError: the store cannot be opened (e.g. locked by another process).
    """
    kg = KnowledgeGraph.open(settings)
    app.extensions[_EXTENSION] = kg
    # weakref.finalize holds the graph, not the app: an app dropped by a test
    # releases its store, and one still alive at exit is closed then.
    app.extensions[_FINALIZERS] = weakref.finalize(app, kg.close)
    app.config["POLICYKG_BASE_IRI"] = settings.base_iri
    return kg


def get_kg() -> KnowledgeGraph:
    """The graph of the current app."""
    return current_app.extensions[_EXTENSION]


def kg_of(app: Flask) -> KnowledgeGraph | None:
    """The graph of ``app`` outside a request (``None`` once closed)."""
    return app.extensions.get(_EXTENSION)


def base_iri() -> str:
    """The base of the IRIs minted by the current app's graph (from the app's config)."""
    return current_app.config["POLICYKG_BASE_IRI"]


def close_app(app: Flask) -> None:
    """Close the app's graph (its store lock and query workers); safe to call twice."""
    app.extensions.pop(_EXTENSION, None)
    finalizer = app.extensions.pop(_FINALIZERS, None)
    if finalizer is not None:
        finalizer()
