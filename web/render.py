"""Text renderings for the terminal: search results with the matched words marked."""
from __future__ import annotations

import sys
from typing import Any

__all__ = ["compare_text", "document_line", "facts_lines", "search_text", "target_text"]


def search_text(result: Any, *, ansi: bool | None = None) -> str:
    """A ``kg.search.SearchResult`` as plain text: number, title, score and evidence.

    Matched words are bold on a terminal (``ansi``; default: when stdout is one),
    else in 【】.
    """
    if ansi is None:
        ansi = sys.stdout.isatty()
    mark = ("\033[1m", "\033[0m") if ansi else ("【", "】")
    lines = [f"{result.query} → {result.type}: {len(result.results)} result(s)"]
    total = getattr(result, "total", None)
    if total is not None and getattr(result, "answer", "ranked") == "ranked":
        lines[0] += f" ({total} hold the words verbatim)"
    elif total is not None and total > len(result.results):
        first = getattr(result, "offset", 0) + 1
        lines[0] += f" ({first}–{first + len(result.results) - 1} of {total})"
    translated = getattr(result, "translated", None)
    if translated and result.results:
        lines.append("  read as 译作: " + "; ".join(
            f"{t['en']} → {'、'.join(t['zh'])}" for t in translated))
    undated = getattr(result, "undated", 0)
    if undated:
        lines.append(f"  ({undated} document(s) without a date left out by the date filter)")
    if not result.results:
        lines.append(f"  {result.message or 'nothing relevant found'}")
    first = getattr(result, "offset", 0) + 1
    for rank, hit in enumerate(result.results, first):
        lines += hit_lines(rank, hit, mark)
    more = getattr(result, "more", None) or []
    if more:
        lines.append(f"  — {len(more)} more, below the relevance cut-off or without the words "
                     "asked for · 更多结果 —")
    for rank, hit in enumerate(more, first + len(result.results)):
        lines += hit_lines(rank, hit, mark)
    return "\n".join(lines)


def hit_lines(rank: int, hit: Any, mark: tuple[str, str]) -> list[str]:
    """One hit as text: rank, label, type and score, its document and evidence."""
    head = hit.label if not hit.number or hit.label.startswith(hit.number) \
        else f"{hit.number}. {hit.label}"
    # "#1  2. 打造…": the rank apart from the task's own number
    weight = f"{hit.mentions} mention(s)" if getattr(hit, "mentions", None) is not None \
        else f"score {hit.score:.2f}"
    lines = [f"#{rank:<2} {head}  [{hit.type}, {weight}]"]
    if hit.title and hit.type != "document":
        lines.append(f"    《{hit.title}》" + (f" {hit.date}" if hit.date else ""))
    for ev in hit.evidence:
        lines.append(f"    … {mark_text(ev.text, ev.highlights, mark)}")
    return lines + [f"    {line}" for line in facts_lines(hit)]


def facts_lines(hit: Any) -> list[str]:
    """One line each for the duties, deadlines and targets a hit carries (issue 15)."""
    lines = []
    duties = getattr(hit, "duties", None)
    if duties is not None:
        roles: dict[str, list[str]] = {}
        for duty in duties:
            roles.setdefault(duty.role, []).append(duty.label)
        lines.append("duties: " + ("; ".join(f"{role} {'、'.join(names)}"
                                             for role, names in roles.items()) or "none recorded"))
    deadlines = getattr(hit, "deadlines", None)
    if deadlines is not None:
        lines.append("deadlines: " + ("; ".join(
            d.value + (f" ({d.evidence})" if d.evidence else "") for d in deadlines[:FACTS_SHOWN])
            or "none recorded") + _more_facts(deadlines))
    targets = getattr(hit, "targets", None)
    if targets is not None:
        lines.append("targets: " + ("; ".join(target_text(t) for t in targets[:FACTS_SHOWN])
                                    or "none recorded") + _more_facts(targets))
    return lines


#: Deadlines or targets shown per hit (a report's section can hold 80 figures); the JSON has all.
FACTS_SHOWN = 8


def _more_facts(items: list) -> str:
    return f"; … ({len(items)} in all)" if len(items) > FACTS_SHOWN else ""


