"""Shared fixtures. The real corpus lives outside the repository in ../shared."""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder next to the repository (seed document and corpus)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder {SHARED} is absent")
    return SHARED


@pytest.fixture(scope="session")
def seed_path(shared_dir: Path) -> Path:
    """The seed document: 长宁区委 实施意见 saved from a web page."""
    path = shared_dir / "seed" / "changning-2022-12-09.txt"
    if not path.is_file():
        pytest.skip(f"seed document {path} is absent")
    return path


@pytest.fixture(scope="session")
def corpus_dir(shared_dir: Path) -> Path:
    """The real-text corpus (government work reports, CPC reports, laws, Nansha pages)."""
    path = shared_dir / "corpus"
    if not path.is_dir():
        pytest.skip(f"corpus folder {path} is absent")
    return path


@pytest.fixture(scope="session")
def kg_seed_store(tmp_path_factory) -> Path:
    """The bundled sample data/changning-2022-12-09.txt built once per session (graph and
    default-embedder vectors), shared by the kg search and embedding tests; read it only."""
    from policykg.kg import KnowledgeGraph

    sample = Path(__file__).resolve().parents[1] / "data" / "changning-2022-12-09.txt"
    store = tmp_path_factory.mktemp("kg-seed-store")
    with KnowledgeGraph.open({"store": str(store)}) as kg:
        kg.build([sample])
    return store
