"""What a person reads on the segmentation pages: numbers in their language, headers, notes."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import translation

from crm_portal.models import Job, Role
from segmentation import services
from segmentation.models import Dataset

from .helpers import wide_frame, workbook

PARAMS = {"a": 0.5, "b": 0.8, "x": 0.1, "y": 0.25, "min_history": 4, "period": "month", "measure": "turnover"}
FRAME = wide_frame(
    [
        ("Delta", 1000, 1500, 1500, 2000),  # total 6000 = 75 % of 8000; CV 353.55 / 1500 = 23.57 % -> A, Y
        ("Gamma", 500, 500, 500, 500),  # 2000 = 25 %, cumulative 100 %; 75 % before it -> B; CV 0 -> X
    ]
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    yield
    # A request in Russian leaves Russian active in this thread; the next tests expect English.
    translation.activate(settings.LANGUAGE_CODE)


def make_dataset(org, content: bytes, name="list.xlsx") -> Dataset:
    dataset = Dataset(organization=org, token=name.replace(".", "") + str(Dataset.objects.count()), name=name)
    dataset.file.save(name, ContentFile(content), save=False)
    dataset.save()
    return dataset


def file_run(org):
    return services.run_on_file(dataset=make_dataset(org, workbook(FRAME)), params=PARAMS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, total, share, cum, cv, gamma_cv, matrix, params",
    [
        (
            "en",
            "6,000.00",
            "75.0%",
            "75.0%",
            "23.6%",
            "0.0%",
            "75%",
            "A below 50%, B below 80%; X up to 10%, Y up to 25%",
        ),
        ("ru", "6\xa0000,00", "75,0%", "75,0%", "23,6%", "0,0%", "75%", "A ниже 50%, B ниже 80%; X до 10%, Y до 25%"),
    ],
)
def test_run_page_shows_amounts_shares_and_cvs_in_the_readers_format(
    client_as, org_a, language, total, share, cum, cv, gamma_cv, matrix, params
):
    run = file_run(org_a)
    web = client_as(org_a, Role.ANALYST)
    page = web.get(
        reverse("segmentation:run", kwargs={"run_id": run.pk}), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert f'<td class="text-end row-total">{total}</td>' in page
    assert f'<td class="text-end row-share">{share}</td><td class="text-end row-cum-share">{cum}</td>' in page
    assert f'<td class="text-end row-cv">{cv}</td>' in page
    assert f'<td class="text-end row-cv">{gamma_cv}</td>' in page
    assert '<td class="text-end row-total">2' + ("\xa0" if language == "ru" else ",") + "000" in page
    assert f'<span class="small text-body-secondary cell-share">{matrix}</span>' in page
    assert params in page
    assert "0.7500" not in page and "0,7500" not in page and "6,000,00" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("language, share, cv", [("en", "75.0%", "23.6%"), ("ru", "75,0%", "23,6%")])
def test_client_card_panel_shows_share_and_cv_in_percent(client_as, org_a, language, share, cv):
    from clients.services import client_create, settlement_create

    client = client_create(organization=org_a, name="Delta", external_id="D1")
    other = client_create(organization=org_a, name="Gamma", external_id="G1")
    for month, amount in zip(range(1, 5), (1000, 1500, 1500, 2000)):
        settlement_create(client=client, date=date(2025, month, 10), amount=Decimal(amount))
        settlement_create(client=other, date=date(2025, month, 10), amount=Decimal(500))
    services.run_on_base(organization=org_a, params=PARAMS, as_of=date(2025, 4, 30), months=4)
    page = (
        client_as(org_a, Role.SALES_HEAD)
        .get(reverse("clients:card", kwargs={"client_id": client.pk}), HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    assert f'<td class="text-end">{share}</td><td class="text-end">{cv}</td>' in page


def read_export(response) -> list[tuple]:
    import io

    import openpyxl

    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, header",
    [
        ("en", ("Rank", "Client", "Total", "Share", "Cumulative share", "ABC", "CV", "XYZ")),
        ("ru", ("Место", "Клиент", "Итого", "Доля", "Накопленная доля", "ABC", "CV", "XYZ")),
    ],
)
def test_export_has_headers_for_people_and_whole_ranks(client_as, org_a, language, header):
    run = file_run(org_a)
    web = client_as(org_a, Role.SALES_HEAD)
    rows = read_export(
        web.get(reverse("segmentation:run_export", kwargs={"run_id": run.pk}), HTTP_ACCEPT_LANGUAGE=language)
    )
    assert rows[0] == header
    assert [r[0] for r in rows[1:]] == [1, 2]
    assert all(type(r[0]) is int for r in rows[1:])
    assert [r[1:3] for r in rows[1:]] == [("Delta", 6000), ("Gamma", 2000)]
    assert [r[5] + r[7] for r in rows[1:]] == ["AY", "BX"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, extra", [("en", ("Client id", "External id")), ("ru", ("ID клиента", "Внешний код"))]
)
def test_export_of_a_base_run_names_the_id_columns(client_as, org_a, language, extra):
    from clients.services import client_create, settlement_create

    client = client_create(organization=org_a, name="Delta", external_id="D1")
    for month in range(1, 5):
        settlement_create(client=client, date=date(2025, month, 10), amount=Decimal(100))
    run, _ = services.run_on_base(organization=org_a, params=PARAMS, as_of=date(2025, 4, 30), months=4)
    rows = read_export(
        client_as(org_a, Role.ANALYST).get(
            reverse("segmentation:run_export", kwargs={"run_id": run.pk}), HTTP_ACCEPT_LANGUAGE=language
        )
    )
    assert rows[0][8:] == extra
    assert rows[1][0] == 1 and type(rows[1][0]) is int
    assert rows[1][8] == client.pk and type(rows[1][8]) is int
    assert rows[1][9] == "D1"


@pytest.mark.django_db
def test_export_writes_amounts_as_money_shares_as_percent_and_text_as_typed(client_as, org_a):
    import io

    import openpyxl

    noisy = wide_frame([("=Delta", 1000.1, 1000.2, 1000.3, 1000.4), ("+-", 500, 500, 500, 500)])
    run = services.run_on_file(dataset=make_dataset(org_a, workbook(noisy)), params=PARAMS)
    assert run.classes.get(rank=1).total == 4001.0000000000005  # what the sum of the file's floats is
    response = client_as(org_a, Role.SALES_HEAD).get(reverse("segmentation:run_export", kwargs={"run_id": run.pk}))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rank, client, total, share, cum_share, abc, cv, xyz = sheet[2]
    assert (rank.value, rank.data_type, rank.number_format) == (1, "n", "#,##0")
    assert (client.value, client.data_type, client.quotePrefix) == ("=Delta", "s", True)
    assert sheet["B3"].value == "+-" and sheet["B3"].quotePrefix
    assert (total.value, total.number_format) == (4001.0, "#,##0.00")
    assert (share.value, share.number_format) == (pytest.approx(4001 / 6001), "0.0%")
    assert cum_share.number_format == cv.number_format == "0.0%"
    assert cv.value == pytest.approx(0.000112, abs=1e-6)  # population deviation 0.1118 of a mean of 1000.25
    assert (abc.value, abc.data_type, xyz.value) == ("A", "s", "X")


@pytest.mark.django_db
def test_rejected_rows_keep_file_order_numbers_dates_and_text_as_typed(client_as, org_a):
    import datetime
    import io

    import openpyxl
    import pandas as pd

    day = datetime.datetime(2024, 2, 15)
    frame = pd.DataFrame(
        [
            ["Alpha", day, 100.5],
            ["Beta", day, "=1+1"],
            ["Gamma", "31.02.2024", 7],
            ["Delta", day, "many"],
        ],
        columns=["Client", "Date", "Amount"],
    ).astype(object)
    dataset = make_dataset(org_a, workbook(frame))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    response = client_as(org_a, Role.ANALYST).get(
        reverse("segmentation:dataset_rejected", kwargs={"dataset_id": dataset.pk})
    )
    assert response["Content-Disposition"] == 'attachment; filename="list-rejected.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0] == ("Row", "Client", "Date", "Amount", "Reason")
    assert [row[:4] for row in rows[1:]] == [
        (3, "Beta", day, "=1+1"),
        (4, "Gamma", "31.02.2024", 7),
        (5, "Delta", day, "many"),
    ]
    assert all(type(row[0]) is int for row in rows[1:])
    # The date column read as text (it mixes kinds) goes back as date cells in the reader's format.
    assert [sheet.cell(r, 3).number_format for r in (2, 4)] == ["mm/dd/yyyy", "mm/dd/yyyy"]
    assert sheet["D2"].data_type == "s" and sheet["D2"].quotePrefix


def test_the_abcxyz_command_keeps_its_column_names(tmp_path):
    """The command's output is an interface: code names, whatever the language."""
    import openpyxl
    from django.core.management import call_command
    from django.utils import translation

    source = tmp_path / "in.xlsx"
    source.write_bytes(workbook(FRAME))
    out = tmp_path / "out.xlsx"
    with translation.override("ru"):
        call_command("abcxyz", str(source), "--out", str(out), stdout=open(tmp_path / "log", "w"))
    rows = list(openpyxl.load_workbook(out).active.values)
    assert rows[0] == ("client", "total", "share", "cum_share", "abc", "cv", "xyz")


