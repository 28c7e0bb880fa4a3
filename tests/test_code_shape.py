"""The code stays readable: small modules, short functions, a short Searcher, no facade passed around."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("kg", "ingest", "web")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (REPO / package).rglob("*.py"))


def _functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node


def test_no_module_over_500_lines():
    long = {str(p.relative_to(REPO)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, long


def test_no_function_over_60_lines():
    long = {f"{p.relative_to(REPO)}:{f.name}": f.end_lineno - f.lineno + 1
            for p in _modules() for f in _functions(p)
            if not isinstance(f, ast.ClassDef) and f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES}
    assert not long, long


def test_searcher_is_short():
    path = REPO / "kg" / "search" / "searcher.py"
    [searcher] = [f for f in _functions(path) if isinstance(f, ast.ClassDef) and f.name == "Searcher"]
    assert searcher.end_lineno - searcher.lineno + 1 < 200


def test_no_kg_function_takes_the_facade():
    # a parameter named kg (the KnowledgeGraph) outside the composition root is a service locator
    offenders = []
    for path in (REPO / "kg").rglob("*.py"):
        if path.name in ("graph.py", "child.py"):
            continue
        for f in _functions(path):
            if isinstance(f, ast.ClassDef):
                continue
            names = [a.arg for a in f.args.args + f.args.kwonlyargs]
            if "kg" in names:
                offenders.append(f"{path.relative_to(REPO)}:{f.name}")
    assert not offenders, offenders
