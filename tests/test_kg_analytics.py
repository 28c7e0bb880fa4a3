"""Graph analytics and exports on a small hand-made graph (two documents, four tasks, five entities)."""
from __future__ import annotations

import io
import json

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SDO, SKOS

from policykg.kg.analytics import communities, neighbourhood, shortest_connection, stats
from policykg.kg.entity_graph import entity_graph
from policykg.kg.errors import NotFound, PolicyKGError
from policykg.kg.export import export
from policykg.kg.vocab import POL, PREFIXES, TOPIC_IRI

BASE = "https://w3id.org/policykg/"
D1, D2 = URIRef(BASE + "doc/aaaaaaaaaaaaaaaa"), URIRef(BASE + "doc/bbbbbbbbbbbbbbbb")
S1 = URIRef(f"{D1}/part-3/section-1")
T1, T2 = URIRef(f"{S1}/task-4"), URIRef(f"{S1}/task-2")
T3 = URIRef(f"{D1}/part-4/task-1")
T4 = URIRef(f"{D2}/part-1/task-1")
E = {key: URIRef(BASE + "entity/" + key) for key in
     ("东华大学", "上海国际舞蹈中心", "虹桥机场", "长宁区政府", "南沙区")}
AVIATION = URIRef(TOPIC_IRI + "aviation")
TRADE = URIRef(TOPIC_IRI + "trade")


class _Store:
    """The GraphStore methods analytics and export use, over an rdflib Dataset."""

    def __init__(self, ds: Dataset):
        self.ds = ds

    def query(self, sparql: str):
        return self.ds.query(sparql, initNs=PREFIXES)

    def select_rows(self, sparql: str):
        answer = self.query(sparql)
        names = [str(v) for v in answer.vars]
        return [{n: None if row[n] is None else str(row[n]) for n in names} for row in answer]

    def serialize(self, fmt: str) -> bytes:
        return self.ds.serialize(format={"trig": "trig", "nq": "nquads"}.get(fmt, fmt),
                                 encoding="utf-8")


def _dataset() -> Dataset:
    ds = Dataset(default_union=True)
    g1, g2 = ds.graph(D1), ds.graph(D2)
    topics = ds.graph(URIRef(BASE + "graph/topics"))
    for topic, zh, en in ((AVIATION, "航空", "Aviation"), (TRADE, "贸易", "Trade")):
        topics.add((topic, RDF.type, SKOS.Concept))
        topics.add((topic, SKOS.prefLabel, Literal(zh, lang="zh")))
        topics.add((topic, SKOS.prefLabel, Literal(en, lang="en")))
    for g, doc, title in ((g1, D1, "长宁实施意见"), (g2, D2, "南沙通知")):
        g.add((doc, RDF.type, POL.PolicyDocument))
        g.add((doc, RDFS.label, Literal(title, lang="zh")))
    units = ((g1, S1, POL.Section, D1, D1, "(一)加快推动高质量发展", "加快推动高质量发展"),
             (g1, T1, POL.Task, S1, D1, "4. 打造时尚文化新优势", "打造时尚文化新优势"),
             (g1, T2, POL.Task, S1, D1, "2. 打造航空服务新优势", "打造航空服务新优势"),
             (g1, T3, POL.Task, D1, D1, "1. 加强组织实施", "加强组织实施"),
             (g2, T4, POL.Task, D2, D2, "1. 推进南沙开发", "推进南沙开发"))
    for g, unit, cls, parent, doc, label, title in units:
        g.add((unit, RDF.type, cls))
        g.add((unit, RDF.type, POL.StructuralUnit))
        g.add((unit, DCTERMS.isPartOf, parent))
        g.add((unit, POL.position, Literal(int(str(unit)[-1]))))
        g.add((unit, POL.inDocument, doc))
        g.add((unit, RDFS.label, Literal(label, lang="zh")))
        g.add((unit, DCTERMS.title, Literal(title, lang="zh")))
    entities = ((g1, "东华大学", [ORG.Organization, SDO.CollegeOrUniversity], ["东华"], "Donghua University"),
                (g1, "上海国际舞蹈中心", [ORG.Organization], [], None),
                (g1, "虹桥机场", [SDO.Place], ["上海虹桥国际机场"], "Hongqiao Airport"),
                (g1, "长宁区政府", [ORG.Organization, SDO.GovernmentOrganization], [], None),
                (g2, "南沙区", [SDO.Place], [], None))
    for g, key, classes, aliases, en in entities:
        for cls in classes:
            g.add((E[key], RDF.type, cls))
        g.add((E[key], RDFS.label, Literal(key, lang="zh")))
        for alias in aliases:
            g.add((E[key], SKOS.altLabel, Literal(alias, lang="zh")))
        if en:
            g.add((E[key], RDFS.label, Literal(en, lang="en")))
    for g, unit, key in ((g1, T1, "东华大学"), (g1, T1, "上海国际舞蹈中心"),
                         (g1, T2, "上海国际舞蹈中心"), (g1, T2, "虹桥机场"),
                         (g1, T3, "长宁区政府"), (g2, T4, "南沙区")):
        g.add((unit, POL.mentions, E[key]))
        g.add((E[key], POL.mentionedIn, unit))
    g1.add((T1, POL.reliesOn, E["东华大学"]))
    g1.add((T2, DCTERMS.subject, AVIATION))
    g1.add((D1, DCTERMS.subject, AVIATION))
    # a sentence and an annotation: not part of the entity–task graph
    sentence = URIRef(f"{D1}/sentence/0-10")
    g1.add((sentence, RDF.type, POL.Sentence))
    g1.add((sentence, DCTERMS.isPartOf, T2))
    g1.add((sentence, POL.mentions, E["虹桥机场"]))
    return ds


