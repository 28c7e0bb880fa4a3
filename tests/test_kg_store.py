"""The graph store: atomic graph writes, the build index, locking, serialisation, remote servers."""
from __future__ import annotations

import gc
import io
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from policykg.kg import KnowledgeGraph, Settings, StoreError
from policykg.kg.store import open_store
from policykg.kg.vocab import POL

DOC = "https://w3id.org/policykg/doc/0000000000000001"


def small_graph(label: str) -> Graph:
    g = Graph()
    g.add((URIRef(DOC), RDF.type, POL.PolicyDocument))
    g.add((URIRef(DOC), RDFS.label, Literal(label, lang="zh")))
    g.add((URIRef(DOC), POL.cleanText, Literal('引号"与\n换行\\')))
    return g


@pytest.fixture
def store(tmp_path):
    s = open_store(Settings.load({"store": str(tmp_path / "store")}))
    yield s
    s.close()


def test_put_document_then_index_and_query(store, tmp_path):
    assert store.is_empty()
    store.put_document(DOC, small_graph("甲"), str(tmp_path / "a.txt"), "abc")
    assert not store.is_empty()
    assert store.document_index() == {str((tmp_path / "a.txt").resolve()): (DOC, "abc")}
    [row] = store.query("SELECT ?t WHERE { ?d pol:cleanText ?t }")
    assert str(row[0]) == '引号"与\n换行\\'


def test_replace_graph_replaces_and_failed_write_keeps_old(store):
    store.replace_graph(DOC, small_graph("甲"))
    store.replace_graph(DOC, small_graph("乙"))
    labels = {str(r[0]) for r in store.query(f"SELECT ?l WHERE {{ <{DOC}> rdfs:label ?l }}")}
    assert labels == {"乙"}
    bad = small_graph("丙")
    bad.add((URIRef("http://example.org/not an iri"), RDFS.label, Literal("x")))
    with pytest.raises((StoreError, ValueError)):
        store.replace_graph(DOC, bad)
    labels = {str(r[0]) for r in store.query(f"SELECT ?l WHERE {{ <{DOC}> rdfs:label ?l }}")}
    assert labels == {"乙"}


def test_remove_source_and_graph(store, tmp_path):
    store.put_document(DOC, small_graph("甲"), str(tmp_path / "a.txt"), "abc")
    store.remove_source(str(tmp_path / "a.txt"), drop=[DOC])
    assert store.document_index() == {} and store.is_empty()
    store.replace_graph(DOC, small_graph("甲"))
    generation = store.generation()
    store.remove_graph(DOC)
    assert store.triple_count(DOC) == 0 and store.generation() != generation
    # all that is left: the build index's generation token, new at every write
    assert store.triple_count() == store.triple_count(store.index_graph) == 1


def test_second_writer_gets_a_clear_error(tmp_path):
    settings = Settings.load({"store": str(tmp_path / "store")})
    first = open_store(settings)
    try:
        with pytest.raises(StoreError, match="in use by another process"):
            open_store(settings)
    finally:
        first.close()
    open_store(settings).close()  # released on close


def test_opening_a_store_keeps_only_the_newest_old_logs_of_its_engine(tmp_path):
    """RocksDB sets its info log aside at every opening and keeps 1,000 of them (140 MB
    beside the 15 MB sample store): opening for writing keeps the newest five."""
    from policykg.kg.files import KEPT_LOGS

    settings = Settings.load({"store": str(tmp_path / "store")})
    store = open_store(settings)
    store.replace_graph(DOC, small_graph("甲"))
    store.close()
    gc.collect()  # the engine's lock goes with its last reference
    folder = tmp_path / "store"
    for stamp in range(1, 9):  # older than any the engine writes (microseconds since 1970)
        (folder / f"LOG.old.{stamp:016d}").write_text("old")
    (folder / "LOG.old.notes").write_text("not a stamp: the oldest")
    reopened = open_store(settings)
    try:
        left = sorted(p.name for p in folder.glob("LOG.old.*"))
        assert len(left) == KEPT_LOGS
        assert left[:KEPT_LOGS - 1] == [f"LOG.old.{n:016d}" for n in range(5, 9)]
        assert int(left[-1].rsplit(".", 1)[1]) > 10 ** 15  # the one set aside just now
        labels = {str(r[0]) for r in reopened.query(f"SELECT ?l WHERE {{ <{DOC}> rdfs:label ?l }}")}
        assert labels == {"甲"}
    finally:
        reopened.close()


def test_store_path_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        open_store(Settings.load({"store": str(tmp_path / "file")}))


