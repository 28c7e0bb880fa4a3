"""The character-pair index behind term counts: the same answers as str.count, without a scan."""
from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings, strategies as st

from policykg.kg.search.terms import CharIndex, SpanColumn, TextColumn

ALPHABET = "航空服务长宁区的。a b\n𠀋"  # CJK, ASCII, space, newline, one astral character


def _mapped(array) -> bool:
    """Whether ``array``'s memory is a mapped file (a memmap, or a plain view of one)."""
    import mmap

    while array is not None:
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        array = getattr(array, "base", None)
    return False


def _positions(text: str, term: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(term), text)]


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=60), st.text(ALPHABET, min_size=1, max_size=4))
def test_find_gives_the_non_overlapping_occurrences_of_a_left_to_right_search(text, term):
    assert CharIndex.build(text).find(term).tolist() == _positions(text, term)


def test_overlapping_and_absent_terms():
    index = CharIndex.build("哈哈哈哈哈 aaa 航空航空")
    assert index.find("哈哈").tolist() == [0, 2]
    assert index.find("aa").tolist() == [6]
    assert index.find("航空").tolist() == [10, 12]
    assert index.find("空").tolist() == [11, 13]
    assert index.find("不在").tolist() == [] and index.find("").tolist() == []
    assert CharIndex.build("").find("航").tolist() == []


def test_saved_index_is_memory_mapped_and_answers_the_same(tmp_path):
    text = "上海市长宁区航空服务。航空物流\x00贸易和航空服务" * 50
    made = CharIndex.build(text)
    made.save(tmp_path / "i")
    loaded = CharIndex.load(tmp_path / "i")
    assert _mapped(loaded.positions)
    for term in ("航空", "航空服务", "长", "。航", "x"):
        assert loaded.find(term).tolist() == made.find(term).tolist() == _positions(text, term)
    assert CharIndex.load(tmp_path / "missing") is None


def test_columns_count_per_span_and_per_text_and_keep_one_saved_index(tmp_path):
    texts = ["航空服务和航空物流", "", "临空经济航空"]
    spans = {"s": (np.array([0, 0, 2]), np.array([0, 5, 0]), np.array([5, 9, 6]))}
    column = SpanColumn(texts, spans, tmp_path / "text")
    assert column.count("航空")["s"].tolist() == [1.0, 1.0, 1.0]
    assert column.count("空服")["s"].tolist() == [1.0, 0.0, 0.0]
    titles = TextColumn(texts, tmp_path / "titles")
    assert titles.count("航空").tolist() == [2.0, 0.0, 1.0]
    assert len(list((tmp_path / "titles").glob("*/done"))) == 1
    again = TextColumn(texts, tmp_path / "titles")  # the next process loads it
    assert _mapped(again.index().codes)
    TextColumn(["别的文本"], tmp_path / "titles").count("文本")  # other texts: a new index
    assert len(list((tmp_path / "titles").glob("*/done"))) == 1


def test_without_a_directory_a_big_text_keeps_its_index_in_the_user_cache(tmp_path, monkeypatch):
    from policykg.kg.search import terms

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(terms, "SHARED_MIN_CHARS", 20)
    monkeypatch.setattr(terms, "SHARED_KEEP", 2)
    shared = tmp_path / "policykg" / "terms"
    assert TextColumn(["短文本"]).count("文本").tolist() == [1.0]  # small: in memory only
    assert not shared.exists()
    big = ["航空服务和航空物流" * 3, "临空经济"]
    assert TextColumn(big).count("航空").tolist() == [6.0, 0.0]
    assert len(list(shared.glob("*/done"))) == 1
    assert _mapped(TextColumn(big).index().positions)  # the next one loads it
    for n in range(3):  # other texts: the two used last are kept
        TextColumn([f"第{n}个很长的文本" * 5]).count("文本")
    assert len(list(shared.glob("*/done"))) == 2


def test_a_key_given_as_a_function_is_asked_only_when_an_index_is_saved_or_looked_up(tmp_path):
    asked = []

    def key() -> str:
        asked.append(1)
        return "texts v1"

    assert TextColumn(["短文本"], None, key).count("文本").tolist() == [1.0]  # in memory
    assert not asked
    saved = TextColumn(["短文本"], tmp_path / "titles", key)
    assert saved.count("文本").tolist() == [1.0] and asked == [1]
    other = TextColumn(["别的"], tmp_path / "titles", key)  # the same name: the saved index
    assert other.count("文本").tolist() == [1.0] and asked == [1, 1]
