"""Is it still in force: links between the documents of the store, and each document's status.

A document's ``pol:repeals`` / ``pol:amends`` / ``pol:implements`` point to document
references (a title and/or 发文字号); here they are resolved to the documents of the
store, by 发文字号 first, else by title (a notice 关于印发《X》的通知 also answers to X).
Versions of one instrument in the store (道路运输条例 2019, 2022, 2023: same title,
different dates) are chained: each newer version amends the one before it.
The status follows: repealed (by a document of the store), amended (a newer version
is in the store), expired (有效期 over), not yet in force, or in force; each with the
date it changed, the evidence and its basis. Evidence in the store comes first; a status
the document's header states (``pol:statedStatus``, 状态: 废止) counts when the store has
none, a stated 有效 yields to the document's own dates (the header may be older than today).

Services layer: functions take the store and run a few SELECT queries.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from .evidence import evidence_spans
from .iris import iri_ref
from .vocab import POL_IRI

__all__ = ["DocumentLink", "DocumentStatus", "document_links", "document_statuses", "title_key",
           "number_key", "stated_status", "STATUSES", "BASES"]

#: The statuses a document can have.
STATUSES = ("in force", "repealed", "amended", "expired", "not yet in force")
#: What a status rests on: a document of the store repealing or amending it (``link``), a newer
#: version in the store (``version``), the status its header states (``stated``), its own
#: 施行/有效期 dates (``dates``), or nothing (``default``: in force).
BASES = ("link", "version", "dates", "stated", "default")
#: Stated statuses (状态 of a front matter or header) and the status each means.
_STATED = {"有效": "in force", "现行有效": "in force", "现行": "in force", "生效": "in force",
           "废止": "repealed", "已废止": "repealed", "废除": "repealed", "已废除": "repealed",
           "失效": "expired", "已失效": "expired", "修改": "amended", "已修改": "amended", "已被修改": "amended",
           "修订": "amended", "已修订": "amended", "尚未生效": "not yet in force", "未生效": "not yet in force",
           "尚未施行": "not yet in force"}
_PREDICATES = {POL_IRI + "repeals": "repeals", POL_IRI + "amends": "amends", POL_IRI + "implements": "implements"}
_NOTICE = re.compile(r"(?:印发|转发|发布|公布)(?:修订后的)?《(?P<inner>[^《》]+)》")


def title_key(title: str | None) -> str:
    """A title as compared between documents: no 中华人民共和国, brackets, dates or spaces.

    >>> title_key("中华人民共和国道路运输条例"), title_key("道路运输条例(2019-03-02)")
    ('道路运输条例', '道路运输条例')
    >>> title_key("《上海市科技专家库管理办法》（2024年修订）")
    '上海市科技专家库管理办法'
    """
    if not title:
        return ""
    text = unicodedata.normalize("NFKC", title)
    text = re.sub(r"\s+", "", text).strip("《》\"“”")
    text = re.sub(r"[(（\[][^()（）\[\]]*\d{4}[^()（）\[\]]*[)）\]]$", "", text)
    text = text.strip("《》")
    return re.sub(r"^中华人民共和国", "", text)


def number_key(number: str | None) -> str:
    """A 发文字号 as compared: brackets and spaces unified.

    >>> number_key("沪府办规［2020］13 号") == number_key("沪府办规〔2020〕13号")
    True
    """
    if not number:
        return ""
    text = unicodedata.normalize("NFKC", number)
    text = re.sub(r"\s+", "", text)
    return re.sub(r"[\[［(（【〔]", "〔", re.sub(r"[\]］)）】〕]", "〕", text))


@dataclass
class DocumentLink:
    """``source`` repeals / amends / implements ``target`` (a document of the store, else ``None``)."""

    source: str
    predicate: str
    reference: str  # the document reference's IRI, or the target document for a version chain
    reference_label: str
    target: str | None
    evidence: str
    derived: bool = False  # from a version chain, not from words of the source

    def to_json(self) -> dict[str, Any]:
        """The link as a JSON object."""
        return asdict(self)


@dataclass
class DocumentStatus:
    """Whether a document is in force, since when, and why."""

    document: str
    title: str
    identifier: str
    status: str  # one of STATUSES
    since: str | None
    evidence: str
    by: str | None = None  # the document that repealed or amended it
    in_force_from: str | None = None
    in_force_until: str | None = None
    basis: str = "default"  # one of BASES: what the status rests on
    stated: str | None = None  # the status the document's header states, as written

    def to_json(self) -> dict[str, Any]:
        """The status as a JSON object."""
        return asdict(self)


def _documents(store) -> dict[str, dict[str, str | None]]:
    rows = store.select_rows("""
