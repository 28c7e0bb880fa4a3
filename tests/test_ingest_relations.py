"""Typed relations found by trigger patterns, with exact evidence spans."""
from __future__ import annotations

import pytest

from policykg.ingest import parse_file
from policykg.ingest.extraction import Extractor
from policykg.ingest.records import RELATION_PREDICATES, Document, Metadata, Node

TASK_1 = "part-3/section-1/task-1"
TASK_2 = "part-3/section-1/task-2"
TASK_3 = "part-3/section-1/task-3"
TASK_4 = "part-3/section-1/task-4"
IMPLEMENTED = "关于加快推进上海虹桥临空经济示范区建设的实施意见"


@pytest.fixture(scope="module")
def seed_x(seed_path):
    return Extractor()(parse_file(seed_path))


def triples(x):
    return {(r.subject, r.predicate, r.object) for r in x.relations}


def test_seed_typed_relations(seed_x):
    found = triples(seed_x)
    expected = {
        (TASK_4, "reliesOn", "东华大学"),
        (TASK_4, "reliesOn", "东方国际集团"),
        (TASK_4, "reliesOn", "上海国际舞蹈中心"),
        (TASK_4, "hosts", "上海国际芭蕾舞比赛"),
        (TASK_4, "hosts", "荷花奖"),
        (TASK_4, "hosts", "国际传统艺术邀请展"),
        (TASK_4, "hosts", "上海世界音乐季"),
        (TASK_4, "develops", "上海虹桥时尚创意产业集聚区"),
        (TASK_2, "implements", IMPLEMENTED),
        (IMPLEMENTED, "issuedBy", "上海市人民政府办公厅"),
        (TASK_1, "cooperatesWith", "海关"),
        (TASK_3, "reliesOn", "中山公园"),
        (TASK_3, "reliesOn", "虹桥"),
    }
    assert expected <= found, expected - found


def test_relation_evidence_is_exact(seed_x):
    text = seed_x.document.text
    node_ids = {n.id for n in seed_x.document.nodes()}
    keys = {e.key for e in seed_x.entities}
    for r in seed_x.relations:
        assert text[r.start:r.end] == r.exact
        assert r.predicate in RELATION_PREDICATES
        assert r.object in keys
        if r.subject_is_node:
            assert r.subject is None or r.subject in node_ids
        else:
            assert r.predicate == "issuedBy" and r.subject in keys
    relies = [r for r in seed_x.relations if r.object == "东华大学"]
    assert relies[0].exact.startswith("依托东华大学")
    # The preamble's 根据《…》 names what the whole document implements.
    preamble = [r for r in seed_x.relations if r.subject is None]
    assert [(r.predicate, r.object) for r in preamble] == [
        ("implements", "中共上海市委关于面向全球面向未来提升上海城市能级和核心竞争力的意见")]


def test_no_relation_without_its_trigger():
    text = "1.打造文化新优势。东华大学、东方国际集团和海关开展工作。"
    node = Node(id="task-1", kind="task", number="1", title="打造文化新优势", text=text,
                start=0, end=len(text))
    doc = Document(text=text, metadata=Metadata(), structure=(node,), sentences=(), sha256="x")
    x = Extractor()(doc)
    assert not x.relations


def test_relations_are_deterministic(seed_path):
    doc = parse_file(seed_path)
    assert Extractor()(doc).relations == Extractor()(doc).relations