def target_text(target: Any) -> str:
    """A target as one phrase: indicator, comparator, value and unit, year.

    >>> from types import SimpleNamespace as T
    >>> target_text(T(indicator="可渗透地面面积比例", comparator=">=", value=40.0, unit="%",
    ...               year="2025"))
    '可渗透地面面积比例 ≥ 40% (2025)'
    """
    comparator = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}.get(
        target.comparator, target.comparator)
    value = f"{target.value:g}{target.unit}"
    return (f"{target.indicator} {comparator} {value}".replace("  ", " ")
            + (f" ({target.year})" if target.year else ""))


def mark_text(text: str, spans: list[tuple[int, int]], mark: tuple[str, str]) -> str:
    """``text`` with each span wrapped in ``mark`` (an overlapping span is skipped).

    >>> mark_text("航空服务", [(0, 2)], ("【", "】"))
    '【航空】服务'
    """
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], mark[0], text[start:end], mark[1]]
        last = end
    out.append(text[last:])
    return "".join(out)


def document_line(doc: Any) -> str:
    """A ``kg.resource.DocumentSummary`` as two lines: date, kind, title, issuer; IRI and counts."""
    # a year alone ("2015") is padded to a full date's width, so that the kinds line up
    date = f"{doc.date or '????-??-??':<10}"
    head = " ".join(x for x in (date, f"[{doc.kind}]" if doc.kind else "", doc.title) if x)
    issuer = f" — {doc.issuer}" if doc.issuer else ""
    return (f"{head}{issuer}\n    {doc.iri}  units {doc.units}, tasks {doc.tasks}, "
            f"entities {doc.entities}, mentions {doc.mentions}")


_PREDICATES = {"repeals": "废止 repeals", "amends": "修改 amends", "implements": "落实 implements",
               "cites": "引用 cites"}


def compare_text(c: Any, *, shown: int = 8) -> str:
    """A ``kg.compare.Comparison`` as plain text: the two documents, their links, entities and
    topics in both or one, and the most similar units and sentences (``shown`` of each)."""
    lines = []
    for name, side in (("A", c.a), ("B", c.b)):
        meta = ", ".join(x for x in (side.date, side.kind, side.issuer, side.identifier) if x)
        lines.append(f"{name}: {side.title}" + (f" ({meta})" if meta else "")
                     + f"  units {side.units}, sentences {side.sentences}")
    for r in c.relations:
        lines.append(f"{'A' if r.source == c.a.iri else 'B'} {_PREDICATES.get(r.predicate, r.predicate)} "
                     f"{'B' if r.target == c.b.iri else 'A'}" + (f": {r.evidence}" if r.evidence else ""))
    if c.method == "words":
        lines.append("(no stored vectors for these documents: similar passages by shared entities and words)")
    for title, side in (("entities in both", "both"), ("only in A", "a"), ("only in B", "b")):
        rows = c.entities_on(side)
        names = [f"{e.zh} ({e.a}/{e.b})" if side == "both" else f"{e.zh} ({e.a or e.b})" for e in rows]
        lines.append(f"{title} [{len(rows)}]: " + ("、".join(names[:30]) + (" …" if len(names) > 30 else "")
                                                  if names else "none"))
    for title, side in (("topics in both", "both"), ("topics only in A", "a"), ("topics only in B", "b")):
        lines.append(f"{title}: " + ("、".join(t.zh for t in c.topics_on(side)) or "none"))
    for title, pairs in (("most similar units", c.units), ("most similar sentences", c.sentences)):
        lines.append(f"{title}:")
        for p in pairs[:shown]:
            lines.append(f"  {p.score:.2f}  A: {_excerpt(p.a)}")
            lines.append(f"        B: {_excerpt(p.b)}")
        if not pairs:
            lines.append("  none")
    lines.append(f"identical sentences: {len(c.identical)}")
    return "\n".join(lines)


def _excerpt(item: Any) -> str:
    """A unit by its title (an article, titled by its number only, with its first words), or
    the start of a sentence."""
    if item.label and len(item.label) > 8:
        return item.label
    text = item.text if not item.label or item.text.startswith(item.label) else f"{item.label} {item.text}"
    return text[:60] + ("…" if len(text) > 60 and not text[:61].endswith("…") else "")
