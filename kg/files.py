"""Files written beside a store: one way to replace a file so that readers never see half of it,
and the store's own old logs pruned."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

__all__ = ["atomic_write", "atomic_write_bytes", "prune_old_logs", "KEPT_LOGS"]

#: Old info logs of the store's engine kept beside it (RocksDB keeps 1,000, and each opening
#: of the store adds one of about 140 kB: some 140 MB beside the 15 MB sample store).
KEPT_LOGS = 5


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object], *,
                 fsync: bool = True) -> None:
    """Write ``path`` by calling ``write(handle)`` on a temporary file in the same directory,
    then renaming it into place.

    A crash (or Ctrl-C) leaves either the old file or the new one, never a mix;
    the temporary file is removed on any failure, and the failure is raised.

    Args:
        path: the file to (re)write; its directory is created if missing.
        write: called once with a binary handle open for writing.
        fsync: flush the data to disk before the rename (vectors: yes; caches
            that can be rebuilt may skip it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda handle: handle.write(data), fsync=fsync)


def prune_old_logs(directory: str | Path, keep: int = KEPT_LOGS) -> int:
    """Delete all but the newest ``keep`` of RocksDB's old info logs (``LOG.old.<µs>``) in a
    store ``directory``; returns how many went. Nothing reads them; a file that cannot be
    deleted stays (the store opens all the same)."""
    def opened(path: Path) -> int:  # the suffix: when that log was set aside, in µs
        suffix = path.name.rsplit(".", 1)[-1]
        return int(suffix) if suffix.isdigit() else -1

    try:
        old = sorted(Path(directory).glob("LOG.old.*"), key=opened)
    except OSError:
        return 0
    gone = 0
    for path in old[:max(0, len(old) - keep)]:
        try:
            path.unlink()
            gone += 1
        except OSError:
            pass
    return gone
