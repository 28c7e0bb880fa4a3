"""Hostile and broken files: parsing never crashes or hangs, and refuses with one line.

Inputs that once hung the parser run in a child (``ParseWorker``) whose time limit
(:data:`HANG`) is only there to stop a hang; no test checks speed.
"""
from __future__ import annotations

import codecs
import os
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policykg.ingest import IngestError, iter_document_files, parse_file, parse_text
from policykg.ingest.loading import MAX_TEXT_BYTES
from policykg.ingest.records import Document
from policykg.ingest.worker import ParserCrash, ParseTimeout, ParseWorker

DATA = Path(__file__).resolve().parent / "data"
#: Seconds after which a parse counts as hung (linear parsing takes a few at most).
HANG = 120.0


@pytest.fixture(scope="module")
def worker():
    with ParseWorker(time_limit=HANG, preload=False) as parse_worker:
        yield parse_worker


def parse_guarded(worker: ParseWorker, path: Path) -> Document | IngestError:
    """The parsed file, or the IngestError refusing it; fails on a crash or a hang."""
    try:
        return worker.parse(path)
    except ParseTimeout:
        pytest.fail(f"parsing {path.name} hung (over {HANG:g} s)")
    except ParserCrash as exc:
        pytest.fail(f"the parser crashed on {path.name}: {exc.reason}")
    except IngestError as exc:
        return exc


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_thousand_nested_divs_are_refused_with_one_line(tmp_path, worker):
    page = "<html><body>" + "<div>" * 1000 + "正文内容。" + "</div>" * 1000 + "</body></html>"
    path = write(tmp_path, "deep.html", page)
    assert 10_000 < path.stat().st_size < 12_000  # the 11 KB case
    refused = parse_guarded(worker, path)
    assert isinstance(refused, IngestError)
    assert str(path) in str(refused) and "nested 1002 deep" in refused.reason and "\n" not in str(refused)
    with pytest.raises(IngestError, match="nested"):  # in-process too: no RecursionError
        parse_text(page, path="deep.html")


def test_nesting_within_the_cap_is_read(tmp_path):
    page = "<html><body>" + "<div>" * 200 + "<p>一、正文内容。</p>" + "</div>" * 200 + "</body></html>"
    doc = parse_file(write(tmp_path, "nested.html", page))
    assert "一、正文内容。" in doc.text


def test_unmatched_brackets_split_sentences(tmp_path, worker):
    doc = parse_guarded(worker, write(tmp_path, "brackets.txt", "标题\n" + "(一）" * 40000))  # 280 KB
    assert isinstance(doc, Document) and len(doc.text) == 3 + 120000
    assert doc.sentences[-1].end == len(doc.text)


def test_unclosed_guillemets(tmp_path, worker):
    doc = parse_guarded(worker, write(tmp_path, "guillemets.txt", "标题\n" + "《" * 500000 + "。"))
    assert isinstance(doc, Document) and doc.text.endswith("。")


def test_twenty_thousand_nested_tables_are_refused(tmp_path, worker):
    refused = parse_guarded(worker, write(tmp_path, "tables.html", "<html><body>" + "<table>" * 20000))
    assert isinstance(refused, IngestError) and "nested" in refused.reason


def test_many_header_tables_side_by_side(tmp_path, worker):
    table = "<table><tr><td>索引号：</td><td>1</td><td>发文机关：</td><td>某局</td></tr></table>"
    page = "<html><body>" + table * 5000 + "<p>一、正文内容。</p></body></html>"
    doc = parse_guarded(worker, write(tmp_path, "headers.html", page))
    assert isinstance(doc, Document) and "正文内容" in doc.text


def test_markdown_heading_with_long_space_runs(tmp_path, worker):
    line = "# 标题" + " " * 200_000 + "x" + " " * 200_000 + "<"
    doc = parse_guarded(worker, write(tmp_path, "spaces.md", line + "\n\n一、正文。\n"))
    assert isinstance(doc, Document)


def test_thousands_of_soft_broken_lines_join(tmp_path, worker):
    text = "标题\n\n" + "短段落。\n\n" * 40000 + "起\n" + "、\n" * 40000
    doc = parse_guarded(worker, write(tmp_path, "soft.txt", text))
    assert isinstance(doc, Document) and doc.text.endswith("起" + "、" * 40000)


def test_one_megabyte_line(tmp_path, worker):
    doc = parse_guarded(worker, write(tmp_path, "line.txt", "标题\n\n一、" + "政策" * 2**19 + "。\n"))
    assert isinstance(doc, Document) and len(doc.text) > 2**20


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_fifo_is_refused_without_waiting(tmp_path, worker):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    refused = parse_guarded(worker, fifo)
    assert isinstance(refused, IngestError) and "named pipe" in refused.reason
    with pytest.raises(IngestError, match="named pipe"):
        list(iter_document_files([fifo]))


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_device_is_refused(worker):
    refused = parse_guarded(worker, Path("/dev/zero"))
    assert isinstance(refused, IngestError) and refused.reason == "is a character device, not a regular file"


