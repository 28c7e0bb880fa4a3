"""Template helpers shared by every page: URL filters and one bilingual naming scheme.

Chinese first, English second, everywhere: headings, type names, legends,
property labels. ``zh_en(zh, en)`` is the one place that joins them.
"""
from __future__ import annotations

from flask import Flask, request, url_for
from markupsafe import Markup, escape

from ..kg import PREFIXES, curie
from .render import FACTS_SHOWN
from .urls import passage_url, resource_url

#: Search result types.
TYPE_NAMES = {
    "task": "任务 Tasks", "entity": "实体 Entities", "sentence": "句子 Sentences",
    "document": "文档 Documents",
}
#: Entity list types (``/entities?type=``): singular and plural names.
ENTITY_TYPE_NAMES = {
    "Organization": ("单位", "Organisations", "Organisation"),
    "Place": ("地点", "Places", "Place"),
    "Event": ("活动", "Events", "Event"),
    "Programme": ("项目", "Programmes", "Programme"),
    "DocumentReference": ("引用文件", "Cited documents", "Cited document"),
}
#: Kinds of structural units and of other resources, for breadcrumbs and headings.
KIND_NAMES = {
    "Part": ("部分", "Part"), "Chapter": ("章", "Chapter"), "Section": ("领域", "Section"),
    "Task": ("任务", "Task"), "Principle": ("原则", "Principle"), "Goal": ("目标", "Goal"),
    "Article": ("条", "Article"), "Item": ("项", "Item"), "Paragraph": ("段", "Paragraph"),
    "Annex": ("附件", "Annex"), "PolicyDocument": ("文档", "Document"),
    "Sentence": ("句子", "Sentence"), "Concept": ("主题", "Topic"),
}
#: Classes of entities and topics by local name (units are in KIND_NAMES).
CLASS_NAMES = {
    "Organization": ("单位", "Organisation"), "GovernmentOrganization": ("政府机构", "Government body"),
    "CollegeOrUniversity": ("高校", "University"), "Place": ("地点", "Place"),
    "Event": ("活动", "Event"), "Programme": ("项目", "Programme"),
    "DocumentReference": ("引用文件", "Cited document"), "CreativeWork": ("作品", "Creative work"),
    "Legislation": ("法规文件", "Legislation"), "StructuralUnit": ("结构单元", "Structural unit"),
    "Annotation": ("标注", "Annotation"), "Mention": ("提及", "Mention"),
    "RelationEvidence": ("关系证据", "Relation evidence"), "TopicEvidence": ("主题证据", "Topic evidence"),
    "ConceptScheme": ("主题方案", "Concept scheme"), "CollectiveUnit": ("集体单位", "Collective unit"),
}
#: Property labels the graph does not label itself (vocabularies outside pol:).
PROPERTY_NAMES = {
    "http://purl.org/dc/terms/title": ("标题", "title"),
    "http://purl.org/dc/terms/issued": ("发布日期", "issued"),
    "http://purl.org/dc/terms/publisher": ("发文机关", "publisher"),
    "http://purl.org/dc/terms/identifier": ("文号", "identifier"),
    "http://purl.org/dc/terms/subject": ("主题", "subject"),
    "http://purl.org/dc/terms/isPartOf": ("属于", "is part of"),
    "http://purl.org/dc/terms/hasPart": ("包含", "has part"),
    "http://purl.org/dc/terms/source": ("来源", "source"),
    "http://www.w3.org/2000/01/rdf-schema#label": ("名称", "label"),
    "http://www.w3.org/2004/02/skos/core#prefLabel": ("首选名称", "preferred name"),
    "http://www.w3.org/2004/02/skos/core#altLabel": ("别名", "alias"),
    "http://www.w3.org/2004/02/skos/core#broader": ("上位主题", "broader"),
    "http://www.w3.org/2004/02/skos/core#inScheme": ("所属方案", "in scheme"),
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": ("类型", "type"),
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#value": ("文本", "text"),
    "http://www.w3.org/ns/prov#wasDerivedFrom": ("来源于", "derived from"),
    "https://w3id.org/policykg/ontology#startOffset": ("起始位置", "start offset"),
    "https://w3id.org/policykg/ontology#endOffset": ("结束位置", "end offset"),
}


