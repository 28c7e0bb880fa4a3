"""The build pipeline: files → parse → extract → RDF → store (→ vectors).

Each document is written in one transaction together with its entry in the
build index (kept in the store itself), so a build can be interrupted at any
point and rerun: documents already stored are skipped when their file is
unchanged (same path, same sha256 of its bytes) and was built by the same
code (:func:`graph_fingerprint`: an upgraded policykg extracts them again),
replaced when it changed, and, with ``prune``, removed when their file is gone
from the directories given. A file that cannot be read or parsed is reported
and leaves the store as it was.
"""
from __future__ import annotations

import functools
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import IngestError, PolicyKGError
from .store import ONTOLOGY_GRAPH, TOPICS_GRAPH

#: The stages whose time the report gives, in pipeline order.
STAGES = ("read", "parse", "extract", "rdf", "store", "embed", "tables")

_ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
#: The code and data that make a document's graph from its file (under the package root).
_GRAPH_MAKERS = ("ingest", "kg/rdf.py", "kg/topics.py", "kg/iris.py", "kg/vector_texts.py")


@functools.lru_cache(maxsize=1)
def graph_fingerprint() -> str:
    """A short hash of the files that make a document's graph (the ingest package and its
    data, the RDF mapping), stored beside each file's sha256 in the build index."""
    root, digest = _ONTOLOGY_DIR.parent, hashlib.sha256()
    for name in _GRAPH_MAKERS:
        found = (root / name).rglob("*") if (root / name).is_dir() else [root / name]
        for path in sorted(p for p in found if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class BuildReport:
    """What a build did: files built, skipped, removed and refused, and where time went."""

    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {s: 0.0 for s in STAGES})
    documents: dict[str, str] = field(default_factory=dict)  # path → document IRI (built ones)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # failures after the graph was written
    triples: int = 0

    @property
    def ok(self) -> bool:
        """True when no file was refused and every stage succeeded."""
        return not self.refused and not self.errors

    def summary(self) -> str:
        """A few readable lines: counts, refused files with reasons, time per stage."""
        lines = [f"built {len(self.built)}, skipped {len(self.skipped)} unchanged, "
                 f"removed {len(self.removed)}, refused {len(self.refused)}; "
                 f"{self.triples} triples in the store"]
        lines += [f"  refused {path}: {reason}" for path, reason in self.refused]
        lines += [f"  error: {error}" for error in self.errors]
        lines += [f"  note: {note}" for note in self.notes]
        total = sum(self.timings.values())
        lines.append(f"  time {total:.2f}s: " + ", ".join(
            f"{stage} {secs:.2f}s" for stage, secs in self.timings.items() if secs))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON object."""
        return {
            "ok": self.ok,
            "built": self.built,
            "skipped": self.skipped,
            "removed": self.removed,
            "refused": [{"path": p, "reason": r} for p, r in self.refused],
            "documents": self.documents,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "triples": self.triples,
            "notes": self.notes,
            "errors": self.errors,
        }

    def __str__(self) -> str:  # pragma: no cover - convenience
        return json.dumps(self.to_json(), ensure_ascii=False)


class _Clock:
    """Adds the time spent in ``with clock(stage):`` blocks to the report."""

    def __init__(self, report: BuildReport):
        self.report = report

    def __call__(self, stage: str) -> "_Clock":
        self.stage = stage
        return self

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.report.timings[self.stage] += time.perf_counter() - self.t0


def load_vocabularies(store) -> None:
    """Load the ontology and the topic scheme into their named graphs when they changed.

    Raises:
        StoreError: a vocabulary file cannot be parsed.
    """
    from rdflib import Graph

    from .errors import StoreError

    store.upgrade_index()
    index = store.document_index(vocabularies=True)
    for name, file in ((ONTOLOGY_GRAPH, _ONTOLOGY_DIR / "policykg.ttl"),
                       (TOPICS_GRAPH, _ONTOLOGY_DIR / "topics.ttl")):
        if not file.is_file():
            continue
        data = file.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if index.get(str(file)) == (name, sha):
            continue
        try:
            graph = Graph().parse(data=data, format="turtle")
        except Exception as exc:  # rdflib raises many parser exception types
            raise StoreError(f"{file}: cannot load into the store: {exc}") from None
        store.put_document(name, graph, str(file), sha)


def _collect(paths: Iterable[str | Path], report: BuildReport) -> tuple[list[Path], list[Path]]:
    """The document files named by ``paths`` (each once) and the directories among them."""
    from ..ingest import iter_document_files

    files: list[Path] = []
    seen: set[Path] = set()
    directories: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            directories.append(path.resolve())
        try:
            found = list(iter_document_files([path]))
        except IngestError as exc:
            report.refused.append((str(raw), exc.reason))
            continue
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(key)
    return files, directories


def build_paths(store: Any, paths: list[str | Path], *, base_iri: str,
                vectors: Callable[[], Any] | None = None, tables: Any | None = None,
                prune: bool = False, progress: bool = False,
                parse_time_limit: float | None = None) -> BuildReport:
    """Build the files and directories in ``paths`` into ``store``.

    Args:
        store: the ``GraphStore`` written to.
        paths: files and directories (walked recursively for .txt/.md/.html/.htm).
        base_iri: the base of the IRIs minted.
        vectors: gives the ``VectorIndex`` to update after the graph (called only when
            something is to be embedded); ``None`` builds without embeddings.
        tables: the store's saved tables (``kg.cache.Tables``): on a big store, the
            search and graph tables are saved for the next server at the end.
        prune: remove documents whose files are gone from the directories in ``paths``.
        progress: show progress bars with an ETA on standard error.
        parse_time_limit: seconds (of wall and of CPU time) a file may take to parse and
            extract (in a child process) before it is refused; ``None``:
            ``ingest.worker.PARSE_TIME_LIMIT``.

    Returns:
        A :class:`BuildReport`; refused files are listed there, never raised.

    Raises:
        StoreError: the store cannot be written.
    """
    builder = _Builder(store, base_iri, embed=vectors is not None, parse_time_limit=parse_time_limit)
    report, clock = builder.report, builder.clock
    with clock("store"):
        load_vocabularies(store)
        builder.index = store.document_index()
    builder.users = {}
    for src, (doc, _sha) in builder.index.items():
        builder.users.setdefault(doc, set()).add(src)
    files, directories = _collect(paths, report)
    bar = _progress_bar(len(files), progress)
    try:
        for file in files:
            bar.set_postfix_str(file.name[:30], refresh=False)
            builder.build_file(file)
            bar.update(1)
    finally:
        bar.close()
        builder.parser.close()
    builder.note_upgraded()
    if prune:
        builder.prune({str(f) for f in files}, directories)
    if vectors is not None and report.skipped:
        _reembed_skipped(vectors, builder)
    if vectors is not None and (builder.built or builder.removed_docs):
        _embed(vectors, builder, progress)
    with clock("store"):
        store.flush()
        report.triples = store.triple_count()
    if tables is not None and (report.built or report.removed):
        with clock("tables"):
            _prepare_tables(tables, report, progress)
    return report


class _Builder:
    """The state of one build: the store's index, who uses which document, what was built."""

    def __init__(self, store: Any, base_iri: str, *, embed: bool, parse_time_limit: float | None = None):
        from ..ingest import Extractor
        from ..ingest.worker import PARSE_TIME_LIMIT, ParseWorker

        self.store, self.base, self.embed = store, base_iri, embed
        self.report = BuildReport()
        self.clock = _Clock(self.report)
        self.extract = Extractor()  # one for the whole build: its tokenizer is built once
        # parse + extract each file in a child: a file over the time limit is refused, the build goes on
        self.parser = ParseWorker(parse_time_limit or PARSE_TIME_LIMIT)
        self.index: dict[str, tuple[str, str]] = {}  # path → (document IRI, sha256)
        self.users: dict[str, set[str]] = {}  # document → its source files (identical texts)
        self.built: list[tuple[str, Any]] = []  # (document, DocumentTexts) to embed
        self.removed_docs: list[str] = []
        self.upgraded = 0  # unchanged files built by other code, built again

    def note_upgraded(self) -> None:
        """Say in the report how many unchanged files were built again for an upgrade."""
        if self.upgraded:
            self.report.notes.append(f"{self.upgraded} unchanged file(s) had been built by "
                                     "another version of policykg: extracted again (vectors of "
                                     "unchanged texts are reused)")

    def release(self, src: str) -> list[str]:
        """Detach ``src`` from its old document; the documents no file uses any more."""
        old = self.index.get(src)
        if old is None:
            return []
        holders = self.users.get(old[0], set())
        holders.discard(src)
        return [] if holders else [old[0]]

    def build_file(self, file: Path) -> None:
        """Build one file into the store (one transaction), or list it as skipped or refused."""
        from .iris import document_iri
        from .vector_texts import document_texts

        src, report, clock = str(file), self.report, self.clock
        try:
            with clock("read"):
                sha = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError as exc:
            report.refused.append((src, f"cannot read file: {exc.strerror or exc}"))
            return
        # the file's bytes and the code that reads them: an upgrade extracts it again
        key = f"{sha} {graph_fingerprint()}"
        if src in self.index and self.index[src][1] == key:
            report.skipped.append(src)
            return
        if src in self.index and self.index[src][1].split()[0] == sha:
            self.upgraded += 1
        made = self._graph(file)
        if made is None:
            return
        doc, extraction, graph = made
        doc_iri = document_iri(self.base, doc.sha256)
        drop = [d for d in self.release(src) if d != doc_iri]
        with clock("store"):
            self.store.put_document(doc_iri, graph, src, key, drop=drop)
        self.index[src] = (doc_iri, key)
        self.users.setdefault(doc_iri, set()).add(src)
        self.removed_docs += drop
        report.built.append(src)
        report.documents[src] = doc_iri
        if self.embed:  # what is embedded after the loop (not the whole extraction)
            self.built.append((doc_iri, document_texts(doc_iri, extraction, self.base)))

    def _graph(self, file: Path):
        """(document, extraction, RDF graph) of one file, or ``None`` when it is refused."""
        from .rdf import document_graph
        from .topics import link_topics

        src, clock, stage = str(file), self.clock, "parse"
        try:
            extraction = self.parser.extract(file)
            doc = extraction.document
            for name, seconds in self.parser.last_timings.items():  # measured in the child
                self.report.timings[name] += seconds
            stage = "extract"
            with clock("extract"):
                links = link_topics(doc)
            stage = "rdf"
            with clock("rdf"):
                graph = document_graph(extraction, base_iri=self.base, topic_links=links)
        except IngestError as exc:
            self.report.refused.append((src, exc.reason))
            return None
        except PolicyKGError as exc:
            self.report.refused.append((src, str(exc)))
            return None
        except Exception as exc:  # a bug on one file must not stop the build
            self.report.refused.append((src, f"internal error while {stage}: "
                                             f"{type(exc).__name__}: {exc}"))
            return None
        return doc, extraction, graph

    def prune(self, present: set[str], directories: list[Path]) -> None:
        """Remove the documents of files gone from ``directories``."""
        for src in sorted(self.index):
            if src in present or not any(_under(src, d) for d in directories):
                continue
            drop = self.release(src)
            with self.clock("store"):
                self.store.remove_source(src, drop=drop)
            self.removed_docs += drop
            self.report.removed.append(src)


