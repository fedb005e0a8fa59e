"""Every spreadsheet the portal hands out, .xlsx and .csv, written one way.

A sheet is a title, typed columns and rows (or a DataFrame). The writer keeps
  * numbers as number cells with the format of their kind (money with two decimals, shares as
    percent of a fraction, whole numbers without ".0"), and dates as date cells in the reader's
    short date format;
  * text always as text cells. A text that starts with = + - @, a tab or a carriage return would
    become a formula when a person edits the cell, so its column gets Excel's quote-prefix style
    (shown as typed, no visible apostrophe). CSV has no styles: such a text gets an apostrophe.

The .xlsx files are written by rustpy-xlsxwriter (a Rust writer): 100,000 rows of seven columns
in 2 s where XlsxWriter (Python, cell by cell) needed 18 s, side by side on the shared 2-core
machine. It formats whole columns, not single cells: the quote-prefix style goes to every cell of
a column that holds a dangerous text (harmless on ordinary text; a number in such a column stays
a number).

CSV follows the reader's locale, as Excel does when it opens one: where the decimal separator is
a comma (Russian), fields are separated by ";" and decimals written with a comma; elsewhere ","
and ".". A UTF-8 byte order mark lets Excel on Windows read Cyrillic text.
"""

import csv
import datetime
import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from django.http import FileResponse, HttpResponse
from django.utils import formats, numberformat
from django.utils.http import content_disposition_header
from rustpy_xlsxwriter import FastExcel, Format

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class Kind(StrEnum):
    """What a column holds; it decides the cell type and the number format."""

    TEXT = "text"
    INTEGER = "integer"  # counts and ranks: 1 234
    IDENTIFIER = "identifier"  # whole numbers without a thousands separator (ids)
    MONEY = "money"  # rounded to cents: 13 990,93
    SHARE = "share"  # a fraction shown in percent: 0.517 -> 51.7%
    NUMBER = "number"  # any other measure, two decimals shown
    DATE = "date"
    ANY = "any"  # a file's own cells: each keeps its type (number, date or text)


NUMBER_FORMATS = {
    Kind.INTEGER: "#,##0",
    Kind.IDENTIFIER: "0",
    Kind.MONEY: "#,##0.00",
    Kind.SHARE: "0.0%",
    Kind.NUMBER: "#,##0.00",
}
WHOLE = (Kind.INTEGER, Kind.IDENTIFIER)
# Django's date format letters and Excel's number format codes of the same parts.
EXCEL_DATE_PARTS = {"d": "dd", "j": "d", "m": "mm", "n": "m", "Y": "yyyy", "y": "yy"}


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.ANY
    width: float | None = None
    wrap: bool = False


@dataclass(frozen=True)
class Sheet:
    """A table: `rows` are sequences in column order (shorter rows end in blanks), or a DataFrame."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence] | pd.DataFrame = field(default=())

    @classmethod
    def of_frame(cls, title: str, frame: pd.DataFrame, kinds: Mapping[str, Kind] | None = None) -> "Sheet":
        """A DataFrame as a sheet; a column's kind comes from `kinds` or else from its dtype."""
        kinds = kinds or {}
        columns = [Column(str(name), kinds.get(str(name)) or _kind_of(frame[name])) for name in frame.columns]
        return cls(title, columns, frame)


def _kind_of(series: pd.Series) -> Kind:
    if pd.api.types.is_bool_dtype(series):
        return Kind.ANY
    if pd.api.types.is_integer_dtype(series):
        return Kind.INTEGER
    if pd.api.types.is_float_dtype(series):
        return Kind.NUMBER
    if pd.api.types.is_datetime64_any_dtype(series):
        return Kind.DATE
    return Kind.ANY


def column_letter(index: int) -> str:
    """The spreadsheet letters of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def excel_date_format(django_format: str) -> str:
    """The reader's short date format ("d.m.Y") as an Excel number format ("dd.mm.yyyy")."""
    return "".join(EXCEL_DATE_PARTS.get(char, char) for char in django_format)


def is_dangerous(text: str) -> bool:
    return text.startswith(DANGEROUS_STARTS)


# ------------------------------------------------------------------ cells of one column


NAT, NA = pd.NaT, pd.NA


def _is_blank(value) -> bool:
    return value is None or value is NAT or value is NA or (isinstance(value, float) and value != value)