def test_serialize_keeps_graphs_or_unions_them_and_hides_the_index(store, tmp_path):
    store.put_document(DOC, small_graph("甲"), str(tmp_path / "a.txt"), "abc")
    trig = store.serialize("trig")
    ds = Dataset()
    ds.parse(data=trig, format="trig")
    assert URIRef(DOC) in {g.identifier for g in ds.graphs()}
    assert b"a.txt" not in trig and b"a.txt" not in store.serialize("nq")
    for fmt, rdflib_fmt in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")):
        g = Graph().parse(data=store.serialize(fmt), format=rdflib_fmt)
        assert len(g) == 3, fmt
    with pytest.raises(StoreError, match="cannot serialise"):
        store.serialize("xml")


def test_snapshot_is_readable_by_another_reader_while_writing(store, tmp_path):
    import pyoxigraph

    store.put_document(DOC, small_graph("甲"), str(tmp_path / "a.txt"), "abc")
    snap = store.snapshot(tmp_path / "snap")
    store.replace_graph(DOC, small_graph("乙"))  # the writer goes on
    reader = pyoxigraph.Store.read_only(snap)
    labels = {r["l"].value for r in reader.query(
        f"SELECT ?l WHERE {{ GRAPH ?g {{ <{DOC}> <{RDFS.label}> ?l }} }}")}
    assert labels == {"甲"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("oxigraph") is None, reason="the oxigraph server CLI is not installed")
def test_remote_store_against_oxigraph_serve(tmp_path, seed_path):
    port = _free_port()
    server = subprocess.Popen(["oxigraph", "serve", "--location", str(tmp_path / "srv"),
                               "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        with KnowledgeGraph.open({"store": f"sparql+http://127.0.0.1:{port}"}) as kg:
            report = kg.build([seed_path], embed=False)
            assert report.ok, report.summary()
            assert kg.build([seed_path], embed=False).skipped
            [doc] = kg.documents()
            assert doc.tasks == 10
            assert doc.iri in kg.store.graph_names()
            assert b"PolicyDocument" in kg.store.serialize("trig")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_unreachable_remote_store(tmp_path):
    port = _free_port()
    with pytest.raises(StoreError, match="unreachable"):
        open_store(Settings.load({"store": f"sparql+http://127.0.0.1:{port}"}))


def test_unreachable_remote_store_says_so_in_one_line_naming_the_url():
    port = _free_port()
    with pytest.raises(StoreError) as caught:
        open_store(Settings.load({"store": f"sparql+http://127.0.0.1:{port}/db"}))
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}/db/query" in message and "nothing answers" in message
    assert "\n" not in message and "formulating" not in message


def test_a_reader_never_creates_a_missing_store(tmp_path):
    from policykg.kg.errors import StoreMissing

    missing = tmp_path / "typo"
    with pytest.raises(StoreMissing, match="does not exist") as caught:
        KnowledgeGraph.open({"store": str(missing)}, read_only=True)
    assert caught.value.kind == "not_found" and not missing.exists()


@pytest.mark.parametrize("url", ["sparql+ftp://example.org/x", "http://example.org/sparql",
                                 "file:///tmp/store"])
def test_unknown_store_url_schemes_are_refused_without_a_folder(tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="unknown store URL scheme") as caught:
        open_store(Settings.load({"store": url}))
    assert caught.value.kind == "invalid" and list(tmp_path.iterdir()) == []


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "changning-2022-12-09.txt"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    """The bundled sample built without embeddings (read it only)."""
    store = tmp_path_factory.mktemp("sample-store") / "store"
    with KnowledgeGraph.open({"store": str(store)}) as kg:
        assert kg.build([SAMPLE], embed=False).ok
    return store


def test_local_paths_stay_out_of_pages_and_exports(sample_store):
    from policykg.kg import NotFound

    path = str(SAMPLE.resolve())
    with KnowledgeGraph.open({"store": str(sample_store)}, read_only=True) as kg:
        assert list(kg.store.document_index()) == [path]  # the builder still knows its files
        [doc] = kg.documents()
        page = kg.resource(doc.iri)
        shown = json.dumps(page.to_json(), ensure_ascii=False)
        assert "file:" not in shown and path not in shown
        assert not any(i.subject.startswith(kg.store.index_graph) for i in page.incoming)
        for fmt in ("text/turtle", "application/ld+json", "application/n-triples"):
            body, _type = kg.resource_rdf(doc.iri, fmt)
            assert b"file:" not in body and path.encode() not in body
        for fmt in ("trig", "nq", "ttl"):
            out = io.BytesIO()
            kg.export(fmt, out)
            assert b"file:" not in out.getvalue() and path.encode() not in out.getvalue()
        [entry] = [r["e"] for r in kg.store.select_rows(
            f"SELECT ?e WHERE {{ GRAPH <{kg.store.index_graph}> {{ ?e ?p ?o }} "
            f"FILTER (?e != <{kg.store.index_graph}>) }} LIMIT 1")]
        for private in (SAMPLE.resolve().as_uri(), entry, kg.store.index_graph):
            with pytest.raises(NotFound):
                kg.resource(private)
            with pytest.raises(NotFound):
                kg.resource_rdf(private, "text/turtle")
        # wasDerivedFrom points at the document, never at a file
        targets = {r["o"] for r in kg.store.select_rows(
            "SELECT DISTINCT ?o WHERE { ?s prov:wasDerivedFrom ?o }")}
        assert targets == {doc.iri}


@pytest.mark.parametrize("iri", ["abc", "http://x/\x00", "http://x/a b", "<http://x/>", ""])
def test_bad_iris_are_invalid_requests_not_crashes(sample_store, iri):
    from policykg.kg import PolicyKGError

    with KnowledgeGraph.open({"store": str(sample_store)}, read_only=True) as kg:
        for call in (lambda: kg.resource(iri), lambda: kg.resource_rdf(iri, "text/turtle")):
            with pytest.raises(PolicyKGError) as caught:
                call()
            assert caught.value.kind == "invalid" and "\n" not in str(caught.value)


def test_reads_from_many_threads_leave_no_engine_result_to_another_thread(sample_store,
                                                                          monkeypatch):
    """pyoxigraph's answers are dropped by the thread that made them, even when a reader
    stops half-way (otherwise: 'PyQuerySolutions is unsendable' tracebacks in a server's log)."""
    seen: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(f"{u.exc_value}"))
    errors: list[BaseException] = []
    with KnowledgeGraph.open({"store": str(sample_store)}, read_only=True) as kg:
        [doc] = kg.documents()
        entity = next(p.value for p in kg.resource(doc.iri).properties
                      if p.predicate.endswith("#mentions"))

        def read() -> None:
            try:
                for _ in range(3):
                    kg.resource(doc.iri)
                    kg.resource(entity)
                    kg.documents()
                    rows = kg.store.select_rows("SELECT ?s WHERE { ?s a pol:Sentence }")
                    next(iter(rows))  # abandoned after one row
                    with kg.store.stream_rows("SELECT ?s ?p ?o WHERE { ?s ?p ?o }") as stream:
                        next(stream)  # abandoned inside the block
                    answer = kg.store.query("SELECT ?s WHERE { ?s ?p ?o }")
                    next(iter(answer))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        collector = threading.Thread(target=gc.collect)
        collector.start()
        collector.join()
        gc.collect()
    assert not errors
    assert not [m for m in seen if "unsendable" in m], seen[:3]


