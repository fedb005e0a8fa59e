"""Files the tests build: workbooks in both shapes, and hostile variants of them."""

import datetime
import io
import zipfile
from dataclasses import dataclass

import pandas as pd

from crm_portal.spreadsheets import Sheet, xlsx_bytes


def workbook(frame: pd.DataFrame, sheet: str = "Sales") -> bytes:
    return xlsx_bytes([Sheet.of_frame(sheet, frame)])


def wide_frame(rows: list[tuple], months=("2025-01", "2025-02", "2025-03", "2025-04")) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=["Клиент", *months]).astype(object)


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with some parts replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, (replace or {}).get(item.filename, source.read(item.filename)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


@dataclass(frozen=True)
class Formula:
    """A formula cell with the value stored beside it (XlsxWriter stores 0 unless told otherwise)."""

    text: str
    value: object = 0


def excel_workbook(rows: list[list], *, sheet: str = "Sales", recalculate: bool = True) -> bytes:
    """A workbook as XlsxWriter writes it: shared strings, dates as date cells, formulas with stored values.

    XlsxWriter computes no formula: it stores the value it is given (0 by default) and marks the
    workbook fullCalcOnLoad, asking the spreadsheet to calculate everything on opening. With
    `recalculate=False` the mark is removed, as in a workbook Excel or LibreOffice has saved.
    """
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    target = book.add_worksheet(sheet)
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            if isinstance(value, Formula):
                target.write_formula(row, column, value.text, None, value.value)
            elif isinstance(value, datetime.datetime):
                target.write_datetime(row, column, value, day)
            elif isinstance(value, str):
                target.write_string(row, column, value)
            elif value is not None:
                target.write_number(row, column, value)
    book.close()
    data = out.getvalue()
    if not recalculate:
        workbook_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml")
        data = rezip(data, {"xl/workbook.xml": workbook_xml.replace(b' fullCalcOnLoad="1"', b"")})
    return data


def very_wide_workbook(*, months: int = 60, width: int = 16_384, bad: tuple[int, int] | None = None) -> bytes:
    """A wide list as wide as Excel allows: A the client, then `months` month columns from 2020-01, then
    columns of other figures up to column `width` (XFD). Three clients; `bad` = (data row, column position)
    holds the text "many"."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    target = book.add_worksheet("Sales")
    header = ["Client", *(str(p) for p in pd.period_range("2020-01", periods=months, freq="M"))]
    target.write_row(0, 0, header + [f"Note {i}" for i in range(1, width - len(header) + 1)])
    for row, name in enumerate(("Alpha", "Beta", "Gamma")):
        values: list = [name, *(100 * (row + 1) + month for month in range(months)), *[row] * (width - months - 1)]
        if bad and bad[0] == row:
            values[bad[1]] = "many"
        target.write_row(row + 1, 0, values)
    book.close()
    return out.getvalue()
