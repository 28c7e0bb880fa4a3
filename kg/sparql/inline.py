"""Queries already seen to be cheap, answered in the calling thread instead of a worker.

A query runs in a worker process so that it can be stopped (time) and capped
(memory). For a query that a worker has just answered within a few
milliseconds, on the same snapshot, with the same dataset and formats, the
same evaluation costs the same again: it cannot run away. Such a query skips
the pipe to the worker and back (about half a millisecond, more on a busy
machine), which for the small queries of dashboards and example pages is most
of their time. Only the exact request (text, dataset, formats) qualifies, and
only on the snapshot where it was measured; anything new goes to a worker first.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from .process import error_of
from .snapshot import Snapshot
from .evaluate import Failed, answer_whole

__all__ = ["InlineAnswers", "CHEAP_SECONDS"]

CHEAP_SECONDS = 0.005  # a worker's whole round trip below this: the query may run inline
_REMEMBERED = 4096  # requests remembered as cheap (least recently used dropped first)


def request_key(request: dict) -> tuple:
    """What makes two requests the same evaluation: text, dataset, formats, base and row cap."""
    return (request["query"], tuple(request["default_graphs"]), tuple(request["named_graphs"]),
            tuple(sorted(request["formats"].items())), request["base_iri"], request["max_rows"])


class InlineAnswers:
    """The requests known to be cheap per store generation, and a read-only handle on the
    pool's current snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cheap: OrderedDict[tuple, str] = OrderedDict()  # request key -> generation
        self._snapshot: Snapshot | None = None
        self._store: Any = None
        self.answered = 0  # requests answered inline (for tests and benchmarks)

    def learn(self, generation: str, request: dict, seconds: float) -> None:
        """Remember ``request`` as cheap on the store ``generation`` if a worker answered it
        whole in ``seconds`` below :data:`CHEAP_SECONDS`."""
        if seconds >= CHEAP_SECONDS:
            return
        with self._lock:
            self._cheap[request_key(request)] = generation
            while len(self._cheap) > _REMEMBERED:
                self._cheap.popitem(last=False)

    def run(self, snapshot: Snapshot, request: dict) -> tuple[str, list[bytes]] | None:
        """The answer (kind, body chunks) of a request known to be cheap on ``snapshot``'s
        generation; ``None`` for any other (it goes to a worker).

        Raises:
            PolicyKGError: what the query's evaluation reports (as a worker would).
        """
        key = request_key(request)
        with self._lock:
            if self._cheap.get(key) != snapshot.generation:
                return None
            if self._snapshot is not snapshot and not self._open(snapshot):
                return None
            self._cheap.move_to_end(key)
            store = self._store
            snapshot.acquire()  # not removed while this thread reads it
        try:
            kind, body = answer_whole(store, {**request, "memory_mb": 0})
        except Failed as exc:
            raise error_of(exc.kind, exc.message) from None
        finally:
            snapshot.release()
        self.answered += 1
        return kind, [body]

    def _open(self, snapshot: Snapshot) -> bool:
        """Hold ``snapshot`` open read-only instead of the previous one (lock held)."""
        import pyoxigraph as ox

        try:
            store = ox.Store.read_only(snapshot.path)
        except (OSError, RuntimeError):  # RuntimeError: its files went while opening
            return False  # being removed (a newer build): the request goes to a worker
        snapshot.acquire()
        old, self._snapshot, self._store = self._snapshot, snapshot, store
        if old is not None:
            old.release()
        return True

    def close(self) -> None:
        """Drop the handle on the snapshot (it may be removed afterwards)."""
        with self._lock:
            old, self._snapshot, self._store = self._snapshot, None, None
            self._cheap.clear()
        if old is not None:
            old.release()
