"""The graph store: atomic graph writes, the build index, locking, serialisation, remote servers."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

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
