"""Read-only SPARQL over the graph: checked, run by killable workers, encoded by the engine.

- :mod:`.check`: the token scan that refuses updates, LOAD and SERVICE and finds ``FROM``.
- :mod:`.run`: :class:`SparqlService` (local pool or remote store) and format lookup.
- :mod:`.pool`: warm worker processes over a snapshot of the store, killed past the time limit.
- :mod:`.snapshot`: the private copy of the store the workers open (no build index).
- :mod:`.worker`: the worker process (pyoxigraph parses, evaluates and serialises).
- :mod:`.answer`: :class:`QueryAnswer` (a streamed body) and :class:`Table` (read back).
- :mod:`.describe`: the service description and the example queries.
"""
from .answer import QueryAnswer, Table
from .check import CheckedQuery, check_query
from .describe import example_queries, service_description
from .run import SparqlService, answer_format

__all__ = ["SparqlService", "QueryAnswer", "Table", "CheckedQuery", "check_query",
           "answer_format", "service_description", "example_queries"]
