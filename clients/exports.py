"""Spreadsheet downloads: numbers stay numbers, text that a spreadsheet would run is neutralised."""

import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

import xlsxwriter
from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(value):
    """A value ready for a cell: text starting like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_response(filename: str, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> HttpResponse:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    for title, header, rows in sheets:
        sheet = book.add_worksheet(title[:31])
        sheet.write_row(0, 0, [str(h) for h in header], bold)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, [safe_cell(v) for v in row])
        sheet.freeze_panes(1, 0)
    book.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