@pytest.fixture(scope="module")
def store():
    return _Store(_dataset())


@pytest.fixture(scope="module")
def kg(store):
    """The entity–task graph of the hand-made store."""
    return entity_graph(store)


def test_entity_graph_holds_documents_units_entities_and_linked_topics_only(kg):
    graph = kg
    types = dict(graph.nodes(data="type"))
    assert types[str(D1)] == "document" and types[str(S1)] == "section"
    assert types[str(T1)] == "task"
    assert types[str(E["东华大学"])] == "organization" and types[str(E["虹桥机场"])] == "place"
    assert types[str(AVIATION)] == "topic"
    assert str(TRADE) not in graph  # a topic nothing is linked to
    assert not any("sentence" in n for n in graph)
    assert graph.nodes[str(E["东华大学"])]["label"] == "东华大学"
    assert graph.nodes[str(E["东华大学"])]["label_en"] == "Donghua University"
    # the more specific predicate wins when a pair is linked twice
    assert graph.edges[str(T1), str(E["东华大学"])]["predicate"] == "pol:reliesOn"


def test_shortest_connection_between_two_entities_goes_through_a_task(kg):
    steps = shortest_connection(kg, "东华", "上海国际舞蹈中心")  # an alias and a label
    assert [s["iri"] for s in steps] == [str(E["东华大学"]), str(T1), str(E["上海国际舞蹈中心"])]
    assert [s["type"] for s in steps] == ["organization", "task", "organization"]
    assert [s["predicate"] for s in steps] == [None, "pol:reliesOn", "pol:mentions"]
    assert [s["inverse"] for s in steps] == [False, True, False]
    longer = shortest_connection(kg, str(E["东华大学"]), "Hongqiao Airport")
    assert [s["label"] for s in longer] == [
        "东华大学", "4. 打造时尚文化新优势", "上海国际舞蹈中心", "2. 打造航空服务新优势", "虹桥机场"]


def test_shortest_connection_names_unknown_and_unconnected_entities(kg):
    with pytest.raises(NotFound, match="不存在的机构"):
        shortest_connection(kg, "不存在的机构", "东华大学")
    with pytest.raises(NotFound, match="no connection between '东华大学' and '南沙区'"):
        shortest_connection(kg, "东华大学", "南沙区")


def test_neighbourhood_depth_two_reaches_further_than_depth_one(kg):
    one = neighbourhood(kg, str(E["上海国际舞蹈中心"]), depth=1)
    two = neighbourhood(kg, str(E["上海国际舞蹈中心"]), depth=2)
    assert {n["id"] for n in one["nodes"]} == {str(E["上海国际舞蹈中心"]), str(T1), str(T2)}
    assert {n["id"] for n in one["nodes"]} < {n["id"] for n in two["nodes"]}
    assert {str(E["东华大学"]), str(E["虹桥机场"]), str(S1), str(AVIATION)} <= {
        n["id"] for n in two["nodes"]}
    assert len(one["links"]) == 2
    assert {link["predicate"] for link in one["links"]} == {"pol:mentions"}
    assert all(link["source"] in (str(T1), str(T2)) for link in one["links"])  # triple direction


