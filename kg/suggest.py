"""Names suggested as a user types (the graph page's centre box): entities and tasks by a part of
any of their names.

Services layer: reads the store once per generation into a table of (subject, name, kind) kept
beside it (``kg.cache.Tables``); a suggestion is a scan of that table in memory. Reading the
store for every keystroke took 3 s on the corpus (a ``CONTAINS`` over every label).
"""
from __future__ import annotations

import re
from typing import Any

from .errors import PolicyKGError
from .workspace import TYPE_OF_VALUE, Name, names_of

__all__ = ["suggest_names", "name_table"]

_TABLE = "name list v1"  # the layout of the saved table: a new one ignores old files
_MAX_SUGGESTIONS = 50


def name_table(store: Any, tables: Any = None) -> dict[str, list[str]]:
    """Every name (label, preferred or other label) of the entities and tasks, as three columns:
    ``s`` (subject IRI), ``name``, ``kind`` (``pol:entityType`` value or ``Task``); saved in
    ``tables`` for the store's generation."""
    # read from its file on every call, not kept: 9 ms a keystroke on the corpus (13,000
    # names, 1.4 MB) against 4 MB held by the server for a box few pages use
    saved = tables.load("names", _TABLE) if tables is not None else None
    if isinstance(saved, dict) and len(saved.get("s", ())) == len(saved.get("name", ())) \
            == len(saved.get("kind", ())):
        return saved
    rows = list(store.select_rows("""
        SELECT DISTINCT ?s ?l ?kind WHERE {
          { ?s pol:entityType ?kind } UNION { ?s a pol:Task BIND ("Task" AS ?kind) }
          ?s rdfs:label|skos:prefLabel|skos:altLabel ?l }"""))
    table = {"s": [r["s"] for r in rows], "name": [r["l"] or "" for r in rows],
             "kind": [r["kind"] or "" for r in rows]}
    if tables is not None:
        tables.save("names", _TABLE, table)
    return table


def suggest_names(store: Any, text: str, *, limit: int = 10, tables: Any = None) -> list[Name]:
    """Entities and units whose name or alias contains ``text``, case aside (the name itself,
    then names starting with it, then shorter names first).

    Raises:
        PolicyKGError: (kind ``invalid``) an empty ``text``.
    """
    needle = (text or "").strip()
    if not needle:
        raise PolicyKGError("请输入名称中的几个字 · give a few characters of a name to look for")
    limit = max(1, min(limit, _MAX_SUGGESTIONS))
    table, folded = name_table(store, tables), needle.casefold()
    # Latin letters match where a word of the name begins ("Hong" is Hongqiao, not the "hong"
    # inside Zhonggong, the pinyin of 中共); Chinese has no spaces and matches anywhere
    word_start = re.compile(r"(?<![a-z0-9])" + re.escape(folded)) if needle.isascii() else None
    best: dict[str, tuple[int, int, str]] = {}
    for s, label, kind in zip(table["s"], table["name"], table["kind"]):
        name = label.casefold()
        if folded not in name or (word_start is not None and not word_start.search(name)):
            continue
        rank = (0 if name == folded else 1 if name.startswith(folded) else 2, len(label))
        if s not in best or rank < best[s][:2]:
            best[s] = (*rank, kind)
    chosen = sorted(best, key=lambda s: (best[s][:2], s))[:limit]
    names = names_of(store, set(chosen))
    for s in chosen:
        names[s].type = TYPE_OF_VALUE.get(best[s][2], best[s][2])
    return [names[s] for s in chosen]
