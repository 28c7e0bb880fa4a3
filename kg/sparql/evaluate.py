"""Evaluating one request on an open store and writing the framed answer.

Frames: ``H`` (header: the answer's kind, ``select``, ``ask`` or ``graph``), ``D`` (a chunk
of the body, as pyoxigraph serialises it), ``E`` (end) or ``X`` (an error: kind and message).
Used by the worker process (:mod:`kg.sparql.worker`) and, for requests known
to be cheap, in the server's own thread (:mod:`kg.sparql.inline`).
"""
from __future__ import annotations

import io
import json
from typing import Any, BinaryIO

__all__ = ["CHUNK", "Failed", "FrameWriter", "answer", "answer_whole", "frame", "error_frame",
           "read_frames"]

#: Bytes gathered before the first frame: a smaller answer (or an error before it)
#: arrives whole, with its real status.
CHUNK = 64 * 1024


class FrameWriter(io.RawIOBase):
    """The file pyoxigraph serialises into: buffers, then sends ``D`` frames.

    Frames are gathered and written together, so a small answer reaches the
    parent in one write (header, body and end): one wake-up, not three.
    """

    def __init__(self, out: BinaryIO, kind: str):
        super().__init__()
        self.out = out
        self.kind = kind
        self.buffer = bytearray()
        self.started = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.send()
        return len(data)

    def flush(self) -> None:  # pyoxigraph flushes at the end; frames go out by size
        pass

    def send(self, *, end: bool = False) -> None:
        """Send what is buffered (with the header first, and the end frame if ``end``)."""
        frames = bytearray()
        if not self.started:
            header = self.kind.encode()  # select, ask or graph: read without a JSON decoder
            frames += b"H" + len(header).to_bytes(4, "big") + header
            self.started = True
        if self.buffer:
            frames += b"D" + len(self.buffer).to_bytes(4, "big") + self.buffer
            self.buffer.clear()
        if end:
            frames += b"E" + (0).to_bytes(4, "big")
        self.out.write(frames)
        self.out.flush()


def read_frames(data: bytes | bytearray) -> tuple[list[tuple[bytes, bytes]], int]:
    """The whole frames at the start of ``data`` as (tag, payload), up to and including the
    first end (``E``) or error (``X``) frame, and the number of bytes they take."""
    frames, offset = [], 0
    while len(data) - offset >= 5:
        size = int.from_bytes(data[offset + 1:offset + 5], "big")
        if len(data) - offset < 5 + size:
            break
        tag = bytes(data[offset:offset + 1])
        frames.append((tag, bytes(data[offset + 5:offset + 5 + size])))
        offset += 5 + size
        if tag in (b"E", b"X"):
            break
    return frames, offset


def frame(out: BinaryIO, tag: bytes, payload: bytes) -> None:
    """Write one frame: a tag byte, a 4-byte length, the payload."""
    out.write(tag + len(payload).to_bytes(4, "big") + payload)
    out.flush()


def error_frame(out: BinaryIO, kind: str, message: str) -> None:
    frame(out, b"X", json.dumps({"kind": kind, "message": message}).encode())


def _options(request: dict, has_dataset: bool) -> dict:
    """The dataset of one query, by the protocol's rules."""
    import pyoxigraph as ox

    defaults, named = request["default_graphs"], request["named_graphs"]
    if defaults or named:  # protocol parameters override FROM / FROM NAMED
        options: dict[str, Any] = {"named_graphs": [ox.NamedNode(g) for g in named]}
        if defaults:
            options["default_graph"] = [ox.NamedNode(g) for g in defaults]
        return options
    if has_dataset:  # the query's own FROM / FROM NAMED
        return {}
    return {"use_default_graph_as_union": True}