def _prepare_tables(tables: Any, report: BuildReport, progress: bool) -> None:
    """On a big store, save the search tables, the entity graph and the lists behind the pages
    for the next server now (a child process reads them; ``kg.cache.Tables.save_in_child``), so
    that its first search, graph view and list page load files instead of reading the store."""
    if not tables.big():
        return  # a small store is read in seconds by the first search itself
    saved = (("search", "search tables and BM25 index", "the first search"),
             ("graph", "entity graph", "the first graph view"),
             ("lists", "lists of entities, topics and documents", "their pages' first visit"))
    bar = _progress_bar(len(saved), progress, unit="table", desc="saving tables for the server")
    try:
        for name, what, reader in saved:
            bar.set_description(f"saving the {what} for the server", refresh=True)
            if not tables.save_in_child(name):
                report.notes.append(f"the {what} were not saved: {reader} will read the store")
            bar.update(1)
    finally:
        bar.close()


def _under(path: str, directory: Path) -> bool:
    try:
        Path(path).relative_to(directory)
    except ValueError:
        return False
    return True


def _reembed_skipped(vectors: Callable[[], Any], builder: _Builder) -> None:
    """Queue unchanged documents that have no vectors yet (an earlier build was
    interrupted while embedding, or ran without embeddings) for embedding."""
    from ..ingest import parse_file

    from .vector_texts import document_texts

    report, clock, index, built = builder.report, builder.clock, builder.index, builder.built
    with clock("embed"):
        try:
            todo = vectors().missing({src: index[src][0] for src in report.skipped
                                      if src in index})
        except PolicyKGError as exc:
            report.errors.append(f"embeddings not updated (the graph is built): {exc}")
            return
    queued = {doc for doc, _x in built}
    for src in todo:
        doc_iri = index[src][0]
        if doc_iri in queued:
            continue
        try:
            with clock("parse"):
                doc = parse_file(src)
            with clock("extract"):
                extraction = builder.extract(doc)
        except Exception as exc:  # the graph is stored; only its vectors are missing
            report.errors.append(f"{src}: cannot embed: {type(exc).__name__}: {exc}")
            continue
        built.append((doc_iri, document_texts(doc_iri, extraction, builder.base)))
        queued.add(doc_iri)
    if todo:
        report.notes.append(f"{len(todo)} unchanged document(s) had no vectors: embedded now")


def _embed(vectors: Callable[[], Any], builder: _Builder, progress: bool) -> None:
    with builder.clock("embed"):
        try:
            vectors().update(builder.built, builder.removed_docs, base_iri=builder.base,
                             progress=progress)
        except PolicyKGError as exc:
            builder.report.errors.append(f"embeddings not updated (the graph is built): {exc}")


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass

    def set_description(self, text: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool, *, unit: str = "file", desc: str = "building"):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr,
                dynamic_ncols=True, leave=True)


__all__ = ["BuildReport", "build_paths", "load_vocabularies", "STAGES"]
