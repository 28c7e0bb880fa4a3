"""The graph store: an Oxigraph store on disk, or a remote SPARQL 1.1 server.

Reads go through rdflib (``Dataset`` over the oxrdflib ``Oxigraph`` store, or a
``SPARQLUpdateStore``); writes are SPARQL updates sent in one request, so each
one is a single transaction: a crash mid-document never leaves a half-written
graph.

Remote stores are named ``sparql+http://host:port/path`` (or ``sparql+https``):
queries go to ``http://host:port/path/query`` and updates to
``http://host:port/path/update``, the endpoints ``oxigraph serve`` exposes
(``oxigraph serve --location DIR --union-default-graph``; the path may be
empty). The server must answer queries over the union of its named graphs.

Besides one named graph per document (named by the document IRI), the store
holds the ontology (``ONTOLOGY_GRAPH``), the topic scheme (``TOPICS_GRAPH``)
and the build index (``<base>graph/index``): for every source file, its path
(``rdfs:label``), the sha256 of its bytes (``dcterms:identifier``) and the
document built from it (``<doc> prov:wasDerivedFrom <file IRI>``).
"""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import pyoxigraph as ox
import rdflib
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDFS

from .errors import StoreError
from .settings import Settings
from .vocab import PREFIXES, sparql_prologue

ONTOLOGY_GRAPH = "https://w3id.org/policykg/ontology"
TOPICS_GRAPH = "https://w3id.org/policykg/topic/scheme"

#: Serialisation formats of :meth:`GraphStore.serialize`: (pyoxigraph format, keeps graphs).
_FORMATS = {
    "trig": (ox.RdfFormat.TRIG, True),
    "nq": (ox.RdfFormat.N_QUADS, True),
    "ttl": (ox.RdfFormat.TURTLE, False),
    "turtle": (ox.RdfFormat.TURTLE, False),
    "nt": (ox.RdfFormat.N_TRIPLES, False),
    "jsonld": (ox.RdfFormat.JSON_LD, False),
}


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


def _iri(value: str) -> str:
    return str(ox.NamedNode(value))


def _graph_block(name: str, triples: Iterable[tuple]) -> str:
    body = "\n".join(f"{_term(s)} {_term(p)} {_term(o)} ." for s, p, o in triples)
    return f"GRAPH {_iri(name)} {{\n{body}\n}}"


def file_iri(path: str) -> str:
    """The IRI naming a source file in the build index (a ``file:`` URI)."""
    return Path(path).resolve().as_uri()


