"""The graph store: an Oxigraph store on disk, or a remote SPARQL 1.1 server.

Reads of a local store go to pyoxigraph, and every answer is read whole in the
calling thread (pyoxigraph's result objects must not outlive the call nor be
dropped by another thread); a remote store is read through rdflib's
``SPARQLUpdateStore``. Writes are SPARQL updates sent in one request, so each
one is a single transaction: a crash mid-document never leaves a half-written
graph.

Remote stores are named ``sparql+http://host:port/path`` (or ``sparql+https``):
queries go to ``http://host:port/path/query`` and updates to
``http://host:port/path/update``, the endpoints ``oxigraph serve`` exposes
(``oxigraph serve --location DIR --union-default-graph``; the path may be
empty). The server must answer queries over the union of its named graphs.

Besides one named graph per document (named by the document IRI), the store
holds the ontology (``ONTOLOGY_GRAPH``), the topic scheme (``TOPICS_GRAPH``)
and the build index (``<base>graph/index``): for every source file, an entry
``<base>graph/index/source/<hash of the path>`` with its path (``build:path``),
its sha256 and the fingerprint of the code that read it (``build:sha256``) and
the document built from it (``build:document``), in the namespace ``BUILD``. Local paths are no
one's business but the builder's: exports leave the index out, pages refuse
its IRIs (:meth:`GraphStore.is_private`), and nothing in a document's graph
points at a file.
"""
from __future__ import annotations

import hashlib
import os
import re
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyoxigraph as ox
import rdflib
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from .errors import StoreError, StoreMissing
from .files import prune_old_logs
from .formats import by_name, of_kind
from .iris import iri_ref
from .settings import Settings
from .vocab import PREFIXES, sparql_prologue

ONTOLOGY_GRAPH = "https://w3id.org/policykg/ontology"
TOPICS_GRAPH = "https://w3id.org/policykg/topic/scheme"
#: The private vocabulary of the build index (never in a document's graph).
BUILD = "https://w3id.org/policykg/build#"
_REMOTE = ("sparql+http://", "sparql+https://")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