def test_neighbourhood_of_the_whole_graph_has_a_stable_layout_in_the_unit_square(kg):
    view = neighbourhood(kg)
    assert {"nodes", "links"} <= set(view)
    assert len(view["nodes"]) == kg.number_of_nodes()
    for node in view["nodes"]:
        assert set(node) == {"id", "label", "type", "x", "y", "highlight"}
        assert -1.0 <= node["x"] <= 1.0 and -1.0 <= node["y"] <= 1.0
    assert max(max(abs(n["x"]), abs(n["y"])) for n in view["nodes"]) == pytest.approx(1.0)
    assert neighbourhood(kg) == view
    json.dumps(view)  # plain JSON types only


def test_neighbourhood_filters_by_type_and_area_and_highlights(kg):
    tasks = neighbourhood(kg, types=["task"])
    assert {n["type"] for n in tasks["nodes"]} == {"task"}
    entities = neighbourhood(kg, types=["entity"])
    assert {n["type"] for n in entities["nodes"]} == {"organization", "place"}
    area = neighbourhood(kg, area="加快推动高质量发展", highlight=[str(T2)])
    ids = {n["id"] for n in area["nodes"]}
    assert {str(S1), str(T1), str(T2), str(E["虹桥机场"]), str(AVIATION)} <= ids
    assert str(T3) not in ids and str(E["长宁区政府"]) not in ids and str(D1) not in ids
    assert [n["id"] for n in area["nodes"] if n["highlight"]] == [str(T2)]
    assert {n["id"] for n in neighbourhood(kg, area=str(S1))["nodes"]} == ids


def test_neighbourhood_refuses_bad_requests(kg):
    with pytest.raises(PolicyKGError, match="depth"):
        neighbourhood(kg, str(T1), depth=3)
    with pytest.raises(PolicyKGError, match="unknown node type"):
        neighbourhood(kg, types=["spaceship"])
    with pytest.raises(NotFound):
        neighbourhood(kg, BASE + "entity/nobody")
    with pytest.raises(NotFound, match="no section"):
        neighbourhood(kg, area="不存在的章节")


def test_stats_counts_and_ranks_entities(kg):
    result = stats(kg)
    assert result["nodes_by_type"] == {"document": 2, "organization": 3, "place": 2,
                                       "section": 1, "task": 4, "topic": 1}
    assert result["nodes"] == 13
    assert result["components"] == 2
    assert result["edges_by_predicate"]["pol:reliesOn"] == 1
    assert result["top_degree"][0]["label"] == "上海国际舞蹈中心"
    assert result["top_betweenness"][0]["label"] == "上海国际舞蹈中心"
    assert all(n["type"] in ("organization", "place") for n in result["top_degree"])


def test_communities_are_deterministic_and_group_tasks_with_their_entities(kg):
    found = communities(kg)
    assert found == communities(kg)
    groups = [{n["iri"] for n in c} for c in found]
    assert {str(T4), str(E["南沙区"])} in groups
    assert {str(T3), str(E["长宁区政府"])} in groups
    graph = kg
    for community in found:
        assert community[0]["type"] == "task"  # units first, then entities
        members = {n["iri"] for n in community}
        for node in community:
            if node["type"] != "task":  # every entity sits with a task that names it
                assert members & set(graph.neighbors(node["iri"]))
    assert set().union(*groups) == {str(u) for u in (T1, T2, T3, T4)} | {str(e) for e in E.values()}


@pytest.mark.parametrize("fmt", ["trig", "nq"])
def test_export_keeps_named_graphs(store, fmt):
    out = io.BytesIO()
    export(fmt, out, store=store, entity_graph=lambda: entity_graph(store))
    ds = Dataset()
    ds.parse(data=out.getvalue().decode("utf-8"), format={"nq": "nquads"}.get(fmt, fmt))
    assert {str(g.identifier) for g in ds.graphs()} >= {str(D1), str(D2)}


def test_export_graphml_and_node_link_json_for_gephi(store):
    import networkx as nx

    out = io.BytesIO()
    export("graphml", out, store=store, entity_graph=lambda: entity_graph(store))
    out.seek(0)
    graph = nx.read_graphml(out)
    assert graph.number_of_nodes() == 13
    assert graph.nodes[str(E["虹桥机场"])]["label"] == "虹桥机场"
    out = io.BytesIO()
    export("json", out, store=store, entity_graph=lambda: entity_graph(store))
    data = json.loads(out.getvalue().decode("utf-8"))
    assert len(data["nodes"]) == 13 and data["links"]


