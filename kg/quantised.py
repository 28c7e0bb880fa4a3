"""An int8 copy of a vector matrix: the product with a question reads a quarter of the bytes.

The exact product of a question with every stored vector reads the whole float32
matrix (305 MB on the 1,013-file corpus) per question. The int8 copy (one byte a
component: the matrix less its mean vector, each dimension scaled to -127…127) is
scanned with numkong's SIMD int8 dot product; the rows that matter (the best few
hundred of each kind) are then re-scored exactly from the float32 matrix, so the
order of the best hits is the exact one (see ``DenseIndex`` and docs/search.md).

Files, beside the memory-mapped ``vectors-<digest>.npy`` whose copy they are (its
name changes whenever its rows do, so a copy is never stale)::

    vectors-<digest>.q8.npy          int8 codes, one row per matrix row
    vectors-<digest>.q8-params.npy   float32 (2, dim): the mean vector and each dimension's step

Both are written atomically, the parameters last; a reader wants both, of the
right shapes, else it makes them again.
"""
from __future__ import annotations

import itertools
import mmap
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .files import atomic_write

__all__ = ["QuantisedMatrix", "quantised_beside", "QUANTISE_MIN_ROWS", "available", "read_rows",
           "distinct_rows", "release"]

#: Matrices with fewer rows are multiplied exactly (a few ms; and answers stay bit-identical).
QUANTISE_MIN_ROWS = 20_000
_CHUNK = 16_384  # rows converted at a time (bounded transient memory)
#: Rows per thread of a parallel scan: below twice this a scan runs in the caller's thread.
PARALLEL_MIN_ROWS = 50_000

try:  # the SIMD int8 kernels (Apache-2.0); without them the exact product is used
    import numkong as _nk
except ImportError:  # pragma: no cover - numkong is a dependency
    _nk = None


def available() -> bool:
    """Whether the int8 scan can run here (numkong importable)."""
    return _nk is not None


class QuantisedMatrix:
    """int8 codes of a matrix with their mean vector and per-dimension steps.

    A row ``x`` is approximately ``mean + step * codes[i]``, so ``x · q`` is
    ``mean · q + codes[i] · (step * q)``; the second factor is quantised too, and
    one int8 dot product per row gives every score.
    """

    def __init__(self, codes: np.ndarray, mean: np.ndarray, step: np.ndarray):
        self.codes = codes
        self.mean = np.asarray(mean, dtype=np.float32)
        self.step = np.asarray(step, dtype=np.float32)

    @classmethod
    def of(cls, matrix: np.ndarray) -> "QuantisedMatrix":
        """The int8 copy of ``matrix`` (read a chunk at a time: it may be memory-mapped)."""
        n, dim = matrix.shape
        total = np.zeros(dim, dtype=np.float64)
        for start in range(0, n, _CHUNK):
            total += np.asarray(matrix[start:start + _CHUNK], dtype=np.float64).sum(axis=0)
        mean = (total / max(n, 1)).astype(np.float32)
        spread = np.zeros(dim, dtype=np.float32)
        for start in range(0, n, _CHUNK):
            chunk = np.abs(np.asarray(matrix[start:start + _CHUNK], dtype=np.float32) - mean)
            spread = np.maximum(spread, chunk.max(axis=0) if len(chunk) else spread)
        step = np.where(spread > 0, spread / 127.0, 1.0).astype(np.float32)
        codes = np.empty((n, dim), dtype=np.int8)
        for start in range(0, n, _CHUNK):
            chunk = (np.asarray(matrix[start:start + _CHUNK], dtype=np.float32) - mean) / step
            codes[start:start + _CHUNK] = np.clip(np.rint(chunk), -127, 127)
        return cls(codes, mean, step)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Approximate ``matrix @ query`` for every row (float32)."""
        query = np.asarray(query, dtype=np.float32)
        weights = self.step * query
        top = float(np.abs(weights).max()) if len(weights) else 0.0
        base = float(self.mean @ query)
        if top <= 0 or not len(self.codes):
            return np.full(len(self.codes), base, dtype=np.float32)
        scale = 127.0 / top
        w8 = np.clip(np.rint(weights * scale), -127, 127).astype(np.int8)[None, :]
        raw = np.empty((1, len(self.codes)), dtype=np.float32)  # each part writes its slice

        def scan(part: tuple[int, int]) -> None:
            a, b = part
            _nk.cdist(w8, self.codes[a:b], metric="dot", out_dtype="float32", out=raw[:, a:b])

        parts = _parts(len(self.codes))
        if len(parts) == 1:
            scan(parts[0])
        else:  # numkong releases the GIL: one slice of the rows per core
            list(_pool().map(scan, parts))
        out = raw.reshape(-1)
        out *= np.float32(1.0 / scale)  # in place: each full-size temporary is a pass more
        out += np.float32(base)
        return out

    def save(self, codes_path: Path, params_path: Path) -> None:
        """Write the codes, then the parameters (each atomically)."""
        atomic_write(codes_path, lambda f: np.save(f, self.codes), fsync=False)
        params = np.vstack([self.mean, self.step]).astype(np.float32)
        atomic_write(params_path, lambda f: np.save(f, params), fsync=False)


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _parts(rows: int) -> list[tuple[int, int]]:
    """Row ranges of one scan: one per core (at most 4) when each has enough rows to pay
    for the hand-over (a scan of 214,048 rows: 3.9 ms in one thread, 2.2 ms in two)."""
    count = max(1, min(_cores(), 4, rows // PARALLEL_MIN_ROWS))
    bounds = [rows * i // count for i in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=min(_cores(), 4),
                                       thread_name_prefix="policykg-scan",
                                       initializer=_pinned, initargs=(itertools.count(),))
        return _POOL


def _pinned(numbers: "itertools.count[int]") -> None:
    """Keep each scan thread on a core of its own when there is one per core. Woken after a
    pause (a question being embedded), both threads were often put on the core of the thread
    that woke them, and a two-way scan took as long as a one-way one: 5.7–6.8 ms against
    3.7–4.5 ms pinned on the corpus (bench/README.md, stop 35)."""
    try:
        cores = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux: the system places them
        return
    if len(cores) > 4:  # more cores than scan threads: the system knows which are free
        return
    try:
        os.sched_setaffinity(0, {cores[next(numbers) % len(cores)]})  # this thread only
    except OSError:
        pass


def read_rows(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix[rows]`` as float32, without keeping the pages of a memory-mapped matrix mapped:
    re-ranking touches different rows per question, and through the mapping a server's RSS
    would grow to the whole file (300 MB on the corpus) within a hundred questions. The rows
    of a matrix that is a whole ``.npy`` file are read with one ``preadv`` each from a
    descriptor kept open (the file's pages stay in the page cache, outside the process);
    other mappings are read through the mapping and their pages then released
    (``MADV_DONTNEED``)."""
    rows = np.asarray(rows, dtype=np.int64)
    fd = _file_of(matrix) if len(rows) else None
    if fd is not None:
        return _preadv_rows(matrix, rows, fd)
    mapping = getattr(matrix, "_mmap", None)
    if mapping is not None and hasattr(mapping, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
        out = np.array(matrix[rows], dtype=np.float32)
        try:
            mapping.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError):  # closed or not allowed: only memory is at stake
            pass
        return out
    return np.asarray(matrix[rows], dtype=np.float32)  # held in memory


