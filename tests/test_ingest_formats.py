"""PDF, Word and OFD input: the same parse as the original text, pages, refusals, OCR, build."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from policykg.ingest import IngestError, parse_file
from policykg.ingest.formats import read_layout, sniff_format
from policykg.ingest.formats.layout import PAGE_NUMBER
from policykg.web.cli import main

HERE = Path(__file__).resolve().parent
FORMATS = HERE / "data" / "formats"
ORIGINALS = FORMATS / "originals"
REGULATION = ORIGINALS / "lawrefbook__行政法规__企业法人法定代表人登记管理规定(1999-06-23).md"
DECISION = ORIGINALS / "lawrefbook__DLC__北京市人民代表大会常务委员会关于废止部分地方性法规的决定.md"
REAL_SAMPLES = HERE.parents[1] / "shared" / "corpus" / "plans_and_validity" / "formats"


def _load_maker():
    spec = importlib.util.spec_from_file_location("make_fixtures", FORMATS / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = _load_maker()
needs_chromium = pytest.mark.skipif(make.chromium() is None, reason="chromium is not installed (print-to-PDF)")
needs_soffice = pytest.mark.skipif(make.soffice() is None, reason="LibreOffice is not installed (.doc conversion)")
needs_ocr = pytest.mark.skipif(importlib.util.find_spec("rapidocr_onnxruntime") is None,
                               reason="the ocr extra (rapidocr_onnxruntime) is not installed")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def outline(doc) -> list[tuple[str, str | None, str | None]]:
    return [(n.kind, n.number, n.title) for n in doc.nodes()]


def assert_same_parse(original, converted) -> None:
    """Same title, same structure (kinds, numbers, titles) and same text up to whitespace."""
    assert squash(converted.metadata.title or "") == squash(original.metadata.title or "")
    assert squash(converted.text) == squash(original.text)
    assert outline(converted) == outline(original)


def char_accuracy(got: str, truth: str) -> float:
    """1 − (edit distance / length of the truth), whitespace ignored."""
    a, b = squash(got), squash(truth)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1 - prev[-1] / max(1, len(b))


@pytest.fixture(scope="module")
def regulation():
    return parse_file(REGULATION)


@pytest.fixture
def no_ocr(monkeypatch):
    """Behave as if the ocr extra were not installed."""
    from policykg.ingest.formats import ocr

    monkeypatch.setattr(ocr, "ocr_available", lambda: False)


# --- kept fixtures -------------------------------------------------------------------------------


def test_pdf_text_layer_parses_like_its_original(regulation):
    doc = parse_file(FORMATS / "regulation.pdf")
    assert_same_parse(regulation, doc)
    assert doc.source_format == "pdf"
    # Articles need the space the text layer draws after 第一条.
    assert ("article", "一", None) in [(k, n, None) for k, n, _ in outline(doc)]


def test_pdf_running_header_and_page_numbers_are_gone(regulation):
    doc = parse_file(FORMATS / "regulation.pdf")
    assert "第1页" not in squash(doc.text) and "第2页" not in squash(doc.text)
    title = regulation.metadata.title
    assert doc.text.count(title) == regulation.text.count(title)  # the running header is not repeated


def test_parse_json_has_pages_that_tile_the_text(capsys):
    assert main(["parse", "--json", str(FORMATS / "regulation.pdf")]) == 0
    data = json.loads(capsys.readouterr().out)
    pages = data["pages"]
    assert [p["number"] for p in pages] == [1, 2]
    assert pages[0]["start"] == 0 and pages[-1]["end"] == len(data["text"])
    assert pages[0]["end"] == pages[1]["start"]
    assert all(p["method"] == "text" for p in pages)


def test_page_two_starts_where_its_printed_text_starts():
    import pypdfium2 as pdfium

    doc = parse_file(FORMATS / "regulation.pdf")
    pdf = pdfium.PdfDocument(str(FORMATS / "regulation.pdf"))
    printed = squash(pdf[1].get_textpage().get_text_range())
    pdf.close()
    start = doc.pages[1].start
    head = squash(doc.text[start:start + 40])[:10]
    assert head and head in printed
    last = doc.sentences[-1]
    assert doc.page_of(last.start).number == 2
    assert doc.page_of(doc.sentences[0].start).number == 1


def test_docx_parses_like_its_original_with_pages_from_breaks(regulation):
    doc = parse_file(FORMATS / "regulation.docx")
    assert_same_parse(regulation, doc)
    assert doc.source_format == "docx"
    assert len(doc.pages) >= 2 and doc.pages[0].start == 0 and doc.pages[-1].end == len(doc.text)
    assert "— 1 —" not in doc.text  # the footer part is not read


def test_docx_list_numbering_and_tables(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("关于测试编号的通知", style="Title")
    document.add_paragraph("加强组织领导。", style="List Number")
    document.add_paragraph("强化资金保障。", style="List Number")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("任务", "责任单位"), ("建设平台", "市经济信息化委")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    path = tmp_path / "numbered.docx"
    document.save(path)
    laid = read_layout(path)
    lines = laid.text.split("\n")
    assert lines[1].startswith("1") and lines[2].startswith("2")
    assert "建设平台\t市经济信息化委" in lines
    assert laid.hints["title"] == "关于测试编号的通知"


def test_ofd_red_header_is_metadata_and_seal_is_noted():
    original = parse_file(DECISION)
    doc = parse_file(FORMATS / "decision-redheader.ofd")
    assert doc.metadata.doc_number == "京人发〔2021〕9号"
    assert doc.metadata.issuer == "北京市人民代表大会常务委员会"
    # The letterhead leaves the text; the 发文字号 line stays, as in a text file.
    assert "北京市人民代表大会常务委员会文件" not in doc.text
    assert squash(doc.text.replace("京人发〔2021〕9号", "")) == squash(original.text)
    assert outline(doc) == outline(original) and doc.metadata.title == original.metadata.title
    hints = dict(doc.layout_hints)
    assert "seal" in hints["seals"]


def test_real_ofd_sample_with_red_header_and_seal():
    doc = parse_file(FORMATS / "real-redheader-seal.ofd")
    assert doc.metadata.title == "关于同意张阿三同志辞职的批复"
    assert doc.metadata.doc_number == "路卫发〔2011〕76号"
    assert [p.number for p in doc.pages] == [1, 2]
    assert "同意张阿三同志辞职" in doc.text and "Seal" not in doc.text
    assert "seals" in dict(doc.layout_hints)


@pytest.mark.parametrize("text", ["— 3 —", "-3-", "第3页", "第 3 页 共 9 页", "3/9", "- 12 -"])
def test_page_number_lines(text):
    assert PAGE_NUMBER.match(text)


@pytest.mark.parametrize("text", ["3.推进数字化转型", "一、总体要求", "2025年"])
def test_text_lines_are_not_page_numbers(text):
    assert not PAGE_NUMBER.match(text)


def test_ocr_page_numbers_allow_one_misread_character():
    from policykg.ingest.formats.layout import OCR_PAGE_NUMBER

    assert OCR_PAGE_NUMBER.match("第1顶页") and OCR_PAGE_NUMBER.match("第 12 页")
    assert not any(OCR_PAGE_NUMBER.match(t) for t in ("第3条", "2025年", "第一条"))


# --- refusals: one line naming the file ---------------------------------------------------------


def test_encrypted_pdf_is_refused():
    with pytest.raises(IngestError) as info:
        parse_file(FORMATS / "encrypted.pdf")
    assert "encrypted.pdf" in str(info.value) and "encrypted PDF" in str(info.value)


def test_damaged_and_empty_files_are_refused(tmp_path):
    cut = tmp_path / "cut.pdf"
    cut.write_bytes((FORMATS / "regulation.pdf").read_bytes()[:3000])
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    other = tmp_path / "other.docx"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("hello.txt", "hi")
    for path, words in [(cut, "damaged"), (empty, "empty"), (junk, "damaged"), (other, "damaged .docx")]:
        with pytest.raises(IngestError) as info:
            parse_file(path)
        message = str(info.value)
        assert path.name in message and words in message and "\n" not in message


def test_content_decides_the_format(tmp_path):
    disguised = tmp_path / "notice.txt"
    shutil.copyfile(FORMATS / "regulation.pdf", disguised)
    assert sniff_format(disguised) == "pdf"
    assert sniff_format(REGULATION) is None


def test_image_only_pdf_without_ocr_names_the_extra(no_ocr):
    with pytest.raises(IngestError) as info:
        parse_file(FORMATS / "regulation-scan.pdf")
    message = str(info.value)
    assert "regulation-scan.pdf" in message and "policykg[ocr]" in message and "image-only" in message


def test_doc_without_libreoffice_says_so(tmp_path, monkeypatch):
    from policykg.ingest.formats import legacy

    monkeypatch.setattr(legacy, "soffice", lambda: None)
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(IngestError) as info:
        parse_file(path)
    assert "old.doc" in str(info.value) and "LibreOffice" in str(info.value)


# --- OCR -----------------------------------------------------------------------------------------


@needs_ocr
@pytest.mark.slow
def test_image_only_pdf_is_ocrd_with_confidence():
    truth = parse_file(FORMATS / "regulation.pdf")
    page = truth.pages[0]
    doc = parse_file(FORMATS / "regulation-scan.pdf")
    assert [p.method for p in doc.pages] == ["ocr"]
    assert 0.5 < doc.pages[0].confidence <= 1
    accuracy = char_accuracy(doc.text, truth.text[page.start:page.end])
    print(f"OCR character accuracy on regulation-scan.pdf: {accuracy:.4f}")
    assert accuracy >= 0.9


# --- generated from ten corpus documents ---------------------------------------------------------

TEN = sorted(ORIGINALS.iterdir())


@pytest.fixture(scope="module")
def originals():
    assert len(TEN) == 10
    return {p.name: parse_file(p) for p in TEN}


@pytest.mark.parametrize("path", TEN, ids=lambda p: p.name[:24])
def test_docx_of_corpus_document_parses_the_same(path, originals, tmp_path):
    doc = originals[path.name]
    out = make.write_docx(doc.text, tmp_path / "doc.docx", title=doc.metadata.title or "")
    assert_same_parse(doc, parse_file(out))


@pytest.mark.parametrize("path", TEN, ids=lambda p: p.name[:24])
def test_ofd_of_corpus_document_parses_the_same(path, originals, tmp_path):
    doc = originals[path.name]
    out = make.write_ofd(doc.text, tmp_path / "doc.ofd")
    converted = parse_file(out)
    assert_same_parse(doc, converted)
    assert converted.pages[-1].end == len(converted.text)


@needs_chromium
@pytest.mark.slow
@pytest.mark.parametrize("path", TEN, ids=lambda p: p.name[:24])
def test_pdf_of_corpus_document_parses_the_same(path, originals, tmp_path):
    doc = originals[path.name]
    footer = make.FOOTERS[TEN.index(path) % len(make.FOOTERS)]
    out = make.print_pdf(make.doc_html(doc.text, doc.metadata.title or "", footer=footer), tmp_path / "doc.pdf")
    converted = parse_file(out)
    assert_same_parse(doc, converted)
    starts = [p.start for p in converted.pages]
    assert starts == sorted(starts) and starts[0] == 0


@needs_soffice
@pytest.mark.slow
@pytest.mark.parametrize("path", TEN[:3], ids=lambda p: p.name[:24])
def test_doc_of_corpus_document_parses_the_same(path, originals, tmp_path):
    doc = originals[path.name]
    docx_path = make.write_docx(doc.text, tmp_path / "doc.docx", title=doc.metadata.title or "")
    out = make.convert(docx_path, "doc", tmp_path)
    converted = parse_file(out)
    assert converted.source_format == "doc"
    assert_same_parse(doc, converted)


# --- real samples and the build ------------------------------------------------------------------


@pytest.mark.skipif(not REAL_SAMPLES.is_dir(), reason="real format samples: corpus formats/ folder not beside this checkout")
def test_real_samples_parse_or_are_refused_with_the_right_message(no_ocr):
    for path in sorted(REAL_SAMPLES.iterdir()):
        if path.suffix not in (".pdf", ".docx", ".ofd"):
            continue
        try:
            doc = parse_file(path)
        except IngestError as exc:
            assert path.name.startswith("wbj__"), f"{path.name}: {exc}"  # the printouts without a text layer
            assert "image-only" in str(exc) and "policykg[ocr]" in str(exc)
        else:
            assert doc.text.strip() and doc.metadata.title, path.name


def test_build_takes_every_format_skips_unchanged_and_refuses_one_line(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("regulation.pdf", "regulation.docx", "real-redheader-seal.ofd", "encrypted.pdf"):
        shutil.copyfile(FORMATS / name, folder / name)
    store = tmp_path / "store"
    assert main(["build", "--store", str(store), "--no-embed", str(folder)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"built 3\b", out)
    refused = [line for line in out.splitlines() if "encrypted.pdf" in line]
    assert len(refused) == 1 and "encrypted PDF" in refused[0]
    assert main(["build", "--store", str(store), "--no-embed", str(folder)]) == 1
    assert re.search(r"skipped 3 unchanged", capsys.readouterr().out)


# --- the graph -----------------------------------------------------------------------------------


def _graph(doc):
    from policykg.ingest import extract
    from policykg.kg.rdf import document_graph

    return document_graph(extract(doc), base_iri="https://w3id.org/policykg/")


def test_sentences_and_units_know_their_page_in_the_graph():
    from rdflib import DCTERMS, Literal
    from policykg.kg.vocab import POL

    doc = parse_file(FORMATS / "regulation.pdf")
    graph = _graph(doc)
    pages = {int(p) for p in graph.objects(None, POL.page)}
    assert pages == {1, 2}
    for sentence in graph.subjects(POL.startOffset, Literal(doc.sentences[-1].start)):
        assert set(graph.objects(sentence, POL.page)) == {Literal(2)}
    assert (None, DCTERMS.format, Literal("application/pdf")) in graph
    assert set(graph.objects(None, POL.extractionMethod)) == {Literal("text")}


def test_ocr_text_is_marked_with_its_confidence_in_the_graph():
    import dataclasses

    from rdflib import Literal
    from policykg.kg.vocab import POL

    doc = parse_file(FORMATS / "regulation.pdf")
    recognised = (dataclasses.replace(doc.pages[0], method="ocr", confidence=0.93), doc.pages[1])
    graph = _graph(dataclasses.replace(doc, pages=recognised))
    marked = set(graph.subjects(POL.extractionMethod, Literal("ocr")))
    on_page_one = set(graph.subjects(POL.page, Literal(1))) & set(graph.subjects(POL.endOffset, None))
    sentences = {s for s in marked if (s, POL.extractionConfidence, None) in graph}
    assert sentences and sentences <= on_page_one
    assert {float(c) for c in graph.objects(None, POL.extractionConfidence)} == {0.93}


def _printed_in(pdf_path: Path, box) -> str:
    """The text pdfium finds inside ``box`` (PDF points) on its page, whitespace squashed."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[box.page - 1]
        width, height = page.get_size()
        assert 0 <= box.x0 < box.x1 <= width and 0 <= box.y0 < box.y1 <= height
        textpage = page.get_textpage()
        return squash(textpage.get_text_bounded(box.x0, box.y0, box.x1, box.y1))
    finally:
        pdf.close()


