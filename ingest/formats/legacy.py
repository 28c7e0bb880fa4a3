"""Legacy Word (.doc) and WPS (.wps) files, converted to .docx by LibreOffice when it is installed."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import IngestError
from .docx import read_docx
from .model import LaidOutText

#: Seconds one conversion may take before it is given up.
CONVERT_TIMEOUT = 120


def soffice() -> str | None:
    """The LibreOffice executable on PATH, or ``None``."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_legacy_word(path: str | os.PathLike, kind: str = "doc") -> LaidOutText:
    """Read a .doc or .wps file by converting it to .docx with LibreOffice (headless).

    Raises:
        IngestError: LibreOffice is not installed, the conversion failed or
            timed out, or the result has no text.
    """
    name = str(path)
    exe = soffice()
    if exe is None:
        raise IngestError(
            name, f".{kind} files need LibreOffice to convert them (apt-get install libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory(prefix="policykg-lo-") as tmp:
        # A private profile: two conversions at once must not share (and lock) one.
        profile = Path(tmp, "profile").as_uri()
        out = Path(tmp, "out")
        source = Path(tmp, "in" + Path(name).suffix.lower())
        shutil.copyfile(name, source)  # LibreOffice mishandles some names; a plain copy avoids that
        try:
            proc = subprocess.run(
                [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "docx",
                 "--outdir", str(out), str(source)],
                capture_output=True, text=True, timeout=CONVERT_TIMEOUT, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise IngestError(name, f"LibreOffice did not convert this .{kind} file within {CONVERT_TIMEOUT} s") from None
        converted = out / (source.stem + ".docx")
        if proc.returncode != 0 or not converted.exists():
            detail = (proc.stderr or proc.stdout or "").strip().splitlines()
            raise IngestError(name, f"LibreOffice could not convert this .{kind} file"
                              + (f" ({detail[-1][:120]})" if detail else " (damaged?)"))
        laid = read_docx(converted, fmt=kind)
    return laid
