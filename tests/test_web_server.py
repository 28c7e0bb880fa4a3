"""Real SPARQL clients against a running server; a heavy query is stopped while others are served."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from policykg.kg import KnowledgeGraph

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from werkzeug.serving import make_server

    from policykg.web.app import close_app, create_app

    path = str(tmp_path_factory.mktemp("served") / "store")
    with KnowledgeGraph.open({"store": path}) as kg:
        kg.build([str(REPO / "data")], embed=False)
    app = create_app({"POLICYKG": {"store": path, "sparql_timeout": 2}})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    close_app(app)


def test_sparqlwrapper_select_and_construct(server):
    SPARQLWrapper = pytest.importorskip("SPARQLWrapper")
    client = SPARQLWrapper.SPARQLWrapper(f"{server}/sparql")
    client.setQuery("PREFIX pol: <https://w3id.org/policykg/ontology#> "
                    "SELECT ?t WHERE { ?t a pol:Task } LIMIT 3")
    client.setReturnFormat(SPARQLWrapper.JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert len(rows) == 3
    client.setMethod(SPARQLWrapper.POST)
    client.setQuery("CONSTRUCT { ?t a <https://w3id.org/policykg/ontology#Task> } "
                    "WHERE { ?t a <https://w3id.org/policykg/ontology#Task> }")
    client.setReturnFormat(SPARQLWrapper.TURTLE)
    assert b"a pol:Task" in client.query().convert()


def test_rdflib_sparqlstore(server):
    from rdflib import Graph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(f"{server}/sparql"))
    rows = list(graph.query(
        "SELECT ?t ?title WHERE { ?t a <https://w3id.org/policykg/ontology#Task> ; "
        "<http://purl.org/dc/terms/title> ?title }"))
    assert any("航空" in str(title) for _t, title in rows)
    task = URIRef(str(rows[0][0]))
    assert (task, None, None) in graph


def test_heavy_query_times_out_while_the_server_keeps_answering(server):
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    url = f"{server}/sparql?" + urllib.parse.urlencode({"query": heavy})
    outcome = {}

    def run_heavy():
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        try:
            urllib.request.urlopen(request, timeout=60)
            outcome["status"] = 200
        except urllib.error.HTTPError as exc:
            outcome["status"] = exc.code
            outcome["body"] = exc.read().decode()

    thread = threading.Thread(target=run_heavy)
    thread.start()
    time.sleep(0.3)
    answered = 0
    while thread.is_alive() and answered < 50:
        with urllib.request.urlopen(f"{server}/api/documents", timeout=30) as response:
            assert json.load(response)
        answered += 1
    thread.join()
    assert outcome["status"] == 503 and "sparql_timeout" in outcome["body"]
    assert answered >= 1
    ask = urllib.request.Request(f"{server}/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D",
                                 headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(ask, timeout=30) as response:
        assert json.load(response)["boolean"] is True