class Failed(Exception):
    """A request that cannot be answered: ``kind`` (one of ``kg.errors``' kinds) and a message."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


def answer(store: Any, request: dict, out: BinaryIO) -> None:
    """Run one request and write its frames."""
    try:
        kind, family, result, engine_format = _evaluate(store, request)
        writer = FrameWriter(out, kind)
        if request["max_rows"] and kind != "ask":
            writer.write(_capped(result.serialize(format=engine_format), engine_format, family,
                                 request))
        else:
            result.serialize(writer, format=engine_format)
        writer.send(end=True)
    except Failed as exc:
        error_frame(out, exc.kind, exc.message)


def answer_whole(store: Any, request: dict) -> tuple[str, bytes]:
    """Run one request: the answer's kind and its whole body, the bytes :func:`answer` frames.

    Raises:
        Failed: what :func:`answer` would send as an error frame.
    """
    kind, family, result, engine_format = _evaluate(store, request)
    body = result.serialize(format=engine_format)
    if request["max_rows"] and kind != "ask":
        _capped(body, engine_format, family, request)
    return kind, body


def _evaluate(store: Any, request: dict) -> tuple[str, str, Any, Any]:
    """Parse and evaluate one request: its kind, family (``results``/``graph``), the engine's
    lazy result and the engine format to serialise it in.

    Raises:
        Failed: a syntax error, a refused query, no acceptable format, or the engine's error.
    """
    import pyoxigraph as ox

    from ..vocab import PREFIXES
    from ..errors import PolicyKGError
    from .check import check_query, needs_scan, syntax_message

    text = request["query"]
    try:
        has_dataset = check_query(text).has_dataset if needs_scan(text) else False
        try:
            result = store.query(text, base_iri=request["base_iri"] or None, prefixes=PREFIXES,
                                 **_options(request, has_dataset))
        except SyntaxError:
            check_query(text)  # an update is refused as such, not as a syntax error
            raise
    except PolicyKGError as exc:
        raise Failed(exc.kind, str(exc)) from None
    except SyntaxError as exc:
        raise Failed("invalid", syntax_message(text, str(exc))) from None
    except MemoryError:
        raise Failed("too_large", _memory_message(request)) from None
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        raise _engine_failure(exc, request) from None
    if isinstance(result, ox.QueryBoolean):
        kind, family = "ask", "results"
    elif isinstance(result, ox.QuerySolutions):
        kind, family = "select", "results"
    else:
        kind, family = "graph", "graph"
    fmt = request["formats"][family]
    if fmt is None:
        what = "SELECT/ASK" if family == "results" else "CONSTRUCT/DESCRIBE"
        raise Failed("not_acceptable", f"cannot answer a {what} query in any format the client "
                     f"accepts; offered: {request['offered'][family]}")
    engine_format = (getattr(ox.QueryResultsFormat, fmt) if family == "results"
                     else getattr(ox.RdfFormat, fmt))
    return kind, family, _Lazy(result, request), engine_format


class _Lazy:
    """The engine's result, whose evaluation happens while it is serialised: the engine's
    errors then are :class:`Failed` too."""

    def __init__(self, result: Any, request: dict):
        self.result, self.request = result, request

    def serialize(self, output: Any = None, *, format: Any) -> Any:  # noqa: A002 - the engine's name
        try:
            return self.result.serialize(output, format=format)
        except MemoryError:
            raise Failed("too_large", _memory_message(self.request)) from None
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            raise _engine_failure(exc, self.request) from None


def _engine_failure(exc: Exception, request: dict) -> Failed:
    if "memory allocation" in str(exc).lower():
        return Failed("too_large", _memory_message(request))
    # ValueError: a bad IRI or term; RuntimeError: something the engine does not do (an unknown
    # custom function); OSError: the store itself
    return Failed("unavailable" if isinstance(exc, OSError) else "invalid", f"query failed: {exc}")


def _capped(body: bytes, engine_format: Any, family: str, request: dict) -> bytes:
    """``body`` if it holds at most ``max_rows`` rows or triples.

    Raises:
        Failed: it holds more.
    """
    count = _count(body, engine_format, family)
    limit = request["max_rows"]
    if count > limit:
        what = "triples" if family == "graph" else "rows"
        raise Failed("too_large", f"the answer has {count} {what}, more than the {limit} allowed "
                     "(setting sparql_max_rows); add a LIMIT or page with OFFSET")
    return body


def _memory_message(request: dict) -> str:
    return (f"the query needed more than {request['memory_mb']} MB of memory and was stopped "
            "(setting sparql_memory)")


def _count(body: bytes, engine_format: Any, family: str) -> int:
    """How many rows or triples an encoded answer holds (pyoxigraph parses it back)."""
    import pyoxigraph as ox

    if family == "graph":
        return sum(1 for _ in ox.parse(body, format=engine_format))
    if engine_format == ox.QueryResultsFormat.CSV:  # pyoxigraph cannot read CSV back (lossy)
        import csv

        return max(0, sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1)
    return sum(1 for _ in ox.parse_query_results(body, format=engine_format))
