"""English question words reach the store's Chinese words through CC-CEDICT (issue 13, item 2)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from policykg.kg.search import bridge as bridge_module
from policykg.kg.search.bridge import Bridge, build, dictionary_version, load_or_build
from policykg.kg.search.fusion import NO_BRIDGE
from policykg.kg.search.text import written_together



def test_the_dictionary_is_installed():
    # a dependency of the project: without it English questions lose their literal words
    assert dictionary_version() is not None


def test_phrases_are_read_longest_first_and_never_at_a_stop_word():
    bridge = Bridge({"blood donor": {"献血者": ["献血者"]}, "blood": {"血液": ["血液"]},
                     "income tax": {"所得税": ["所得税"]}, "tax": {"税收": ["税收"]},
                     "the tax": {"错误": ["错误"]}})
    assert [p for p, _ in bridge.translate("Blood donors and the income tax")] == \
        ["blood donors", "income tax"]
    assert [p for p, _ in bridge.translate("the tax of blood")] == ["tax", "blood"]
    assert bridge.translate("血液 blood") == []  # a Chinese question has its own words


def test_the_words_as_written_come_before_their_normalised_form():
    bridge = Bridge({"=goods": {"商品": ["商品"]}, "good": {"良好": ["良好"]}})
    assert bridge.translate("imported goods") == [("goods", {"商品": ["商品"]})]
    assert bridge.translate("a good plan") == [("good", {"良好": ["良好"]})]
    assert build({"商品", "货物", "良好"}, lambda w: [w]).translations("=goods")


def test_a_store_keeps_the_translations_it_holds_and_not_ambiguous_words():
    vocabulary = {"鲟鱼", "所得税", "履约", "保证金"}
    tokens = {"履约保证金": ["履约", "保证金"]}
    bridge = build(vocabulary, lambda word: tokens.get(word, [word]))
    assert bridge.translations("sturgeon") == {"鲟鱼": ["鲟鱼"]}
    assert bridge.translations("income tax") == {"所得税": ["所得税"]}
    assert bridge.translations("performance bond") == {"履约保证金": ["履约", "保证金"]}
    assert all(0 < len(t) <= bridge_module.MAX_CANDIDATES for t in map(bridge.translations, bridge.phrases))
    assert all(w in vocabulary for t in map(bridge.translations, bridge.phrases) for ws in t.values() for w in ws)


def test_each_phrase_scores_by_its_best_translation():
    bridge = Bridge({"bond": {"债券": ["债券"], "保证金": ["保证金"]}})
    postings = {"债券": (np.array([0, 2]), np.array([1.0, 2.0], dtype=np.float32)),
                "保证金": (np.array([0, 2]), np.array([3.0, 1.0], dtype=np.float32))}
    out = np.zeros(3, dtype=np.float32)
    used = bridge.add_scores("bond", lambda tokens: postings[tokens[0]], out, 0.5)
    assert out.tolist() == [1.5, 0.0, 1.0]  # synonyms are one word, not two
    assert [(phrase, sorted(words)) for phrase, words in used] == \
        [("bond", sorted(["债券", "保证金"]))]


def test_sparse_postings_are_the_dense_scores(blood_law_kg):
    bm25 = blood_law_kg.searcher().bm25
    n = len(blood_law_kg.searcher().corpus.sentences)
    for tokens in (["献血者"], ["献血者", "血液"], ["血液", "血液"], ["no-such-token"], []):
        at, values = bm25.sentence_postings(tokens)
        dense = np.zeros(n, dtype=np.float32)
        dense[at] = values
        assert len(set(at.tolist())) == len(at)
        assert np.allclose(dense, bm25.sentence_scores(list(dict.fromkeys(tokens)), n)), tokens


def test_saved_per_store_and_rebuilt_when_damaged(tmp_path):
    vocabulary = {"鲟鱼"}
    first = load_or_build(vocabulary, lambda w: [w], "k1", tmp_path)
    saved = tmp_path / "bridge-k1.json"
    assert saved.is_file() and first.translations("sturgeon") == {"鲟鱼": ["鲟鱼"]}
    assert load_or_build(set(), lambda w: [w], "k1", tmp_path) == first  # read, not built
    saved.write_text("{not json", encoding="utf-8")
    assert load_or_build(vocabulary, lambda w: [w], "k1", tmp_path) == first
    load_or_build(vocabulary, lambda w: [w], "k2", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bridge-k2.json"]  # old key gone


def test_without_the_dictionary_the_bridge_is_empty(monkeypatch, tmp_path):
    monkeypatch.setattr(bridge_module, "_data_file", lambda: None)
    assert load_or_build({"鲟鱼"}, lambda w: [w], "k", tmp_path).phrases == {}
    assert not list(tmp_path.iterdir())


@pytest.fixture
def law_kg(blood_law_kg):
    return blood_law_kg


@pytest.mark.slow
def test_an_english_question_scores_the_articles_holding_its_translated_words(law_kg, monkeypatch):
    searcher = law_kg.searcher()
    question = "compensation for blood donors"
    with_bridge = searcher.sources.signals(question, None, [], None)
    assert "献血者" in with_bridge.terms  # highlighted in the evidence too
    held = [i for i, u in enumerate(searcher.corpus.targets)
            if "献血者" in searcher.corpus.target_text(u)]
    assert held and (with_bridge.bm25_t[held] > 0).all()
    monkeypatch.setattr(searcher.sources, "bridge", lambda: NO_BRIDGE)
    without = searcher.sources.signals(question, None, [], None)
    assert not without.bm25_t.any() and "献血者" not in without.terms


def test_each_phrase_gives_the_translation_the_store_likeliest_writes():
    bridge = Bridge({"industry": {"工业": ["工业"], "产业": ["产业"], "行业": ["行业"]},
                     "incubator": {"保育箱": ["保育", "箱"], "孵化器": ["孵化器"]},
                     "supply": {"供给": ["供给"], "供应链": ["供应", "链"]}})
    rarity = {"工业": 3.0, "产业": 1.0, "行业": 2.0, "供给": 4.0, "供应": 1.5, "链": 2.0,
              "保育": 8.9, "箱": 8.5, "孵化器": 9.0}.get
    # the tokens' idf summed: 孵化器, held as a whole, not 保育箱 for its common 箱; 供应链
    # (1.5 + 2.0) before 供给 (4.0)
    assert bridge.common_words("industry and supply for incubators, industry",
                               lambda t: rarity(t, 9.0)) == ["产业", "供应链", "孵化器"]
    assert bridge.common_words("产业", lambda t: 0.0) == []  # a Chinese question is as written
    # an abbreviation as the reports write it out, its most common token first
    gdp = Bridge({"^GDP": {"国内生产总值": ["国内", "生产", "总值"], "生产总值": ["生产", "总值"]}})
    idf = {"国内": 0.5, "生产": 1.0, "总值": 5.0}.get
    assert gdp.common_words("GDP growth", idf) == ["国内生产总值"]


def test_a_phrase_inside_a_name_already_given_in_chinese_is_not_translated_again():
    bridge = Bridge({"belt": {"衣带": ["衣带"]}, "road": {"道路": ["道路"]},
                     "trade": {"贸易": ["贸易"]}})
    rarity = {"衣带": 5.0, "道路": 2.0, "贸易": 1.0}.get
    assert bridge.common_words("belt and road trade", rarity) == ["衣带", "道路", "贸易"]
    assert bridge.common_words("Belt and Road trade", rarity, ["belt and road"]) == ["贸易"]
    # whole words only: "road" is not inside "roadmap"; a name that is the phrase itself
    # (linked to a topic by one of its labels) leaves its word's own translation
    assert bridge.common_words("road trade", rarity, ["roadmap"]) == ["道路", "贸易"]
    assert bridge.common_words("road trade", rarity, ["Trade"]) == ["道路", "贸易"]


def test_an_english_question_is_embedded_with_the_chinese_words_it_translates_to(law_kg):
    searcher = law_kg.searcher()
    text = searcher.wording.dense_text("compensation for blood donors", [], "task")
    # written on as Chinese is written: no space before a Chinese word
    assert text.startswith("compensation for blood donors献血者"), text
    assert searcher.wording.dense_text("献血者的补偿", [], "task") == "献血者的补偿"


def test_chinese_words_are_written_on_without_spaces_as_chinese_is_written():
    # each space before a Chinese word is a token of its own to the model
    assert written_together(["startups and incubators", "初创", "孵化器"]) == \
        "startups and incubators初创孵化器"
    assert written_together(["which corridor", "G60", "科创走廊", "5G"]) == \
        "which corridor G60科创走廊5G"
    assert written_together(["elderly care", "", " 老年 "]) == "elderly care老年"
    assert written_together(["养老"]) == "养老" and written_together([]) == ""


@pytest.mark.slow
def test_a_server_prepares_the_bridge_and_saves_it_beside_the_store(law_kg):
    law_kg.searcher().prepare()
    saved = list((Path(law_kg.store.path) / "bridge").glob("bridge-*.json"))
    assert len(saved) == 1 and "献血者" in saved[0].read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_answer_says_how_english_words_were_read(law_kg):
    from policykg.web.render import search_text

    result = law_kg.search("compensation for blood donors")
    assert result.results
    assert {"en": "blood donors", "zh": ["献血者"]} in result.translated
    assert result.to_json()["translated"] == result.translated
    assert "read as 译作: blood donors → 献血者" in search_text(result, ansi=False)
    assert "translated" not in law_kg.search("献血者的补偿").to_json()  # a Chinese question


@pytest.mark.slow
def test_the_search_page_says_how_english_words_were_read(kg_seed_store, tmp_path):
    from policykg.web.app import close_app, create_app

    store = tmp_path / "store"
    shutil.copytree(kg_seed_store, store)
    app = create_app({"POLICYKG": {"store": str(store)}, "TESTING": True})
    try:
        page = app.test_client().get("/search", query_string={"q": "customs clearance"},
                                     headers={"Accept": "text/html"})
        html = page.get_data(as_text=True)
        assert page.status_code == 200, html
        assert "English words read as" in html and "customs → <span lang=\"zh\">海关" in html
    finally:
        close_app(app)


def test_the_bridge_is_made_once_while_questions_wait_for_it():
    import threading
    import time

    from policykg.kg.search.searcher import _once

    calls = []

    def make():
        calls.append(1)
        time.sleep(0.2)
        return "bridge"
    get = _once(make)
    got = []
    threads = [threading.Thread(target=lambda: got.append(get())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["bridge"] * 4 and len(calls) == 1


def test_abbreviations_are_read_as_written_in_either_language():
    gdp, pm = {"国内生产总值": ["国内生产总值"]}, {"细颗粒物": ["细颗粒物"]}
    bridge = Bridge({"^GDP": gdp, "^PM2.5": pm, "^SME": {"中小企业": ["中小企业"]},
                     "^IT": {"信息技术": ["信息技术"]}, "growth": {"增长": ["增长"]},
                     "=excel": {"优秀": ["优秀"]}})
    # a Chinese question's own words are Chinese: only its abbreviations are read
    assert bridge.translate("2025年GDP增长目标是多少") == [("GDP", gdp)]
    assert bridge.translate("PM2.5浓度下降多少") == [("PM2.5", pm)]
    assert bridge.translate("怎么用excel做表格") == []  # a word, not an abbreviation
    assert [p for p, _ in bridge.translate("SMEs and GDP growth")] == ["SMEs", "GDP", "growth"]
    # written in small letters, "it" is a word; "Excel" and "iPhone" are no abbreviations
    assert bridge.translate("is it growth") == [("growth", {"增长": ["增长"]})]
    assert [p for p, _ in bridge.translate("IT growth")] == ["IT", "growth"]
    assert [bridge_module.abbreviation(t) for t in ("Excel", "iPhone", "it", "R&D", "5G", "IoT")] \
        == [None, None, None, "^R&D", "^5G", "^IoT"]


def test_a_lowered_question_gets_each_abbreviation_back_in_its_own_place():
    recased = bridge_module.recased
    assert recased("gdp增长与ai、openai", "GDP增长与AI、OpenAI") == "GDP增长与AI、OpenAI"
    # the same word typed both ways keeps each casing where it was typed
    assert recased("is it about it jobs? it", "Is IT about it jobs? IT") \
        == "is IT about it jobs? IT"
    # a part of the question dropped: an abbreviation typed only as such is still restored,
    # one also typed as a word is left as it is
    assert recased("ai jobs", "哪些 AI jobs") == "AI jobs"
    assert recased("it jobs", "is it, IT jobs") == "it jobs"


def test_a_chinese_question_is_embedded_with_its_abbreviations_written_out():
    bridge = Bridge({"^GDP": {"国内生产总值": ["国内生产总值"], "生产总值": ["生产", "总值"]},
                     "growth": {"增长": ["增长"]}})
    rarity = {"国内生产总值": 2.0, "生产": 1.0, "总值": 3.0}.get
    assert bridge.written_out("2025年GDP增长目标", lambda t: rarity(t, 9.0)) == \
        "2025年生产总值增长目标"  # the translation holding the store's most common token
    assert bridge.written_out("GDP growth", lambda t: 0.0) == "GDP growth"  # English: as asked
    # only the abbreviation standing on its own, not its letters inside another word
    assert Bridge({"^AI": {"人工智能": ["人工智能"]}}).written_out("AI与OpenAI的差别", lambda t: 0.0) \
        == "人工智能与OpenAI的差别"


def test_a_chinese_question_is_written_out_each_way_its_abbreviations_translate():
    bridge = Bridge({"^R&D": {"研发": ["研发"], "研究与试验发展": ["研究", "试验", "发展"]},
                     "^GDP": {"国内生产总值": ["国内生产总值"]}})
    rarity = {"研究": 1.0, "研发": 4.0}.get
    assert bridge.written_variants("R&D强度和GDP", lambda t: rarity(t, 9.0)) == [
        "研究与试验发展强度和国内生产总值", "研发强度和国内生产总值"]
    assert bridge.written_variants("R&D intensity", lambda t: 0.0) == ["R&D intensity"]


def test_abbreviations_come_from_the_dictionarys_glosses_and_the_table():
    table = bridge_module._reverse()
    assert "国内生产总值" in table["^GDP"] and "增值税" in table["^VAT"]  # CC-CEDICT and the table
    assert "保八" not in table["^GDP"]  # its gloss mentions GDP, it does not stand for it
    assert "细颗粒物" in table["^PM2.5"] and "研发" in table["^R&D"]  # the table only
    assert list(bridge_module._gloss_abbreviations("WTO (World Trade Organization)")) == ["WTO"]
    assert list(bridge_module._gloss_abbreviations("consumer price index CPI")) == ["CPI"]
    assert not list(bridge_module._gloss_abbreviations("to maintain an 8% annual growth rate "
                                                       "of the GDP (PRC policy)"))


def test_a_chinese_question_meets_the_words_its_abbreviations_stand_for(kg_seed_store):
    from policykg.kg import KnowledgeGraph

    with KnowledgeGraph.open({"store": str(kg_seed_store)}, read_only=True) as graph:
        searcher = graph.searcher()
        held = [i for i, s in enumerate(searcher.corpus.sentences) if "人工智能" in s.text]
        assert held
        for question in ("长宁区怎样发展AI产业", "AI industry in Changning"):
            sig = searcher.sources.signals(question, None, [], None)
            assert ("AI", ["人工智能"]) in sig.translated, question
            assert (sig.bm25_s[held] > 0).all() and "人工智能" in sig.terms
        # answered as the question written out is (before, "ai" was an unknown word, and the
        # question was refused as one nothing in the store answers)
        short = graph.search("长宁区怎样发展AI产业", type="sentence", k=5)
        full = graph.search("长宁区怎样发展人工智能产业", type="sentence", k=5)
        assert short.results and short.to_json()["translated"] == [{"en": "AI", "zh": ["人工智能"]}]
        top = [h.label for h in (short.results + short.more)[:5]]
        assert any("人工智能" in label for label in top)
        assert set(top) == {h.label for h in (full.results + full.more)[:5]}


@pytest.mark.parametrize("question", ["AI industry", "长宁区AI产业", "industry"])
def test_a_store_without_documents_says_so_instead_of_failing(tmp_path, question):
    # its BM25 index was never filled: the bridge read a vocabulary it does not have
    from policykg.kg import KnowledgeGraph

    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as graph:
        result = graph.search(question)
    assert result.results == [] and "no documents" in result.message
