"""The int8 copy of the vector matrix: saved beside it, re-ranked exactly, exact below the threshold."""
from __future__ import annotations

import numpy as np
import pytest

from policykg.kg import quantised
from policykg.kg.quantised import QuantisedMatrix, quantised_beside, quantised_files
from policykg.kg.search.dense import _minus, distinct, largest, rerank, stable_top
from test_search_terms_index import _mapped

pytestmark = pytest.mark.skipif(not quantised.available(), reason="numkong is not installed")


def _clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Unit vectors in tight clusters around a common direction (like e5's: cosines 0.7–0.9)."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(dim)
    centres = common + 0.6 * rng.standard_normal((max(n // 20, 1), dim))
    rows = centres[rng.integers(0, len(centres), n)] + 0.15 * rng.standard_normal((n, dim))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_int8_scores_are_close_and_the_re_ranked_top_ten_is_exact():
    matrix = _clustered(5000)
    quant = QuantisedMatrix.of(matrix)
    assert quant.codes.dtype == np.int8 and quant.codes.shape == matrix.shape
    groups = [np.arange(0, 3000), np.arange(3000, 5000)]
    for q in _clustered(30, seed=1):
        exact = matrix @ q
        approx = quant.scores(q)
        assert np.abs(approx - exact).max() < 0.02
        fixed = rerank(approx.copy(), matrix, q, groups, 64)
        for rows in groups:
            best = rows[np.argsort(-exact[rows])[:10]]
            assert set(rows[np.argsort(-fixed[rows])[:10]]) == set(best)
            assert np.allclose(fixed[best], exact[best], atol=1e-6)  # their exact scores


def test_a_big_scan_split_over_threads_gives_the_same_scores(monkeypatch):
    matrix = _clustered(5001)
    quant = QuantisedMatrix.of(matrix)
    queries = _clustered(5, seed=2)
    whole = [quant.scores(q) for q in queries]
    monkeypatch.setattr(quantised, "PARALLEL_MIN_ROWS", 1000)
    monkeypatch.setattr(quantised, "_cores", lambda: 3)
    assert [(a, b) for a, b in quantised._parts(5001)] == [(0, 1667), (1667, 3334), (3334, 5001)]
    for q, expected in zip(queries, whole):
        assert np.array_equal(quant.scores(q), expected)  # the same int8 sums, in row order


def test_the_copy_is_saved_beside_the_matrix_file_and_loaded_memory_mapped(tmp_path):
    matrix = _clustered(300)
    path = tmp_path / "vectors-0123456789abcdef.npy"
    np.save(path, matrix)
    mapped = np.load(path, mmap_mode="r")
    assert quantised_beside(mapped) is None  # below the threshold: exact
    assert quantised_beside(np.asarray(matrix), min_rows=1) is None  # in memory: no file
    made = quantised_beside(mapped, min_rows=1)
    codes_path, params_path = quantised_files(path)
    assert codes_path.is_file() and params_path.is_file()
    assert _mapped(made.codes)
    again = quantised_beside(mapped, min_rows=1)
    assert np.array_equal(np.asarray(again.codes), np.asarray(made.codes))
    params_path.write_bytes(b"damaged")  # a damaged copy is made again
    assert quantised_beside(mapped, min_rows=1) is not None
    assert np.load(params_path).shape == (2, matrix.shape[1])


def test_vector_index_keeps_the_copy_of_its_matrix_and_drops_stale_ones(tmp_path, monkeypatch):
    from policykg.kg import vectors
    from policykg.kg.vectors import VectorIndex, VectorRow

    class _Embedder:
        name, dim = "test-model", 64

    monkeypatch.setattr(vectors, "QUANTISE_MIN_ROWS", 1)
    index = VectorIndex(tmp_path, _Embedder())
    index.rows = [VectorRow(f"urn:s{i}", "sentence", "urn:d", f"h{i}") for i in range(300)]
    index.matrix = _clustered(300)
    index._save()
    [matrix_file] = [p for p in tmp_path.glob("vectors-*.npy") if ".q8" not in p.name]
    assert all(p.is_file() for p in quantised_files(matrix_file))  # made by the save
    index.rows = index.rows[:200]
    index.matrix = index.matrix[:200]
    index._save()  # the rows changed: a new matrix file, the old copy goes with the old matrix
    names = sorted(p.name for p in tmp_path.glob("vectors-*.npy"))
    assert len(names) == 3 and matrix_file.name not in names
    reopened = VectorIndex(tmp_path, _Embedder())
    assert quantised_beside(reopened.matrix, min_rows=1).codes.shape == (200, 64)


def test_dense_index_on_a_big_matrix_ranks_like_the_exact_product(tmp_path):
    from types import SimpleNamespace

    from policykg.kg.search.dense import DenseIndex

    n = 4000
    matrix_path = tmp_path / "vectors-feedfacefeedface.npy"
    np.save(matrix_path, _clustered(n, dim=96))
    matrix = np.load(matrix_path, mmap_mode="r")
    rows = [SimpleNamespace(kind="sentence", iri=f"s{i}") for i in range(3000)] + \
        [SimpleNamespace(kind="unit", iri=f"u{i}") for i in range(1000)]
    sentences = [f"s{i}" for i in range(3000)]  # what DenseIndex reads of a SentenceTable
    corpus = SimpleNamespace(sentences=SimpleNamespace(iris=lambda: sentences),
                             targets=[SimpleNamespace(iri=f"u{i}") for i in range(1000)])
    fast = DenseIndex(corpus, rows, matrix, quantised_beside(matrix, min_rows=1))
    exact = DenseIndex(corpus, rows, matrix, quantised=False)
    assert fast.quantised is not None and exact.quantised is None
    for q in _clustered(20, dim=96, seed=3):
        for got, want in zip(fast.sentence_and_target(q), exact.sentence_and_target(q)):
            top = np.argsort(-want)[:10]
            assert list(np.argsort(-got)[:10]) == list(top)
            assert np.allclose(got[top], want[top], atol=1e-6)


def test_a_part_of_a_mapped_matrix_gets_no_copy(tmp_path):
    path = tmp_path / "vectors-00.npy"
    np.save(path, _clustered(300))
    assert quantised_beside(np.load(path, mmap_mode="r")[:100], min_rows=1) is None


def test_rows_of_a_mapped_matrix_are_read_from_the_file(tmp_path):
    from policykg.kg.quantised import read_rows

    matrix = _clustered(500)
    path = tmp_path / "vectors-01.npy"
    np.save(path, matrix)
    mapped = np.load(path, mmap_mode="r")
    rows = np.array([0, 7, 7, 499, 250])
    assert np.array_equal(read_rows(mapped, rows), matrix[rows])
    assert np.array_equal(read_rows(mapped[100:], rows[:2]), matrix[100:][rows[:2]])  # a part
    assert np.array_equal(read_rows(matrix, rows), matrix[rows])  # in memory


def _mapped_kb(path) -> int | None:
    """Resident kB of this process's mappings of ``path`` (Linux), else ``None``."""
    try:
        lines = open("/proc/self/smaps", encoding="utf-8").read().splitlines()
    except OSError:
        return None
    total, inside = 0, False
    for line in lines:
        if "-" in line.split(" ", 1)[0] and len(line.split()) >= 5:  # a mapping's header
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_re_ranked_rows_leave_no_pages_of_the_matrix_mapped(tmp_path):
    from policykg.kg.quantised import read_rows

    matrix = _clustered(20_000, dim=96)  # 7.7 MB
    path = tmp_path / "vectors-02.npy"
    np.save(path, matrix)
    mapped = np.load(path, mmap_mode="r")
    rng = np.random.default_rng(0)
    for _ in range(50):
        rows = rng.choice(len(matrix), 300, replace=False)
        got = read_rows(mapped, rows)
        assert np.array_equal(got, matrix[rows])
    resident = _mapped_kb(path)
    if resident is None:
        return  # no /proc: the answers above are what can be checked
    assert resident < 1024, f"{resident} kB of the matrix stayed mapped"


def test_the_scan_table_holds_each_used_vector_once_and_scores_like_the_whole_copy(tmp_path):
    from types import SimpleNamespace

    from policykg.kg.search.dense import DenseIndex

    vectors = _clustered(3000, dim=96, seed=5)
    vectors[2000:2500] = vectors[0:500]  # units of one sentence: the sentence's vector
    vectors[2600:2700] = vectors[100:200]  # entities sharing vectors with sentences
    matrix_path = tmp_path / "vectors-5ca11ab1e.npy"
    np.save(matrix_path, vectors)
    matrix = np.load(matrix_path, mmap_mode="r")
    kinds = ["sentence"] * 2000 + ["unit"] * 600 + ["entity"] * 300 + ["document"] * 100
    rows = [SimpleNamespace(kind=k, iri=f"{k}{i}") for i, k in enumerate(kinds)]
    sentences = [f"sentence{i}" for i in range(2000)] + ["sentence-without-vector"]
    corpus = SimpleNamespace(sentences=SimpleNamespace(iris=lambda: sentences),
                             targets=[SimpleNamespace(iri=f"unit{i}") for i in range(2000, 2600)])
    whole = DenseIndex(corpus, rows, matrix, quantised_beside(matrix, min_rows=1))
    path = tmp_path / "tables" / "scan-v1-vectors-5ca11ab1e.npy"
    table = DenseIndex(corpus, rows, matrix, quantised_beside(matrix, min_rows=1), table_at=path)
    # 2,900 rows used (the documents' are not), 600 of them repeat a sentence's vector
    assert len(table.quantised.codes) == 2300 and path.is_file()
    again = DenseIndex(corpus, rows, matrix, quantised_beside(matrix, min_rows=1), table_at=path)
    assert _mapped(again.quantised.codes)  # read back memory-mapped, not made again
    entity_rows = np.array([2650, 2899, -1])
    exact_index = DenseIndex(corpus, rows, matrix, quantised=False)
    for q in _clustered(10, dim=96, seed=6):
        pairs = zip(table.sentence_and_target(q), whole.sentence_and_target(q),
                    exact_index.sentence_and_target(q))
        for got, want, exact in pairs:
            # the same int8 score, or the exact one where a vector shared with a row of another
            # kind was re-scored for that kind
            assert np.all(np.isclose(got, want, atol=1e-6) | np.isclose(got, exact, atol=1e-6))
            top = np.argsort(-exact, kind="stable")[:10]
            assert np.allclose(got[top], exact[top], atol=1e-6)  # the best: exact scores
        assert np.allclose(again.entities(q, entity_rows), whole.entities(q, entity_rows),
                           atol=1e-6)
    path.write_bytes(b"damaged")  # a damaged table is made again
    remade = DenseIndex(corpus, rows, matrix, quantised_beside(matrix, min_rows=1), table_at=path)
    assert len(remade.quantised.codes) == 2300 and np.load(path).shape == (2300, 96)


def test_the_entities_best_rows_are_read_only_for_an_entity_answer(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from policykg.kg.search import dense as dense_module
    from policykg.kg.search.dense import DenseIndex

    matrix_path = tmp_path / "vectors-0e0e0e0e.npy"
    np.save(matrix_path, _clustered(3000, dim=96, seed=8))  # no entity shares a vector
    matrix = np.load(matrix_path, mmap_mode="r")
    kinds = ["sentence"] * 2000 + ["unit"] * 600 + ["entity"] * 400
    rows = [SimpleNamespace(kind=k, iri=f"{k}{i}") for i, k in enumerate(kinds)]
    sentences = [f"sentence{i}" for i in range(2000)]
    corpus = SimpleNamespace(sentences=SimpleNamespace(iris=lambda: sentences),
                             targets=[SimpleNamespace(iri=f"unit{i}") for i in range(2000, 2600)])
    lazy = DenseIndex(corpus, rows, matrix, quantised_beside(matrix, min_rows=1))
    eager = DenseIndex(corpus, rows, matrix, quantised_beside(matrix, min_rows=1))
    eager._eager = 3  # as an index whose entities share vectors with sentences
    read = []
    real = dense_module.read_rows
    monkeypatch.setattr(dense_module, "read_rows", lambda m, r: read.append(r) or real(m, r))
    entity_rows = np.arange(2600, 3000)
    for q in _clustered(5, dim=96, seed=9):
        read.clear()
        for got, want in zip(lazy.sentence_and_target(q), eager.sentence_and_target(q)):
            assert np.allclose(got, want, atol=1e-6)  # products of other batches: last bits
        assert not np.isin(np.concatenate(read[:1]), entity_rows).any()  # none of an entity's
        assert np.isin(np.concatenate(read[1:]), entity_rows).sum() == 64  # the eager one's
        read.clear()
        assert np.allclose(lazy.entities(q, entity_rows), eager.entities(q, entity_rows),
                           atol=1e-6)
        assert len(read) == 1 and np.isin(read[0], entity_rows).all()  # read now, once


def test_distinct_rows_of_nothing_and_of_near_equal_vectors():
    from policykg.kg.quantised import distinct_rows

    matrix = _clustered(100)
    matrix[50] = matrix[10]  # equal: one place
    matrix[60] = matrix[11] + 1e-7  # the same codes, other floats: places of their own
    quant = QuantisedMatrix.of(matrix)
    table, position = distinct_rows(quant, matrix, np.array([], dtype=np.int64))
    assert table.codes.shape == (0, matrix.shape[1]) and (position == -1).all()
    table, position = distinct_rows(quant, matrix, np.arange(100))
    assert len(table.codes) == 99 and position[50] == position[10] == 10
    assert np.array_equal(quant.codes[60], quant.codes[11]) and position[60] != position[11]
    assert np.array_equal(table.codes[position], quant.codes)


def test_sentences_without_words_take_the_mean_similarity():
    from types import SimpleNamespace

    from policykg.kg.search.dense import DenseIndex, blank_sentences

    texts = ["深化共建一带一路务实合作。", "2019年", "”。", "总则", "1", "Page size: A4"]
    sentences = SimpleNamespace(iris=lambda: [f"s{i}" for i in range(len(texts))],
                                texts=lambda: texts)
    assert blank_sentences(sentences).tolist() == [1, 2, 4]
    matrix = _clustered(len(texts), dim=32)
    rows = [SimpleNamespace(kind="sentence", iri=f"s{i}") for i in range(len(texts))]
    corpus = SimpleNamespace(sentences=sentences, targets=[])
    index = DenseIndex(corpus, rows, matrix, quantised=False)
    query = matrix[2]  # the very vector of the quote marks
    dense_s, _ = index.sentence_and_target(query)
    exact = matrix @ query
    assert np.allclose(dense_s[[0, 3, 5]], exact[[0, 3, 5]])
    assert np.allclose(dense_s[[1, 2, 4]], dense_s.mean(), atol=0.02)
    assert int(np.argmax(dense_s)) != 2  # it no longer comes first


def test_distinct_rows_are_np_uniques_and_minus_is_setdiff():
    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 5000):
        rows = rng.integers(0, max(n, 1) * 2, n).astype(np.int64)
        assert np.array_equal(distinct(rows), np.unique(rows))
        taken = distinct(rng.integers(0, max(n, 1) * 2, n // 2 + 1).astype(np.int64))
        assert np.array_equal(_minus(distinct(rows), taken), np.setdiff1d(rows, taken))


def test_the_largest_values_are_those_a_full_partition_finds_ties_and_all():
    rng = np.random.default_rng(5)
    for n, count in ((0, 3), (5, 0), (5, 9), (100, 10), (150_000, 64), (150_000, 100),
                     (20_000, 300)):
        for values in (rng.random(n).astype(np.float32),
                       rng.integers(0, 40, n).astype(np.float32),  # many ties
                       np.zeros(n, dtype=np.float32)):
            picked = largest(values, count)
            assert len(picked) == min(max(count, 0), n) == len(set(picked.tolist()))
            expected = np.sort(values)[::-1][:len(picked)]
            assert np.array_equal(np.sort(values[picked])[::-1], expected)


def test_stable_top_is_a_stable_sort_s_first_ties_and_all():
    rng = np.random.default_rng(6)
    for n, count in ((0, 3), (5, 0), (5, 9), (100, 10), (40_000, 30), (150_000, 64)):
        for values in (rng.random(n).astype(np.float32),
                       rng.integers(0, 5, n).astype(np.float32),  # ties across the boundary
                       np.zeros(n, dtype=np.float32)):
            expected = np.argsort(-values, kind="stable")[:max(count, 0)]
            assert stable_top(values, count).tolist() == expected.tolist()


def test_rows_are_read_through_one_descriptor_kept_per_matrix_file(tmp_path):
    import os

    from policykg.kg import quantised

    if not hasattr(os, "preadv"):
        pytest.skip("no os.preadv on this system: rows are read through the mapping")
    matrix = _clustered(400, dim=32)
    path = tmp_path / "vectors-03.npy"
    np.save(path, matrix)
    mapped = np.load(path, mmap_mode="r")
    for rows in ([3, 1, 399], [0], [5, 5, 6]):
        assert np.array_equal(quantised.read_rows(mapped, np.array(rows)), matrix[rows])
    fd = quantised._FILES[id(mapped._mmap)]  # opened once, not per question
    assert os.path.samefile(f"/proc/self/fd/{fd}", path) if os.path.isdir("/proc/self/fd") \
        else fd >= 0
    assert quantised.read_rows(mapped, np.array([], dtype=np.int64)).shape == (0, 32)
    del mapped  # the matrix goes: so does its descriptor (a rebuilt store's old file is freed)
    import gc

    gc.collect()
    assert fd not in quantised._FILES.values()
    with pytest.raises(OSError):
        os.fstat(fd)


def test_scan_threads_keep_a_core_each_and_leave_the_callers_cores_alone():
    import os
    import threading
    import time

    from policykg.kg import quantised

    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this system: the scan threads are placed by it")
    cores = sorted(os.sched_getaffinity(0))
    pool = quantised._pool()
    width = pool._max_workers

    def where(_):
        time.sleep(0.05)  # every worker busy at once: each answers for itself
        return threading.get_ident(), sorted(os.sched_getaffinity(0))

    seen = dict(pool.map(where, range(width)))
    assert sorted(os.sched_getaffinity(0)) == cores  # the calling thread is not pinned
    if len(cores) <= 4:
        assert all(len(c) == 1 for c in seen.values())
        assert len({c[0] for c in seen.values()}) == min(len(seen), len(cores))
    else:
        assert all(c == cores for c in seen.values())
