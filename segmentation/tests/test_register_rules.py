"""The file check and the import into the client register follow one set of settlement-row rules.

What the check (preview) accepts imports; a row the import refuses is one the check already
showed, with the same row number (as in the file: the header is row 1) and the same message.
"""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Settlement
from clients.services import settlements_import
from crm_portal.models import Job, Role
from segmentation import jobs, services
from segmentation.models import Dataset
from segmentation.pipeline import load, rejected_frame

from .helpers import wide_frame, workbook
from .test_services import make_dataset

TODAY = date(2026, 6, 15)
MONTHS = ("2019-01", "2019-02", "2019-03", "2019-04")
# The message of a date outside the register's range, with today pinned to TODAY.
OUT_OF_RANGE = "the date must lie between 01/01/2000 and 06/15/2027 (not before 2000, at most a year ahead)."


@pytest.fixture
def today(monkeypatch):
    """The check and the import both read today's date: pin it."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture(autouse=True)
def media(request, settings, tmp_path):
    """Files go to a temporary folder, except in the worker's test: the worker reads the configured one."""
    if request.node.get_closest_marker("worker") is None:
        settings.MEDIA_ROOT = tmp_path


def check(dataset: Dataset) -> Dataset:
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    return dataset


def import_job(dataset: Dataset, match_by: str = "external_id") -> Job:
    return Job.objects.create(
        organization=dataset.organization,
        kind="segmentation.import",
        params={"dataset": dataset.pk, "match_by": match_by, "on_missing": "create"},
    )


@pytest.mark.django_db
def test_a_wide_file_with_a_negative_month_imports_it_as_a_refund(org_a, today):
    existing = Client.objects.create(organization=org_a, name="Alpha", external_id="A-1")
    dataset = check(
        make_dataset(org_a, workbook(wide_frame([("A-1", 100, -3, 50.5, 0), ("B-2", 10, 10, 10, 10)], months=MONTHS)))
    )
    assert (dataset.status, dataset.problem_count, dataset.negative_count) == (Dataset.Status.VALID, 0, 1)
    result = jobs.dataset_import(import_job(dataset), lambda *a: None)
    assert {k: result[k] for k in ("clients_created", "clients_matched", "settlements_created")} == {
        "clients_created": 1,
        "clients_matched": 1,
        "settlements_created": 7,
    }
    assert list(Settlement.objects.filter(client=existing).order_by("date").values_list("date", "amount")) == [
        (date(2019, 1, 1), Decimal("100.00")),
        (date(2019, 2, 1), Decimal("-3.00")),
        (date(2019, 3, 1), Decimal("50.50")),
    ]
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.IMPORTED


LONG_ROWS = [  # file row: what the register's rules say
    ("Alpha", date(2019, 1, 10), 100),  # 2: good
    ("Beta", date(1999, 12, 31), 10),  # 3: before 2000
    ("Gamma", date(2019, 2, 10), 0),  # 4: zero
    ("Delta", date(2019, 2, 10), 1e12),  # 5: too large for the register
    ("E" * 256, date(2019, 3, 10), 5),  # 6: longer than a client's name holds
    ("Eps", date(2019, 3, 10), -40),  # 7: a refund: good
    ("Zeta", date(2019, 3, 10), 0.004),  # 8: zero once rounded to cents
]


@pytest.mark.django_db
def test_the_check_shows_every_row_the_import_refuses_with_its_row_and_message(org_a, today):
    frame = pd.DataFrame(LONG_ROWS, columns=["Client", "Date", "Amount"]).astype(object)
    dataset = check(make_dataset(org_a, workbook(frame)))
    shown = [(p["row"], p["column"], p["message"]) for p in dataset.problems]
    assert shown == [
        (3, "B (Date)", OUT_OF_RANGE),
        (4, "C (Amount)", "the amount is zero."),
        (5, "C (Amount)", "the amount is too large: the register keeps amounts below a trillion."),
        (6, "A (Client)", "the client is longer than 255 characters."),
        (8, "C (Amount)", "the amount is zero."),
    ]
    assert dataset.status == Dataset.Status.INVALID
    # The same rows, with their rows in the file, straight into the import: it refuses exactly those.
    rows = frame.assign(row=range(2, len(frame) + 2)).rename(columns=str.lower)
    with pytest.raises(ValidationError) as refused:
        settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="create")
    assert refused.value.messages == [f"Row {row}: {message}" for row, _column, message in shown]
    assert Settlement.objects.count() == 0


@pytest.mark.django_db
def test_a_wide_files_months_before_2000_and_too_large_amounts_are_shown_where_they_are(org_a, today):
    frame = wide_frame([("A", 5, 5), ("B", 0, 2e12), ("C", 0.001, 7)], months=("1999-12", "2000-01"))
    dataset = check(make_dataset(org_a, workbook(frame)))
    # C's 0.001 is zero in cents: no settlement, so nothing for the rules to refuse.
    assert [(p["row"], p["column"], p["message"]) for p in dataset.problems] == [
        (2, "B (1999-12)", OUT_OF_RANGE),
        (3, "C (2000-01)", "the amount is too large: the register keeps amounts below a trillion."),
    ]
    settlements = pd.DataFrame(
        [
            ("A", date(1999, 12, 1), 5.0, 2),
            ("A", date(2000, 1, 1), 5.0, 2),
            ("B", date(2000, 1, 1), 2e12, 3),
            ("C", date(2000, 1, 1), 7.0, 4),
        ],
        columns=["client", "date", "amount", "row"],
    )
    with pytest.raises(ValidationError) as refused:
        settlements_import(organization=org_a, rows=settlements, match_by="name", on_missing="create")
    assert refused.value.messages == [
        f"Row 2: {OUT_OF_RANGE}",
        "Row 3: the amount is too large: the register keeps amounts below a trillion.",
    ]


