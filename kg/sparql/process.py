"""One query worker process, its framed pipe, and an answer streaming from it.

A frame is a one-byte tag (``R`` ready, ``K`` kind, ``D`` data, ``E`` end,
``X`` error) and a four-byte length, then the payload; see
:mod:`kg.sparql.worker` for the other side.
"""
from __future__ import annotations

import json
import os
import pickle
import select
import subprocess
import sys
import time
from typing import Any

from ..errors import PolicyKGError, QueryTimeout, StoreError, TooLarge
from .evaluate import read_frames
from .snapshot import Snapshot

__all__ = ["STARTUP_TIMEOUT", "Worker", "Stream", "error_of", "launch"]

STARTUP_TIMEOUT = 120.0  # seconds a new worker may take to import its modules and open the store
# bytes asked of the pipe per read: what a Linux pipe holds (64 KB); asking 1 MB made Python
# allocate (and give back) 1 MB per read, 20 us against 1.5 for a 600-byte answer
_READ = 1 << 16


def error_of(kind: str, message: str) -> PolicyKGError:
    """The kg error of a worker's error frame (its ``kind`` decides the HTTP status in web)."""
    from ..errors import NotAcceptable, QueryError, QueryRefused

    cls = {"invalid": QueryError, "refused": QueryRefused, "not_acceptable": NotAcceptable,
           "too_large": TooLarge, "timeout": QueryTimeout}.get(kind, StoreError)
    return cls(message)


def _worker_argv(path: str, memory_mb: int) -> list[str]:
    """The command line of one worker process."""
    return [sys.executable, "-m", "policykg.kg.sparql.worker", path, str(memory_mb)]


class Worker:
    """One worker process and its pipes (started here; ready after :meth:`wait_ready`)."""

    def __init__(self, snapshot: Snapshot, memory_mb: int):
        self.snapshot = snapshot
        self.process = subprocess.Popen(_worker_argv(snapshot.path, memory_mb),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        close_fds=True)
        self.fd = self.process.stdout.fileno()
        self.buffer = bytearray()
        self.stopped = False
        self.shed: float | None = None  # seconds it had computed when the pool stopped it for others

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
            chunk = os.read(self.fd, _READ)
            if not chunk:
                raise EOFError("the query worker exited")
            self.buffer += chunk

    def buffered(self) -> list[tuple[bytes, bytes]] | None:
        """Every frame already read, when they end the answer (``E``); else ``None``."""
        frames, used = read_frames(self.buffer)
        if frames and frames[-1][0] in (b"E", b"X"):
            del self.buffer[:used]
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


class SnapshotGone(StoreError):
    """A worker was to start on a snapshot that a newer one has replaced and removed."""


def launch(snapshot: Snapshot, memory_mb: int) -> Worker:
    """Start a worker process on ``snapshot`` (not ready yet); it holds the snapshot until stopped."""
    if not snapshot.acquire():
        raise SnapshotGone(f"the snapshot {snapshot.path} was replaced and removed")
    try:
        return Worker(snapshot, memory_mb)
    except OSError as exc:
        snapshot.release()
        raise StoreError(f"cannot start a query worker: {exc}") from None


class Stream:
    """The rest of an answer, read frame by frame; gives its worker back when done or closed.

    A class rather than a generator so that ``close()`` frees the worker even when
    iteration never started (a client gone before the first byte).
    """

    def __init__(self, pool: Any, worker: Worker, deadline: float, timeout: float):
        self.pool, self.worker, self.deadline, self.timeout = pool, worker, deadline, timeout
        self.finished = False

    def __iter__(self) -> "Stream":
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
