"""The document filter shared by search and the document list: text, kind and a date range.

Dates are given as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a bound covers its
whole period (``--to 2018`` keeps a document of 2018-12-20, ``--from 2018-06``
starts on 2018-06-01).

    wanted = DocumentFilter.parse(text="统计", date_to="2018")
    wanted.accepts(date="2018-12-20", kind="条例", names=["上海市统计条例"])  # True
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Iterable

from .errors import PolicyKGError

__all__ = ["DocumentFilter", "date_bound"]

_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def date_bound(text: str, *, end: bool = False) -> str:
    """The first (or, with ``end``, the last) day of the period ``text`` names, as ``YYYY-MM-DD``.

    >>> date_bound("2018"), date_bound("2018", end=True), date_bound("2024-02", end=True)
    ('2018-01-01', '2018-12-31', '2024-02-29')
    >>> date_bound("2018-6-5")
    '2018-06-05'

    Raises:
        PolicyKGError: (kind ``invalid``) ``text`` is not a real year, month or day.
    """
    raw = (text or "").strip()
    match = _DATE.fullmatch(raw)
    if match is None:
        raise PolicyKGError(f"invalid date {raw!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else (12 if end else 1)
    if not 1 <= month <= 12 or year < 1:
        raise PolicyKGError(f"invalid date {raw!r}: no month {month} in a year")
    last = calendar.monthrange(year, month)[1]
    day = int(match.group(3)) if match.group(3) else (last if end else 1)
    if not 1 <= day <= last:
        raise PolicyKGError(f"invalid date {raw!r}: {year}-{month:02d} has {last} days")
    return f"{year:04d}-{month:02d}-{day:02d}"


def _period(date: str) -> tuple[str, str] | None:
    """The first and last day of a document's date (which may be a year or a month)."""
    try:
        return date_bound(date[:10]), date_bound(date[:10], end=True)
    except PolicyKGError:
        return None


@dataclass(frozen=True)
class DocumentFilter:
    """Which documents a caller wants; an empty filter wants all of them."""

    text: str = ""  # an IRI, or part of a title (or of another name the caller passes)
    kind: str = ""
    date_from: str = ""  # YYYY-MM-DD, the first day kept
    date_to: str = ""  # YYYY-MM-DD, the last day kept

    @classmethod
    def parse(cls, *, text: str | None = None, kind: str | None = None,
              date_from: str | None = None, date_to: str | None = None) -> "DocumentFilter":
        """A filter from user input; blank values are no constraint.

        Raises:
            PolicyKGError: (kind ``invalid``) a date that is not a real year, month or day.
        """
        low = date_bound(date_from) if date_from and date_from.strip() else ""
        high = date_bound(date_to, end=True) if date_to and date_to.strip() else ""
        return cls((text or "").strip(), (kind or "").strip(), low, high)

    def __bool__(self) -> bool:
        return bool(self.text or self.kind or self.date_from or self.date_to)

    def accepts(self, *, date: str | None, kind: str | None, names: Iterable[str | None] = (),
                iri: str | None = None) -> bool:
        """True when a document with this date, kind, IRI and names passes the filter.

        The text matches the IRI exactly, or any name in part (case-insensitive); an
        undated document is left out as soon as a date bound is given.

        >>> f = DocumentFilter.parse(date_to="2018")
        >>> f.accepts(date="2018-12-20", kind=None), f.accepts(date="2019-01-01", kind=None)
        (True, False)
        """
        if self.kind and (kind or "").strip() != self.kind:
            return False
        if self.text and self.text != iri:
            needle = self.text.casefold()
            if not any(needle in (name or "").casefold() for name in names):
                return False
        if self.date_from or self.date_to:
            period = _period(date or "")
            if period is None:
                return False
            if self.date_from and period[1] < self.date_from:
                return False
            if self.date_to and period[0] > self.date_to:
                return False
        return True
