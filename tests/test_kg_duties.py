"""Duties, deadlines, targets and validity in the graph: triples with evidence, the duties
service and CLI, document links and statuses on the plans and validity documents of tests/data/plans."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph

from policykg.ingest.duties import is_collective
from policykg.kg import Settings
from policykg.kg.build import build_paths
from policykg.kg.duties import assignments
from policykg.kg.store import open_store
from policykg.kg.validity import document_links, document_statuses, title_key
from policykg.web.cli import main

from conftest import TEST_DATA, require_test_data

REPO = Path(__file__).resolve().parents[1]
QUERIES = REPO / "ontology" / "queries"
CITING = ("上海市某区人民政府办公室关于印发某区道路安全工作方案的通知\n\n"
          "为贯彻落实《关于进一步减少本市道路交通事故的意见》（沪府办规〔2020〕13号），制定本方案。\n"
          "一、工作任务\n1.加强管理。开展检查。（牵头单位：区交通委；配合单位：区公安分局）\n")
#: A document whose front matter says it is repealed, with no repealing text in the store.
STATED = ("---\n标题: 上海市某局关于印发《某项管理暂行办法》的通知\n文号: 沪某规〔2018〕3号\n发布单位: 上海市某局\n"
          "发布日期: 2018-05-02\n状态: 已废止\n---\n\n# 上海市某局关于印发《某项管理暂行办法》的通知\n\n"
          "各区有关部门：\n\n一、总则\n\n本办法自2018年6月1日起施行。\n")


@pytest.fixture(scope="module")
def plans_store(tmp_path_factory) -> Path:
    """The plans and validity documents of tests/data/plans, and one notice that cites a repealed one."""
    source = require_test_data(TEST_DATA / "plans")
    extra = tmp_path_factory.mktemp("citing") / "citing.txt"
    extra.write_text(CITING, encoding="utf-8")
    stated = extra.parent / "stated.md"
    stated.write_text(STATED, encoding="utf-8")
    location = tmp_path_factory.mktemp("plans-store")
    settings = Settings.load({"store": str(location)})
    store = open_store(settings)
    try:
        build_paths(store, [source, extra, stated], base_iri=settings.base_iri)
    finally:
        store.close()
    return location


@dataclass
class _Parts:
    store: object


@pytest.fixture(scope="module")
def kg(plans_store):
    """The built store, read only (the services take the store, not the facade)."""
    store = open_store(Settings.load({"store": str(plans_store)}), read_only=True)
    yield _Parts(store)
    store.close()


def _doc_iri(kg, number: str) -> str:
    rows = kg.store.select_rows(f'SELECT ?d WHERE {{ ?d a pol:PolicyDocument ; dcterms:identifier "{number}" }}')
    assert len(rows) == 1, number
    return rows[0]["d"]


def _doc_by_file(kg, file_part: str) -> str:
    rows = kg.store.select_rows("SELECT ?d ?f WHERE { ?d a pol:PolicyDocument ; pol:sourceFile ?f }")
    found = [r["d"] for r in rows if file_part in r["f"]]
    assert len(found) == 1, file_part
    return found[0]


def test_duties_are_triples_with_evidence_and_the_graph_conforms_to_the_shapes(kg):
    import pyshacl

    rows = kg.store.select_rows("""