#: Open descriptors of the matrix files :func:`read_rows` reads, by the mapping each belongs to;
#: each is closed when its mapping goes, so a rebuilt store's old file is not kept on disk.
_FILES: dict[int, int] = {}
_FILES_LOCK = threading.Lock()


def _whole_file(matrix: np.ndarray) -> str | None:
    """The path of the ``.npy`` file ``matrix`` maps whole (float32, C order), else None."""
    filename, offset = getattr(matrix, "filename", None), getattr(matrix, "offset", None)
    try:
        whole = bool(filename) and offset is not None and matrix.dtype == np.float32 and \
            matrix.ndim == 2 and matrix.shape[1] > 0 and matrix.flags.c_contiguous and \
            os.path.getsize(filename) == offset + matrix.nbytes
    except (OSError, TypeError):
        return None
    return str(filename) if whole else None


def _file_of(matrix: np.ndarray) -> int | None:
    """A descriptor open on the file ``matrix`` maps whole, kept while its mapping lives (an
    ``open`` per question cost more than the reads); ``None`` when rows cannot be read so."""
    mapping = getattr(matrix, "_mmap", None)
    if mapping is None or not hasattr(os, "preadv"):  # not on this system: through the mapping
        return None
    path = _whole_file(matrix)
    if path is None:
        return None
    with _FILES_LOCK:
        fd = _FILES.get(id(mapping))
        if fd is None:
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                return None
            try:
                weakref.finalize(mapping, _close, id(mapping), fd)
            except TypeError:  # a mapping that cannot be watched: its descriptor is not kept
                os.close(fd)
                return None
            _FILES[id(mapping)] = fd
        return fd


def _close(key: int, fd: int) -> None:
    with _FILES_LOCK:
        if _FILES.get(key) == fd:
            del _FILES[key]
    try:
        os.close(fd)
    except OSError:
        pass


def _preadv_rows(matrix: np.ndarray, rows: np.ndarray, fd: int) -> np.ndarray:
    out = np.empty((len(rows), matrix.shape[1]), dtype=np.float32)
    width, offset = matrix.shape[1] * 4, int(matrix.offset)
    view = memoryview(out).cast("B")
    # one call per row: 192 rows took 1.3 ms, against 3.2 ms through the mapping and its release
    for i, row in enumerate(rows.tolist()):
        if os.preadv(fd, [view[i * width:(i + 1) * width]], offset + row * width) != width:
            return np.asarray(matrix[rows], dtype=np.float32)  # the file was cut: as mapped
    return out