SELECT ?doc ?title ?number ?issued ?from ?until ?stated WHERE {
  ?doc a pol:PolicyDocument .
  OPTIONAL { ?doc dcterms:title ?title }
  OPTIONAL { ?doc dcterms:identifier ?number }
  OPTIONAL { ?doc dcterms:issued ?issued }
  OPTIONAL { ?doc pol:inForceFrom ?from }
  OPTIONAL { ?doc pol:inForceUntil ?until }
  OPTIONAL { ?doc pol:statedStatus ?stated }
}""")
    docs: dict[str, dict[str, str | None]] = {}
    for row in rows:
        docs.setdefault(row["doc"], row)
    return docs


def _keys(doc: dict[str, str | None]) -> set[str]:
    title = doc.get("title") or ""
    keys = {title_key(title)}
    m = _NOTICE.search(title)
    if m:
        keys.add(title_key(m.group("inner")))
    return {k for k in keys if k}


def document_links(store, among: set[str] | None = None) -> list[DocumentLink]:
    """Every repeal, amendment and implementation between documents, resolved against the store;
    with ``among``, only those whose source and target are both among those document IRIs."""
    docs = _documents(store)
    by_number: dict[str, str] = {}
    by_title: dict[str, list[str]] = {}
    for iri, doc in docs.items():
        if doc.get("number"):
            by_number.setdefault(number_key(doc["number"]), iri)
        for key in _keys(doc):
            by_title.setdefault(key, []).append(iri)
    listed = " ".join(iri_ref(d) for d in sorted(among or ()))

    def sources(var: str) -> str:  # the documents ``?var`` may be
        return f"VALUES ?{var} {{ {listed} }}" if among is not None else ""

    rows = store.select_rows(f"""
