"""A ranked answer's ``more``: the hits the relevance cut-off left out, best first (issue 13)."""
from __future__ import annotations

import pytest

from policykg.kg import KnowledgeGraph
from policykg.web.render import search_text


@pytest.fixture(scope="module")
def kg(kg_seed_store):
    graph = KnowledgeGraph.open({"store": str(kg_seed_store)}, read_only=True)
    yield graph
    graph.close()


@pytest.mark.parametrize("question", ["看病就医", "住房", "customs and trade facilitation"])
def test_more_continues_the_ranking_below_the_cut_off_up_to_k(kg, question):
    result = kg.search(question, type="task", k=10)
    shown, more = result.results, result.more
    assert shown and more, question
    iris = [h.iri for h in shown + more]
    assert len(iris) == len(set(iris)) == 10  # the sample's ten tasks, none twice
    scores = [h.score for h in more]
    assert scores == sorted(scores, reverse=True)  # among themselves; the cut-off is not only
    # a score: a hit without the words asked for may score above the last one shown
    assert all(h.type == "task" and h.evidence for h in more)
    data = result.to_json()
    assert [h["iri"] for h in data["more"]] == [h.iri for h in more]


def test_k_bounds_the_results_and_more_together(kg):
    for k in (1, 3, 5):
        result = kg.search("住房", type="task", k=k)
        assert len(result.results) + len(result.more) == k


def test_sentences_and_documents_have_more_too(kg):
    result = kg.search("看病就医", type="sentence", k=8)
    assert result.results and len(result.results) + len(result.more) == 8
    assert not {h.iri for h in result.results} & {h.iri for h in result.more}
    assert all(h.type == "sentence" for h in result.more)


def test_no_answer_and_lists_carry_no_more(kg):
    refused = kg.search("Mars rover launch schedule")
    assert refused.answer == "none" and not refused.more and "more" not in refused.to_json()
    listed = kg.search("哪些单位")
    assert listed.answer == "list" and not listed.more


def test_text_output_puts_the_more_results_after_a_line_that_says_so(kg):
    text = search_text(kg.search("住房", type="task", k=10), ansi=False)
    head, line, tail = text.partition("more, below the relevance cut-off")
    assert line and "#1 " in head and "#10" in tail


def test_a_hit_with_many_targets_shows_a_few_and_says_how_many():
    from types import SimpleNamespace as T

    from policykg.web.render import FACTS_SHOWN, facts_lines

    many = [T(indicator=f"指标{i}", comparator="=", value=float(i), unit="%", year=None)
            for i in range(30)]
    line = facts_lines(T(duties=None, deadlines=None, targets=many))[0]
    assert line.count("指标") == FACTS_SHOWN and line.endswith("… (30 in all)")


def test_names_and_words_of_one_length_come_in_the_same_order_in_every_process():
    """A set's order follows string hashes, which change from one process to the next: the
    word highlighted in 黄河流域 (黄河 or 河流) must not."""
    import os
    import subprocess
    import sys

    code = ("from policykg.kg.search.tables import Entity, entity_names\n"
            "from policykg.kg.search.text import longest_first\n"
            "e = Entity('x', '黄河', aliases={'河流', '长江', '黄河流域', 'Yellow River'})\n"
            "print(entity_names(e), sorted({'河流', '黄河', '流域'}, key=longest_first))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}, check=True).stdout
            for seed in range(1, 6)}
    assert runs == {"['Yellow River', '黄河流域', '河流', '长江', '黄河'] ['河流', '流域', '黄河']\n"}
