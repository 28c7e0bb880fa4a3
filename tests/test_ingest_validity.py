"""Identity and validity: 发文字号 forms, 施行/有效期, and the documents a text repeals, amends or implements."""
from __future__ import annotations

import pytest

from policykg.ingest import parse_file, parse_text
from policykg.ingest.extraction import Extractor, owning_units
from policykg.ingest.metadata import find_doc_number
from policykg.ingest.validity import find_document_links, find_validity

from conftest import TEST_DATA, require_test_data

VALIDITY = TEST_DATA / "plans" / "validity"
PLANS = TEST_DATA / "plans" / "plans"


@pytest.mark.parametrize("text, number", [
    ("国令第707号", "国令第707号"),
    ("发文字号：国令第 746 号", "国令第746号"),
    ("国发〔2019〕5号", "国发〔2019〕5号"),
    ("（沪府办规〔2020〕13号）", "沪府办规〔2020〕13号"),
    ("穗卫函〔2023〕1930号", "穗卫函〔2023〕1930号"),
    ("穗府办规[2022]13号", "穗府办规〔2022〕13号"),
    ("广州市人民政府令第179号", "广州市人民政府令第179号"),
])
def test_doc_number_forms(text, number):
    assert find_doc_number(text) == number


def test_front_matter_gives_metadata_not_text():
    doc = parse_file(require_test_data(
        PLANS / "shgovidx__上海市人民政府办公厅关于印发《本市系统化全域推进海绵城市建设的实施意见》的通知.md"))
    assert doc.metadata.doc_number == "沪府办发〔2024〕3号"
    assert doc.metadata.date == "2024-02-05"
    assert doc.metadata.issuer == "上海市人民政府办公厅"
    assert "文号:" not in doc.text and "状态:" not in doc.text and "官方链接" not in doc.text
    assert doc.metadata.status == "有效"


def test_front_matter_status_and_publishing_unit():
    front = "---\n标题: {title}\n文号: 沪发改规〔2023〕1号\n发布单位: {unit}\n发布日期: 2023-03-01\n状态: 废止\n---\n\n"
    body = "# {title}\n\n各区人民政府：\n\n一、总体要求\n\n推进工作。\n"
    doc = parse_text((front + body).format(title="关于印发《上海市零碳园区建设工作方案》的通知", unit="上海市发展和改革委员会"))
    assert (doc.metadata.issuer, doc.metadata.status) == ("上海市发展和改革委员会", "废止")
    assert "发布单位" not in doc.text and "状态" not in doc.text
    # the title names the issuer (发文机关); 发布单位 is only the site's publishing body
    doc = parse_text((front + body).format(title="上海市嘉定区人民政府办公室关于转发《嘉定区海绵城市建设实施方案》的通知",
                                           unit="区政府办公室"))
    assert doc.metadata.issuer == "上海市嘉定区人民政府办公室"
    # a publishing unit that names a place, not a body, is no issuer
    doc = parse_text((front + body).format(title="上海关于贯彻落实某规划的实施意见", unit="上海市"))
    assert doc.metadata.issuer is None


def _doc(body: str, title: str = "上海市人民政府办公厅印发《关于进一步减少本市道路交通事故的意见》的通知"):
    return parse_text(f"{title}\n\n{body}\n\n上海市人民政府办公厅\n2020年9月22日")


def test_in_force_from_and_until_with_their_evidence():
    doc = _doc("一、总则\n本意见自2020年10月1日起施行，有效期至2025年9月30日。")
    v = find_validity(doc)
    assert (v.in_force_from, v.in_force_until) == ("2020-10-01", "2025-09-30")
    assert doc.text[v.from_start:v.from_end] == "自2020年10月1日起施行"
    assert doc.text[v.until_start:v.until_end] == "有效期至2025年9月30日"


def test_a_validity_period_in_years_counts_from_the_day_of_issue_or_of_coming_into_force():
    doc = parse_text("广州市人民政府办公厅关于印发广州市居家社区养老服务管理办法的通知\n发布日期：2022-09-13\n\n"
                     "一、附则\n本办法自印发之日起施行，有效期5年。")
    v = find_validity(doc)
    assert (v.in_force_from, v.in_force_until) == ("2022-09-13", "2027-09-12")
    v = find_validity(_doc("一、附则\n本办法自2021年5月1日起施行，有效期3年。"))
    assert (v.in_force_from, v.in_force_until) == ("2021-05-01", "2024-04-30")


def test_repeals_by_title_and_by_number_with_the_span():
    doc = _doc("一、附则\n本条例自2022年11月1日起施行。《个体工商户条例》同时废止。\n"
               "本办法自2025年9月1日起施行。原《上海市科技专家库管理办法》（沪科规〔2024〕2号）同时废止。\n"
               "本通知自印发之日起施行，穗民规字〔2018〕10号、〔2018〕11号等同时废止。")
    links = find_document_links(doc, owning_units(doc))
    got = {(link.predicate, link.title, link.number) for link in links if link.predicate == "repeals"}
    assert got == {("repeals", "个体工商户条例", None),
                   ("repeals", "上海市科技专家库管理办法", "沪科规〔2024〕2号"),
                   ("repeals", None, "穗民规字〔2018〕10号"), ("repeals", None, "穗民规字〔2018〕11号")}
    first = next(link for link in links if link.title == "个体工商户条例")
    assert doc.text[first.start:first.end] == first.exact == "《个体工商户条例》同时废止"


def test_implements_and_amends():
    doc = _doc("为贯彻落实《国务院办公厅关于深化农村公路管理养护体制改革的意见》（国办发〔2019〕45号）和"
               "《上海市人民政府办公厅关于印发上海市深化农村公路管理养护体制改革实施方案的通知》（沪府办发〔2020〕3号）"
               "等文件精神，制定本方案。\n一、任务\n推进。",
               title="上海市人民政府关于修改《上海市餐厨垃圾处理管理办法》的决定")
    links = find_document_links(doc, owning_units(doc))
    got = {(link.predicate, link.title, link.number) for link in links}
    assert ("implements", "国务院办公厅关于深化农村公路管理养护体制改革的意见", "国办发〔2019〕45号") in got
    assert ("implements", "上海市人民政府办公厅关于印发上海市深化农村公路管理养护体制改革实施方案的通知",
            "沪府办发〔2020〕3号") in got
    assert ("amends", "上海市餐厨垃圾处理管理办法", None) in got


def test_real_documents_repeal_what_sources_md_says():
    x = Extractor()
    market = x(parse_file(require_test_data(VALIDITY / "lawrefbook__行政法规__市场主体登记管理条例(2021-07-27).md")))
    repealed = {link.title for link in market.document_links if link.predicate == "repeals"}
    assert {"中华人民共和国企业法人登记管理条例", "中华人民共和国公司登记管理条例",
            "企业法人法定代表人登记管理规定"} <= repealed
    assert market.validity.in_force_from == "2022-03-01"
    revised = x(parse_file(require_test_data(
        VALIDITY / "shgovidx__上海市人民政府办公厅印发修订后的《关于进一步减少本市道路交通事故的意见》的通知.md")))
    assert ("repeals", "沪府办规〔2020〕13号") in {(link.predicate, link.number) for link in revised.document_links}
    old = x(parse_file(require_test_data(
        VALIDITY / "shgovidx__上海市人民政府办公厅印发《关于进一步减少本市道路交通事故的意见》的通知.md")))
    assert (old.validity.in_force_from, old.validity.in_force_until) == ("2020-10-01", "2025-09-30")
    assert old.document.metadata.doc_number == "沪府办规〔2020〕13号"
