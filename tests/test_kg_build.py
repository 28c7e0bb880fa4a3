"""Building documents into the store: one graph per document, incremental, atomic, valid."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from policykg import ingest
from policykg.ingest.records import Entity, Extraction, Mention, Relation
from policykg.kg import KnowledgeGraph
from policykg.kg.build import build_paths
from policykg.kg.rdf import document_graph, document_kind
from policykg.kg.store import ONTOLOGY_GRAPH, TOPICS_GRAPH

REPO = Path(__file__).resolve().parents[1]
QUERIES = Path(__file__).resolve().parents[1] / "ontology" / "queries"  # the README's examples
BASE = "https://w3id.org/policykg/"
HAS_EXTRACT = hasattr(ingest, "extract")
needs_extract = pytest.mark.skipif(not HAS_EXTRACT, reason="ingest.extract is not written yet")


def handmade_extraction(doc) -> Extraction:
    """Entities, mentions and relations of the seed written by hand (independent of ingest.extract)."""
    text = doc.text
    task2 = "part-3/section-1/task-2"
    task4 = "part-3/section-1/task-4"

    def at(surface: str, node_id: str | None) -> Mention:
        start = text.index(surface)
        return Mention(surface, surface, start, start + len(surface), node_id)

    entities = (
        Entity("东华大学", "东华大学", "Organization", label_en="Donghua University"),
        Entity("东方国际集团", "东方国际集团", "Organization"),
        Entity("上海国际舞蹈中心", "上海国际舞蹈中心", "Organization"),
        Entity("市政府办公厅", "市政府办公厅", "Organization", aliases=("上海市人民政府办公厅",)),
        Entity("上海国际芭蕾舞比赛", "上海国际芭蕾舞比赛", "Event"),
    )
    mentions = tuple(at(e.key, task4 if e.key != "市政府办公厅" else task2) for e in entities)
    clause = text.index("依托东华大学")
    relations = tuple(
        Relation(task4, "reliesOn", key, clause, clause + len("依托东华大学、东方国际集团、上海国际舞蹈中心"),
                 "依托东华大学、东方国际集团、上海国际舞蹈中心")
        for key in ("东华大学", "东方国际集团", "上海国际舞蹈中心"))
    return Extraction(document=doc, entities=entities, mentions=mentions, relations=relations)


def read_query(name: str) -> str:
    return (QUERIES / name).read_text(encoding="utf-8")


def quads(kg: KnowledgeGraph) -> set[str]:
    """Every quad of the store as an N-Quads line (the build index excluded)."""
    return set(kg.store.serialize("nq").decode("utf-8").splitlines())


@pytest.fixture(scope="module")
def seed_kg(tmp_path_factory, seed_path):
    """The seed document built into a fresh store (no embeddings)."""
    store = tmp_path_factory.mktemp("seed-store")
    kg = KnowledgeGraph.open({"store": str(store)})
    report = kg.build([seed_path], embed=False)
    assert report.ok, report.summary()
    yield kg
    kg.close()


def doc_iri_of(kg: KnowledgeGraph) -> str:
    [doc] = kg.documents()
    return doc.iri


def test_seed_is_one_named_graph_beside_ontology_and_topics(seed_kg):
    names = seed_kg.store.graph_names()
    doc = doc_iri_of(seed_kg)
    assert doc in names
    assert ONTOLOGY_GRAPH in names and TOPICS_GRAPH in names
    assert seed_kg.store.triple_count(doc) > 1000


def test_document_metadata(seed_kg):
    [doc] = seed_kg.documents()
    assert doc.title.startswith("中共长宁区委关于提升长宁城区能级")
    assert doc.date == "2022-12-09"
    assert doc.kind == "意见"
    assert doc.issuer == "中共长宁区委"
    assert doc.tasks == 10


def test_tasks_of_section(seed_kg):
    rows = list(seed_kg.store.query(read_query("01-tasks-of-section.rq")))
    assert [str(r.number) for r in rows] == ["1", "2", "3", "4"]
    assert str(rows[1].title) == "打造航空服务新优势"


def test_tasks_by_topic_aviation(seed_kg):
    rows = list(seed_kg.store.query(read_query("04-tasks-about-aviation.rq")))
    labels = [str(r.label) for r in rows]
    assert "2. 打造航空服务新优势" in labels
    assert all(r.evidence for r in rows)


@needs_extract
def test_entities_of_task_2(seed_kg):
    rows = list(seed_kg.store.query(read_query("02-entities-of-task-2.rq")))
    labels = {str(r.label) for r in rows}
    assert labels, "task 2 mentions no entity"
    assert any("虹桥" in label or "办公厅" in label or "示范区" in label for label in labels), labels


@needs_extract
def test_fashion_task_relies_on(seed_kg):
    rows = list(seed_kg.store.query(read_query("03-fashion-relies-on.rq")))
    assert {"东华大学", "东方国际集团", "上海国际舞蹈中心"} <= {str(r.label) for r in rows}


@needs_extract
def test_every_mention_quotes_the_clean_text(seed_kg):
    assert seed_kg.store.query("ASK { ?m a pol:Mention }").askAnswer
    assert list(seed_kg.store.query(read_query("07-mention-offsets.rq"))) == []


def _validate(graph: Graph) -> tuple[bool, str]:
    import pyshacl

    shapes = Graph().parse(REPO / "ontology" / "shapes.ttl")
    conforms, _report, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    return conforms, text


def test_seed_graph_is_shacl_valid(seed_kg):
    doc = doc_iri_of(seed_kg)
    data = Graph()
    for graph in (doc, TOPICS_GRAPH):
        for triple in seed_kg.store.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
            data.add(triple)
    conforms, text = _validate(data)
    assert conforms, text[:3000]


def test_a_date_of_year_precision_is_a_gyear_that_filters_and_validates(tmp_path):
    from policykg.kg import KnowledgeGraph

    report = tmp_path / "019_2015_2015年中华人民共和国国务院政府工作报告.txt"
    report.write_text("各位代表：\n\n现在，我代表国务院，向大会报告政府工作。\n\n一、2014年工作回顾\n\n"
                      "过去一年，我们推进简政放权，深化改革。\n", encoding="utf-8")
    with KnowledgeGraph.open({"store": str(tmp_path / "s")}) as kg:
        assert kg.build([str(report)]).ok
        [row] = kg.store.select_rows(
            "SELECT ?doc ?d (DATATYPE(?d) AS ?t) WHERE { ?doc dcterms:issued ?d }")
        assert row["d"] == "2015" and row["t"].endswith("#gYear")
        data = Graph()
        for triple in kg.store.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{row['doc']}> {{ ?s ?p ?o }} }}"):
            data.add(triple)
        conforms, text = _validate(data)
        assert conforms, text[:3000]
        # the year overlaps any range that meets it, and none that does not
        assert kg.search("简政放权", date_from="2015-03", date_to="2015-06").results
        assert not kg.search("简政放权", date_from="2016").results


def test_handmade_extraction_graph_is_valid_and_quotes_exactly(seed_path, tmp_path):
    doc = ingest.parse_file(seed_path)
    graph = document_graph(handmade_extraction(doc), base_iri=BASE, topic_links=[])
    conforms, text = _validate(graph)
    assert conforms, text[:3000]
    assert not any(isinstance(t, type(None)) for t in graph.all_nodes())
    from rdflib import BNode

    assert not any(isinstance(n, BNode) for n in graph.all_nodes())
    with KnowledgeGraph.open({"store": str(tmp_path / "s")}) as kg:
        kg.store.put_document(f"{BASE}doc/{doc.sha256[:16]}", graph, str(seed_path), "x")
        assert list(kg.store.query(read_query("07-mention-offsets.rq"))) == []
        rows = list(kg.store.query(read_query("03-fashion-relies-on.rq")))
        assert {str(r.label) for r in rows} == {"东华大学", "东方国际集团", "上海国际舞蹈中心"}
        assert all(str(r.exact).startswith("依托东华大学") for r in rows)
        # the task mentioning an entity inside an enclosing task also "mentions" it
        task4 = f"{BASE}doc/{doc.sha256[:16]}/part-3/section-1/task-4"
        assert kg.store.query(f"ASK {{ <{task4}> pol:mentions <{BASE}entity/东华大学> }}").askAnswer


def test_same_graph_twice_is_identical(seed_path):
    doc = ingest.parse_file(seed_path)
    one = document_graph(handmade_extraction(doc), base_iri=BASE)
    two = document_graph(handmade_extraction(ingest.parse_file(seed_path)), base_iri=BASE)
    assert set(one) == set(two)


def test_rebuild_skips_and_changes_nothing(tmp_path, seed_path):
    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        first = kg.build([seed_path], embed=False)
        before = quads(kg)
        second = kg.build([seed_path], embed=False)
        assert first.built and not second.built
        assert second.skipped == [str(Path(seed_path).resolve())]
        assert second.triples == first.triples
        assert quads(kg) == before


def test_an_unchanged_file_built_by_other_code_is_extracted_again(tmp_path, seed_path,
                                                                   monkeypatch):
    """An upgraded policykg (another extractor or RDF mapping) builds unchanged files again,
    once, and says why; a store of an older layout (the file's bare sha256) the same."""
    from policykg.kg import build

    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        kg.build([seed_path], embed=False)
        doc = doc_iri_of(kg)
        (path, (_, key)), = kg.store.document_index().items()
        assert key.split() == [key.split()[0], build.graph_fingerprint()]
        monkeypatch.setattr(build, "graph_fingerprint", lambda: "another0version")
        again = kg.build([seed_path], embed=False)
        assert again.built == [path] and not again.skipped
        assert any("another version of policykg" in note for note in again.notes)
        assert kg.build([seed_path], embed=False).skipped == [path]  # once
        assert doc_iri_of(kg) == doc  # the same document, its graph made anew
        kg.store.put_document(doc, kg.store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{doc}> "
                                                  "{ ?s ?p ?o } }").graph, path, key.split()[0])
        assert kg.build([seed_path], embed=False).built == [path]


