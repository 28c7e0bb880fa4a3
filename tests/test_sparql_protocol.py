"""The W3C SPARQL 1.1 Protocol and syntax-query tests, run against /sparql over HTTP.

The suites are copied in tests/data/w3c (W3C test-suite licence beside them).
The protocol runner reads the manifest: each test is one or more HTTP
requests with the status class and result format expected. The endpoint is
read-only, so the 14 update tests must be refused with a 4xx and a message.
"""
from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

W3C = Path(__file__).resolve().parent / "data" / "w3c"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
KASEI = "http://kasei.us/2009/09/sparql/data/"
BASE = "https://w3id.org/policykg/"  # the endpoint's base IRI (setting base_iri)


def _serve(app):
    """``app`` on waitress in a thread; returns (port, stop)."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:
        # closed in the loop's own thread: closed from here, its sockets vanished under the
        # loop's select (EBADF, an unhandled exception in that thread)
        server.trigger.pull_trigger(server.close)
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()

    return server.effective_port, stop


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """A store holding the suite's data1–3 as named graphs, served by the app."""
    from policykg.web.app import create_app
    from policykg.web.context import close_app

    path = tmp_path_factory.mktemp("w3c") / "store"
    store = ox.Store(str(path))
    for i in (1, 2, 3):
        store.load(path=str(W3C / "protocol" / f"data{i}.nt"), format=ox.RdfFormat.N_TRIPLES,
                   to_graph=ox.NamedNode(f"{KASEI}data{i}.rdf"))
    store.flush()
    del store
    app = create_app({"POLICYKG": {"store": str(path), "sparql_timeout": 20}, "TESTING": True})
    port, stop = _serve(app)
    yield port
    stop()
    close_app(app)


def _protocol_tests() -> list[tuple[str, list[dict]]]:
    graph = Graph().parse(W3C / "protocol" / "manifest.ttl", format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for test in Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(test, MF.action)
        requests = []
        for req in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(req, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName))] = str(graph.value(
                        header, HT.fieldValue))
            body = graph.value(req, HT.body)
            response = graph.value(req, HT.resp)
            requests.append({
                "method": str(graph.value(req, HT.methodName)),
                "path": str(graph.value(req, HT.absolutePath)).replace("/sparql/", "/sparql", 1),
                "headers": headers,
                "body": None if body is None else str(graph.value(body, CNT.chars)),
                "status": sorted(str(s).rsplit("StatusCode", 1)[1][0]
                                 for s in graph.objects(response, MF.expectedStatus)),
                "boolean": graph.value(response, MF.expectedBoolean),
                "format": graph.value(response, MF.expectedFormat),
            })
        tests.append((str(test).rsplit("#", 1)[1], requests))
    return tests


PROTOCOL = _protocol_tests()
UPDATE_TESTS = [t for t in PROTOCOL if "update" in t[0]]
QUERY_TESTS = [t for t in PROTOCOL if "update" not in t[0]]


def _send(port: int, req: dict) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = None if req["body"] is None else req["body"].encode("utf-8")
    conn.request(req["method"], req["path"], body=body, headers=req["headers"])
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.getheader("Content-Type") or "", data


def _boolean(content_type: str, body: bytes) -> bool:
    if "json" in content_type:
        return json.loads(body)["boolean"]
    root = ET.fromstring(body)
    return root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"


def test_the_suite_has_20_query_and_14_update_tests():
    assert (len(QUERY_TESTS), len(UPDATE_TESTS)) == (20, 14)


@pytest.mark.parametrize("name,requests", QUERY_TESTS, ids=[t[0] for t in QUERY_TESTS])
def test_w3c_protocol_query(endpoint, name, requests):
    for req in requests:
        status, content_type, body = _send(endpoint, req)
        assert str(status)[0] in req["status"], (name, status, body[:300])
        if req["format"] is None or str(status)[0] != "2":
            if str(status)[0] == "4":
                assert body.strip(), "a refusal says why"
            continue
        expected = str(req["format"])
        if expected == "boolean":
            value = _boolean(content_type, body)
            if req["boolean"] is not None:
                assert value == bool(req["boolean"].toPython()), name
        elif expected == "tabular":
            assert content_type.split(";")[0] in (
                "application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values"), content_type
        else:  # RDF: parses in the format it says it is
            media = content_type.split(";")[0].strip()
            fmt = ox.RdfFormat.from_media_type(media)
            assert fmt is not None, media
            list(ox.parse(body, format=fmt))


