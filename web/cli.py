"""The ``policykg`` command line: parse, build, search, sparql, export, graph, serve.

Every command takes ``--store DIR`` (or the setting ``POLICYKG_STORE``).
Errors a user can cause print one line and exit with status 1; nothing
prints a traceback.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..kg import PolicyKGError, Settings, date_bound
from .render import compare_text, document_line, search_text

if TYPE_CHECKING:
    from ..kg import KnowledgeGraph


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``policykg: error: …``) and exit 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"policykg: error: {self.prog.removeprefix('policykg ')}: {message}\n"
                  if self.prog != "policykg" else f"policykg: error: {message}\n")


def _date(text: str) -> str:
    """A date argument: YYYY, YYYY-MM or YYYY-MM-DD naming a real period."""
    try:
        date_bound(text)
    except PolicyKGError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _bounded(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {span}, not {value}")
        return value

    parse.__name__ = "number"
    return parse


def _store_parent() -> argparse.ArgumentParser:
    parent = _Parser(add_help=False)
    parent.add_argument("--store", metavar="DIR",
                        help="the store: a directory or sparql+http://host:port/path "
                             "(default: $POLICYKG_STORE, else ~/.local/share/policykg/store)")
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``policykg`` (also used to document the CLI)."""
    store = _store_parent()
    parser = _Parser(
        prog="policykg",
        description="Chinese policy documents as a knowledge graph: parse, build, search, "
                    "query with SPARQL, explore on the web.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_building_commands(sub, store)
    _add_reading_commands(sub, store)
    _add_listing_commands(sub, store)
    p = sub.add_parser("serve", parents=[store], help="run the web app (builds the sample on first run)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_bounded(1, 65535), default=5000, help="1–65535 (default 5000)")
    p.add_argument("--debug", action="store_true",
                   help="werkzeug's development server with its debugger (never on a network)")
    return parser


def _add_building_commands(sub: Any, store: argparse.ArgumentParser) -> None:
    """``parse`` and ``build``."""
    p = sub.add_parser("parse", help="show a document's metadata and structure")
    p.add_argument("file", help="a .txt, .md, .html, .pdf, .docx, .doc, .wps or .ofd file")
    p.add_argument("--json", action="store_true", help="print the parse as one JSON object")

    p = sub.add_parser("build", parents=[store], help="ingest files or directories into the store")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--prune", action="store_true",
                   help="remove documents whose files are gone from the given directories")
    p.add_argument("--no-embed", action="store_true", help="skip computing embeddings")


def _add_date_range(p: argparse.ArgumentParser, what: str) -> None:
    """``--from`` and ``--to`` as checked dates."""
    p.add_argument("--from", dest="date_from", metavar="DATE", type=_date,
                   help=f"{what} on or after (YYYY, YYYY-MM or YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", metavar="DATE", type=_date,
                   help=f"{what} on or before (YYYY, YYYY-MM or YYYY-MM-DD)")


def _add_reading_commands(sub: Any, store: argparse.ArgumentParser) -> None:
    """``search``, ``sparql`` and ``export``."""
    p = sub.add_parser("search", parents=[store], help="ask a question in Chinese or English")
    p.add_argument("query")
    p.add_argument("--type", choices=["task", "entity", "sentence", "document"],
                   help="result type (default: from the question's intent)")
    p.add_argument("-k", type=_bounded(1), default=None,
                   help="most results, at least 1 (default: setting search_k); with --all, "
                        "the page size")
    p.add_argument("--all", dest="all_matches", action="store_true",
                   help="every sentence, task or document holding the words verbatim, ranked, "
                        "k at a time")
    p.add_argument("--offset", type=_bounded(0), default=0, metavar="N",
                   help="with --all (or a list question): skip the first N (default 0)")
    p.add_argument("--document", help="only this document (IRI or title)")
    _add_date_range(p, "documents issued")
    p.add_argument("--kind", help="only documents of this kind (意见, 通知, 条例, 报告 …)")
    p.add_argument("--json", action="store_true", help="print results as JSON")

    p = sub.add_parser("sparql", parents=[store], help="run a read-only SPARQL query")
    p.add_argument("query", help="the query text, @FILE, or - for standard input")
    p.add_argument("--format", default="table",
                   choices=["table", "json", "xml", "csv", "tsv", "turtle", "nt", "jsonld"])

    p = sub.add_parser("export", parents=[store], help="write the whole graph to a file")
    p.add_argument("--format", default="trig",
                   choices=["trig", "ttl", "nt", "nq", "jsonld", "graphml", "json"])
    p.add_argument("-o", "--output", metavar="FILE", help="default: standard output")


def _add_listing_commands(sub: Any, store: argparse.ArgumentParser) -> None:
    """``documents``, ``duties`` and ``graph``."""
    p = sub.add_parser("documents", parents=[store], help="list the documents in the store")
    p.add_argument("--json", action="store_true")
    p.add_argument("--grep", metavar="TEXT", help="only titles, issuers or files containing TEXT")
    p.add_argument("--kind", help="only documents of this kind (意见, 通知, 条例, 报告 …)")
    _add_date_range(p, "issued")

    p = sub.add_parser("compare", parents=[store], help="what two documents share and where they differ")
    p.add_argument("a", help="a document: its IRI, id or a unique part of its title or file name")
    p.add_argument("b", help="the other document")
    p.add_argument("-k", type=_bounded(1, 200), default=8, help="pairs of similar units and sentences (default 8)")
    p.add_argument("--json", action="store_true", help="print the whole comparison as one JSON object")

    p = sub.add_parser("duties", parents=[store], help="who leads or cooperates on which task, due when (督办)")
    p.add_argument("--unit", metavar="NAME", help="only this unit (any of its names, or part of one)")
    p.add_argument("--due-before", metavar="DATE", type=_date,
                   help="only tasks due on or before DATE (YYYY, YYYY-MM or YYYY-MM-DD)")
    p.add_argument("--csv", action="store_true", help="CSV for a spreadsheet instead of a table")

    p = sub.add_parser("graph", parents=[store], help="entity–task graph analytics")
    gsub = p.add_subparsers(dest="graph_command", required=True, metavar="WHAT")
    g = gsub.add_parser("stats", parents=[store], help="sizes and the most central entities")
    g.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    g = gsub.add_parser("path", parents=[store], help="the shortest connection between two entities")
    g.add_argument("a")
    g.add_argument("b")
    gsub.add_parser("communities", parents=[store], help="communities of tasks and entities")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``policykg`` command; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a bad argument (already said in one line)
        return exc.code if isinstance(exc.code, int) else 2
    # jieba and bm25s set their own loggers to DEBUG on import (jieba announces its prefix
    # dictionary, bm25s every index it builds), which waitress's root handler would print into
    # the server log; a CLI user or an operator only needs to hear about problems.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    try:
        return _COMMANDS[args.command](args) or 0
    except PolicyKGError as exc:
        print(f"policykg: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("policykg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load({"store": getattr(args, "store", None)})


def _open(args: argparse.Namespace, read_only: bool = False) -> KnowledgeGraph:
    """The graph of the command's store; imported here, so that ``--help`` and ``serve``'s
    parent process do not load the store's libraries."""
    from ..kg import KnowledgeGraph

    return KnowledgeGraph.open(_settings(args), read_only=read_only)


def _print_json(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_parse(args: argparse.Namespace) -> int:
    from ..ingest import format_outline, parse_file

    doc = parse_file(args.file)
    if args.json:
        _print_json(doc.to_json())
    else:
        print(format_outline(doc))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    with _open(args) as kg:
        report = kg.build(args.paths, prune=args.prune, progress=True, embed=not args.no_embed)
    print(report.summary())
    return 0 if report.ok else 1


def cmd_search(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as kg:
        result = kg.search(args.query, type=args.type, k=args.k, document=args.document,
                           date_from=args.date_from, date_to=args.date_to, kind=args.kind,
                           all_matches=args.all_matches, offset=args.offset)
    if args.json:
        _print_json(result.to_json())
        return 0
    print(search_text(result))
    more = _more_hint(result)
    if more:
        print(more)
    return 0


def _more_hint(result: Any) -> str | None:
    """The flags that show the matches this answer leaves out, or None."""
    total, shown = getattr(result, "total", None), len(result.results)
    if total is None:
        return None
    if getattr(result, "answer", "ranked") == "ranked":
        return f"  … all {total} matches: --all" if total > shown else None
    following = getattr(result, "offset", 0) + shown
    return f"  … {total - following} more: --offset {following}" \
        if shown and following < total else None


def _read_query(text: str) -> str:
    if text == "-":
        return sys.stdin.read()
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyKGError(f"{path}: cannot read query: {exc}") from None
    return text


def _sparql_text(table) -> str:
    """A SPARQL answer (``kg.sparql.Table``) as a plain-text table, IRIs as prefixed names."""
    import unicodedata

    from ..kg import curie

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    def cell(term: dict | None) -> str:
        if term is None:
            return ""
        if term["type"] == "uri":
            short = curie(term["value"])
            return short if short != term["value"] else f"<{short}>"
        if term["type"] == "bnode":
            return f"_:{term['value']}"
        text = str(term["value"]).replace("\n", " ")
        text = text if len(text) <= 60 else text[:59] + "…"
        return f'"{text}"@{term["xml:lang"]}' if "xml:lang" in term else text

    if table.kind == "ask":
        return "true" if table.boolean else "false"
    header = list(table.columns)
    lines = [[cell(c) for c in row] for row in table.rows]
    widths = [max([width(h)] + [width(r[i]) for r in lines]) for i, h in enumerate(header)]

    def pad(text: str, w: int) -> str:
        return text + " " * (w - width(text))

    out = [" | ".join(pad(h, w) for h, w in zip(header, widths)),
           "-+-".join("-" * w for w in widths)]
    out += [" | ".join(pad(c, w) for c, w in zip(r, widths)) for r in lines]
    out.append(f"({len(table.rows)} {'triples' if table.kind == 'graph' else 'rows'})")
    return "\n".join(out)


def cmd_sparql(args: argparse.Namespace) -> int:
    fmt = None if args.format == "table" else args.format
    with _open(args, read_only=True) as kg:
        answer = kg.query(_read_query(args.query), results_format=fmt or "json",
                          graph_format=fmt or "nt")
        if fmt is None:
            print(_sparql_text(answer.table()))
        else:
            for chunk in answer.chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    output = Path(args.output) if args.output else None
    if output is not None and output.is_dir():
        raise PolicyKGError(f"{output}: is a directory; give a file name, e.g. {output / 'kg.trig'}")
    with _open(args, read_only=True) as kg:
        if output is None:
            kg.export(args.format, sys.stdout.buffer)
            return 0
        try:
            with open(output, "wb") as out:
                kg.export(args.format, out)
        except OSError as exc:
            raise PolicyKGError(f"{output}: cannot write: {exc.strerror or exc}") from None
    size = output.stat().st_size
    print(f"policykg: wrote {output} ({args.format}, {_size(size)})", file=sys.stderr)
    return 0


def _size(n: int) -> str:
    """A byte count for people: 812 bytes, 14.2 kB, 3.1 MB."""
    if n < 1000:
        return f"{n} bytes"
    for unit in ("kB", "MB", "GB"):
        n /= 1000
        if n < 1000 or unit == "GB":
            return f"{n:.1f} {unit}"
    return f"{n:.1f} GB"  # pragma: no cover


def cmd_documents(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as kg:
        docs = kg.documents(text=args.grep, kind=args.kind, date_from=args.date_from,
                            date_to=args.date_to)

    if args.json:
        _print_json([d.to_json() for d in docs])
    else:
        for d in docs:
            print(document_line(d))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as kg:
        comparison = kg.compare(args.a, args.b, limit=args.k)
    if args.json:
        _print_json(comparison.to_json())
    else:
        print(compare_text(comparison, shown=args.k))
    return 0


def cmd_duties(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as kg:
        rows = kg.duties(unit=args.unit, due_before=args.due_before)
    roles = {"lead": "牵头", "cooperating": "配合", "responsible": "责任"}
    table = [[a.unit_label, roles[a.role], a.due or "", a.task_label, a.document_title, a.evidence]
             for a in rows]
    headers = ["单位 unit", "职责 role", "时限 due", "任务 task", "文件 document", "依据 evidence"]
    if args.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(["unit", "role", "due", "task", "document", "evidence", "task_iri", "unit_iri"])
        for a, row in zip(rows, table):
            writer.writerow([a.unit_label, a.role, a.due or "", a.task_label, a.document_title, a.evidence,
                             a.task, a.unit])
    elif rows:
        print(_table(headers, [[c if len(c) <= 40 else c[:39] + "…" for c in r] for r in table]))
    else:
        print("no duties found", file=sys.stderr)
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as kg:
        if args.graph_command == "stats":
            stats = kg.graph_stats()
            if args.json:
                _print_json(stats)
            else:
                print(_stats_table(stats))
        elif args.graph_command == "path":
            steps = kg.connection(args.a, args.b)
            print(" → ".join(f"{s['label']} [{s['type']}]" if "type" in s else s["label"]
                             for s in steps))
        else:
            for i, community in enumerate(kg.communities(), 1):
                print(f"{i}. " + "、".join(n["label"] for n in community))
    return 0


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table, columns padded to their widest cell (CJK counted double)."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(row, widths)).rstrip()

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]),
                      *(line(r) for r in cells[1:])])


def _stats_table(stats: dict) -> str:
    """``graph stats`` for people: sizes, then nodes by type, edges by predicate, rankings."""
    parts = [_table(["figure", "value"],
                    [("nodes", stats.get("nodes", 0)), ("edges", stats.get("edges", 0)),
                     ("components", stats.get("components", 0)),
                     ("betweenness", stats.get("betweenness", ""))])]
    parts.append(_table(["node type", "nodes"], sorted(
        (stats.get("nodes_by_type") or {}).items(), key=lambda kv: (-kv[1], kv[0]))))
    parts.append(_table(["edge predicate", "edges"], sorted(
        (stats.get("edges_by_predicate") or {}).items(), key=lambda kv: (-kv[1], kv[0]))))
    for key, title in (("top_degree", "degree"), ("top_betweenness", "betweenness")):
        rows = [(i, n.get("label", ""), n.get("type", ""),
                 f"{n[title]:.4f}" if isinstance(n.get(title), float) else n.get(title, ""))
                for i, n in enumerate(stats.get(key) or (), 1)]
        if rows:
            parts.append(_table(["#", "entity", "type", title], rows))
    return "\n\n".join(parts)


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import SERVERS as _SERVERS

    settings = _settings(args)
    server = settings.server.strip().lower()
    if not args.debug and server not in _SERVERS:
        raise PolicyKGError(f"setting server: expected one of {', '.join(_SERVERS)}, "
                            f"got {settings.server!r}")
    if args.debug:
        from .app import create_app, ensure_sample  # the servers make the app in their worker

        ensure_sample(settings)
        app = create_app({"POLICYKG": settings})
        print(f"policykg: serving {settings.store} on http://{args.host}:{args.port}/",
              file=sys.stderr)
        # werkzeug's development server: reloader off, tracebacks in the browser
        app.run(host=args.host, port=args.port, threaded=True, debug=True, use_reloader=False)
        return 0
    print(f"policykg: serving {settings.store} on http://{args.host}:{args.port}/ ({server})",
          file=sys.stderr)
    _SERVERS[server](settings, args.host, args.port)
    return 0


_COMMANDS = {
    "parse": cmd_parse,
    "build": cmd_build,
    "search": cmd_search,
    "sparql": cmd_sparql,
    "export": cmd_export,
    "documents": cmd_documents,
    "duties": cmd_duties,
    "compare": cmd_compare,
    "graph": cmd_graph,
    "serve": cmd_serve,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
