"""The one spreadsheet writer: cells that cannot run, numbers and dates that keep their types and formats."""

import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.utils import translation
from python_calamine import CalamineWorkbook

from crm_portal.spreadsheets import (
    Column,
    Kind,
    Sheet,
    column_letter,
    csv_bytes,
    csv_response,
    xlsx_bytes,
    xlsx_response,
)

DANGEROUS = ["=1+2", "+", "+-", "-", "-x", "@SUM(A1)", "\tTab", "\rReturn", '=HYPERLINK("http://evil")']
DAY = datetime.date(2024, 2, 15)


def _book(data: bytes):
    """(openpyxl workbook for styles, calamine rows per sheet for values: it decodes _x000D_ as Excel does)."""
    path = io.BytesIO(data)
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return openpyxl.load_workbook(path), [
        calamine.get_sheet_by_index(i).to_python() for i in range(len(calamine.sheet_names))
    ]


def _sheet_xml(data: bytes) -> list[str]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]


@pytest.mark.parametrize("kind", [Kind.TEXT, Kind.ANY])
def test_every_dangerous_start_stays_text_as_typed_with_the_quote_prefix(kind):
    data = xlsx_bytes([Sheet("S", [Column("Name", kind), Column("Plain", kind)], [[text, "ok"] for text in DANGEROUS])])
    book, values = _book(data)
    sheet = book.active
    assert [row[0] for row in values[0][1:]] == DANGEROUS  # exactly as typed: no apostrophe in the value
    assert all(
        sheet.cell(row, 1).data_type == "s" and sheet.cell(row, 1).quotePrefix for row in range(2, len(DANGEROUS) + 2)
    )
    assert not sheet["B2"].quotePrefix  # a column of ordinary text keeps the plain style
    # No formula anywhere, and every text is a text cell.
    xml = _sheet_xml(data)[0]
    assert "<f>" not in xml and "<f " not in xml
    assert len(re.findall(r't="inlineStr"', xml)) == 2 * len(DANGEROUS) + 2


def test_numbers_keep_their_types_and_formats_and_rows_their_order():
    columns = [
        Column("Rank", Kind.INTEGER),
        Column("Id", Kind.IDENTIFIER),
        Column("Total", Kind.MONEY),
        Column("Share", Kind.SHARE),
        Column("Ratio", Kind.NUMBER),
        Column("Day", Kind.DATE),
    ]
    rows = [
        [3, 123456, 13990.930000000002, 0.517, 1.5, DAY],
        [1, 7, Decimal("12.50"), 1, None, datetime.datetime(2024, 3, 1, 0, 0)],
        [2, None, -5, None, 2, None],
    ]
    with translation.override("ru"):
        data = xlsx_bytes([Sheet("S", columns, rows)])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        [3, 123456, 13990.93, 0.517, 1.5, datetime.datetime(2024, 2, 15)],
        [1, 7, 12.5, 1, None, datetime.datetime(2024, 3, 1)],
        [2, None, -5, None, 2, None],
    ]
    assert all(type(sheet.cell(row, 1).value) is int for row in (2, 3, 4)) and type(sheet["B2"].value) is int
    assert [sheet.cell(2, column).number_format for column in range(1, 7)] == [
        "#,##0",
        "0",
        "#,##0.00",
        "0.0%",
        "#,##0.00",
        "dd.mm.yyyy",
    ]
    assert [sheet.cell(2, column).data_type for column in range(1, 7)] == ["n", "n", "n", "n", "n", "d"]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"


@pytest.mark.parametrize("language, date_format", [("en", "mm/dd/yyyy"), ("ru", "dd.mm.yyyy")])
def test_dates_are_date_cells_in_the_readers_format(language, date_format):
    with translation.override(language):
        data = xlsx_bytes([Sheet("S", [Column("Day", Kind.DATE)], [[DAY]])])
    cell = openpyxl.load_workbook(io.BytesIO(data)).active["A2"]
    assert (cell.value, cell.data_type, cell.number_format) == (datetime.datetime(2024, 2, 15), "d", date_format)