def test_an_index_of_an_older_version_is_upgraded_and_its_files_stay_skipped(tmp_path):
    """Stores built before the private index (``<doc> prov:wasDerivedFrom <file:…>``) keep
    their incremental builds: the next build rewrites the entries and skips unchanged files."""
    from policykg.kg.store import BUILD

    store_dir = tmp_path / "store"
    with KnowledgeGraph.open({"store": str(store_dir)}) as kg:
        assert kg.build([SAMPLE], embed=False).ok
        store = kg.store
        [(path, (doc, sha))] = store.document_index().items()
        index, file = f"<{store.index_graph}>", f"<{SAMPLE.resolve().as_uri()}>"
        store._update(  # what an older version wrote
            f"DELETE WHERE {{ GRAPH {index} {{ ?e <{BUILD}path> ?p ; ?x ?y }} }} ;\n"
            f"INSERT DATA {{ GRAPH {index} {{ <{doc}> <http://www.w3.org/ns/prov#wasDerivedFrom>"
            f" {file} . {file} <http://www.w3.org/2000/01/rdf-schema#label> \"{path}\" ; "
            f"<http://purl.org/dc/terms/identifier> \"{sha}\" }} }}")
        assert store.document_index() == {path: (doc, sha)}  # still read
        report = kg.build([SAMPLE], embed=False)
        assert report.skipped == [path] and not report.built
        assert store.document_index() == {path: (doc, sha)}
        assert not store.select_rows(f"SELECT ?o WHERE {{ GRAPH {index} {{ ?s "
                                     "<http://www.w3.org/ns/prov#wasDerivedFrom> ?o } }")