class GraphStore:
    """One RDF dataset: named graphs per document, queried as their union.

    Attributes:
        path: the store directory (``None`` for a remote store). Another process
            should read a :meth:`snapshot` of it, not the live directory.
        location: the store setting as given (directory or ``sparql+http`` URL).
    """

    def __init__(self, settings: Settings, *, read_only: bool = False):
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
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._ox = ox.Store(str(path))
        except OSError as exc:
            message = str(exc)
            if "lock" not in message.lower():
                raise StoreError(f"store {path} cannot be opened: {message}") from None
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
        from oxrdflib import OxigraphStore

        self._dataset = Dataset(store=OxigraphStore(store=self._ox), default_union=True)

    def _open_remote(self, location: str) -> None:
        from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

        endpoint = location.split("+", 1)[1].rstrip("/")
        # ``union-default-graph``: Oxigraph answers over the union of the named graphs
        # even when ``oxigraph serve`` runs without --union-default-graph
        # (other SPARQL 1.1 servers ignore the parameter and must be set up so).
        self._remote = SPARQLUpdateStore(query_endpoint=f"{endpoint}/query",
                                         update_endpoint=f"{endpoint}/update",
                                         autocommit=True,
                                         params={"union-default-graph": ""})
        self._dataset = Dataset(store=self._remote, default_union=True)
        try:
            self._remote.query("ASK { ?s ?p ?o }", {}, {}, "__UNION__")
        except Exception as exc:  # urllib errors, HTTP errors, bad answers
            raise StoreError(f"store {location} is unreachable: {exc}") from None

    # -- reading --------------------------------------------------------------
    def dataset(self) -> Dataset:
        """The rdflib ``Dataset`` over the store (default graph = union of all graphs)."""
        return self._dataset

    def query(self, sparql: str, *, init_bindings: Mapping[str, Any] | None = None):
        """Run a SPARQL query over the union of all graphs; returns an rdflib ``Result``.

        The prefixes of ``kg.vocab.PREFIXES`` are predeclared.

        Raises:
            StoreError: the store cannot be read.
        """
        try:
            return self._dataset.query(sparql, initNs=PREFIXES,
                                       initBindings=dict(init_bindings or {}))
        except OSError as exc:
            raise StoreError(f"store {self.location} cannot be read: {exc}") from None

    def select_rows(self, sparql: str) -> Iterator[dict[str, str | None]]:
        """The rows of a SELECT query as plain strings (``None`` where unbound), one at a time.

        The prefixes of ``kg.vocab.PREFIXES`` are predeclared. A local store is
        asked through pyoxigraph directly: no rdflib term per cell, which on a
        corpus-sized answer is the difference between seconds and minutes, and
        rows are made as they are read, so a big answer is never held whole.

        Raises:
            StoreError: the store cannot be read.
        """
        if self._ox is None:
            answer = self.query(sparql)
            names = [str(v) for v in answer.vars]
            for row in answer:
                yield {n: None if row[n] is None else str(row[n]) for n in names}
            return
        try:
            answer = self._ox.query(sparql_prologue() + sparql, use_default_graph_as_union=True)
            names = [v.value for v in answer.variables]
            for solution in answer:
                yield {n: None if (term := solution[n]) is None else term.value for n in names}
        except OSError as exc:
            raise StoreError(f"store {self.location} cannot be read: {exc}") from None

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

    def document_index(self, *, vocabularies: bool = False) -> dict[str, tuple[str, str]]:
        """Every built source file: ``{path: (document IRI, sha256 of the file's bytes)}``.

        With ``vocabularies``, the ontology and topic files loaded into
        ``ONTOLOGY_GRAPH`` and ``TOPICS_GRAPH`` are listed too.
        """
        rows = self.query(
            f"SELECT ?path ?doc ?sha WHERE {{ GRAPH {_iri(self.index_graph)} {{"
            " ?doc prov:wasDerivedFrom ?file . ?file rdfs:label ?path ;"
            " dcterms:identifier ?sha . } }")
        hidden = () if vocabularies else (ONTOLOGY_GRAPH, TOPICS_GRAPH)
        return {str(path): (str(doc), str(sha)) for path, doc, sha in rows
                if str(doc) not in hidden}

    def is_empty(self) -> bool:
        """True when no document has been built into the store."""
        result = self.query("ASK { GRAPH ?g { ?d a pol:PolicyDocument } }")
        return not bool(result.askAnswer)

    def serialize(self, fmt: str) -> bytes:
        """The whole store as ``trig``/``nq`` (named graphs kept) or ``ttl``/``nt``/``jsonld`` (union).

        The build index (local file paths) is left out.

        Raises:
            StoreError: an unknown format.
        """
        if fmt not in _FORMATS:
            raise StoreError(f"cannot serialise the store as {fmt!r}; "
                             f"choose one of {', '.join(sorted(_FORMATS))}")
        ox_format, keeps_graphs = _FORMATS[fmt]
        prefixes = dict(PREFIXES) if ox_format not in (ox.RdfFormat.N_QUADS,
                                                       ox.RdfFormat.N_TRIPLES) else None
        where = (f"WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != {_iri(self.index_graph)}) }}")
        if self._ox is not None:
            if keeps_graphs:
                quads = (ox.Quad(r["s"], r["p"], r["o"], r["g"])
                         for r in self._ox.query(f"SELECT ?s ?p ?o ?g {where}"))
                return ox.serialize(quads, format=ox_format, prefixes=prefixes)
            triples = (ox.Triple(r["s"], r["p"], r["o"])
                       for r in self._ox.query(f"SELECT DISTINCT ?s ?p ?o {where}"))
            return ox.serialize(triples, format=ox_format, prefixes=prefixes)
        rows = self.query(f"SELECT ?s ?p ?o ?g {where}")
        ds = Dataset()
        for key, iri in PREFIXES.items():
            ds.bind(key, iri)
        if keeps_graphs:
            for s, p, o, g in rows:
                ds.graph(g).add((s, p, o))
            return ds.serialize(format="nquads" if fmt == "nq" else "trig", encoding="utf-8")
        graph = Graph(namespace_manager=ds.namespace_manager)
        for s, p, o, _g in rows:
            graph.add((s, p, o))
        rdflib_fmt = {"ttl": "turtle", "turtle": "turtle", "nt": "nt11", "jsonld": "json-ld"}[fmt]
        return graph.serialize(format=rdflib_fmt, encoding="utf-8")

    # -- writing --------------------------------------------------------------
    def generation(self) -> str:
        """A token that changes whenever a build changes the store (caches are keyed by it).

        Every write through this class stores a fresh token in the build index;
        a store written before tokens existed answers with a hash of its index
        of source files. Writes by other clients of a remote store are not seen.
        """
        index = _iri(self.index_graph)
        for row in self.select_rows(
                f"SELECT ?v WHERE {{ GRAPH {index} {{ {index} <{DCTERMS.hasVersion}> ?v }} }}"):
            if row["v"]:
                return row["v"]
        digest = hashlib.sha256()
        for path, (doc, sha) in sorted(self.document_index(vocabularies=True).items()):
            digest.update(f"{path}\x00{doc}\x00{sha}\n".encode("utf-8"))
        return "index-" + digest.hexdigest()[:32]

    def _update(self, text: str) -> None:
        """Run one SPARQL update as one transaction, with a new generation token."""
        index, version = _iri(self.index_graph), f"<{DCTERMS.hasVersion}>"
        text += (f" ;\nDELETE WHERE {{ GRAPH {index} {{ {index} {version} ?v }} }} ;\n"
                 f"INSERT DATA {{ GRAPH {index} {{ {index} {version} \"{uuid.uuid4()}\" }} }}")
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
        file = file_iri(source)
        index = _iri(self.index_graph)
        ops = [f"DELETE WHERE {{ GRAPH {index} {{ ?d prov:wasDerivedFrom {_iri(file)} }} }}",
               f"DELETE WHERE {{ GRAPH {index} {{ {_iri(file)} ?p ?o }} }}"]
        ops += [f"DROP SILENT GRAPH {_iri(g)}" for g in {*drop, doc_iri}]
        entry = [(URIRef(doc_iri), PROV.wasDerivedFrom, URIRef(file)),
                 (URIRef(file), RDFS.label, Literal(str(source))),
                 (URIRef(file), DCTERMS.identifier, Literal(file_sha256))]
        ops.append(f"INSERT DATA {{ {_graph_block(doc_iri, triples)}\n"
                   f"{_graph_block(self.index_graph, entry)} }}")
        self._update(sparql_prologue() + " ;\n".join(ops))

    def remove_source(self, source: str, *, drop: Iterable[str] = ()) -> None:
        """Forget one source file and remove the graphs in ``drop``, in one transaction."""
        file = _iri(file_iri(source))
        index = _iri(self.index_graph)
        ops = [f"DELETE WHERE {{ GRAPH {index} {{ ?d prov:wasDerivedFrom {file} }} }}",
               f"DELETE WHERE {{ GRAPH {index} {{ {file} ?p ?o }} }}"]
        ops += [f"DROP SILENT GRAPH {_iri(g)}" for g in drop]
        self._update(sparql_prologue() + " ;\n".join(ops))

    def load_file(self, name: str, path: str | os.PathLike) -> None:
        """Replace the named graph ``name`` by the Turtle file at ``path``.

        Raises:
            StoreError: the file cannot be read or parsed.
        """
        graph = Graph()
        try:
            graph.parse(str(path), format="turtle")
        except Exception as exc:  # rdflib raises many parser exception types
            raise StoreError(f"{path}: cannot load into the store: {exc}") from None
        self.replace_graph(name, graph)

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
        try:
            self.flush()
        except OSError:
            pass
        self._dataset = None
        self._ox = None
        self._remote = None


def open_store(settings: Settings, *, read_only: bool = False) -> GraphStore:
    """Open the store named by ``settings.store`` (creating a local one if needed).

    With ``read_only``, a local store that another process holds (a running
    ``policykg serve``) is opened read-only instead of refused.

    Raises:
        StoreError: the store is locked by another process, unreadable or unreachable.
    """
    return GraphStore(settings, read_only=read_only)


__all__ = ["GraphStore", "open_store", "ONTOLOGY_GRAPH", "TOPICS_GRAPH", "file_iri"]