def test_a_files_own_cells_keep_their_kinds_and_the_odd_one_out_reads_as_typed():
    """A column of dates with one number (a typing slip): the number must not turn into a false date."""
    columns = [Column("Date"), Column("Amount"), Column("Note")]
    rows = [[DAY, 100.5, "=bad"], [datetime.datetime(2024, 2, 16), "many", 7], [2024.0, 12, None]]
    with translation.override("en"):
        data = xlsx_bytes([Sheet("S", columns, rows)])
    book, values = _book(data)
    sheet = book.active
    assert values[0][1:] == [[DAY, 100.5, "=bad"], [datetime.date(2024, 2, 16), "many", 7.0], ["2024", 12.0, ""]]
    assert sheet["A2"].number_format == "mm/dd/yyyy" and sheet["A4"].data_type == "s"
    assert sheet["B2"].data_type == "n" and sheet["B2"].number_format == "General"
    assert sheet["C2"].quotePrefix and sheet["C3"].data_type == "n"


def test_frames_take_their_kinds_from_dtypes_unless_told():
    frame = pd.DataFrame(
        {"n": [1, 2], "x": [0.25, 0.5], "d": pd.to_datetime(["2024-02-15", "2024-02-16"]), "t": ["=a", "b"]}
    )
    with translation.override("en"):
        data = xlsx_bytes([Sheet.of_frame("F", frame, {"x": Kind.SHARE})])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [sheet.cell(2, column).number_format for column in range(1, 5)] == ["#,##0", "0.0%", "mm/dd/yyyy", "General"]
    assert type(sheet["A2"].value) is int and sheet["C2"].value == datetime.datetime(2024, 2, 15)
    assert sheet["D2"].value == "=a" and sheet["D2"].quotePrefix


def test_sheet_titles_are_made_valid_and_unique_and_empty_sheets_keep_their_header():
    data = xlsx_bytes(
        [
            Sheet("A/B: [x]?", [Column("h")]),
            Sheet("A/B: [x]?", [Column("h")]),
            Sheet("A very long title that Excel would refuse", [Column("=h")]),
        ]
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["A B   x", "A B   x (2)", "A very long title that Excel wo"]
    assert [[c.value for c in row] for row in book.worksheets[2].iter_rows()] == [["=h"]]
    assert book.worksheets[2]["A1"].quotePrefix


@pytest.mark.parametrize(
    "language, delimiter, expected",
    [
        (
            "ru",
            ";",
            ["'=1+2", "'+", "'+-", "-5", "13990,93", "51,7%", "15.02.2024", "1234", "'\tTab", "'\rReturn", "'@x"],
        ),
        (
            "en",
            ",",
            ["'=1+2", "'+", "'+-", "-5", "13990.93", "51.7%", "02/15/2024", "1234", "'\tTab", "'\rReturn", "'@x"],
        ),
    ],
)
def test_csv_follows_the_readers_locale_and_neutralises_text(language, delimiter, expected):
    columns = [
        Column("a", Kind.TEXT),
        Column("b", Kind.TEXT),
        Column("c", Kind.ANY),
        Column("d", Kind.INTEGER),
        Column("e", Kind.MONEY),
        Column("f", Kind.SHARE),
        Column("g", Kind.DATE),
        Column("h", Kind.ANY),
        Column("i", Kind.TEXT),
        Column("j", Kind.TEXT),
        Column("k", Kind.ANY),
    ]
    row = ["=1+2", "+", "+-", -5, 13990.930000000002, 0.517, DAY, 1234, "\tTab", "\rReturn", "@x"]
    with translation.override(language):
        content = csv_bytes(Sheet("S", columns, [row, []]))
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))
    assert rows[0] == list("abcdefghijk")
    assert rows[1] == expected  # no thousands separator: a spreadsheet reads the numbers as numbers
    assert rows[2] == [""] * 11


def test_responses_name_the_file_and_its_type():
    sheet = Sheet("S", [Column("a", Kind.TEXT)], [["x"]])
    response = xlsx_response("клиенты.xlsx", [sheet])
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (
        response["Content-Disposition"]
        == "attachment; filename*=utf-8''%D0%BA%D0%BB%D0%B8%D0%B5%D0%BD%D1%82%D1%8B.xlsx"
    )
    response = csv_response("links.csv", sheet)
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "text/csv; charset=utf-8",
        'attachment; filename="links.csv"',
    )


@pytest.mark.parametrize("index, letters", [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA")])
def test_column_letters(index, letters):
    assert column_letter(index) == letters