def _term(term: rdflib.term.Node) -> str:
    """A term in N-Triples/SPARQL syntax (pyoxigraph's escaping, never rdflib's)."""
    if isinstance(term, URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype is not None:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    if isinstance(term, rdflib.BNode):
        return f"_:b{term}"
    raise TypeError(f"cannot write {term!r}")


_iri = iri_ref


def _graph_block(name: str, triples: Iterable[tuple]) -> str:
    body = "\n".join(f"{_term(s)} {_term(p)} {_term(o)} ." for s, p, o in triples)
    return f"GRAPH {_iri(name)} {{\n{body}\n}}"


def file_iri(path: str) -> str:
    """The ``file:`` URI of a source file (how the index of older stores named it)."""
    return Path(path).resolve().as_uri()


def check_location(location: str) -> None:
    """Refuse a store setting that is neither a directory nor a ``sparql+http(s)://`` URL.

    Raises:
        StoreError: (kind ``invalid``) another URL scheme (``sparql+ftp://…``, ``http://…``).
    """
    if location.startswith(_REMOTE) or not _SCHEME.match(location):
        return
    error = StoreError(f"store {location}: unknown store URL scheme; give a directory or "
                       "sparql+http://host:port/path (or sparql+https://…)")
    error.kind = "invalid"
    raise error


class GraphStore:
    """One RDF dataset: named graphs per document, queried as their union.

    Attributes:
        path: the store directory (``None`` for a remote store). Another process
            should read a :meth:`snapshot` of it, not the live directory.
        location: the store setting as given (directory or ``sparql+http`` URL).
        index_graph: the name of the build index graph (private: local paths).
    """

    def __init__(self, settings: Settings, *, read_only: bool = False):
        check_location(settings.store)
        self.location = settings.store
        self.index_graph = f"{settings.base_iri}graph/index"
        self.path: str | None = None
        self.read_only = False  # True when opened beside another process that holds the lock
        self._ox: ox.Store | None = None
        self._remote = None
        if settings.is_remote:
            self._open_remote(settings.store)
        else:
            self._open_local(settings.store, read_only=read_only)

    # -- opening --------------------------------------------------------------
    def _open_local(self, location: str, *, read_only: bool = False) -> None:
        path = Path(location).expanduser()
        if path.exists() and not path.is_dir():
            raise StoreError(f"store {path} is not a directory")
        if read_only and not path.exists():
            raise StoreMissing(f"store {path} does not exist (build it first: "
                               f"policykg build FILES --store {path})")
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._ox = ox.Store(str(path))
            prune_old_logs(path)  # each opening sets one aside; the engine keeps 1,000
        except OSError as exc:
            if "lock" not in str(exc).lower():
                raise StoreError(f"store {path} cannot be opened: {exc}") from None
            if not read_only:
                raise StoreError(f"store {path} is in use by another process "
                                 "(stop the other policykg command or server first)") from None
            # A reader (search, sparql, export …) beside a running server: open the
            # files read-only. Oxigraph leaves this undefined while the other
            # process writes, so a failure here is reported, not retried.
            try:
                self._ox = ox.Store.read_only(str(path))
            except OSError as exc2:
                raise StoreError(f"store {path} is in use by another process and cannot be "
                                 f"read beside it: {exc2}") from None
            self.read_only = True
        self.path = str(path)

    def _open_remote(self, location: str) -> None:
        from .remote import open_remote

        self._remote, self._dataset = open_remote(location)

    # -- reading --------------------------------------------------------------
    def query(self, sparql: str):
        """Run a SPARQL query over the union of all graphs; returns an rdflib ``Result``.

        The prefixes of ``kg.vocab.PREFIXES`` are predeclared; the answer is read
        whole before it is returned.

        Raises:
            StoreError: the store cannot be read.
        """
        if self._ox is not None:
            return self._local_query(sparql)
        try:
            result = self._dataset.query(sparql, initNs=PREFIXES)
        except OSError as exc:
            raise StoreError(f"store {self.location} cannot be read: {exc}") from None
        if result.type == "SELECT":
            result.bindings  # read whole now (rdflib keeps the rest lazily)
        return result

    def _local_query(self, sparql: str):
        """:meth:`query` on a local store: pyoxigraph's answer as an rdflib ``Result``."""
        from rdflib.query import Result
        from rdflib.term import Variable

        answer = None
        try:
            answer = self._ox.query(sparql_prologue() + sparql, use_default_graph_as_union=True)
            if isinstance(answer, ox.QueryBoolean):
                result = Result("ASK")
                result.askAnswer = bool(answer)
            elif isinstance(answer, ox.QuerySolutions):
                result = Result("SELECT")
                result.vars = [Variable(v.value) for v in answer.variables]
                result.bindings = [{v: _from_ox(t) for v, t in zip(result.vars, row)
                                    if t is not None} for row in answer]
            else:
                result = Result("CONSTRUCT")
                result.graph = Graph()
                result.graph += ((_from_ox(t.subject), _from_ox(t.predicate), _from_ox(t.object))
                                 for t in answer)
        except OSError as exc:
            raise StoreError(f"store {self.location} cannot be read: {exc}") from None
        finally:
            answer = None  # dropped here, in the thread that made it
        return result

    def select_rows(self, sparql: str) -> list[dict[str, str | None]]:
        """The rows of a SELECT query as plain strings (``None`` where unbound).

        The prefixes of ``kg.vocab.PREFIXES`` are predeclared. A local store is
        asked through pyoxigraph directly (no rdflib term per cell) and the
        answer is read whole in this thread; for answers too big to hold twice,
        use :meth:`stream_rows`.

        Raises:
            StoreError: the store cannot be read.
        """
        with self.stream_rows(sparql) as rows:
            return list(rows)

    @contextmanager
    def stream_rows(self, sparql: str) -> Iterator[Iterator[dict[str, str | None]]]:
        """``with store.stream_rows(q) as rows:`` the rows of :meth:`select_rows`, made as
        they are read; pyoxigraph's answer is dropped when the block ends, in this thread.

        Raises:
            StoreError: the store cannot be read.
        """
        if self._ox is None:
            answer = self.query(sparql)
            names = [str(v) for v in answer.vars]
            yield ({n: None if row[n] is None else str(row[n]) for n in names} for row in answer)
            return
        try:
            answer = self._ox.query(sparql_prologue() + sparql, use_default_graph_as_union=True)
            names = [v.value for v in answer.variables]
            yield ({n: None if (term := solution[n]) is None else term.value for n in names}
                   for solution in answer)
        except OSError as exc:
            raise StoreError(f"store {self.location} cannot be read: {exc}") from None
        finally:
            answer = None  # dropped here, in the thread that made it

    def graph_names(self) -> set[str]:
        """The names of every named graph in the store."""
        if self._ox is not None:
            return {g.value for g in self._ox.named_graphs() if isinstance(g, ox.NamedNode)}
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return {str(r[0]) for r in rows}

    def triple_count(self, name: str | None = None) -> int:
        """How many triples one named graph (or, by default, every graph) holds."""
        where = f"GRAPH {_iri(name)} {{ ?s ?p ?o }}" if name else "GRAPH ?g { ?s ?p ?o }"
        rows = list(self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"))
        return int(rows[0][0])

    def is_private(self, iri: str) -> bool:
        """True for IRIs of the build index and of local files: no page shows them."""
        return iri.startswith(("file:", self.index_graph, BUILD))

    def document_index(self, *, vocabularies: bool = False) -> dict[str, tuple[str, str]]:
        """Every built source file: ``{path: (document IRI, sha256 of the file's bytes)}``.

        With ``vocabularies``, the ontology and topic files loaded into
        ``ONTOLOGY_GRAPH`` and ``TOPICS_GRAPH`` are listed too. Entries written
        by older versions (``prov:wasDerivedFrom`` a ``file:`` IRI) are read too.
        """
        rows = self.select_rows(
            f"SELECT ?path ?doc ?sha WHERE {{ GRAPH {_iri(self.index_graph)} {{"
            f" {{ ?e <{BUILD}document> ?doc ; <{BUILD}path> ?path ; <{BUILD}sha256> ?sha }}"
            " UNION { ?doc prov:wasDerivedFrom ?e . ?e rdfs:label ?path ;"
            " dcterms:identifier ?sha . } } }")
        hidden = () if vocabularies else (ONTOLOGY_GRAPH, TOPICS_GRAPH)
        return {r["path"]: (r["doc"], r["sha"]) for r in rows if r["doc"] not in hidden}

    def is_empty(self) -> bool:
        """True when no document has been built into the store."""
        result = self.query("ASK { GRAPH ?g { ?d a pol:PolicyDocument } }")
        return not bool(result.askAnswer)

    def construct(self, sparql: str, fmt: str) -> tuple[bytes, int] | None:
        """A CONSTRUCT over the union of all graphs written as ``fmt`` (a ``kg.formats`` name) by
        Oxigraph, and its number of triples; ``None`` where Oxigraph cannot (remote store, format).

        Raises:
            StoreError: the store cannot be read.
        """
        found = by_name(fmt)
        if self._ox is None or found is None or found.engine is None:
            return None
        prefixes = None if found.name in ("nq", "nt") else dict(PREFIXES)
        answer = None
        try:
            answer = self._ox.query(sparql_prologue() + sparql, use_default_graph_as_union=True)
            if not isinstance(answer, ox.QueryTriples):
                return None
            triples = list(answer)
            return ox.serialize(triples, format=getattr(ox.RdfFormat, found.engine),
                                prefixes=prefixes), len(triples)
        except OSError as exc:
            raise StoreError(f"store {self.location} cannot be read: {exc}") from None
        finally:
            answer = None  # dropped here, in the thread that made it

    def serialize(self, fmt: str) -> bytes:
        """The whole store as ``trig``/``nq`` (named graphs kept) or ``ttl``/``nt``/``jsonld``/
        ``rdfxml`` (their union). The build index (local file paths) is left out.

        Raises:
            StoreError: an unknown format.
        """
        found = by_name(fmt)
        if found is None or found.kind not in ("graph", "dataset") or found.engine is None:
            names = sorted(f.name for k in ("dataset", "graph") for f in of_kind(k))
            raise StoreError(f"cannot serialise the store as {fmt!r}; "
                             f"choose one of {', '.join(names)}")
        keeps_graphs = found.kind == "dataset"
        where = f"WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != {_iri(self.index_graph)}) }}"
        if self._ox is not None:
            ox_format = getattr(ox.RdfFormat, found.engine)
            prefixes = None if found.name in ("nq", "nt") else dict(PREFIXES)
            if keeps_graphs:
                items = [ox.Quad(r["s"], r["p"], r["o"], r["g"])
                         for r in self._ox.query(f"SELECT ?s ?p ?o ?g {where}")]
            else:
                items = [ox.Triple(r["s"], r["p"], r["o"])
                         for r in self._ox.query(f"SELECT DISTINCT ?s ?p ?o {where}")]
            return ox.serialize(items, format=ox_format, prefixes=prefixes)
        from .remote import serialize_rows

        return serialize_rows(self.query(f"SELECT ?s ?p ?o ?g {where}"), found.rdflib, keeps_graphs)

    # -- writing --------------------------------------------------------------
    def generation(self) -> str:
        """A token that changes whenever a build changes the store (caches are keyed by it).

        Every write through this class stores a fresh token in the build index;
        a store written before tokens existed answers with a hash of its index
        of source files. Writes by other clients of a remote store are not seen.
        """
        index = _iri(self.index_graph)
        for row in self.select_rows(
                f"SELECT ?v WHERE {{ GRAPH {index} {{ {index} <{BUILD}generation>|"
                f"<{DCTERMS.hasVersion}> ?v }} }}"):
            if row["v"]:
                return row["v"]
        digest = hashlib.sha256()
        for path, (doc, sha) in sorted(self.document_index(vocabularies=True).items()):
            digest.update(f"{path}\x00{doc}\x00{sha}\n".encode("utf-8"))
        return "index-" + digest.hexdigest()[:32]

    def _update(self, text: str) -> None:
        """Run one SPARQL update as one transaction, with a new generation token."""
        index = _iri(self.index_graph)
        text += (f" ;\nDELETE WHERE {{ GRAPH {index} {{ {index} <{DCTERMS.hasVersion}> ?v }} }}"
                 f" ;\nDELETE WHERE {{ GRAPH {index} {{ {index} <{BUILD}generation> ?v }} }} ;\n"
                 f"INSERT DATA {{ GRAPH {index} {{ {index} <{BUILD}generation> "
                 f"\"{uuid.uuid4()}\" }} }}")
        if self.read_only:
            raise StoreError(f"store {self.location} is open read-only beside another process "
                             "(stop that process to change the store)")
        try:
            if self._ox is not None:
                self._ox.update(text)
            else:
                self._remote.update(text)
        except OSError as exc:
            raise StoreError(f"store {self.location} cannot be written: {exc}") from None
        except Exception as exc:
            if self._ox is not None and not isinstance(exc, SyntaxError):
                raise
            raise StoreError(f"store {self.location} refused an update: {exc}") from None

    def replace_graph(self, name: str, triples: Graph) -> None:
        """Replace one named graph by ``triples``, atomically."""
        self._update(f"DROP SILENT GRAPH {_iri(name)} ;\n"
                     f"INSERT DATA {{ {_graph_block(name, triples)} }}")

    def remove_graph(self, name: str) -> None:
        """Remove one named graph (nothing happens if it is absent)."""
        self._update(f"DROP SILENT GRAPH {_iri(name)}")

    def _entry(self, source: str) -> str:
        """The IRI of the index entry of one source file (a hash of its path, not the path)."""
        digest = hashlib.sha256(str(Path(source).resolve()).encode("utf-8")).hexdigest()[:32]
        return f"{self.index_graph}/source/{digest}"

    def _forget(self, source: str) -> list[str]:
        """The updates removing the index entry of ``source`` (this and older layouts)."""
        index, entry, file = _iri(self.index_graph), _iri(self._entry(source)), _iri(file_iri(source))
        return [f"DELETE WHERE {{ GRAPH {index} {{ {entry} ?p ?o }} }}",
                f"DELETE WHERE {{ GRAPH {index} {{ ?d prov:wasDerivedFrom {file} }} }}",
                f"DELETE WHERE {{ GRAPH {index} {{ {file} ?p ?o }} }}"]

    def put_document(self, doc_iri: str, triples: Graph, source: str, file_sha256: str,
                     *, drop: Iterable[str] = ()) -> None:
        """Store one document's graph and its index entry in a single transaction.

        Args:
            doc_iri: the document IRI, also the name of its graph.
            triples: the document's triples (replacing any graph of that name).
            source: the path of the file it was built from.
            file_sha256: sha256 of the file's bytes (to skip it when unchanged).
            drop: graphs of older versions of this file to remove at the same time.
        """
        ops = self._forget(source) + [f"DROP SILENT GRAPH {_iri(g)}" for g in {*drop, doc_iri}]
        entry = URIRef(self._entry(source))
        rows = [(entry, URIRef(BUILD + "document"), URIRef(doc_iri)),
                (entry, URIRef(BUILD + "path"), Literal(str(source))),
                (entry, URIRef(BUILD + "sha256"), Literal(file_sha256))]
        ops.append(f"INSERT DATA {{ {_graph_block(doc_iri, triples)}\n"
                   f"{_graph_block(self.index_graph, rows)} }}")
        self._update(sparql_prologue() + " ;\n".join(ops))

    def remove_source(self, source: str, *, drop: Iterable[str] = ()) -> None:
        """Forget one source file and remove the graphs in ``drop``, in one transaction."""
        ops = self._forget(source) + [f"DROP SILENT GRAPH {_iri(g)}" for g in drop]
        self._update(sparql_prologue() + " ;\n".join(ops))

    def upgrade_index(self) -> None:
        """Rewrite index entries of older versions (``file:`` IRIs linked to documents by
        ``prov:wasDerivedFrom``) in the private layout, in one transaction."""
        index = _iri(self.index_graph)
        old = self.select_rows(f"SELECT ?path WHERE {{ GRAPH {index} {{ ?d prov:wasDerivedFrom ?f"
                               " . ?f rdfs:label ?path } }")
        if not old or self.read_only:
            return
        entries = self.document_index(vocabularies=True)
        ops, rows = [], []
        for path in {r["path"] for r in old}:
            doc, sha = entries[path]
            ops += self._forget(path)
            entry = URIRef(self._entry(path))
            rows += [(entry, URIRef(BUILD + "document"), URIRef(doc)),
                     (entry, URIRef(BUILD + "path"), Literal(path)),
                     (entry, URIRef(BUILD + "sha256"), Literal(sha))]
        ops.append(f"INSERT DATA {{ {_graph_block(self.index_graph, rows)} }}")
        self._update(sparql_prologue() + " ;\n".join(ops))

    def snapshot(self, directory: str | os.PathLike) -> str:
        """Write a consistent copy of a local store to ``directory`` (must not exist).

        The copy uses hard links where it can, so it is cheap; another process can
        open it with ``pyoxigraph.Store.read_only`` while this one keeps writing
        (opening the live directory read-only during writes is undefined
        behaviour in Oxigraph and fails when files are compacted away).

        Raises:
            StoreError: a remote store, or the copy cannot be written.
        """
        if self._ox is None:
            raise StoreError(f"store {self.location} is remote: no snapshot on disk")
        try:
            self._ox.flush()
            self._ox.backup(str(directory))
        except OSError as exc:
            raise StoreError(f"cannot snapshot store {self.location} to {directory}: {exc}") from None
        return str(directory)

    def flush(self) -> None:
        """Make every write durable on disk."""
        if self._ox is not None and not self.read_only:
            self._ox.flush()

    def close(self) -> None:
        """Release the store and its lock on disk."""
        with suppress(OSError):
            self.flush()
        self._dataset = None
        self._ox = None
        self._remote = None


def _from_ox(term: Any) -> rdflib.term.Node:
    """A pyoxigraph term as an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def open_store(settings: Settings, *, read_only: bool = False) -> GraphStore:
    """Open the store named by ``settings.store`` (creating a local one unless ``read_only``).

    With ``read_only``, a local store that another process holds (a running
    ``policykg serve``) is opened read-only instead of refused, and a missing
    one is an error (a reader never creates an empty store).

    Raises:
        StoreError: the store is locked by another process, unreadable, unreachable,
            or its URL scheme is unknown (kind ``invalid``).
        StoreMissing: ``read_only`` and no store at that path (kind ``not_found``).
    """
    return GraphStore(settings, read_only=read_only)


__all__ = ["GraphStore", "open_store", "check_location", "ONTOLOGY_GRAPH", "TOPICS_GRAPH",
           "BUILD", "file_iri"]
