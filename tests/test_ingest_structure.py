"""Structure, metadata and sentences: the seed exactly, laws, and generated text."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policykg.ingest import format_outline, parse_file, parse_text


def _assert_offsets_exact(doc):
    for node in doc.nodes():
        assert doc.text[node.start:node.end] == node.text, node.id
        for child in node.children:
            assert node.start <= child.start <= child.end <= node.end, child.id
    previous_end = 0
    for sentence in doc.sentences:
        assert sentence.text, "empty sentence"
        assert sentence.text == sentence.text.strip()
        assert doc.text[sentence.start:sentence.end] == sentence.text
        assert sentence.start >= previous_end
        previous_end = sentence.end
    ids = [node.id for node in doc.nodes()]
    assert len(ids) == len(set(ids)), "node ids are not unique"


def _find(doc, node_id):
    return next(node for node in doc.nodes() if node.id == node_id)


def test_seed_metadata(seed_path):
    meta = parse_file(seed_path).metadata
    assert meta.title == "中共长宁区委关于提升长宁城区能级和核心竞争力加快建设国际精品城区的实施意见"
    assert meta.date == "2022-12-09"
    assert meta.issuer == "中共长宁区委"
    assert meta.source == "上海长宁文明网"
    assert meta.original_source == "长宁时报"
    assert meta.keywords == ("长宁",)


def test_seed_clean_text_starts_at_title_without_chrome(seed_path):
    doc = parse_file(seed_path)
    assert doc.text.startswith("中共长宁区委关于提升长宁城区能级和核心竞争力加快建设国际精品城区的实施意见\n")
    for chrome in ("邮箱", "->", "发布时间", "文档来源", "关键字", "字体", "如无法下载附件", "相关报道"):
        assert chrome not in doc.text
    assert doc.text.rstrip().endswith("(来源:长宁时报)")


def test_seed_structure(seed_path):
    doc = parse_file(seed_path)
    parts = [n for n in doc.structure if n.kind == "part"]
    assert [p.number for p in parts] == ["一", "二", "三", "四"]
    assert parts[0].title == "提升城区能级和核心竞争力是长宁在服务大局中实现更高质量更高水平发展的必然要求"

    two = parts[1]
    assert [(s.kind, s.title) for s in two.children] == [
        ("section", "指导思想"), ("section", "基本原则"), ("section", "总体目标")]
    principles = [c for c in two.children[1].children if c.kind == "principle"]
    assert [p.title for p in principles] == [
        "坚持对标一流、追求卓越", "坚持做大优势、做强特色", "坚持改革创新、开放发展", "坚持软硬并重、协同提升"]
    assert principles[0].id == "part-2/section-2/principle-1"
    goals_section = two.children[2]
    assert goals_section.children[0].kind == "paragraph"
    goals = [c for c in goals_section.children if c.kind == "goal"]
    assert [g.title for g in goals] == ["综合实力更加雄厚", "特色优势更加突出", "人文魅力更加彰显", "治理能力更加现代"]

    three = parts[2]
    sections = [s for s in three.children if s.kind == "section"]
    assert [s.title for s in sections] == ["加快推动高质量发展", "努力创造高品质生活", "不断深化高水平改革创新"]
    tasks = [[(t.number, t.title) for t in s.children if t.kind == "task"] for s in sections]
    assert tasks == [
        [("1", "打造贸易功能新优势"), ("2", "打造航空服务新优势"), ("3", "打造数字经济新优势"), ("4", "打造时尚文化新优势")],
        [("5", "打造环境品质新优势"), ("6", "打造公共服务新优势")],
        [("7", "打造营商环境新优势"), ("8", "打造创新创业新优势"), ("9", "打造人才集聚新优势"), ("10", "打造开放发展新优势")],
    ]
    assert _find(doc, "part-3/section-1/task-2").title == "打造航空服务新优势"
    assert _find(doc, "part-3/section-2/task-5").title == "打造环境品质新优势"
    # A section heading on its own line spans its tasks.
    assert sections[0].text.startswith("(一)加快推动高质量发展\n")
    assert sections[0].end == sections[0].children[-1].end

    four = parts[3]
    inline = [s for s in four.children if s.kind == "section"]
    assert [s.title for s in inline] == ["加强组织实施", "抓好任务落实", "营造良好氛围"]
    assert inline[0].text.startswith("(一)加强组织实施。加大统筹协调力度")
    assert inline[0].text.endswith("竞相发展的生动局面。")
    assert _find(doc, "part-1/paragraph-2").kind == "paragraph"
    _assert_offsets_exact(doc)


def test_seed_outline(seed_path):
    outline = format_outline(parse_file(seed_path))
    lines = outline.splitlines()
    assert "中共长宁区委关于提升" in lines[0]
    assert any(line.startswith("二、") for line in lines)
    assert "    1. 打造贸易功能新优势" in lines
    assert "  (一) 加强组织实施" in lines


def test_law_markdown_gives_chapters_and_articles(corpus_dir):
    path = next((corpus_dir / "laws" / "shanghai_local_regulations").glob("上海口岸服务条例*.md"))
    doc = parse_file(path)
    assert doc.metadata.title == "上海口岸服务条例"
    assert doc.metadata.date == "2020-05-14"
    assert doc.text.startswith("上海口岸服务条例\n")
    assert "#" not in doc.text and "<!--" not in doc.text
    chapters = [n for n in doc.structure if n.kind == "chapter"]
    assert chapters[0].number == "一" and chapters[0].title == "总则"
    articles = [n for n in chapters[0].children if n.kind == "article"]
    assert articles[0].id == "chapter-1/article-1"
    assert articles[0].text.startswith("第一条 为了规范口岸开放")
    assert sum(1 for n in doc.nodes() if n.kind == "article") > 20
    _assert_offsets_exact(doc)


def test_articles_with_enumerations_are_items():
    doc = parse_text("某某条例\n\n第一章 总则\n\n第二条 应当具备下列条件：\n\n（一）有名称；\n\n（二）有场所。\n\n第三条 其他。")
    article = _find(doc, "chapter-1/article-2")  # ids follow the written numbers
    assert [(c.kind, c.number) for c in article.children] == [("item", "一"), ("item", "二")]
    assert _find(doc, "chapter-1/article-3").number == "三"


def test_inline_yishi_items_and_false_positives():
    text = (
        "标题\n\n一、工作回顾\n\n主要做了以下工作：一是稳增长，经济回升；二是促改革，动力增强；三是惠民生。其他工作。\n\n"
        "2018年工作很重要。\n\n1.5万亿元的投资已经到位。\n\n会议指出一、二季度经济平稳。"
    )
    doc = parse_text(text)
    assert [n.kind for n in doc.structure] == ["part"]
    paragraph = _find(doc, "part-1/paragraph-1")
    items = [c for c in paragraph.children if c.kind == "item"]
    assert [i.number for i in items] == ["一", "二", "三"]
    assert items[0].text == "一是稳增长，经济回升"
    assert items[2].text == "三是惠民生。"
    assert not any(n.kind == "task" for n in doc.nodes())
    _assert_offsets_exact(doc)


def test_fullwidth_and_ascii_numbering_are_both_read():
    doc = parse_text("标题\n一、甲\n（一）乙\n1．丙。内容\n2、丁。内容\n(二)戊：内容\n二.己")
    kinds = [(n.kind, n.number, n.title) for n in doc.nodes()]
    assert kinds == [
        ("part", "一", "甲"), ("section", "一", "乙"), ("task", "1", "丙"), ("task", "2", "丁"),
        ("section", "二", "戊：内容"), ("part", "二", "己"),
    ]


def test_sentences_do_not_split_inside_quotes_or_brackets():
    doc = parse_text("标题\n\n根据《关于A；B的意见》（试行！）精神，他说“好。对！”然后离开。下一句？是的; ok!")
    assert [s.text for s in doc.sentences] == [
        "标题", "根据《关于A；B的意见》（试行！）精神，他说“好。对！”然后离开。", "下一句？", "是的;", "ok!"]


def test_zero_width_characters_and_crlf_are_normalised():
    doc = parse_text("标\u200b题\r\n\r\n一、总\ufeff体\u2060要求\r\n正文\u200d。")
    assert doc.text == "标题\n\n一、总体要求\n正文。"
    assert doc.structure[0].title == "总体要求"


HEADINGS = st.sampled_from([
    "一、", "二、", "三、", "十一、", "（一）", "(二)", "（三）", "1.", "2．", "3、", "10.", "(1)", "（2）", "①", "②",
    "第一章 ", "第二章", "第一条 ", "第十二条　", "第一节 ", "一是", "二是", "2018年", "1.5", "一", "二",
])
WORDS = st.sampled_from([
    "加强组织实施", "坚持对标一流、追求卓越", "综合实力更加雄厚", "总体目标", "基本原则", "《关于；的意见》",
    "“好。对！”", "（试行）", "「引」", "‘单’", "1．", "：", ":", "，", ",", "。", "！", "？", "；", ";", "!", "?",
    " ", "\u3000", "\u200b", "\ufeff", "\t", "\n", "\n\n", "\r\n", "一、", "（一）", "1.", "一是", "二是", "【", "】",
    "相关报道", "发布时间:2022-12-09", "(来源:长宁时报)", "<p>", "# ", "## 第一章 总则", "<!-- INFO END -->", "x",
])
LINES = st.lists(st.tuples(st.one_of(st.just(""), HEADINGS), st.lists(WORDS, max_size=12)), max_size=25)


@settings(max_examples=300, deadline=None, database=None)
@given(LINES)
def test_offsets_exact_on_generated_documents(lines):
    text = "\n".join(head + "".join(words) for head, words in lines)
    doc = parse_text(text, html=False)
    _assert_offsets_exact(doc)
    assert "\u200b" not in doc.text and "\r" not in doc.text
    format_outline(doc)


@settings(max_examples=100, deadline=None, database=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text):
    _assert_offsets_exact(parse_text(text))


def test_title_broken_across_lines_and_salutations():
    # Scraped reports break the title before its last character, or open with a
    # salutation; neither may become a wrong title.
    doc = parse_text("政府工作报\n告\n\n——2021年3月5日\n\n各位代表：\n\n现在，我代表国务院，向大会报告政府工作。")
    assert doc.metadata.title == "政府工作报告"
    assert doc.text.startswith("政府工作报\n告")  # the text itself stays as written
    doc = parse_text("各位代表！\n\n我代表国务院，向大会作政府工作报告，请予审议。",
                     path="/x/051_1988_1988年中华人民共和国国务院政府工作报告.txt")
    assert doc.metadata.title == "1988年中华人民共和国国务院政府工作报告"
