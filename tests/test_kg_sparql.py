"""kg.sparql: checking, formats, dataset rules, limits and the private build index, on a small store."""
from __future__ import annotations

import csv
import io
import json
import threading
import time
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from policykg.kg import KnowledgeGraph, NotAcceptable, QueryError, QueryRefused, QueryTimeout, TooLarge
from policykg.kg.sparql import check_query, example_queries

EX = "http://example.org/"
INDEX = "https://w3id.org/policykg/graph/index"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    """Two named graphs of 50 triples each, and a build index holding a local path."""
    path = tmp_path_factory.mktemp("sparql-store") / "store"
    store = ox.Store(str(path))
    for i in range(50):
        graph = ox.NamedNode(f"{EX}g{i % 2}")
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}label"),
                          ox.Literal(f"任务{i}", language="zh"), graph))
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}n"), ox.Literal(i), graph))
    store.add(ox.Quad(ox.NamedNode("file:///home/someone/data/a.txt"),
                      ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                      ox.Literal("/home/someone/data/a.txt"), ox.NamedNode(INDEX)))
    store.flush()
    del store
    return str(path)


def _open(path: str, *, read_only: bool = True, **settings) -> KnowledgeGraph:
    """A graph over ``path``; read-only beside the module's graph, which holds the store."""
    return KnowledgeGraph.open({"store": path, "sparql_timeout": 20, **settings},
                               read_only=read_only)


@pytest.fixture(scope="module")
def kg(store_dir):
    graph = _open(store_dir, read_only=False)
    yield graph
    graph.close()


def rows(answer) -> list[list[str | None]]:
    table = answer.table()
    return [[None if c is None else c["value"] for c in row] for row in table.rows]


