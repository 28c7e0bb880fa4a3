"""Honest "no answer" on the bundled sample (issue 13, item 7): questions nothing in the store
answers get no results, a message saying so and the closest topics; real questions still answer."""
from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from policykg.kg.search.noanswer import GAP_MIN, GAP_MIN_ZH, GAP_UNMATCHED, Support, refuses
from policykg.kg.vocab import TOPIC_IRI
from policykg.web.render import search_text

# the issue's four, and one of ours; at least 4 of the 5 must get no answer, the four always
ISSUE_QUESTIONS = ["量子计算机芯片", "Mars rover launch schedule", "足球世界杯决赛",
                   "<script>alert(1)</script>"]
UNANSWERABLE = ISSUE_QUESTIONS + ["Tesla stock price today"]


@pytest.fixture(scope="module")
def kg(sample_kg):
    return sample_kg


def _refused(result) -> bool:
    return not result.results and result.answer == "none"


@pytest.mark.parametrize("question", ISSUE_QUESTIONS)
def test_the_issues_unanswerable_questions_get_no_results_and_a_message(kg, question):
    result = kg.search(question)
    assert result.results == []
    assert result.message and "no good match" in result.message
    if _refused(result):  # a hostile string may also be stopped earlier, with its own message
        assert "相近主题 closest topics" in result.message


def test_at_least_four_of_five_unanswerable_questions_are_refused(kg):
    refused = [q for q in UNANSWERABLE if _refused(kg.search(q))]
    assert len(refused) >= 4, refused


def test_a_refusal_suggests_the_closest_topics_of_the_store(kg):
    data = kg.search("Tesla stock price today").to_json()
    assert data["answer"] == "none" and data["results"] == []
    topics = data["suggestions"]
    assert 1 <= len(topics) <= 3
    assert all(t["iri"].startswith(TOPIC_IRI) and t["label"] for t in topics)
    assert all(t["label"] in data["message"] for t in topics)


def test_a_prepared_searcher_suggests_topics_without_reading_them_again(kg, monkeypatch):
    from policykg.kg import topics

    kg.searcher().prepare()  # what a server does once it has started
    monkeypatch.setattr(topics, "topics_by_iri", lambda *a: pytest.fail("read at a refusal"))
    data = kg.search("Tesla stock price today").to_json()
    assert data["answer"] == "none" and data["suggestions"]


@pytest.mark.parametrize("question, type_, wanted", [
    ("哪些任务涉及航空？", None, "2"),
    ("which tasks involve aviation?", None, "2"),
    ("garbage classification", None, "5"),
    ("elderly care", None, None),
    ("人才", None, None),
    ("东华大学", None, None),
    ("Donghua University", None, None),
    ("电影", None, None),
    ("航空", "sentence", None),
])
def test_the_samples_real_questions_still_answer(kg, question, type_, wanted):
    result = kg.search(question, type=type_)
    assert result.results and result.answer != "none", result.message
    if wanted is not None:
        assert result.results[0].number == wanted


def test_the_signals_of_an_answer_are_kept_on_the_result_not_in_the_json(kg):
    answered = kg.search("overseas talent and residence permits")
    assert answered.support is not None and not answered.support.refused
    assert answered.support.known > 0.5
    assert "support" not in answered.to_json()
    refused = kg.search("Mars rover launch schedule")
    assert refused.support.refused and refused.support.known < 0.5


def test_the_rule_needs_both_signals_low_and_spares_short_probes():
    assert refuses(0.0, 0.0, False)
    assert not refuses(1.0, 0.0, False)  # every word occurs in the store
    assert not refuses(0.0, 0.2, False)  # a sentence far closer than any everyday subject
    assert not refuses(0.0, 0.0, True)  # one or two words: a topic probe


def test_a_chinese_question_needs_a_closer_sentence_than_an_english_one():
    # the stores' words are Chinese: few known words say more of a Chinese question
    assert refuses(0.2, GAP_MIN + 0.01, False, chinese=1.0)
    assert not refuses(0.2, GAP_MIN + 0.01, False, chinese=0.0)
    assert not refuses(0.2, GAP_MIN_ZH + 0.01, False, chinese=1.0)
    # a mixed question lies in between, by its Chinese share
    middle = (GAP_MIN + GAP_MIN_ZH) / 2
    assert refuses(0.2, middle - 0.005, False, chinese=0.5)
    assert not refuses(0.2, middle + 0.005, False, chinese=0.5)


