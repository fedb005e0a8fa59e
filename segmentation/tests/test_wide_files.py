"""A file as wide as Excel allows (16,384 columns, XFD): a bounded preview, a mapping form of column
letters, reasons and rejected rows that fit a spreadsheet."""

import io

import openpyxl
import pandas as pd
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from crm_portal.models import Job, Role
from segmentation import services
from segmentation.forms import ColumnLetterField, ColumnRangesField, MappingForm, months_summary
from segmentation.guards import FileRefused
from segmentation.models import Dataset
from segmentation.pipeline import load, rejected_frame

from .helpers import very_wide_workbook, wide_frame, workbook

PARAMS = {"a": 0.5, "b": 0.8, "x": 0.1, "y": 0.25, "min_history": 4, "period": "month", "measure": "turnover"}
NOTE = {
    "en": "Showing %s of 16,384 columns: the first ones, the ones chosen for the client, date and amount, and those "
    "with a problem in the rows shown.",
    "ru": "Показано столбцов: %s из 16\xa0384 — первые, выбранные для клиента, даты и суммы, и те, где в показанных "
    "строках есть ошибка.",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def make_dataset(org, content: bytes, name="wide.xlsx") -> Dataset:
    dataset = Dataset(organization=org, token=f"wide{Dataset.objects.count()}", name=name)
    dataset.file.save(name, ContentFile(content), save=False)
    dataset.save()
    return dataset


@pytest.mark.django_db
def test_a_file_as_wide_as_excel_allows_gets_a_small_page_a_usable_form_and_its_rejected_rows(client_as, org_a):
    # Row 3 (Beta) has the text "many" in BH, the 59th month: past the preview's first 30 columns.
    dataset = make_dataset(org_a, very_wide_workbook(bad=(1, 59)))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    assert (dataset.status, dataset.problem_count, len(dataset.header)) == (Dataset.Status.INVALID, 1, 16_384)
    assert dataset.mapping["months"] == list(range(1, 61))
    # The first 30 columns, and BH: the one column past them with a problem in the rows shown.
    assert [[cell["column"] for cell in row["cells"]] for row in dataset.preview] == [[*range(30), 59]] * 3
    assert dataset.preview[1]["cells"][-1] == {
        "column": 59,
        "value": "many",
        "date": False,
        "problem": "not a number",
        "negative": False,
    }

    web = client_as(org_a, Role.ANALYST)
    url = reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk})
    for language in ("en", "ru"):
        response = web.get(url, HTTP_ACCEPT_LANGUAGE=language)
        page = response.content.decode()
        assert len(response.content) < 40_000  # 15.5 MB before the preview's columns were bounded
        assert f'<p class="small text-body-secondary" id="preview-columns-note">{NOTE[language] % 31}</p>' in page
        assert page.count('<span class="fw-normal">') == 31  # the preview's header cells
        assert page.split('id="preview"')[1].split("</table>")[0].count("<td") == 3 * 31
        assert '<th>BH<br><span class="fw-normal">2024-11</span></th>' in page
        # No list of 16,384 columns: the columns are letters, the months ranges with what is chosen now.
        assert page.count("<option") < 20 and '<select name="months"' not in page
        assert 'name="client" value="A"' in page and 'name="months" value="B:BI"' in page
    assert "Сейчас выбраны: B–BI (60 месяцев)." in page
    with translation.override("en"):
        assert "Chosen now: B–BI (60 months)." in web.get(url).content.decode()

    # The rejected rows: the row number, the file's columns and the reasons in Excel's 16,384 columns
    # (the file's last two left out: the check failed on writing 16,386).
    download = web.get(reverse("segmentation:dataset_rejected", kwargs={"dataset_id": dataset.pk}))
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True).active.values)
    assert [len(row) for row in rows] == [16_384, 16_384]
    assert rows[0][:3] + rows[0][-2:] == ("Row", "Client", "2020-01", "Note 16321", "Reason")
    assert rows[1][:3] + rows[1][-1:] == (3, "Beta", 200, "BH (2024-11): not a number")

    # Letters the sheet does not have, or a range written backwards: refused on the form, nothing queued.
    jobs = Job.objects.count()
    refused = web.post(url, {"sheet": "Sales", "shape": "wide", "client": "XFE", "months": "B:M, Q:C"}).content.decode()
    assert "Write a column letter from A to XFD." in refused
    assert "The range Q:C runs backwards: write it as C:Q." in refused
    assert Job.objects.count() == jobs

    # The analyst leaves out the two last months (BH holds the bad cell) and checks again.
    response = web.post(
        url, {"sheet": "Sales", "shape": "wide", "client": "a", "months": " b : bg ", "duplicates": "keep"}
    )
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.mapping == {
        "shape": "wide",
        "client": 0,
        "date": None,
        "amount": None,
        "margin": None,
        "product": None,
        "document": None,
        "months": list(range(1, 59)),
        "duplicates": "keep",
        "confirmed": True,
    }
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    assert (dataset.status, dataset.problem_count, dataset.client_count) == (Dataset.Status.VALID, 0, 3)
    page = web.get(url).content.decode()
    assert f'id="preview-columns-note">{NOTE["en"] % 30}</p>' in page
    assert 'name="months" value="B:BG"' in page and "Chosen now: B–BG (58 months)." in page
    run = services.run_on_file(dataset=dataset, params=PARAMS)
    assert (run.periods[0], run.periods[-1], len(run.periods), run.client_count) == ("2020-01", "2024-10", 58, 3)