@pytest.mark.django_db
def test_a_valid_long_file_imports_every_row_with_refunds_negative(org_a, today):
    frame = pd.DataFrame(
        [row for row in LONG_ROWS if row[0] in ("Alpha", "Eps")] + [("Alpha", "2019-04-01", "1 234,56")],
        columns=["Client", "Date", "Amount"],
    ).astype(object)
    dataset = check(make_dataset(org_a, workbook(frame)))
    assert (dataset.status, dataset.negative_count) == (Dataset.Status.VALID, 1)
    jobs.dataset_import(import_job(dataset, match_by="name"), lambda *a: None)
    assert sorted(Settlement.objects.values_list("client__name", "date", "amount")) == [
        ("Alpha", date(2019, 1, 10), Decimal("100.00")),
        ("Alpha", date(2019, 4, 1), Decimal("1234.56")),
        ("Eps", date(2019, 3, 10), Decimal("-40.00")),
    ]


@pytest.mark.django_db
def test_problem_rows_are_listed_in_file_order(client_as, org_a, today):
    frame = wide_frame(
        [("A", 1, 1, 1, 1), ("B", 1, 1, 1, "x"), ("C", 1, 1, "y", 1), ("D", 1, "z", 1, 1)], months=MONTHS
    )
    dataset = check(make_dataset(org_a, workbook(frame)))
    assert [(p["row"], p["column"]) for p in dataset.problems] == [
        (3, "E (2019-04)"),
        (4, "D (2019-03)"),
        (5, "C (2019-02)"),
    ]
    assert [r["row"] for r in dataset.preview if r["problem"]] == [3, 4, 5]
    page = (
        client_as(org_a, Role.ANALYST)
        .get(reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}))
        .content.decode()
    )
    assert (
        page.index('<tr class="problem" data-row="3">')
        < page.index('<tr class="problem" data-row="4">')
        < page.index('<tr class="problem" data-row="5">')
    )


def dated_workbook() -> bytes:
    """A long file as Excel writes it: real date cells, one date typed as text, one date in the future."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Client", "Date", "Amount"])
    sheet.append(["Alpha", date(2024, 2, 15), 10])
    sheet.append(["Beta", "31.02.2024", 10])  # not a date: the column mixes dates and text
    sheet.append(["Gamma", date(2026, 7, 1), 10])  # after TODAY
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, alpha, gamma", [("en", "02/15/2024", "07/01/2026"), ("ru", "15.02.2024", "01.07.2026")]
)
def test_the_preview_and_the_problem_list_show_dates_in_the_readers_format(
    client_as, org_a, today, language, alpha, gamma
):
    dataset = check(make_dataset(org_a, dated_workbook()))
    assert [(p["row"], p["value"], p["date"]) for p in dataset.problems] == [
        (3, "31.02.2024", False),
        (4, "2026-07-01", True),
    ]
    page = (
        client_as(org_a, Role.ANALYST)
        .get(reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}), HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    assert f'<tr data-row="2"><th>2</th><td>Alpha</td><td>{alpha}</td>' in page
    assert f'<td class="table-danger cell-problem" title="the date lies in the future">{gamma}</td>' in page
    assert f"<td><code>{gamma}</code></td>" in page
    assert "<td><code>31.02.2024</code></td>" in page
    assert "00:00:00" not in page and "2024-02-15" not in page


@pytest.mark.django_db
def test_the_rejected_rows_keep_dates_as_dates_in_file_order(org_a, today, tmp_path):
    path = tmp_path / "dated.xlsx"
    path.write_bytes(dated_workbook())
    rejected = rejected_frame(load(path, today=TODAY))
    assert rejected["Row"].tolist() == [3, 4]
    assert rejected["Date"].tolist() == ["31.02.2024", datetime(2026, 7, 1)]


def test_row_numbers_are_the_files_lines_even_after_blank_lines(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("\nClient;Date;Amount\nA;10.01.2019;5\n\nB;1999-12-31;7\n", encoding="utf-8")
    assert [(p.row, p.message) for p in load(path, today=TODAY).parsed.problems] == [(5, OUT_OF_RANGE)]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_negative_month_goes_through_check_and_import_in_the_worker(client_as, org_a, celery_worker, wait_for):
    web = client_as(org_a, Role.ANALYST)
    content = workbook(wide_frame([("A-1", 100, -3, 50, 0)], months=MONTHS))
    web.post(reverse("segmentation:upload"), {"file": SimpleUploadedFile("refunds.xlsx", content)})
    dataset = Dataset.objects.get(organization=org_a)
    try:
        dataset = wait_for(
            lambda: Dataset.objects.filter(pk=dataset.pk).exclude(status=Dataset.Status.CHECKING).first(), timeout=60
        )
        assert (dataset.status, dataset.negative_count) == (Dataset.Status.VALID, 1), dataset.problems
        web.post(
            reverse("segmentation:dataset_import", kwargs={"dataset_id": dataset.pk}),
            {"match_by": "external_id", "on_missing": "create"},
        )
        job = wait_for(
            lambda: Job.objects.filter(kind="segmentation.import", status__in=Job.FINISHED).first(), timeout=60
        )
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert list(Settlement.objects.filter(organization=org_a).order_by("date").values_list("date", "amount")) == [
            (date(2019, 1, 1), Decimal("100.00")),
            (date(2019, 2, 1), Decimal("-3.00")),
            (date(2019, 3, 1), Decimal("50.00")),
        ]
    finally:
        dataset.file.delete(save=False)
        if dataset.rejected:
            dataset.rejected.delete(save=False)
