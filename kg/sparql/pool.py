"""Killable query workers kept warm over a private snapshot of the store.

Each worker is a process (:mod:`kg.sparql.worker`) that keeps the snapshot
open read-only, so a query costs neither a process start nor a store open;
a query past its time is stopped by killing its worker, which the pool
replaces in the background. The pool is bounded (``sparql_workers``, by
default the number of cores): requests beyond it wait for a free worker
within their own time limit, oldest first. Under load a query that has
computed ``shed_after`` seconds while others wait for a worker is stopped
(503, "the server is busy"), and for a minute the same query text, or one
that ran out of time or memory, waits behind every other: a burst of heavy
queries cannot hold the workers while short ones time out behind them.

The snapshot is a copy of the store (hard links where the file system
allows) with the build index removed, so the union default graph and
``GRAPH ?g`` see the documents and vocabularies, never local file paths. A
new snapshot is taken when the store's generation changes (a build).
"""
from __future__ import annotations

import itertools
import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import PolicyKGError, QueryTimeout, StoreError, TooLarge
from .inline import InlineAnswers, request_key
from .process import STARTUP_TIMEOUT, SnapshotGone, Stream, Worker, error_of, launch
from .snapshot import Snapshot, StoreFiles, take_snapshot

__all__ = ["WorkerPool", "error_of"]

_SHED_PATIENCE = 0.25  # seconds a request waits for a worker to come free before one is shed
_SHED_INTERVAL = 1.0  # seconds between two sheddings (a replacement worker starts meanwhile)
_SLOW_MEMORY = 60.0  # seconds a query text that was shed, timed out or ran out of memory waits last


#: Seconds closing waits for workers still starting or answering to give their places back.
CLOSE_WAIT = 5.0


