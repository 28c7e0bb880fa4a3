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
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import PolicyKGError, QueryTimeout, StoreError, TooLarge
from .snapshot import Snapshot, signature, take_snapshot

__all__ = ["WorkerPool", "error_of"]

_STARTUP_TIMEOUT = 120.0  # seconds a new worker may take to import its modules and open the store


def error_of(kind: str, message: str) -> PolicyKGError:
    """The kg error of a worker's error frame (its ``kind`` decides the HTTP status in web)."""
    from ..errors import NotAcceptable, QueryError, QueryRefused

    cls = {"invalid": QueryError, "refused": QueryRefused, "not_acceptable": NotAcceptable,
           "too_large": TooLarge, "timeout": QueryTimeout}.get(kind, StoreError)
    return cls(message)


def _worker_argv(path: str, memory_mb: int) -> list[str]:
    """The command line of one worker process."""
    return [sys.executable, "-m", "policykg.kg.sparql.worker", path, str(memory_mb)]


class _Worker:
    """One worker process and its pipes (started here; ready after :meth:`wait_ready`)."""

    def __init__(self, snapshot: Snapshot, memory_mb: int):
        self.snapshot = snapshot
        self.process = subprocess.Popen(_worker_argv(snapshot.path, memory_mb),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        close_fds=True)
        self.fd = self.process.stdout.fileno()
        self.buffer = bytearray()
        self.stopped = False

    def wait_ready(self, deadline: float) -> bool:
        """True once the worker has opened its snapshot; False when ``deadline`` came first.

        Raises:
            StoreError: the worker failed to start (it is stopped).
        """
        try:
            tag, payload = self.read(deadline)
        except (EOFError, OSError, ValueError):
            tag, payload = b"X", b'{"message": "it exited"}'
        if tag == b"":
            return False
        if tag != b"R":
            self.stop()
            message = json.loads(payload).get("message") if tag == b"X" else "no answer"
            raise StoreError(f"the query worker did not start: {message}")
        return True

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
        """Kill the process and give its snapshot back (once; safe to call again)."""
        if self.stopped:
            return
        self.stopped = True
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
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._closed = False
        self._starting: set[_Worker] = set()  # launched, not ready yet (counted in _count)

    # -- snapshot -------------------------------------------------------------
    def _current_snapshot(self) -> Snapshot:
        """The snapshot of the store as it is now, taken again after a build."""
        snapshot = self._snapshot
        files = signature(self.store.path)
        if snapshot is not None and snapshot.signature == files:
            return snapshot  # no file of the store changed: no write since the snapshot
        with self._snapshot_lock:
            snapshot = self._snapshot
            generation = self.store.generation()
            if snapshot is not None and snapshot.generation == generation:
                snapshot.signature = files  # files changed (a flush), the content did not
                return snapshot
            snapshot = Snapshot(take_snapshot(self.store), generation, files)
            self._install(snapshot)
        threading.Thread(target=self._optimize, args=(snapshot,), daemon=True).start()
        return snapshot

    def _install(self, fresh: Snapshot) -> None:
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

    def _optimize(self, plain: Snapshot) -> None:
        """Swap in a compacted copy of ``plain`` (an incrementally built store answers scans and
        lookups 1.7-7x slower than a compacted one). Queries go on meanwhile: each idle worker
        on ``plain`` is replaced only once its successor is ready."""
        try:
            path = take_snapshot(self.store, optimize=True)
        except (PolicyKGError, OSError, RuntimeError, AttributeError):
            return  # the store closed meanwhile, or no room: the plain snapshot keeps serving
        with self._snapshot_lock:
            if self._closed or self._snapshot is not plain:
                shutil.rmtree(Path(path).parent, ignore_errors=True)
                return
            compact = Snapshot(path, plain.generation, plain.signature)
            self._install(compact)
        for _ in range(self.size):
            try:
                fresh = _launch(compact, self.memory_mb)
                if not fresh.wait_ready(time.monotonic() + _STARTUP_TIMEOUT):
                    fresh.stop()
                    return
            except PolicyKGError:
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
    def _acquire(self, deadline: float) -> _Worker:
        """A free worker, waiting for one (or for a new one to start) until ``deadline``.

        Raises:
            QueryTimeout: none was free and ready by ``deadline``.
        """
        snapshot = self._current_snapshot()
        with self._cond:
            while True:
                if self._closed:
                    raise StoreError("the graph is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive() and worker.snapshot.generation == snapshot.generation:
                        return worker
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
        worker = self._start(snapshot, deadline)
        for _ in range(self.size - 1):  # the others start in the background, for the next ones
            threading.Thread(target=self._spare, daemon=True).start()
        return worker

    def _start(self, snapshot: Snapshot, deadline: float | None = None) -> _Worker:
        """A new worker on ``snapshot``, ready; its place in the count is taken already.

        With a request's ``deadline``, a worker still starting then (seconds on a busy
        machine) finishes starting in the background and joins the idle ones, and the
        request gets a :class:`QueryTimeout`: start-up counts against the time limit.
        """
        try:
            worker = _launch(snapshot, self.memory_mb)
        except PolicyKGError:
            self._vacate()
            raise
        with self._cond:
            self._starting.add(worker)
        limit = time.monotonic() + _STARTUP_TIMEOUT
        try:
            ready = worker.wait_ready(limit if deadline is None else min(limit, deadline))
        except PolicyKGError:
            self._forget(worker)
            raise
        if ready:
            with self._cond:
                self._starting.discard(worker)
            return worker
        if deadline is not None and deadline < limit:
            threading.Thread(target=self._finish_start, args=(worker, limit), daemon=True).start()
            raise QueryTimeout("no query worker was ready within the time limit: a new one was "
                               "still starting (settings sparql_timeout, sparql_workers)")
        worker.stop()
        self._forget(worker)
        raise StoreError(f"the query worker did not start within {_STARTUP_TIMEOUT:g} s")

    def _finish_start(self, worker: _Worker, limit: float) -> None:
        """Wait for a worker whose request gave up on it; it then serves the next one."""
        try:
            ready = worker.wait_ready(limit)
        except PolicyKGError:
            self._forget(worker)
            return
        if not ready:
            worker.stop()
            self._forget(worker)
            return
        with self._cond:
            self._starting.discard(worker)
        self._release(worker)

    def _forget(self, worker: _Worker) -> None:
        """A worker that never became ready: its place in the count is free again."""
        with self._cond:
            self._starting.discard(worker)
        self._vacate()

    def _vacate(self) -> None:
        with self._cond:
            self._count -= 1
            self._cond.notify()

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

    def warm(self, *, wait: bool = False) -> None:
        """Take the snapshot and start every worker now (in the background unless ``wait``),
        so that no query's time limit pays for a start-up."""
        def start_all() -> None:
            try:
                self._current_snapshot()
            except PolicyKGError:
                return  # the first query reports it
            threads = [threading.Thread(target=self._spare, daemon=True) for _ in range(self.size)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        if wait:
            start_all()
        else:
            threading.Thread(target=start_all, daemon=True).start()

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
        # waiting for a worker and a new worker's start-up count against the limit too
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        if time.monotonic() >= deadline:
            self._release(worker)
            raise QueryTimeout(f"no query worker was free within {timeout:g} s "
                               "(settings sparql_timeout, sparql_workers)")
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
            starting = list(self._starting)  # their starters see them exit and free their places
            self._cond.notify_all()
        for worker in idle + starting:
            worker.stop()
        if self._snapshot is not None:
            self._snapshot.retire()
            self._snapshot = None


def _launch(snapshot: Snapshot, memory_mb: int) -> _Worker:
    """Start a worker process on ``snapshot`` (not ready yet); it holds the snapshot until stopped."""
    snapshot.acquire()
    try:
        return _Worker(snapshot, memory_mb)
    except OSError as exc:
        snapshot.release()
        raise StoreError(f"cannot start a query worker: {exc}") from None


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
