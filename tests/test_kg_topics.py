"""Topics: loading the scheme, finding labels in text, linking units with evidence."""
from __future__ import annotations

import hashlib

import pytest

from policykg.ingest.records import Document, Metadata, Node, Sentence
from policykg.kg.errors import PolicyKGError
from policykg.kg.topics import Topic, TopicLink, link_topics, load_topics, match_topics, topics_by_iri
from policykg.kg.vocab import TOPIC_IRI


def _slug(iri: str) -> str:
    return iri[len(TOPIC_IRI):]


def _found(text: str, **kw) -> list[tuple[str, str]]:
    return [(_slug(m.topic_iri), m.exact) for m in match_topics(text, **kw)]


def test_load_topics_gives_bilingual_concepts_with_broader_links():
    topics = load_topics()
    assert all(isinstance(t, Topic) and t.label_zh and t.label_en for t in topics)
    by_slug = {t.slug: t for t in topics}
    aviation = by_slug["aviation"]
    assert aviation.iri == TOPIC_IRI + "aviation"
    assert (aviation.label_zh, aviation.label_en) == ("航空", "Aviation")
    assert {"民航", "机场", "公务机"} <= set(aviation.alt_labels_zh)
    assert {"airport", "airline"} <= set(aviation.alt_labels_en)
    assert aviation.broader == TOPIC_IRI + "industry-transport"
    assert by_slug["industry-transport"].is_top
    assert sum(t.is_top for t in topics) == 22
    assert topics == load_topics()  # deterministic order
    assert topics_by_iri()[aviation.iri] == aviation


def test_load_topics_names_a_missing_file(tmp_path):
    with pytest.raises(PolicyKGError, match="nowhere.ttl"):
        load_topics(tmp_path / "nowhere.ttl")


def test_chinese_labels_match_leftmost_longest():
    assert _found("推进航空物流和养老保险") == [("aviation", "航空物流"), ("elderly-care", "养老保险")]
    assert _found("加强长三角地区合作") == [("regional-integration", "长三角地区")]


def test_english_labels_match_whole_words_ignoring_case_with_plurals():
    assert _found("Which tasks involve Aviation and airports?") == [
        ("aviation", "Aviation"), ("aviation", "airports")]
    assert _found("support for Elderly Care") == [("elderly-care", "Elderly Care")]
    assert _found("paviation") == []  # glued to other letters: no match


def test_acronyms_match_only_as_written():
    assert _found("AI and SMEs") == [("artificial-intelligence", "AI"), ("business-environment", "SMEs")]
    assert _found("is it fair? said the maid") == []


def test_languages_can_be_restricted():
    assert _found("航空 aviation", languages=("zh",)) == [("aviation", "航空")]
    assert _found("航空 aviation", languages=("en",)) == [("aviation", "aviation")]


def _document() -> Document:
    """A hand-made parsed document: a preamble, one section with two tasks, and a part."""
    pieces = [
        ("pre", "为推进航空和养老工作，制定本意见。\n"),
        ("section", "(一)加快推动高质量发展\n"),
        ("task-1", "1.打造航空服务新优势。推进机场东片区改造，吸引航空企业。\n"),
        ("task-2", "2.打造公共服务新优势。发展居家养老，提升教育质量。\n"),
        ("part", "四、组织实施\n加强宣传。\n"),
    ]
    text = "".join(p for _k, p in pieces)
    spans, at = {}, 0
    for key, piece in pieces:
        spans[key] = (at, at + len(piece))
        at += len(piece)

    def node(id_, kind, number, title, key, end_key=None, children=()):
        start, end = spans[key][0], spans[end_key or key][1]
        return Node(id_, kind, number, title, text[start:end], start, end, tuple(children))

    tasks = [node("part-1/section-1/task-1", "task", "1", "打造航空服务新优势", "task-1"),
             node("part-1/section-1/task-2", "task", "2", "打造公共服务新优势", "task-2")]
    section = node("part-1/section-1", "section", "一", "加快推动高质量发展", "section", "task-2",
                   tasks)
    part = node("part-2", "part", "四", "组织实施", "part")
    return Document(text=text, metadata=Metadata(title="关于推进航空发展的实施意见"),
                    structure=(section, part), sentences=(Sentence(text, 0, len(text)),),
                    sha256=hashlib.sha256(text.encode()).hexdigest())


def test_links_carry_exact_evidence_spans():
    doc = _document()
    links = link_topics(doc)
    assert links and all(isinstance(link, TopicLink) for link in links)
    for link in links:
        assert doc.text[link.start:link.end] == link.exact


def test_a_task_is_linked_only_to_topics_named_in_its_own_text():
    doc = _document()
    by_node: dict[str | None, set[str]] = {}
    for link in link_topics(doc):
        by_node.setdefault(link.node_id, set()).add(_slug(link.topic_iri))
    assert "aviation" in by_node["part-1/section-1/task-1"]
    assert "elderly-care" not in by_node["part-1/section-1/task-1"]
    assert {"elderly-care", "education", "public-services"} <= by_node["part-1/section-1/task-2"]
    assert "aviation" not in by_node["part-1/section-1/task-2"]
    # the section holds tasks: a topic named once inside one task is not enough
    assert "education" not in by_node.get("part-1/section-1", set())
    assert "aviation" in by_node["part-1/section-1"]  # named three times in the section
    # a part without tasks is linked to what its text names
    assert by_node["part-2"] == {"media"}


def test_the_document_is_linked_to_topics_named_twice_or_in_its_title():
    links = [link for link in link_topics(_document()) if link.node_id is None]
    slugs = {_slug(link.topic_iri) for link in links}
    assert "aviation" in slugs  # in the title and in the text
    assert "elderly-care" in slugs  # 养老 + 居家养老
    assert "education" not in slugs  # named once
    aviation = next(link for link in links if _slug(link.topic_iri) == "aviation")
    assert (aviation.start, aviation.exact) == (3, "航空")  # the first occurrence


def test_single_character_labels_are_never_used(tmp_path):
    scheme = tmp_path / "topics.ttl"
    scheme.write_text("""
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://w3id.org/policykg/topic/tax> a skos:Concept ;
            skos:prefLabel "税收"@zh , "Taxation"@en ; skos:altLabel "税"@zh , "T"@en .
        """, encoding="utf-8")
    assert [m.exact for m in match_topics("税收和个税 T", path=scheme)] == ["税收"]
    assert all(len(link.exact) >= 2 for link in link_topics(_document()))


def test_linking_is_deterministic():
    assert link_topics(_document()) == link_topics(_document())


def test_seed_document_tasks_are_linked_to_their_topics(seed_path):
    ingest = pytest.importorskip("policykg.ingest")
    if not hasattr(ingest, "parse_file"):
        pytest.skip("ingest.parse_file is not available")
    doc = ingest.parse_file(seed_path)
    topics_of: dict[str, set[str]] = {}
    titles = {n.id: n.title for n in doc.nodes()}
    for link in link_topics(doc):
        assert doc.text[link.start:link.end] == link.exact
        if link.node_id is not None:
            topics_of.setdefault(titles[link.node_id] or link.node_id, set()).add(
                _slug(link.topic_iri))
    assert "aviation" in topics_of["打造航空服务新优势"]
    assert {"elderly-care", "health", "education"} <= topics_of["打造公共服务新优势"]
    assert {"digital-economy", "artificial-intelligence"} <= topics_of["打造数字经济新优势"]
    assert "talent" in topics_of["打造人才集聚新优势"]
    assert "elderly-care" not in topics_of["打造航空服务新优势"]