class WorkerPool:
    """A bounded set of warm query workers over a snapshot of one local store.

    Args:
        store: the open ``GraphStore`` (local).
        size: most workers at once (each runs one query at a time).
        memory_mb: the memory each worker may add while answering (0: no limit).
        shed_after: seconds a query may hold its worker while other requests wait
            for one, before it is stopped for them (0: never).
        cache_bytes: the answers of cheap requests kept for when they are asked again
            on the same snapshot, in bytes (0: none).
    """

    def __init__(self, store: Any, *, size: int, memory_mb: int, shed_after: float = 0.0,
                 cache_bytes: int = 0):
        self.store = store
        self.size = max(1, size)
        self.memory_mb = memory_mb
        self.shed_after = shed_after
        self._tickets = itertools.count()
        self._waiting: dict[int, int] = {}  # requests waiting for a worker: ticket -> query key
        self._slow: dict[int, float] = {}  # query keys recently shed or stopped -> when
        self._busy: dict[Worker, float] = {}  # workers computing an answer -> since when
        self._last_shed = 0.0
        self.inline = InlineAnswers(cache_bytes)  # requests a worker answered within milliseconds
        self._files = StoreFiles(store.path)
        self._optimizing: threading.Thread | None = None  # the compaction of the last snapshot
        self._cond = threading.Condition()
        self._idle: list[Worker] = []
        self._count = 0  # workers alive or starting
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._closed = False
        self._starting: set[Worker] = set()  # launched, not ready yet (counted in _count)

    # -- snapshot -------------------------------------------------------------
    def _current_snapshot(self) -> Snapshot:
        """The snapshot of the store as it is now, taken again after a build."""
        snapshot = self._snapshot
        files = self._files.signature()
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
        self._optimizing = threading.Thread(target=self._optimize, args=(snapshot,), daemon=True)
        self._optimizing.start()
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
                fresh = launch(compact, self.memory_mb)
                if not fresh.wait_ready(time.monotonic() + STARTUP_TIMEOUT):
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
                    self._cond.notify_all()
                    extra = None
            for worker in (old, extra):
                if worker is not None:
                    worker.stop()

    # -- workers ----------------------------------------------------------------
    def _acquire(self, deadline: float, key: int = 0, snapshot: Snapshot | None = None) -> Worker:
        """A free worker, waiting for one (or for a new one to start) until ``deadline``.

        Waiting requests are served oldest first, except that a query ``key`` known to be
        slow (see :meth:`_mark_slow`) waits behind every other.

        Raises:
            QueryTimeout: none was free and ready by ``deadline``.
        """
        snapshot = snapshot or self._current_snapshot()
        with self._cond:
            if not self._waiting and not self._closed:  # nobody ahead: an idle worker is ours
                worker = self._idle_worker(snapshot)
                if worker is not None:
                    return worker
        ticket, since = next(self._tickets), time.monotonic()
        with self._cond:
            self._waiting[ticket] = key
            try:
                while True:
                    if self._closed:
                        raise StoreError("the graph is closed")
                    if self._next() == ticket:
                        worker = self._idle_worker(snapshot)
                        if worker is not None:
                            return worker
                        if self._count < self.size:
                            self._count += 1
                            break
                    now = time.monotonic()
                    remaining = deadline - now
                    if remaining <= 0:
                        raise QueryTimeout(f"all {self.size} query workers stayed busy past the "
                                           "time limit (settings sparql_workers, sparql_timeout)")
                    if now - since >= _SHED_PATIENCE:
                        self._shed(now)
                    self._cond.wait(min(remaining, _SHED_PATIENCE))
            finally:
                del self._waiting[ticket]
                self._cond.notify_all()  # the next newest may take what is free
        worker = self._start(snapshot, deadline)
        for _ in range(self.size - 1):  # the others start in the background, for the next ones
            threading.Thread(target=self._spare, daemon=True).start()
        return worker

    def _next(self) -> int:
        """The ticket of the waiting request to serve next: the oldest not known to be slow."""
        now = time.monotonic()
        return min(self._waiting, key=lambda t: (now - self._slow.get(self._waiting[t], -1e9)
                                                  < _SLOW_MEMORY, t))

    def _mark_slow(self, key: int) -> None:
        """Remember a query text that was shed, timed out or ran out of memory."""
        with self._cond:
            now = time.monotonic()
            if len(self._slow) > 1000:
                self._slow = {k: t for k, t in self._slow.items() if now - t < _SLOW_MEMORY}
            self._slow[key] = now

    def _idle_worker(self, snapshot: Snapshot) -> Worker | None:
        """An idle live worker on ``snapshot``'s generation (others are stopped), or None."""
        while self._idle:
            worker = self._idle.pop()
            if worker.alive() and worker.snapshot.generation == snapshot.generation:
                return worker
            self._count -= 1
            worker.stop()
        return None

    def _shed(self, now: float) -> None:
        """Stop the query that has held its worker longest, once past ``shed_after`` (at most
        one per ``_SHED_INTERVAL``, so that a replacement can start before the next)."""
        if not self.shed_after or now - self._last_shed < _SHED_INTERVAL:
            return
        oldest = min(self._busy.items(), key=lambda item: item[1], default=None)
        if oldest is None or now - oldest[1] < self.shed_after:
            return
        worker, started = oldest
        self._last_shed = now
        worker.shed = now - started
        del self._busy[worker]
        worker.process.kill()  # its request sees the worker die and answers "busy"

    def _start(self, snapshot: Snapshot, deadline: float | None = None) -> Worker:
        """A new worker on ``snapshot``, ready; its place in the count is taken already.

        With a request's ``deadline``, a worker still starting then (seconds on a busy
        machine) finishes starting in the background and joins the idle ones, and the
        request gets a :class:`QueryTimeout`: start-up counts against the time limit.
        """
        try:
            try:
                worker = launch(snapshot, self.memory_mb)
            except SnapshotGone:  # compacted or rebuilt meanwhile: start on the one in use now
                worker = launch(self._snapshot or snapshot, self.memory_mb)
        except PolicyKGError:
            self._vacate()
            raise
        with self._cond:
            self._starting.add(worker)
        limit = time.monotonic() + STARTUP_TIMEOUT
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
        raise StoreError(f"the query worker did not start within {STARTUP_TIMEOUT:g} s")

    def _finish_start(self, worker: Worker, limit: float) -> None:
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

    def _forget(self, worker: Worker) -> None:
        """A worker that never became ready: its place in the count is free again."""
        with self._cond:
            self._starting.discard(worker)
        self._vacate()

    def _vacate(self) -> None:
        with self._cond:
            self._count -= 1
            self._cond.notify_all()

    def _release(self, worker: Worker) -> None:
        with self._cond:
            current = self._snapshot
            if not self._closed and worker.alive() and current is not None and \
                    worker.snapshot.generation == current.generation:
                self._idle.append(worker)
                self._cond.notify_all()
                return
            self._count -= 1
            self._cond.notify_all()
        worker.stop()

    def _discard(self, worker: Worker) -> None:
        """Kill a worker (stuck or broken) and start its replacement in the background."""
        worker.stop()
        with self._cond:
            self._count -= 1
            self._cond.notify_all()
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
        snapshot = self._current_snapshot()
        request_id = request_key(request)  # made once: the kept answers use it twice
        inline = self.inline.run(snapshot, request, request_id)
        if inline is not None:
            return inline
        key = hash(request.get("query"))
        worker = self._acquire(deadline, key, snapshot)
        if time.monotonic() >= deadline:
            self._release(worker)
            raise QueryTimeout(f"no query worker was free within {timeout:g} s "
                               "(settings sparql_timeout, sparql_workers)")
        sent = time.monotonic()
        with self._cond:
            self._busy[worker] = sent  # may be shed until its answer starts
        try:
            worker.send(request)
            tag, payload = worker.read(deadline)
        except (EOFError, OSError, ValueError):
            self._discard(worker)
            self._mark_slow(key)
            raise self._death(worker, timeout) from None
        finally:
            with self._cond:
                self._busy.pop(worker, None)  # an answer that streams is never cut by shedding
        if tag == b"":
            self._discard(worker)
            self._mark_slow(key)
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped "
                               "(setting sparql_timeout)")
        if tag == b"X":
            self._release(worker)
            error = json.loads(payload)
            if error["kind"] in ("too_large", "timeout"):
                self._mark_slow(key)
            raise error_of(error["kind"], error["message"])
        kind = payload.decode()
        whole = worker.buffered()
        if whole is not None and whole[-1][0] == b"E":  # a small answer, all here: free the worker now
            chunks = [data for tag, data in whole if tag == b"D"]
            self.inline.learn(worker.snapshot.generation, request, time.monotonic() - sent,
                              kind, b"".join(chunks), request_id)
            self._release(worker)
            return kind, chunks
        return kind, self._stream(worker, deadline, timeout)

    def _stream(self, worker: Worker, deadline: float, timeout: float) -> Iterator[bytes]:
        return Stream(self, worker, deadline, timeout)

    def _death(self, worker: Worker, timeout: float) -> PolicyKGError:
        """The error for a worker that died while answering."""
        if worker.shed is not None:
            return QueryTimeout(f"the server is busy: this query held a worker for {worker.shed:.1f} s "
                                "while other queries waited, and was stopped to let them through; "
                                "try again later or ask for less (settings sparql_shed_after, "
                                "sparql_workers)")
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
        # a compaction under way, or a worker being launched, holds a snapshot directory too: let
        # them see the pool closed and let go, or the directory outlives the process
        if self._optimizing is not None:
            self._optimizing.join(timeout=CLOSE_WAIT)
        with self._cond:
            self._cond.wait_for(lambda: self._count <= 0, timeout=CLOSE_WAIT)
        self.inline.close()
        if self._snapshot is not None:
            self._snapshot.retire()
            self._snapshot = None