@pytest.mark.django_db
def test_the_upload_address_leads_a_person_back_to_the_form(client_as, org_a):
    web = client_as(org_a, Role.ANALYST)
    url = reverse("segmentation:upload")
    refused = web.post(url, {"file": ContentFile(b"not a spreadsheet", name="notes.xlsx")})
    assert refused.status_code == 400
    assert 'id="upload-form"' in refused.content.decode()
    reloaded = web.get(url)
    assert reloaded.status_code == 302
    assert reloaded["Location"] == reverse("segmentation:index") + "#upload-form"
    page = web.get(url, follow=True)
    assert page.status_code == 200
    assert 'id="upload-form"' in page.content.decode()
    assert web.head(url).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, note",
    [
        (
            "en",
            "1 amount is negative. Negative amounts are accepted as refunds: they lower the client's turnover in their "
            "month. A client whose total is zero or negative is class C, and one whose mean per period is zero or "
            "negative gets no XYZ class.",
        ),
        (
            "ru",
            "1 сумма отрицательна. Отрицательные суммы принимаются как возвраты: они уменьшают оборот клиента в своём "
            "месяце. Клиент с нулевой или отрицательной суммой относится к классу C, а клиент с нулевым или "
            "отрицательным средним за период не получает класса XYZ.",
        ),
    ],
)
def test_a_negative_month_is_accepted_as_a_refund_and_the_preview_says_so(client_as, org_a, language, note):
    frame = wide_frame([("Delta", 1000, -100, 1500, 2000), ("Gamma", 500, 500, 500, 500)])
    dataset = make_dataset(org_a, workbook(frame))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.VALID
    assert dataset.problem_count == 0
    assert dataset.negative_count == 1
    marked = [(r["row"], i) for r in dataset.preview for i, c in enumerate(r["cells"]) if c["negative"]]
    assert marked == [(2, 2)]
    page = (
        client_as(org_a, Role.ANALYST)
        .get(reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}), HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    assert f'<div class="alert alert-info" id="negative-note">{note}</div>' in page
    assert page.count('class="table-warning cell-negative"') == 1
    assert (
        '<td class="table-warning cell-negative" title="'
        + ("Negative: a refund" if language == "en" else "Отрицательная сумма: возврат")
        + '">-100</td>'
        in page
    )
    run = services.run_on_file(dataset=dataset, params=PARAMS)
    assert list(run.classes.order_by("rank").values_list("client_key", "total")) == [
        ("Delta", 4400.0),
        ("Gamma", 2000.0),
    ]


