"""Parsing and extraction in a child process, with a time limit per file.

A hostile or broken file must not stop a batch: :class:`ParseWorker` parses and
extracts each file in a long-lived child (``python -m policykg.ingest.worker``),
and a file that takes longer than the time limit is refused (the child is killed
and a new one started for the next file). A file is refused once the limit has
passed both in wall time and in the child's CPU time, so not because other work
held the cores (a starved child uses little CPU), nor early because a parser ran
threads (OCR on many cores uses CPU faster than the clock); a child that does not
run at all (blocked, or starved for long) is stopped after ``WALL_FACTOR`` times
the limit. Each page recognised by OCR starts the clock again: a scanned file
takes tens of seconds a page, and the limit is there for a parser that makes no
progress, not for a long scan. A child that dies (out of memory, a crash in a
C library) costs only the file it was reading.

    with ParseWorker(time_limit=60) as worker:
        extraction = worker.extract(path)      # or IngestError naming the file
        worker.last_timings                   # {"parse": s, "extract": s} in the child
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

from .errors import IngestError
from .records import Document, Extraction

#: Seconds one file may take to parse and extract before it is refused. The
#: slowest corpus file takes a few seconds; a file over a minute is an attack
#: or a parser bug.
PARSE_TIME_LIMIT = 60.0
#: Seconds a new child may take to start (imports, the tokenizer's dictionary).
_START_LIMIT = 300.0
#: A file is refused after this many times the limit in wall time whatever its CPU time
#: (a child starved of the cores, or blocked, or whose CPU time cannot be read).
WALL_FACTOR = 5.0
#: The child's message after each page recognised by OCR (the clock starts again).
PAGE_DONE = "page"


class ParseTimeout(IngestError):
    """A file took longer than the time limit to parse and extract."""

    kind = "timeout"


class ParserCrash(IngestError):
    """The parser failed on a file (a bug) or its process died reading it."""


class ParseWorker:
    """Parses and extracts files one at a time in a child process with a time limit.

    Args:
        time_limit: seconds a file may take (parse and extract together) before it
            is refused, counted from when the child receives the file, in wall time
            and in the child's CPU time both; at most ``WALL_FACTOR`` times as many
            seconds of wall time whatever the CPU time.
        preload: load the extractor's dictionary when the child starts (before
            any file's clock runs); without it the first :meth:`extract` pays for it.
    """

    #: The child's command after the interpreter (its two pipe descriptors follow).
    child: tuple[str, ...] = ("-m", "policykg.ingest.worker")

    def __init__(self, time_limit: float = PARSE_TIME_LIMIT, *, preload: bool = True):
        if not time_limit > 0:
            raise ValueError(f"time_limit must be positive, not {time_limit!r}")
        self.time_limit = time_limit
        self.preload = preload
        self.last_timings: dict[str, float] = {}
        self._proc: subprocess.Popen | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None
        self._ready = False

    def __enter__(self) -> "ParseWorker":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the child now (it loads the tokenizer while the caller does other work)."""
        if self._proc is not None:
            return
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, *self.child, str(to_child_r), str(from_child_w),
                 *(["--preload"] if self.preload else [])],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._send = Connection(to_child_w, readable=False)
        self._recv = Connection(from_child_r, writable=False)
        self._ready = False

    def extract(self, path: str | os.PathLike) -> Extraction:
        """The extraction of the file at ``path`` (its ``document`` is the parsed file).

        Raises:
            IngestError: the file is refused (unreadable, undecodable, no text);
                :class:`ParseTimeout` when it took longer than the time limit,
                :class:`ParserCrash` when it made the parser fail or die.
        """
        return self._ask(path, True)

    def parse(self, path: str | os.PathLike) -> Document:
        """The parsed file at ``path`` (no extraction); raises as :meth:`extract`."""
        return self._ask(path, False)

    def _ask(self, path: str | os.PathLike, extract: bool):
        name = str(path)
        self.start()
        self._wait_ready(name)
        try:
            self._send.send((name, extract))
        except OSError:  # the child died since the last file (killed from outside): a new one
            self._stop()
            self.start()
            self._wait_ready(name)
            self._send.send((name, extract))
        began = time.monotonic()
        try:
            status, value, timings = self._wait_answer(name)
        except (EOFError, OSError):
            code = self._stop()
            raise ParserCrash(name, f"the parser process died while reading this file "
                                    f"({_exit_reason(code)} after {time.monotonic() - began:.1f} s)") from None
        self.last_timings = timings
        if status == "ok":
            return value
        raise (ParserCrash if status == "crashed" else IngestError)(name, value)

    def _wait_answer(self, name: str) -> tuple:
        """The child's answer; the file is refused (:class:`ParseTimeout`) once it has taken
        ``time_limit`` seconds of wall and of CPU time, or ``WALL_FACTOR`` times that of
        wall time, since it was sent or since the last page the child recognised."""
        pid = self._proc.pid
        began, start_cpu = time.monotonic(), _cpu_seconds(pid)
        wall_limit = self.time_limit * WALL_FACTOR
        wait = self.time_limit
        while True:
            if self._recv.poll(wait):
                message = self._recv.recv()
                if message != PAGE_DONE:
                    return message
                began, start_cpu, wait = time.monotonic(), _cpu_seconds(pid), self.time_limit
                continue
            elapsed = time.monotonic() - began
            now_cpu = _cpu_seconds(pid)
            used = None if start_cpu is None or now_cpu is None else now_cpu - start_cpu
            if used is None or used >= self.time_limit or elapsed >= wall_limit:
                self._stop()
                spent = f"{self.time_limit:g} s" if used is not None and used >= self.time_limit \
                    else f"{elapsed:.0f} s of wall time"
                raise ParseTimeout(name, f"gave up after {spent} "
                                         "(the per-file time limit for parsing and extraction)")
            # (the wall limit has passed) the CPU time still allowed cannot pass sooner
            wait = max(0.1, min(self.time_limit - used, wall_limit - elapsed))

    def close(self) -> None:
        """Stop the child (it exits when its input closes)."""
        if self._proc is None:
            return
        self._send.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._recv.close()
        self._proc = None

    def _wait_ready(self, name: str) -> None:
        if self._ready:
            return
        if not self._recv.poll(_START_LIMIT):
            self._stop()
            raise IngestError(name, f"the parser process did not start within {_START_LIMIT:g} s")
        try:
            self._recv.recv()
        except (EOFError, OSError):
            code = self._stop()
            raise IngestError(name, f"the parser process failed to start ({_exit_reason(code)})") from None
        self._ready = True

    def _stop(self) -> int | None:
        """Kill the child at once; the next file starts a new one. Its exit status."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        proc.kill()
        code = proc.wait()
        self._send.close()
        self._recv.close()
        return code


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds the process ``pid`` and its waited-for children have used (Linux ``/proc``);
    None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _serve(inbox: Connection, outbox: Connection, preload: bool) -> None:
    """Answer each path received with ``(status, extraction or reason, timings)``."""
    from .extraction import Extractor
    from .formats.ocr import on_page
    from .loading import parse_file, parse_text

    extractor = Extractor()
    on_page(lambda: outbox.send(PAGE_DONE))
    if preload:  # the dictionary loads before the first file's clock starts
        extractor(parse_text("准备\n一、加载分词词典。"))
    outbox.send("ready")
    while True:
        try:
            name, extract = inbox.recv()
        except EOFError:
            return
        timings = {"parse": 0.0, "extract": 0.0}
        stage = "parse"
        began = time.perf_counter()
        try:
            doc = parse_file(Path(name))
            timings["parse"] = time.perf_counter() - began
            stage, began = "extract", time.perf_counter()
            answer = ("ok", extractor(doc) if extract else doc)
            timings["extract"] = time.perf_counter() - began
        except IngestError as exc:
            answer = ("refused", exc.reason)
        except Exception as exc:  # a parser bug: the file is refused, the batch goes on
            answer = ("crashed", f"internal error while {stage}: {type(exc).__name__}: {exc}")
        outbox.send((*answer, timings))


def main(argv: list[str] | None = None) -> int:
    """Child entry: ``python -m policykg.ingest.worker READ_FD WRITE_FD``."""
    args = sys.argv[1:] if argv is None else argv
    inbox = Connection(int(args[0]), writable=False)
    outbox = Connection(int(args[1]), readable=False)
    try:
        _serve(inbox, outbox, "--preload" in args[2:])
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the parent went away or the user stopped the build
    return 0


if __name__ == "__main__":
    sys.exit(main())
