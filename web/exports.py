"""Tables as downloads: CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese) and XLSX."""
from __future__ import annotations

import csv
import io
from typing import Any, Sequence

from flask import Response, abort, request

#: Download formats of lists and search results (``?format=``).
FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def wanted_format() -> str | None:
    """The download format a request asks for (``?format=csv|xlsx``), or None for the page."""
    fmt = (request.args.get("format") or "").strip().lower()
    if not fmt or fmt == "html":
        return None
    if fmt not in FORMATS:
        abort(400, f"格式须为 csv 或 xlsx · format must be csv or xlsx, not {fmt!r}")
    return fmt


def table_response(name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                   fmt: str) -> Response:
    """``rows`` under ``headers`` as a ``name.csv`` or ``name.xlsx`` attachment."""
    if fmt == "xlsx":
        body = _xlsx(name, headers, rows)
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        body = ("\ufeff" + out.getvalue()).encode("utf-8")
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _xlsx(name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = name[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # numbers stay numbers (they sort as numbers in the spreadsheet)
        sheet.append(["" if v is None else v for v in row])
    sheet.freeze_panes = "A2"
    for column, header in zip(sheet.columns, headers):
        longest = max([len(str(header))] + [len(str(c.value or "")) for c in list(column)[:200]])
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, longest * 1.6))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
