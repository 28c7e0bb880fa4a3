"""The ontology, the topic scheme and the SHACL shapes: in sync with the code, and checking what they say."""
from __future__ import annotations

import pytest
import rdflib
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS, XSD

from policykg.kg.vocab import OA, POL, POL_IRI, TOPIC_IRI
from policykg.ontology import SHAPES, TOPICS, VOCABULARY

SH = Namespace("http://www.w3.org/ns/shacl#")
TOPIC = Namespace(TOPIC_IRI)
DOC = URIRef("https://w3id.org/policykg/doc/0123456789abcdef")


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(VOCABULARY, format="turtle")


@pytest.fixture(scope="module")
def topics() -> rdflib.Graph:
    return rdflib.Graph().parse(TOPICS, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES, format="turtle")


def _langs(graph: rdflib.Graph, s: URIRef, p: URIRef) -> set[str]:
    return {o.language for o in graph.objects(s, p) if isinstance(o, Literal) and o.language}


def test_vocab_py_and_policykg_ttl_declare_the_same_terms(ontology):
    in_code = {POL_IRI + name for name in POL.__annotations__}
    in_ttl = {str(s) for s in ontology.subjects(RDF.type, None)
              if isinstance(s, URIRef) and str(s).startswith(POL_IRI)}
    assert in_code - in_ttl == set(), "in kg/vocab.py but not in ontology/policykg.ttl"
    assert in_ttl - in_code == set(), "in ontology/policykg.ttl but not in kg/vocab.py"


def test_every_term_has_zh_and_en_labels_and_an_english_comment(ontology):
    for name in POL.__annotations__:
        term = URIRef(POL_IRI + name)
        assert {"zh", "en"} <= _langs(ontology, term, RDFS.label), name
        assert "en" in _langs(ontology, term, RDFS.comment), name


def test_terms_are_tied_to_the_standard_vocabularies(ontology):
    assert (POL.PolicyDocument, RDFS.subClassOf, SDO.Legislation) in ontology
    for unit in (POL.Part, POL.Chapter, POL.Section, POL.Task, POL.Principle, POL.Goal,
                 POL.Article, POL.Item, POL.Paragraph):
        assert (unit, RDFS.subClassOf, POL.StructuralUnit) in ontology
    for annotation in (POL.Mention, POL.RelationEvidence, POL.TopicEvidence):
        assert (annotation, RDFS.subClassOf, OA.Annotation) in ontology
    assert (POL.mentions, RDFS.subPropertyOf, SDO.mentions) in ontology
    assert (POL.Programme, RDFS.subClassOf, PROV.Entity) in ontology
    assert (POL.mentions, OWL.inverseOf, POL.mentionedIn) in ontology


def test_topic_scheme_concepts_have_zh_and_en_preferred_labels(topics):
    concepts = set(topics.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) > 60
    for concept in concepts:
        labels = [o for o in topics.objects(concept, SKOS.prefLabel)]
        assert sorted(o.language for o in labels) == ["en", "zh"], concept
        assert (concept, SKOS.inScheme, TOPIC.scheme) in topics


def test_topic_scheme_has_the_gov_cn_top_categories(topics):
    tops = {str(o) for c in topics.objects(TOPIC.scheme, SKOS.hasTopConcept)
            for o in topics.objects(c, SKOS.prefLabel) if o.language == "zh"}
    assert len(tops) == 22
    assert {"商贸、海关、旅游", "科技、教育", "城乡建设、环境保护", "民政、扶贫、救灾", "其他"} <= tops


