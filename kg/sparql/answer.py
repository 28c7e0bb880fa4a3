"""The answer to one query: its kind, its format and its body as it streams from the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..formats import Format

__all__ = ["QueryAnswer", "Table"]


@dataclass(frozen=True)
class Table:
    """An answer read back as a table (for pages and the CLI).

    ``rows`` hold SPARQL-JSON terms (``{"type", "value", "xml:lang"?, "datatype"?}``)
    or ``None`` where unbound; a graph answer has the columns subject,
    predicate, object; an ASK answer has ``boolean`` set and no rows.
    """

    kind: str
    columns: tuple[str, ...]
    rows: tuple[tuple[dict | None, ...], ...]
    boolean: bool | None = None


@dataclass
class QueryAnswer:
    """One answer: ``kind`` is ``select``, ``ask`` or ``graph`` (CONSTRUCT/DESCRIBE).

    ``chunks`` yields the body, encoded by the engine in ``format``; read it
    once (:meth:`read` keeps it). A small answer arrives whole (a list, see
    :attr:`complete`); a big one streams. ``elapsed`` is the time to the first chunk.
    """

    kind: str
    format: Format
    chunks: Iterable[bytes]
    elapsed: float = 0.0
    _body: bytes | None = field(default=None, repr=False)

    @property
    def complete(self) -> bool:
        """True when the whole body has already arrived (a small answer): no stream to hold."""
        return isinstance(self.chunks, (list, tuple)) or self._body is not None

    @property
    def media_type(self) -> str:
        """The media type of the body."""
        return self.format.media_type

    def read(self) -> bytes:
        """The whole body (streams it to the end the first time)."""
        if self._body is None:
            self._body = b"".join(self.chunks)
        return self._body

    @property
    def body(self) -> bytes:
        """The whole body, as :meth:`read`."""
        return self.read()

    def close(self) -> None:
        """Stop reading (frees the engine's worker if the body was not read to the end)."""
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()

    def table(self) -> Table:
        """The body read back by pyoxigraph as a table.

        Raises:
            ValueError: the format cannot be read back (CSV is lossy).
        """
        import pyoxigraph as ox

        body = self.read()
        if self.kind == "graph":
            triples = ox.parse(body, format=getattr(ox.RdfFormat, self.format.engine))
            rows = tuple((_term(t.subject), _term(t.predicate), _term(t.object)) for t in triples)
            return Table("graph", ("subject", "predicate", "object"), rows)
        if self.format.engine == "CSV":
            raise ValueError("CSV results cannot be read back as a table")
        results = ox.parse_query_results(body, format=getattr(ox.QueryResultsFormat,
                                                              self.format.engine))
        if isinstance(results, ox.QueryBoolean):
            return Table("ask", ("boolean",), (), bool(results))
        columns = tuple(v.value for v in results.variables)
        rows = tuple(tuple(_term(s[c]) for c in columns) for s in results)
        return Table("select", columns, rows)


def _term(term) -> dict | None:
    """A pyoxigraph term as a SPARQL-JSON term."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": str(term)}
