"""Search tables as columns: sentences, their targets and term counts, the same as record by record."""
from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings, strategies as st

from policykg.kg.search.tables import Corpus, Doc, Sentence, SentenceTable, Unit, from_table, to_table
from policykg.kg.search.terms import SpanColumn

DOC_A, DOC_B = "https://example.org/doc/a", "https://example.org/doc/b"
TEXT_A = "一、总体要求。坚持创新驱动。二、主要任务。1.打造航空服务新优势。2.发展航空物流。"
TEXT_B = "第一条 为了规范管理，制定本办法。第二条 本办法适用于本市。"


def _sentences(doc: str, text: str, unit_of=lambda start: None) -> list[Sentence]:
    out, start = [], 0
    for piece in re.findall(r"[^。]+。", text):
        end = start + len(piece)
        out.append(Sentence(f"{doc}/sentence/{start}-{end}", doc, start, end, piece, unit_of(start)))
        start = end
    return out


def _corpus(units: dict[str, Unit]) -> Corpus:
    docs = {DOC_A: Doc(DOC_A, "甲", text=TEXT_A), DOC_B: Doc(DOC_B, "乙", text=TEXT_B)}
    for unit in units.values():
        unit.text = docs[unit.doc].text[unit.start:unit.end]
    sentences = _sentences(DOC_A, TEXT_A, lambda s: f"{DOC_A}/part/1" if s < 14 else None) \
        + _sentences(DOC_B, TEXT_B)
    return Corpus(docs, units, sentences, {})


def _tasks() -> dict[str, Unit]:
    one = TEXT_A.index("1.")
    two = TEXT_A.index("2.")
    return {f"{DOC_A}/task/1": Unit(f"{DOC_A}/task/1", "Task", DOC_A, "任务一", start=one, end=two),
            f"{DOC_A}/task/2": Unit(f"{DOC_A}/task/2", "Task", DOC_A, "任务二", start=two,
                                    end=len(TEXT_A)),
            f"{DOC_B}/article/1": Unit(f"{DOC_B}/article/1", "Article", DOC_B, "第一条", start=0,
                                       end=TEXT_B.index("第二条"))}


def test_sentences_are_columns_that_give_back_the_records():
    corpus = _corpus(_tasks())
    table = corpus.sentences
    assert isinstance(table, SentenceTable) and len(table) == 7
    first = table[0]
    assert (first.text, first.doc, first.unit) == ("一、总体要求。", DOC_A, f"{DOC_A}/part/1")
    assert table[-1].text == "第二条 本办法适用于本市。" and table[-1].unit is None
    assert [s.iri for s in table] == table.iris()
    assert table.texts() == [s.text for s in table]


def test_each_sentence_gets_the_target_holding_it_and_the_table_round_trips():
    corpus = _corpus(_tasks())
    targets = [corpus.targets[s.target].label if s.target is not None else None
               for s in corpus.sentences]
    assert targets == [None, None, None, "任务一", "任务二", "第一条", None]
    again = from_table(to_table(corpus))
    assert [(s.iri, s.text, s.unit, s.target) for s in again.sentences] == \
        [(s.iri, s.text, s.unit, s.target) for s in corpus.sentences]
    assert again.sent_doc.tolist() == corpus.sent_doc.tolist()


def test_nested_targets_give_each_sentence_the_first_that_holds_it():
    part = Unit(f"{DOC_A}/part/2", "Part", DOC_A, "二", start=TEXT_A.index("二、"), end=len(TEXT_A))
    chapter = Unit(f"{DOC_A}/chapter/1", "Chapter", DOC_A, "章", start=TEXT_A.index("1."),
                   end=len(TEXT_A))
    article = Unit(f"{DOC_B}/article/1", "Article", DOC_B, "第一条", start=0,
                   end=TEXT_B.index("第二条"))
    corpus = _corpus({part.iri: part, chapter.iri: chapter, article.iri: article})
    labels = [corpus.targets[s.target].label if s.target is not None else None
              for s in corpus.sentences]
    assert labels == [None, None, "二", "二", "二", "第一条", None]  # B's targets lie apart


def test_an_entitys_evidence_is_the_sentences_of_its_units_naming_it():
    from policykg.kg.search.tables import Entity

    units = _tasks()
    docs = {DOC_A: Doc(DOC_A, "甲", text=TEXT_A), DOC_B: Doc(DOC_B, "乙", text=TEXT_B)}
    for unit in units.values():
        unit.text = docs[unit.doc].text[unit.start:unit.end]
    aviation = Entity("https://example.org/entity/aviation", "航空服务", "Topic",
                      aliases={"航空"}, units={f"{DOC_A}/task/1", f"{DOC_A}/task/2"})
    part = Entity("https://example.org/entity/goal", "总体要求", units={f"{DOC_A}/part/1"})
    sentences = _sentences(DOC_A, TEXT_A, lambda s: f"{DOC_A}/part/1" if s < 14 else None)
    corpus = Corpus(docs, units, sentences, {e.iri: e for e in (aviation, part)})
    texts = corpus.sentences.texts()
    # the tasks' sentences name no unit of their own: found through the task they belong to
    assert [texts[i] for i in corpus.evidence[aviation.iri]] == ["1.打造航空服务新优势。",
                                                                 "2.发展航空物流。"]
    assert [texts[i] for i in corpus.evidence[part.iri]] == ["一、总体要求。"]
    again = from_table(to_table(corpus))
    assert again.evidence == corpus.evidence


def test_a_sentence_whose_text_is_not_its_documents_slice_keeps_its_own():
    docs = {DOC_A: Doc(DOC_A, text=TEXT_A)}
    odd = Sentence(f"{DOC_A}/sentence/x", DOC_A, 0, 7, "另一句话。")
    table = SentenceTable.of(docs, [odd])
    assert table[0].text == "另一句话。" and table.texts() == ["另一句话。"]
    assert SentenceTable.from_columns(docs, table.columns())[0].text == "另一句话。"


@settings(max_examples=200, deadline=None)
@given(st.text("航空服务a", max_size=40), st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12)),
                                                   max_size=8),
       st.text("航空服务a", min_size=1, max_size=3))
def test_counts_per_span_match_str_count_whether_spans_lie_apart_or_overlap(text, raw, term):
    spans = sorted((min(s, len(text)), min(s + n, len(text))) for s, n in raw)
    starts = np.array([s for s, _ in spans], dtype=np.int64)
    ends = np.array([e for _, e in spans], dtype=np.int64)
    column = SpanColumn([text], {"s": (np.zeros(len(spans), dtype=np.int64), starts, ends)})
    found = [m.start() for m in re.finditer(re.escape(term), text)]
    expected = [sum(1 for p in found if s <= p and p + len(term) <= e) for s, e in spans]
    assert column.count(term)["s"].tolist() == expected


def test_warm_loads_the_searcher_in_the_background(kg_seed_store):
    from policykg.kg import KnowledgeGraph

    with KnowledgeGraph.open({"store": str(kg_seed_store)}, read_only=True) as kg:
        kg.warm().join(timeout=300)
        loaded = kg._searcher
        assert loaded is not None and kg.searcher() is loaded  # the first question reuses it
        assert kg.search("航空").results