def test_select_in_every_results_format(kg):
    q = f"SELECT ?s ?l WHERE {{ ?s <{EX}label> ?l }} ORDER BY ?s LIMIT 3"
    data = json.loads(kg.query(q).read())
    assert data["head"]["vars"] == ["s", "l"]
    assert data["results"]["bindings"][0]["l"] == {"type": "literal", "value": "任务0",
                                                   "xml:lang": "zh"}
    root = ET.fromstring(kg.query(q, results_format="xml").read())
    assert len(root.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 3
    table = list(csv.reader(io.StringIO(kg.query(q, results_format="csv").read().decode())))
    assert table[0] == ["s", "l"] and table[1] == [f"{EX}s0", "任务0"]
    tsv = kg.query(q, results_format="tsv").read().decode().splitlines()
    assert tsv[0] == "?s\t?l" and tsv[1] == f'<{EX}s0>\t"任务0"@zh'


def test_ask_and_construct_in_graph_and_dataset_formats(kg):
    assert json.loads(kg.query("ASK { ?s ?p ?o }").read()) == {"head": {}, "boolean": True}
    q = f"CONSTRUCT {{ ?s <{EX}label> ?l }} WHERE {{ ?s <{EX}label> ?l }} LIMIT 2"
    answer = kg.query(q)
    assert answer.media_type == "text/turtle" and answer.kind == "graph"
    assert len(answer.table().rows) == 2
    for name, fmt in (("nt", ox.RdfFormat.N_TRIPLES), ("jsonld", ox.RdfFormat.JSON_LD),
                      ("rdfxml", ox.RdfFormat.RDF_XML), ("nq", ox.RdfFormat.N_QUADS),
                      ("trig", ox.RdfFormat.TRIG)):
        assert len(list(ox.parse(kg.query(q, graph_format=name).read(), format=fmt))) == 2, name


def test_a_kind_without_an_accepted_format_is_not_acceptable(kg):
    with pytest.raises(NotAcceptable):
        kg.query("ASK {}", results_format=None)
    with pytest.raises(NotAcceptable):
        kg.query("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=None)


def test_prefixes_are_predeclared_and_relative_iris_resolve(kg):
    answer = kg.query("SELECT (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?l }")
    assert rows(answer) == [["0"]]  # the build index's label is not visible
    assert rows(kg.query("SELECT ?x WHERE { BIND(<doc/a> AS ?x) }")) == \
        [["https://w3id.org/policykg/doc/a"]]


def test_the_build_index_is_not_queryable(kg):
    graphs = {r[0] for r in rows(kg.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"))}
    assert graphs == {f"{EX}g0", f"{EX}g1"}
    body = kg.query("SELECT * WHERE { ?s ?p ?o }", results_format="tsv").read().decode()
    assert "file:" not in body and "/home/someone" not in body
    assert rows(kg.query(f"SELECT * FROM <{INDEX}> WHERE {{ ?s ?p ?o }}")) == []
    assert rows(kg.query(f"SELECT * WHERE {{ GRAPH <{INDEX}> {{ ?s ?p ?o }} }}")) == []
    assert rows(kg.query("SELECT * WHERE { ?s ?p ?o }", default_graph_uris=[INDEX])) == []


def test_dataset_rules(kg):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert rows(kg.query(count)) == [["100"]]  # the union of the graphs
    assert rows(kg.query(count, default_graph_uris=[f"{EX}g0"])) == [["50"]]
    assert rows(kg.query(f"SELECT (COUNT(*) AS ?n) FROM <{EX}g1> WHERE {{ ?s ?p ?o }}")) == [["50"]]
    # protocol parameters override FROM
    assert rows(kg.query(f"SELECT (COUNT(*) AS ?n) FROM <{EX}g1> WHERE {{ ?s ?p ?o }}",
                         default_graph_uris=[f"{EX}g0", f"{EX}g1"])) == [["100"]]
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert rows(kg.query(named, named_graph_uris=[f"{EX}g1"])) == [[f"{EX}g1"]]
    # a lone default-graph-uri: no named graphs; a lone named-graph-uri: an empty default graph
    assert rows(kg.query(named, default_graph_uris=[f"{EX}g0"])) == []
    assert rows(kg.query(count, named_graph_uris=[f"{EX}g0"])) == [["0"]]
    assert rows(kg.query(f"SELECT DISTINCT ?g FROM NAMED <{EX}g0> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")) \
        == [[f"{EX}g0"]]
    assert rows(kg.query(f"ASK FROM <{EX}g0> {{ <{EX}s1> ?p ?o }}")) == [] and \
        kg.query(f"ASK FROM <{EX}g0> {{ <{EX}s1> ?p ?o }}").table().boolean is False


def test_a_row_cap_is_an_error_never_a_cut(store_dir):
    graph = _open(store_dir, sparql_max_rows=7)
    try:
        with pytest.raises(TooLarge) as info:
            graph.query("SELECT * WHERE { ?s ?p ?o }", results_format="csv")
        assert "sparql_max_rows" in str(info.value) and "100" in str(info.value)
        with pytest.raises(TooLarge):
            graph.query("CONSTRUCT WHERE { ?s ?p ?o }")
        assert len(rows(graph.query("SELECT * WHERE { ?s ?p ?o } LIMIT 7"))) == 7
    finally:
        graph.close()


def test_big_answers_stream_whole(kg):
    q = ("SELECT ?a ?b WHERE { ?a ?p ?x . ?b ?q ?y }")  # 10,000 rows, about 1 MB
    answer = kg.query(q, results_format="tsv")
    chunks = list(answer.chunks)
    assert len(chunks) > 1
    assert b"".join(chunks).count(b"\n") == 10_001


UPDATES = ["INSERT DATA { <http://a> <http://b> <http://c> }",
           "DELETE DATA { <http://a> <http://b> <http://c> }",
           "DELETE WHERE { ?s ?p ?o }",
           "INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }",
           "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
           "LOAD <http://example.org/data.ttl>", "LOAD SILENT <http://x> INTO GRAPH <http://g>",
           "CLEAR ALL", "CLEAR DEFAULT", "CLEAR NAMED", "CLEAR GRAPH <http://example.org/g0>",
           "DROP ALL", "DROP SILENT GRAPH <http://example.org/g0>", "CREATE GRAPH <http://a>",
           "ADD <http://example.org/g0> TO <http://x>", "MOVE DEFAULT TO <http://x>",
           "COPY <http://example.org/g1> TO DEFAULT"]
SERVICES = ["SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://127.0.0.1:9> { ?s ?q ?r } } }",
            "ASK { SERVICE ?x { ?s ?p ?o } }",
            "CONSTRUCT WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
            "SELECT * { { SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } } }",
            "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }"]


def _variants() -> list[str]:
    """181 spellings: each text as is, lower case, after a prologue, with comments and spaces."""
    out = []
    for text in UPDATES + SERVICES:
        out += [text, text.lower(), "PREFIX ex: <http://example.org/>\n" + text,
                "# a comment\n" + text.replace(" ", "\n  "), f"BASE <http://example.org/> {text}",
                text.replace(" ", "\t"), "\n\n" + text + " # SERVICE"]
    out += [f"{UPDATES[0]} ; {u}" for u in UPDATES[1:]]
    out += ["SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <http://a> <http://b> <http://c> }",
            "PREFIX SERVICE: <http://127.0.0.1:9/> SELECT * { SERVICE:x ?p ?o }",
            'SELECT * WHERE { ?s ?p ?o } ; LOAD <http://x>',
            "select * { sErViCe <http://127.0.0.1:9/> { ?s ?p ?o } }"]
    return out


VARIANTS = _variants()


def test_181_update_load_clear_service_variants_are_refused_and_nothing_changes(kg):
    assert len(VARIANTS) == 181
    before = kg.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g ?s ?p ?o",
                      results_format="tsv").read()
    for text in VARIANTS:
        with pytest.raises((QueryRefused, QueryError)) as info:
            kg.query(text).read()
        assert info.value.kind in ("refused", "invalid"), text
    after = kg.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g ?s ?p ?o",
                     results_format="tsv").read()
    assert before == after


@pytest.mark.parametrize("text", UPDATES[:3] + SERVICES[:2])
def test_updates_and_service_are_refused_as_such(text):
    with pytest.raises(QueryRefused) as info:
        check_query(text)
    assert info.value.kind == "refused"


def test_service_in_a_comment_string_or_variable_is_harmless(kg):
    text = 'SELECT ?SERVICE WHERE { BIND("SERVICE <http://x>" AS ?SERVICE) } # SERVICE <http://y>'
    assert check_query(text).form == "select"
    assert rows(kg.query(text)) == [["SERVICE <http://x>"]]


def test_syntax_error_has_the_parser_message(kg):
    with pytest.raises(QueryError) as info:
        kg.query("SELECT * WHERE { ?s ?p }")
    assert info.value.kind == "invalid" and "1:25" in str(info.value)


def test_example_queries_parse():
    examples = example_queries()
    assert len(examples) >= 4
    for example in examples:
        assert example["title"] and check_query(example["query"]).form == "select"


def test_deep_and_long_valid_queries_are_accepted(kg):
    nested = "SELECT ?x WHERE { BIND(" + "(" * 30 + "1" + ")" * 30 + " AS ?x) }"
    assert rows(kg.query(nested)) == [["1"]]
    patterns = " . ".join(f"?s <{EX}n> ?o{i}" for i in range(100))
    assert len(rows(kg.query(f"SELECT ?s WHERE {{ {patterns} }} LIMIT 3"))) == 3


def test_a_100000_value_values_block_is_answered_within_the_time_limit(kg):
    values = " ".join(str(i) for i in range(100_000))
    started = time.monotonic()
    answer = kg.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?x {{ {values} }} }}")
    assert rows(answer) == [["100000"]]
    assert time.monotonic() - started < 20


