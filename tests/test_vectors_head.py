"""The vector index's head: the matrix is mapped at once, its 10⁵ rows read only when asked for."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from policykg.kg.errors import StoreError
from policykg.kg.search.dense import load_dense
from policykg.kg.vectors import VectorIndex, VectorRow


class _Embedder:
    name, dim = "test-model", 8


def _saved(directory, n: int = 30) -> VectorIndex:
    index = VectorIndex(directory, _Embedder())
    index.rows = [VectorRow(f"urn:s{i}", "sentence" if i % 3 else "entity", "urn:d", f"h{i}")
                  for i in range(n)]
    rng = np.random.default_rng(0)
    index.matrix = rng.standard_normal((n, 8)).astype(np.float32)
    index._save()
    return index


def test_a_saved_index_is_reopened_with_its_rows_left_for_later(tmp_path):
    first = _saved(tmp_path)
    head = json.loads((tmp_path / "head.json").read_text())
    assert head == {"model": "test-model", "dim": 8, "matrix": first.matrix_name, "rows": 30}
    again = VectorIndex(tmp_path, _Embedder())
    assert again._rows is None and len(again) == 30 and again.matrix_name == first.matrix_name
    assert isinstance(again.matrix, np.memmap)
    assert again.rows == first.rows and again._rows is not None  # read on the first ask
    assert np.array_equal(again.matrix, first.matrix)


def test_without_a_usable_head_the_whole_index_is_read(tmp_path):
    first = _saved(tmp_path)
    (tmp_path / "head.json").unlink()  # an index saved before heads existed
    old = VectorIndex(tmp_path, _Embedder())
    assert old._rows is not None and old.rows == first.rows
    assert (tmp_path / "head.json").is_file()  # written for the next reader
    assert VectorIndex(tmp_path, _Embedder())._rows is None
    (tmp_path / "head.json").write_text(json.dumps(
        {"model": "test-model", "dim": 8, "matrix": "vectors-gone.npy", "rows": 30}))
    assert VectorIndex(tmp_path, _Embedder()).rows == first.rows  # names a missing matrix
    (tmp_path / "head.json").write_text("{not json")
    assert VectorIndex(tmp_path, _Embedder()).rows == first.rows


def test_rows_of_an_index_replaced_after_its_head_was_read_are_refused(tmp_path):
    _saved(tmp_path)
    reader = VectorIndex(tmp_path, _Embedder())
    _saved(tmp_path, n=20)  # a build saves another index meanwhile
    with pytest.raises(StoreError, match="changed while it was read"):
        reader.rows


def test_the_dense_row_numbers_are_kept_for_the_matrix_and_the_rows_not_read_again(tmp_path):
    index = _saved(tmp_path)
    sentences = [f"urn:s{i}" for i in range(0, 40, 2)]  # some without a vector
    corpus = SimpleNamespace(sentences=_Sized(sentences), targets=[])

    class _Tables:
        kept: dict = {}

        def saved(self, name, version):
            return self.kept.get((name, version))

        def save(self, name, version, table):
            self.kept[(name, version)] = table

        def directory(self, name):
            return tmp_path / "tables" / name

    tables, asked = _Tables(), []

    def rows():
        asked.append(1)
        return index.rows

    first = load_dense(corpus, rows, index.matrix, index.matrix_name, tables)
    again = load_dense(corpus, rows, index.matrix, index.matrix_name, tables)
    assert len(asked) == 1 and len(tables.kept) == 1
    assert again.sentence_rows.tolist() == first.sentence_rows.tolist()
    # s0 is an entity row here: no sentence vector; s30 and beyond have none
    assert first.sentence_rows.tolist()[:3] == [-1, 2, 4] and first.sentence_rows[-1] == -1
    assert again.entity_row == first.entity_row == {f"urn:s{i}": i for i in range(0, 30, 3)}
    load_dense(corpus, rows, index.matrix, "vectors-other.npy", tables)  # another matrix
    assert len(asked) == 2


class _Sized(list):
    """A list with ``iris()``: what the dense index reads of a sentence table."""

    def iris(self):
        return list(self)