def _any_cell(value):
    """A cell of unknown kind: numbers as numbers, dates as dates, anything else as text."""
    if _is_blank(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, float, Decimal, np.number)):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time())
    return str(value) or None


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _prepared(series: pd.Series, kind: Kind) -> pd.Series:
    """A column's values as the Rust writer takes them: float64, or objects (str, float, datetime, None)."""
    series = series.reset_index(drop=True)
    if kind in NUMBER_FORMATS or (kind == Kind.ANY and _is_number_column(series)):
        numbers = (
            series.astype("float64")
            if _is_number_column(series)
            else pd.to_numeric(series.astype(object), errors="coerce").astype("float64")
        )
        if kind == Kind.MONEY:
            return numbers.round(2)
        return numbers.round(0) if kind in WHOLE else numbers
    values = series.to_numpy(dtype=object)
    if kind == Kind.TEXT:
        return pd.Series(
            [None if _is_blank(v) else (v if type(v) is str else str(v)) or None for v in values], dtype=object
        )
    cells = [_any_cell(v) for v in values]
    if kind == Kind.DATE:
        # Python datetimes and None (the Rust writer takes a NaT among objects for the year 1).
        return pd.Series([v if isinstance(v, datetime.datetime) else None for v in cells], dtype=object)
    return pd.Series(_one_number_kind(cells), dtype=object)


def _one_number_kind(cells: list) -> list:
    """Dates and numbers in one column: the fewer of the two become text.

    A column has one number format; under a date format a number would read as a false date
    (2024 as 16.07.1905), under a plain one a date as a day count. A cell that does not fit its
    column (a number in a file's date column) is written as it reads.
    """
    dates = sum(1 for v in cells if isinstance(v, datetime.datetime))
    numbers = sum(1 for v in cells if isinstance(v, float))
    if not (dates and numbers):
        return cells
    odd = float if dates > numbers else datetime.datetime
    return [_as_text(v) if isinstance(v, odd) else v for v in cells]


