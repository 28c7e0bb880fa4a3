"""Killable query workers kept warm over a private snapshot of the store.

Each worker is a process (:mod:`kg.sparql.worker`) that keeps the snapshot
open read-only, so a query costs neither a process start nor a store open;
a query past its time is stopped by killing its worker, which the pool
replaces in the background. The pool is bounded (``sparql_workers``, by
default the number of cores): requests beyond it wait for a free worker
within their own time limit.

The snapshot is a copy of the store (hard links where the file system
allows) with the build index removed, so the union default graph and
``GRAPH ?g`` see the documents and vocabularies, never local file paths. A
new snapshot is taken when the store's generation changes (a build).
"""
from __future__ import annotations

import json
import os
import pickle
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import PolicyKGError, QueryTimeout, StoreError, TooLarge

__all__ = ["WorkerPool", "error_of"]

_STARTUP_TIMEOUT = 120.0  # seconds a new worker may take to import its modules and open the store


def error_of(kind: str, message: str) -> PolicyKGError:
    """The kg error of a worker's error frame (its ``kind`` decides the HTTP status in web)."""
    from ..errors import NotAcceptable, QueryError, QueryRefused

    cls = {"invalid": QueryError, "refused": QueryRefused, "not_acceptable": NotAcceptable,
           "too_large": TooLarge, "timeout": QueryTimeout}.get(kind, StoreError)
    return cls(message)


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, snapshot: "_Snapshot", memory_mb: int):
        self.snapshot = snapshot
        self.process = subprocess.Popen(
            [sys.executable, "-m", "policykg.kg.sparql.worker", snapshot.path, str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        self.fd = self.process.stdout.fileno()
        self.buffer = bytearray()
        tag, payload = self.read(time.monotonic() + _STARTUP_TIMEOUT)
        if tag != b"R":
            self.stop()
            message = json.loads(payload).get("message") if tag == b"X" else "no answer"
            raise StoreError(f"the query worker did not start: {message}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, request: dict) -> None:
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.write(len(data).to_bytes(4, "big") + data)
        self.process.stdin.flush()

    def read(self, deadline: float) -> tuple[bytes, bytes]:
        """One frame (tag, payload); ``(b"", b"")`` when ``deadline`` passed first.

        Raises:
            EOFError: the worker exited.
        """
        while True:
            if len(self.buffer) >= 5:
                size = int.from_bytes(self.buffer[1:5], "big")
                if len(self.buffer) >= 5 + size:
                    tag, payload = bytes(self.buffer[:1]), bytes(self.buffer[5:5 + size])
                    del self.buffer[:5 + size]
                    return tag, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                return b"", b""
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                raise EOFError("the query worker exited")
            self.buffer += chunk

    def buffered(self) -> list[tuple[bytes, bytes]] | None:
        """Every frame already read, when they end the answer (``E``); else ``None``."""
        frames, offset = [], 0
        while len(self.buffer) - offset >= 5:
            size = int.from_bytes(self.buffer[offset + 1:offset + 5], "big")
            if len(self.buffer) - offset < 5 + size:
                return None
            tag = bytes(self.buffer[offset:offset + 1])
            frames.append((tag, bytes(self.buffer[offset + 5:offset + 5 + size])))
            offset += 5 + size
            if tag in (b"E", b"X"):
                del self.buffer[:offset]
                return frames
        return None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.snapshot.release()


class _Snapshot:
    """A private copy of the store without the build index; removed when no worker uses it."""

    def __init__(self, path: str, generation: str, signature: tuple):
        self.path = path
        self.generation = generation
        self.signature = signature
        self.users = 0
        self.current = True
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            self.users += 1

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


class WorkerPool:
    """A bounded set of warm query workers over a snapshot of one local store.

    Args:
        store: the open ``GraphStore`` (local).
        size: most workers at once (each runs one query at a time).
        memory_mb: the memory each worker may add while answering (0: no limit).
    """

    def __init__(self, store: Any, *, size: int, memory_mb: int):
        self.store = store
        self.size = max(1, size)
        self.memory_mb = memory_mb
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._count = 0  # workers alive or starting
        self._snapshot: _Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._closed = False

    # -- snapshot -------------------------------------------------------------
    def _current_snapshot(self) -> _Snapshot:
        """The snapshot of the store as it is now, taken again after a build."""
        snapshot = self._snapshot
        signature = _signature(self.store.path)
        if snapshot is not None and snapshot.signature == signature:
            return snapshot  # no file of the store changed: no write since the snapshot
        with self._snapshot_lock:
            snapshot = self._snapshot
            generation = self.store.generation()
            if snapshot is not None and snapshot.generation == generation:
                snapshot.signature = signature  # files changed (a flush), the content did not
                return snapshot
            snapshot = _Snapshot(_take_snapshot(self.store), generation, signature)
            self._install(snapshot)
        threading.Thread(target=self._optimize, args=(snapshot,), daemon=True).start()
        return snapshot

    def _install(self, fresh: _Snapshot) -> None:
        """Make ``fresh`` the snapshot new workers open; idle workers of another generation stop."""
        old, self._snapshot = self._snapshot, fresh
        if old is not None:
            old.retire()
        with self._cond:
            stale = [w for w in self._idle if w.snapshot.generation != fresh.generation]
            self._idle = [w for w in self._idle if w not in stale]
            self._count -= len(stale)
            self._cond.notify_all()
        for worker in stale:
            worker.stop()

    def _optimize(self, plain: _Snapshot) -> None:
        """Swap in a compacted copy of ``plain`` (an incrementally built store answers scans and
        lookups 1.7-7x slower than a compacted one). Queries go on meanwhile: each idle worker
        on ``plain`` is replaced only once its successor is ready."""
        try:
            path = _take_snapshot(self.store, optimize=True)
        except (PolicyKGError, OSError, RuntimeError, AttributeError):
            return  # the store closed meanwhile, or no room: the plain snapshot keeps serving
        with self._snapshot_lock:
            if self._closed or self._snapshot is not plain:
                shutil.rmtree(Path(path).parent, ignore_errors=True)
                return
            compact = _Snapshot(path, plain.generation, plain.signature)
            self._install(compact)
        for _ in range(self.size):
            compact.acquire()
            try:
                fresh = _Worker(compact, self.memory_mb)
            except PolicyKGError:
                compact.release()
                return
            with self._cond:
                old = next((w for w in self._idle if w.snapshot is not compact), None)
                if old is not None:
                    self._idle.remove(old)
                    self._count -= 1
                if self._closed or self._snapshot is not compact or self._count >= self.size:
                    old, extra = old, fresh
                else:
                    self._idle.append(fresh)
                    self._count += 1
                    self._cond.notify()
                    extra = None
            for worker in (old, extra):
                if worker is not None:
                    worker.stop()

    # -- workers ----------------------------------------------------------------
    def _acquire(self, deadline: float) -> tuple[_Worker, float]:
        """A free worker and the seconds it took to start (0 for a warm one), waiting for one
        until ``deadline``."""
        snapshot = self._current_snapshot()
        with self._cond:
            while True:
                if self._closed:
                    raise StoreError("the graph is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive() and worker.snapshot.generation == snapshot.generation:
                        return worker, 0.0
                    self._count -= 1
                    worker.stop()
                if self._count < self.size:
                    self._count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout(f"all {self.size} query workers stayed busy past the time "
                                       "limit (settings sparql_workers, sparql_timeout)")
                self._cond.wait(remaining)
        begun = time.monotonic()
        worker = self._start(snapshot)
        for _ in range(self.size - 1):  # the others start in the background, for the next ones
            threading.Thread(target=self._spare, daemon=True).start()
        return worker, time.monotonic() - begun

    def _start(self, snapshot: _Snapshot) -> _Worker:
        snapshot.acquire()
        try:
            return _Worker(snapshot, self.memory_mb)
        except BaseException:
            snapshot.release()
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            current = self._snapshot
            if not self._closed and worker.alive() and current is not None and \
                    worker.snapshot.generation == current.generation:
                self._idle.append(worker)
                self._cond.notify()
                return
            self._count -= 1
            self._cond.notify()
        worker.stop()

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker (stuck or broken) and start its replacement in the background."""
        worker.stop()
        with self._cond:
            self._count -= 1
            self._cond.notify()
        threading.Thread(target=self._spare, daemon=True).start()

    def _spare(self) -> None:
        with self._cond:
            if self._closed or self._count >= self.size or self._snapshot is None:
                return
            self._count += 1
            snapshot = self._snapshot
        try:
            worker = self._start(snapshot)
        except PolicyKGError:
            return
        self._release(worker)

    # -- running ----------------------------------------------------------------
    def run(self, request: dict, timeout: float) -> tuple[str, Iterable[bytes]]:
        """Run one request: the answer's kind and its body as chunks.

        The first chunk (64 KB, or the whole of a smaller answer) has arrived
        when this returns, so errors before it are raised here; the rest
        streams, within the same time limit.

        Raises:
            QueryTimeout: past ``timeout`` seconds (the worker is killed).
            TooLarge: the worker ran out of its memory.
            PolicyKGError: what the worker reported (syntax, refused, not acceptable …).
        """
        deadline = time.monotonic() + timeout
        worker, started = self._acquire(deadline)
        deadline += started  # a worker's start-up (seconds on a busy machine) is not query time
        try:
            worker.send(request)
            tag, payload = worker.read(deadline)
        except (EOFError, OSError, ValueError):
            self._discard(worker)
            raise self._death(worker, timeout) from None
        if tag == b"":
            self._discard(worker)
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped "
                               "(setting sparql_timeout)")
        if tag == b"X":
            self._release(worker)
            error = json.loads(payload)
            raise error_of(error["kind"], error["message"])
        kind = json.loads(payload)["kind"]
        whole = worker.buffered()
        if whole is not None and whole[-1][0] == b"E":  # a small answer, all here: free the worker now
            self._release(worker)
            return kind, [data for tag, data in whole if tag == b"D"]
        return kind, self._stream(worker, deadline, timeout)

    def _stream(self, worker: _Worker, deadline: float, timeout: float) -> Iterator[bytes]:
        return _Stream(self, worker, deadline, timeout)

    def _death(self, worker: _Worker, timeout: float) -> PolicyKGError:
        """The error for a worker that died while answering."""
        code = worker.process.poll()
        if code is not None and code < 0 and -code in (6, 9, 11) and self.memory_mb:
            return TooLarge(f"the query needed more than {self.memory_mb} MB of memory and was "
                            "stopped (setting sparql_memory)")
        return StoreError(f"the query worker failed (exit status {code})")

    def close(self) -> None:
        """Stop every idle worker and remove the snapshot (busy ones stop when released)."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            worker.stop()
        if self._snapshot is not None:
            self._snapshot.retire()
            self._snapshot = None


def _signature(path: str) -> tuple:
    """The store's file names with the sizes of its logs: any write changes it (RocksDB appends
    every transaction to a ``.log`` file), and it costs a directory listing, not a query."""
    entries = []
    with os.scandir(path) as listing:
        for entry in listing:
            name = entry.name
            size = entry.stat().st_size if name.endswith(".log") or name.startswith("MANIFEST") \
                else 0
            entries.append((name, size))
    return tuple(sorted(entries))


class _Stream:
    """The rest of an answer, read frame by frame; gives its worker back when done or closed.

    A class rather than a generator so that ``close()`` frees the worker even when
    iteration never started (a client gone before the first byte).
    """

    def __init__(self, pool: WorkerPool, worker: _Worker, deadline: float, timeout: float):
        self.pool, self.worker, self.deadline, self.timeout = pool, worker, deadline, timeout
        self.finished = False

    def __iter__(self) -> "_Stream":
        return self

    def __next__(self) -> bytes:
        if self.finished:
            raise StopIteration
        try:
            tag, payload = self.worker.read(self.deadline)
        except (EOFError, OSError):
            self._finish(ok=False)
            raise self.pool._death(self.worker, self.timeout) from None
        if tag == b"D":
            return payload
        if tag == b"E":
            self._finish(ok=True)
            raise StopIteration
        self._finish(ok=False)
        if tag == b"X":
            raise error_of(**json.loads(payload))
        raise QueryTimeout(f"the answer was still streaming after {self.timeout:g} s and was cut "
                           "(setting sparql_timeout)")

    def close(self) -> None:
        """Stop reading: a worker still mid-answer is killed and replaced."""
        if not self.finished:
            self._finish(ok=False)

    def _finish(self, *, ok: bool) -> None:
        self.finished = True
        if ok:
            self.pool._release(self.worker)
        else:
            self.pool._discard(self.worker)

    def __del__(self) -> None:
        self.close()


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


def _take_snapshot(store: Any, *, optimize: bool = False) -> str:
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