def test_topics_staff_look_for_exist_with_synonyms(topics):
    def alt(slug: str, lang: str) -> set[str]:
        return {str(o) for o in topics.objects(TOPIC[slug], SKOS.altLabel) if o.language == lang}

    for slug in ("trade", "aviation", "digital-economy", "artificial-intelligence",
                 "fashion-culture", "environment", "public-services", "education", "health",
                 "elderly-care", "business-environment", "innovation-startups", "talent",
                 "opening-up", "regional-integration", "public-safety", "heritage", "finance",
                 "tourism", "urban-renewal", "customs", "transport", "rule-of-law"):
        assert (TOPIC[slug], SKOS.broader, None) in topics, slug
        assert alt(slug, "zh") and alt(slug, "en"), slug
    assert {"民航", "机场", "临空", "公务机"} <= alt("aviation", "zh")
    assert {"airport", "airline", "aircraft"} <= alt("aviation", "en")
    assert {"老年人", "居家养老"} <= alt("elderly-care", "zh")
    assert {"aged care", "senior"} <= alt("elderly-care", "en")
    assert {"垃圾分类", "生态环境", "水体", "大气"} <= alt("environment", "zh")
    assert {"waste sorting", "recycling"} <= alt("environment", "en")


def test_each_label_names_one_concept_only(topics):
    owner: dict[tuple[str, str], URIRef] = {}
    for concept in topics.subjects(RDF.type, SKOS.Concept):
        for p in (SKOS.prefLabel, SKOS.altLabel):
            for o in topics.objects(concept, p):
                key = (str(o).casefold(), o.language)
                assert owner.setdefault(key, concept) == concept, f"{o} is a label of two concepts"


# -- SHACL ----------------------------------------------------------------------

def _valid_graph() -> rdflib.Graph:
    """A tiny graph written by the conventions of policykg.ttl."""
    g = rdflib.Graph()
    unit = URIRef(f"{DOC}/part-3/section-1/task-2")
    section = URIRef(f"{DOC}/part-3/section-1")
    entity = URIRef("https://w3id.org/policykg/entity/虹桥机场")
    g.add((DOC, RDF.type, POL.PolicyDocument))
    g.add((DOC, DCTERMS.title, Literal("关于加快建设国际精品城区的实施意见", lang="zh")))
    g.add((DOC, DCTERMS.issued, Literal("2022-12-09", datatype=XSD.date)))
    g.add((DOC, POL.cleanText, Literal("2.打造航空服务新优势。推进虹桥机场东片区改造。")))
    g.add((DOC, POL.contentHash, Literal("ab" * 32)))
    for u, parent, position in ((section, DOC, 1), (unit, section, 2)):
        g.add((u, RDF.type, POL.Section if u == section else POL.Task))
        g.add((u, POL.inDocument, DOC))
        g.add((u, DCTERMS.isPartOf, parent))
        g.add((u, POL.position, Literal(position)))
        g.add((u, POL.number, Literal(str(position))))
    g.add((unit, DCTERMS.title, Literal("打造航空服务新优势", lang="zh")))
    g.add((unit, POL.startOffset, Literal(0)))
    g.add((unit, POL.endOffset, Literal(24)))
    g.add((unit, POL.mentions, entity))
    g.add((entity, RDF.type, SDO.Place))
    g.add((entity, RDFS.label, Literal("虹桥机场", lang="zh")))
    g.add((entity, SKOS.altLabel, Literal("上海虹桥国际机场", lang="zh")))
    mention = URIRef(f"{DOC}/mention/14-18")
    _target(g, mention, 14, 18, "虹桥机场")
    g.add((mention, RDF.type, POL.Mention))
    g.add((mention, POL.mentionOf, entity))
    evidence = URIRef(f"{DOC}/evidence/topic/2-4/x")
    _target(g, evidence, 2, 4, "航空")
    g.add((evidence, RDF.type, POL.TopicEvidence))
    g.add((evidence, POL.evidenceFor, unit))
    g.add((evidence, POL.assertedObject, TOPIC.aviation))
    g.add((unit, DCTERMS.subject, TOPIC.aviation))
    return g


def _target(g: rdflib.Graph, annotation: URIRef, start: int, end: int, exact: str) -> None:
    target, position, quote = (URIRef(f"{annotation}/{x}") for x in ("target", "position", "quote"))
    g.add((annotation, OA.hasTarget, target))
    g.add((annotation, PROV.wasDerivedFrom, DOC))
    g.add((target, RDF.type, OA.SpecificResource))
    g.add((target, OA.hasSource, DOC))
    g.add((target, OA.hasSelector, position))
    g.add((target, OA.hasSelector, quote))
    g.add((position, RDF.type, OA.TextPositionSelector))
    g.add((position, OA.start, Literal(start)))
    g.add((position, OA.end, Literal(end)))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    g.add((quote, OA.exact, Literal(exact)))


