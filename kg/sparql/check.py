"""Checking an untrusted query before the engine sees it: what it is, and whether it may run.

Oxigraph parses the query (in the worker, within the time limit); what its
Python API cannot tell is whether the parsed query calls ``SERVICE`` (which
would make the server fetch from another host) or names its own dataset
(``FROM``). Both are keywords of the grammar, so they are found on the
query's *tokens*: a linear, iterative scan that skips strings, IRIs,
comments and variables exactly as the SPARQL 1.1 grammar (section 19.8)
defines them. Any other spelling of ``SERVICE`` (a local name ``ex:SERVICE``,
a prefix ``SERVICE:``) is refused too: a false alarm costs a rename, a miss
would cost an outbound request.

    >>> check_query("SELECT * WHERE { ?s ?p 'SERVICE' }").form
    'select'
    >>> check_query("PREFIX ex: <http://e/> CONSTRUCT WHERE { ?s ex:p ?o }").form
    'construct'
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import QueryError, QueryRefused

__all__ = ["CheckedQuery", "check_query", "needs_scan", "syntax_message", "UPDATE_KEYWORDS"]

#: The first keyword of every SPARQL 1.1 Update operation.
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD",
                             "MOVE", "COPY", "WITH"})
_FORMS = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "construct", "DESCRIBE": "describe"}

# PN_CHARS_BASE, PN_CHARS_U and VARNAME of the grammar (section 19.8).
_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF"
         "\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
         "\U00010000-\U000EFFFF")
_VARNAME = f"[{_BASE}_0-9][{_BASE}_0-9\u00B7\u0300-\u036F\u203F-\u2040]*"
_ECHAR = r"\\[tbnrf\\\"']"
_TOKEN = re.compile(
    # runs of what cannot start a string, IRI, comment, variable or word come first:
    # numbers, punctuation and spaces are skipped in one step (a 100,000-value VALUES
    # block is a handful of tokens)
    r"""(?P<other>[^#'"<?$""" + _BASE + r"""_]+)
      | (?P<word>[""" + _BASE + r"""_][""" + _BASE + r"""_0-9\-]*)
      | (?P<comment>\#[^\n\r]*)
      | (?P<long1>'''(?:(?:'|'')?(?:[^'\\]|""" + _ECHAR + r"""))*''')
      | (?P<long2>\"\"\"(?:(?:"|"")?(?:[^"\\]|""" + _ECHAR + r"""))*\"\"\")
      | (?P<string1>'(?:[^'\\\n\r]|""" + _ECHAR + r""")*')
      | (?P<string2>"(?:[^"\\\n\r]|""" + _ECHAR + r""")*")
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$]""" + _VARNAME + r""")
      | (?P<quote>['"])
      | (?P<single>.)""",
    re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class CheckedQuery:
    """What the token scan found.

    Attributes:
        form: ``select``, ``ask``, ``construct`` or ``describe`` (``""`` when the
            text starts with none of them: the engine will say why).
        has_dataset: the query names its own dataset (``FROM`` / ``FROM NAMED``).
    """

    form: str
    has_dataset: bool


def check_query(text: str) -> CheckedQuery:
    """Scan a query's tokens: refuse updates and ``SERVICE``, say its form.

    Raises:
        QueryError: empty, or a string literal is not closed.
        QueryRefused: an update (INSERT, DELETE, LOAD, CLEAR …) or a ``SERVICE`` call.
    """
    if not text or not text.strip():
        raise QueryError("empty query")
    form, has_dataset, in_prologue = "", False, True
    for match in _TOKEN.finditer(text):
        group = match.lastgroup
        if group == "quote":
            line = text.count("\n", 0, match.start()) + 1
            raise QueryError(f"syntax error at line {line}: a string literal is not closed")
        if group != "word":
            continue
        word = match.group().upper()
        if word == "SERVICE":
            raise QueryRefused("不接受联邦查询 SERVICE · SERVICE (federated queries) is not allowed "
                               "here: this endpoint answers from its own graph only")
        if in_prologue:
            if word in ("BASE", "PREFIX") or _is_prefix_name(text, match.end()):
                continue
            if word in UPDATE_KEYWORDS:
                raise QueryRefused(f"只读端点，不接受更新 · SPARQL updates ({word} …) are not "
                                   "allowed here; this endpoint is read-only and only answers queries")
            form, in_prologue = _FORMS.get(word, ""), False
        elif word == "LOAD":  # never part of a query: an update after a ';'
            raise QueryRefused("只读端点，不接受 LOAD · LOAD is not allowed here; this endpoint "
                               "only answers queries")
        elif word == "FROM":
            has_dataset = True
    return CheckedQuery(form, has_dataset)


def needs_scan(text: str) -> bool:
    """False when the text cannot hold a ``SERVICE`` or ``FROM`` token at all (the usual case).

    A token is a run of the text, so a text without the letters ``service`` or
    ``from`` in any case has neither keyword; the scan is then left to when the
    engine refuses the text (to tell an update from a syntax error).

    >>> needs_scan("SELECT * WHERE { ?s ?p ?o }"), needs_scan("ASK FROM <g> {}")
    (False, True)
    """
    upper = text.upper()
    return "SERVICE" in upper or "FROM" in upper


def _is_prefix_name(text: str, end: int) -> bool:
    """True when the word ending at ``end`` is the name of a prefix being declared (``ex:``)."""
    return end < len(text) and text[end] == ":"


def syntax_message(text: str, engine: str) -> str:
    """The engine's syntax error ``engine`` about query ``text``, readable: its position kept,
    an unknown prefix named, and a list of expected characters (Unicode ranges) left out.

    >>> syntax_message("SELECT ?x WHERE { ?x foo:bar ?o }",
    ...                "error at 1:29: expected one of Prefix not found, ['%'], ['\\\\u{00B7}']")
    '语法错误 syntax error at 1:29: 未定义的前缀 undefined prefix foo:'
    >>> syntax_message("SELEC ?x", "error at 1:10: expected CONSTRUCT")
    '语法错误 syntax error at 1:10: expected CONSTRUCT'
    """
    found = re.match(r"error at (\d+):(\d+): (.*)", engine, re.S)
    if found is None:
        return f"语法错误 syntax error: {engine}"
    line, column, said = int(found.group(1)), int(found.group(2)), found.group(3).strip()
    where = f"语法错误 syntax error at {line}:{column}"
    if "Prefix not found" in said:
        lines = text.splitlines() or [""]
        before = lines[min(line, len(lines)) - 1][:max(column - 1, 0)]
        name = re.search(r"([A-Za-z][\w.-]*)?:[\w.-]*$", before)
        prefix = (name.group(1) or "") + ":" if name else "?"
        return f"{where}: 未定义的前缀 undefined prefix {prefix}"
    if "\\u{" in said or len(said) > 200:  # the grammar's character classes, not for people
        said = "the text here does not fit the SPARQL grammar"
    return f"{where}: {said}"
