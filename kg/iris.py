"""Stable IRIs, derived from content and names, never from counters.

Documents are named by the hash of their clean text; units by their
structural path; sentences, mentions and evidence by their offsets; entities
by their normalised canonical name. Each document's triples live in a named
graph whose name is the document IRI.
"""
from __future__ import annotations

import hashlib
import unicodedata
from urllib.parse import quote

import pyoxigraph as ox

from .errors import InvalidIRI
from .vocab import TOPIC_IRI

# The one place where the IRI scheme is written down.
DOC = "doc/"
ENTITY = "entity/"


def _segment(name: str) -> str:
    """A readable IRI path segment: letters and digits kept, the rest %-encoded.

    >>> _segment("东华大学")
    '东华大学'
    >>> _segment("“一网通办”")
    '%E2%80%9C一网通办%E2%80%9D'
    """
    return "".join(ch if (ch.isalnum() or ch in "-_.~") else quote(ch, safe="")
                   for ch in unicodedata.normalize("NFC", name))


def check_iri(value: str) -> str:
    """``value`` when it is an absolute IRI; the one check of IRIs that come from outside.

    >>> check_iri("https://w3id.org/policykg/entity/东华大学")
    'https://w3id.org/policykg/entity/东华大学'

    Raises:
        InvalidIRI: (kind ``invalid``) a relative IRI (``abc``), spaces, control
            characters or other characters an IRI cannot hold.
    """
    try:
        ox.NamedNode(value)
    except (TypeError, ValueError) as exc:
        shown = value if isinstance(value, str) else type(value).__name__
        reason = str(exc).encode("unicode_escape").decode("ascii")
        raise InvalidIRI(f"not an absolute IRI: {shown[:200]!r} ({reason})") from None
    if any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in value):
        raise InvalidIRI(f"not an absolute IRI: {value[:200]!r} (control characters)")
    return value


def iri_ref(value: str) -> str:
    """``<value>`` for SPARQL and N-Triples: the one escaper of IRIs put into query text.

    >>> iri_ref("https://w3id.org/policykg/doc/1")
    '<https://w3id.org/policykg/doc/1>'

    Raises:
        InvalidIRI: ``value`` is not an absolute IRI.
    """
    return f"<{check_iri(value)}>"


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or ``/``).

    >>> local_name("https://w3id.org/policykg/ontology#Task")
    'Task'
    """
    return iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def document_iri(base: str, sha256: str) -> str:
    """IRI of a document (and the name of its graph), from its content hash.

    >>> document_iri("https://w3id.org/policykg/", "ab" * 32)
    'https://w3id.org/policykg/doc/abababababababab'
    """
    return f"{base}{DOC}{sha256[:16]}"


def unit_iri(doc_iri: str, node_id: str) -> str:
    """IRI of a structural unit: the document IRI plus the node's path."""
    return f"{doc_iri}/{node_id}"


def sentence_iri(doc_iri: str, start: int, end: int) -> str:
    """IRI of a sentence, from its offsets in the clean text."""
    return f"{doc_iri}/sentence/{start}-{end}"


def mention_iri(doc_iri: str, start: int, end: int) -> str:
    """IRI of a mention annotation, from its offsets."""
    return f"{doc_iri}/mention/{start}-{end}"


def evidence_iri(doc_iri: str, kind: str, subject: str, obj: str, start: int, end: int) -> str:
    """IRI of a relation/topic evidence annotation."""
    digest = hashlib.sha1(f"{kind}|{subject}|{obj}".encode("utf-8")).hexdigest()[:10]
    return f"{doc_iri}/evidence/{kind}/{start}-{end}/{digest}"


def entity_iri(base: str, key: str) -> str:
    """IRI of an entity, from its normalised canonical name.

    >>> entity_iri("https://w3id.org/policykg/", "东华大学")
    'https://w3id.org/policykg/entity/东华大学'
    """
    return f"{base}{ENTITY}{_segment(key)}"


def topic_iri(slug: str) -> str:
    """IRI of a topic concept of the SKOS scheme in ``ontology/topics.ttl``."""
    return f"{TOPIC_IRI}{slug}"