def _messages(data: rdflib.Graph, shapes: rdflib.Graph) -> tuple[bool, list[str]]:
    import pyshacl

    conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    messages = sorted(str(m) for m in report.objects(None, SH.resultMessage))
    return conforms, messages


def test_shapes_accept_a_graph_written_by_the_conventions(shapes):
    conforms, messages = _messages(_valid_graph(), shapes)
    assert conforms, messages


def test_shapes_accept_the_topic_scheme(shapes, topics):
    conforms, messages = _messages(topics, shapes)
    assert conforms, messages


def _broken(change) -> rdflib.Graph:
    g = _valid_graph()
    change(g)
    return g


TASK = URIRef(f"{DOC}/part-3/section-1/task-2")
ENTITY = URIRef("https://w3id.org/policykg/entity/虹桥机场")
QUOTE = URIRef(f"{DOC}/mention/14-18/quote")
POSITION = URIRef(f"{DOC}/mention/14-18/position")


@pytest.mark.parametrize("change, expected", [
    (lambda g: g.remove((DOC, DCTERMS.title, None)), "exactly one dcterms:title"),
    (lambda g: g.add((DOC, DCTERMS.title, Literal("另一个标题", lang="zh"))), "exactly one dcterms:title"),
    (lambda g: g.remove((DOC, POL.cleanText, None)), "pol:cleanText"),
    (lambda g: g.set((DOC, POL.contentHash, Literal("not-a-hash"))), "pol:contentHash"),
    (lambda g: g.set((DOC, DCTERMS.issued, Literal("2022年12月9日"))), "dcterms:issued"),
    (lambda g: g.set((TASK, POL.position, Literal(0))), "pol:position"),
    (lambda g: g.remove((TASK, DCTERMS.isPartOf, None)), "dcterms:isPartOf"),
    (lambda g: g.remove((TASK, POL.inDocument, None)), "pol:inDocument"),
    (lambda g: g.remove((TASK, DCTERMS.title, None)), "a task has a dcterms:title"),
    (lambda g: g.remove((QUOTE, OA.exact, None)), "oa:TextQuoteSelector"),
    (lambda g: g.set((POSITION, OA.start, Literal(30))), "oa:TextPositionSelector"),
    (lambda g: g.remove((ENTITY, RDFS.label, None)), "rdfs:label"),
    (lambda g: g.set((ENTITY, RDFS.label, Literal("Hongqiao Airport", lang="en"))),
     "rdfs:label in Chinese"),
    (lambda g: g.set((URIRef(f"{DOC}/evidence/topic/2-4/x"), POL.assertedObject,
                      URIRef("https://example.org/aviation"))), "a topic of ontology/topics.ttl"),
])
def test_shapes_report_what_is_wrong(shapes, change, expected):
    conforms, messages = _messages(_broken(change), shapes)
    assert not conforms
    assert any(expected in m for m in messages), messages


def test_shapes_report_a_concept_without_an_english_label(shapes, topics):
    g = rdflib.Graph()
    for triple in topics.triples((TOPIC.aviation, None, None)):
        g.add(triple)
    g.remove((TOPIC.aviation, SKOS.prefLabel, Literal("Aviation", lang="en")))
    conforms, messages = _messages(g, shapes)
    assert not conforms
    assert "a concept has a skos:prefLabel @en" in messages


def test_shapes_accept_the_built_sample(tmp_path, shapes):
    """The graph kg.build writes for the bundled sample conforms (entities included when extracted)."""
    pytest.importorskip("policykg.kg.build")
    from policykg.kg.graph import KnowledgeGraph
    from policykg.kg.settings import PACKAGE_DIR

    with KnowledgeGraph.open({"store": str(tmp_path / "store")}) as kg:
        report = kg.build([PACKAGE_DIR / "data"], embed=False)
        assert report.ok, report
        data = rdflib.Graph().parse(data=kg.store.serialize("nt").decode("utf-8"), format="nt")
    conforms, messages = _messages(data, shapes)
    assert conforms, messages[:20]
