"""Real documents nobody here wrote: offsets stay exact, web pages lose their chrome."""
from __future__ import annotations

import pytest

from policykg.ingest import iter_document_files, parse_file
from policykg.ingest.records import NODE_KINDS

FOLDERS = (
    "gov_work_reports",
    "cpc_congress_reports",
    "laws",
    "nansha_district",
)
PER_FOLDER = 5


def _sample(corpus_dir):
    """Every n-th file of each corpus folder: deterministic, spread over the folder."""
    picked = []
    for folder in FOLDERS:
        files = list(iter_document_files([corpus_dir / folder]))
        step = max(1, len(files) // PER_FOLDER)
        picked.extend(files[::step][:PER_FOLDER])
    return picked


def test_sampled_corpus_files_have_exact_offsets(corpus_dir):
    files = _sample(corpus_dir)
    assert len(files) == 20
    for path in files:
        doc = parse_file(path)
        assert doc.text, path
        assert doc.sentences, path
        for node in doc.nodes():
            assert node.kind in NODE_KINDS
            assert doc.text[node.start:node.end] == node.text, (path, node.id)
        for sentence in doc.sentences:
            assert sentence.text and sentence.text == sentence.text.strip(), path
            assert doc.text[sentence.start:sentence.end] == sentence.text, path
        assert "\u200b" not in doc.text and "\r" not in doc.text


def test_government_work_report_has_parts_and_no_wikisource_licence(corpus_dir):
    doc = parse_file(next((corpus_dir / "gov_work_reports").glob("000_2025_*.txt")))
    parts = [n for n in doc.structure if n.kind == "part"]
    assert [p.number for p in parts] == ["一", "二", "三"]
    assert parts[0].title == "2024年工作回顾"
    assert "Public domain" not in doc.text and "本作品" not in doc.text
    items = [n for n in parts[0].walk() if n.kind == "item"]
    assert items[0].text.startswith("一是因时因势加强和创新宏观调控")


HTML_PAGES = {
    "广州南沙新区(自贸片区)促进总部经济发展扶持办法｜广州市南沙区人民政府.html":
        ("广州南沙新区(自贸片区)促进总部经济发展扶持办法", "2017-10-13", "南沙区发改局"),
    "广州南沙新区(自贸片区)促进科技创新产业发展扶持办法｜广州市南沙区人民政府.html":
        ("广州南沙新区(自贸片区)促进科技创新产业发展扶持办法", "2017-10-13", "南沙区发改局"),
    "广州南沙新区（自贸片区）集聚人才创新发展的若干措施｜广州市南沙区人民政府.html":
        ("广州南沙新区（自贸片区）集聚人才创新发展的若干措施", "2017-10-13", "南沙区发改局"),
    "广州南沙新区_自贸片区_促进总部经济发展扶持办法.html":
        ("广州南沙新区（自贸片区）促进总部经济发展扶持办法实施细则", None, None),
}
NAV_CHROME = ("首  页", "南沙动态", "欢迎您光临", "您现在的位置", "浏览字号", "上一篇", "下一篇", "网站地图",
              "版权", "备案号", "ICP", "用户登录", "在线客服", "万顷沙镇", "发布日期")


@pytest.mark.parametrize("name", sorted(HTML_PAGES))
def test_saved_web_pages(corpus_dir, name):
    title, date, source = HTML_PAGES[name]
    doc = parse_file(corpus_dir / "nansha_district" / "html" / name)
    assert doc.metadata.title == title
    assert doc.text.startswith(title + "\n")
    assert doc.metadata.date == date
    assert doc.metadata.source == source
    for js in ("<script", "function(", "function (", "var ", "jQuery", "$(", "document.", "{", "<"):
        assert js not in doc.text, js
    for chrome in NAV_CHROME:
        assert chrome not in doc.text, chrome
    assert any(n.kind in ("article", "part", "chapter") for n in doc.nodes())
    for node in doc.nodes():
        assert doc.text[node.start:node.end] == node.text


def test_gov_cn_header_table_becomes_metadata(tmp_path):
    page = """<html><head><title>国务院办公厅关于印发全国深化放管服改革工作要点的通知_政府信息公开专栏</title>
    <script>var x = 1; function f() { return x; }</script><style>.a { color: red }</style></head>
    <body><div class="nav"><a href="/">首页</a> | <a>政策</a></div>
    <table class="bd1"><tr><td><b>索 引 号：</b></td><td>000014349/2018-00120</td>
      <td><b>主题分类：</b></td><td>综合政务\\其他</td></tr>
    <tr><td><b>发文机关：</b></td><td>国务院办公厅</td><td><b>成文日期：</b></td><td>2018年07月25日</td></tr>
    <tr><td><b>标　　题：</b></td><td>国务院办公厅关于印发全国深化放管服改革工作要点的通知</td></tr>
    <tr><td><b>发文字号：</b></td><td>国办发〔2018〕79号</td><td><b>发布日期：</b></td><td>2018年08月14日</td></tr>
    </table>
    <div class="article"><h1>国务院办公厅关于印发全国深化“放管服”改革工作要点的通知</h1>
    <div id="UCAP-CONTENT"><p>国办发〔2018〕79号</p>
    <p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p>
    <p>《全国深化“放管服”改革转变政府职能电视电话会议重点任务分工方案》已经国务院同意，现印发给你们，请认真贯彻执行。</p>
    <p>一、总体要求</p><p>（一）加强组织领导。各地区要高度重视。</p>
    <p>1.<b>打造</b>一流营商环境。加快改革。</p></div></div>
    <div class="footer">版权所有：中国政府网 | 网站地图</div></body></html>"""
    path = tmp_path / "国办发（2018）79号 通知.htm"
    path.write_text(page, encoding="utf-8")
    doc = parse_file(path)
    meta = doc.metadata
    assert meta.title == "国务院办公厅关于印发全国深化放管服改革工作要点的通知"
    assert meta.issuer == "国务院办公厅"
    assert meta.written_date == "2018-07-25"
    assert meta.date == "2018-08-14"
    assert meta.doc_number == "国办发〔2018〕79号"
    assert meta.subject == "综合政务\\其他"
    for leak in ("索引号", "索 引 号", "000014349", "主题分类", "var x", "color", "首页", "版权所有"):
        assert leak not in doc.text, leak
    assert "打造一流营商环境" in doc.text
    task = next(n for n in doc.nodes() if n.kind == "task")
    assert task.title == "打造一流营商环境"


def test_a_report_headed_only_by_its_kind_takes_the_year_and_date_it_gives(corpus_dir):
    reports = corpus_dir / "gov_work_reports"
    doc = parse_file(reports / "002_2024_2024年中华人民共和国国务院政府工作报告.txt")
    # headed 政府工作报告, then "——2024年3月5日在第十四届全国人民代表大会第二次会议上"
    assert doc.text.startswith("政府工作报告\n")
    assert doc.metadata.title == "2024年中华人民共和国国务院政府工作报告"
    assert doc.metadata.date == "2024-03-05"
    untitled = parse_file(reports / "000_2025_2025年中华人民共和国国务院政府工作报告.txt")
    assert untitled.metadata.title == "2025年中华人民共和国国务院政府工作报告"
    assert untitled.metadata.date == "2025"  # no date in the text: the year of its name


def test_a_resolution_opening_with_a_clause_cut_at_de_takes_its_files_title(corpus_dir):
    doc = parse_file(corpus_dir / "gov_work_reports" /
                     "001_NA_第十四届全国人民代表大会第三次会议关于政府工作报告的决议.txt")
    assert doc.text.startswith("第十四届全国人民代表大会第三次会议听取和审议了国务院总理李强所作的\n")
    assert doc.metadata.title == "第十四届全国人民代表大会第三次会议关于政府工作报告的决议"


def test_a_resolution_takes_the_date_of_its_adoption_line(corpus_dir):
    doc = parse_file(corpus_dir / "gov_work_reports" /
                     "005_NA_第十四届全国人民代表大会第一次会议关于政府工作报告的决议.txt")
    # "（2023年3月13日第十四届全国人民代表大会第一次会议通过）" under the title
    assert doc.metadata.date == "2023-03-13"


REPORT_BODY = ("各位代表：\n\n现在，我代表国务院，向大会报告政府工作，请予审议。\n\n"
               "一、2014年工作回顾\n\n过去一年，我国发展面临的国际国内环境复杂严峻。\n")


def test_a_report_whose_name_gives_only_its_year_is_dated_by_the_year(tmp_path):
    # 63 work reports of the corpus give no date in their text, only the year in their name
    report = tmp_path / "019_2015_2015年中华人民共和国国务院政府工作报告.txt"
    report.write_text(REPORT_BODY, encoding="utf-8")
    assert parse_file(report).metadata.date == "2015"
    for name in ("001_NA_某某决议.txt", "003_7_論聯合政府_(七大).txt", "某某报告2015.txt"):
        other = tmp_path / name
        other.write_text(REPORT_BODY, encoding="utf-8")
        assert parse_file(other).metadata.date is None, name


def test_a_law_without_a_date_in_its_text_takes_the_one_in_its_files_name(tmp_path):
    body = "# 某某条例\n\n<!-- INFO END -->\n\n第一条 为了规范管理，制定本条例。\n"
    dated = tmp_path / "某某条例(2012-04-19).md"
    dated.write_text(body, encoding="utf-8")
    assert parse_file(dated).metadata.date == "2012-04-19"
    assert parse_file(dated).metadata.title == "某某条例"
    plain = tmp_path / "某某条例.md"
    plain.write_text(body, encoding="utf-8")
    assert parse_file(plain).metadata.date is None
    # a date the text gives wins over the file's name
    stated = tmp_path / "某某规定(2012-04-19).txt"
    stated.write_text("某某规定\n\n（2001年1月1日通过 根据2017年11月4日第一次修正）\n\n第一条 规定。\n",
                      encoding="utf-8")
    assert parse_file(stated).metadata.date == "2017-11-04"