def zh_en(zh: str | None, en: str | None = None) -> Markup:
    """``中文 <small>English</small>``; either alone when the other is missing or the same."""
    zh, en = (zh or "").strip(), (en or "").strip()
    if zh and en and zh != en:
        return Markup(f"{escape(zh)} <small lang=\"en\">{escape(en)}</small>")
    return Markup(escape(zh or en))


def kind_name(kind: str) -> Markup:
    """The bilingual name of a unit or resource kind (``Task`` → 任务 Task)."""
    zh, en = KIND_NAMES.get(kind, ("", kind))
    return zh_en(zh, en)


def result_type_name(kind: str) -> Markup:
    """The bilingual heading of a group of search hits: a result type (``task``), a unit
    kind (``article``, ``section``) or an entity type (``Organization``)."""
    if kind in TYPE_NAMES:
        zh, _, en = TYPE_NAMES[kind].partition(" ")
        return zh_en(zh, en)
    unit = kind[:1].upper() + kind[1:]
    if unit in KIND_NAMES:
        return kind_name(unit)
    if kind in ENTITY_TYPE_NAMES:
        return entity_type_name(kind)
    return class_name(kind)


def entity_type_name(kind: str, plural: bool = True) -> Markup:
    """The bilingual name of an entity list type (``Organization`` → 单位 Organisations)."""
    zh, many, one = ENTITY_TYPE_NAMES.get(kind, ("", kind, kind))
    return zh_en(zh, many if plural else one)


def class_name(iri: str, label: str | None = None) -> Markup:
    """A class's bilingual name by its local name (``schema:Place`` → 地点 Place)."""
    local = iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    if local in CLASS_NAMES:
        return zh_en(*CLASS_NAMES[local])
    if local in KIND_NAMES:
        return zh_en(*KIND_NAMES[local])
    return zh_en(label or local)


def property_name(iri: str, label: str | None = None) -> Markup:
    """A property's bilingual label: the table above, else the graph's own label."""
    if iri in PROPERTY_NAMES:
        return zh_en(*PROPERTY_NAMES[iri])
    return zh_en(label or curie(iri))


def property_link(iri: str, label: str | None = None) -> Markup:
    """A property's bilingual name, linked to its page when the store describes it (policykg's
    own ontology); a property of another vocabulary (dcterms:title) has no page here."""
    name = property_name(iri, label)
    if iri.startswith(PREFIXES["pol"]):
        return Markup(f'<a href="{escape(resource_url(iri))}" title="{escape(iri)}">{name}</a>')
    return Markup(f'<span title="{escape(iri)}">{name}</span>')


def download_url(fmt: str) -> str:
    """This page's URL with ``format=fmt`` (its table as CSV or XLSX)."""
    return url_for(request.endpoint, **{**(request.view_args or {}), **request.args.to_dict(),
                                        "format": fmt})


def init_app(app: Flask) -> None:
    """Register the globals and filters the templates use."""
    app.jinja_env.globals.update(
        resource_url=resource_url, passage_url=passage_url, short_iri=curie,
        TYPE_NAMES=TYPE_NAMES, ENTITY_TYPE_NAMES=ENTITY_TYPE_NAMES, zh_en=zh_en,
        kind_name=kind_name, entity_type_name=entity_type_name, property_name=property_name,
        result_type_name=result_type_name, property_link=property_link, FACTS_SHOWN=FACTS_SHOWN,
        class_name=class_name,
        download_url=download_url)
    app.jinja_env.filters["resource_url"] = resource_url
    app.jinja_env.filters["short_iri"] = curie
