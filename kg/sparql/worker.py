"""The query worker: a process that keeps one snapshot of the store open and answers queries.

Started by :class:`kg.sparql.pool.WorkerPool` as
``python -m policykg.kg.sparql.worker SNAPSHOT MEMORY_MB``. It reads pickled
requests from standard input and writes framed replies to standard output:
``H`` (header: the answer's kind), ``D`` (a chunk of the body, as pyoxigraph
serialises it), ``E`` (end) or ``X`` (an error: kind and message). The parent
kills it when a query runs out of time; the address-space limit set here
turns a query that needs too much memory into an error instead of a host
that swaps.
"""
from __future__ import annotations

import os
import pickle
import resource
import sys

from .evaluate import answer, error_frame, frame

def main() -> None:
    """Open the snapshot, cap the address space, answer requests until stdin closes."""
    path, memory_mb = sys.argv[1], int(sys.argv[2])
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing but frames may reach the parent's pipe
    requests = sys.stdin.buffer
    import pyoxigraph as ox

    from . import check  # noqa: F401 - imported before the limit and before saying ready

    try:
        store = ox.Store.read_only(path)
    except OSError as exc:
        error_frame(out, "unavailable", f"cannot open the store snapshot {path}: {exc}")
        return
    if memory_mb > 0:
        limit = _address_space() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    frame(out, b"R", b"")
    while True:
        header = requests.read(4)
        if len(header) < 4:
            return
        request = pickle.loads(requests.read(int.from_bytes(header, "big")))
        request["memory_mb"] = memory_mb
        answer(store, request, out)


def _address_space() -> int:
    """This process's current virtual size in bytes (the limit is set above it)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        # the parent closed the pool (a CLI query done, a server stopping) while this worker was
        # still starting or answering: nobody reads any more, so leave without a traceback (and
        # without flushing buffers into the closed pipe again at exit)
        os._exit(0)
