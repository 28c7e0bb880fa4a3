"""One table of the formats policykg reads and writes: name ↔ media type ↔ engine format.

Every place that turns a format name (``--format ttl``, ``?format=jsonld``) or a
media type (``Accept: text/turtle``) into something an engine understands looks
it up here: the SPARQL endpoint, resource pages, exports and the CLI.

    >>> by_name("ttl").media_type
    'text/turtle'
    >>> by_media_type("application/sparql-results+json").name
    'json'
    >>> [f.name for f in of_kind("results")][:2]
    ['json', 'xml']
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Format", "FORMATS", "by_name", "by_media_type", "of_kind", "media_types"]


@dataclass(frozen=True)
class Format:
    """One serialisation.

    Attributes:
        name: the short name used by the CLI and ``?format=`` (``turtle``).
        kind: ``results`` (SELECT/ASK), ``graph`` (triples), ``dataset`` (quads)
            or ``network`` (node-link graphs for Gephi).
        media_type: the canonical media type.
        extension: the file extension, without the dot.
        aliases: other names and media types that mean this format.
        engine: the name of the pyoxigraph ``RdfFormat``/``QueryResultsFormat``
            member, or ``None`` when pyoxigraph has no writer for it.
        rdflib: the rdflib serializer/parser name, or ``None``.
        w3c: the ``http://www.w3.org/ns/formats/`` IRI (service descriptions).
    """

    name: str
    kind: str
    media_type: str
    extension: str
    aliases: tuple[str, ...] = ()
    engine: str | None = None
    rdflib: str | None = None
    w3c: str | None = None

    @property
    def binary(self) -> bool:
        """False: every format here is text (UTF-8)."""
        return False


_W3C = "http://www.w3.org/ns/formats/"

FORMATS: tuple[Format, ...] = (
    # SELECT / ASK results
    Format("json", "results", "application/sparql-results+json", "srj",
           ("application/json", "srj", "sparql-results+json"), "JSON", "json",
           _W3C + "SPARQL_Results_JSON"),
    Format("xml", "results", "application/sparql-results+xml", "srx",
           ("application/xml", "text/xml", "srx", "sparql-results+xml"), "XML", "xml",
           _W3C + "SPARQL_Results_XML"),
    Format("csv", "results", "text/csv", "csv", (), "CSV", "csv", _W3C + "SPARQL_Results_CSV"),
    Format("tsv", "results", "text/tab-separated-values", "tsv", (), "TSV", "tsv",
           _W3C + "SPARQL_Results_TSV"),
    # triples
    Format("turtle", "graph", "text/turtle", "ttl",
           ("ttl", "application/x-turtle", "n3", "text/n3", "text/rdf+n3"), "TURTLE", "turtle",
           _W3C + "Turtle"),
    Format("nt", "graph", "application/n-triples", "nt",
           ("ntriples", "n-triples", "text/n-triples", "text/plain"), "N_TRIPLES", "nt11",
           _W3C + "N-Triples"),
    Format("jsonld", "graph", "application/ld+json", "jsonld",
           ("json-ld", "ld+json"), "JSON_LD", "json-ld", _W3C + "JSON-LD"),
    Format("rdfxml", "graph", "application/rdf+xml", "rdf",
           ("rdf+xml", "rdf", "owl", "xml"), "RDF_XML", "xml", _W3C + "RDF_XML"),
    # quads (named graphs kept)
    Format("trig", "dataset", "application/trig", "trig", ("application/x-trig",), "TRIG", "trig",
           _W3C + "TriG"),
    Format("nq", "dataset", "application/n-quads", "nq", ("nquads", "n-quads", "text/x-nquads"),
           "N_QUADS", "nquads", _W3C + "N-Quads"),
    # node-link graphs for Gephi and scripts
    Format("graphml", "network", "application/graphml+xml", "graphml"),
    Format("nodelink", "network", "application/json", "json", ("node-link",)),
)

_BY_NAME: dict[str, Format] = {}
_BY_MEDIA_TYPE: dict[str, Format] = {}
for _f in FORMATS:
    _BY_NAME.setdefault(_f.name, _f)
    _BY_MEDIA_TYPE.setdefault(_f.media_type, _f)
for _f in FORMATS:
    for _alias in _f.aliases:
        (_BY_MEDIA_TYPE if "/" in _alias else _BY_NAME).setdefault(_alias, _f)


def by_name(name: str, kind: str | None = None) -> Format | None:
    """The format called ``name`` (or one of its aliases), of ``kind`` if given.

    >>> by_name("json", "graph").name
    'jsonld'
    >>> by_name("nope") is None
    True
    """
    key = (name or "").strip().lower()
    if kind is not None:
        for fmt in of_kind(kind):
            if key == fmt.name or key in fmt.aliases or key == fmt.media_type:
                return fmt
        if kind == "graph" and key == "json":  # "json" of a graph means JSON-LD
            return _BY_NAME["jsonld"]
        return None
    return _BY_NAME.get(key) or _BY_MEDIA_TYPE.get(key)


def by_media_type(media_type: str, kind: str | None = None) -> Format | None:
    """The format of ``media_type`` (parameters such as ``;charset`` ignored).

    ``application/json`` means SPARQL JSON results for ``results`` and JSON-LD
    for ``graph``, as SPARQL clients expect.

    >>> by_media_type("application/json", "graph").name
    'jsonld'
    """
    key = (media_type or "").split(";")[0].strip().lower()
    if kind is not None:
        for fmt in of_kind(kind):
            if key == fmt.media_type or key in fmt.aliases:
                return fmt
        if kind == "graph":
            return {"application/json": _BY_NAME["jsonld"],
                    "application/xml": _BY_NAME["rdfxml"],
                    "text/xml": _BY_NAME["rdfxml"]}.get(key)
        return None
    return _BY_MEDIA_TYPE.get(key)


def of_kind(kind: str) -> list[Format]:
    """Every format of one kind, the preferred one first."""
    return [f for f in FORMATS if f.kind == kind]


def media_types(kind: str) -> list[str]:
    """The canonical media types of one kind, the preferred one first (for Accept matching)."""
    return [f.media_type for f in of_kind(kind)]
