"""What the endpoint says about itself: the service description and the example queries."""
from __future__ import annotations

from pathlib import Path

from ..formats import Format, of_kind

__all__ = ["service_description", "example_queries"]

_EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "ontology" / "queries"
_SD = "http://www.w3.org/ns/sparql-service-description#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def service_description(endpoint: str, fmt: Format) -> bytes:
    """A SPARQL 1.1 Service Description of ``endpoint`` in an RDF format (pyoxigraph writes it).

    It names the result formats, the union default graph (``sd:defaultDataset``
    with its ``sd:defaultGraph``) and that the endpoint answers queries only.
    """
    import pyoxigraph as ox

    N, L, B = ox.NamedNode, ox.Literal, ox.BlankNode
    service, dataset, graph = B("service"), B("dataset"), B("defaultGraph")
    a = N(_RDF + "type")
    triples = [
        ox.Triple(service, a, N(_SD + "Service")),
        ox.Triple(service, N(_RDFS + "label"), L("policykg SPARQL endpoint (read-only)",
                                                language="en")),
        ox.Triple(service, N(_RDFS + "label"), L("policykg SPARQL 查询端点（只读）", language="zh")),
        ox.Triple(service, N(_SD + "endpoint"), N(endpoint)),
        ox.Triple(service, N(_SD + "supportedLanguage"), N(_SD + "SPARQL11Query")),
        ox.Triple(service, N(_SD + "feature"), N(_SD + "UnionDefaultGraph")),
        ox.Triple(service, N(_SD + "defaultDataset"), dataset),
        ox.Triple(dataset, a, N(_SD + "Dataset")),
        ox.Triple(dataset, N(_SD + "defaultGraph"), graph),
        ox.Triple(graph, a, N(_SD + "Graph")),
        ox.Triple(graph, N(_RDFS + "comment"), L(
            "The union of every document's named graph and the vocabularies; each document "
            "is a named graph named by its IRI.", language="en")),
    ]
    for kind in ("results", "graph", "dataset"):
        triples += [ox.Triple(service, N(_SD + "resultFormat"), N(f.w3c))
                    for f in of_kind(kind) if f.w3c]
    return ox.serialize(triples, format=getattr(ox.RdfFormat, fmt.engine))


def example_queries(directory: str | Path | None = None) -> list[dict[str, str]]:
    """The example queries of ``ontology/queries/*.rq``: name, title and text.

    The title is the first comment line of the file (``# title``).
    """
    folder = Path(directory) if directory else _EXAMPLES_DIR
    examples = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = next((line for line in text.splitlines() if line.strip()), "")
        title = first.lstrip("#").strip() if first.startswith("#") else path.stem
        examples.append({"name": path.stem, "title": title, "query": text})
    return examples
