"""Inputs that once got through the file check: formulas nobody calculated, error cells, Excel day
numbers as dates, rows entered twice; and one row numbering from the check to the import."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from clients.models import Settlement
from clients.services import settlements_import
from crm_portal.models import Role
from segmentation import services
from segmentation.models import Dataset
from segmentation.parsing import Mapping, detect_mapping
from segmentation.pipeline import load, rejected_frame
from segmentation.services import settlement_rows

from .helpers import Formula, excel_workbook, rezip
from .test_services import PARAMS, make_dataset

TODAY = date(2025, 6, 15)
MONTHS = ["Client", "2025-01", "2025-02", "2025-03", "2025-04"]
LONG = ["Client", "Date", "Amount", "Product"]


def write(tmp_path, content: bytes, name: str = "file.xlsx"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def problems(loaded) -> list[tuple]:
    return [(p.row, p.column, p.value, p.message) for p in loaded.parsed.problems]


# ------------------------------------------------------------------ formulas


UNCOMPUTED = (
    "have no computed values stored in the file (the program that wrote it left the calculation to a "
    "spreadsheet). Open the workbook in Excel or LibreOffice and save it, so that the values are computed, "
    "or save the cells as values."
)


def test_formulas_a_generator_left_for_excel_to_calculate_are_refused_with_their_cells(tmp_path):
    # XlsxWriter (like most generators) stores 0 beside each formula and asks for a recalculation on
    # opening: read as they are, the months would be zeros. A value stored beside a formula in such a
    # workbook (E3) was not computed by a spreadsheet either.
    rows = [
        MONTHS,
        ["Alpha", 10, 20, 30, Formula("=B2+C2+D2")],
        ["Beta", 1, 1, 1, Formula("=B3*4", 4)],
        ["Gamma", 5, 5, 5, 5],
    ]
    loaded = load(write(tmp_path, excel_workbook(rows)), today=TODAY)
    assert problems(loaded) == [(None, "", "", f"Sheet “Sales”: the formulas in 2 cells (E2, E3) {UNCOMPUTED}")]
    assert not loaded.parsed.ok and loaded.parsed.wide is None


def test_the_formula_message_names_ten_cells_and_counts_the_rest_in_russian(tmp_path):
    rows = [["Client", "Date", "Amount"]] + [[f"C{n}", "2025-01-10", Formula(f"=1+{n}")] for n in range(12)]
    with translation.override("ru"):
        loaded = load(write(tmp_path, excel_workbook(rows, sheet="Продажи")), today=TODAY)
    assert problems(loaded)[0] == (
        None,
        "",
        "",
        (
            "Лист «Продажи»: у формул в 12 ячейках (C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, …) в файле нет вычисленных "
            "значений (программа, записавшая файл, оставила вычисление электронной таблице). Откройте книгу в Excel или "
            "LibreOffice и сохраните её, чтобы значения были вычислены, или сохраните ячейки как значения."
        ),
    )


def test_formulas_without_any_stored_value_are_refused_the_same_way(tmp_path):
    rows = [MONTHS, ["Alpha", 10, 20, 30, Formula("=B2+C2+D2")]]
    data = excel_workbook(rows, recalculate=False)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    data = rezip(data, {"xl/worksheets/sheet1.xml": sheet.replace(b"<f>B2+C2+D2</f><v>0</v>", b"<f>B2+C2+D2</f>")})
    loaded = load(write(tmp_path, data), today=TODAY)
    assert problems(loaded) == [
        (
            None,
            "",
            "",
            f"Sheet “Sales”: the formula in cell E2 {UNCOMPUTED.replace('have no computed values', 'has no computed value')}",
        )
    ]


def test_a_formula_whose_value_a_spreadsheet_computed_is_read(tmp_path):
    rows = [MONTHS, ["Alpha", 10, 20, 30, Formula("=B2+C2+D2", 60)], ["Beta", 1, 1, 1, 1]]
    loaded = load(write(tmp_path, excel_workbook(rows, recalculate=False)), today=TODAY)
    assert loaded.parsed.ok
    assert loaded.parsed.wide.loc["Alpha"].tolist() == [10.0, 20.0, 30.0, 60.0]


def test_the_command_refuses_uncomputed_formulas_instead_of_classifying_zeros(tmp_path):
    rows = [MONTHS, ["Alpha", Formula("=1"), Formula("=2"), Formula("=3"), Formula("=4")]]
    with pytest.raises(
        CommandError,
        match=r"1 problem\(s\); nothing classified.\n.*Sheet “Sales”: the formulas in 4 cells \(B2, C2, D2, E2\)",
    ):
        call_command("abcxyz", str(write(tmp_path, excel_workbook(rows))), "--out", str(tmp_path / "r.xlsx"))
    assert not (tmp_path / "r.xlsx").exists()


# ------------------------------------------------------------------ error cells


def error_workbook() -> bytes:
    """A long list with a failed formula (C2), an error pasted as a value (B3) and an error typed as text (D4)."""
    rows = [
        LONG,
        ["Alpha", "2025-01-10", Formula("=1/0", "#DIV/0!"), "Tea"],
        ["Beta", Formula("=NA()", "#N/A"), 5, "Tea"],
        ["Gamma", "2025-01-11", 5, "#REF!"],
        ["Delta", "2025-01-12", 7, "Tea"],
    ]
    data = excel_workbook(rows, recalculate=False)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    return rezip(data, {"xl/worksheets/sheet1.xml": sheet.replace(b"<f>NA()</f>", b"")})


def test_error_cells_are_named_as_errors_not_as_empty(tmp_path):
    loaded = load(write(tmp_path, error_workbook()), today=TODAY)
    assert problems(loaded) == [
        (2, "C (Amount)", "#DIV/0!", "error cell #DIV/0!"),
        (3, "B (Date)", "#N/A", "error cell #N/A"),
        (4, "D (Product)", "#REF!", "error cell #REF!"),
    ]
    assert rejected_frame(loaded)["Reason"].tolist() == [
        "C (Amount): error cell #DIV/0!",
        "B (Date): error cell #N/A",
        "D (Product): error cell #REF!",
    ]


def test_error_cells_in_russian(tmp_path):
    with translation.override("ru"):
        loaded = load(write(tmp_path, error_workbook()), today=TODAY)
    assert [p.message for p in loaded.parsed.problems] == [
        "ячейка с ошибкой #DIV/0!",
        "ячейка с ошибкой #N/A",
        "ячейка с ошибкой #REF!",
    ]


def test_na_written_as_text_among_numbers_is_an_error_cell_too(tmp_path):
    # What an export writes for a missing value (pandas: na_rep="#N/A"); the reader alone makes it a blank.
    rows = [
        ["Client", "Date", "Amount"],
        ["Alpha", "2025-01-10", 10],
        ["Beta", "2025-01-11", "#N/A"],
        ["Gamma", "2025-01-12", None],
    ]
    loaded = load(write(tmp_path, excel_workbook(rows)), today=TODAY)
    assert problems(loaded) == [
        (3, "C (Amount)", "#N/A", "error cell #N/A"),
        (4, "C (Amount)", "", "the amount is empty"),
    ]


def test_an_error_cell_in_a_month_is_not_read_as_a_blank_month(tmp_path):
    rows = [
        MONTHS,
        ["Alpha", 10, Formula("=B2/0", "#DIV/0!"), 30, 40],
        ["Beta", 1, 1, 1, Formula("=B3+#REF!", "#REF!")],
    ]
    loaded = load(write(tmp_path, excel_workbook(rows, recalculate=False)), today=TODAY)
    assert problems(loaded) == [
        (2, "C (2025-02)", "#DIV/0!", "error cell #DIV/0!"),
        (3, "E (2025-04)", "#REF!", "error cell #REF!"),
    ]


def test_error_values_in_a_csv_file(tmp_path):
    text = "Client;Date;Amount\nAlpha;2025-01-10;#VALUE!\n#NAME?;2025-01-10;5\nBeta;#NUM!;5\nGamma;2025-01-10;#NULL!\n"
    loaded = load(write(tmp_path, text.encode(), "list.csv"), today=TODAY)
    assert problems(loaded) == [
        (2, "C (Amount)", "#VALUE!", "error cell #VALUE!"),
        (3, "A (Client)", "#NAME?", "error cell #NAME?"),
        (4, "B (Date)", "#NUM!", "error cell #NUM!"),
        (5, "C (Amount)", "#NULL!", "error cell #NULL!"),
    ]


# ------------------------------------------------------------------ Excel day numbers as dates


def test_excel_day_numbers_are_dates_in_a_long_file(tmp_path):
    # 45292 is 2024-01-01: a number cell, the same number written as text, a fraction (noon) and a date cell.
    rows = [
        ["Client", "Date", "Amount"],
        ["Alpha", 45292, 10],
        ["Beta", "45292", 5],
        ["Gamma", 45323.5, 7],
        ["Delta", datetime(2024, 3, 1), 1],
    ]
    loaded = load(write(tmp_path, excel_workbook(rows)), today=TODAY)
    assert problems(loaded) == []
    settlements = loaded.parsed.settlements
    assert settlements["date"].dt.date.tolist() == [
        date(2024, 1, 1),
        date(2024, 1, 1),
        date(2024, 2, 1),
        date(2024, 3, 1),
    ]


def test_a_column_of_excel_day_numbers_only(tmp_path):
    rows = [["Client", "Date", "Amount"], ["Alpha", 45292, 10], ["Beta", 45658, 5]]
    loaded = load(write(tmp_path, excel_workbook(rows)), today=TODAY)
    assert loaded.parsed.ok
    assert loaded.parsed.settlements["date"].dt.date.tolist() == [date(2024, 1, 1), date(2025, 1, 1)]


def test_excel_day_numbers_in_a_csv_file_and_numbers_that_are_no_day(tmp_path):
    text = "Client;Date;Amount\nAlpha;45292;10\nBeta;12345;5\nGamma;45292,5;5\n"
    loaded = load(write(tmp_path, text.encode(), "list.csv"), today=TODAY)
    assert problems(loaded) == [
        (3, "B (Date)", "12345", "not a date (write it as 2025-01-31 or 31.01.2025)"),
        (4, "B (Date)", "45292,5", "not a date (write it as 2025-01-31 or 31.01.2025)"),
    ]


# ------------------------------------------------------------------ rows entered twice


REPEATS = [
    LONG,
    ["Alpha", "2025-01-10", 100, "Tea"],
    ["Beta", "2025-01-11", 50, None],
    ["Alpha", "2025-01-10", 100, "Tea"],  # row 4 repeats row 2
    ["Alpha", "2025-01-10", 100, "Coffee"],  # another product: not a repeat
    ["Alpha", "10.01.2025", "100,00", "Tea"],  # the same cells written otherwise: repeats row 2
    ["Beta", "2025-01-11", 50, None],  # repeats row 3
    ["Beta", "2025-01-11", 50.5, None],  # another amount: not a repeat
]


def test_rows_that_repeat_an_earlier_row_are_counted_and_kept_by_default(tmp_path):
    loaded = load(write(tmp_path, excel_workbook(REPEATS)), today=TODAY)
    parsed = loaded.parsed
    assert parsed.ok
    assert (parsed.duplicate_count, parsed.duplicate_example) == (3, (4, 2))
    assert parsed.settlements["row"].tolist() == [2, 3, 4, 5, 6, 7, 8]


def test_rows_that_repeat_an_earlier_row_are_dropped_when_the_analyst_says_so(tmp_path):
    path = write(tmp_path, excel_workbook(REPEATS))
    mapping = detect_mapping(LONG)
    mapping.duplicates = "drop"
    parsed = load(path, mapping=mapping, today=TODAY).parsed
    assert (parsed.duplicate_count, parsed.duplicate_example) == (3, (4, 2))
    assert parsed.settlements["row"].tolist() == [2, 3, 5, 8]
    assert parsed.settlements["amount"].sum() == 100 + 50 + 100 + 50.5


def test_the_duplicates_choice_is_part_of_the_mapping():
    assert detect_mapping(LONG).duplicates == "keep"
    mapping = Mapping.from_dict(detect_mapping(LONG).as_dict() | {"duplicates": "drop"})
    assert mapping.duplicates == "drop" and mapping.as_dict()["duplicates"] == "drop"
    assert Mapping.from_dict({"shape": "long", "client": 0, "date": 1, "amount": 2}).duplicates == "keep"


# ------------------------------------------------------------------ one row numbering


LONG_KEY = "K" * 70  # fits a client's name (255), not an external id (64)
TOO_LONG = "K" * 300  # fits neither


def numbered_workbook(key: str) -> bytes:
    """A long list that starts at B3 with a blank row inside; `key` is the client of spreadsheet row 7."""
    rows = [
        [],
        [],
        [None, "Client", "Date", "Amount"],
        [None, "A-1", "2025-01-10", 10],
        [],
        [None, "A-2", "2025-01-11", 20],
        [None, key, "2025-01-12", 30],
        [None, "A-3", "2025-01-13", 40],
    ]
    return excel_workbook(rows)


def numbered_csv(key: str) -> bytes:
    """The same list as .csv, after two blank lines; `key` is the client of line 7."""
    return f"\n\nClient;Date;Amount\nA-1;2025-01-10;10\n\nA-2;2025-01-11;20\n{key};2025-01-12;30\nA-3;2025-01-13;40\n".encode()


@pytest.mark.django_db
@pytest.mark.parametrize("build, name", [(numbered_workbook, "list.xlsx"), (numbered_csv, "list.csv")])
def test_the_check_and_the_import_number_a_bad_row_alike(tmp_path, org_a, build, name):
    checked = load(write(tmp_path, build(TOO_LONG), name), today=TODAY)
    assert [(p.row, p.message) for p in checked.parsed.problems] == [(7, "the client is longer than 255 characters.")]
    loaded = load(write(tmp_path, build(LONG_KEY), name), today=TODAY)
    assert loaded.parsed.ok
    with pytest.raises(ValidationError) as refused:
        settlements_import(
            organization=org_a, rows=settlement_rows(loaded), match_by="external_id", on_missing="create"
        )
    assert refused.value.messages == ["Row 7: the client is longer than 64 characters."]
    assert Settlement.objects.count() == 0
    assert pd.Series(settlement_rows(loaded)["row"]).tolist() == [4, 6, 7, 8]


def numbered_wide(key: str) -> bytes:
    """A wide list that starts at B3 with a blank row inside; `key` is the client of spreadsheet row 7."""
    rows = [
        [],
        [],
        [None, "Client", "2025-01", "2025-02"],
        [None, "A-1", 10, 0],
        [],
        [None, "A-2", 0, 20],
        [None, key, 30, 0],
        [None, "A-3", 40, 0],
    ]
    return excel_workbook(rows)


@pytest.mark.django_db
def test_the_check_and_the_import_number_a_bad_row_of_a_wide_file_alike(tmp_path, org_a):
    checked = load(write(tmp_path, numbered_wide(TOO_LONG)), today=TODAY)
    assert [(p.row, p.message) for p in checked.parsed.problems] == [(7, "the client is longer than 255 characters.")]
    loaded = load(write(tmp_path, numbered_wide(LONG_KEY)), today=TODAY)
    with pytest.raises(ValidationError) as refused:
        settlements_import(
            organization=org_a, rows=settlement_rows(loaded), match_by="external_id", on_missing="create"
        )
    assert refused.value.messages == ["Row 7: the client is longer than 64 characters."]


# ------------------------------------------------------------------ the analyst's choice for repeated rows


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def checked_repeats(org) -> Dataset:
    dataset = make_dataset(org, excel_workbook(REPEATS))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    return dataset


def page_of(web, dataset, language="en") -> str:
    return web.get(
        reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, note",
    [
        (
            "en",
            (
                "3 rows repeat an earlier row exactly (first: row 4 repeats row 2).\nSuch rows are kept as repeated purchases. "
                "If they were entered twice by mistake, choose “Drop them” for repeated rows under “Sheet and columns” and check "
                "again."
            ),
        ),
        (
            "ru",
            (
                "3 строки в точности повторяют более ранние (первая: строка 4 повторяет строку 2).\nТакие строки оставлены как "
                "повторные покупки. Если они внесены дважды по ошибке, выберите «Убрать» для повторяющихся строк в разделе "
                "«Лист и столбцы» и проверьте снова."
            ),
        ),
    ],
)
def test_the_dataset_page_counts_the_repeated_rows_and_shows_the_choice(client_as, org_a, media, language, note):
    dataset = checked_repeats(org_a)
    assert (dataset.status, dataset.problem_count) == (Dataset.Status.VALID, 0)  # not an error that blocks
    assert dataset.duplicates == {"count": 3, "row": 4, "first": 2}
    page = page_of(client_as(org_a, Role.ANALYST), dataset, language)
    assert f'<div class="alert alert-warning" id="duplicates-note" data-choice="keep">{note}</div>' in page
    assert '<option value="keep" selected>' in page


@pytest.mark.django_db
def test_one_repeat_is_counted_and_a_list_without_repeats_has_no_note(client_as, org_a, media):
    dataset = make_dataset(org_a, excel_workbook(REPEATS[:4]))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    assert dataset.duplicates == {"count": 1, "row": 4, "first": 2}
    unique = make_dataset(org_a, excel_workbook(REPEATS[:3]))
    services.dataset_inspect(dataset=unique, progress=lambda *a: None)
    unique.refresh_from_db()
    assert unique.duplicates == {}
    assert 'id="duplicates-note"' not in page_of(client_as(org_a, Role.ANALYST), unique)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "choice, totals, imported",
    [
        ("keep", [("Alpha", 400.0), ("Beta", 150.5)], 7),
        ("drop", [("Alpha", 200.0), ("Beta", 100.5)], 4),
    ],
)
def test_the_analysis_and_the_import_follow_the_analysts_choice(client_as, org_a, media, choice, totals, imported):
    dataset = checked_repeats(org_a)
    web = client_as(org_a, Role.ANALYST)
    response = web.post(
        reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}),
        {"sheet": "Sales", "shape": "long", "client": 0, "date": 1, "amount": 2, "product": 3, "duplicates": choice},
    )
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.mapping["duplicates"] == choice and dataset.mapping["confirmed"]
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    assert dataset.duplicates == {"count": 3, "row": 4, "first": 2}
    page = page_of(web, dataset)
    assert f'id="duplicates-note" data-choice="{choice}">' in page
    assert f'<option value="{choice}" selected>' in page
    if choice == "drop":
        assert (
            "3 rows repeat an earlier row exactly (first: row 4 repeats row 2).\nSuch rows are dropped, as you "
            "chose: the analysis and the import leave them out.</div>"
        ) in page
    run = services.run_on_file(dataset=dataset, params=PARAMS)
    assert list(run.classes.order_by("rank").values_list("client_key", "total")) == totals
    summary = services.dataset_import(dataset=dataset, match_by="name", on_missing="create")
    assert summary["settlements_created"] == imported == Settlement.objects.count()
    assert sorted(Settlement.objects.values_list("client__name", "amount")) == sorted(
        (name, Decimal(str(amount)))
        for name, amount in (
            [("Alpha", 100), ("Beta", 50), ("Alpha", 100), ("Alpha", 100), ("Alpha", 100), ("Beta", 50), ("Beta", 50.5)]
            if choice == "keep"
            else [("Alpha", 100), ("Beta", 50), ("Alpha", 100), ("Beta", 50.5)]
        )
    )