def distinct_rows(quantised: QuantisedMatrix, matrix: np.ndarray, rows: np.ndarray
                  ) -> tuple[QuantisedMatrix, np.ndarray]:
    """The codes of the distinct vectors among ``rows`` of ``matrix`` (the first of equal ones,
    in the order of ``rows``), and for every matrix row its position among them (-1: not among
    ``rows``): a scan of them reads each vector once (the corpus repeats 13 % of its vectors:
    a task of one sentence is that sentence).

    Rows count as equal when their float32 vectors are equal (not only their codes), so a
    score taken from the first stands exactly for the others.
    """
    rows = np.asarray(rows, dtype=np.int64)
    codes = quantised.codes
    if not len(rows):
        empty = np.zeros((0, codes.shape[1]), dtype=np.int8)
        return QuantisedMatrix(empty, quantised.mean, quantised.step), \
            np.full(len(matrix), -1, dtype=np.int64)
    probe = np.random.default_rng(20261203).standard_normal(codes.shape[1])
    fingerprint = np.empty(len(rows), dtype=np.float64)
    for start in range(0, len(rows), _CHUNK):  # bounded transient memory
        part = rows[start:start + _CHUNK]
        fingerprint[start:start + len(part)] = codes[part].astype(np.float64) @ probe
    order = np.argsort(fingerprint, kind="stable")  # equal prints: first in ``rows`` first
    ordered = fingerprint[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first = order[np.flatnonzero(starts)][np.cumsum(starts) - 1]
    same = np.empty(len(rows), dtype=np.int64)
    same[order] = first  # each row's candidate: the first row with its fingerprint
    candidates = np.flatnonzero(same != np.arange(len(rows)))
    for start in range(0, len(candidates), _CHUNK):  # confirm: equal codes and equal floats
        part = candidates[start:start + _CHUNK]
        a, b = rows[part], rows[same[part]]
        equal = np.all(codes[a] == codes[b], axis=1) & \
            np.all(read_rows(matrix, a) == read_rows(matrix, b), axis=1)
        same[part[~equal]] = part[~equal]
    kept = np.flatnonzero(same == np.arange(len(rows)))
    position = np.full(len(matrix), -1, dtype=np.int64)
    position[rows] = np.searchsorted(kept, same)
    table = QuantisedMatrix(np.ascontiguousarray(codes[rows[kept]]), quantised.mean,
                            quantised.step)
    return table, position


def release(array: np.ndarray) -> None:
    """Give back the pages of the read-only file mapping under ``array`` (its data stays in
    the page cache): after a one-off pass over a mapped file, the process's RSS does not keep
    it. (Not for a writable private mapping: its changes would be dropped.)"""
    base: object = array
    while base is not None:
        mapping = getattr(base, "_mmap", None)
        if isinstance(base, mmap.mmap):
            mapping = base
        if mapping is not None and hasattr(mmap, "MADV_DONTNEED"):
            try:
                mapping.madvise(mmap.MADV_DONTNEED)
            except (OSError, ValueError):  # closed or not allowed: only memory is at stake
                pass
            return
        base = getattr(base, "base", None)


def _paths(matrix_path: Path) -> tuple[Path, Path]:
    stem = matrix_path.name[:-len(".npy")] if matrix_path.name.endswith(".npy") \
        else matrix_path.name
    return (matrix_path.with_name(f"{stem}.q8.npy"),
            matrix_path.with_name(f"{stem}.q8-params.npy"))


def _load(matrix_path: Path, shape: tuple[int, int]) -> QuantisedMatrix | None:
    codes_path, params_path = _paths(matrix_path)
    try:
        codes = np.asarray(np.load(codes_path, mmap_mode="r"))  # mapped, a plain array
        params = np.load(params_path)
    except (OSError, ValueError):
        return None
    if codes.shape != shape or codes.dtype != np.int8 or params.shape != (2, shape[1]):
        return None
    return QuantisedMatrix(codes, params[0], params[1])


def quantised_beside(matrix: np.ndarray, *, min_rows: int = QUANTISE_MIN_ROWS
                     ) -> QuantisedMatrix | None:
    """The int8 copy of a matrix memory-mapped from a ``.npy`` file: the saved one, else
    made now and saved beside it (memory-mapped either way).

    ``None`` when exact is better or the only way: fewer than ``min_rows`` rows, a matrix
    held in memory (pending vectors applied, no file to name the copy after), or no numkong.
    A copy that cannot be saved (read-only store) is kept in memory.
    """
    filename = getattr(matrix, "filename", None)
    if not available() or len(matrix) < min_rows or not filename or matrix.ndim != 2:
        return None
    matrix_path = Path(filename)
    found = _load(matrix_path, matrix.shape)
    if found is not None:
        return found
    try:  # through a mapping of its own, unmapped when done: the caller's stays unpaged (RSS)
        source = np.load(matrix_path, mmap_mode="r")
    except (OSError, ValueError):
        return None
    if source.shape != matrix.shape:  # a part of the file's matrix: no copy of its own
        return None
    made = QuantisedMatrix.of(source)
    del source
    try:
        made.save(*_paths(matrix_path))
    except OSError:
        return made
    return _load(matrix_path, matrix.shape) or made


def quantised_files(matrix_path: Path) -> tuple[Path, Path]:
    """The two files of the int8 copy of the matrix saved at ``matrix_path``."""
    return _paths(matrix_path)
