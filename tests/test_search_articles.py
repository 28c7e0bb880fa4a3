"""Articles of a law: the relevance cut-off follows their fusion weights (issue 13, item 2)."""
from __future__ import annotations

import pytest

from policykg.kg.search.fusion import NO_BRIDGE

# names the topic "education" by its preferred label: 教育 occurs in some articles
QUESTION = "education and publicity about blood donation"


@pytest.fixture
def law_kg(blood_law_kg):
    return blood_law_kg


@pytest.mark.slow
def test_a_linked_topic_gives_articles_no_direct_evidence(law_kg):
    searcher = law_kg.searcher()
    matches = searcher.lexicon.matches(QUESTION)
    assert any(preferred for _, _, preferred in matches)  # the question names a topic
    assert any("教育" in s.text for s in searcher.corpus.sentences)
    sig = searcher.sources.signals(QUESTION, None, matches, None)
    assert not sig.direct_t.any()  # articles fuse without concept links: no evidence from them
    for written in ("教育", "献血的宣传教育"):  # a label the question writes still counts
        sig = searcher.sources.signals(written, None, searcher.lexicon.matches(written), None)
        assert sig.direct_t.any(), written


@pytest.mark.slow
def test_articles_are_shown_in_the_order_of_their_fused_scores(law_kg, monkeypatch):
    searcher = law_kg.searcher()
    monkeypatch.setattr(searcher.no_answer, "enabled", False)
    for question in (QUESTION, "who pays the medical costs of a donor who needs blood later",
                     "献血者的血液检测不合格怎么办"):
        shown = [h.iri for h in law_kg.search(question).results]
        fused = [iri for iri, _ in searcher.rank_targets(question)]
        assert shown and shown == fused[:len(shown)], question


@pytest.mark.slow
def test_sentence_results_leave_the_linked_concepts_words_out_of_bm25(law_kg, monkeypatch):
    # an English question has no BM25 of its own: the linked topic's Chinese words would be
    # all of it, normalised to the whole BM25 weight, lifting every sentence naming the topic
    # (its translated words aside: kg.search.bridge, tests/test_search_bridge.py)
    searcher = law_kg.searcher()
    matches = searcher.lexicon.matches(QUESTION)
    assert searcher.sources.expands("task") and not searcher.sources.expands("sentence")
    monkeypatch.setattr(searcher.sources, "bridge", lambda: NO_BRIDGE)
    expanded = searcher.sources.signals(QUESTION, None, matches, None, expand=True)
    plain = searcher.sources.signals(QUESTION, None, matches, None, expand=False)
    assert expanded.bm25_s.any() and not plain.bm25_s.any()


@pytest.mark.slow
def test_a_chinese_questions_bm25_weighs_by_how_much_of_it_the_best_sentence_holds(law_kg):
    from policykg.kg.search.fusion import BM25_COVER

    searcher = law_kg.searcher()
    sources = searcher.sources

    def signals(question: str):
        return sources.signals(question, None, searcher.lexicon.matches(question), None)

    # the words of a sentence of the regulation, asked as written: all of it held
    held = signals("献血者每次采集血液量一般为二百毫升")
    assert held.bm25_scale == 1.0
    # a question most of whose words no sentence holds: its best lexical match is a few words
    partial = signals("献血车司机的工资和停车费由哪个部门支付")
    assert 0.0 < partial.bm25_scale < 1.0
    tokens = sources.tokenizer.tokens("献血车司机的工资和停车费由哪个部门支付")
    full = sources.bm25.full_score(tokens)
    assert partial.bm25_scale == pytest.approx(
        float(partial.bm25_s.max()) / (BM25_COVER * full), rel=1e-4)
    assert partial.words.bm_s.max() == pytest.approx(partial.bm25_scale, rel=1e-4)
    # English BM25 is its translations': not weighed so
    assert signals("how much blood is collected each time").bm25_scale == 1.0


