"""The Flask app factory: one KnowledgeGraph per app, thin blueprints over it.

    app = create_app({"POLICYKG": {"store": "/tmp/kg"}, "TESTING": True})

Settings are layered: defaults → ``policykg.toml`` → the instance file
(``instance/config.py``, key ``POLICYKG``) → ``POLICYKG_*`` environment → the
``config`` dict given to :func:`create_app`.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Mapping

from flask import Flask

from ..kg import KnowledgeGraph, Settings
from . import context, errors, templating
from .context import close_app, get_kg
from .views import api, compare, pages, sparql

__all__ = ["create_app", "get_kg", "close_app", "ensure_sample"]


def _settings(app: Flask, config: Mapping[str, Any] | None) -> Settings:
    """Resolve the settings: an explicit ``POLICYKG`` beats env, env beats the instance file."""
    given = (config or {}).get("POLICYKG")
    if isinstance(given, Settings):
        return given
    if given is not None:
        return Settings.load(dict(given))
    instance = dict(app.config.get("POLICYKG") or {})
    below_env = {k: v for k, v in instance.items()
                 if f"POLICYKG_{k.upper()}" not in os.environ}
    return Settings.load(below_env)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Make the web app over the graph the settings name (opened once, here).

    The graph is closed by :func:`close_app` (the server does it when it
    stops), or when the app is garbage collected.

    Args:
        config: Flask settings; ``POLICYKG`` is a ``kg.Settings`` or a dict of
            settings (``{"store": path}``). Without it the instance file and
            the environment decide.

    Raises:
        StoreError: the store cannot be opened (e.g. locked by another process).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(POLICYKG=None, JSON_SORT_KEYS=False)
    if config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update({k: v for k, v in config.items() if k != "POLICYKG"})
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    kg = context.init_app(app, _settings(app, config))
    if not app.testing:  # a server: the searcher loads and the SPARQL workers start in the
        kg.sparql()      # background, not on the first question's or query's clock (the
        kg.warm()        # service made now: a first query need not wait for the searcher)
    errors.init_app(app)
    templating.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(compare.bp)
    app.wsgi_app = sparql.FastPath(app, app.wsgi_app)  # plain GET /sparql without Flask's per-request work
    return app


def ensure_sample(settings: Settings) -> bool:
    """Build the bundled sample documents into an empty store; True when it built.

    Shows a progress bar while building. Does nothing for a non-empty store.
    """
    with KnowledgeGraph.open(settings) as kg:
        if not kg.is_empty():
            return False
        print(f"policykg: the store is empty; building the sample from {settings.sample}",
              file=sys.stderr)
        report = kg.build([settings.sample], progress=True)
        print(report.summary(), file=sys.stderr)
        return True