def test_export_refuses_an_unknown_format(store):
    with pytest.raises(PolicyKGError, match="xlsx"):
        export("xlsx", io.BytesIO(), store=store, entity_graph=lambda: entity_graph(store))


def test_the_entity_graph_is_saved_beside_the_store_and_read_back_the_same(
        kg_seed_store, tmp_path, monkeypatch):
    import shutil

    import policykg.kg.entity_graph as module
    from policykg.kg import KnowledgeGraph

    store = tmp_path / "store"
    shutil.copytree(kg_seed_store, store)
    shutil.rmtree(store / "graph", ignore_errors=True)
    with KnowledgeGraph.open({"store": str(store)}) as kg:
        read = kg.entity_graph()
        view = kg.neighbourhood("东华大学", depth=2)
        path = kg.connection("东华大学", "进博会")
    assert len(list((store / "graph").glob("*.json"))) == 1

    def no_store(store):
        raise AssertionError("read the store although the graph is saved")

    monkeypatch.setattr(module, "entity_graph", no_store)
    with KnowledgeGraph.open({"store": str(store)}) as kg:
        saved = kg.entity_graph()
        assert list(saved.nodes(data=True)) == list(read.nodes(data=True))
        assert list(saved.edges(data=True)) == list(read.edges(data=True))
        assert kg.neighbourhood("东华大学", depth=2) == view
        assert kg.connection("东华大学", "进博会") == path


def test_threads_asking_at_once_load_the_entity_graph_and_searcher_once(kg_seed_store,
                                                                         monkeypatch):
    import threading

    import policykg.kg.entity_graph as module
    import policykg.kg.search as search
    from policykg.kg import KnowledgeGraph

    loads = {"graph": 0, "search": 0}
    read_graph, searcher_init = module.load_entity_graph, search.Searcher.__init__

    def counted_graph(*args, **kwargs):
        loads["graph"] += 1
        return read_graph(*args, **kwargs)

    def counted_searcher(self, *args, **kwargs):
        loads["search"] += 1
        searcher_init(self, *args, **kwargs)

    monkeypatch.setattr(module, "load_entity_graph", counted_graph)
    monkeypatch.setattr(search.Searcher, "__init__", counted_searcher)
    answers, errors = [], []

    def ask(call, *args):
        try:
            answers.append(call(*args))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    with KnowledgeGraph.open({"store": str(kg_seed_store)}, read_only=True) as graph:
        threads = [threading.Thread(target=ask, args=(graph.search, "航空")) for _ in range(3)]
        threads += [threading.Thread(target=ask, args=(graph.neighbourhood,)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors and len(answers) == 6
    assert loads == {"graph": 1, "search": 1}


def test_node_and_edge_attributes_act_as_dicts_held_in_slots(kg):
    import copy

    import networkx as nx

    from policykg.kg.entity_graph import graph_class

    assert isinstance(kg, graph_class()) and isinstance(kg, nx.Graph)
    a, b, data = next(iter(kg.edges(data=True)))
    assert not hasattr(data, "__dict__")  # slots: no dict per edge
    assert set(data) == {"predicate", "source", "weight"} and len(data) == 3
    assert data.get("weight") == data["weight"] and data.get("colour", 7) == 7
    assert "source" in data and "colour" not in data
    plain = dict(data)
    assert data == plain and data.copy() == plain and type(data.copy()) is dict
    node = kg.nodes[a]
    assert {"type", "label", "label_en", "title", "aliases", "parent"} == set(node)
    assert json.loads(json.dumps(dict(node))) == dict(node)
    # what networkx and callers may do to attributes keeps working, other keys included
    mine = copy.deepcopy(kg)
    mine.nodes[a]["x"] = 0.5
    mine.add_edge(a, b, colour="red")
    assert mine.nodes[a]["x"] == 0.5 and mine.edges[a, b]["colour"] == "red"
    assert mine.edges[a, b]["predicate"] == data["predicate"]
    del mine.nodes[a]["x"], mine.edges[a, b]["colour"]
    assert dict(mine.nodes[a]) == dict(node) and dict(mine.edges[a, b]) == plain
    with pytest.raises(KeyError):
        mine.nodes[a]["x"]
    with pytest.raises(KeyError):
        del mine.edges[a, b]["colour"]
    copied = kg.subgraph([a, b]).copy()
    assert dict(copied.edges[a, b]) == plain and type(copied) is type(kg)
    assert nx.shortest_path_length(kg, a, b, weight="weight") <= data["weight"]
