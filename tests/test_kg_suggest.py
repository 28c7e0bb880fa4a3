"""Names suggested as a user types (kg.suggest, /api/suggest): from a table read once per store
generation and saved beside it, ranked the name itself, then names starting with the text."""
from __future__ import annotations

import pytest

from policykg.kg import PolicyKGError


@pytest.fixture(scope="module")
def kg(sample_kg):
    return sample_kg


def test_a_name_is_suggested_by_any_part_of_it_the_name_itself_first(kg):
    names = kg.suggest("东华")
    assert names[0].zh == "东华大学" and names[0].type == "Organization"
    # found by an alias (进博会 is 中国国际进口博览会's), the alias being the whole name
    whole = kg.suggest("进博会")
    assert whole and whole[0].type == "Event" and "博览会" in whole[0].zh
    # a task is found by its title's words, and a limit is kept
    assert any(n.type == "Task" for n in kg.suggest("航空", limit=50))
    assert len(kg.suggest("区", limit=3)) == 3
    with pytest.raises(PolicyKGError):
        kg.suggest("   ")
    # English and pinyin match where a word begins: "Hong" is Hongqiao, not Zhonggong (中共)
    hong = kg.suggest("Hong", limit=50)
    assert hong and all("虹桥" in n.zh for n in hong)
    assert [n.zh for n in kg.suggest("hongqiao")][:1] == ["虹桥"]


def test_the_names_are_read_from_the_store_once_and_then_from_the_saved_table(kg, monkeypatch):
    first = [n.iri for n in kg.suggest("虹桥", limit=20)]
    assert first

    def no_store(*_args, **_kwargs):
        raise AssertionError("the store was asked for every name again")

    import policykg.kg.suggest as suggest

    original = suggest.name_table
    monkeypatch.setattr(suggest, "name_table",
                        lambda store, tables=None: original(_NoSelect(store, no_store), tables))
    assert [n.iri for n in kg.suggest("虹桥", limit=20)] == first


class _NoSelect:
    """A store whose ``select_rows`` fails (the table must come from the saved file)."""

    def __init__(self, store, fail):
        self._store, self.select_rows = store, fail