SELECT DISTINCT ?doc ?p ?ref ?label ?title ?number WHERE {{ {sources('doc')}
  VALUES ?p {{ pol:repeals pol:amends pol:implements }}
  ?doc a pol:PolicyDocument ; ?p ?ref .
  OPTIONAL {{ ?ref rdfs:label ?label }}
  OPTIONAL {{ ?ref dcterms:title ?title }}
  OPTIONAL {{ ?ref dcterms:identifier ?number }}
}}""")
    evidence = evidence_spans(store, ("pol:repeals", "pol:amends", "pol:implements"),
                              where=sources("s"))
    links: dict[tuple, DocumentLink] = {}
    for row in rows:
        target = None
        if row["number"]:
            target = by_number.get(number_key(row["number"]))
        if target is None and row["title"]:
            candidates = [d for d in by_title.get(title_key(row["title"]), []) if d != row["doc"]]
            if candidates:
                # Several versions answer to one title: the one in force when the source was issued.
                issued = docs[row["doc"]].get("issued") or "9999"
                older = [d for d in candidates if (docs[d].get("issued") or "") <= issued]
                target = max(older or candidates, key=lambda d: docs[d].get("issued") or "")
        if target == row["doc"]:
            target = None
        key = (row["doc"], row["p"], row["ref"])
        if key not in links:
            links[key] = DocumentLink(source=row["doc"], predicate=_PREDICATES[row["p"]], reference=row["ref"],
                                      reference_label=row["label"] or row["title"] or row["number"] or "",
                                      target=target, evidence=evidence.get(key, ("",))[0])
    out = list(links.values()) + _versions(docs, by_title)
    if among is not None:
        out = [link for link in out if link.source in among and link.target in among]
    out.sort(key=lambda link: (link.source, link.predicate, link.reference))
    return out


def _versions(docs: dict[str, dict[str, str | None]], by_title: dict[str, list[str]]) -> list[DocumentLink]:
    """Version chains: the same instrument in the store at several dates, each amending the one before."""
    out: list[DocumentLink] = []
    for key, iris in by_title.items():
        versions = sorted({d for d in iris if title_key(docs[d].get("title")) == key},
                          key=lambda d: docs[d].get("issued") or "")
        for older, newer in zip(versions, versions[1:]):
            if _days_apart(docs[older].get("issued"), docs[newer].get("issued")) <= 31:
                continue  # one text published twice (the decree and a page reposting it), not two versions
            out.append(DocumentLink(
                source=newer, predicate="amends", reference=older, reference_label=docs[older].get("title") or "",
                target=older, derived=True,
                evidence=f"{docs[newer].get('title')} ({docs[newer].get('issued')}) is a later version of "
                         f"{docs[older].get('title')} ({docs[older].get('issued')})"))
    return out


def _days_apart(a: str | None, b: str | None) -> int:
    """Days between two ISO dates (0 when either is missing or not a full date).

    >>> _days_apart("2021-07-27", "2021-07-30"), _days_apart("2019-03-02", None)
    (3, 0)
    """
    try:
        return abs((date.fromisoformat(b or "") - date.fromisoformat(a or "")).days)
    except ValueError:
        return 0


def _next_day(iso: str) -> str:
    return (date.fromisoformat(iso) + timedelta(days=1)).isoformat()


def stated_status(stated: str | None) -> str | None:
    """The status (one of STATUSES) a stated 状态 means, ``None`` when unknown.

    >>> stated_status("有效"), stated_status(" 已废止 "), stated_status("失效"), stated_status("待定")
    ('in force', 'repealed', 'expired', None)
    """
    return _STATED.get(re.sub(r"\s+", "", stated or ""))


def _status_of(iri: str, doc: dict[str, str | None], docs: dict[str, dict[str, str | None]],
               links: list[DocumentLink], today: str) -> DocumentStatus:
    frm, until, stated = doc.get("from"), doc.get("until"), doc.get("stated")
    status = DocumentStatus(document=iri, title=doc.get("title") or "", identifier=doc.get("number") or "",
                            status="in force", since=frm or doc.get("issued"), evidence="", in_force_from=frm,
                            in_force_until=until, stated=stated)
    said = stated_status(stated)
    repealed = [link for link in links if link.target == iri and link.predicate == "repeals"]
    amended = [link for link in links if link.target == iri and link.predicate == "amends"]
    if repealed or amended:
        link = (repealed or amended)[0]
        source = docs.get(link.source, {})
        # A repeal takes effect when the repealing text does; a newer version replaces the
        # older one when it is issued (its 施行 line may still be the first version's).
        since = (source.get("from") or source.get("issued")) if repealed else (source.get("issued") or source.get("from"))
        status.status = "repealed" if repealed else "amended"
        status.since, status.by, status.evidence = since, link.source, link.evidence
        status.basis = "version" if link.derived else "link"
    elif said is not None and said != "in force":
        # The header says it is no longer (or not yet) in force, and the store has no document saying why.
        status.status, status.since, status.basis = said, None, "stated"
        status.evidence = f"状态：{stated}"
    elif until and until < today:
        status.status, status.since, status.basis = "expired", _next_day(until), "dates"
        status.evidence = f"有效期至{until}"
    elif frm and frm > today:
        status.status, status.since, status.basis = "not yet in force", frm, "dates"
    elif said == "in force":
        status.basis, status.evidence = "stated", f"状态：{stated}"
    elif frm or until:
        status.basis = "dates"
    return status


def document_statuses(store, *, today: str | None = None) -> list[DocumentStatus]:
    """The status of every document of the store on ``today`` (ISO; default: the real today)."""
    today = today or date.today().isoformat()
    docs = _documents(store)
    links = document_links(store)
    out = [_status_of(iri, doc, docs, links, today) for iri, doc in docs.items()]
    out.sort(key=lambda s: (s.title, s.document))
    return out