def test_a_question_nothing_matches_by_its_words_needs_a_clearly_closer_meaning():
    # known words or not: with no word, translation or linked label anywhere in the store,
    # the answer would rest on meaning alone
    gap = (GAP_MIN + GAP_UNMATCHED) / 2
    assert not refuses(0.2, gap, False, chinese=0.0)
    assert refuses(0.2, gap, False, chinese=0.0, lexical=False)
    assert refuses(0.9, gap, False, lexical=False)
    assert not refuses(0.0, GAP_UNMATCHED + 0.01, False, lexical=False)
    assert not refuses(0.0, 0.0, True, lexical=False)  # a probe is still answered


def test_the_judge_is_told_whether_the_store_holds_a_word_of_the_question(kg):
    matched = kg.search("overseas talent and residence permits").support
    unmatched = kg.search("how tall is Mount Everest in feet").support
    assert matched.lexical and not unmatched.lexical
    assert unmatched.refused and unmatched.to_json()["lexical"] is False


# near misses: they name places and a university of the sample but ask what it does not hold
NEAR_MISSES = ["东华大学研究生录取分数线", "长宁区哪家火锅店最好吃", "虹桥火车站明天的列车时刻表",
               "Shanghai Disneyland ticket prices this summer"]


@pytest.mark.parametrize("question", NEAR_MISSES)
def test_near_misses_sharing_the_samples_words_get_no_answer(kg, question):
    result = kg.search(question)
    assert _refused(result), [h.label for h in result.results]


def test_the_judges_signals_say_how_chinese_a_question_is(kg):
    zh = kg.search("怎样让辖区里的老年人得到更好的照顾和医疗服务").support
    en = kg.search("Tesla stock price today").support
    assert zh.chinese == 1.0 and en.chinese == 0.0
    assert 0.0 < zh.cos <= 1.0 and zh.margin >= 0.0
    data = en.to_json()
    assert {"known", "gap", "chinese", "cos", "margin", "links"} <= set(data)


