"""Who leads, by when, how much: duties, deadlines, targets and annex tables of real plans."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from policykg.ingest import parse_file, parse_text
from policykg.ingest.duties import Scope, document_scope, is_collective, scoped_name, split_units
from policykg.ingest.extraction import Extractor

from conftest import TEST_DATA, require_test_data

PLANS = TEST_DATA / "plans" / "plans"
HAIMIAN = "shgovidx__上海市人民政府办公厅关于印发《本市系统化全域推进海绵城市建设的实施意见》的通知.md"
BAOSHAN = "shgovidx__上海市宝山区人民政府办公室关于印发贯彻《上海市生活垃圾管理条例》推进全程分类体系建设实施方案的通知.md"
CHONGMING = "shgovidx__上海市崇明区人民政府办公室关于印发本区深化农村公路管理养护体制改革实施方案的通知.md"
JIADING = "shgovidx__上海市嘉定区人民政府办公室关于转发《嘉定区系统化全域推进海绵城市建设的实施方案》的通知.md"
CITY_ROADS = "shgovidx__上海市人民政府办公厅关于印发上海市深化农村公路管理养护体制改革实施方案的通知.md"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture(scope="module")
def plan(extractor):
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = extractor(parse_file(require_test_data(PLANS / name)))
        return cache[name]

    return get


def _text(body: str, title: str = "上海市人民政府办公厅关于印发某实施方案的通知") -> str:
    return f"{title}\n\n{body}"


# -- parentheticals and clauses ---------------------------------------------------------------

def test_responsibility_parenthetical_gives_every_unit_in_scope_and_keeps_collectives(extractor):
    x = extractor(parse_text(_text(
        "一、重点任务\n（一）完善规划\n1.强化规划管控。推进规划评估和编制工作。"
        "（责任单位：市规划资源局、市发展改革委，各区政府）")))
    duties = {(d.node_id, d.role, d.unit): d for d in x.duties}
    assert set(duties) == {("part-1/section-1/task-1", "responsible", u)
                           for u in ("市规划资源局", "市发展改革委", "各区政府")}
    ndrc = duties[("part-1/section-1/task-1", "responsible", "市发展改革委")]
    assert ndrc.entity_key == "上海市发展和改革委员会" and not ndrc.collective
    districts = duties[("part-1/section-1/task-1", "responsible", "各区政府")]
    assert districts.collective and districts.entity_key is None
    # the evidence is the whole parenthetical, the unit's span is exact
    assert x.document.text[ndrc.evidence_start:ndrc.evidence_end].startswith("（责任单位：")
    assert x.document.text[ndrc.start:ndrc.end] == "市发展改革委"
    # the unit is an organisation entity of the extraction, with its short form as an alias
    entity = next(e for e in x.entities if e.key == ndrc.entity_key)
    assert entity.type == "Organization" and "市发展改革委" in entity.aliases


def test_lead_and_cooperating_labels_and_the_lead_then_share_form(extractor):
    x = extractor(parse_text(_text(
        "一、主要任务\n1.加强道路管理。开展排查。(牵头单位：市交通委;配合单位：市公安局、市应急局)\n"
        "2.开展专项检查。检查到位。（市局特种设备安全监察处牵头，执法稽查处、信用监督管理处按职责分工负责）\n"
        "3.完善政策。研究出台措施。（国家发展改革委、财政部按职责分工负责）")))
    got = {(d.node_id, d.role, d.unit) for d in x.duties}
    assert ("part-1/task-1", "lead", "市交通委") in got
    assert {("part-1/task-1", "cooperating", u) for u in ("市公安局", "市应急局")} <= got
    assert ("part-1/task-2", "lead", "市局特种设备安全监察处") in got
    assert {("part-1/task-2", "cooperating", u) for u in ("执法稽查处", "信用监督管理处")} <= got
    assert {("part-1/task-3", "cooperating", u) for u in ("国家发展改革委", "财政部")} <= got
    ndrc = next(d for d in x.duties if d.unit == "国家发展改革委")
    assert ndrc.entity_key == "国家发展和改革委员会"  # the alias table's national body, not a Shanghai one


def test_a_parenthetical_that_names_no_unit_is_no_duty(extractor):
    x = extractor(parse_text(_text("一、任务\n1.推进建设。新建公园（含口袋公园）10个，提升（改造）绿地。")))
    assert x.duties == ()


def test_units_resolve_within_the_district_of_a_district_document():
    assert scoped_name("区绿化市容局", Scope(city="上海市", district="宝山区")) == "宝山区绿化市容局"
    assert scoped_name("市场监管局", Scope(city="上海市")) == "市场监管局"  # 市场 is not 市 + 场
    doc = parse_text("上海市宝山区人民政府办公室关于印发某方案的通知\n\n正文。")
    scope = document_scope(doc)
    assert (scope.city, scope.district, scope.issuer) == ("上海市", "宝山区", "上海市宝山区人民政府办公室")
    assert is_collective("各街镇（园区）") and is_collective("各联席会议成员单位") and not is_collective("区委组织部")
    units = [(u, aliases) for u, _s, _e, aliases in split_units("区委宣传部（区文明办、区政府新闻办）、区民政局等", 0)]
    assert units == [("区委宣传部", ("区文明办", "区政府新闻办")), ("区民政局", ())]


def test_a_district_is_read_whole_and_never_from_inside_its_city_or_a_collective():
    def district(title: str) -> str | None:
        return document_scope(parse_text(f"{title}\n\n正文。")).district

    # a one-character name right after its city (it was read as 海市某区)
    assert district("上海市某区人民政府办公室关于印发某方案的通知") == "某区"
    # "each district" names none (it was read as 海市各区 and 市各区县)
    assert district("上海市各区人民政府关于做好某工作的通知") is None
    assert district("本市各区县人民政府关于做好某工作的通知") is None
    # names that hold 市 stay whole
    assert district("济南市市中区人民政府关于某事的通知") == "市中区"
    assert district("青岛市市北区人民政府关于某事的通知") == "市北区"
    assert district("本市区县人民政府关于某事的通知") is None
    assert district("荆州市沙市区人民政府关于某事的通知") == "沙市区"
    assert district("上海市浦东新区人民政府关于某事的通知") == "浦东新区"


def test_bold_markdown_headings_are_structure_and_hold_their_duties(extractor):
    # the huace files: a bold header block, a rule, bold headings indented with ideographic spaces
    raw = ("# 上海市人民政府办公厅印发《关于加快某服务业发展的若干意见》\n\n**发布日期**: 2025-05-27\n"
           "**发布机构**: 上海市科学技术委员会\n**检索关键词**: 测绘, 卫星\n\n---\n\n沪府办发〔2025〕11号\n\n"
           "各区人民政府：\n\n\u3000**一、提升服务供给质量**\n\n**（一）推动资源开放**\n\n"
           "加大开放力度。（责任单位：市科委、市发展改革委）\n\n\u3000\u3000**（二）创新建设运营模式**\n\n"
           "支持概念验证中心建设。（责任单位：市科委）\n\n**二、强化要素保障**\n\n**（三）壮大人才队伍**\n\n"
           "培养一批人才。（责任单位：市人力资源社会保障局）\n")
    x = extractor(parse_text(raw))
    doc = x.document
    assert "*" not in doc.text and "---" not in doc.text and "发布机构" not in doc.text and "检索" not in doc.text
    assert (doc.metadata.date, doc.metadata.issuer) == ("2025-05-27", "上海市人民政府办公厅")
    sections = [n for n in doc.nodes() if n.kind == "section"]
    assert [n.title for n in sections] == ["推动资源开放", "创新建设运营模式", "壮大人才队伍"]
    assert [n.kind for n in doc.structure] == ["part", "part"]
    for node in doc.nodes():
        assert doc.text[node.start:node.end] == node.text
    by_id = {n.id: n for n in doc.nodes()}
    assert [(by_id[d.node_id].title, d.unit) for d in x.duties] == [
        ("推动资源开放", "市科委"), ("推动资源开放", "市发展改革委"), ("创新建设运营模式", "市科委"),
        ("壮大人才队伍", "市人力资源社会保障局")]


def test_the_national_pilot_zone_of_a_named_place_is_a_place():
    from policykg.ingest.designations import find_designations

    found = {(c.label, c.type) for c in find_designations(
        "加强临港国家海绵城市建设试点区跟踪评估。支持国家级示范区建设。推进国家公共文化服务体系示范区建设。")}
    assert ("临港国家海绵城市建设试点区", "Place") in found
    assert not any(label.startswith(("加强", "支持", "推进国家")) for label, _ in found)


# -- real plans -------------------------------------------------------------------------------

def _parenthetical_units(text: str) -> list[str]:
    """Units named after 责任单位：/牵头部门：/配合单位： … in parentheticals, found by a plain split."""
    units = []
    label = r"(?:责任|牵头|配合)(?:单位|部门)[:：]"
    for m in re.finditer(r"[（(]((?:[^（）()]|[（(][^（）()]*[)）])*?" + label + r".*?)[)）](?![^（(]*[)）])", text):
        for part in re.split(label, m.group(1))[1:]:
            units += [u for u in re.split(r"[、，,；;]", part) if u.strip()]
    return units


@pytest.mark.parametrize("name", [HAIMIAN, CHONGMING, CITY_ROADS])
def test_every_unit_named_in_a_duty_parenthetical_is_linked_to_its_structure_unit(plan, name):
    x = plan(name)
    expected = _parenthetical_units(x.document.text)
    assert len(expected) >= 10
    from_parentheticals = [d for d in x.duties
                           if x.document.text[d.evidence_start:d.evidence_end].startswith(("（", "("))]
    assert len(from_parentheticals) == len(expected)
    nodes = {n.id for n in x.document.nodes()}
    assert all(d.node_id in nodes for d in from_parentheticals)
    # the structure unit holds its parenthetical
    by_id = {n.id: n for n in x.document.nodes()}
    for d in from_parentheticals:
        node = by_id[d.node_id]
        assert node.start <= d.evidence_start and d.evidence_end <= node.end
        assert node.kind != "paragraph"


def test_the_task_table_of_an_annex_gives_lead_and_cooperating_units_per_row(plan):
    x = plan(BAOSHAN)
    annex = next(n for n in x.document.structure if n.id == "annex-1")
    rows = [n for n in annex.children if n.kind == "row"]
    assert len(rows) == 39 and rows[0].id == "annex-1/row-1"
    row1 = {c.title: c.text for c in rows[0].children}
    assert row1["牵头部门"] == "区政府办公室" and row1["时间节点"] == "2019年3月"
    duties = {(d.node_id, d.role, d.unit) for d in x.duties}
    assert ("annex-1/row-1", "lead", "区政府办公室") in duties
    assert ("annex-1/row-1", "cooperating", "各联席会议成员单位") in duties
    # a cell broken after 、 is one cell: both units cooperate on row 9
    assert {("annex-1/row-9", "cooperating", u) for u in ("区绿化市容局", "区农业农村委")} <= duties
    # every row has a lead unit and a deadline
    assert {d.node_id for d in x.duties if d.role == "lead" and d.node_id.startswith("annex-1/")} == \
        {r.id for r in rows}
    assert {d.node_id for d in x.deadlines if d.node_id.startswith("annex-1/")} == {r.id for r in rows}
    lead = next(d for d in x.duties if d.node_id == "annex-1/row-1" and d.role == "lead")
    assert lead.entity_key == "宝山区人民政府办公室"


def test_a_task_table_continued_over_a_page_keeps_its_rows_and_their_units(plan):
    # 嘉定's 重点任务分解表 repeats its header (序号/任务类型/重点内容/责任单位/参考文件) after row 6,
    # where the printed table continues on the next page: rows 7-12 belong to the same table
    x = plan(JIADING)
    annex = next(n for n in x.document.structure if n.kind == "annex")
    rows = [n for n in annex.children if n.kind == "row"]
    assert [r.number for r in rows] == [str(i) for i in range(1, 13)]
    units = {}
    for d in x.duties:
        if d.role == "responsible" and "/row-" in d.node_id:
            units.setdefault(d.node_id.split("/cell-")[0], set()).add(d.unit)
    assert set(units) == {r.id for r in rows}  # every row assigns its responsible units
    # as written in the table's 责任单位 column
    assert units["annex-1/row-2"] == {"区建设管理委"}
    assert units["annex-1/row-10"] == {"区水务局", "区规划资源局", "各街镇"}
    assert units["annex-1/row-12"] == {"区水务局", "区建设管理委", "区绿化市容局", "区交通委",
                                       "区住房保障房屋管理局", "各街镇"}


def test_annexes_are_nodes_of_their_own_and_never_parts_of_the_body(plan):
    doc = plan(BAOSHAN).document
    kinds = [(n.id, n.kind) for n in doc.structure]
    assert kinds[:5] == [(f"part-{i}", "part") for i in range(1, 6)]
    assert [k for k in kinds[5:]] == [("annex-1", "annex"), ("annex-2", "annex"), ("annex-3", "annex")]
    last_part = doc.structure[4]
    annex = doc.structure[5]
    assert last_part.end <= annex.start
    assert annex.title == "2019年宝山区生活垃圾分类减量推进工作联席会议成员单位工作任务清单"
    assert len(last_part.children) == 3  # 五、's three sections, not the table's rows


def test_a_numbered_list_in_an_annex_is_structured_inside_the_annex():
    text = ("某区关于印发实施意见的通知\n\n一、总体要求\n（一）指导思想\n坚持改革。\n（二）工作目标\n到2025年，建成。\n"
            "二、保障措施\n加强领导。\n附件\n重点任务清单\n（一）推进建设\n1.建设公园。\n（二）加强管理\n1.完善制度。\n（三）强化监督\n")
    doc = parse_text(text)
    body = [n for n in doc.nodes() if not n.id.startswith("annex-")]
    assert sum(1 for n in body if n.kind == "section") == 2
    annex = doc.structure[-1]
    assert annex.kind == "annex" and annex.title == "重点任务清单"
    assert [c.id for c in annex.children] == ["annex-1/section-1", "annex-1/section-2", "annex-1/section-3"]


# -- deadlines and targets --------------------------------------------------------------------

def test_deadline_phrases_become_dates_of_their_precision(extractor):
    x = extractor(parse_text(_text(
        "一、任务\n1.开展排查。2025年底前完成排查，9月底前完成整改。\n"
        "2.完善制度。2023年11月底前出台办法，2022年1月14日（周五）前报送。\n"
        "3.建设设施。到2027年，建成一批设施。", title="上海市人民政府办公厅关于印发某方案的通知（2023年）")))
    got = {(d.node_id, d.due, d.exact) for d in x.deadlines}
    assert ("part-1/task-1", "2025-12", "2025年底前") in got
    assert ("part-1/task-1", "2025-09", "9月底前") in got  # the year last written before it
    assert ("part-1/task-2", "2023-11", "2023年11月底前") in got
    assert ("part-1/task-2", "2022-01-14", "2022年1月14日（周五）前") in got
    assert ("part-1/task-3", "2027", "到2027年") in got


def test_targets_carry_value_unit_comparator_and_year(extractor):
    x = extractor(parse_text(_text(
        "一、工作目标\n到2025年，光伏装机容量达到120MW，新建公共建筑屋顶光伏覆盖率不低于50%，"
        "主要农作物耕种收综合机械化率达到90%以上，干垃圾日均控制量不高于1610吨。\n"
        "二、重点任务\n1.推进配置。要求每户配置1组投放桶。")))
    got = {(t.value, t.unit, t.comparator, t.year) for t in x.targets}
    assert got == {("120", "MW", ">=", 2025), ("50", "%", ">=", 2025), ("90", "%", ">=", 2025),
                   ("1610", "吨", "<=", 2025)}
    t = next(t for t in x.targets if t.unit == "MW")
    assert t.node_id == "part-1" and x.document.text[t.start:t.end] == t.exact == "达到120MW"
    assert "光伏装机容量" in t.indicator



def test_targets_written_in_full_width_digits_keep_their_decimals(extractor):
    # scraped reports write １７．１％: the full-width point is part of the number
    x = extractor(parse_text(_text(
        "一、工作目标\n到2025年，工业总产值增长１７．１％，在校学生达到８０．１万人。")))
    got = {(t.value, t.unit, t.comparator) for t in x.targets}
    assert got == {("17.1", "%", "="), ("80.1", "万人", ">=")}
    t = next(t for t in x.targets if t.unit == "万人")
    assert x.document.text[t.start:t.end] == t.exact == "达到８０．１万人"

def test_plans_against_their_hand_marked_gold(plan):
    """The figures of bench/eval_extraction.py stay where they were measured (see docs/duties.md)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from eval_extraction import plan_scores

    for name, prefix, floor in ((HAIMIAN, "haimian_shanghai", 0.95), (BAOSHAN, "baoshan_garbage", 0.95)):
        for kind, (pred, gold) in plan_scores(plan(name), prefix).items():
            tp = len(pred & gold)
            assert tp / len(gold) >= floor and tp / len(pred) >= 0.89, (prefix, kind, pred ^ gold)


def test_every_plan_of_the_corpus_links_each_unit_of_its_duty_parentheticals(whole_corpus_dir, extractor):
    """Whole-corpus check: the 24 plans of plans_and_validity/plans."""
    plans = sorted((whole_corpus_dir / "plans_and_validity" / "plans").iterdir())
    assert len(plans) >= 20
    counted = 0
    for path in plans:
        x = extractor(parse_file(path))
        expected = _parenthetical_units(x.document.text)
        found = [d for d in x.duties if x.document.text[d.evidence_start:d.evidence_end].startswith(("（", "("))
                 and re.search(r"(?:责任|牵头|配合)(?:单位|部门)[:：]",
                               x.document.text[d.evidence_start:d.evidence_end])]
        assert len(found) == len(expected), path.name
        assert all(d.node_id is not None or not x.document.structure for d in found), path.name
        counted += len(expected)
    assert counted > 700
