"""The policykg command line: parse, build, sparql, export, documents (run in-process)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from rdflib import Dataset

from policykg.web.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seed_path() -> Path:
    """The bundled sample (the seed document), so these tests need no shared data."""
    return REPO / "data" / "changning-2022-12-09.txt"


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


def test_sparql_leaves_no_traceback_from_its_query_workers(built_store):
    # the command closes its worker pool as soon as it has printed; a worker still starting then
    # wrote into the closed pipe and printed a BrokenPipeError traceback on the user's terminal
    import subprocess
    import sys

    queries = Path(__file__).resolve().parents[1] / "ontology" / "queries"
    query = queries / "08-tasks-led-by-unit-due-2025.rq"
    for _ in range(3):
        # stderr is read to its end, so a worker writing after the command returned is heard too
        done = subprocess.run([sys.executable, "-m", "policykg.web.cli", "sparql", "--store",
                               built_store, f"@{query}"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0
        assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr[-2000:]


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


def test_export_says_what_it_wrote(tmp_path, capsys, built_store):
    out = tmp_path / "kg.nt"
    assert main(["export", "--store", built_store, "--format", "nt", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"policykg: wrote {out} (nt, ") and err.count("\n") == 1
    assert out.stat().st_size > 1000


def _one_line_error(capsys, *needles: str) -> str:
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith("policykg: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err and "usage:" not in err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.mark.parametrize("argv, needle", [
    (["search", "航空", "--from", "2022-13-45"], "2022-13-45"),
    (["search", "航空", "--from", "yesterday"], "yesterday"),
    (["search", "航空", "--to", "2022-02-30"], "2022-02-30"),
    (["documents", "--from", "2022-02-30"], "2022-02-30"),
    (["documents", "--to", "12/09/2022"], "12/09/2022"),
    (["search", "航空", "-k", "0"], "-k"),
    (["search", "航空", "-k", "-5"], "-k"),
    (["search", "航空", "-k", "many"], "-k"),
    (["search", "航空", "--all", "--offset", "-1"], "--offset"),
    (["search", "航空", "--all", "--offset", "three"], "--offset"),
    (["serve", "--port", "99999"], "--port"),
    (["serve", "--port", "0"], "--port"),
])
def test_bad_arguments_are_one_line_errors(capsys, tmp_path, argv, needle):
    store = tmp_path / "never-made"
    assert main([*argv, "--store", str(store)]) == 2
    _one_line_error(capsys, needle)
    assert not store.exists()  # refused before anything opened (or created) the store


def test_good_dates_are_accepted(capsys, built_store):
    assert main(["documents", "--store", built_store, "--from", "2022", "--to", "2022-12"]) == 0
    assert "2022-12-09" in capsys.readouterr().out
    assert main(["documents", "--store", built_store, "--from", "2022-12-10"]) == 0
    assert capsys.readouterr().out == ""


def test_negative_row_limit_setting_is_refused(capsys, monkeypatch, built_store):
    monkeypatch.setenv("POLICYKG_SPARQL_MAX_ROWS", "-1")
    assert main(["sparql", "--store", built_store, "ASK { ?s ?p ?o }"]) == 1
    _one_line_error(capsys, "sparql_max_rows")
    monkeypatch.delenv("POLICYKG_SPARQL_MAX_ROWS")
    monkeypatch.setenv("POLICYKG_SEARCH_K", "0")
    assert main(["documents", "--store", built_store]) == 1
    _one_line_error(capsys, "search_k")


@pytest.mark.parametrize("argv", [
    ["search", "航空"], ["sparql", "ASK { ?s ?p ?o }"], ["documents"], ["graph", "stats"],
    ["export", "--format", "nt"],
])
def test_readers_refuse_a_store_that_does_not_exist(capsys, tmp_path, argv):
    store = tmp_path / "mistyped-store"
    assert main([*argv, "--store", str(store)]) == 1
    _one_line_error(capsys, str(store))
    assert not store.exists()  # a typo does not leave an empty store behind


def test_export_to_a_directory_or_an_unwritable_path(capsys, tmp_path, built_store):
    assert main(["export", "--store", built_store, "-o", str(tmp_path)]) == 1
    _one_line_error(capsys, "directory")
    target = "/proc/nope/x.trig"
    assert main(["export", "--store", built_store, "-o", target]) == 1
    _one_line_error(capsys, target)
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main(["export", "--store", built_store, "-o", str(locked / "kg.trig")]) == 1
        _one_line_error(capsys, "cannot write")


def test_graph_stats_is_a_table_and_json_on_request(capsys, built_store):
    assert main(["graph", "stats", "--store", built_store]) == 0
    out = capsys.readouterr().out
    assert not out.lstrip().startswith("{")
    lines = out.splitlines()
    assert lines[0].split() == ["figure", "value"] and set(lines[1].replace(" ", "")) == {"-"}
    assert any(line.split()[:1] == ["nodes"] for line in lines)
    assert "degree" in out and "task" in out
    assert main(["graph", "stats", "--store", built_store, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["nodes"] > 0 and data["top_degree"]
    assert f"{data['nodes']}" in out


def test_search_prints_rank_apart_from_the_task_number(capsys, built_store):
    import re

    assert main(["search", "航空", "--store", built_store, "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^#1\s+2\. 打造航空服务新优势", out, re.M), out
    assert not re.search(r"^\s*1\. 2\.", out, re.M)


def _sentences_of(out: str) -> list[str]:
    """The evidence lines of a text answer, without the 【】 marks."""
    return [line.strip().removeprefix("… ").replace("【", "").replace("】", "")
            for line in out.splitlines() if line.startswith("    … ")]


def test_search_all_lists_every_sentence_holding_the_words(capsys, built_store):
    assert main(["search", "航空", "--type", "sentence", "--all", "--store", built_store]) == 0
    out = capsys.readouterr().out
    assert out.startswith("航空 → sentence: 8 result(s)"), out
    assert re.findall(r"^#(\d+)", out, re.M) == [str(n) for n in range(1, 9)]
    sentences = _sentences_of(out)
    assert len(set(sentences)) == 8 and all("航空" in s for s in sentences), sentences
    # among them the three a ranked answer used to miss
    for phrase in ("贸易和航空服务", "航空物流", "公务航空服务"):
        assert any(phrase in s for s in sentences), phrase


def test_search_all_pages_with_k_and_offset(capsys, built_store):
    assert main(["search", "航空", "--type", "sentence", "--all", "-k", "3",
                 "--store", built_store]) == 0
    out = capsys.readouterr().out
    assert out.startswith("航空 → sentence: 3 result(s) (1–3 of 8)"), out
    assert "… 5 more: --offset 3" in out
    assert main(["search", "航空", "--type", "sentence", "--all", "-k", "3", "--offset", "6",
                 "--store", built_store]) == 0
    out = capsys.readouterr().out
    assert "(7–8 of 8)" in out and re.findall(r"^#(\d+)", out, re.M) == ["7", "8"]
    assert "more: --offset" not in out  # the last page
    seen = []
    for offset in (0, 3, 6):
        assert main(["search", "航空", "--type", "sentence", "--all", "-k", "3", "--offset",
                     str(offset), "--json", "--store", built_store]) == 0
        page = json.loads(capsys.readouterr().out)
        assert page["answer"] == "all" and page["total"] == 8 and page["offset"] == offset
        seen += [hit["iri"] for hit in page["results"]]
    assert len(seen) == len(set(seen)) == 8  # the pages hold every match once


def test_a_ranked_answer_says_how_to_see_every_match(capsys, built_store):
    assert main(["search", "航空", "--type", "sentence", "-k", "3", "--store", built_store]) == 0
    out = capsys.readouterr().out
    assert "(8 hold the words verbatim)" in out and "… all 8 matches: --all" in out
