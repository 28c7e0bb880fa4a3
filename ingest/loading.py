"""Reading document files: encoding detection, file discovery, parsing entry points."""
from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Iterable, Iterator

from .cleaning import clean_document, looks_like_html
from .errors import IngestError
from .formats import LAYOUT_SUFFIXES, attach_layout, read_layout
from .metadata import extract_metadata
from .records import Document
from .sentences import split_sentences
from .structure import build_structure

#: File suffixes picked up when a directory is walked (layout formats: see ``ingest.formats``).
DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm", *LAYOUT_SUFFIXES)
#: Names of files that describe a folder rather than belong to it (README.md, SOURCES.md):
#: inside a directory they are not documents; named on their own they are built.
FOLDER_NOTES = frozenset({"readme", "sources", "license", "licence", "changelog", "notes",
                          "manifest", "authors", "contributing"})

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
_PLAUSIBLE = re.compile(
    r"[\t\n\r\f\x20-\x7e\u00a0-\u024f\u0370-\u04ff\u2000-\u27bf\u2e80-\u2fdf"
    r"\u3000-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe00-\ufe6f\uff00-\uffef"
    # emoji and symbols, CJK extensions B-H and compatibility ideographs, variation selectors
    r"\U0001f000-\U0001faff\U00020000-\U0003134f\U000e0100-\U000e01ef]"
)
_IMPLAUSIBLE = re.compile("[^" + _PLAUSIBLE.pattern[1:])
#: Files larger than these are refused unread. The corpus's largest text file is
#: 0.4 MB and its largest PDF 2 MB; parsing time grows with size.
MAX_TEXT_BYTES = 20 * 2**20
MAX_FILE_BYTES = 200 * 2**20
_FILE_TYPES = (
    (stat.S_ISDIR, "is a directory, not a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
)


def _implausible(text: str, encoding: str) -> str | None:
    """Why ``text`` does not look like a real document decoded with ``encoding``.

    Random bytes often decode as GB18030 without error, so a successful decode
    proves little; real text is almost only CJK, ASCII and punctuation, and the
    Chinese characters of a GB18030 file are nearly all common (GB2312) ones.
    """
    if not text.strip():
        return "empty file (only whitespace)"
    n = len(text)
    controls = len(_CONTROL.findall(text))
    if controls > max(2, n * 0.002):
        return f"binary or undecodable content ({controls} control characters as {encoding})"
    plausible = n - len(_IMPLAUSIBLE.findall(text))
    if plausible < n * 0.95:
        return f"undecodable: only {plausible / n:.0%} of characters are plausible as {encoding}"
    if encoding == "gb18030":
        hanzi = _CJK.findall(text)
        if len(hanzi) >= 10:
            common = sum(1 for ch in hanzi if _in_gb2312(ch))
            if common < len(hanzi) * 0.7:
                return (
                    "undecodable: not valid UTF-8, and as GB18030 only "
                    f"{common / len(hanzi):.0%} of Chinese characters are common ones"
                )
    return None


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def check_file(path: str | os.PathLike, limit: int = MAX_FILE_BYTES) -> os.stat_result:
    """Refuse what is not a regular file of at most ``limit`` bytes, without opening it.

    Raises:
        IngestError: the file is missing, not a regular file (a directory, FIFO,
            device or socket: reading those can block forever or never end), or
            larger than ``limit``.
    """
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise IngestError(name, "no such file") from None
    except OSError as exc:
        raise IngestError(name, f"cannot read file: {exc.strerror or exc}") from None
    _check_stat(name, info, limit)
    return info


def _check_stat(name: str, info: os.stat_result, limit: int) -> None:
    for is_type, reason in _FILE_TYPES:
        if is_type(info.st_mode):
            raise IngestError(name, reason)
    if not stat.S_ISREG(info.st_mode):
        raise IngestError(name, "not a regular file")
    if info.st_size > limit:
        raise IngestError(name, f"too large: {info.st_size / 2**20:.1f} MB (at most {limit / 2**20:.0f} MB)")


def read_bytes(path: str | os.PathLike, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises:
        IngestError: as :func:`check_file`, or the file cannot be read.
    """
    name = str(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise IngestError(name, "no such file") from None
    except OSError as exc:
        raise IngestError(name, f"cannot read file: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        try:
            _check_stat(name, os.fstat(fd), limit)
            data = handle.read(limit + 1)  # the file may have grown since fstat
        except OSError as exc:
            raise IngestError(name, f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise IngestError(name, f"too large: over {limit / 2**20:.0f} MB")
    return data


def read_text(path: str | os.PathLike) -> tuple[str, str]:
    """Read a document file and decode it, detecting the encoding from its content.

    Args:
        path: the file to read.

    Returns:
        ``(text, encoding)``; encoding is one of ``utf-8``, ``utf-8-sig``,
        ``utf-16-le``/``-be``, ``utf-32-le``/``-be``, ``gb18030``, or what
        charset-normalizer detected for other legacy encodings.

    Raises:
        IngestError: the file is missing, empty, binary or not decodable.
    """
    name = str(path)
    data = read_bytes(path)
    if not data:
        raise IngestError(name, "empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_marked(name, data, encoding)
    if b"\x00" in data:
        raise IngestError(name, "binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    else:
        reason = _implausible(text, "utf-8")
        if reason:
            raise IngestError(name, reason)
        return text, "utf-8"
    if utf8_error.reason == "unexpected end of data" and utf8_error.start >= len(data) - 3:
        # Valid UTF-8 up to a multi-byte sequence cut off at the end: a truncated
        # download, not a GB18030 file that happens to decode.
        try:
            data[: utf8_error.start].decode("utf-8")
            raise IngestError(
                name,
                f"truncated UTF-8: incomplete multi-byte sequence at byte {utf8_error.start} of {len(data)}",
            )
        except UnicodeDecodeError:
            pass
    return _decode_legacy(name, data, f"not UTF-8 ({utf8_error.reason} at byte {utf8_error.start})")


def _decode_marked(name: str, data: bytes, encoding: str) -> tuple[str, str]:
    """Text of a file starting with the byte-order mark of ``encoding``."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(name, f"undecodable {encoding} with byte-order mark ({exc.reason} at byte {exc.start})") from None
    text = text.lstrip("\ufeff")
    reason = _implausible(text, encoding)
    if reason:
        raise IngestError(name, reason)
    return text, encoding


def _decode_legacy(name: str, data: bytes, not_utf8: str) -> tuple[str, str]:
    """Text of a file that is not UTF-8: GB18030, else what charset-normalizer finds."""
    reasons = [not_utf8]
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        reasons.append(f"not GB18030 ({exc.reason} at byte {exc.start})")
    else:
        reason = _implausible(text, "gb18030")
        if reason is None:
            return text, "gb18030"
        reasons.append(reason)
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - listed in the dependencies
        best = None
    else:
        best = from_bytes(data).best()
    if best is not None and best.encoding not in ("utf_8", "gb18030"):
        text = str(best)
        if _implausible(text, best.encoding) is None:
            return text, best.encoding
    raise IngestError(name, "undecodable: " + "; ".join(reasons))


def iter_document_files(paths: Iterable[str | os.PathLike] | str | os.PathLike) -> Iterator[Path]:
    """Yield the document files named by ``paths``, walking directories recursively.

    Files given explicitly are yielded whatever their suffix; inside directories
    only files with a :data:`DOCUMENT_SUFFIXES` suffix are taken (hidden files and
    folders, and a folder's own notes such as README.md or SOURCES.md, are skipped), in
    sorted order. Each file is yielded once.

    Raises:
        IngestError: a path does not exist.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found = [path]
        elif path.is_dir():
            found = sorted(
                (
                    p
                    for p in path.rglob("*")
                    if p.suffix.lower() in DOCUMENT_SUFFIXES
                    and p.stem.lower() not in FOLDER_NOTES
                    and p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                ),
                key=lambda p: p.as_posix(),
            )
        elif path.exists():
            check_file(path)  # says what it is: a FIFO, a device …
            raise IngestError(str(raw), "not a regular file")
        else:
            raise IngestError(str(raw), "no such file or directory")
        for p in found:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                yield p


def parse_text(
    text: str,
    *,
    path: str | None = None,
    html: bool | None = None,
    encoding: str | None = None,
) -> Document:
    """Parse a document's text into clean text, metadata, structure and sentences.

    Args:
        text: the decoded document (plain text, Markdown or HTML).
        path: where it came from, kept in ``Document.path`` and used as a last
            resort for the title.
        html: force HTML (``True``) or text (``False``) handling; ``None`` sniffs
            the content and the path's suffix.
        encoding: the detected encoding, kept in ``Document.encoding``.

    Returns:
        The parsed :class:`~ingest.records.Document`.
    """
    if html is None:
        html = looks_like_html(text)
    try:
        cleaned = clean_document(text, html=html)
    except IngestError as exc:
        if exc.path is None and path is not None:
            raise IngestError(path, exc.reason) from None
        raise
    metadata = extract_metadata(cleaned, path=path)
    structure = build_structure(cleaned.text, body_start=cleaned.body_start)
    sentences = split_sentences(cleaned.text)
    return Document(
        text=cleaned.text,
        metadata=metadata,
        structure=structure,
        sentences=sentences,
        sha256=hashlib.sha256(cleaned.text.encode("utf-8")).hexdigest(),
        path=path,
        encoding=encoding,
    )


def parse_file(path: str | os.PathLike) -> Document:
    """Read and parse one document file.

    Raises:
        IngestError: the file cannot be read or decoded, or holds no text.
    """
    name = str(path)
    check_file(path)  # before anything opens it: a FIFO would block, /dev/zero never end
    laid = read_layout(path)  # PDF, Word, OFD (by content, then suffix); None for text files
    if laid is not None:
        doc = parse_text(laid.text, path=name, html=False)
        if not doc.text.strip():
            raise IngestError(name, f"no document text in this .{laid.format} file")
        return attach_layout(doc, laid)
    text, encoding = read_text(path)
    suffix = Path(path).suffix.lower()
    # A .html file without a single tag is plain text saved under the wrong name.
    html = True if suffix in (".html", ".htm") and re.search(r"<[a-zA-Z!/]", text) else False if suffix in (
        ".html", ".htm") else None
    doc = parse_text(text, path=name, html=html, encoding=encoding)
    if not doc.text.strip():
        raise IngestError(name, "no document text left after removing markup and site chrome")
    return doc
