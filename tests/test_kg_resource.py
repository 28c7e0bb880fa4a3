"""Resource descriptions, their RDF, and the document list."""
from __future__ import annotations

import json

import pytest
from rdflib import Graph

from policykg import ingest
from policykg.kg import KnowledgeGraph, NotFound
from policykg.kg.rdf import document_graph
from policykg.kg.topics import link_topics
from test_kg_build import handmade_extraction

BASE = "https://w3id.org/policykg/"


@pytest.fixture(scope="module")
def kg(tmp_path_factory, seed_path):
    """The seed with hand-written entities and relations (independent of ingest.extract)."""
    store = tmp_path_factory.mktemp("resource-store")
    doc = ingest.parse_file(seed_path)
    graph = document_graph(handmade_extraction(doc), base_iri=BASE, topic_links=link_topics(doc))
    kg = KnowledgeGraph.open({"store": str(store)})
    kg.store.put_document(f"{BASE}doc/{doc.sha256[:16]}", graph, str(seed_path), "x")
    kg.doc_iri = f"{BASE}doc/{doc.sha256[:16]}"
    kg.text = doc.text
    yield kg
    kg.close()


def test_entity_page_has_labels_types_and_highlighted_evidence(kg):
    r = kg.resource(f"{BASE}entity/东华大学")
    assert r.label == "东华大学"
    assert any(label == "CollegeOrUniversity" for _, label in r.types)
    [ev] = r.mentions
    assert ev.exact == "东华大学" and kg.text[ev.start:ev.end] == "东华大学"
    assert ev.sentence[ev.highlight[0]:ev.highlight[1]] == "东华大学"
    assert ev.document == kg.doc_iri and ev.document_title.endswith("实施意见")
    incoming = {(i.subject_label, i.predicate.rsplit("#", 1)[-1]) for i in r.incoming}
    assert ("4. 打造时尚文化新优势", "reliesOn") in incoming
    json.dumps(r.to_json(), ensure_ascii=False)


def test_task_page_has_document_context_and_properties(kg):
    r = kg.resource(f"{kg.doc_iri}/part-3/section-1/task-2")
    assert r.label == "2. 打造航空服务新优势"
    assert r.document == (kg.doc_iri, kg.resource(kg.doc_iri).label)
    values = {p.value for p in r.properties}
    assert "打造航空服务新优势" in values and "https://w3id.org/policykg/topic/aviation" in values


def test_document_page_has_text_outline_and_spans(kg):
    r = kg.resource(kg.doc_iri)
    assert r.is_document and r.text == kg.text
    assert [o.label for o in r.outline][2] == "三、主攻方向和重点任务"
    section = r.outline[2].children[1]
    assert section.label == "加快推动高质量发展"
    assert [t.label[:2] for t in section.children] == ["1.", "2.", "3.", "4."]
    assert {s["label"] for s in r.spans} >= {"东华大学", "东方国际集团"}
    assert all(kg.text[s["start"]:s["end"]] for s in r.spans)


def test_unknown_iri_is_not_found(kg):
    with pytest.raises(NotFound):
        kg.resource(f"{BASE}entity/不存在")
    with pytest.raises(NotFound):
        kg.resource_rdf(f"{BASE}entity/不存在", "text/turtle")


@pytest.mark.parametrize("media_type,rdflib_format", [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt")])
def test_resource_rdf_in_each_format(kg, media_type, rdflib_format):
    body, answered = kg.resource_rdf(f"{BASE}entity/东华大学", media_type)
    assert answered == media_type
    g = Graph().parse(data=body, format=rdflib_format)
    exacts = {str(o) for o in g.objects(None, None) if str(o) == "东华大学"}
    assert exacts  # the label and the quoted evidence
    assert any("mention" in str(s) for s in g.subjects())


def test_list_documents(kg):
    [doc] = kg.documents()
    assert doc.iri == kg.doc_iri and doc.kind == "意见" and doc.date == "2022-12-09"
    assert doc.tasks == 10 and doc.entities >= 5 and doc.mentions >= 5 and doc.units > 30
    from policykg.web.render import document_line

    assert "2022-12-09 [意见]" in document_line(doc)
    assert doc.to_json()["issuer"] == "中共长宁区委"


@pytest.mark.parametrize("media_type,rdflib_format", [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt")])
def test_resource_rdf_written_by_oxigraph_holds_the_triples_rdflib_wrote(kg, media_type,
                                                                         rdflib_format):
    from rdflib.compare import isomorphic

    from policykg.kg.resource import describe_rdf

    class WithoutConstruct:  # a store Oxigraph cannot write for (remote): rdflib writes
        def __init__(self, store):
            self.query, self.is_private = store.query, store.is_private

        def construct(self, sparql, fmt):
            return None  # what GraphStore.construct answers for a remote store

    iri = f"{BASE}entity/东华大学"
    fast, answered = describe_rdf(kg.store, iri, media_type)
    slow, _ = describe_rdf(WithoutConstruct(kg.store), iri, media_type)
    assert answered == media_type
    assert isomorphic(Graph().parse(data=fast, format=rdflib_format),
                      Graph().parse(data=slow, format=rdflib_format))


def test_the_document_list_is_newest_first_with_undated_documents_last():
    from policykg.kg.resource import list_documents

    def row(title, date):
        return {"iri": f"https://example.org/doc/{title}", "title": title, "date": date,
                "issuer": None, "kind": None, "units": 0, "tasks": 0, "entities": 0, "mentions": 0}

    class Saved:  # the list as saved beside a store, oldest first
        def load(self, name, version):
            return [row("乙", "1952-08-11"), row("甲", "2023-01-05"), row("丙", "2023-01-05"),
                    row("丁", "2025"), row("戊", None)]

    docs = list_documents(store=None, tables=Saved())
    assert [(d.title, d.date) for d in docs] == [
        ("丁", "2025"), ("甲", "2023-01-05"), ("丙", "2023-01-05"), ("乙", "1952-08-11"), ("戊", None)]
