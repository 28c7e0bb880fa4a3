"""Comparing two documents (kg/compare.py): work reports of consecutive years, the NPC
resolutions on them (embedded), and regulations one of which repeals or amends another."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from policykg.kg import KnowledgeGraph, NotFound, PolicyKGError
from policykg.kg.compare import compare_documents, resolve_document
from policykg.web.cli import main

from conftest import TEST_DATA, require_test_data

REPORTS = TEST_DATA / "corpus" / "gov_work_reports"
VALIDITY = TEST_DATA / "plans" / "validity"
#: A local rule citing a State Council regulation by title (no 文号).
CITING = ("某市道路运输管理办法\n\n第一条 为了加强本市道路运输管理，根据《中华人民共和国道路运输条例》，"
          "结合本市实际，制定本办法。\n\n第二条 本市行政区域内从事道路运输经营的，适用本办法。\n")


def _files(folder: Path, *parts: str) -> list[Path]:
    found = [next(p for p in require_test_data(folder).iterdir() if part in p.name) for part in parts]
    return found


@pytest.fixture(scope="module")
def plain_store(tmp_path_factory) -> str:
    """The 2024 and 2025 work reports and four regulations, built without vectors."""
    root = tmp_path_factory.mktemp("compare")
    citing = root / "citing.txt"
    citing.write_text(CITING, encoding="utf-8")
    paths = _files(REPORTS, "000_2025", "002_2024") + _files(
        VALIDITY, "企业法人登记管理条例", "市场主体登记管理条例", "道路运输条例(2019", "道路运输条例(2022") + [citing]
    with KnowledgeGraph.open({"store": str(root / "store")}) as kg:
        report = kg.build(paths, embed=False)
        assert report.ok, report.summary()
    return str(root / "store")


@pytest.fixture(scope="module")
def kg(plain_store):
    graph = KnowledgeGraph.open({"store": plain_store}, read_only=True)
    yield graph
    graph.close()


@pytest.fixture(scope="module")
def embedded_store(tmp_path_factory) -> str:
    """The NPC resolutions approving the 2024 and 2025 work reports, embedded by the default model."""
    store = str(tmp_path_factory.mktemp("compare-vectors") / "store")
    with KnowledgeGraph.open({"store": store}) as graph:
        assert graph.build(_files(REPORTS, "001_NA", "003_NA")).ok
    return store


def _doc(kg, needle: str) -> str:
    return resolve_document(kg.store, needle, kg.settings.base_iri)


def _mentions(kg, doc: str, entity: str) -> int:
    rows = kg.store.select_rows(f"SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{ GRAPH <{doc}> {{ "
                                f"?m a pol:Mention ; pol:mentionOf <{entity}> }} }}")
    return int(rows[0]["n"])


def test_reports_of_consecutive_years_share_and_differ_in_entities_and_topics(kg):
    a, b = _doc(kg, "000_2025"), _doc(kg, "002_2024")
    c = kg.compare(a, b)
    assert (c.a.iri, c.b.iri) == (a, b) and "2025" in c.a.title and c.a.kind == "报告"
    assert c.a.units > 20 and c.b.sentences > 300
    names = {side: {e.zh for e in c.entities_on(side)} for side in ("both", "a", "b")}
    assert {"中共中央", "一带一路", "粤港澳大湾区"} <= names["both"]
    assert "十五五" in names["a"] and "十五五" not in names["b"] | names["both"]  # the next plan, named in 2025
    assert not names["a"] & names["b"] and not names["a"] & names["both"]
    for e in c.entities[:10] + c.entities_on("a")[:5] + c.entities_on("b")[:5]:
        assert (e.a, e.b) == (_mentions(kg, a, e.iri), _mentions(kg, b, e.iri)), e.zh
    assert {e.type for e in c.entities} <= {"Organization", "Place", "Event", "Programme", "DocumentReference"}
    finance = next(t for t in c.topics if t.zh == "金融")
    assert finance.side == "both" and finance.a > 1 and finance.b > 1


def test_without_vectors_similar_units_are_paired_by_shared_entities_and_words(kg):
    c = kg.compare("000_2025", "002_2024")
    assert c.method == "words"
    pairs = {(p.a.label, p.b.label) for p in c.units}
    assert ("着力抓好“三农”工作，深入推进乡村全面振兴", "坚持不懈抓好“三农”工作，扎实推进乡村全面振兴") in pairs
    for pairs_ in (c.units, c.sentences):
        scores = [p.score for p in pairs_]
        assert pairs_ and scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
        assert len({p.a.iri for p in pairs_}) == len(pairs_) == len({p.b.iri for p in pairs_})  # one to one
    # identical sentences are listed apart, and really are identical
    assert c.identical and all(p.a.text == p.b.text and p.identical for p in c.identical)
    assert not any(p.identical for p in c.sentences)
    text = kg.store.select_rows(f"SELECT ?t WHERE {{ <{c.a.iri}> pol:cleanText ?t }}")[0]["t"]
    for p in c.sentences[:5]:
        assert " ".join(text[p.a.start:p.a.end].split()).startswith(p.a.text.rstrip("…"))


def test_with_vectors_pairs_are_ranked_by_the_cosine_of_stored_vectors(embedded_store):
    from policykg.kg.vectors import VectorIndex

    with KnowledgeGraph.open({"store": embedded_store}, read_only=True) as graph:
        c = graph.compare("第三次会议", "第二次会议")
        index = VectorIndex.of_store(graph.store, graph.embedder)
    assert c.method == "vectors" and c.sentences
    top = c.sentences[0]
    assert "会议充分肯定国务院过去一年的工作" in top.a.text and "2025年" in top.a.text
    assert "会议充分肯定国务院过去一年的工作" in top.b.text and "2024年" in top.b.text
    row = {r.iri: i for i, r in enumerate(index.rows)}
    for p in c.sentences:
        cosine = float(np.dot(index.matrix[row[p.a.iri]], index.matrix[row[p.b.iri]]))
        assert p.score == pytest.approx(cosine, abs=1e-3)
    assert {"十五五"} <= {e.zh for e in c.entities_on("a")}


def test_repeals_amendments_and_citations_are_said(kg):
    market, old = _doc(kg, "市场主体登记管理条例"), _doc(kg, "企业法人登记管理条例")
    c = kg.compare(old, market)
    assert [(r.source, r.predicate, r.target) for r in c.relations] == [(market, "repeals", old)]
    roads = [_doc(kg, "道路运输条例(2019"), _doc(kg, "道路运输条例(2022")]
    c = kg.compare(*roads)
    assert any((r.source, r.predicate, r.target, r.derived) == (roads[1], "amends", roads[0], True)
               for r in c.relations)
    citing = _doc(kg, "citing.txt")
    c = kg.compare(citing, roads[1])
    assert any(r.source == citing and r.target == roads[1] and r.predicate in ("cites", "implements")
               for r in c.relations)
    assert not kg.compare("000_2025", "002_2024").relations


def test_bad_names_are_errors_with_a_kind(kg):
    with pytest.raises(NotFound, match="no document named"):
        kg.compare("no such document", "000_2025")
    with pytest.raises(PolicyKGError, match="matches 2 documents") as info:
        kg.compare("道路运输条例", "000_2025")
    assert info.value.kind == "invalid"
    with pytest.raises(PolicyKGError, match="two different documents"):
        kg.compare("000_2025", "000_2025")
    with pytest.raises(PolicyKGError, match="not an absolute IRI|no document"):
        compare_documents(kg.store, "<x>", _doc(kg, "000_2025"))
    a = _doc(kg, "000_2025")
    assert resolve_document(kg.store, a.rsplit("/", 1)[1], kg.settings.base_iri) == a


def test_cli_compare_prints_a_summary_and_json(plain_store, capsys):
    assert main(["compare", "--store", plain_store, "000_2025", "002_2024", "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A: 2025年中华人民共和国国务院政府工作报告")
    assert "\nB: 2024年中华人民共和国国务院政府工作报告 (2024-03-05, 报告)" in out
    assert "only in A" in out and "十五五" in out and "most similar units:" in out
    assert "no stored vectors" in out
    assert main(["compare", "--store", plain_store, "000_2025", "002_2024", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["method"] == "words" and {e["side"] for e in data["entities"]} == {"both", "a", "b"}
    assert main(["compare", "--store", plain_store, "nothing-like-this", "002_2024"]) == 1
    assert capsys.readouterr().err.strip() == "policykg: error: no document named 'nothing-like-this'"
