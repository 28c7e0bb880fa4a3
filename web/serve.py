"""``policykg serve``: the production HTTP servers the app runs on (granian or waitress)."""
from __future__ import annotations

import logging
import sys
from typing import Any

from ..kg import PolicyKGError, Settings


def _served_app(settings: Settings) -> Any:
    """The app ``policykg serve`` serves: a progress page while the sample builds into an empty
    store, else the app itself."""
    from .app import create_app
    from .startup import Starting, needs_sample

    if needs_sample(settings):  # answer at once: a progress page until the sample is built
        return Starting(settings, lambda: create_app({"POLICYKG": settings}))
    return create_app({"POLICYKG": settings})


# Mostly waiting threads (SPARQL runs in worker processes, numpy releases the GIL). A request
# queued in the server has not reached the SPARQL deadline yet, so with too few threads 20 slow
# queries at once answer in waves of sparql_timeout; 32 lets them all wait on the pool instead.
def _threads() -> int:
    import os

    return max(32, 8 * (os.cpu_count() or 2))


def _serve_waitress(settings: Settings, host: str, port: int) -> None:
    import signal

    import waitress

    app = _served_app(settings)
    # SIGTERM (a service manager stopping us) exits normally, so the graph is closed: the
    # SPARQL workers stop and their snapshot of the store is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    waitress.serve(app, host=host, port=port, threads=_threads(), ident="policykg")


def _serve_granian(settings: Settings, host: str, port: int) -> None:
    from functools import partial

    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    # its log on standard error, as ours and waitress's (granian's default is standard output)
    handlers = {name: {"formatter": name, "class": "logging.StreamHandler",
                       "stream": "ext://sys.stderr"} for name in ("generic", "access")}
    server = Granian("policykg", interface=Interfaces.WSGI, address=host, port=port, workers=1,
                     blocking_threads=_threads(), log_level=LogLevels.warning,
                     log_dictconfig={"handlers": {"console": handlers["generic"],
                                                  "access": handlers["access"]}})
    # granian warns about more Python threads than 2 x cores; ours mostly wait (see _threads)
    logging.getLogger("_granian").addFilter(
        lambda record: not record.getMessage().startswith("Configuration allows spawning"))
    # One worker process: the app (its graph, SPARQL pool and snapshot) is made in it, so the
    # store is opened once; granian stops it on SIGTERM or SIGINT.
    server.serve(target_loader=partial(_granian_app, settings), wrap_loader=False)


def _granian_app(settings: Settings) -> Any:
    """The app, in granian's worker process; its graph is closed when that process ends."""
    import multiprocessing.util

    _stop_signals_to_one_thread()
    # an error here (the store in use, damaged) is one line and the worker's end, which ends the
    # server; the store is not opened before granian forks this worker (RocksDB's threads and
    # locks do not survive a fork: a worker forked after the parent had opened it hung)
    try:
        app = _served_app(settings)
    except PolicyKGError as exc:
        print(f"policykg: error: {exc}", file=sys.stderr)
        sys.exit(1)

    def close() -> None:
        from .context import close_app

        real = getattr(app, "app", None) or app  # Starting holds the real app once built
        if hasattr(real, "extensions"):
            close_app(real)

    # the worker ends through multiprocessing, which leaves with os._exit (no atexit): its own
    # exit hooks close the graph, so the SPARQL workers stop and the snapshot is removed
    multiprocessing.util.Finalize(app, close, exitpriority=10)
    for handler in logging.getLogger("_granian").handlers:  # granian's records, from any logger
        handler.addFilter(_cut_answers_in_one_line)
    return app


def _stop_signals_to_one_thread() -> None:
    """SIGTERM and SIGINT of this worker taken by one thread of ours, which calls the handler
    granian installs later (its shutdown), instead of by whichever thread the kernel picks.

    granian's worker waits for that handler in its main thread, blocked on a lock; a signal the
    kernel gave to another thread (granian's runtime, our loads and SPARQL readers) only marked
    the handler as pending, the main thread never woke to run it, and the server did not stop
    (one start in eight). Blocked here, before any other thread exists, the signals stay blocked
    in every thread made later, and only ``sigwait`` below receives them.
    """
    import os
    import signal
    import threading

    stops = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)

    def relay() -> None:
        while True:
            signum = signal.sigwait(stops)
            handler = signal.getsignal(signum)
            if callable(handler):  # else granian's handler is not installed yet
                try:
                    handler(signum, None)
                    continue
                except Exception:  # noqa: BLE001 - a stop that cannot be handed on still stops
                    pass
            os._exit(128 + int(signum))  # as the signal itself would have

    threading.Thread(target=relay, name="policykg-signals", daemon=True).start()


def _cut_answers_in_one_line(record: logging.LogRecord) -> bool:
    """An answer stopped while it streamed (``sparql_timeout``) raises out of the body, which
    is what makes granian cut the connection instead of ending the body as if complete; granian
    then logs the error with its traceback (as text in the message): one line says it."""
    text = str(record.msg)
    if text.startswith("Application callable raised an exception\nTraceback"):
        name, _, message = text.rstrip().rsplit("\n", 1)[-1].partition(": ")
        if name.rsplit(".", 1)[-1] in _kg_errors(PolicyKGError):
            record.msg, record.args = f"policykg: an answer was cut while streaming: {message}", ()
    return True


def _kg_errors(cls: type) -> set[str]:
    """The names of ``cls`` and its subclasses."""
    return {cls.__name__}.union(*(_kg_errors(sub) for sub in cls.__subclasses__()))


#: The servers the setting ``server`` names.
SERVERS = {"granian": _serve_granian, "waitress": _serve_waitress}