@pytest.mark.slow
def test_sentences_asked_for_in_chinese_fuse_with_their_own_weights(law_kg):
    import numpy as np

    from policykg.kg.search.fusion import WEIGHTS, ZH_SENTENCE, fuse, norm_dense, word_parts

    searcher = law_kg.searcher()
    assert ZH_SENTENCE.bm25 < WEIGHTS["sentence"].bm25  # dense leads more for Chinese
    for question, weights in (("献血者的血液检测不合格怎么办", ZH_SENTENCE),
                              ("compensation for blood donors", WEIGHTS["sentence"])):
        sig = searcher.sources.signals(question, None, searcher.lexicon.matches(question), None)
        assert sig.chinese == (weights is ZH_SENTENCE)
        sig.dense_s = np.linspace(0.2, 0.9, len(sig.dense_s)).astype(np.float32)
        words = word_parts(sig.bm25_s, sig.bm25_t, sig.concept_s, sig.concept_t,
                           searcher.corpus.lift, sig.bm25_scale)
        sentence, _ = fuse(sig, searcher.corpus, "hybrid", "sentence")
        expected = weights.bm25 * words.bm_s + weights.dense * norm_dense(sig.dense_s)
        assert np.allclose(sentence, expected, atol=1e-6), question


def test_passages_of_the_documents_of_a_year_the_question_names_come_first():
    from types import SimpleNamespace

    import numpy as np

    from policykg.kg.search.fusion import YEAR_BOOST, by_year, doc_years

    docs = {"d21": SimpleNamespace(date="2021-03-05"), "d22": SimpleNamespace(date="2022"),
            "law": SimpleNamespace(date=None)}
    corpus = SimpleNamespace(doc_list=["d21", "d22", "law"], docs=docs)
    years = doc_years(corpus)
    assert years.tolist() == [2021, 2022, 0]
    scores = np.array([0.80, 0.85, 0.90, 0.70], dtype=np.float32)
    sent_doc = np.array([0, 1, 2, 0])
    assert by_year(scores, sent_doc, years, ()) is scores  # no year named: as fused
    raised = by_year(scores, sent_doc, years, ("2021",))
    # the 2021 document's passages first; the 2022 one (looking back on 2021) half as much;
    # an undated one as it was
    expected = np.array([0.80 * (1 + YEAR_BOOST), 0.85 * (1 + YEAR_BOOST / 2), 0.90,
                         0.70 * (1 + YEAR_BOOST)])
    assert np.allclose(raised, expected * 0.90 / expected.max())  # the best stays at 0.90
    assert int(np.argmax(raised)) == 0 and np.isclose(raised.max(), scores.max())
    # a year no document is dated in changes nothing
    assert np.allclose(by_year(scores, sent_doc, years, ("1999",)), scores)


def test_headings_and_title_lines_rank_below_the_passages_they_head():
    """A numbered heading ("一、2024年工作回顾") or a report's title line holds a question's words
    and year but answers nothing: among sentence results it is scaled down, a passage is not."""
    import numpy as np

    from policykg.kg.search.fusion import HEADING_FACTOR, headings_down
    from policykg.kg.search.sentences import is_heading

    title = "2024年国务院政府工作报告"
    texts = ["一、2024年工作回顾", "2024年，国内生产总值增长5%。", "政府工作报告", "（二）扩大国内需求。",
             "第三章 法律责任", "第三条 本条例适用于本市。", "一、坚持稳中求进，推动高质量发展"]
    assert [is_heading(t, title) for t in texts] == [True, False, True, True, True, False, False]
    scores = np.array([0.95, 0.90, 0.92, 0.10, 0.0, 0.5, 0.6], dtype=np.float32)
    lowered = headings_down(scores, lambda i: is_heading(texts[i], title))
    assert int(np.argmax(lowered)) == 1  # the passage, not its heading or the title line
    assert np.isclose(lowered[0], 0.95 * HEADING_FACTOR) and lowered[5] == scores[5]
    assert lowered[4] == 0.0 and scores[0] == np.float32(0.95)  # no score made up; input kept
    assert headings_down(scores, lambda i: True, factor=1.0) is scores


