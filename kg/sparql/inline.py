"""Queries already seen to be cheap, answered in the calling thread instead of a worker.

A query runs in a worker process so that it can be stopped (time) and capped
(memory). For a query that a worker has just answered within a few
milliseconds, on the same snapshot, with the same dataset and formats, the
same evaluation costs the same again: it cannot run away. Such a query skips
the pipe to the worker and back (about half a millisecond, more on a busy
machine), which for the small queries of dashboards and example pages is most
of their time. Only the exact request (text, dataset, formats) qualifies, and
only on the snapshot where it was measured; anything new goes to a worker first.

Whole answers (a worker's under 64 KB, or an inline one) are kept too, up to
``cache_bytes`` in all, least recently used dropped first: on the same
snapshot the same evaluation gives the same bytes, so a request asked again is
answered without evaluating it, unless its text calls a function whose value
changes from one evaluation to the next (``NOW``, ``RAND``, ``UUID``,
``STRUUID``, ``BNODE``). A build makes a new snapshot, and no answer of an
older one is served.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

from .process import error_of
from .snapshot import Snapshot
from .evaluate import Failed, answer_whole

__all__ = ["InlineAnswers", "CHEAP_SECONDS", "request_key"]

CHEAP_SECONDS = 0.005  # a worker's whole round trip below this: the query may run inline
_REMEMBERED = 4096  # requests remembered as cheap (least recently used dropped first)
# a word of the text that may be such a function: its answers are not kept (a literal or IRI
# holding the word "now" is not kept either, which costs a re-evaluation, never a stale answer)
_CHANGING = re.compile(r"(?i)\b(?:now|rand|uuid|struuid|bnode)\b")


def _may_change(text: str) -> bool:
    """True when ``text`` has a word that may call a function whose value changes.

    The regular expression runs only when the lower-cased text holds one of the words at all
    (the usual query has none): 72 us on a prefixed example query against 12 for the test.

    >>> _may_change("SELECT (NOW() AS ?t) {}"), _may_change("SELECT * { ?s ?p ?o }")
    (True, False)
    """
    low = text.lower()  # the keywords are ASCII: lower() keeps every spelling of them
    if "now" not in low and "rand" not in low and "uuid" not in low and "bnode" not in low:
        return False
    return _CHANGING.search(text) is not None


def request_key(request: dict) -> tuple:
    """What makes two requests the same evaluation: text, dataset, formats, base and row cap."""
    return (request["query"], tuple(request["default_graphs"]), tuple(request["named_graphs"]),
            tuple(sorted(request["formats"].items())), request["base_iri"], request["max_rows"])


class InlineAnswers:
    """The requests known to be cheap per store generation, and a read-only handle on the
    pool's current snapshot."""

    def __init__(self, cache_bytes: int = 0) -> None:
        self._lock = threading.Lock()
        self._cheap: OrderedDict[tuple, str] = OrderedDict()  # request key -> generation
        # request key -> (generation, kind, body): answers kept, ``cache_bytes`` of bodies at most
        self._answers: OrderedDict[tuple, tuple[str, str, bytes]] = OrderedDict()
        self._kept_bytes = 0
        self.cache_bytes = cache_bytes
        self._snapshot: Snapshot | None = None
        self._store: Any = None
        self.answered = 0  # requests answered inline (for tests and benchmarks)
        self.reused = 0  # of which with a kept answer

    def learn(self, generation: str, request: dict, seconds: float, kind: str,
              body: bytes, key: tuple | None = None) -> None:
        """A worker answered ``request`` whole on the store ``generation``: keep its answer
        (``kind``, ``body``), and remember the request as cheap if that took ``seconds``
        below :data:`CHEAP_SECONDS`. ``key``: its :func:`request_key`, if already made."""
        key = key or request_key(request)
        with self._lock:
            self._keep(key, request, generation, kind, body)
            if seconds >= CHEAP_SECONDS:
                return
            self._cheap[key] = generation
            while len(self._cheap) > _REMEMBERED:
                self._cheap.popitem(last=False)

    def _keep(self, key: tuple, request: dict, generation: str, kind: str, body: bytes) -> None:
        """Keep one answer (lock held) unless it is too big or may differ next time."""
        if len(body) > self.cache_bytes // 16 or _may_change(request["query"]):
            return
        old = self._answers.pop(key, None)
        if old is not None:
            self._kept_bytes -= len(old[2])
        self._answers[key] = (generation, kind, body)
        self._kept_bytes += len(body)
        while self._kept_bytes > self.cache_bytes:
            _key, (_generation, _kind, dropped) = self._answers.popitem(last=False)
            self._kept_bytes -= len(dropped)

    def run(self, snapshot: Snapshot, request: dict,
            key: tuple | None = None) -> tuple[str, list[bytes]] | None:
        """The answer (kind, body chunks) of a request known to be cheap on ``snapshot``'s
        generation; ``None`` for any other (it goes to a worker). ``key``: its
        :func:`request_key`, if already made.

        Raises:
            PolicyKGError: what the query's evaluation reports (as a worker would).
        """
        key = key or request_key(request)
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None and kept[0] == snapshot.generation:
                self._answers.move_to_end(key)
                self.answered += 1
                self.reused += 1
                return kept[1], [kept[2]]
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
        with self._lock:
            self.answered += 1
            self._keep(key, request, snapshot.generation, kind, body)
        return kind, [body]

    def _open(self, snapshot: Snapshot) -> bool:
        """Hold ``snapshot`` open read-only instead of the previous one (lock held)."""
        import pyoxigraph as ox

        if not snapshot.acquire():
            return False  # removed (a newer snapshot): the request goes to a worker
        try:
            store = ox.Store.read_only(snapshot.path)
        except (OSError, RuntimeError):  # RuntimeError: its files went while opening
            snapshot.release()
            return False
        old, self._snapshot, self._store = self._snapshot, snapshot, store
        if old is not None:
            old.release()
        return True

    def close(self) -> None:
        """Drop the handle on the snapshot (it may be removed afterwards)."""
        with self._lock:
            old, self._snapshot, self._store = self._snapshot, None, None
            self._cheap.clear()
            self._answers.clear()
            self._kept_bytes = 0
        if old is not None:
            old.release()
