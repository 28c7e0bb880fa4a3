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