@pytest.mark.slow
def test_asked_why_or_since_when_the_article_saying_so_comes_first(law_kg, monkeypatch):
    """"为什么制定" / "what is the purpose of …": 第一条 ("为保证……，制定本条例"); "什么时候施行" /
    "when did … take effect": the article saying from when. Each shares little with the question
    but the regulation's subject, so without the rule an article repeating it ranked first."""
    from policykg.kg.search import provisions
    from policykg.kg.search.provisions import asked_provision

    searcher = law_kg.searcher()
    monkeypatch.setattr(searcher.no_answer, "enabled", False)
    targets = searcher.corpus.targets
    last = max(targets, key=lambda u: u.start).label  # the regulation's last article
    asked = {"上海市献血条例为什么制定？": "第一条", "献血条例的立法依据是什么": "第一条",
             "What is the purpose of the blood donation regulations?": "第一条",
             "why were these rules on blood donation enacted": "第一条",
             "上海市献血条例什么时候开始施行？": last,
             "When did the Shanghai blood donation regulations take effect?": last}
    assert [asked_provision(q) for q in asked] == ["purpose"] * 4 + ["effect"] * 2
    for kind, label in (("purpose", "第一条"), ("effect", last)):  # the one article, nothing else
        assert [u.label for u, yes in zip(targets, searcher.provisions.mask(kind)) if yes] \
            == [label], kind
    firsts = {q: law_kg.search(q, k=3).results[0].label for q in asked}
    assert firsts == asked
    monkeypatch.setattr(provisions, "PROVISION_LIFT", 0.0)  # the rule off: others came first
    off = {q: law_kg.search(q, k=3).results[0].label for q in asked}
    assert sum(off[q] != asked[q] for q in asked) >= 4, off
    # a question about a rule's content is ranked as fused
    assert asked_provision("献血者的血液检测不合格怎么办") is None


def test_what_asks_for_a_regulations_purpose_or_start_and_what_states_them():
    from policykg.kg.search.provisions import asked_provision, states

    assert all(asked_provision(q) == "purpose" for q in (
        "why were the plant quarantine regulations enacted", "邮政法实施办法的制定目的",
        "Why did the Ministry of Public Security introduce controls on certain knives?",
        "What is the legal basis for the counter-espionage implementing rules?",
        "教师资格条例为什么制定，依据是哪部法律？"))
    assert all(asked_provision(q) == "effect" for q in (
        "When did the State Council rules on merger notification thresholds take effect?",
        "since when have these measures been in force since 2008?", "这个办法从什么时候起施行",
        "献血条例何时生效", "what is the effective date of the property management rules"))
    assert not any(asked_provision(q) for q in (
        "Why was the 2021 growth target set at above 6%?", "罚款多少", "what does article 5 say",
        "why did exports grow in 2023", "哪些单位负责制定本市的规划", "规章一般应当自公布之日起多少日后施行？",
        "what measures take effect against polluters"))
    assert states("purpose", "第一条 为了防止危险性病、虫传播蔓延，保护农业生产安全，制定本条例。")
    assert states("purpose", "根据《中华人民共和国邮政法》，结合本市实际，制定本办法。")
    assert states("purpose", "为了保障公民人身安全，特制订本规定。")  # 制订, as the 1983 rules write it
    assert not states("purpose", "市建设行政管理部门应当制定本市城市道路应急预案。")
    assert not states("purpose", "第三条 本条例适用于本市。")
    assert states("effect", "第四十六条 本条例自2007年6月1日起施行。")
    assert states("effect", "本实施细则自发布之日起施行。") and states("effect", "本规定自1985年度起施行。")
    assert not states("effect", "规章应当自公布之日起30日后施行。")
    assert not states("effect", "第三条 本条例适用于本市。")