def test_changed_file_is_replaced_without_leftovers(tmp_path, seed_path):
    source = tmp_path / "docs" / "意见.txt"
    source.parent.mkdir()
    shutil.copy(seed_path, source)
    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        kg.build([source.parent], embed=False)
        old = doc_iri_of(kg)
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("打造航空服务新优势", "打造航空枢纽新优势"), encoding="utf-8")
        report = kg.build([source.parent], embed=False)
        assert report.built == [str(source.resolve())]
        new = doc_iri_of(kg)
        assert new != old
        assert old not in kg.store.graph_names()
        assert not kg.store.query(f"ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER (STRSTARTS(STR(?s), '{old}')) }} }}").askAnswer
        assert kg.store.query('ASK { ?t dcterms:title "打造航空枢纽新优势"@zh }').askAnswer
        assert list(kg.store.document_index()) == [str(source.resolve())]


def test_refused_file_leaves_store_unchanged(tmp_path, seed_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(seed_path, folder / "seed.txt")
    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        kg.build([folder], embed=False)
        before = quads(kg)
        (folder / "broken.txt").write_bytes(bytes(range(256)) * 8)
        report = kg.build([folder], embed=False)
        assert not report.ok
        [(path, reason)] = report.refused
        assert path.endswith("broken.txt") and reason
        assert "broken.txt" in report.summary()
        assert quads(kg) == before


def test_prune_removes_documents_of_deleted_files(tmp_path, seed_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(seed_path, folder / "seed.txt")
    (folder / "short.txt").write_text("关于加强测试工作的通知\n\n一、总体要求\n\n做好测试工作。\n",
                                      encoding="utf-8")
    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        kg.build([folder], embed=False)
        assert len(kg.documents()) == 2
        (folder / "short.txt").unlink()
        report = kg.build([folder], embed=False)  # without --prune nothing is removed
        assert len(kg.documents()) == 2 and not report.removed
        report = kg.build([folder], prune=True, embed=False)
        assert [Path(p).name for p in report.removed] == ["short.txt"]
        assert [d.kind for d in kg.documents()] == ["意见"]


def test_interrupted_build_resumes(tmp_path, seed_path, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(seed_path, folder / "a.txt")
    (folder / "b.txt").write_text("关于开展测试的通知\n\n一、工作目标\n\n完成测试。\n", encoding="utf-8")
    from policykg.ingest.worker import ParseWorker  # the build parses in its child

    real = ParseWorker.extract

    def parse_then_interrupt(self, path, *args, **kwargs):
        if Path(path).name == "b.txt":
            raise KeyboardInterrupt
        return real(self, path, *args, **kwargs)

    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        monkeypatch.setattr(ParseWorker, "extract", parse_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            kg.build([folder], embed=False)
        assert len(kg.documents()) == 1
        monkeypatch.setattr(ParseWorker, "extract", real)
        report = kg.build([folder], embed=False)
        assert [Path(p).name for p in report.skipped] == ["a.txt"]
        assert [Path(p).name for p in report.built] == ["b.txt"]


def test_missing_path_is_refused_not_raised(tmp_path):
    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        report = kg.build([tmp_path / "nope"], embed=False)
    assert not report.ok and "no such file" in report.refused[0][1]
    assert set(report.to_json()["timings"]) >= {"parse", "extract", "rdf", "store", "embed"}


def test_document_kinds():
    assert document_kind("2024年中华人民共和国国务院政府工作报告") == "报告"
    assert document_kind("第十四届全国人民代表大会第三次会议关于政府工作报告的决议") == "决议"
    assert document_kind("上海市消防条例(2019年修正)") == "条例"
    assert document_kind("中华人民共和国海关法") == "法"


def test_build_five_corpus_files_of_different_kinds(tmp_path, corpus_dir):
    picks = [
        next((corpus_dir / "gov_work_reports").glob("*2024*政府工作报告.txt"), None),
        next((corpus_dir / "gov_work_reports").glob("*决议.txt"), None),
        next((corpus_dir / "cpc_congress_reports").glob("*二十大*.txt"), None),
        next((corpus_dir / "laws" / "shanghai_local_regulations").glob("*.md"), None),
        next((corpus_dir / "nansha_district").rglob("*.htm*"), None),
    ]
    picks = [p for p in picks if p is not None]
    if len(picks) < 5:
        pytest.skip("missing test data: corpus files of every kind are not all in tests/data/corpus")
    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        report = kg.build(picks, embed=False)
        assert report.ok, report.summary()
        docs = kg.documents()
        assert len(docs) == 5
        assert {"报告", "决议"} <= {d.kind for d in docs}
        assert sum(d.units > 0 for d in docs) >= 3  # a short 决议 may have no numbered structure
        assert len(kg.store.graph_names()) >= 5 + 2


def test_build_paths_direct_call(tmp_path, seed_path):
    from policykg.kg import Settings
    from policykg.kg.store import open_store

    settings = Settings.load({"store": str(tmp_path / "store")})
    store = open_store(settings)
    try:
        report = build_paths(store, [seed_path], base_iri=settings.base_iri)
        data = report.to_json()
        assert data["ok"] and len(data["built"]) == 1 and data["triples"] > 0
        assert "built 1" in report.summary()
        assert not (tmp_path / "store" / "vectors").exists()  # no index given: no embedding
    finally:
        store.close()