def test_the_cli_prints_the_message_and_topics(kg_seed_store, tmp_path, capsys):
    from policykg.web.cli import main

    store = tmp_path / "store"
    shutil.copytree(kg_seed_store, store)
    assert main(["search", "Tesla stock price today", "--store", str(store), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answer"] == "none" and data["suggestions"]
    assert main(["search", "足球世界杯决赛", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "0 result(s)" in out and "no good match" in out and "相近主题" in out


def test_text_rendering_shows_the_message(kg):
    text = search_text(kg.search("Mars rover launch schedule"), ansi=False)
    assert "no good match" in text and "closest topics" in text


def test_the_search_page_and_api_say_so_and_link_the_topics(kg_seed_store, tmp_path):
    pytest.importorskip("flask")
    from policykg.web.app import close_app, create_app

    store = tmp_path / "store"
    shutil.copytree(kg_seed_store, store)
    app = create_app({"POLICYKG": {"store": str(store)}, "TESTING": True})
    try:
        client = app.test_client()
        data = client.get("/api/search?q=Tesla+stock+price+today").get_json()
        assert data["answer"] == "none" and data["results"] == [] and data["suggestions"]
        page = client.get("/search?q=足球世界杯决赛",
                          headers={"Accept": "text/html"}).get_data(as_text=True)
        assert "这些文件没有回答" in page and "Nothing in these documents answers" in page
        assert "相近主题" in page and 'href="/topic/' in page
        page = client.get("/search?q=哪些任务涉及航空？",
                          headers={"Accept": "text/html"}).get_data(as_text=True)
        assert "这些文件没有回答" not in page
    finally:
        close_app(app)


def test_the_anchor_vectors_are_saved_beside_the_store_and_reused(kg, kg_seed_store):
    import dataclasses

    import numpy as np

    kg.search("Tesla stock price today")
    assert len(list((kg_seed_store / "noanswer").glob("anchors-*.npy"))) == 1
    judge = kg.searcher().no_answer

    class NoEmbedding:  # the saved vectors must be read, not embedded again
        name = judge.embedder.name

        def embed_passages(self, texts, **_):
            raise AssertionError("embedded the anchors again")

    fresh = dataclasses.replace(judge, embedder=NoEmbedding(), _anchors=None)
    assert np.array_equal(fresh.anchor_vectors(), judge.anchor_vectors())


# written after the rule was fitted (bench/gold d120–d196, report part): questions that share
# words with the sample (lottery, tax, road test, 高铁, 高速公路 …) but ask another country's rule
FRESH_NEAR_MISSES = ["how much does a UK National Lottery ticket cost",
                     "rules for walking dogs off-leash in Central Park",
                     "tips for passing the G2 road test in Ontario",
                     "which tasks does the European Central Bank set for monetary policy next year",
                     "英国脱欧对伦敦房价有什么影响", "上海到北京的高铁二等座票价是多少",
                     "德国高速公路为什么不限速"]


@pytest.mark.parametrize("question", FRESH_NEAR_MISSES)
def test_fresh_near_misses_in_both_languages_get_no_answer(kg, question):
    result = kg.search(question)
    assert _refused(result), (result.support, [h.label for h in result.results])


def test_the_gold_sets_keep_their_split_and_the_fresh_blocks_are_report_only():
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parents[1] / "bench"
    sys.path.insert(0, str(bench))
    try:
        import eval_sets
    finally:
        sys.path.remove(str(bench))
    gold = {name: eval_sets.read_set(eval_sets.GOLD / file)  # raises on a broken split
            for name, file in eval_sets.SETS.items()}
    unanswerable = gold["d"]
    assert len({r["id"] for r in unanswerable}) == len(unanswerable) >= 140
    assert {r["lang"] for r in unanswerable} == {"en", "zh"}
    first_fresh = {"b": 179, "c": 75, "d": 120}
    # ids from 2000 up are tune blocks: English questions b2003–…, c2001–… (stop 30),
    # unanswerable ones d2003–… (stop 31)
    tune_block = [r for name in "bcd" for r in gold[name] if 2000 <= int(r["id"][1:]) < 3000]
    assert tune_block and all(r["split"] == "tune" for r in tune_block)
    fresh = [r for name, first in first_fresh.items() for r in gold[name]
             if int(r["id"][1:]) >= first and r not in tune_block]
    assert len([r for r in fresh if r["id"][0] == "d"]) >= 40
    assert len([r for r in fresh if r["id"][0] in "bc" and r["lang"] == "en"]) >= 20
    assert all(r["split"] == "report" for r in fresh)


# -- figures: a question asking for one that the best answers do not give ------------------------

def test_what_asks_for_a_figure_and_what_gives_one():
    from policykg.kg.search.asked import asks_figure, gives_figure

    assert all(asks_figure(q) for q in ("How many days of leave?", "how much does it cost",
                                        "罚款多少", "要等几天", "什么时候开始", "which year"))
    assert not any(asks_figure(q) for q in ("哪些任务涉及养老？", "which tasks involve aviation?",
                                            "blood donation by students"))
    # "how much" of a degree asks no figure; of money, water or power it does
    assert not any(asks_figure(q) for q in (
        "How much autonomy will city governments get when buying up housing?",
        "how much say do residents have", "how much priority is given to elderly care"))
    assert all(asks_figure(q) for q in ("how much money", "how much power does it generate",
                                        "how much water is used"))
    assert all(gives_figure(t) for t in ("处5000元以下罚款", "不得超过四百毫升", "增长5.2%",
                                         "百分之十", "十八周岁", "3700多万学生受益", "300余家"))
    # a year, an article's number or a date is not an amount
    assert not any(gives_figure(t) for t in ("2025年前完成", "第十八条 业主大会", "依托东华大学"))
    assert refuses(1.0, 1.0, False, figure=False)  # whatever the words and the meaning
    assert not refuses(1.0, 1.0, True, figure=False)  # a probe is still answered
    assert not refuses(1.0, 1.0, False, figure=True)


def test_a_figure_the_texts_do_not_give_gets_no_answer(kg, blood_law_kg):
    # the sample is about 长宁's districts and tasks, and gives no budget
    result = kg.search("长宁区建设国际精品城区的总投资预算是多少亿元？")
    assert _refused(result), [h.label for h in result.results]
    assert result.support.figure is False and "no such figure" in result.message
    # the blood regulation gives the amount collected at one donation (第十六条)
    for question in ("How much blood is collected from a donor each time?", "每次献血采集多少毫升"):
        answered = blood_law_kg.search(question)
        assert answered.results and answered.support.figure is True, question
        assert any("第十六条" in (h.label or "") or any("第十六条" in e.text for e in h.evidence)
                   for h in answered.results[:3]), [h.label for h in answered.results[:3]]


def test_two_words_asked_as_a_question_are_judged_not_taken_for_a_topic_probe(kg):
    from policykg.kg.search.asked import is_question

    assert is_question("how many calories in a banana") and not is_question("elderly care")
    asked = kg.search("how many calories in a banana")
    assert asked.results == [] and not asked.support.probe
    probe = kg.search("elderly care")  # keywords: a topic probe, answered by meaning
    assert probe.results and probe.support.probe


def test_a_figure_of_the_kind_asked_must_be_given():
    from policykg.kg.search.asked import asked_units, gives_figure

    area = asked_units("How large in square kilometres is the Hongqiao zone?")
    assert gives_figure("规划面积4.7平方公里", area)
    assert not gives_figure("奖励五万元", area)  # a figure, but money, not an area
    assert gives_figure("今年中央预算内投资拟安排7000亿元", asked_units("How big is the budget?"))
    assert gives_figure("年满十八周岁的居民", asked_units("居民需要年满几周岁？"))
    assert asked_units("how many people does old-age insurance cover?") == ()
    assert asked_units("每次献血采集多少毫升") == ()  # no kind named: any figure does


def test_a_sum_of_money_asked_as_such_is_not_answered_by_a_share_and_a_rate_is_no_kind():
    from policykg.kg.search.asked import asked_units, gives_figure

    # "多少元", "in yuan", 多少钱 ask for money: a growth rate does not give it …
    for question in ("2021年全国城镇居民人均可支配收入是多少元？", "the fine in yuan for littering",
                     "上海住宅小区物业费每平方米每月收多少钱？"):
        assert not gives_figure("人均可支配收入实际增长8.1%", asked_units(question)), question
        assert gives_figure("罚款二百元", asked_units(question)), question
    # … while a fine, a fee or a premium may be a share or a multiple of something
    for question in ("What is the fine for running a red light?", "罚款多少",
                     "How much is the annual premium for compulsory insurance?"):
        assert gives_figure("处违法所得一倍以上三倍以下的罚款", asked_units(question)), question
    # "per square metre", "per 50 kg", 每平方米: what a price is counted by, not what is asked
    assert asked_units("By how many yuan per 50 kg was the wheat price raised?") == ("元",)
    assert not gives_figure("规划面积4.7平方公里", asked_units("每平方米多少钱"))
    assert asked_units("园区面积多少平方公里") == ("平方", "公顷", "亩")
    assert asked_units("What per cent of pupils go on to university?") == ("%", "％", "百分", "成")


def test_who_holds_an_office_is_answered_only_by_a_person_named(kg):
    from policykg.kg.search.asked import asks_person, names_person

    assert asks_person("Who is the current party secretary of Changning District?")
    assert asks_person("上海市人大常委会现任主任是谁") and asks_person("谁是国务院总理？")
    # who is responsible, who leads a group: a body or a role answers those
    assert not any(asks_person(q) for q in ("Who is responsible for pensions?", "谁负责海绵城市建设",
                                            "领导小组组长由谁担任", "who leads the group"))
    assert names_person("以习近平同志为核心的党中央") and names_person("国务院总理李强，")
    assert names_person("王岚任长宁区委书记")
    # an office alone, a dictionary's "name" that is a word (高水平), "任" as to serve
    assert not any(names_person(t) for t in ("区委书记任领导小组组长", "推动贸易高水平优进优出",
                                             "由区长任组长", "各级党委书记"))
    result = kg.search("Who is the current party secretary of Changning District?")
    assert _refused(result) and result.support.person is False
    assert "name no one" in result.message
    answered = kg.search("Which university supports the fashion industry?")  # not a person
    assert answered.results and answered.support.person is None


def _hit(text: str, date: str | None = None) -> SimpleNamespace:
    """A search hit with one evidence sentence (of a document of ``date``), as the figure
    check reads it."""
    return SimpleNamespace(evidence=[SimpleNamespace(text=text)], label="", date=date)


#: signals that refuse nothing by themselves: what the figure check then decides
_SUPPORTED = Support(words=4, known=1.0, gap=0.1, probe=False)


def test_a_chinese_figure_question_needs_the_figure_where_its_words_are(blood_law_kg):
    from policykg.kg.search.noanswer import FIGURE_COVER

    judge = blood_law_kg.searcher().no_answer
    amount = _hit("采供血机构对献血者每次采集血液量一般为二百毫升，最多不得超过四百毫升")
    fine = _hit("对违反本条例规定的单位，处以五千元以上三万元以下的罚款")
    assert judge.covers("每次献血采集多少毫升", amount.evidence[0].text) >= FIGURE_COVER
    assert judge.check_figures(_SUPPORTED, "每次献血采集多少毫升", [amount]).figure is True
    # money, the kind asked, but of another subject: no answer to the rent of a blood-donation
    # bus; the same passage answers the fine it states
    rent = judge.check_figures(_SUPPORTED, "献血车每个月的停车租金是多少元？", [fine])
    assert rent.figure is False and rent.refused
    assert judge.check_figures(_SUPPORTED, "违反条例的单位最多罚款多少元？", [fine]).figure is True


def test_a_question_about_years_the_store_never_mentions_is_refused(kg, blood_law_kg,
                                                                     monkeypatch):
    from policykg.kg.search.asked import named_years

    assert named_years("what will the 2031 government work report set as the GDP target") \
        == ("2031",)
    assert named_years("罚款2000元以下") == () and named_years("a 2,000 yuan fine") == ()
    assert named_years("Between 2018 and 2022, how much did PM2.5 fall?") == ("2018", "2022")
    # the sample's sentences name no year at all; its date (2022-12-09) is the only one
    result = kg.search("2031年长宁区建设国际精品城区的目标是什么")
    assert _refused(result) and result.support.years == ("2031",)
    assert "2031" in result.message and "never mention the year" in result.message
    dated = kg.search("2022年长宁区关于建设国际精品城区的实施意见有哪些任务")
    assert dated.results and dated.support.years == ()
    # one year held of two is enough
    judge = blood_law_kg.searcher().no_answer
    assert judge.absent_years("1998年和2031年的献血条例") == ()
    assert judge.absent_years("献血条例2031年修订了什么") == ("2031",)
    assert judge.absent_years("what changed in 1950") == ("1950",)
    # a year the texts write in Chinese numerals (the reports of the 1950s–70s) is held too
    held = "一九五六年的工作报告；一九七零年"
    monkeypatch.setattr(judge, "holding",
                        lambda form: np.arange(1) if form in held else np.zeros(0, np.int64))
    assert judge.absent_years("1956年提出了哪些任务") == ()
    assert judge.absent_years("what happened in 1970") == ()
    assert judge.absent_years("1957年提出了哪些任务") == ("1957",)


def test_when_is_answered_by_a_time_and_what_is_the_rate_asks_a_figure(blood_law_kg):
    from policykg.kg.search.asked import asks_figure, asks_time, gives_time

    assert asks_time("When did the regulation take effect?") and asks_time("条例哪一年施行")
    # "when is X considered …" asks a condition, not a time
    assert not asks_time("When is a tenderer considered capable of drafting its documents?")
    assert gives_time("本条例自1998年10月1日起施行") and gives_time("一九五六年")
    assert not gives_time("处以五千元以上三万元以下的罚款")
    assert all(asks_figure(q) for q in ("What is the total area in square kilometres of the zone?",
                                        "What was Changning District's GDP in 2022?",
                                        "What GDP growth target did the State Council set?",
                                        "What will the retirement age for men be?"))
    assert not any(asks_figure(q) for q in ("what is the lottery issuance fee used for",
                                            "what is planned to keep fertilizer prices stable",
                                            "What will the fines be used for?"))
    judge = blood_law_kg.searcher().no_answer
    effect = _hit("本条例自1998年10月1日起施行")
    fine = _hit("对违反本条例规定的单位，处以五千元以上三万元以下的罚款")
    assert judge.check_figures(_SUPPORTED, "When did the regulation take effect?",
                               [effect]).figure is True
    # an amount is a figure, but no time
    late = judge.check_figures(_SUPPORTED, "When did the regulation take effect?", [fine])
    assert late.figure is False and late.refused


def test_which_years_report_is_answered_by_the_date_of_the_passages_document(blood_law_kg):
    """A year's report answers "哪一年的报告提出…" without naming its year; a year of anything
    else, and "when", still need a time in the passage, and an undated passage answers none."""
    judge = blood_law_kg.searcher().no_answer
    text = "对违反本条例规定的单位，处以罚款"
    dated, undated = _hit(text, "2022-03-05"), _hit(text)
    assert judge.check_figures(_SUPPORTED, "哪一年的政府工作报告提出对违反本条例规定的单位处以罚款",
                               [dated]).figure is True
    assert judge.check_figures(_SUPPORTED, "In which year's report were fines for units set?",
                               [dated]).figure is True
    assert judge.check_figures(_SUPPORTED, "哪一年的报告提出对违反本条例规定的单位处以罚款",
                               [undated]).refused
    # the page's date is not the year the question asks of something else
    assert judge.check_figures(_SUPPORTED, "哪一年规定对违反本条例规定的单位处以罚款", [dated]).refused
    assert judge.check_figures(_SUPPORTED, "When were fines for units set?", [dated]).refused


def test_an_english_question_linked_to_nothing_and_known_by_no_word_needs_a_clearer_gap():
    from policykg.kg.search.noanswer import GAP_MIN, GAP_UNLINKED

    # refitted to GAP_MIN in stop 30 (docs/search.md); the rule is kept for a refit to raise
    assert GAP_UNLINKED >= GAP_MIN
    unlinked = 2 * GAP_MIN
    gap = (GAP_MIN + unlinked) / 2  # enough for an English question the store knows
    assert not refuses(0.0, gap, False, chinese=0.0, links=1, gap_unlinked=unlinked)
    # "how to fold a paper airplane"
    assert refuses(0.0, gap, False, chinese=0.0, links=0, gap_unlinked=unlinked)
    assert not refuses(0.0, unlinked, False, chinese=0.0, links=0, gap_unlinked=unlinked)
    # a word of it is known
    assert not refuses(0.1, gap, False, chinese=0.0, links=0, gap_unlinked=unlinked)
    assert not refuses(0.0, gap, False, chinese=1.0, links=0, gap_min_zh=gap / 2,
                       gap_unlinked=unlinked)
    assert not refuses(0.0, gap, True, chinese=0.0, links=0, gap_unlinked=unlinked)  # a probe


def test_a_chinese_name_the_texts_hold_at_a_word_edge_is_mentioned(kg):
    """jieba cuts 遏制重特大事故 as 遏制 重 特大事故: no search token is 重特大, yet the text
    mentions it; 安保 inside 治安保卫 (治安 保卫) begins and ends inside words: no mention."""
    from dataclasses import replace

    texts = ["坚决遏制重特大事故发生。", "加强治安保卫工作。"]
    judge = replace(kg.searcher().no_answer,
                    corpus=SimpleNamespace(sentences=[SimpleNamespace(text=t) for t in texts]),
                    holding=lambda form: np.array([i for i, t in enumerate(texts) if form in t],
                                                  dtype=np.int64))
    assert judge.tokenizer.word_bounds("治安保卫") == {0, 2, 4}
    assert judge.names_verbatim("重特大")
    assert not judge.names_verbatim("安保")
    assert not judge.names_verbatim("世界杯")  # held by no sentence
    assert not replace(judge, holding=None).names_verbatim("重特大")  # nothing to look in
