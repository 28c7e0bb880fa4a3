"""kg.sparql: validation, negotiation, formats, row cap and timeouts on a small store."""
from __future__ import annotations

import csv
import io
import json
import threading
import time
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from policykg.kg import QueryError, QueryRefused, QueryTimeout, Settings
from policykg.kg.sparql import NotAcceptable, check_query, close_pool, example_queries, negotiate, run_query

EX = "http://example.org/"


class FakeGraph:
    """Just what run_query needs from a KnowledgeGraph: settings and the store path."""

    def __init__(self, path: str, **settings):
        self.settings = Settings.load({"store": path, **settings}, environ={})
        self.store = type("Store", (), {"path": path})()


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("sparql-store")
    store = ox.Store(str(path))
    for i in range(50):
        graph = ox.NamedNode(f"{EX}g{i % 2}")
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}label"),
                          ox.Literal(f"任务{i}", language="zh"), graph))
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}n"), ox.Literal(i), graph))
    store.flush()
    del store
    return str(path)


@pytest.fixture()
def kg(store_dir):
    graph = FakeGraph(store_dir, sparql_timeout=20, sparql_max_rows=1000)
    yield graph
    close_pool(graph)


def test_select_in_every_results_format(kg):
    q = f"SELECT ?s ?l WHERE {{ ?s <{EX}label> ?l }} ORDER BY ?s LIMIT 3"
    data = json.loads(run_query(kg, q).body)
    assert data["head"]["vars"] == ["s", "l"]
    assert data["results"]["bindings"][0]["l"] == {"type": "literal", "value": "任务0",
                                                   "xml:lang": "zh"}
    root = ET.fromstring(run_query(kg, q, accept="application/sparql-results+xml").body)
    assert len(root.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 3
    rows = list(csv.reader(io.StringIO(run_query(kg, q, accept="text/csv").body.decode())))
    assert rows[0] == ["s", "l"] and rows[1] == [f"{EX}s0", "任务0"]
    tsv = run_query(kg, q, accept="text/tab-separated-values").body.decode().splitlines()
    assert tsv[0] == "?s\t?l" and tsv[1] == f'<{EX}s0>\t"任务0"@zh'


def test_ask_and_construct(kg):
    assert json.loads(run_query(kg, "ASK { ?s ?p ?o }").body) == {"head": {}, "boolean": True}
    q = f"CONSTRUCT {{ ?s <{EX}label> ?l }} WHERE {{ ?s <{EX}label> ?l }} LIMIT 2"
    answer = run_query(kg, q)
    assert answer.media_type == "text/turtle" and answer.kind == "graph" and len(answer.rows) == 2
    assert len(ox.parse(answer.body, format=ox.RdfFormat.TURTLE).__iter__().__next__().subject.value)
    nt = run_query(kg, q, accept="application/n-triples").body.decode()
    assert nt.count(" .\n") == 2
    jsonld = json.loads(run_query(kg, q, accept="application/ld+json").body)
    assert len(jsonld) == 2


def test_prefixes_are_predeclared(kg):
    answer = run_query(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?l }")
    assert answer.rows[0][0]["value"] == "0"


def test_row_cap_truncates_and_says_so(store_dir):
    graph = FakeGraph(store_dir, sparql_max_rows=7)
    try:
        answer = run_query(graph, "SELECT * WHERE { ?s ?p ?o }")
        assert len(answer.rows) == 7 and answer.truncated
        assert "7" in answer.note and "note:" in answer.to_text()
        assert len(json.loads(answer.body)["results"]["bindings"]) == 7
    finally:
        close_pool(graph)


def test_dataset_from_protocol_parameters(kg):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert run_query(kg, q).rows[0][0]["value"] == "100"
    assert run_query(kg, q, default_graph_uris=[f"{EX}g0"]).rows[0][0]["value"] == "50"
    named = run_query(kg, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                      named_graph_uris=[f"{EX}g1"])
    assert [r[0]["value"] for r in named.rows] == [f"{EX}g1"]


@pytest.mark.parametrize("text", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL", "DROP GRAPH <http://a>", "CREATE GRAPH <http://a>",
    "SELECT * WHERE { SERVICE <http://remote/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://x> { ?s ?q ?r } } }",
])
def test_updates_and_service_are_refused(text):
    with pytest.raises(QueryRefused) as info:
        check_query(text)
    assert info.value.kind == "refused"


def test_service_in_a_comment_or_string_is_harmless():
    assert check_query('SELECT * WHERE { ?s ?p "SERVICE <http://x>" } # SERVICE <http://y>') == "select"


def test_syntax_error_has_the_parser_message():
    with pytest.raises(QueryError) as info:
        check_query("SELECT * WHERE { ?s ?p }")
    assert info.value.kind == "invalid" and "col" in str(info.value)


def test_negotiation():
    assert negotiate("text/csv;q=0.5, application/sparql-results+xml", "select") == \
        "application/sparql-results+xml"
    assert negotiate("*/*", "graph") == "text/turtle"
    assert negotiate("application/json", "graph") == "application/ld+json"
    with pytest.raises(NotAcceptable):
        negotiate("image/png", "select")
    with pytest.raises(NotAcceptable):
        negotiate("text/turtle", "select")


def test_example_queries_parse():
    examples = example_queries()
    assert len(examples) >= 4
    for example in examples:
        assert example["title"] and check_query(example["query"]) == "select"


def test_a_heavy_query_is_stopped_and_others_still_run(store_dir):
    graph = FakeGraph(store_dir, sparql_timeout=1)
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    try:
        run_query(graph, "ASK {}")  # start the workers
        answers = []
        side = threading.Thread(target=lambda: answers.append(run_query(graph, "ASK { ?s ?p ?o }")))
        started = time.monotonic()
        with pytest.raises(QueryTimeout) as info:
            side.start()
            run_query(graph, heavy)
        side.join()
        assert info.value.kind == "timeout"
        assert answers and answers[0].boolean is True
        assert time.monotonic() - started < 30  # generous: it was stopped, not run out
        assert run_query(graph, "ASK { ?s ?p ?o }").boolean is True
    finally:
        close_pool(graph)