@pytest.mark.django_db
def test_a_negative_settlement_in_a_long_file_is_counted_as_a_refund(org_a):
    import pandas as pd

    frame = pd.DataFrame(
        [
            ["Delta", "2025-01-10", 500],
            ["Delta", "2025-02-10", -200],
            ["Gamma", "2025-02-10", -50],
            ["Gamma", "2025-03-10", 300],
        ],
        columns=["Client", "Date", "Amount"],
    ).astype(object)
    dataset = make_dataset(org_a, workbook(frame))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    assert (dataset.status, dataset.problem_count, dataset.negative_count) == (Dataset.Status.VALID, 0, 2)
    assert [(r["row"], i) for r in dataset.preview for i, c in enumerate(r["cells"]) if c["negative"]] == [
        (3, 2),
        (4, 2),
    ]


@pytest.mark.django_db
def test_no_note_without_negative_amounts(client_as, org_a):
    dataset = make_dataset(org_a, workbook(FRAME))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    page = (
        client_as(org_a, Role.ANALYST)
        .get(reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}))
        .content.decode()
    )
    assert 'id="negative-note"' not in page and "cell-negative" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, period, label",
    [
        ("en", "month", "(months)"),
        ("ru", "month", "(месяцы)"),
        ("en", "quarter", "(quarters)"),
        ("ru", "quarter", "(кварталы)"),
    ],
)
def test_run_subtitle_names_the_period_in_the_readers_language(client_as, org_a, language, period, label):
    run = services.run_on_file(dataset=make_dataset(org_a, workbook(FRAME)), params=PARAMS | {"period": period})
    page = (
        client_as(org_a, Role.ANALYST)
        .get(reverse("segmentation:run", kwargs={"run_id": run.pk}), HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    assert label in page
    assert "(month)" not in page and "(quarter)" not in page


def tenure_clients(org):
    from clients.models import Product
    from clients.services import client_create, settlement_create

    products = [Product.objects.create(organization=org, name=f"P{i}") for i in range(3)]
    rich = client_create(organization=org, name="Rich", external_id="R", products=products)
    old = client_create(organization=org, name="Old", external_id="O", products=products[:2])
    small = client_create(organization=org, name="Small", external_id="S", products=products[:1])
    settlement_create(client=old, date=date(2024, 1, 5), amount=Decimal(50))
    for month in range(1, 7):
        settlement_create(client=rich, date=date(2025, month, 10), amount=Decimal(200))
        settlement_create(client=old, date=date(2025, month, 10), amount=Decimal(100))
        if month >= 3:
            settlement_create(client=small, date=date(2025, month, 15), amount=Decimal(10))
    # Rich 1200 -> A, Old 600 (65 % before it) -> B, Small 40 -> C; every CV 0 -> X.
    run, _ = services.run_on_base(organization=org, params=PARAMS, as_of=date(2025, 6, 30), months=6)
    return run, rich, old, small


def test_tenure_counts_whole_months():
    from segmentation.selectors import months_between

    assert months_between(date(2025, 1, 10), date(2025, 3, 10)) == 2
    assert months_between(date(2025, 1, 10), date(2025, 3, 9)) == 1
    assert months_between(date(2024, 1, 5), date(2025, 6, 30)) == 17
    assert months_between(date(2025, 6, 30), date(2025, 6, 30)) == 0


@pytest.mark.django_db
def test_cells_of_a_base_run_show_tenure_and_products(org_a):
    from segmentation import selectors

    run, rich, old, small = tenure_clients(org_a)
    assert selectors.run_client_profiles(run) == {
        rich.pk: {"tenure": 5, "products": 3},
        old.pk: {"tenure": 17, "products": 2},
        small.pk: {"tenure": 3, "products": 1},
    }
    assert selectors.run_cell_profiles(run) == {
        "AX": {"tenure": 5.0, "products": 3.0, "rich": 1},
        "BX": {"tenure": 17.0, "products": 2.0, "rich": 0},
        "CX": {"tenure": 3.0, "products": 1.0, "rich": 0},
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, ax, bx, badge, row_badge",
    [
        (
            "en",
            '5.0 mo</span> · <span class="cell-products">3.0 prod.',
            '17.0 mo</span> · <span class="cell-products">2.0 prod.',
            "1 with 3+ products",
            "AX, 3 products",
        ),
        (
            "ru",
            '5,0 мес.</span> · <span class="cell-products">3,0 прод.',
            '17,0 мес.</span> · <span class="cell-products">2,0 прод.',
            "1 с 3+ продуктами",
            "AX, продуктов: 3",
        ),
    ],
)
def test_run_page_shows_tenure_products_and_marks_rich_ax_clients(client_as, org_a, language, ax, bx, badge, row_badge):
    run, rich, old, small = tenure_clients(org_a)
    web = client_as(org_a, Role.ANALYST)
    response = web.get(reverse("segmentation:run", kwargs={"run_id": run.pk}), HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    assert f'<span class="cell-tenure">{ax}</span>' in page
    assert f'<span class="cell-tenure">{bx}</span>' in page
    assert page.count('class="badge text-bg-success cell-rich"') == 1
    assert f'<span class="badge text-bg-success cell-rich">{badge}</span>' in page
    assert page.count('class="table-success rich-ax"') == 1
    assert f'Rich</a> <span class="badge text-bg-success">{row_badge}</span>' in page
    assert 'id="profile-legend"' in page


@pytest.mark.django_db
def test_a_file_run_has_no_tenure(client_as, org_a):
    page = (
        client_as(org_a, Role.ANALYST)
        .get(reverse("segmentation:run", kwargs={"run_id": file_run(org_a).pk}))
        .content.decode()
    )
    assert "cell-profile" not in page and "rich-ax" not in page and "profile-legend" not in page


@pytest.mark.django_db
def test_a_check_finishing_while_the_page_is_read_still_leads_to_its_result(client_as, org_a):
    """The worker commits the check between the page's reads: the page must keep polling, not
    show "checking" with a finished job that no longer polls (the analyst would wait for ever)."""
    web = client_as(org_a, Role.ANALYST)
    dataset = make_dataset(org_a, workbook(FRAME))
    job = Job.objects.create(organization=org_a, kind="segmentation.check", status=Job.Status.RUNNING)
    Dataset.objects.filter(pk=dataset.pk).update(job=job, status=Dataset.Status.CHECKING)
    finished = []

    def worker_commits_after_the_dataset_is_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not finished and sql.startswith('SELECT "segmentation_dataset"."id"'):
            finished.append(True)
            Dataset.objects.filter(pk=dataset.pk).update(status=Dataset.Status.VALID)
            Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, progress=100)
        return result

    with connection.execute_wrapper(worker_commits_after_the_dataset_is_read):
        page = web.get(reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk})).content.decode()
    assert finished == [True]
    assert 'data-status="checking"' in page
    assert f'hx-get="{reverse("jobs:progress", args=[job.pk])}"' in page


@pytest.mark.django_db
def test_the_job_page_of_a_finished_run_opens_the_run(client_as, org_a):
    """A quick run may finish before its page is drawn: that page would not poll, so it opens the result."""
    web = client_as(org_a, Role.ANALYST)
    job = Job.objects.create(organization=org_a, kind="segmentation.run_base", status=Job.Status.RUNNING)
    url = reverse("segmentation:job", kwargs={"job_id": job.pk})
    running = web.get(url)
    assert running.status_code == 200
    assert f'hx-get="{reverse("jobs:progress", args=[job.pk])}"' in running.content.decode()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, result={"url": "/segmentation/runs/7/"})
    assert web.get(url)["Location"] == "/segmentation/runs/7/"
    # Only an address of the portal's own is followed.
    Job.objects.filter(pk=job.pk).update(result={"url": "https://elsewhere.example/"})
    assert web.get(url).status_code == 200
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, result={"url": "/segmentation/runs/7/"})
    assert web.get(url).status_code == 200
