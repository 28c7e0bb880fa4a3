"""The private copy of the store that the query workers open: without the build index.

The copy is made with hard links where the file system allows (``Store.backup``),
so it costs a fraction of a second once per build; :func:`signature` tells
cheaply whether the store was written since.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import PolicyKGError, StoreError

__all__ = ["Snapshot", "StoreFiles", "signature", "take_snapshot"]


class Snapshot:
    """A private copy of the store without the build index; removed when no worker uses it."""

    def __init__(self, path: str, generation: str, signature: tuple):
        self.path = path
        self.generation = generation
        self.signature = signature
        self.users = 0
        self.current = True
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        """Hold the files; False (nothing held) when they are removed already: a newer
        snapshot replaced this one and its last user let go."""
        with self._lock:
            if not self.current and self.users <= 0:
                return False
            self.users += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.users -= 1
            gone = self.users <= 0 and not self.current
        if gone:
            shutil.rmtree(Path(self.path).parent, ignore_errors=True)

    def retire(self) -> None:
        with self._lock:
            self.current = False
            gone = self.users <= 0
        if gone:
            shutil.rmtree(Path(self.path).parent, ignore_errors=True)


def signature(path: str) -> tuple:
    """The store's file names with the sizes of its logs: any write changes it (RocksDB appends
    every transaction to a ``.log`` file), and it costs a directory listing, not a query."""
    entries = []
    with os.scandir(path) as listing:
        for entry in listing:
            name = entry.name
            size = entry.stat().st_size if _grows(name) else 0
            entries.append((name, size))
    return tuple(sorted(entries))


def _grows(name: str) -> bool:
    """The files RocksDB appends to in place (write-ahead logs, the manifest)."""
    return name.endswith(".log") or name.startswith("MANIFEST")


class StoreFiles:
    """:func:`signature` of one store, re-read only when it can have changed.

    A file created, removed or renamed changes the folder's modification time;
    otherwise only the files RocksDB appends to can change, so a check costs a few
    ``stat`` calls instead of a listing of every file (a store accumulates dozens).
    """

    def __init__(self, path: str):
        self.path = path
        # (folder mtime, (path, size) of the growing files, signature), replaced as one (threads)
        self._state: tuple[int | None, tuple[tuple[str, int], ...], tuple] = (None, (), ())

    def signature(self) -> tuple:
        """The store's :func:`signature` as it is now."""
        folder_then, growing, value = self._state
        try:
            folder = os.stat(self.path).st_mtime_ns
            # a folder changed within the last second may change again within the same tick
            # of a coarse file-system clock without a new time: list it until it has settled
            settled = time.time_ns() - folder > 1_000_000_000
            if settled and folder == folder_then:
                stat = os.stat
                for path, size in growing:  # a loop, not all() over a generator: 2x faster here
                    if stat(path).st_size != size:
                        break
                else:
                    return value
        except OSError:
            folder = None  # a file went away meanwhile: list the folder
        value = signature(self.path)
        self._state = (folder, tuple((os.path.join(self.path, n), size) for n, size in value
                                     if _grows(n)), value)
        return value


def _remove_stale(folder: Path, prefix: str) -> None:
    """Remove the snapshots left by processes that died without closing their graph."""
    try:
        leftovers = [p for p in folder.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return
    for path in leftovers:
        pid = path.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def take_snapshot(store: Any, *, optimize: bool = False) -> str:
    """Copy the store beside itself (hard links), drop the build index from the copy and,
    with ``optimize``, compact it."""
    import gc

    import pyoxigraph as ox

    base = Path(store.path)
    prefix = f".{base.name}-sparql-"
    _remove_stale(base.parent, prefix)
    try:
        holder = tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=base.parent)
    except OSError:  # a read-only parent: a copy in the temporary folder
        holder = tempfile.mkdtemp(prefix=f"policykg-sparql-{os.getpid()}-")
    path = str(Path(holder) / "store")
    try:
        if store.read_only:  # beside a server that holds the store: copy through our own reader
            ox.Store.read_only(store.path).backup(path)
        else:
            store.snapshot(path)
        copy = ox.Store(path)
        copy.remove_graph(ox.NamedNode(store.index_graph))
        if optimize:
            copy.optimize()
        copy.flush()
        del copy
        gc.collect()
    except (OSError, RuntimeError, PolicyKGError) as exc:
        shutil.rmtree(holder, ignore_errors=True)
        raise StoreError(f"cannot prepare the store for SPARQL queries: {exc}") from None
    return path
