"""The policykg vocabulary, topic scheme and SHACL shapes, as Turtle files; the abbreviations
search reads as Chinese words."""
from pathlib import Path

ONTOLOGY_DIR = Path(__file__).resolve().parent
VOCABULARY = ONTOLOGY_DIR / "policykg.ttl"
TOPICS = ONTOLOGY_DIR / "topics.ttl"
SHAPES = ONTOLOGY_DIR / "shapes.ttl"
ABBREVIATIONS = ONTOLOGY_DIR / "abbreviations.tsv"

__all__ = ["ONTOLOGY_DIR", "VOCABULARY", "TOPICS", "SHAPES", "ABBREVIATIONS"]
