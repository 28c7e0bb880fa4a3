"""The entry of policykg's child processes: ``python -m policykg.kg.child``.

A big store's search tables and entity graph are read by a child (see
:meth:`kg.cache.Tables.save_in_child`): it reads one JSON request on standard
input, ``{"name": "search" | "graph", "settings": {...}}``, opens the store
read-only, loads that table (which saves it beside the store) and exits 0.
This is the one module of kg besides ``kg/__init__`` that imports the
composition root.
"""
from __future__ import annotations

import json
import sys

from .graph import KnowledgeGraph
from .settings import Settings


def main() -> int:
    """Read the request on stdin, save the table it names; the exit status."""
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    settings = Settings(**request["settings"])
    # a child never starts a grandchild: it reads the store itself
    with KnowledgeGraph.open(settings, read_only=True, table_children=False) as kg:
        kg.save_table(request["name"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
