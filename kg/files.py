"""Files written beside a store: one way to replace a file so that readers never see half of it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

__all__ = ["atomic_write", "atomic_write_bytes"]


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
