"""URLs of the app's pages for graph IRIs, and IRIs for the pretty paths.

Documents, entities and topics have pretty paths (``/doc/…``, ``/entity/…``,
``/topic/…``); a sentence, mention or evidence IRI opens its document at that
passage (``/doc/…#s-START-END``); anything else goes to ``/resource?iri=``.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import url_for

from ..kg import TOPIC_IRI, entity_iri
from .context import base_iri

#: The tail of a document-local IRI that names a passage: sentence, mention or evidence.
_PASSAGE = re.compile(r"^(?P<doc>[^/]+)/(?:sentence|mention|evidence/[^/]+)/(?P<start>\d+)-(?P<end>\d+)"
                      r"(?:/[^/]*)?$")


def passage_anchor(start: int, end: int) -> str:
    """The anchor of a passage of a document's text (``s-START-END``)."""
    return f"s-{int(start)}-{int(end)}"


def passage_url(document: str, start: int, end: int) -> str:
    """The document page scrolled to and highlighting ``[start, end)`` of its text."""
    return f"{resource_url(document)}#{passage_anchor(start, end)}"


def passage_of(path: str) -> tuple[str, int, int] | None:
    """``(document path, start, end)`` when a ``/doc/`` path names a passage, else None.

    >>> passage_of("29831a6bfa1316a0/sentence/2875-2986")
    ('29831a6bfa1316a0', 2875, 2986)
    >>> passage_of("29831a6bfa1316a0/part-3/section-1") is None
    True
    """
    match = _PASSAGE.match(path)
    if not match:
        return None
    return match["doc"], int(match["start"]), int(match["end"])


def resource_url(iri: str) -> str:
    """The page of an IRI: a pretty path under the base IRI, else ``/resource?iri=``."""
    base = base_iri()
    doc_prefix = f"{base}doc/"
    if iri.startswith(doc_prefix) and len(iri) > len(doc_prefix):
        rest = iri[len(doc_prefix):]
        passage = passage_of(rest)
        if passage:
            return f"/doc/{passage[0]}#{passage_anchor(passage[1], passage[2])}"
        return f"/doc/{rest}"
    for prefix, route in ((f"{base}entity/", "entity"), (TOPIC_IRI, "topic")):
        if iri.startswith(prefix) and len(iri) > len(prefix):
            return f"/{route}/{iri[len(prefix):]}"
    return url_for("pages.resource", iri=iri)


def doc_iri(path: str) -> str:
    """The IRI of a ``/doc/<path>`` page."""
    return f"{base_iri()}doc/{path}"


def entity_iri_of(path: str) -> str:
    """The IRI of an ``/entity/<path>`` page (the path arrives %-decoded; re-encoded as minted)."""
    return entity_iri(base_iri(), path)


def topic_iri_of(slug: str) -> str:
    """The IRI of a ``/topic/<slug>`` page."""
    return f"{TOPIC_IRI}{quote(slug, safe='-_.~/')}"