SELECT ?task ?org ?exact WHERE {
  ?task pol:leadUnit ?org .
  ?ev pol:evidenceFor ?task ; pol:assertedPredicate pol:leadUnit ; pol:assertedObject ?org ;
      oa:hasTarget/oa:hasSelector/oa:exact ?exact .
  FILTER(STRENDS(STR(?task), "/annex-1/row-1"))
}""")
    assert {r["exact"] for r in rows} == {"区政府办公室"}
    data = Graph().parse(data=kg.store.serialize("nt"), format="nt")
    shapes = Graph().parse(REPO / "ontology" / "shapes.ttl")
    conforms, _report, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert conforms, text[:3000]


def test_assignments_by_unit_and_due_date(kg):
    everything = assignments(kg.store)
    assert len(everything) > 200
    led = assignments(kg.store, unit="区绿化市容局", due_before="2019-06")
    assert led and all(a.due and a.due <= "2019-06" for a in led)
    assert all("绿化" in a.unit_label for a in led)
    row8 = next(a for a in led if a.task.endswith("/annex-1/row-8"))
    assert (row8.role, row8.due, row8.evidence) == ("lead", "2019-05", "区绿化市容局")
    collective = [a for a in everything if a.collective]
    assert collective and all(is_collective(a.unit_label) and "/entity/" in a.unit for a in collective)
    assert not any(a.collective for a in everything if a.unit_label.endswith(("局", "委")))
    assert {"各区政府", "各街镇（园区）"} <= {a.unit_label for a in collective}


def test_cli_duties_table_and_csv(plans_store, capsys):
    assert main(["duties", "--store", str(plans_store), "--unit", "市绿化市容局", "--due-before", "2025"]) == 0
    out = capsys.readouterr().out
    assert "上海市绿化和市容管理局" in out and "配合" in out and "2020-12" in out
    assert main(["duties", "--store", str(plans_store), "--unit", "区绿化市容局", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {r["role"] for r in rows} <= {"lead", "cooperating", "responsible"}
    assert any(r["due"] == "2019-05" and r["task_iri"].endswith("/annex-1/row-8") for r in rows)
    assert main(["duties", "--store", str(plans_store), "--due-before", "2025-13"]) == 2
    assert "no month 13" in capsys.readouterr().err


def test_repeal_pairs_and_version_chains_of_sources_md_link_documents_of_the_store(kg):
    links = {(link.source, link.predicate, link.target) for link in document_links(kg.store) if link.target}
    market = _doc_by_file(kg, "市场主体登记管理条例(2021-07-27)")
    for repealed in ("企业法人登记管理条例(2019-03-02)", "公司登记管理条例(2016-02-06)",
                     "企业法人法定代表人登记管理规定(1999-06-23)"):
        assert (market, "repeals", _doc_by_file(kg, repealed)) in links
    assert (_doc_by_file(kg, "促进个体工商户发展条例"), "repeals", _doc_by_file(kg, "个体工商户条例(2016")) in links
    assert (_doc_iri(kg, "沪府办发〔2024〕33号"), "repeals", _doc_iri(kg, "沪府办规〔2020〕13号")) in links
    roads = [_doc_by_file(kg, f"道路运输条例({d})") for d in ("2019-03-02", "2022-03-29", "2023-07-20")]
    assert (roads[1], "amends", roads[0]) in links and (roads[2], "amends", roads[1]) in links
    review = [_doc_by_file(kg, f"行政复议法({d})") for d in ("2017-09-01", "2023-09-01")]
    assert (review[1], "amends", review[0]) in links
    # the district plan implements the city plan it cites by 文号
    assert (_doc_iri(kg, "沪崇府办发〔2021〕13号"), "implements", _doc_iri(kg, "沪府办发〔2020〕3号")) in links


def test_links_among_two_documents_are_those_of_the_whole_store_between_them(kg):
    every = document_links(kg.store)
    roads = [_doc_by_file(kg, f"道路运输条例({d})") for d in ("2019-03-02", "2022-03-29", "2023-07-20")]
    market = _doc_by_file(kg, "市场主体登记管理条例(2021-07-27)")
    pairs = [(roads[0], roads[1]), (roads[0], roads[2]), (market, _doc_by_file(kg, "公司登记管理条例(2016")),
             (market, roads[0])]
    for a, b in pairs:
        among = document_links(kg.store, {a, b})
        assert among == [link for link in every if {link.source, link.target} <= {a, b}]
    # versions one and three are no version chain of their own: version two stands between
    assert document_links(kg.store, set(pairs[1])) == []
    assert [link.predicate for link in document_links(kg.store, set(pairs[0]))] == ["amends"]
    assert all(link.evidence for link in every if not link.derived)


def test_a_unit_named_twice_for_one_task_gets_its_first_statement(tmp_path):
    twice = tmp_path / "twice.txt"
    twice.write_text("上海市某区人民政府办公室关于印发某区清洁工作方案的通知\n\n一、工作任务\n"
                     "1.加强清扫。开展检查。（牵头单位：区绿化市容局）做好宣传。（牵头单位：区绿化市容局）\n",
                     encoding="utf-8")
    settings = Settings.load({"store": str(tmp_path / "store")})
    store = open_store(settings)
    try:
        build_paths(store, [twice], base_iri=settings.base_iri)
        found = [a for a in assignments(store) if a.role == "lead"]
    finally:
        store.close()
    text = twice.read_text(encoding="utf-8")  # the clean text is the file's here
    assert len(found) == 1 and found[0].evidence == "（牵头单位：区绿化市容局）"
    assert found[0].start == text.index("（牵头单位") < text.rindex("（牵头单位")


def test_the_search_tables_saved_for_a_server_hold_the_duties(plans_store):
    from policykg.kg import KnowledgeGraph
    from policykg.kg.search import duties

    # read only, as the build's child process opens it (the module's ``kg`` holds the store)
    with KnowledgeGraph.open({"store": str(plans_store)}, read_only=True) as graph:
        assert graph.tables.saved(duties.TABLE_NAME, duties.TABLE_VERSION) is None
        graph.save_table("search")  # what the build's child process runs on a big store
        table = graph.tables.saved(duties.TABLE_NAME, duties.TABLE_VERSION)
    assert table is not None and any(duty for unit in table["units"] for duty in unit[5])


def test_statuses_with_the_date_they_changed(kg):
    status = {s.document: s for s in document_statuses(kg.store, today="2026-12-01")}
    old = status[_doc_iri(kg, "沪府办规〔2020〕13号")]
    assert (old.status, old.by) == ("repealed", _doc_iri(kg, "沪府办发〔2024〕33号"))
    assert old.in_force_until == "2025-09-30" and "废止" in old.evidence
    assert status[_doc_by_file(kg, "公司登记管理条例(2016")].status == "repealed"
    assert status[_doc_by_file(kg, "公司登记管理条例(2016")].since == "2022-03-01"
    assert status[_doc_by_file(kg, "道路运输条例(2019-03-02)")].status == "amended"
    assert status[_doc_by_file(kg, "道路运输条例(2023-07-20)")].status == "in force"
    experts = status[_doc_by_file(kg, "科技专家库管理办法")]
    assert (experts.status, experts.in_force_until) == ("in force", "2030-08-31")
    later = {s.document: s for s in document_statuses(kg.store, today="2031-01-01")}
    assert (later[experts.document].status, later[experts.document].since) == ("expired", "2030-09-01")
    assert title_key("中华人民共和国道路运输条例") == title_key("道路运输条例(2022-03-29)")


def test_a_stated_status_counts_when_the_store_has_no_evidence(kg):
    status = {s.document: s for s in document_statuses(kg.store, today="2026-12-01")}
    # 状态: 已废止 in the front matter, no repealing document in the store
    stated = status[_doc_iri(kg, "沪某规〔2018〕3号")]
    assert (stated.status, stated.basis, stated.stated, stated.by) == ("repealed", "stated", "已废止", None)
    assert stated.evidence == "状态：已废止" and stated.since is None
    # 状态: 废止, and the store holds the document that repeals it: the link is the basis
    old = status[_doc_iri(kg, "沪府办规〔2020〕13号")]
    assert (old.status, old.basis, old.stated) == ("repealed", "link", "废止")
    # 状态: 有效 and nothing against it
    new = status[_doc_iri(kg, "沪府办发〔2024〕33号")]
    assert (new.status, new.basis, new.evidence) == ("in force", "stated", "状态：有效")
    assert status[_doc_by_file(kg, "道路运输条例(2019-03-02)")].basis == "version"
    assert status[_doc_by_file(kg, "科技专家库管理办法")].basis == "dates"
    rows = kg.store.select_rows(f"SELECT ?s WHERE {{ <{stated.document}> pol:statedStatus ?s }}")
    assert [r["s"] for r in rows] == ["已废止"]


def _query(name: str) -> str:
    return (QUERIES / name).read_text(encoding="utf-8")


def test_example_queries(kg):
    led = kg.store.select_rows(_query("08-tasks-led-by-unit-due-2025.rq").replace("市绿化市容局", "区绿化市容局"))
    assert led and all(r["deadline"] <= "2025-12-31" for r in led)
    assert any(r["task"].endswith("/annex-1/row-8") for r in led)
    cited = kg.store.select_rows(_query("09-repealed-but-cited.rq"))
    assert [(r["repealed"], r["repealedBy"]) for r in cited] == \
        [(_doc_iri(kg, "沪府办规〔2020〕13号"), _doc_iri(kg, "沪府办发〔2024〕33号"))]
    targets = kg.store.select_rows(_query("10-targets-2025-by-unit.rq"))
    assert {(float(r["value"]), r["measure"]) for r in targets} >= {(40.0, "%"), (50.0, "%"), (60.0, "%")}
