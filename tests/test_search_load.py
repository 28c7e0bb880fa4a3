"""What makes the searcher load fast: the frozen tokenizer dictionary, the saved topic labels and
the target-only corpus table give the same answers as reading everything again."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from policykg.kg.search.linking import Lexicon, load_lexicon
from policykg.kg.search.tables import from_table, to_table
from policykg.kg.search.text import FrozenFreq, QueryTokenizer

from test_search_columns import _corpus, _tasks

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "changning-2022-12-09.txt"
WORDS = ["虹桥临空经济示范区", "东华大学", "进博会", "航空服务", "时尚创意"]
QUESTIONS = ["which tasks involve aviation?", "哪些任务涉及养老？", "虹桥临空经济示范区的航空物流",
             "东华大学与时尚创意产业", "Donghua University", "量子计算机芯片", "上海市人民政府办公厅",
             "航空\ud800服务"]  # a lone surrogate, as a broken query string may carry


def test_the_frozen_dictionary_cuts_text_exactly_as_jieba_does(tmp_path):
    fresh = QueryTokenizer(WORDS, tmp_path)  # loads jieba and saves its frequencies
    assert isinstance(fresh._jieba.FREQ, dict) and len(list(tmp_path.glob("freq-*.npy"))) == 1
    frozen = QueryTokenizer(WORDS, tmp_path)
    assert isinstance(frozen._jieba.FREQ, FrozenFreq)
    assert frozen._jieba.total == fresh._jieba.total
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    for text in lines + QUESTIONS:
        assert frozen.tokens(text) == fresh.tokens(text), text
        assert frozen.content_runs(text) == fresh.content_runs(text), text
    # the same words twice: the remembered answers agree with the first lookups
    assert [frozen.tokens(q) for q in QUESTIONS] == [fresh.tokens(q) for q in QUESTIONS]


def test_other_words_make_another_file_and_a_damaged_one_is_read_again(tmp_path):
    QueryTokenizer(WORDS, tmp_path)
    other = QueryTokenizer(WORDS[:2], tmp_path)
    assert len(list(tmp_path.glob("freq-*.npy"))) == 1  # the older file is removed
    path = next(tmp_path.glob("freq-*.npy"))
    np.save(path, np.zeros((3, 2), dtype=np.uint64))  # says 0 rows but holds 2
    again = QueryTokenizer(WORDS[:2], tmp_path)
    assert isinstance(again._jieba.FREQ, dict)  # read from jieba, then saved again
    assert again.tokens(QUESTIONS[2]) == other.tokens(QUESTIONS[2])
    assert isinstance(QueryTokenizer(WORDS[:2], tmp_path)._jieba.FREQ, FrozenFreq)


def test_a_frozen_dictionary_answers_like_the_dict_it_was_made_from(tmp_path):
    freq = {"航空": 120, "航": 0, "航空服务": 7, "a": 3}
    FrozenFreq.save(tmp_path / "f.npy", freq, 131)
    frozen = FrozenFreq(np.load(tmp_path / "f.npy", mmap_mode="r"))
    assert frozen.total == 131
    assert {w: frozen[w] for w in freq} == freq
    assert "航" in frozen and "服务" not in frozen and 3 not in frozen
    assert frozen.get("服务") is None and frozen.get("服务", 1) == 1 and frozen.get("航", 5) == 0


class _Saved:
    """Tables kept in a dict, as ``kg.cache.Tables`` keeps them in files."""

    def __init__(self):
        self.kept: dict[tuple[str, str], object] = {}

    def saved(self, name, version):
        return self.kept.get((name, version))

    def save(self, name, version, table):
        self.kept[(name, version)] = table


class _Store:
    def __init__(self):
        self.queries = 0

    def select_rows(self, sparql):
        self.queries += 1
        return [{"t": "https://example.org/topic/x", "p": "http://www.w3.org/2004/02/skos/core#prefLabel",
                 "l": "航空"}]


def test_the_lexicon_is_read_once_then_taken_from_the_saved_table():
    from policykg.kg.search.tables import Entity

    store, tables = _Store(), _Saved()
    entities = {"https://example.org/e/1": Entity("https://example.org/e/1", "东华大学",
                                                  aliases={"Donghua University"},
                                                  pinyin={"Donghua Daxue"})}
    first = load_lexicon(store, tables, entities)
    again = load_lexicon(store, tables, entities)
    assert store.queries == 1 and len(tables.kept) == 1
    assert again.to_table() == first.to_table()
    assert again.concepts[0].iri == "https://example.org/topic/x"  # the store's, then the scheme's
    for question in ("航空与东华大学", "Donghua University", "donghua", "historic neighbourhoods",
                     "elderly care"):
        assert again.matches(question) == first.matches(question), question
    assert again.chinese_labels() == first.chinese_labels()
    broken = dict(next(iter(tables.kept.values())), zh=[["航空", [[10 ** 6, True]]]])
    assert Lexicon.from_table(broken) is None and Lexicon.from_table({}) is None


def test_the_saved_table_keeps_only_the_targets_with_their_text_and_sentences():
    corpus = _corpus(_tasks())
    again = from_table(to_table(corpus))
    assert [(u.iri, u.type, u.doc, u.label, u.start, u.end, again.target_text(u))
            for u in again.targets] == \
        [(u.iri, u.type, u.doc, u.label, u.start, u.end, u.text) for u in corpus.targets]
    assert all(corpus.target_text(u) == u.text for u in corpus.targets)
    assert set(again.units) == {u.iri for u in corpus.targets}
    assert again.target_at == corpus.target_at
    assert again.sentences.target.tolist() == corpus.sentences.target.tolist()
    assert again.targets_of_link.keys() == corpus.targets_of_link.keys()
    table = to_table(corpus)
    table["sentences"]["target"] = [len(corpus.targets)] * len(corpus.sentences)
    assert from_table(table) is None  # a sentence naming a target the table lacks


def test_the_bm25_cache_key_follows_the_texts_without_making_them():
    from policykg.kg.search.bm25 import cache_key

    tokenizer = QueryTokenizer(WORDS)
    key = cache_key(tokenizer, _corpus(_tasks()))
    assert cache_key(tokenizer, _corpus(_tasks())) == key
    moved = _corpus(_tasks())
    moved.sentences.end[0] -= 1  # one sentence one character shorter
    retitled = _corpus(_tasks())
    retitled.targets[0].title = "标题"
    edited = _corpus(_tasks())
    edited.docs[next(iter(edited.docs))].text += "。"
    keys = {cache_key(tokenizer, c) for c in (moved, retitled, edited)}
    assert key not in keys and len(keys) == 3
    assert cache_key(QueryTokenizer(WORDS[:1]), _corpus(_tasks())) != key


def test_a_corpus_from_a_saved_table_is_named_by_its_stamp_not_by_hashing_its_texts(tmp_path,
                                                                                   monkeypatch):
    from policykg.kg.cache import Tables
    from policykg.kg.search import tables as search_tables
    from policykg.kg.search.bm25 import cache_key

    class Store:  # a local store whose generation a build changes
        path, location, token = str(tmp_path), str(tmp_path), "g1"

        def generation(self):
            return self.token

    store = Store()
    tables = Tables(store)
    monkeypatch.setattr(search_tables, "read_store", lambda _store: _corpus(_tasks()))
    first = search_tables.load_corpus(store, tables)  # read, saved: named by the save
    assert first.stamp and first.stamp == search_tables.load_corpus(store, tables).stamp
    assert tables.stamped("search", search_tables.TABLE_VERSION)[1] in first.stamp
    hashed = _corpus(_tasks())
    assert hashed.stamp is None and hashed.fingerprint().startswith("hash-")
    assert hashed.fingerprint() == _corpus(_tasks()).fingerprint()  # made from the texts

    def no_hashing(*_args):
        raise AssertionError("hashed the texts of a stamped corpus")

    monkeypatch.setattr(search_tables.hashlib, "blake2b", no_hashing)
    tokenizer = QueryTokenizer(WORDS)
    key = cache_key(tokenizer, search_tables.load_corpus(store, tables))
    store.token = "g2"  # a build: a new table, and new names for what is derived from it
    assert cache_key(tokenizer, search_tables.load_corpus(store, tables)) != key


def test_a_bulk_load_pauses_the_collector_and_freezes_what_it_made():
    import gc

    from policykg.kg import graph as graph_module

    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    try:
        with graph_module._bulk_load():
            with graph_module._bulk_load():  # a second graph loading at the same time
                assert not gc.isenabled()
                kept = [[i] for i in range(1000)]
            assert not gc.isenabled()
        assert gc.isenabled() and gc.get_freeze_count() >= frozen + 1000
        assert len(kept) == 1000
    finally:
        gc.unfreeze()
        gc.enable()


def test_unit_names_are_kept_below_their_document_and_given_back_whole():
    from policykg.kg.search.tables import Doc, SentenceTable

    from test_search_columns import DOC_A, TEXT_A

    table = _corpus(_tasks()).sentences
    assert table.unit_names == [f"{DOC_A}/part/1"]
    columns = table.columns()
    assert columns["units"] == ["/part/1"] and columns["unit_doc"] == [table.doc_names.index(DOC_A)]
    docs = {DOC_A: Doc(DOC_A, text=TEXT_A)}
    odd = SentenceTable(docs, [DOC_A], np.array([0, 0]), np.array([0, 7]), np.array([7, 13]),
                        [None, None], ["urn:x:unit", f"{DOC_A}/part/1/item/2"],
                        np.array([0, 1]))
    again = SentenceTable.from_columns(docs, odd.columns())
    for t in (odd, again):
        assert [s.unit for s in t] == ["urn:x:unit", f"{DOC_A}/part/1/item/2"]
        assert t[0].iri == f"{DOC_A}/sentence/0-7"
    broken = dict(odd.columns(), unit_doc=[0])  # one document for two names
    try:
        SentenceTable.from_columns(docs, broken)
    except ValueError:
        pass
    else:
        raise AssertionError("names and documents of different lengths were accepted")


def test_a_saved_bm25_index_is_read_without_bm25s_and_scores_as_bm25s_does(tmp_path):
    import bm25s

    from policykg.kg.search.bm25 import SavedIndex, _load, load_or_build

    corpus = _corpus(_tasks())
    tokenizer = QueryTokenizer(WORDS)
    built = load_or_build(corpus, tokenizer, tmp_path)  # built with bm25s and saved
    again = load_or_build(corpus, tokenizer, tmp_path)
    assert isinstance(again.sentences, SavedIndex) and isinstance(again.targets, SavedIndex)
    for words in (["航空"], ["航空", "服务", "物流"], ["本市", "没有的词"], ["没有的词"]):
        for part in ("sentences", "targets"):
            mine = getattr(again, part).get_scores(words)
            theirs = bm25s.BM25.load(str(next(tmp_path.glob("*/done")).parent / part),
                                     mmap=True, show_progress=False, verbosity=0)
            ids = theirs.get_tokens_ids(words)
            want = theirs.get_scores_from_ids(ids) if ids else np.zeros(len(mine), np.float32)
            assert np.array_equal(mine, want), (part, words)
        assert np.array_equal(again.sentence_scores(words, len(corpus.sentences)),
                              built.sentence_scores(words, len(corpus.sentences)))
    directory = next(tmp_path.glob("*/done")).parent / "sentences"
    with pytest.raises(ValueError, match="no postings"):  # bm25s's "" token, as bm25s says
        again.sentences.get_scores([""])
    (directory / "params.index.json").write_text('{"method": "bm25+", "num_docs": 7}')
    with pytest.raises(FileNotFoundError, match="(?i)non-occurrence"):  # bm25s reads that kind
        _load(directory)


def test_threads_asking_for_a_term_index_at_once_make_it_once(monkeypatch):
    import threading
    import time

    from policykg.kg.search import terms

    made, real = [], terms._index_of

    def slow(text, directory, key=None):
        made.append(text)
        time.sleep(0.2)  # the warm-up still making it when the first question asks
        return real(text, directory, key)

    monkeypatch.setattr(terms, "_index_of", slow)
    column = terms.SpanColumn(["航空服务", "航空物流"], {})
    found = []
    threads = [threading.Thread(target=lambda: found.append(column.index())) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == ["航空服务\x00航空物流"] and len({id(i) for i in found}) == 1
    assert len(column.index().find("航空")) == 2


def test_a_graph_closed_while_it_warms_up_starts_no_sparql_workers(tmp_path, monkeypatch):
    import threading

    import policykg.kg.graph as graph_module
    import policykg.kg.search as search
    from policykg.kg import KnowledgeGraph

    store = tmp_path / "store"
    with KnowledgeGraph.open({"store": str(store)}) as kg:
        kg.build([str(SAMPLE)], embed=False)
    release = threading.Event()

    class SlowSearcher:  # a corpus's first load, still reading when the server stops
        def __init__(self, *args, **kwargs):
            release.wait(10)

        def prepare(self):
            pass

    monkeypatch.setattr(search, "Searcher", SlowSearcher)
    monkeypatch.setattr(graph_module, "WARM_JOIN_SECONDS", 0.2)
    kg = KnowledgeGraph.open({"store": str(store)})
    thread = kg.warm()
    kg.close()  # gives up waiting for the load after 0.2 s
    release.set()
    thread.join(10)
    assert not thread.is_alive() and kg._sparql is None
    assert not [p.name for p in tmp_path.iterdir() if "-sparql-" in p.name]