@pytest.mark.parametrize("columns, field", [(200, "TypedChoiceField"), (201, "ColumnLetterField")])
def test_the_mapping_form_lists_up_to_200_columns_and_takes_letters_beyond(columns, field):
    form = MappingForm(header=[f"h{i}" for i in range(columns)], sheets=["Sales"])
    assert type(form.fields["client"]).__name__ == field
    assert type(form.fields["months"]).__name__ == field.replace(
        "TypedChoiceField", "TypedMultipleChoiceField"
    ).replace("ColumnLetterField", "ColumnRangesField")


def test_column_letters_and_ranges_become_positions_and_back():
    field = ColumnRangesField(width=16_384, required=False)
    assert field.clean("b:d, h ; j-k, m – n,XFD") == [1, 2, 3, 7, 9, 10, 12, 13, 16_383]
    assert field.clean("") == []
    assert field.prepare_value([1, 2, 3, 7, 9, 10, 16_383]) == "B:D, H, J:K, XFD"
    with translation.override("en"):
        with pytest.raises(Exception, match="Write a column letter from A to D."):
            ColumnLetterField(width=4).clean("E")
        with pytest.raises(Exception, match="Write a column letter from A to D."):
            ColumnRangesField(width=4).clean("B:1")
        assert months_summary(list(range(1, 16_384))) == "B–XFD (16,383 months)"
        assert months_summary([1, 2, 5]) == "B–C, F (3 months)"
    with translation.override("ru"):
        assert months_summary(list(range(1, 16_384))) == "B–XFD (16\xa0383 месяца)"
        assert months_summary([1]) == "B (1 месяц)"


@pytest.mark.parametrize(
    "language, more", [("en", "and 5 more problems in this row"), ("ru", "и ещё 5 ошибок в этой строке")]
)
def test_a_rows_reasons_are_the_first_20_and_how_many_more(tmp_path, language, more):
    # 25 months of text: 25 problems in one row, whose reasons must fit one spreadsheet cell.
    months = [str(p) for p in pd.period_range("2023-01", periods=25, freq="M")]
    frame = wide_frame([("Alpha", *["many"] * 25), ("Beta", *[1] * 25)], months=months)
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook(frame))
    with translation.override(language):
        loaded = load(path, filename="list.xlsx")
        reasons = loaded.reasons[0]
        assert loaded.problem_count == 25 and len(loaded.parsed.problems) == 25
        assert len(reasons) == 21 and reasons[-1] == more
        assert reasons[0].startswith("B (2023-01): ") and reasons[19].startswith("U (2024-08): ")
        assert rejected_frame(loaded).iloc[0, -1] == "; ".join(reasons)


def test_a_csv_wider_than_a_spreadsheet_is_refused(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(";".join(["Client", *[f"c{i}" for i in range(16_384)]]) + "\nAlpha" + ";1" * 16_384 + "\n")
    with translation.override("en"), pytest.raises(FileRefused) as refused:
        load(path, filename="list.csv")
    assert str(refused.value) == "The file has 16,385 columns; a spreadsheet holds at most 16,384."


def test_a_long_header_is_cut_in_messages(tmp_path):
    header = "Client " + "x" * 100
    frame = pd.DataFrame([("", "2025-01-10", 10)], columns=[header, "Date", "Amount"]).astype(object)
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook(frame))
    with translation.override("en"):
        problems = load(path, filename="list.xlsx").parsed.problems
    assert [p.column for p in problems] == [f"A ({header[:60]})"]


@pytest.mark.django_db
def test_the_preview_shows_the_mapped_columns_wherever_they_are(org_a):
    # A long list of 45 columns whose client is in AO, past the first 30.
    header = ["Date", "Amount", *[f"Note {i}" for i in range(1, 39)], "Client", *[f"Note {i}" for i in range(39, 43)]]
    row = ["2025-01-10", 10, *[""] * 38, "Alpha", *[""] * 4]
    dataset = make_dataset(org_a, workbook(pd.DataFrame([row], columns=header).astype(object)), name="long.xlsx")
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    assert (dataset.status, dataset.mapping["client"], dataset.mapping["date"], dataset.mapping["amount"]) == (
        Dataset.Status.VALID,
        40,
        0,
        1,
    )
    assert [cell["column"] for cell in dataset.preview[0]["cells"]] == [*range(30), 40]
    assert dataset.preview[0]["cells"][-1]["value"] == "Alpha"