def test_pdf_sentence_box_holds_the_sentence_on_its_page():
    doc = parse_file(FORMATS / "regulation.pdf")
    assert doc.box_units == "pt" and doc.lines
    # A sentence on one line of page 1, and one that runs over lines of page 2.
    one_line = next(s for s in doc.sentences if s.text.startswith("1998年4月7日"))
    box = doc.box_of(one_line.start, one_line.end)
    assert box.page == 1 and _printed_in(FORMATS / "regulation.pdf", box) == squash(one_line.text)
    long = max((s for s in doc.sentences if doc.page_of(s.start).number == 2), key=lambda s: len(s.text))
    box = doc.box_of(long.start, long.end)
    assert box.page == 2 and box.y1 - box.y0 > 2 * 12  # more than one line of type
    assert squash(long.text) in _printed_in(FORMATS / "regulation.pdf", box)
    # Every sentence has a box, and the boxes of the printed lines stay in order on their pages.
    assert all(doc.box_of(s.start, s.end) is not None for s in doc.sentences)
    assert [b.start for b in doc.lines] == sorted(b.start for b in doc.lines)


def test_ofd_boxes_are_millimetres_inside_the_page():
    doc = parse_file(FORMATS / "decision-redheader.ofd")
    assert doc.box_units == "mm"
    for sentence in doc.sentences:
        box = doc.box_of(sentence.start, sentence.end)
        assert box is not None and 0 <= box.x0 < box.x1 <= 210 and 0 <= box.y0 < box.y1 <= 297


def test_bounding_box_in_the_graph_and_in_parse_json(capsys):
    from rdflib import Literal
    from policykg.kg.vocab import POL

    doc = parse_file(FORMATS / "regulation.pdf")
    graph = _graph(doc)
    last = doc.sentences[-1]
    sentence = next(iter(graph.subjects(POL.startOffset, Literal(last.start))))
    (literal,) = graph.objects(sentence, POL.boundingBox)
    page, *coords = str(literal).split()
    box = doc.box_of(last.start, last.end)
    assert int(page) == 2 and [float(v) for v in coords] == [box.x0, box.y0, box.x1, box.y1]
    units = {u for u in graph.subjects(POL.boundingBox, None) if (u, POL.number, None) in graph}
    assert units  # structural units have boxes too
    assert main(["parse", "--json", str(FORMATS / "regulation.pdf")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["box_units"] == "pt"
    assert all(len(s["box"]) == 5 for s in data["sentences"])
