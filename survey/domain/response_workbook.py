"""A responses workbook (.xlsx, as Microsoft Forms and spreadsheets export) read as the same
plain table as a CSV file, its limits checked while reading."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from analysis.csvio import Table
from survey.domain.xlsform import check_archive
from survey.errors import SurveyError


def _text(value: Any) -> str:
    """A cell as the text another tool's CSV export would hold; moments in ISO order, so
    that no day and month can be mistaken for each other."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_workbook(data: bytes, *, max_rows: int, max_columns: int, max_cells: int) -> Table:
    """The first sheet of a workbook: a header line and its rows (blank rows dropped)."""
    check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = _rows(workbook.worksheets[0], max_rows, max_columns, max_cells)
        finally:
            workbook.close()
    except SurveyError:
        raise
    except (InvalidFileException, ParseError, RecursionError, IndexError) as exc:
        raise SurveyError("builder.xlsx_unreadable") from exc
    except Exception as exc:  # noqa: BLE001 - whatever a hostile workbook makes the reader raise
        raise SurveyError("builder.xlsx_unreadable") from exc
    if not rows:
        raise SurveyError("builder.csv_empty")
    header, body = rows[0], rows[1:]
    width = len(header)
    body = [(row + [""] * width)[:width] for row in body]
    return Table(header=header, rows=body, encoding="xlsx", delimiter="")


def _rows(sheet: Any, max_rows: int, max_columns: int, max_cells: int) -> list[list[str]]:
    rows: list[list[str]] = []
    cells = 0
    # Blank rows count too while reading: a few kilobytes may describe millions of them.
    for count, values in enumerate(sheet.iter_rows(values_only=True)):
        if count > 10 * max_rows or len(rows) > max_rows:
            raise SurveyError("builder.csv_too_large")
        if len(values) > max_columns:
            raise SurveyError(
                "builder.csv_too_many_columns", columns=len(values), limit=max_columns
            )
        row = [_text(v) for v in values]
        while row and not row[-1]:
            row.pop()
        if not row:
            continue
        cells += len(row)
        if cells > max_cells:
            raise SurveyError("builder.csv_too_many_cells", limit=max_cells)
        rows.append(row)
    return rows
