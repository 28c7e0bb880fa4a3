"""Shared fixtures.

Unit tests are complete on a fresh clone: the documents they read are in the
repository (the bundled sample ``data/``, a few corpus files under
``tests/data/corpus/`` with the corpus's own folder names). Only whole-corpus
checks read ``../shared/corpus`` (fixture ``whole_corpus_dir``) and skip, saying
so, where it is absent. A test that skips because its *test data* is missing
makes the session fail (see ``pytest_sessionfinish``): such a skip would hide
an incomplete checkout.
"""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
SHARED = REPO.parent / "shared"
#: Marks a skip caused by missing test data; such skips fail the session.
MISSING_DATA = "missing test data"


def require_test_data(path: Path) -> Path:
    """``path`` if it exists; otherwise skip with the missing-data marker (which fails the run)."""
    if not path.exists():
        pytest.skip(f"{MISSING_DATA}: {path} is absent")
    return path


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The seed document: 长宁区委 实施意见 saved from a web page (the bundled sample)."""
    return require_test_data(REPO / "data" / "changning-2022-12-09.txt")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """A few real corpus files (work reports, CPC reports, laws, Nansha pages) in the
    corpus's own folder layout, copied into tests/data/corpus."""
    return require_test_data(TEST_DATA / "corpus")


@pytest.fixture(scope="session")
def whole_corpus_dir() -> Path:
    """The whole corpus in ../shared/corpus, for whole-corpus checks only."""
    path = SHARED / "corpus"
    if not path.is_dir():
        pytest.skip(f"whole-corpus check: {path} is not beside this checkout")
    return path


_missing_data_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember the tests skipped for missing test data."""
    if report.skipped and isinstance(report.longrepr, tuple) and \
            MISSING_DATA in str(report.longrepr[2]):
        _missing_data_skips.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when any test skipped for missing test data."""
    if _missing_data_skips and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter) -> None:
    """Name the tests that skipped for missing test data (they failed the run)."""
    if _missing_data_skips:
        terminalreporter.section("skipped for missing test data (the run fails)")
        for nodeid in _missing_data_skips:
            terminalreporter.line(nodeid)


@pytest.fixture(scope="session")
def kg_seed_store(tmp_path_factory) -> Path:
    """The bundled sample data/changning-2022-12-09.txt built once per session (graph and
    default-embedder vectors), shared by the kg search and embedding tests; read it only."""
    from policykg.kg import KnowledgeGraph

    sample = REPO / "data" / "changning-2022-12-09.txt"
    store = tmp_path_factory.mktemp("kg-seed-store")
    with KnowledgeGraph.open({"store": str(store)}) as kg:
        kg.build([sample])
    return store


@pytest.fixture(scope="module")
def sample_kg(kg_seed_store):
    """The sample's store (``kg_seed_store``) opened for one test module: closed after it, as a
    store takes one opener at a time."""
    from policykg.kg import KnowledgeGraph

    graph = KnowledgeGraph.open({"store": str(kg_seed_store)})
    yield graph
    graph.close()


@pytest.fixture(scope="session")
def blood_law_kg(tmp_path_factory):
    """A store of one regulation (上海市献血条例: 49 articles), built once per session for the
    tests of article search and of English words (``tests/test_search_articles.py``,
    ``tests/test_search_bridge.py``); tests that change its searcher restore it."""
    from policykg.kg import KnowledgeGraph

    law = TEST_DATA / "corpus" / "laws" / "shanghai_local_regulations" / "上海市献血条例.md"
    graph = KnowledgeGraph.open({"store": str(tmp_path_factory.mktemp("law") / "store")})
    report = graph.build([str(law)])
    assert report.ok, report.summary()
    yield graph
    graph.close()