def test_oversized_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:
        fh.truncate(MAX_TEXT_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(IngestError, match=r"too large: 20\.0 MB \(at most 20 MB\)") as refused:
        parse_file(path)
    assert str(path) in str(refused.value)


def test_text_dense_with_extension_b_and_emoji_parses(tmp_path):
    text = "关于𠀀𠀁𠂉的通知\n\n一、𪚥𪚥𠮷😀😀工作\n\n𠀀😀完成。\n\n二、🚀🚀🎉🎉𠀀𠀁要求\n"
    doc = parse_file(write(tmp_path, "rare.txt", text))
    assert "𠮷😀" in doc.text and [n.kind for n in doc.structure] == ["part", "part"]
    gb = tmp_path / "rare-gb.txt"
    gb.write_bytes(text.encode("gb18030"))
    assert parse_file(gb).text == doc.text


def test_worker_refuses_a_slow_file_and_goes_on(tmp_path):
    slow = write(tmp_path, "slow.txt", "标题\n" + "(一）与依托" * 400_000)
    good = write(tmp_path, "good.txt", "关于测试的通知\n\n一、工作目标\n\n完成测试。\n")
    with ParseWorker(time_limit=1.0) as limited:
        with pytest.raises(ParseTimeout, match=r"slow\.txt: gave up after 1 s"):
            limited.extract(slow)
        assert limited.extract(good).document.text.startswith("关于测试的通知")


def test_the_time_limit_counts_cpu_time_not_a_busy_machine(tmp_path):
    """A child held off the cores (stopped, as by a loaded machine) past the limit still
    reads its file; one that never runs again is refused after WALL_FACTOR times the limit."""
    from policykg.ingest.worker import WALL_FACTOR

    good = write(tmp_path, "good.txt", "关于测试的通知\n\n一、工作目标\n\n完成测试。\n")
    with ParseWorker(time_limit=1.0) as limited:
        limited.parse(good)  # started and ready
        pid = limited._proc.pid
        os.kill(pid, signal.SIGSTOP)
        threading.Timer(2.5, os.kill, (pid, signal.SIGCONT)).start()
        began = time.monotonic()
        assert limited.extract(good).document.text.startswith("关于测试的通知")
        assert time.monotonic() - began >= 2.0  # waited past the 1 s limit for the stopped child
    with ParseWorker(time_limit=0.4) as limited:
        limited.parse(good)
        os.kill(limited._proc.pid, signal.SIGSTOP)
        began = time.monotonic()
        with pytest.raises(ParseTimeout, match=r"good\.txt: gave up after \d+ s of wall time"):
            limited.parse(good)
        assert time.monotonic() - began >= 0.4 * WALL_FACTOR - 0.2


#: A stand-in for the parsing child: ready, then for any file 4 "pages" of 0.6 s of CPU each
#: (each reported with PAGE_DONE when REPORT is true), then a refusal naming what it did.
_PAGED_CHILD = """
import sys, time
from multiprocessing.connection import Connection
from policykg.ingest.worker import PAGE_DONE
inbox = Connection(int(sys.argv[1]), writable=False)
outbox = Connection(int(sys.argv[2]), readable=False)
outbox.send("ready")
name, extract = inbox.recv()
for _ in range(4):
    end = time.process_time() + 0.6
    while time.process_time() < end:
        pass
    if REPORT:
        outbox.send(PAGE_DONE)
outbox.send(("refused", "read 4 pages", {}))
"""


@pytest.mark.parametrize("report", [True, False])
def test_each_page_recognised_starts_the_clock_again(tmp_path, report):
    """A long scan whose pages each finish within the limit is read whole (2.4 s of work
    under a 1 s limit); the same work without page reports is refused at the limit."""
    class Paged(ParseWorker):
        child = ("-c", f"REPORT = {report}\n" + _PAGED_CHILD)

    with Paged(time_limit=1.0, preload=False) as worker:
        if report:
            with pytest.raises(IngestError, match="read 4 pages"):
                worker.parse(tmp_path / "scan.pdf")
        else:
            with pytest.raises(ParseTimeout, match=r"gave up after 1 s"):
                worker.parse(tmp_path / "scan.pdf")


def test_worker_survives_its_child_dying(tmp_path):
    slow = write(tmp_path, "slow.txt", "标题\n" + "(一）与依托" * 400_000)
    good = write(tmp_path, "good.txt", "关于测试的通知\n\n一、工作目标\n\n完成测试。\n")
    with ParseWorker(time_limit=HANG) as parse_worker:
        parse_worker.parse(good)
        pid = parse_worker._proc.pid
        threading.Timer(0.5, os.kill, (pid, signal.SIGKILL)).start()
        with pytest.raises(ParserCrash, match="died while reading this file"):
            parse_worker.extract(slow)
        assert parse_worker.parse(good).text.startswith("关于测试的通知")  # a new child
        os.kill(parse_worker._proc.pid, signal.SIGKILL)  # an idle child killed from outside
        parse_worker._proc.wait(timeout=HANG)
        assert parse_worker.parse(good).text.startswith("关于测试的通知")


def test_build_refuses_a_file_over_the_time_limit_and_goes_on(tmp_path):
    from policykg.kg import Settings
    from policykg.kg.build import build_paths
    from policykg.kg.store import open_store

    slow = write(tmp_path, "slow.txt", "标题\n" + "(一）与依托" * 400_000)
    good = write(tmp_path, "good.txt", "关于测试的通知\n\n一、工作目标\n\n完成测试。\n")
    settings = Settings.load({"store": str(tmp_path / "store")})
    store = open_store(settings)
    try:
        report = build_paths(store, [slow, good], base_iri=settings.base_iri, parse_time_limit=2.0)
    finally:
        store.close()
    assert report.built == [str(good.resolve())]
    [(path, reason)] = report.refused
    assert path == str(slow.resolve()) and reason.startswith("gave up after 2 s")


# -- property-based fuzzing over mutated corpus files ---------------------------------------

def _sources() -> list[Path]:
    """Small documents of every kind: the fuzz fixtures and a few corpus files."""
    found = sorted((DATA / "fuzz").glob("*.*"))
    corpus = DATA / "corpus"
    if corpus.is_dir():
        small = [p for p in iter_document_files([corpus]) if p.stat().st_size < 40_000]
        found += [p for suffix in (".md", ".txt", ".html") for p in small if p.suffix == suffix][:2 * 3]
    return found


SOURCES = _sources()
_UNITS = ["(一）", "《", "“", "、\n", "第一条", "一是", "# ", "<!--", "\u200b", "发布时间:", "𠀀", "😀", "\x00"]


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A corpus file with one mutation: (suffix, bytes)."""
    source = draw(st.sampled_from(SOURCES))
    data = source.read_bytes()
    text = data.decode("utf-8", errors="surrogateescape")
    kind = draw(st.sampled_from(["flip", "truncate", "nul", "reencode", "headings", "long-line",
                                 "deep-html", "bomb"]))
    at = draw(st.integers(0, len(text)))
    if kind == "flip":
        out = bytearray(data)
        for pos in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=32)):
            out[pos] ^= draw(st.integers(1, 255))
        return source.suffix, bytes(out)
    if kind == "truncate":
        return source.suffix, data[:draw(st.integers(0, len(data)))]
    if kind == "nul":
        return source.suffix, data[:at] + b"\x00" + data[at:]
    if kind == "reencode":
        encoding = draw(st.sampled_from(["gb18030", "utf-16", "utf-16-le", "utf-32", "big5", "latin-1"]))
        if encoding == "latin-1":  # mojibake: the UTF-8 bytes read as Latin-1, saved as UTF-8
            return source.suffix, data.decode("latin-1").encode("utf-8")
        return source.suffix, text.encode(encoding, errors="replace")
    if kind == "headings":
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        lines[i:i + 1] = [lines[i]] * draw(st.integers(2, 300))
        text = "\n".join(lines)
    elif kind == "long-line":
        unit = draw(st.sampled_from(["政策", "，", " ", "、与", "（一）"]))
        text = text[:at] + "\n" + unit * (draw(st.integers(1, 2**16)) // len(unit)) + "\n" + text[at:]
    elif kind == "deep-html":
        tag = draw(st.sampled_from(["div", "table", "span", "td", "font"]))
        depth = draw(st.sampled_from([10, 100, 255, 300, 2000]))
        text = "<html><body>" + text[:at] + f"<{tag}>" * depth + text[at:at + 500] + f"</{tag}>" * depth + "</body></html>"
    else:
        text = text[:at] + draw(st.sampled_from(_UNITS)) * draw(st.integers(1, 20_000)) + text[at:]
    return source.suffix, text.encode("utf-8", errors="surrogateescape")


@contextmanager
def hang_guard(seconds: float):
    """Raise TimeoutError in the test if the block runs longer than ``seconds`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def hung(*_):
        raise TimeoutError(f"parsing took over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not SOURCES, reason="no fuzz fixtures in tests/data/fuzz")
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_corpus_files_parse_or_are_refused_with_one_line(case):
    suffix, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"mutated{suffix}"
        path.write_bytes(data)
        began = time.monotonic()
        with hang_guard(HANG):
            try:
                doc = parse_file(path)
            except IngestError as exc:
                assert exc.reason and "\n" not in str(exc) and str(path) in str(exc)
                return
        assert doc.text.strip() and time.monotonic() - began < HANG
        for s in doc.sentences:
            assert doc.text[s.start:s.end] == s.text


def test_fuzz_sources_decode():
    """The fuzz fixtures themselves parse (a mutation of a refused file proves little)."""
    for source in SOURCES:
        assert parse_file(source).text
    assert codecs.lookup("gb18030")  # the re-encodings above need it
