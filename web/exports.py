"""Spreadsheet downloads (XLSX and CSV) shared by every export: a header row of Chinese column
names, then the rows. CSV is UTF-8 with a BOM, so that Excel on Windows opens the Chinese text
correctly. A text cell that a spreadsheet would run as a formula (=, +, -, @ first, as someone may
type in a title) is written with a leading apostrophe, so it stays text (CSV/formula injection)."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from starlette.responses import Response

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _safe_rows(rows: list[list[Any]]) -> list[list[Any]]:
    return [[_safe(value) for value in row] for row in rows]


def as_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(_safe_rows(rows))
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def as_xlsx(title: str, headers: list[str], rows: list[list[Any]], total: list[Any] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(headers)
    for row in _safe_rows(rows):
        sheet.append(row)
    if total is not None:
        sheet.append(total)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(body: bytes, filename: str, media_type: str) -> Response:
    """An attachment named `filename` (RFC 5987, so Chinese names survive), never cached."""
    disposition = f"attachment; filename=\"export\"; filename*=UTF-8''{quote(filename)}"
    headers = {"content-disposition": disposition, "cache-control": "no-store"}
    return Response(body, media_type=media_type, headers=headers)


def spreadsheet(fmt: str, name: str, title: str, headers: list[str], rows: list[list[Any]]) -> Response:
    """`rows` under `headers` as `name`.csv or `name`.xlsx (a sheet called `title`)."""
    if fmt == "csv":
        return download(as_csv(headers, rows), f"{name}.csv", CSV)
    return download(as_xlsx(title, headers, rows), f"{name}.xlsx", XLSX)
