"""The build pipeline: files → parse → extract → RDF → store (→ vectors).

Each document is written in one transaction together with its entry in the
build index (kept in the store itself), so a build can be interrupted at any
point and rerun: documents already stored are skipped when their file is
unchanged (same path, same sha256 of its bytes), replaced when it changed,
and, with ``prune``, removed when their file is gone from the directories
given. A file that cannot be read or parsed is reported and leaves the store
as it was.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import IngestError, PolicyKGError
from .store import ONTOLOGY_GRAPH, TOPICS_GRAPH

#: The stages whose time the report gives, in pipeline order.
STAGES = ("read", "parse", "extract", "rdf", "store", "embed", "tables")

_ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"


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


def build_paths(kg, paths: list[str | Path], *, prune: bool = False, progress: bool = False,
                embed: bool = True) -> BuildReport:
    """Build the files and directories in ``paths`` into ``kg``'s store.

    Args:
        kg: the ``KnowledgeGraph`` (its ``store`` and ``settings`` are used).
        paths: files and directories (walked recursively for .txt/.md/.html/.htm).
        prune: remove documents whose files are gone from the directories in ``paths``.
        progress: show a progress bar with an ETA on standard error.
        embed: update the vector cache after the graph.

    Returns:
        A :class:`BuildReport`; refused files are listed there, never raised.

    Raises:
        StoreError: the store cannot be written.
    """
    from ..ingest import Extractor, parse_file

    from .rdf import document_graph
    from .topics import link_topics
    from .vectors import document_texts

    report = BuildReport()
    clock = _Clock(report)
    store = kg.store
    base = kg.settings.base_iri
    extract = Extractor()  # one for the whole build: its tokenizer is built once

    with clock("store"):
        load_vocabularies(store)
        index = store.document_index()
    files, directories = _collect(paths, report)
    # How many source files point at each document (identical texts share one graph).
    users: dict[str, set[str]] = {}
    for src, (doc, _sha) in index.items():
        users.setdefault(doc, set()).add(src)

    built: list[tuple[str, Any]] = []
    removed_docs: list[str] = []

    def release(src: str) -> list[str]:
        """Detach ``src`` from its old document; the documents no file uses any more."""
        old = index.get(src)
        if old is None:
            return []
        holders = users.get(old[0], set())
        holders.discard(src)
        return [] if holders else [old[0]]

    bar = _progress_bar(len(files), progress)
    try:
        for file in files:
            src = str(file)
            bar.set_postfix_str(file.name[:30], refresh=False)
            try:
                with clock("read"):
                    sha = hashlib.sha256(file.read_bytes()).hexdigest()
            except OSError as exc:
                report.refused.append((src, f"cannot read file: {exc.strerror or exc}"))
                bar.update(1)
                continue
            if src in index and index[src][1] == sha:
                report.skipped.append(src)
                bar.update(1)
                continue
            stage = "parse"
            try:
                with clock("parse"):
                    doc = parse_file(file)
                stage = "extract"
                with clock("extract"):
                    extraction = extract(doc)
                    links = link_topics(doc)
                stage = "rdf"
                with clock("rdf"):
                    graph = document_graph(extraction, base_iri=base, topic_links=links)
            except IngestError as exc:
                report.refused.append((src, exc.reason))
                bar.update(1)
                continue
            except PolicyKGError as exc:
                report.refused.append((src, str(exc)))
                bar.update(1)
                continue
            except Exception as exc:  # a bug on one file must not stop the build
                report.refused.append((src, f"internal error while {stage}: "
                                            f"{type(exc).__name__}: {exc}"))
                bar.update(1)
                continue
            from .iris import document_iri

            doc_iri = document_iri(base, doc.sha256)
            drop = [d for d in release(src) if d != doc_iri]
            with clock("store"):
                store.put_document(doc_iri, graph, src, sha, drop=drop)
            index[src] = (doc_iri, sha)
            users.setdefault(doc_iri, set()).add(src)
            removed_docs += drop
            report.built.append(src)
            report.documents[src] = doc_iri
            if embed:  # what is embedded after the loop (not the whole extraction)
                built.append((doc_iri, document_texts(doc_iri, extraction, base)))
            bar.update(1)
    finally:
        bar.close()

    if prune:
        present = {str(f) for f in files}
        for src in sorted(index):
            if src in present or not any(_under(src, d) for d in directories):
                continue
            drop = release(src)
            with clock("store"):
                store.remove_source(src, drop=drop)
            removed_docs += drop
            report.removed.append(src)

    if embed and report.skipped:
        _reembed_skipped(kg, index, built, report, clock, extract)
    if embed and (built or removed_docs):
        _embed(kg, built, removed_docs, report, clock, progress)
    with clock("store"):
        store.flush()
        report.triples = store.triple_count()
    if report.built or report.removed:
        with clock("tables"):
            _prepare_tables(kg, progress)
    return report


def _prepare_tables(kg, progress: bool) -> None:
    """On a big store, save the search tables and entity graph for the next server now
    (a child process reads them; :func:`kg.cache.save_in_child`), so that its first
    search and graph view load files instead of reading the store for minutes."""
    from .cache import big_store, save_in_child

    if not big_store(kg):
        return  # a small store is read in seconds by the first search itself
    for name, what in (("search", "search tables and BM25 index"), ("graph", "entity graph")):
        if progress:
            print(f"saving the {what} for the server (a minute or two on 1,000 documents) …",
                  file=sys.stderr, flush=True)
        started = time.perf_counter()
        saved = save_in_child(kg, name)
        if progress:
            print(f"  {'done' if saved else 'not saved (the first search will read the store)'}"
                  f" in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _under(path: str, directory: Path) -> bool:
    try:
        Path(path).relative_to(directory)
    except ValueError:
        return False
    return True


def _reembed_skipped(kg, index, built, report: BuildReport, clock: _Clock, extract) -> None:
    """Queue unchanged documents that have no vectors yet (an earlier build was
    interrupted while embedding, or ran without embeddings) for embedding."""
    from ..ingest import parse_file

    from .corpus import unembedded
    from .vectors import document_texts

    with clock("embed"):
        try:
            todo = unembedded(kg, {src: index[src][0] for src in report.skipped if src in index})
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
                extraction = extract(doc)
        except Exception as exc:  # the graph is stored; only its vectors are missing
            report.errors.append(f"{src}: cannot embed: {type(exc).__name__}: {exc}")
            continue
        built.append((doc_iri, document_texts(doc_iri, extraction, kg.settings.base_iri)))
        queued.add(doc_iri)
    if todo:
        report.notes.append(f"{len(todo)} unchanged document(s) had no vectors: embedded now")


def _embed(kg, built, removed, report: BuildReport, clock: _Clock, progress: bool) -> None:
    from .vectors import update_vectors

    with clock("embed"):
        try:
            update_vectors(kg, built=built, removed=removed, progress=progress)
        except PolicyKGError as exc:
            report.errors.append(f"embeddings not updated (the graph is built): {exc}")


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="building", file=sys.stderr,
                dynamic_ncols=True, leave=True)


__all__ = ["BuildReport", "build_paths", "load_vocabularies", "STAGES"]
