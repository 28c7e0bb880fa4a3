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
from typing import Sequence

from ..kg import KnowledgeGraph, PolicyKGError, Settings


def _store_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--store", metavar="DIR",
                        help="the store: a directory or sparql+http://host:port/path "
                             "(default: $POLICYKG_STORE, else ~/.local/share/policykg/store)")
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``policykg`` (also used to document the CLI)."""
    store = _store_parent()
    parser = argparse.ArgumentParser(
        prog="policykg",
        description="Chinese policy documents as a knowledge graph: parse, build, search, "
                    "query with SPARQL, explore on the web.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("parse", help="show a document's metadata and structure")
    p.add_argument("file", help="a .txt, .md or .html file")
    p.add_argument("--json", action="store_true", help="print the parse as one JSON object")

    p = sub.add_parser("build", parents=[store], help="ingest files or directories into the store")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--prune", action="store_true",
                   help="remove documents whose files are gone from the given directories")
    p.add_argument("--no-embed", action="store_true", help="skip computing embeddings")

    p = sub.add_parser("search", parents=[store], help="ask a question in Chinese or English")
    p.add_argument("query")
    p.add_argument("--type", choices=["task", "entity", "sentence", "document"],
                   help="result type (default: from the question's intent)")
    p.add_argument("-k", type=int, default=None, help="most results (default: setting search_k)")
    p.add_argument("--document", help="only this document (IRI or title)")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="documents issued on or after")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="documents issued on or before")
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

    p = sub.add_parser("documents", parents=[store], help="list the documents in the store")
    p.add_argument("--json", action="store_true")
    p.add_argument("--grep", metavar="TEXT", help="only titles, issuers or files containing TEXT")
    p.add_argument("--kind", help="only documents of this kind (意见, 通知, 条例, 报告 …)")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="issued on or after DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="issued on or before DATE")

    p = sub.add_parser("graph", parents=[store], help="entity–task graph analytics")
    gsub = p.add_subparsers(dest="graph_command", required=True, metavar="WHAT")
    gsub.add_parser("stats", parents=[store], help="sizes and the most central entities")
    g = gsub.add_parser("path", parents=[store], help="the shortest connection between two entities")
    g.add_argument("a")
    g.add_argument("b")
    gsub.add_parser("communities", parents=[store], help="communities of tasks and entities")

    p = sub.add_parser("serve", parents=[store], help="run the web app (builds the sample on first run)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``policykg`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    # jieba announces building its prefix dictionary on every start (its import
    # sets its logger to DEBUG); a CLI user only needs to hear about problems.
    import jieba

    jieba.setLogLevel(logging.WARNING)
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
    with KnowledgeGraph.open(_settings(args)) as kg:
        report = kg.build(args.paths, prune=args.prune, progress=True, embed=not args.no_embed)
    print(report.summary())
    return 0 if report.ok else 1


def cmd_search(args: argparse.Namespace) -> int:
    with KnowledgeGraph.open(_settings(args), read_only=True) as kg:
        result = kg.search(args.query, type=args.type, k=args.k, document=args.document,
                           date_from=args.date_from, date_to=args.date_to, kind=args.kind)
    if args.json:
        _print_json(result.to_json())
    else:
        print(result.to_text())
    return 0


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


_SPARQL_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
}


def cmd_sparql(args: argparse.Namespace) -> int:
    with KnowledgeGraph.open(_settings(args), read_only=True) as kg:
        answer = kg.query(_read_query(args.query), accept=_SPARQL_FORMATS.get(args.format))
    if args.format == "table":
        print(answer.to_text())
    else:
        sys.stdout.buffer.write(answer.body)
        sys.stdout.flush()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with KnowledgeGraph.open(_settings(args), read_only=True) as kg:
        if args.output:
            with open(args.output, "wb") as out:
                kg.export(args.format, out)
        else:
            kg.export(args.format, sys.stdout.buffer)
    return 0


def cmd_documents(args: argparse.Namespace) -> int:
    from ..kg.resource import filter_documents

    with KnowledgeGraph.open(_settings(args), read_only=True) as kg:
        docs = kg.documents()
    docs = filter_documents(docs, text=args.grep, kind=args.kind, date_from=args.date_from,
                            date_to=args.date_to)
    if args.json:
        _print_json([d.to_json() for d in docs])
    else:
        for d in docs:
            print(d.to_text())
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    with KnowledgeGraph.open(_settings(args), read_only=True) as kg:
        if args.graph_command == "stats":
            _print_json(kg.graph_stats())
        elif args.graph_command == "path":
            steps = kg.connection(args.a, args.b)
            print(" → ".join(f"{s['label']} [{s['type']}]" if "type" in s else s["label"]
                             for s in steps))
        else:
            for i, community in enumerate(kg.communities(), 1):
                print(f"{i}. " + "、".join(n["label"] for n in community))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import create_app, ensure_sample

    settings = _settings(args)
    ensure_sample(settings)
    app = create_app({"POLICYKG": settings})
    print(f"policykg: serving {settings.store} on http://{args.host}:{args.port}/", file=sys.stderr)
    app.run(host=args.host, port=args.port, threaded=True)
    return 0


_COMMANDS = {
    "parse": cmd_parse,
    "build": cmd_build,
    "search": cmd_search,
    "sparql": cmd_sparql,
    "export": cmd_export,
    "documents": cmd_documents,
    "graph": cmd_graph,
    "serve": cmd_serve,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