def test_concurrent_prefixed_queries_all_succeed(kg):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?l . ?s a ?t }"
    errors, answers = [], []

    def ask():
        try:
            answers.append(rows(kg.query(q)))
        except Exception as exc:  # noqa: BLE001 - collected and asserted
            errors.append(exc)

    for _ in range(2):
        threads = [threading.Thread(target=ask) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors and answers == [[["0"]]] * 40


def test_a_new_build_is_seen_by_the_next_query(tmp_path):
    path = tmp_path / "store"
    store = ox.Store(str(path))
    store.add(ox.Quad(ox.NamedNode(f"{EX}a"), ox.NamedNode(f"{EX}p"), ox.Literal(1), ox.NamedNode(f"{EX}g")))
    store.flush()
    del store
    with _open(str(path), read_only=False) as graph:
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        assert rows(graph.query(count)) == [["1"]]
        from rdflib import Graph, Literal, URIRef

        more = Graph()
        more.add((URIRef(f"{EX}b"), URIRef(f"{EX}p"), Literal(2)))
        graph.store.replace_graph(f"{EX}h", more)
        assert rows(graph.query(count)) == [["2"]]


def _warm(graph: KnowledgeGraph, workers: int) -> None:
    """Run ``workers`` queries at once until all answer: every worker started and idle (a
    start-up counts against the time limit, so on a busy machine the first tries may time out)."""
    graph.sparql().warm(wait=True)
    for _ in range(60):
        outcomes: list[bool] = []

        def ask() -> None:
            try:
                outcomes.append(graph.query("ASK {}").table().boolean is True)
            except QueryTimeout:
                outcomes.append(False)

        threads = [threading.Thread(target=ask) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if all(outcomes):
            return
        time.sleep(0.5)
    raise AssertionError("the query workers never became ready")


RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


def _slow_start(path: str, memory_mb: int) -> list[str]:
    """A worker that takes 4 s to start (a loaded machine, exaggerated)."""
    import sys

    return [sys.executable, "-c", "import runpy, time; time.sleep(4); "
            "runpy.run_module('policykg.kg.sparql.worker', run_name='__main__')",
            path, str(memory_mb)]


def test_a_worker_start_up_counts_against_the_time_limit(store_dir, monkeypatch):
    from policykg.kg.sparql import process

    monkeypatch.setattr(process, "_worker_argv", _slow_start)
    graph = _open(store_dir, sparql_timeout=1, sparql_workers=1)
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout) as info:
            graph.query("ASK {}")
        assert time.monotonic() - started < 1 + 2.5  # the 4 s start-up was not added to it
        assert "sparql_timeout" in str(info.value)
        # the worker finishes starting in the background and serves the next queries
        _warm(graph, 1)
        assert graph.query("ASK { ?s ?p ?o }").table().boolean is True
    finally:
        graph.close()


def test_queries_waiting_for_busy_or_replaced_workers_end_at_the_limit(store_dir):
    graph = _open(store_dir, sparql_timeout=2, sparql_workers=2)
    try:
        _warm(graph, 2)
        # 8 runaways on 2 workers: 2 run and are killed, 6 wait; then 8 more while the
        # killed workers are being replaced. Each ends with a timeout near its limit.
        for _ in range(2):
            outcomes: list[tuple[str, float]] = []

            def run() -> None:
                begun = time.monotonic()
                try:
                    graph.query(RUNAWAY).read()
                    what = "answered"
                except QueryTimeout:
                    what = "timeout"
                outcomes.append((what, time.monotonic() - begun))

            threads = [threading.Thread(target=run) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [what for what, _ in outcomes] == ["timeout"] * 8
            assert max(elapsed for _, elapsed in outcomes) < 2 + 5  # generous, but bounded
        _warm(graph, 2)
        assert graph.query("ASK { ?s ?p ?o }").table().boolean is True
    finally:
        graph.close()


def test_a_heavy_query_is_stopped_and_others_still_run(store_dir):
    graph = _open(store_dir, sparql_timeout=1, sparql_workers=2)
    try:
        _warm(graph, 2)
        answers = []
        side = threading.Thread(target=lambda: answers.append(
            graph.query("ASK { ?s ?p ?o }").table().boolean))
        started = time.monotonic()
        with pytest.raises(QueryTimeout) as info:
            side.start()
            graph.query(RUNAWAY)
        side.join()
        assert info.value.kind == "timeout" and "sparql_timeout" in str(info.value)
        assert answers == [True]
        assert time.monotonic() - started < 30  # generous: it was stopped, not run out
        assert graph.query("ASK { ?s ?p ?o }").table().boolean is True
    finally:
        graph.close()


def test_a_query_needing_too_much_memory_is_stopped_with_a_clear_error(store_dir):
    graph = _open(store_dir, sparql_memory=150, sparql_timeout=60)
    try:
        heavy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
        started = time.monotonic()
        with pytest.raises(TooLarge) as info:
            graph.query(heavy, results_format="tsv").read()
        assert "sparql_memory" in str(info.value) and "150 MB" in str(info.value)
        assert time.monotonic() - started < 60
        assert graph.query("ASK { ?s ?p ?o }").table().boolean is True
    finally:
        graph.close()


def test_a_long_query_gives_way_to_a_waiting_short_one(store_dir):
    # one worker, a runaway on it and a 20 s limit: without shedding the short query would
    # wait about 20 s for the worker; with it, the runaway is stopped as "busy" after 1 s
    graph = _open(store_dir, sparql_timeout=20, sparql_workers=1, sparql_shed_after=1)
    try:
        _warm(graph, 1)
        outcome: list[str] = []

        def runaway() -> None:
            try:
                graph.query(RUNAWAY).read()
                outcome.append("answered")
            except QueryTimeout as exc:
                outcome.append(str(exc))

        thread = threading.Thread(target=runaway)
        thread.start()
        pool = graph._sparql._workers()
        for _ in range(100):  # until the runaway holds the worker (a loaded machine may be slow)
            if pool._busy:
                break
            time.sleep(0.05)
        started = time.monotonic()
        assert graph.query("ASK { ?s ?p ?o }").table().boolean is True
        assert time.monotonic() - started < 15  # 1 s, then a worker restart, far from 20 s
        thread.join()
        assert len(outcome) == 1 and "server is busy" in outcome[0] and "sparql_shed_after" in outcome[0]
    finally:
        graph.close()


def test_a_request_seen_to_be_cheap_is_answered_inline_with_the_same_bytes(store_dir):
    graph = _open(store_dir, sparql_workers=1)
    try:
        query = "SELECT ?s WHERE { ?s a pol:Task } ORDER BY ?s"
        first = graph.query(query, results_format="csv").read()  # a worker answers and times it
        pool = graph._sparql._workers()  # the pool itself: what is under test is where it runs
        for _ in range(50):  # a worker's round trip under 5 ms (on a loaded machine, not every time)
            if pool.inline.answered:
                break
            assert graph.query(query, results_format="csv").read() == first
        assert pool.inline.answered == 1
        before = pool.inline.answered
        again = graph.query(query, results_format="csv").read()
        assert pool.inline.answered == before + 1 and again == first
        # another format or dataset is another request: a worker answers it first
        graph.query(query, results_format="json").read()
        assert pool.inline.answered == before + 1
        # errors are never learned; a query that failed in a worker fails there again
        with pytest.raises(QueryError):
            graph.query("SELECT ?s WHERE { ?s ?p }")
        with pytest.raises(QueryError):
            graph.query("SELECT ?s WHERE { ?s ?p }")
        assert pool.inline.answered == before + 1
    finally:
        graph.close()


def test_the_store_files_signature_follows_every_kind_of_change(tmp_path):
    from policykg.kg.sparql.snapshot import StoreFiles, signature

    (tmp_path / "000010.sst").write_bytes(b"x")
    (tmp_path / "000011.log").write_bytes(b"x")
    (tmp_path / "MANIFEST-000012").write_bytes(b"x")
    files = StoreFiles(str(tmp_path))
    first = files.signature()
    assert first == signature(str(tmp_path)) and files.signature() == first
    with open(tmp_path / "000011.log", "ab") as log:  # a transaction appended to the log
        log.write(b"y")
    grown = files.signature()
    assert grown != first and grown == signature(str(tmp_path))
    (tmp_path / "000013.sst").write_bytes(b"x")  # a flush: a new file
    assert files.signature() == signature(str(tmp_path)) != grown
    (tmp_path / "000010.sst").unlink()  # a compaction removed one
    assert files.signature() == signature(str(tmp_path))


def test_answers_asked_again_are_kept_per_snapshot_unless_they_may_change(store_dir, tmp_path):
    import shutil

    from rdflib import Graph, Literal, URIRef

    path = str(tmp_path / "store")
    shutil.copytree(store_dir, path)
    graph = _open(path, read_only=False, sparql_workers=1)
    try:
        query = f"SELECT ?s ?n WHERE {{ ?s <{EX}n> ?n }} ORDER BY ?n"
        first = graph.query(query).read()
        pool = graph._sparql._workers()  # the pool itself: where the answer comes from
        for _ in range(50):  # until a worker's round trip was under 5 ms (a loaded machine)
            if pool.inline.answered:
                break
            graph.query(query).read()
        assert pool.inline.answered  # evaluated inline once, its answer kept
        reused = pool.inline.reused
        assert graph.query(query).read() == first and pool.inline.reused == reused + 1
        # a query calling NOW() is evaluated every time, never answered from the kept ones
        now = "SELECT (NOW() AS ?t) WHERE {}"
        for _ in range(5):
            graph.query(now).read()
        reused = pool.inline.reused
        graph.query(now).read()
        assert pool.inline.reused == reused
        # a write to the store: the next answer is the new data's, not the kept one
        added = Graph()
        added.add((URIRef(f"{EX}s99"), URIRef(f"{EX}n"), Literal(-1)))
        graph.store.replace_graph(f"{EX}g9", added)
        graph.store.flush()
        after = json.loads(graph.query(query).read())["results"]["bindings"]
        assert len(after) == 51 and after[0]["s"]["value"] == f"{EX}s99"
    finally:
        graph.close()


def test_no_answers_are_kept_with_sparql_cache_0(store_dir):
    graph = _open(store_dir, sparql_workers=1, sparql_cache=0)
    try:
        query = f"SELECT ?s WHERE {{ ?s <{EX}n> ?n }} ORDER BY ?s"
        first = graph.query(query).read()
        pool = graph._sparql._workers()
        for _ in range(20):
            assert graph.query(query).read() == first
        assert pool.inline.reused == 0
    finally:
        graph.close()


def test_a_removed_snapshot_is_never_held_again(tmp_path):
    # a worker started on a snapshot that compaction has just replaced and removed failed to
    # open it; such a start now goes to the snapshot in use
    from policykg.kg.sparql.process import SnapshotGone, launch
    from policykg.kg.sparql.snapshot import Snapshot

    (tmp_path / "snap" / "store").mkdir(parents=True)
    snapshot = Snapshot(str(tmp_path / "snap" / "store"), "g1", ())
    assert snapshot.acquire()
    snapshot.retire()
    assert (tmp_path / "snap").exists()  # its user still holds it
    snapshot.release()
    assert not (tmp_path / "snap").exists()
    assert snapshot.acquire() is False
    with pytest.raises(SnapshotGone):
        launch(snapshot, 0)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o }", "SELECT (NOW() AS ?t) {}", "select (now() as ?t) {}",
    "SELECT (nOw() AS ?t) {}", "SELECT (RAND() AS ?r) {}", "SELECT (STRUUID() AS ?u) {}",
    "SELECT (UUID() AS ?u) {}", "CONSTRUCT { ?s ?p [] } WHERE { BIND(BNODE() AS ?b) }",
    "SELECT * { ?s ?p 'known' }", "SELECT * { ?s ?p <http://e/snow> }", "SELECT ?random {}",
    "SELECT * { ?s ?p 'now' }", "PREFIX now: <http://e/> SELECT * {}",
])
def test_the_quick_word_test_agrees_with_the_pattern(text):
    from policykg.kg.sparql.inline import _CHANGING, _may_change

    assert _may_change(text) == (_CHANGING.search(text) is not None)


def test_a_worker_meant_for_a_removed_snapshot_starts_on_the_current_one(store_dir, tmp_path):
    from policykg.kg.sparql.snapshot import Snapshot

    graph = _open(store_dir, sparql_workers=1)
    try:
        pool = graph.sparql()._workers()
        pool._current_snapshot()
        pool._optimizing.join()  # the compacted snapshot is in use: nothing replaces it meanwhile
        current = pool._snapshot
        (tmp_path / "gone" / "store").mkdir(parents=True)
        gone = Snapshot(str(tmp_path / "gone" / "store"), current.generation, ())
        gone.retire()  # replaced and removed before the worker meant for it started
        with pool._cond:
            pool._count += 1  # the place _start expects its caller to have taken
        worker = pool._start(gone)
        assert worker.snapshot is current
        pool._release(worker)
        assert graph.query("ASK { ?s ?p ?o }").read()
    finally:
        graph.close()
