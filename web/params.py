"""Request parameters, checked: a bad value is a 400 with a bilingual message, never a 500.

Shared by the HTML pages and the JSON API.
"""
from __future__ import annotations

from flask import abort, request

from ..kg import PolicyKGError, date_bound

#: The longest free-text parameter kept (a title filter, a search box).
MAX_TEXT = 500


def text_arg(name: str, default: str = "") -> str:
    """A free-text parameter, stripped and cut to ``MAX_TEXT`` characters."""
    return (request.args.get(name) or default).strip()[:MAX_TEXT]


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """An integer parameter within ``low``..``high`` (``default`` when absent or empty)."""
    value = (request.args.get(name) or "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        abort(400, f"参数 {name} 须为整数 · parameter {name} must be an integer, not {value!r}")
    if not low <= number <= high:
        abort(400, f"参数 {name} 须在 {low} 与 {high} 之间 · "
                   f"parameter {name} must be between {low} and {high}, not {number}")
    return number


def page_arg(name: str = "page") -> int:
    """The page number parameter ``name`` (1 when absent); 400 unless a positive integer."""
    value = (request.args.get(name) or "1").strip()
    if not value.isdecimal() or not 1 <= int(value) <= 10 ** 6:
        abort(400, f"参数 {name} 须为正整数 · parameter {name} must be a positive integer, not {value!r}")
    return int(value)


def date_arg(name: str) -> str | None:
    """A date bound (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, a real date); None when absent."""
    value = text_arg(name)
    if not value:
        return None
    try:
        date_bound(value)
    except PolicyKGError as exc:
        abort(400, f"参数 {name} 须为日期 YYYY、YYYY-MM 或 YYYY-MM-DD · parameter {name}: {exc}")
    return value


def list_arg(name: str) -> list[str] | None:
    """A comma-separated list parameter; None when absent or empty."""
    items = [item.strip() for item in request.args.get(name, "").split(",") if item.strip()]
    return items or None


def search_filters() -> dict[str, str | None]:
    """The search filters of a request: document (IRI or title), from/to dates, kind."""
    return {"document": text_arg("document") or None,
            "date_from": date_arg("from"),
            "date_to": date_arg("to"),
            "kind": text_arg("kind") or None}


def flag_arg(name: str) -> bool:
    """A yes/no parameter: ``1``, ``true``, ``yes`` or ``on`` (absent or ``0``: no)."""
    value = (request.args.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    abort(400, f"参数 {name} 须为 1 或 0 · parameter {name} must be 1 or 0, not {value!r}")


def offset_arg() -> int:
    """The ``offset`` parameter (0 when absent): how many matches to skip, a whole number ≥ 0."""
    value = (request.args.get("offset") or "0").strip()
    if not (value.isascii() and value.isdecimal()) or int(value) > 10 ** 9:
        abort(400, f"参数 offset 须为不小于 0 的整数 · "
                   f"parameter offset must be a whole number, 0 or more, not {value!r}")
    return int(value)


def search_paging() -> dict[str, int | bool | None]:
    """The paging of a search request: ``k`` (1–200), ``all`` (every match) and ``offset``."""
    return {"k": int_arg("k", None, 1, 200), "all_matches": flag_arg("all"),
            "offset": offset_arg()}
