"""Files derived from a store and kept beside it: where they go, and tables keyed by generation.

Search and the graph views read tens of thousands of rows from the store
before their first answer (about a minute on a 1,000-document corpus). What
they read is saved as JSON under ``<store>/<name>/`` with the store's
generation token in the file name (:meth:`kg.store.GraphStore.generation`), so
the next process reads one file instead, and any build makes the file stale.
A missing, stale or damaged file only costs the time of reading the store.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["big_store", "cache_dir", "load_table", "save_table", "save_in_child", "saved_table"]

#: Stores with at least this many sentences have their tables read by a child process.
CHILD_MIN_SENTENCES = 20_000
_IN_CHILD = False
#: Tables a child process can save: name → "module:function(kg)".
_SAVERS = {"search": "policykg.kg.search:save_search_table", "graph": "policykg.kg.analytics:save_graph_table"}


def cache_dir(kg: Any, name: str) -> Path:
    """The directory ``name`` of files derived from ``kg``'s store (vectors, search index).

    Beside the graph in a local store; under ``$XDG_CACHE_HOME/policykg/<name>/<hash
    of the store URL>`` for a remote one.
    """
    settings = kg.settings
    if settings.is_remote:
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        key = hashlib.sha256(settings.store.encode("utf-8")).hexdigest()[:16]
        return Path(cache) / "policykg" / name / key
    base = getattr(kg.store, "path", None) or settings.store
    return Path(base) / name


def _table_path(kg: Any, name: str, version: str) -> Path | None:
    try:
        generation = kg.store.generation()
        directory = cache_dir(kg, name)
    except (AttributeError, TypeError):  # a stand-in store without generations
        return None
    key = hashlib.sha256(f"{version}\n{generation}".encode("utf-8")).hexdigest()[:24]
    return directory / f"{key}.json"


def load_table(kg: Any, name: str, version: str) -> Any | None:
    """The table ``name`` saved for the store's current generation, or ``None``.

    ``version`` names the layout of the table: a new layout ignores old files.
    """
    path = _table_path(kg, name, version)
    if path is None or not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):  # damaged or half-written by a crashed process
        path.unlink(missing_ok=True)
        return None


def saved_table(kg: Any, name: str, version: str) -> Any | None:
    """The table ``name`` for the store's current generation: the saved file, else the one a
    child process reads and saves on a big store (:func:`save_in_child`), else ``None``
    (the caller reads the store itself and saves what it read)."""
    table = load_table(kg, name, version)
    if table is None and save_in_child(kg, name):
        table = load_table(kg, name, version)
    return table


def save_table(kg: Any, name: str, version: str, table: Any) -> None:
    """Save ``table`` (JSON data) for the store's current generation; older ones are removed.

    Written to a temporary file renamed into place, so readers never see half
    a file. Failures (read-only directory, full disk) are ignored: the cache
    only saves time.
    """
    path = _table_path(kg, name, version)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(table, handle, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in path.parent.glob("*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        return


def big_store(kg: Any) -> bool:
    """True when the store has ``CHILD_MIN_SENTENCES`` sentences or more (and can keep tables)."""
    if _table_path(kg, "search", "") is None:
        return False
    try:
        rows = kg.store.select_rows("SELECT (COUNT(?s) AS ?n) WHERE { ?s a pol:Sentence }")
        return int(next(iter(rows))["n"] or 0) >= CHILD_MIN_SENTENCES
    except (AttributeError, TypeError, ValueError, StopIteration):
        return False


def save_in_child(kg: Any, name: str, *, timeout: float = 3600.0) -> bool:
    """Have a child process read table ``name`` (``search``, with its BM25 indexes, or
    ``graph``) from the store and save it; True when it did. Small stores (fewer than ``CHILD_MIN_SENTENCES``
    sentences) are left to the caller, which reads them faster itself.

    Reading 10⁵ rows into Python objects leaves a process hundreds of MB larger
    than the objects it keeps (the freed rows stay mapped) and holds its GIL for
    a minute; a server asks a child and then loads the saved file instead.
    """
    import dataclasses
    import subprocess
    import sys

    if _IN_CHILD or name not in _SAVERS or not big_store(kg):
        return False
    try:
        request = json.dumps({"name": name, "settings": dataclasses.asdict(kg.settings)})
    except (AttributeError, TypeError, ValueError):
        return False
    env = dict(os.environ)
    try:
        done = subprocess.run([sys.executable, "-c", "from policykg.kg.cache import _child_main; "
                               "raise SystemExit(_child_main())"],
                              input=request.encode("utf-8"), env=env, timeout=timeout,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _child_main() -> int:
    """The child of :func:`save_in_child`: read one table from the store and save it."""
    import importlib
    import sys

    from .graph import KnowledgeGraph
    from .settings import Settings

    global _IN_CHILD
    _IN_CHILD = True  # read here, not in a grandchild
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    module, function = _SAVERS[request["name"]].split(":")
    with KnowledgeGraph.open(Settings(**request["settings"]), read_only=True) as kg:
        getattr(importlib.import_module(module), function)(kg)
    return 0