@pytest.mark.parametrize("name,requests", UPDATE_TESTS, ids=[t[0] for t in UPDATE_TESTS])
def test_w3c_protocol_update_is_refused(endpoint, name, requests):
    """A read-only endpoint: every update request gets a 4xx with a message, nothing changes."""
    before = _send(endpoint, {"method": "GET", "headers": {"Accept": "application/sparql-results+json"},
                              "body": None,
                              "path": "/sparql?query=" + urllib.parse.quote(
                                  "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")})[2]
    # the first request is the update; the ones after it (if any) query what it did
    status, _content_type, body = _send(endpoint, requests[0])
    assert 400 <= status < 500, (name, status)
    assert body.strip()
    for req in requests[1:]:
        _send(endpoint, req)
    after = _send(endpoint, {"method": "GET", "headers": {"Accept": "application/sparql-results+json"},
                             "body": None,
                             "path": "/sparql?query=" + urllib.parse.quote(
                                 "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")})[2]
    assert before == after


def _syntax_tests() -> list[tuple[str, bool, str]]:
    folder = W3C / "syntax-query"
    graph = Graph().parse(folder / "manifest.ttl", format="turtle")
    tests = []
    for kind, positive in ((MF.PositiveSyntaxTest11, True), (MF.NegativeSyntaxTest11, False)):
        for test in graph.subjects(RDF.type, kind):
            action = graph.value(test, MF.action)
            name = str(action).rsplit("/", 1)[1]
            tests.append((name, positive, (folder / name).read_text(encoding="utf-8")))
    return sorted(tests)


SYNTAX = _syntax_tests()


def _oxigraph_accepts(query: str) -> bool:
    try:
        result = ox.Store().query(query, base_iri=BASE)
        del result
        return True
    except SyntaxError:
        return False
    except RuntimeError:  # parsed, then refused at evaluation (an unknown custom function)
        return True


@pytest.mark.parametrize("name,positive,query", SYNTAX, ids=[t[0] for t in SYNTAX])
def test_w3c_syntax_query(endpoint, name, positive, query):
    """What Oxigraph accepts /sparql accepts; what it refuses gets a 400 with a message."""
    accepted = _oxigraph_accepts(query)
    status, _type, body = _send(endpoint, {
        "method": "POST", "path": "/sparql", "body": query,
        "headers": {"Content-Type": "application/sparql-query",
                    "Accept": "application/sparql-results+json, text/turtle"}})
    if accepted:
        assert status in (200, 400) and (status == 200 or b"not supported" in body), \
            (name, status, body[:300])
    else:
        assert status == 400 and body.strip(), (name, status)
    if positive:
        assert accepted or name in _OXIGRAPH_REFUSES, f"Oxigraph refuses positive test {name}"


# positive syntax tests this Oxigraph version refuses (none known; kept to name them if any appear)
_OXIGRAPH_REFUSES: frozenset[str] = frozenset()


@pytest.mark.parametrize("text", [
    "query=ASK+%7B%7D&format=json",
    "query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D&output=",
    "query=%E4%B8%AD%E6%96%87&x&a%3Db=%3D%3D",
    "query=50%25+off&format=%zz",  # a percent sign not followed by two hex digits
    "query=ASK%7B%7D%",  # a percent sign at the end
    "query=ASK%7B%7D%4",
    "query=a\nb&format=json",  # line breaks are not quoted-printable's to decode
    "query=a\r\nb",
    "query=%FF%FE&format=csv",  # bytes that are not UTF-8
    "query=a=b=c&&format=tsv",
])
def test_the_thin_path_reads_query_strings_as_parse_qsl_does(text):
    from policykg.web.views.sparql import _parse_qs

    assert _parse_qs(text) == urllib.parse.parse_qsl(text, keep_blank_values=True,
                                                     errors="replace")
