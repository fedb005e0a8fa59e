"""Shape and column recognition, and validation with exact messages per row and column."""

from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from segmentation.parsing import LONG, WIDE, detect_mapping, parse_month, settlements_to_wide, to_quarters
from segmentation.pipeline import load, rejected_frame

from .helpers import wide_frame, workbook

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("2025-01", "2025-01"),
        ("2025/03", "2025-03"),
        ("01.2025", "2025-01"),
        ("янв 2025", "2025-01"),
        ("Январь 2025", "2025-01"),
        ("май 2024", "2024-05"),
        ("Jan 2025", "2025-01"),
        ("February-25", "2025-02"),
        ("2025-01-01", "2025-01"),
        ("31.12.2024", "2024-12"),
        (datetime(2025, 3, 1), "2025-03"),
        (45658.0, "2025-01"),
    ],
)
def test_month_headers(header, expected):
    assert str(parse_month(header)) == expected


@pytest.mark.parametrize("header", ["Клиент", "Итого", "2025", "13.2025", "", None, 12.0, "jan"])
def test_not_month_headers(header):
    assert parse_month(header) is None


def test_wide_shape_from_russian_headers():
    mapping = detect_mapping(["Контрагент", "ИНН", "янв 2025", "фев 2025", "мар 2025"])
    assert (mapping.shape, mapping.client, mapping.months) == (WIDE, 0, [2, 3, 4])


def test_long_shape_from_english_and_russian_headers():
    english = detect_mapping(["Customer", "Date", "Amount", "Product"])
    assert (english.shape, english.client, english.date, english.amount, english.product) == (LONG, 0, 1, 2, 3)
    russian = detect_mapping(["Дата документа", "Контрагент", "Номенклатура", "Выручка"])
    assert (russian.shape, russian.client, russian.date, russian.amount, russian.product) == (LONG, 1, 0, 3, 2)


def test_unknown_shape():
    assert detect_mapping(["foo", "bar"]).shape == ""


