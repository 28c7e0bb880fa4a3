"""The document filter shared by search and the document list (kg/filters.py)."""
from __future__ import annotations

import pytest

from policykg.kg import PolicyKGError
from policykg.kg.filters import DocumentFilter, date_bound
from policykg.kg.resource import DocumentSummary, filter_documents


@pytest.mark.parametrize("text, end, expected", [
    ("2018", False, "2018-01-01"), ("2018", True, "2018-12-31"),
    ("2018-06", False, "2018-06-01"), ("2018-06", True, "2018-06-30"),
    ("2024-02", True, "2024-02-29"), ("2023-02", True, "2023-02-28"),
    ("2018-12-20", True, "2018-12-20"), (" 2018-6-5 ", False, "2018-06-05"),
])
def test_a_bound_covers_its_whole_year_month_or_day(text, end, expected):
    assert date_bound(text, end=end) == expected


@pytest.mark.parametrize("text", ["2022-13-45", "2022-02-30", "yesterday", "2022-00", "20181",
                                  "2018/06/01", "2018-06-31"])
def test_an_invalid_date_is_one_line_invalid_error(text):
    with pytest.raises(PolicyKGError) as info:
        DocumentFilter.parse(date_to=text)
    assert info.value.kind == "invalid"
    message = str(info.value)
    assert "\n" not in message and repr(text.strip()) in message


def test_bare_year_bounds_keep_every_day_of_the_year():
    late_2018, early_2019 = "2018-12-20", "2019-01-01"
    to_2018 = DocumentFilter.parse(date_to="2018")
    assert to_2018.accepts(date=late_2018, kind=None)
    assert not to_2018.accepts(date=early_2019, kind=None)
    from_2019 = DocumentFilter.parse(date_from="2019")
    assert from_2019.accepts(date=early_2019, kind=None)
    assert not from_2019.accepts(date=late_2018, kind=None)
    june = DocumentFilter.parse(date_from="2018-06", date_to="2018-06")
    assert [june.accepts(date=d, kind=None) for d in ("2018-05-31", "2018-06-30", "2018-07-01")] \
        == [False, True, False]


def test_undated_documents_drop_out_once_a_date_is_given():
    assert DocumentFilter.parse().accepts(date=None, kind=None)
    assert not DocumentFilter.parse(date_from="2000").accepts(date=None, kind=None)
    assert not DocumentFilter.parse(date_to="2030").accepts(date="", kind=None)


def test_text_matches_the_iri_or_part_of_a_name_and_kind_exactly():
    wanted = DocumentFilter.parse(text=" Statistics ", kind="条例")
    assert wanted.accepts(date=None, kind="条例", names=["Shanghai statistics regulation"])
    assert not wanted.accepts(date=None, kind="意见", names=["Shanghai statistics regulation"])
    by_iri = DocumentFilter.parse(text="urn:doc:1")
    assert by_iri.accepts(date=None, kind=None, iri="urn:doc:1", names=["其他"])
    assert not by_iri.accepts(date=None, kind=None, iri="urn:doc:2", names=["其他"])
    assert not DocumentFilter.parse() and DocumentFilter.parse(kind="条例")


def test_documents_to_a_bare_year_keeps_its_december_document():
    doc = DocumentSummary("urn:d", "上海市统计条例", "2018-12-20", "上海市人大常委会", "条例",
                          0, 0, 0, 0)
    assert filter_documents([doc], date_to="2018") == [doc]
    assert filter_documents([doc], date_from="2018-12", date_to="2018-12-20") == [doc]
    assert filter_documents([doc], date_from="2019") == []
    with pytest.raises(PolicyKGError, match="invalid date '2018-02-30'"):
        filter_documents([doc], date_from="2018-02-30")


def test_search_and_documents_keep_the_same_documents_for_a_bare_year(tmp_path):
    from policykg.kg import KnowledgeGraph

    doc = tmp_path / "notice.txt"
    doc.write_text("上海市关于推进智慧养老服务的通知\n\n2018年12月20日\n\n"
                   "一、加快建设社区养老服务中心，推进智慧养老服务。\n"
                   "二、完善养老服务人才培训体系。\n", encoding="utf-8")
    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        assert kg.build([doc], embed=False).ok
        [listed] = kg.documents()
        assert listed.date == "2018-12-20"
        for bounds, kept in (({"date_to": "2018"}, True), ({"date_from": "2018-12"}, True),
                             ({"date_to": "2018-12-19"}, False), ({"date_from": "2019"}, False)):
            in_list = [d.iri for d in kg.documents(**bounds)]
            found = {hit.document for hit in kg.search("养老服务", type="sentence", **bounds).results}
            assert in_list == ([listed.iri] if kept else []), bounds
            assert found == ({listed.iri} if kept else set()), bounds
        with pytest.raises(PolicyKGError, match="invalid date 'yesterday'"):
            kg.search("养老服务", date_from="yesterday")
