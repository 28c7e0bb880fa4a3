"""The places in the documents that name a resource, a page at a time, with their sentences.

Mentions are annotations in their document's graph: they are counted per graph,
and only the graphs holding the requested page are read, so the page costs the
same for an entity named ten times or ten thousand times (国务院 in a corpus).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .iris import iri_ref as _iri

__all__ = ["Evidence", "mention_page"]


@dataclass
class Evidence:
    """A place in a document that names the resource, with its sentence for context.

    ``start``/``end`` are offsets in the document's clean text; ``highlight`` is
    the same span relative to ``sentence`` (``None`` without a sentence).
    """

    annotation: str
    sentence: str | None
    start: int
    end: int
    exact: str
    document: str
    document_title: str | None
    highlight: tuple[int, int] | None


def mention_page(store: Any, node: str, page: int, per_page: int) -> tuple[list[Evidence], int]:
    """Page ``page`` (``per_page`` each) of the places naming ``node`` (its mentions, or the
    evidence of a topic), documents in IRI order then text order, and how many there are.

    ``node`` is the IRI ready for query text (``kg.iris.iri_ref``).
    """
    named = (f"{{ ?ann pol:mentionOf {node} }} "
             f"UNION {{ ?ann a pol:TopicEvidence ; pol:assertedObject {node} }}")
    # Counted per document graph, then only the graphs holding the page are read:
    # ordering all 10⁴ mentions of 国务院 by place took seconds.
    per_graph = sorted((str(g), int(n)) for g, n in store.query(
        f"SELECT ?g (COUNT(DISTINCT ?ann) AS ?n) WHERE {{ GRAPH ?g {{ {named} }} }} GROUP BY ?g"))
    total = sum(n for _g, n in per_graph)
    offset = (page - 1) * per_page
    before = covered = 0  # mentions in the graphs before the page's, and in the page's
    graphs: list[str] = []
    for graph, count in per_graph:
        if not graphs and before + count <= offset:
            before += count
            continue
        graphs.append(graph)
        covered += count
        if before + covered >= offset + per_page:
            break
    if not graphs:
        return [], total
    order = {g: i for i, g in enumerate(graphs)}
    places = sorted(((order[str(g)], int(start), str(ann)) for ann, g, start in store.query(f"""
        SELECT DISTINCT ?ann ?g ?start WHERE {{ VALUES ?g {{ {" ".join(_iri(g) for g in graphs)} }}
          GRAPH ?g {{ {named} ?ann oa:hasTarget ?t . ?t oa:hasSelector ?pos . ?pos oa:start ?start }}
        }}""")))
    picked = list(dict.fromkeys(ann for _g, _s, ann in places))
    picked = picked[offset - before:offset - before + per_page]
    if not picked:
        return [], total
    values = " ".join(_iri(a) for a in picked)
    places = store.query(f"""
        SELECT ?ann ?start ?end ?exact ?doc WHERE {{ VALUES ?ann {{ {values} }}
          ?ann oa:hasTarget ?t . ?t oa:hasSource ?doc ; oa:hasSelector ?pos, ?quote .
          ?pos oa:start ?start ; oa:end ?end . ?quote oa:exact ?exact . }}""")
    found: dict[str, Evidence] = {}
    for ann, start, end, exact, doc in places:
        found.setdefault(str(ann), Evidence(str(ann), None, int(start), int(end), str(exact),
                                            str(doc), None, None))
    for ann, text, start in store.query(f"""
            SELECT ?ann ?stext ?sstart WHERE {{ VALUES ?ann {{ {values} }}
              ?ann oa:hasScope ?sent . ?sent rdf:value ?stext ; pol:startOffset ?sstart }}"""):
        ev = found.get(str(ann))
        if ev is not None and ev.sentence is None:
            ev.sentence = str(text)
            ev.highlight = (ev.start - int(start), ev.end - int(start))
    docs = " ".join(sorted({_iri(ev.document) for ev in found.values()}))
    titles: dict[str, str] = {}
    for doc, title in store.query(
            f"SELECT ?doc ?title WHERE {{ VALUES ?doc {{ {docs} }} ?doc dcterms:title ?title }}"):
        titles.setdefault(str(doc), str(title))
    for ev in found.values():
        ev.document_title = titles.get(ev.document)
    return [found[a] for a in picked if a in found], total