def write(tmp_path, content: bytes, name="file.xlsx"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_wide_file_with_two_bad_rows(tmp_path):
    frame = wide_frame(
        [
            ("ООО Ромашка", 100, 110, 90, 100),
            ("ИП Петров", 10, "много", 0, 40),
            ("", 5, 5, 5, 5),
            ("ООО Ромашка", 1, 1, 1, 1),
            ("Альфа", "1 234,50", "", 2, 3),
        ]
    )
    loaded = load(write(tmp_path, workbook(frame)), today=TODAY)
    problems = [(p.row, p.column, p.value, p.message) for p in loaded.parsed.problems]
    assert problems == [  # in file order, as the rows come
        (3, "C (2025-02)", "много", "not a number"),
        (4, "A (Клиент)", "", "the client is empty."),
        (
            5,
            "A (Клиент)",
            "ООО Ромашка",
            "the client appears again (first in row 2), so it would have two amounts in every month",
        ),
    ]
    assert loaded.problem_count == 3
    assert not loaded.parsed.ok and loaded.parsed.wide is None
    rejected = rejected_frame(loaded)
    assert list(rejected.columns) == ["Row", "Клиент", "2025-01", "2025-02", "2025-03", "2025-04", "Reason"]
    assert rejected["Row"].tolist() == [3, 4, 5]
    assert rejected["Reason"].tolist() == [
        "C (2025-02): not a number",
        "A (Клиент): the client is empty.",
        "A (Клиент): the client appears again (first in row 2), so it would have two amounts in every month",
    ]
    assert rejected.iloc[0].tolist()[1:6] == ["ИП Петров", 10.0, "много", 0.0, 40.0]


def test_valid_wide_file_reads_comma_decimals_and_blanks_as_zero(tmp_path):
    frame = wide_frame([("Альфа", "1 234,50", "", 2, 3), ("Бета", 1, 1, 1, 1)])
    loaded = load(write(tmp_path, workbook(frame)), today=TODAY)
    assert loaded.parsed.ok
    wide = loaded.parsed.wide
    assert wide.loc["Альфа"].tolist() == [1234.5, 0.0, 2.0, 3.0]
    assert [str(c) for c in wide.columns] == ["2025-01", "2025-02", "2025-03", "2025-04"]


def test_future_month_and_duplicate_month_headers(tmp_path):
    frame = wide_frame([("A", 1, 1, 1)], months=("2025-05", "май 2025", "2025-07"))
    loaded = load(write(tmp_path, workbook(frame)), today=TODAY)
    messages = [(p.column, p.message) for p in loaded.parsed.problems]
    assert ("D (2025-07)", "The month lies in the future.") in messages
    assert ("C (май 2025)", "The month appears twice in the header (also column B (2025-05)).") in messages


def long_frame(rows):
    return pd.DataFrame(rows, columns=["Client", "Date", "Amount", "Product"]).astype(object)


def test_long_file_problems(tmp_path):
    frame = long_frame(
        [
            ("Alpha", "2025-01-10", 100, "Tea"),
            ("Beta", "31.02.2025", 50, ""),
            ("Gamma", "2025-07-01", 10, ""),
            ("", "2025-01-10", 10, ""),
            ("Delta", "2025-03-01", "ten", ""),
            ("Eps", "", 5, ""),
        ]
    )
    loaded = load(write(tmp_path, workbook(frame)), today=TODAY)
    problems = sorted((p.row, p.column, p.message) for p in loaded.parsed.problems)
    assert problems == [
        (3, "B (Date)", "not a date (write it as 2025-01-31 or 31.01.2025)"),
        (4, "B (Date)", "the date lies in the future"),
        (5, "A (Client)", "the client is empty."),
        (6, "C (Amount)", "not a number"),
        (7, "B (Date)", "the date is empty"),
    ]


def test_valid_long_file_becomes_months(tmp_path):
    frame = long_frame(
        [
            ("Alpha", "2025-01-10", 100, "Tea"),
            ("Alpha", "15.01.2025", 50, "Tea"),
            ("Beta", "2025-03-31", 7, ""),
            ("Alpha", datetime(2025, 3, 2), 1, ""),
        ]
    )
    loaded = load(write(tmp_path, workbook(frame)), today=TODAY)
    assert loaded.parsed.ok
    wide = settlements_to_wide(loaded.parsed.settlements)
    assert [str(c) for c in wide.columns] == ["2025-01", "2025-02", "2025-03"]
    assert wide.loc["Alpha"].tolist() == [150.0, 0.0, 1.0]
    assert wide.loc["Beta"].tolist() == [0.0, 0.0, 7.0]
    quarters = to_quarters(wide)
    assert [str(c) for c in quarters.columns] == ["2025Q1"]
    assert quarters.loc["Alpha"].tolist() == [151.0]


def test_csv_with_semicolons_in_cp1251(tmp_path):
    text = "Контрагент;Дата;Сумма\nРомашка;10.01.2025;1 000,50\nРомашка;10.02.2025;abc\n"
    loaded = load(write(tmp_path, text.encode("cp1251"), "list.csv"), today=TODAY)
    assert [(p.row, p.column, p.value, p.message) for p in loaded.parsed.problems] == [
        (3, "C (Сумма)", "abc", "not a number")
    ]


def test_merged_cells_hidden_sheets_and_formulas_without_values(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sales"
    sheet.append(["Client", "2025-01", "2025-02", "2025-03", "2025-04"])
    sheet.append(["A", 1, 2, 3, "=B2+C2"])
    sheet.append(["B", 1, 1, 1, 1])
    sheet.merge_cells("A3:B3")
    hidden = book.create_sheet("Notes")
    hidden.sheet_state = "hidden"
    path = tmp_path / "tricky.xlsx"
    book.save(path)
    loaded = load(path, today=TODAY)
    messages = [p.message for p in loaded.parsed.problems if p.row is None]
    assert messages == [
        "Sheet “Notes” is hidden: show or delete it, so that nothing in the file goes unseen.",
        "Sheet “Sales” has merged cells: unmerge them so that every row has its own values.",
        "Sheet “Sales”: the formula in cell E2 has no computed value stored in the file (the program that wrote it "
        "left the calculation to a spreadsheet). Open the workbook in Excel or LibreOffice and save it, so that the "
        "values are computed, or save the cells as values.",
    ]


def test_command_classifies_a_file(tmp_path):
    frame = wide_frame([("=evil", 90, 110, 90, 110), ("Beta", 10, 10, 10, 10), ("Gamma", 0, 0, 5, 5)])
    source = write(tmp_path, workbook(frame))
    out = tmp_path / "result.xlsx"
    call_command("abcxyz", str(source), "--out", str(out), "--min-history", "4")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["client", "total", "share", "cum_share", "abc", "cv", "xyz"]
    # Totals 400, 40, 10 of 450; "=evil" is kept as typed, a text cell that cannot run.
    assert rows[1][:5] == ["=evil", 400.0, 400 / 450, round(400 / 450, 12), "A"]
    assert rows[1][5] == pytest.approx(0.1) and rows[1][6] == "X"
    assert rows[2][4:] == ["C", 0.0, "X"]
    assert rows[3][4:] == ["C", "", ""]
    sheet = openpyxl.load_workbook(out).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].quotePrefix
    assert [sheet.cell(2, column).number_format for column in range(2, 8)] == [
        "#,##0.00",
        "0.0%",
        "0.0%",
        "General",
        "0.0%",
        "General",
    ]


def test_command_refuses_a_bad_file(tmp_path):
    frame = wide_frame([("A", 1, "x", 1, 1)])
    source = write(tmp_path, workbook(frame))
    with pytest.raises(
        CommandError, match=r"1 problem\(s\); nothing classified.\n  row 2, C \(2025-02\): not a number \('x'\)"
    ):
        call_command("abcxyz", str(source), "--out", str(tmp_path / "r.xlsx"))
    assert not (tmp_path / "r.xlsx").exists()


def test_date_headers_shared_strings_and_a_table_that_starts_at_b3(tmp_path):
    import xlsxwriter

    path = tmp_path / "excel-like.xlsx"
    book = xlsxwriter.Workbook(str(path))  # shared strings and date cells, as Excel writes them
    sheet = book.add_worksheet("Лист1")
    month = book.add_format({"num_format": "mmm yyyy"})
    sheet.write_string(2, 1, "Контрагент")
    for offset, day in enumerate([datetime(2025, 1, 1), datetime(2025, 2, 1), datetime(2025, 3, 1)]):
        sheet.write_datetime(2, 2 + offset, day, month)
    sheet.write_row(3, 1, ["Ромашка", 10, 20, 30])
    sheet.write_row(4, 1, ["Лютик", 5, "пять", 5])
    book.close()
    loaded = load(path, today=TODAY)
    assert [str(parse_month(h)) for h in loaded.table.header[1:]] == ["2025-01", "2025-02", "2025-03"]
    assert (loaded.mapping.shape, loaded.mapping.client, loaded.mapping.months) == (WIDE, 0, [1, 2, 3])
    assert [(p.row, p.column, p.value) for p in loaded.parsed.problems] == [(5, "D (2025-02)", "пять")]
