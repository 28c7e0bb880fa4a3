"""Reading files: encodings, refusals with clear reasons, file discovery."""
from __future__ import annotations

import pytest

from policykg.ingest import IngestError, iter_document_files, parse_file, read_text

TEXT = "中共长宁区委关于加快建设国际精品城区的实施意见\n\n一、总体要求\n\n（一）指导思想。坚持对标一流。\n"


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-16-le", b"\xff\xfe", "utf-16-le"),
        ("utf-16-be", b"\xfe\xff", "utf-16-be"),
        ("gb18030", b"", "gb18030"),
    ],
)
def test_encodings_are_detected_from_content(tmp_path, encoding, prefix, expected):
    path = tmp_path / "doc.dat"  # the suffix says nothing about the encoding
    path.write_bytes(prefix + TEXT.encode(encoding))
    text, detected = read_text(path)
    assert detected == expected
    assert text == TEXT


def test_gbk_corpus_file_decodes(corpus_dir):
    text, encoding = read_text(corpus_dir / "nansha_district" / "guide_txt_raw" / "29.txt")
    assert encoding == "gb18030"
    assert "非总部内贸企业经营贡献奖办事指南" in text
    assert "广州市南沙区工业和科技信息化局" in text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "binary"),
        (bytes(range(256)) * 8, "binary"),
        ("一、总体要求。".encode("utf-8")[:-1], "truncated UTF-8"),
        ("提升城区能级和核心竞争力".encode("utf-8")[:-2], "truncated UTF-8"),
    ],
)
def test_bad_files_are_refused_with_a_reason_naming_the_file(tmp_path, content, reason):
    path = tmp_path / "坏 文件（1）.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        parse_file(path)
    message = str(info.value)
    assert str(path) in message
    assert reason in message
    assert "\n" not in message


def test_random_bytes_that_decode_as_gb18030_are_refused(tmp_path):
    import random

    rng = random.Random(7)
    # High bytes only: no NULs, never valid UTF-8, mostly valid GB18030.
    data = bytes(rng.choice(range(0x81, 0xFF)) for _ in range(4000))
    path = tmp_path / "noise.txt"
    path.write_bytes(data)
    with pytest.raises(IngestError, match="undecodable"):
        read_text(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        read_text(tmp_path / "nope.txt")


def test_directory_with_chinese_names_spaces_and_fullwidth_brackets(tmp_path):
    folder = tmp_path / "政策 文件（2022）"
    (folder / "子目录 【二】").mkdir(parents=True)
    names = [
        folder / "广州南沙新区（自贸片区）促进 办法.txt",
        folder / "子目录 【二】" / "长宁 实施意见（草案）.md",
        folder / "页面 （保存）.html",
    ]
    for path in names:
        path.write_text("标题\n\n一、总则\n\n正文。\n", encoding="utf-8")
    (folder / "说明 （不要）.csv").write_text("a,b\n", encoding="utf-8")
    (folder / ".隐藏.txt").write_text("x", encoding="utf-8")
    (folder / "README.md").write_text("# 说明\n\n本目录收录实施意见。\n", encoding="utf-8")
    (folder / "子目录 【二】" / "SOURCES.md").write_text("Page size: 595 x 842\n",
                                                        encoding="utf-8")

    found = list(iter_document_files([folder]))
    assert sorted(found) == sorted(names)
    assert found == sorted(found, key=lambda p: p.as_posix())
    for path in found:
        doc = parse_file(path)
        assert doc.path == str(path)
        assert [n.kind for n in doc.structure] == ["part"]
    # A folder's own notes are no documents of it, but named on their own they are built.
    assert list(iter_document_files([folder / "README.md"])) == [folder / "README.md"]
    # A file named explicitly is taken whatever its suffix, and only once.
    assert list(iter_document_files([names[0], folder / "说明 （不要）.csv", names[0]])) == [
        names[0],
        folder / "说明 （不要）.csv",
    ]


def test_missing_path_in_iteration_is_an_ingest_error(tmp_path):
    with pytest.raises(IngestError, match="no such file or directory"):
        list(iter_document_files([tmp_path / "缺少 的（目录）"]))


def test_markup_in_plain_text_is_kept_as_text(tmp_path):
    # A .txt file is not HTML: angle brackets are characters of the document,
    # never a reason to drop a line (the web layer escapes them).
    path = tmp_path / "带标签.txt"
    path.write_text("某某通知\n\n一、总则\n\n这里有<script>alert(1)</script>文字。<b>粗体</b>也在。\n",
                    encoding="utf-8")
    doc = parse_file(path)
    assert "这里有<script>alert(1)</script>文字。<b>粗体</b>也在。" in doc.text