def _as_text(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    return format(value, "g") if value.is_integer() and abs(value) < 1e15 else repr(value)


def _scan(values: pd.Series) -> tuple[bool, bool]:
    """(some text starts dangerously, some cell is a date) of a prepared column."""
    if values.dtype != object:
        return False, False
    dangerous = dates = False
    for value in values.to_numpy():
        if type(value) is str:
            dangerous = dangerous or value.startswith(DANGEROUS_STARTS)
        elif isinstance(value, datetime.datetime):
            dates = True
    return dangerous, dates


def _date_format() -> str:
    return excel_date_format(formats.get_format("SHORT_DATE_FORMAT"))


# ------------------------------------------------------------------ .xlsx


def _unique(names: Iterable[str]) -> list[str]:
    """Names made unique with their column letter (a table keys its columns by header)."""
    seen: set[str] = set()
    result = []
    for index, name in enumerate(names):
        if name in seen:
            name = f"{name} ({column_letter(index)})"
        seen.add(name)
        result.append(name)
    return result


def _titles(sheets: Sequence[Sheet]) -> list[str]:
    titles: list[str] = []
    for number, sheet in enumerate(sheets, start=1):
        title = SHEET_TITLE_FORBIDDEN.sub(" ", str(sheet.title)).strip()[:31] or f"Sheet{number}"
        if title.lower() in {t.lower() for t in titles}:
            title = f"{title[:27]} ({number})"
        titles.append(title)
    return titles


def _columns_of(sheet: Sheet) -> list[pd.Series]:
    width = len(sheet.columns)
    if isinstance(sheet.rows, pd.DataFrame):
        return [sheet.rows.iloc[:, index] for index in range(width)]
    rows = [tuple(row) for row in sheet.rows]
    return [
        pd.Series([row[index] if index < len(row) else None for row in rows], dtype=object) for index in range(width)
    ]


def _prepared_columns(sheet: Sheet) -> list[pd.Series]:
    return [_prepared(values, column.kind) for values, column in zip(_columns_of(sheet), sheet.columns)]


def _format(column: Column, values: pd.Series) -> Format | None:
    dangerous, dates = _scan(values) if column.kind in (Kind.TEXT, Kind.ANY) else (False, False)
    number_format = NUMBER_FORMATS.get(column.kind)
    if column.kind == Kind.DATE or dates:
        number_format = _date_format()
    if not (number_format or dangerous or column.wrap):
        return None
    cell = Format()
    if number_format:
        cell.set_num_format(number_format)
    if dangerous:
        cell.set_quote_prefix()
    if column.wrap:
        cell.set_text_wrap().set_align("top")
    return cell


def _whole_numbers(data: bytes, letters_per_sheet: dict[int, list[str]]) -> bytes:
    """Rewrite "1.0" as "1" in the whole-number columns of each sheet.

    The Rust writer stores every number as a float ("1.0"); Excel shows both the same, but a
    reader such as openpyxl, pandas or calamine takes "1.0" for a float.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            letters = letters_per_sheet.get(int(match.group(1))) if match else None
            if letters:
                pattern = re.compile(rb'(<c r="(?:' + "|".join(letters).encode() + rb')\d+"[^>]*><v>-?\d+)\.0(</v>)')
                content = pattern.sub(rb"\1\2", content)
            archive.writestr(item, content)
    return out.getvalue()


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as an .xlsx workbook, header rows bold and frozen."""
    buffer = io.BytesIO()
    writer = FastExcel(buffer).freeze(row=1)
    whole: dict[int, list[str]] = {}
    for number, (title, sheet) in enumerate(zip(_titles(sheets), sheets), start=1):
        headers = _unique(str(column.header) for column in sheet.columns)
        values = _prepared_columns(sheet)
        frame = pd.DataFrame(dict(zip(headers, values)), columns=headers)
        cell_formats = {
            name: f for name, column, v in zip(headers, sheet.columns, values) if (f := _format(column, v)) is not None
        }
        widths = {name: column.width for name, column in zip(headers, sheet.columns) if column.width}
        # Headers are text too: the quote-prefix style keeps a header such as "=x" from a file as typed.
        writer.sheet(
            title,
            frame,
            header_format=Format().set_bold().set_quote_prefix(),
            column_formats=cell_formats or None,
            column_widths=widths or None,
        )
        whole[number] = [column_letter(i) for i, column in enumerate(sheet.columns) if column.kind in WHOLE]
    writer.save()
    data = buffer.getvalue()
    return _whole_numbers(data, whole) if any(whole.values()) else data


def write_xlsx(sheets: Sequence[Sheet], target: str | Path | IO[bytes]) -> None:
    """Write the workbook to a path or a binary file object."""
    data = xlsx_bytes(sheets)
    if isinstance(target, (str, Path)):
        Path(target).write_bytes(data)
    else:
        target.write(data)


# ------------------------------------------------------------------ .csv


def csv_delimiter() -> str:
    """The reader's list separator: ";" where a comma separates decimals (Excel's own rule)."""
    return ";" if formats.get_format("DECIMAL_SEPARATOR") == "," else ","


def _csv_cell(value, kind: Kind) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, str):
        return "'" + value if is_dangerous(value) else value
    if isinstance(value, datetime.datetime):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if kind == Kind.SHARE:
        return _csv_number(value * 100, 1) + "%"
    places = {Kind.MONEY: 2, Kind.NUMBER: 2, Kind.INTEGER: 0, Kind.IDENTIFIER: 0}.get(kind)
    if places is None and float(value).is_integer():
        places = 0
    return _csv_number(value, places)


def _csv_number(value: float, places: int | None) -> str:
    # No thousands separator: a spreadsheet would read "1 234" as text.
    return numberformat.format(value, formats.get_format("DECIMAL_SEPARATOR"), places, grouping=0, thousand_sep="")


def csv_bytes(sheet: Sheet) -> bytes:
    """One sheet as CSV in the reader's locale, with a UTF-8 byte order mark."""
    values = _prepared_columns(sheet)
    kinds = [column.kind for column in sheet.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=csv_delimiter(), lineterminator="\r\n")
    writer.writerow([_csv_cell(str(column.header), Kind.TEXT) for column in sheet.columns])
    for row in zip(*(column.tolist() for column in values)):
        writer.writerow([_csv_cell(value, kind) for value, kind in zip(row, kinds)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# ------------------------------------------------------------------ HTTP


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    return _attachment(HttpResponse(xlsx_bytes(sheets), content_type=XLSX_TYPE), filename)


def csv_response(filename: str, sheet: Sheet) -> HttpResponse:
    return _attachment(HttpResponse(csv_bytes(sheet), content_type=CSV_TYPE), filename)


def stored_xlsx_response(file: IO[bytes], filename: str) -> FileResponse:
    """A workbook a job wrote earlier (xlsx_bytes), streamed from storage."""
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
