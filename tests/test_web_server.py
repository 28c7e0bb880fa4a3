"""/sparql over real HTTP (waitress): every client's defaults, HEAD, CORS, limits, concurrency."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from policykg.kg import KnowledgeGraph
from test_sparql_protocol import _serve

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
POL = "https://w3id.org/policykg/ontology#"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from policykg.web.app import create_app
    from policykg.web.context import close_app, kg_of

    path = str(tmp_path_factory.mktemp("served") / "store")
    with KnowledgeGraph.open({"store": path}) as kg:
        kg.build([str(REPO / "data")], embed=False)
    app = create_app({"POLICYKG": {"store": path, "sparql_timeout": 3,
                                   "sparql_max_bytes": 200_000}})
    kg_of(app).sparql().warm(wait=True)  # the first test's 3 s limit is not for start-ups
    port, stop = _serve(app)
    yield f"http://127.0.0.1:{port}"
    stop()
    close_app(app)


def _get(url: str, headers: dict | None = None, method: str = "GET", data: bytes | None = None):
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _q(server: str, query: str, **params) -> str:
    return f"{server}/sparql?" + urllib.parse.urlencode({"query": query, **params})


QUERIES = {
    "SELECT": f"SELECT ?t ?title WHERE {{ ?t a <{POL}Task> ; <http://purl.org/dc/terms/title> ?title }} LIMIT 5",
    "ASK": f"ASK {{ ?t a <{POL}Task> }}",
    "CONSTRUCT": f"CONSTRUCT {{ ?t a <{POL}Task> }} WHERE {{ ?t a <{POL}Task> }} LIMIT 5",
    "DESCRIBE": f"DESCRIBE ?t WHERE {{ ?t a <{POL}Task> }} LIMIT 1",
}
RETURN_FORMATS = ["JSON", "XML", "CSV", "TSV", "TURTLE", "N3", "RDFXML", "JSONLD"]


@pytest.mark.parametrize("form", list(QUERIES))
@pytest.mark.parametrize("fmt", RETURN_FORMATS)
def test_sparqlwrapper_with_its_defaults(server, form, fmt):
    """SPARQLWrapper sends its own format/output parameters; every combination answers."""
    SPARQLWrapper = pytest.importorskip("SPARQLWrapper")
    import warnings

    client = SPARQLWrapper.SPARQLWrapper(f"{server}/sparql")
    client.setQuery(QUERIES[form])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns when a format does not fit the query form
        client.setReturnFormat(getattr(SPARQLWrapper, fmt))
        result = client.query()
        converted = result.convert()
    assert result.response.status == 200
    if form == "ASK" and isinstance(converted, dict):
        assert converted["boolean"] is True
    elif form == "SELECT" and isinstance(converted, dict):
        assert len(converted["results"]["bindings"]) == 5
    elif hasattr(converted, "getElementsByTagName"):  # SPARQL XML results as a DOM
        found = converted.getElementsByTagName("result") or converted.getElementsByTagName("boolean")
        assert found
    else:
        assert len(converted) > 0


def test_rdflib_sparqlstore_sees_every_triple(server):
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    status, _h, body = _get(_q(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
                            {"Accept": "application/sparql-results+json"})
    expected = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
    assert status == 200 and expected > 10_000
    graph = Graph(store=SPARQLStore(f"{server}/sparql"))
    assert sum(1 for _ in graph.triples((None, None, None))) == expected
    rows = list(graph.query(f"SELECT ?t ?title WHERE {{ ?t a <{POL}Task> ; "
                            "<http://purl.org/dc/terms/title> ?title }"))
    assert any("航空" in str(title) for _t, title in rows)


def test_roqet_reads_a_select_and_gets_what_its_one_accept_header_allows(server):
    """roqet (Debian's rasqal-utils) sends every query with ``Accept:
    application/sparql-results+xml`` and reads only that format: its SELECT rows come back
    whole; an ASK is that format's boolean, a CONSTRUCT a 406 (as from Oxigraph's server)."""
    import shutil
    import subprocess

    roqet = shutil.which("roqet")
    if roqet is None:
        pytest.skip("roqet is not installed (Debian package rasqal-utils; .ci/run installs it)")
    run = subprocess.run([roqet, "-p", f"{server}/sparql", "-e", QUERIES["SELECT"]],
                         capture_output=True, text=True, timeout=60)
    rows = [line for line in run.stdout.splitlines() if line.startswith("row: ")]
    assert run.returncode == 0 and len(rows) == 5, run.stderr
    assert all("t=uri<https://w3id.org/policykg/doc/" in row and "title=string(" in row
               for row in rows)
    accept = {"Accept": "application/sparql-results+xml"}
    status, headers, body = _get(_q(server, QUERIES["ASK"]), accept)
    assert status == 200 and headers["Content-Type"].startswith(accept["Accept"])
    assert b"<boolean>true</boolean>" in body
    status, _h, body = _get(_q(server, QUERIES["CONSTRUCT"]), accept)
    assert status == 406 and b"Turtle" in body  # the message names what is offered


def test_head_text_plain_and_quad_formats(server):
    status, headers, body = _get(_q(server, QUERIES["SELECT"]), method="HEAD")
    assert status == 200 and body == b"" and headers["Content-Type"].startswith(
        "application/sparql-results+json")
    status, headers, body = _get(_q(server, QUERIES["SELECT"]), {"Accept": "text/plain"})
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert body.decode().splitlines()[0] == "?t\t?title"
    for media, fmt in (("application/n-quads", ox.RdfFormat.N_QUADS),
                       ("application/trig", ox.RdfFormat.TRIG)):
        status, headers, body = _get(_q(server, QUERIES["CONSTRUCT"]), {"Accept": media})
        assert status == 200 and headers["Content-Type"].startswith(media)
        assert len(list(ox.parse(body, format=fmt))) == 5


def test_format_parameter_wins_when_known_and_is_ignored_otherwise(server):
    status, headers, _ = _get(_q(server, QUERIES["SELECT"], format="csv"),
                              {"Accept": "application/sparql-results+json"})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    status, headers, _ = _get(_q(server, QUERIES["SELECT"], format="no-such-format"),
                              {"Accept": "application/sparql-results+xml"})
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+xml")
    status, headers, _ = _get(_q(server, QUERIES["CONSTRUCT"], output="rdf+xml"))
    assert status == 200 and headers["Content-Type"].startswith("application/rdf+xml")


def test_cors_for_sparql_and_the_api(server):
    status, headers, _ = _get(_q(server, QUERIES["ASK"]), {"Origin": "http://yasgui.example"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in headers
    status, headers, _ = _get(f"{server}/sparql", {
        "Origin": "http://yasgui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"}, method="OPTIONS")
    assert status == 200 and "POST" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Headers"] == "content-type"
    status, headers, _ = _get(f"{server}/api/documents", {"Origin": "http://yasgui.example"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    status, headers, _ = _get(f"{server}/documents", {"Origin": "http://yasgui.example"})
    assert "Access-Control-Allow-Origin" not in headers


def test_cors_can_be_turned_off(tmp_path):
    from policykg.web.app import create_app
    from policykg.web.context import close_app

    store = ox.Store(str(tmp_path / "store"))
    store.flush()
    del store
    app = create_app({"POLICYKG": {"store": str(tmp_path / "store"), "cors": ""}, "TESTING": True})
    try:
        response = app.test_client().get("/sparql?query=ASK%7B%7D",
                                         headers={"Origin": "http://elsewhere.example"})
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response.headers
    finally:
        close_app(app)


@pytest.mark.parametrize("media,fmt", [("text/turtle", ox.RdfFormat.TURTLE),
                                       ("application/rdf+xml", ox.RdfFormat.RDF_XML),
                                       ("application/ld+json", ox.RdfFormat.JSON_LD),
                                       ("application/n-triples", ox.RdfFormat.N_TRIPLES)])
def test_service_description_is_negotiated_and_names_the_default_dataset(server, media, fmt):
    status, headers, body = _get(f"{server}/sparql", {"Accept": media})
    assert status == 200 and headers["Content-Type"].startswith(media)
    triples = list(ox.parse(body, format=fmt))
    predicates = {t.predicate.value.rsplit("#", 1)[1] for t in triples}
    assert {"endpoint", "defaultDataset", "defaultGraph", "resultFormat"} <= predicates


@pytest.mark.parametrize("params,needle", [
    ({"query": "ASK {}", "default-graph-uri": "x y"}, b"default-graph-uri"),
    ({"query": "ASK {}", "named-graph-uri": "abc"}, b"named-graph-uri"),
    ({"query": "SELECT * WHERE { ?s ?p }"}, b"syntax error"),
    ({"query": "SELECT ?x WHERE { ?x foo:bar ?o }"},
     "syntax error at 1:29: 未定义的前缀 undefined prefix foo:".encode()),
])
def test_bad_parameters_are_400_with_a_message(server, params, needle):
    status, _h, body = _get(f"{server}/sparql?" + urllib.parse.urlencode(params),
                            {"Accept": "application/sparql-results+json"})
    assert status == 400 and needle in body


def test_two_queries_and_oversized_requests(server):
    status, _h, body = _get(f"{server}/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert status == 400 and b"exactly one" in body
    big = ("SELECT * WHERE { VALUES ?x { " + " ".join(str(i) for i in range(40_000)) + " } }")
    status, _h, body = _get(f"{server}/sparql", {"Content-Type": "application/sparql-query"},
                            method="POST", data=big.encode())
    assert status == 413 and b"sparql_max_bytes" in body
    status, _h, _b = _get(f"{server}/sparql", {"Content-Type": "application/sparql-update"},
                          method="POST", data=b"CLEAR ALL")
    assert status == 403


def test_20_concurrent_prefixed_queries_all_answer(server):
    url = _q(server, "SELECT (COUNT(*) AS ?n) WHERE { ?t a pol:Task ; dcterms:title ?x }")
    statuses = []

    def ask():
        statuses.append(_get(url, {"Accept": "application/sparql-results+json"})[0])

    for _ in range(2):
        threads = [threading.Thread(target=ask) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses == [200] * 40
    for example in KnowledgeGraph.example_queries(None):  # type: ignore[arg-type]
        status, _h, body = _get(_q(server, example["query"]),
                                {"Accept": "application/sparql-results+json"})
        assert status == 200, (example["name"], body[:200])


def test_heavy_query_times_out_while_the_server_keeps_answering(server):
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    outcome = {}

    def run_heavy():
        status, _h, body = _get(_q(server, heavy), {"Accept": "application/sparql-results+json"})
        outcome.update(status=status, body=body.decode())

    thread = threading.Thread(target=run_heavy)
    thread.start()
    time.sleep(0.3)
    answered = 0
    while thread.is_alive() and answered < 50:
        status, _h, body = _get(f"{server}/api/documents")
        assert status == 200 and json.loads(body)
        status, _h, _b = _get(_q(server, QUERIES["ASK"]))
        assert status == 200
        answered += 1
    thread.join()
    assert outcome["status"] == 503 and "sparql_timeout" in outcome["body"]
    assert answered >= 1
    assert _get(_q(server, QUERIES["ASK"]))[0] == 200


def test_the_query_page_offers_its_result_as_csv(server):
    import csv
    import html
    import io
    import re

    query = "SELECT ?t ?title WHERE { ?t a pol:Task ; dcterms:title ?title } ORDER BY ?t"
    status, _h, page = _get(_q(server, query, format="html"), {"Accept": "text/html"})
    text = page.decode()
    assert status == 200
    shown = int(re.search(r'id="results" data-rows="(\d+)"', text).group(1))
    href = html.unescape(re.search(r'<a href="([^"]+)" id="sparql-csv"', text).group(1))
    status, headers, body = _get(server + href, {"Accept": "text/html"})  # a browser's Accept
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert table[0] == ["t", "title"] and len(table) - 1 == shown > 0
    assert "format=csv" in _get(f"{server}/static/sparql.js")[2].decode()  # the editor's button


def test_the_thin_path_answers_as_the_app_does(server):
    """A plain GET is answered by the thin WSGI path; with an Origin header it goes through the
    Flask view: the same status, type and bytes."""
    for query in QUERIES.values():
        for accept in ("application/sparql-results+json, text/turtle;q=0.9", "text/plain", "*/*"):
            thin = _get(_q(server, query), {"Accept": accept})
            full = _get(_q(server, query), {"Accept": accept, "Origin": "http://elsewhere.example"})
            assert thin[0] == full[0] == 200
            assert thin[1]["Content-Type"] == full[1]["Content-Type"]
            assert thin[2] == full[2] or query.startswith("DESCRIBE") or "CONSTRUCT" in query
    bad = _get(_q(server, "SELECT * WHERE { ?s ?p }"), {"Accept": "application/sparql-results+json"})
    assert bad[0] == 400 and b"syntax" in bad[2].lower()
