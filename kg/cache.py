"""Files derived from a store and kept beside it: where they go, and tables keyed by generation.

Search and the graph views read tens of thousands of rows from the store
before their first answer (about a minute on a 1,000-document corpus). What
they read is saved as JSON under ``<store>/<name>/`` with the store's
generation token in the file name (``GraphStore.generation``), so the next
process reads one file instead, and any build makes the file stale. A
missing, stale or damaged file only costs the time of reading the store.

    tables = Tables(store, child_settings=settings)
    table = tables.saved("graph", "entity graph v1")   # None: read the store, then
    tables.save("graph", "entity graph v1", table)
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

from .files import atomic_write_bytes

try:  # twice as fast on the tables of a corpus (tens of MB)
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - a dependency, but the tables only save time
    _loads = json.loads

__all__ = ["Tables", "cache_dir", "saved_rows", "read_json", "CHILD_MIN_SENTENCES",
           "TABLE_NAMES"]


def read_json(data: bytes) -> Any:
    """The JSON value of ``data`` (orjson where installed: a corpus's tables parse in half
    the time, its 4.8 MB English bridge in 34 ms instead of 90)."""
    return _loads(data)

#: Stores with at least this many sentences have their tables read by a child process.
CHILD_MIN_SENTENCES = 20_000
#: Tables a child process can save (``python -m policykg.kg.child``).
TABLE_NAMES = ("search", "graph", "lists")


class _Store(Protocol):
    """What the tables need of a store: where it is and its generation."""

    path: str | None
    location: str

    def generation(self) -> str: ...

    def select_rows(self, sparql: str) -> Any: ...


def cache_dir(store: _Store, name: str) -> Path:
    """The directory ``name`` of files derived from ``store`` (vectors, search index …).

    Beside the graph in a local store; under ``$XDG_CACHE_HOME/policykg/<name>/<hash
    of the store URL>`` for a remote one.
    """
    if store.path:
        return Path(store.path) / name
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    key = hashlib.sha256(store.location.encode("utf-8")).hexdigest()[:16]
    return Path(cache) / "policykg" / name / key


class Tables:
    """Tables saved beside one store, keyed by its generation.

    Args:
        store: the store (its location says where files go; its generation keys them).
            ``None`` (or a stand-in without generations) keeps nothing.
        child_settings: the settings (as a dict) a child process opens the store
            with to save a table of a big store; ``None`` never starts a child
            (a child itself, or a caller without settings).
    """

    def __init__(self, store: _Store | None, *, child_settings: Mapping[str, Any] | None = None):
        self.store = store
        self.child_settings = dict(child_settings) if child_settings is not None else None

    def directory(self, name: str) -> Path | None:
        """Where the files ``name`` of this store go (``None`` without a store)."""
        try:
            return cache_dir(self.store, name)
        except (AttributeError, TypeError):  # a stand-in store without a location
            return None

    def _path(self, name: str, version: str) -> Path | None:
        directory = self.directory(name)
        try:
            generation = self.store.generation()
        except (AttributeError, TypeError):  # a stand-in store without generations
            return None
        if directory is None:
            return None
        key = hashlib.sha256(f"{version}\n{generation}".encode("utf-8")).hexdigest()[:24]
        return directory / f"{key}.json"

    def load(self, name: str, version: str) -> Any | None:
        """The table ``name`` saved for the store's current generation, or ``None``.

        ``version`` names the layout of the table: a new layout ignores old files.
        """
        return self._load(name, version)[0]

    def _load(self, name: str, version: str) -> tuple[Any | None, str | None]:
        path = self._path(name, version)
        if path is None or not path.is_file():
            return None, None
        try:
            return _loads(path.read_bytes()), path.stem
        except (OSError, ValueError):  # damaged or half-written by a crashed process
            path.unlink(missing_ok=True)
            return None, None

    def saved(self, name: str, version: str) -> Any | None:
        """The table ``name``: the saved file, else the one a child process reads and saves
        on a big store (:meth:`save_in_child`), else ``None`` (the caller reads the store
        itself and saves what it read)."""
        return self.stamped(name, version)[0]

    def stamped(self, name: str, version: str) -> tuple[Any | None, str | None]:
        """:meth:`saved`, and a stamp naming the saved table's contents (its layout and the
        generation it was read at), which files derived from the table can be named by."""
        table, stamp = self._load(name, version)
        if table is None and self.save_in_child(name):
            table, stamp = self._load(name, version)
        return table, stamp

    def save(self, name: str, version: str, table: Any) -> str | None:
        """Save ``table`` (JSON data) for the store's current generation; older ones are removed.
        Returns its stamp (as :meth:`stamped`), ``None`` when nothing was saved.

        Failures (read-only directory, full disk) are ignored: the tables only save time.
        """
        path = self._path(name, version)
        if path is None:
            return None
        try:
            data = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            atomic_write_bytes(path, data, fsync=False)
            for old in path.parent.glob("*.json"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:
            return None
        return path.stem

    def big(self) -> bool:
        """True when the store has ``CHILD_MIN_SENTENCES`` sentences or more (and can keep tables)."""
        if self._path("search", "") is None:
            return False
        try:
            rows = list(self.store.select_rows(
                "SELECT (COUNT(?s) AS ?n) WHERE { ?s a pol:Sentence }"))
            return int(rows[0]["n"] or 0) >= CHILD_MIN_SENTENCES
        except (AttributeError, TypeError, ValueError, IndexError, KeyError):
            return False

    def save_in_child(self, name: str, *, timeout: float = 3600.0) -> bool:
        """Have a child process read table ``name`` (``search``, with its BM25 indexes,
        ``graph`` or ``lists``) from the store and save it; True when it did. Small stores are left
        to the caller, which reads them faster itself.

        Reading 10⁵ rows into Python objects leaves a process hundreds of MB larger
        than the objects it keeps (the freed rows stay mapped) and holds its GIL for
        a minute; a server asks a child and then loads the saved file instead.
        """
        if self.child_settings is None or name not in TABLE_NAMES or not self.big():
            return False
        try:
            request = json.dumps({"name": name, "settings": self.child_settings})
        except (TypeError, ValueError):
            return False
        try:
            done = subprocess.run([sys.executable, "-m", "policykg.kg.child"],
                                  input=request.encode("utf-8"), timeout=timeout,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0


def saved_rows(tables: "Tables | None", name: str, version: str, read: Callable[[], list],
               row_of: Callable[[Any], Any]) -> list:
    """Rows (objects with ``to_json``) read once per store generation: the table ``name``
    saved beside the store (each row made by ``row_of``), else ``read()`` from the store and
    saved; without ``tables``, always read."""
    saved = tables.load(name, version) if tables is not None else None
    if saved is not None:
        return [row_of(row) for row in saved]
    rows = read()
    if tables is not None:
        tables.save(name, version, [row.to_json() for row in rows])
    return rows
