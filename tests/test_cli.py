"""The policykg command line: parse, build, sparql, export, documents (run in-process)."""
from __future__ import annotations

import json
import shutil

import pytest
from rdflib import Dataset

from policykg.web.cli import main


@pytest.fixture(scope="module")
def built_store(tmp_path_factory, seed_path):
    store = tmp_path_factory.mktemp("cli-store")
    assert main(["build", "--store", str(store), "--no-embed", str(seed_path)]) == 0
    return str(store)


def test_parse_outline_and_json(capsys, seed_path):
    assert main(["parse", str(seed_path)]) == 0
    assert "打造航空服务新优势" in capsys.readouterr().out
    assert main(["parse", "--json", str(seed_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["title"].endswith("实施意见") and data["structure"]


def test_build_prints_summary_and_skips_on_rerun(capsys, built_store, seed_path):
    assert main(["build", "--store", built_store, "--no-embed", str(seed_path)]) == 0
    out = capsys.readouterr().out
    assert "built 0, skipped 1" in out


def test_build_refused_file_exits_1_with_reason(capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["build", "--store", str(tmp_path / "s"), "--no-embed", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "refused" in out and "bad.txt" in out


def test_locked_store_refuses_builds_but_serves_readers(capsys, built_store, seed_path):
    from policykg.kg import KnowledgeGraph

    # While another process (here: another handle, as a server would) holds the
    # store, building is a one-line error and reading still works, read-only.
    with KnowledgeGraph.open({"store": built_store}):
        assert main(["build", str(seed_path), "--store", built_store, "--no-embed"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("policykg: error:") and "in use by another process" in err
        assert "Traceback" not in err
        assert main(["documents", "--store", built_store]) == 0
        assert "2022-12-09 [意见]" in capsys.readouterr().out


def test_documents_text_and_json(capsys, built_store):
    assert main(["documents", "--store", built_store]) == 0
    assert "2022-12-09 [意见]" in capsys.readouterr().out
    assert main(["documents", "--store", built_store, "--json"]) == 0
    [doc] = json.loads(capsys.readouterr().out)
    assert doc["tasks"] == 10


def test_sparql_table_and_json(capsys, built_store):
    query = "SELECT ?label WHERE { ?t a pol:Task ; pol:number \"2\" ; rdfs:label ?label }"
    assert main(["sparql", "--store", built_store, query]) == 0
    assert "2. 打造航空服务新优势" in capsys.readouterr().out
    assert main(["sparql", "--store", built_store, "--format", "json", query]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"]["bindings"][0]["label"]["value"] == "2. 打造航空服务新优势"


def test_sparql_syntax_error_is_one_line(capsys, built_store):
    assert main(["sparql", "--store", built_store, "SELECT WHERE {"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("policykg: error:") and "Traceback" not in err


def test_export_trig_keeps_document_graph(tmp_path, built_store):
    out = tmp_path / "kg.trig"
    assert main(["export", "--store", built_store, "--format", "trig", "-o", str(out)]) == 0
    ds = Dataset()
    ds.parse(out, format="trig")
    names = {str(g.identifier) for g in ds.graphs()}
    assert any("/doc/" in n for n in names)
