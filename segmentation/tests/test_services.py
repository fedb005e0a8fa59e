"""Checking, classifying and importing a kept file; runs on the client base and the class history."""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse

from clients.models import ClassChange, Client, Settlement
from clients.services import client_create, lifecycle_recompute, settlement_create
from crm_portal.models import Job, Role
from segmentation import jobs, selectors, services
from segmentation.models import ClientClass, Dataset, Run

from .helpers import wide_frame, workbook

PARAMS = {"a": 0.5, "b": 0.8, "x": 0.1, "y": 0.25, "min_history": 4, "period": "month", "measure": "turnover"}
GOOD = wide_frame(
    [
        ("Alpha", 90, 110, 90, 110),  # total 400, CV 0.10 -> AX
        ("Beta", 100, 100, 100, 100),  # 400, tie with Alpha, after it by id: 40% before it -> A, CV 0 -> X
        ("Gamma", 0, 0, 100, 100),  # 200: 80% before it -> C; history of 2 periods -> no XYZ
    ]
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def make_dataset(org, content: bytes, name="list.xlsx") -> Dataset:
    dataset = Dataset(organization=org, token=name.replace(".", "") + str(Dataset.objects.count()), name=name)
    dataset.file.save(name, ContentFile(content), save=False)
    dataset.save()
    return dataset


def progress_log():
    log = []
    return log, lambda percent, message="": log.append((percent, message))


@pytest.mark.django_db
def test_check_keeps_preview_problems_and_rejected_rows(org_a):
    bad = wide_frame([("Alpha", 1, 2, 3, 4), ("Beta", 1, "x", 3, 4), ("Alpha", 1, 1, 1, 1)])
    dataset = make_dataset(org_a, workbook(bad))
    log, progress = progress_log()
    result = services.dataset_inspect(dataset=dataset, progress=progress)
    dataset.refresh_from_db()
    assert result == {"url": reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}), "problems": 2}
    assert [p for p, _ in log] == [5, 15, 40, 80]
    assert dataset.status == Dataset.Status.INVALID
    assert dataset.problem_count == 2
    assert [(p["row"], p["position"], p["message"]) for p in dataset.problems] == [
        (3, 2, "not a number"),
        (4, 0, "the client appears again (first in row 2), so it would have two amounts in every month"),
    ]
    marked = {(r["row"], i) for r in dataset.preview for i, c in enumerate(r["cells"]) if c["problem"]}
    assert marked == {(4, 0), (3, 2)}
    assert dataset.rejected.name
    assert ClientClass.objects.count() == 0 and Run.objects.count() == 0


@pytest.mark.django_db
def test_file_run_stores_every_class_exactly(org_a):
    dataset = make_dataset(org_a, workbook(GOOD))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    run = services.run_on_file(dataset=dataset, params=PARAMS)
    rows = list(
        run.classes.order_by("rank").values_list(
            "rank", "client_key", "total", "share", "cum_share", "abc", "cv", "xyz"
        )
    )
    assert rows == [
        (1, "Alpha", 400.0, 0.4, 0.4, "A", 0.1, "X"),
        (2, "Beta", 400.0, 0.4, 0.8, "A", 0.0, "X"),
        (3, "Gamma", 200.0, 0.2, 1.0, "C", None, ""),
    ]
    assert run.periods == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert (run.client_count, run.total) == (3, 1000.0)
    matrix = selectors.run_matrix(run)
    cells = {c["code"]: (c["count"], c["share"]) for row in matrix["rows"] for c in row["cells"]}
    assert cells["AX"] == (2, 0.8) and cells["C-"] == (1, 0.2) and cells["BX"] == (0, 0) and cells["AY"] == (0, 0)


@pytest.mark.django_db
def test_invalid_file_is_never_classified(org_a):
    dataset = make_dataset(org_a, workbook(wide_frame([("A", 1, "x", 1, 1)])))
    with pytest.raises(ValidationError, match="The file has 1 problem"):
        services.run_on_file(dataset=dataset, params=PARAMS)
    assert Run.objects.count() == 0


@pytest.mark.django_db
def test_bad_thresholds_are_refused(org_a):
    dataset = make_dataset(org_a, workbook(GOOD))
    dataset.status = Dataset.Status.VALID
    with pytest.raises(ValidationError, match="0 < A < B <= 1"):
        services.run_file_start(dataset=dataset, params=PARAMS | {"a": 0.9})
    assert Job.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's; SQLite stores in batches")
def test_run_store_uses_copy_on_postgresql(org_a):
    dataset = make_dataset(org_a, workbook(wide_frame([(f"C{i:03d}", i, i, i, i) for i in range(1, 301)])))
    run = services.run_on_file(dataset=dataset, params=PARAMS)
    assert run.classes.count() == 300
    assert run.classes.get(rank=1).client_key == "C300"


def make_client(org, name, external_id, amounts: dict[date, int]) -> Client:
    client = client_create(organization=org, name=name, external_id=external_id)
    for day, amount in amounts.items():
        settlement_create(client=client, date=day, amount=Decimal(amount))
    return client


@pytest.mark.django_db
def test_base_run_records_classes_and_history(org_a):
    months = [date(2025, m, 10) for m in range(1, 7)]
    big = make_client(org_a, "Big", "E1", {d: 100 for d in months})
    small = make_client(org_a, "Small", "E2", {months[0]: 10, months[5]: 30})
    old = make_client(org_a, "Old", "E3", {date(2023, 1, 5): 50})
    run, changed = services.run_on_base(organization=org_a, params=PARAMS, as_of=date(2025, 6, 30), months=6)
    assert changed == 3
    got = {r.client_id: (r.abc, r.xyz, r.total) for r in run.classes.all()}
    assert got == {big.pk: ("A", "X", 600.0), small.pk: ("C", "Z", 40.0), old.pk: ("C", "", 0.0)}
    big.refresh_from_db()
    assert (big.abc_class, big.xyz_class) == ("A", "X")
    assert ClassChange.objects.filter(client=big).get().run_label == run.label
    # The same base again: nothing changes, no history row is added.
    second, changed = services.run_on_base(organization=org_a, params=PARAMS, as_of=date(2025, 6, 30), months=6)
    assert changed == 0 and ClassChange.objects.count() == 3
    assert selectors.run_previous(second) == run
    assert selectors.run_changes(second, run)["count"] == 0


@pytest.mark.django_db
def test_comparison_lists_class_moves(org_a):
    first = make_dataset(org_a, workbook(GOOD))
    run1 = services.run_on_file(dataset=first, params=PARAMS)
    run2 = services.run_on_file(dataset=first, params=PARAMS | {"a": 0.3})
    changes = selectors.run_changes(run2, run1)
    # With A below 30%, Beta (40% before it) drops to B.
    assert (changes["count"], changes["moves"], changes["new"]) == (1, [("AX→BX", 1)], 0)
    assert changes["changes"][0] == {
        "client": "Beta",
        "before": "AX",
        "after": "BX",
        "abc_move": True,
        "xyz_move": False,
        "total": 400.0,
    }
    run3 = services.run_on_file(dataset=first, params=PARAMS | {"x": 0.05, "y": 0.2})
    changes = selectors.run_changes(run3, run2)
    # Alpha's CV of 0.10 is now Y; Beta is A again.
    assert changes["moves"] == [("AX→AY", 1), ("BX→AX", 1)]


@pytest.mark.django_db
def test_import_into_the_register_is_all_or_nothing(org_a):
    existing = client_create(organization=org_a, name="Alpha", external_id="A-1")
    dataset = make_dataset(org_a, workbook(wide_frame([("A-1", 10, 0, 10, 10), ("B-2", 5, 5, 5, 5)])))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    job = Job.objects.create(
        organization=org_a,
        kind="segmentation.import",
        params={"dataset": dataset.pk, "match_by": "external_id", "on_missing": "create"},
    )
    result = jobs.dataset_import(job, lambda *a: None)
    assert {k: result[k] for k in ("clients_created", "clients_matched", "settlements_created")} == {
        "clients_created": 1,
        "clients_matched": 1,
        "settlements_created": 7,
    }
    assert sorted(Settlement.objects.filter(client=existing).values_list("date", "amount")) == [
        (date(2025, 1, 1), Decimal("10.00")),
        (date(2025, 3, 1), Decimal("10.00")),
        (date(2025, 4, 1), Decimal("10.00")),
    ]
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.IMPORTED


@pytest.mark.django_db
def test_import_failure_writes_nothing(org_a):
    dataset = make_dataset(org_a, workbook(wide_frame([("A-1", 10, 0, 10, 10)])))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    job = Job.objects.create(
        organization=org_a,
        kind="segmentation.import",
        params={"dataset": dataset.pk, "match_by": "nonsense", "on_missing": "create"},
    )
    with pytest.raises(ValidationError):
        jobs.dataset_import(job, lambda *a: None)
    assert Client.objects.count() == 0 and Settlement.objects.count() == 0
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.VALID


@pytest.mark.django_db
def test_client_card_panel_lists_the_classes_per_run(client_as, org_a):
    client = make_client(org_a, "Big", "E1", {date(2025, m, 10): 100 for m in range(1, 7)})
    run, _ = services.run_on_base(organization=org_a, params=PARAMS, as_of=date(2025, 6, 30), months=6)
    web = client_as(org_a, Role.SALES_HEAD)
    page = web.get(reverse("clients:card", kwargs={"client_id": client.pk})).content.decode()
    assert "ABC/XYZ class per run" in page
    assert f"#{run.pk}" in page


@pytest.mark.django_db
def test_results_page_filters_a_cell_and_exports(client_as, org_a):
    dataset = make_dataset(org_a, workbook(GOOD))
    run = services.run_on_file(dataset=dataset, params=PARAMS)
    web = client_as(org_a, Role.SALES_HEAD)
    page = web.get(reverse("segmentation:run", kwargs={"run_id": run.pk}) + "?cell=AX")
    assert page.status_code == 200
    assert [r.client_key for r in page.context["page"]] == ["Alpha", "Beta"]
    assert [r.client_key for r in web.get(page.request["PATH_INFO"] + "?cell=C-").context["page"]] == ["Gamma"]
    export = web.get(reverse("segmentation:run_export", kwargs={"run_id": run.pk}))
    assert export.status_code == 200 and export["Content-Disposition"].endswith(f'abc-xyz-run-{run.pk}.xlsx"')
    assert web.get(reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk})).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, status", [(Role.ANALYST, 200), (Role.ADMIN, 200), (Role.SALES_HEAD, 200), (Role.MANAGER, 403)]
)
def test_who_sees_segmentation(client_as, org_a, role, status):
    assert client_as(org_a, role).get(reverse("segmentation:index")).status_code == status


@pytest.mark.django_db
def test_mapping_form_records_the_choice_and_checks_again(client_as, org_a):
    frame = wide_frame([("Alpha", 90, 110, 90, 110)])
    dataset = make_dataset(org_a, workbook(frame))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    web = client_as(org_a, Role.ANALYST)
    url = reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk})
    response = web.post(url, {"sheet": "Sales", "shape": "wide", "client": 0, "months": [1, 2, 3]})
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
        "months": [1, 2, 3],
        "duplicates": "keep",
        "confirmed": True,
    }
    assert dataset.status == Dataset.Status.CHECKING and dataset.job.kind == "segmentation.check"
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    run = services.run_on_file(dataset=dataset, params=PARAMS | {"min_history": 3})
    assert run.periods == ["2025-01", "2025-02", "2025-03"]
    # A long shape without its date and amount columns is refused by the form, nothing queued.
    jobs = Job.objects.count()
    page = web.post(url, {"sheet": "Sales", "shape": "long", "client": 0})
    assert page.status_code == 200 and "A long table needs this column." in page.content.decode()
    assert Job.objects.count() == jobs


@pytest.mark.django_db
def test_base_run_without_settlements_says_so(client_as, org_a):
    web = client_as(org_a, Role.ANALYST)
    data = PARAMS | {"as_of": "2025-06-30", "months": 12}
    response = web.post(reverse("segmentation:base_run"), data, follow=True)
    assert "The client base has no settlements on or before 2025-06-30." in response.content.decode()
    assert Job.objects.count() == 0
    bad = web.post(reverse("segmentation:base_run"), data | {"a": 0.9}, follow=True)
    assert "The B threshold must be above the A threshold." in bad.content.decode()


@pytest.mark.django_db
def test_settings_are_the_organizations_defaults(client_as, org_a):
    web = client_as(org_a, Role.ADMIN)
    url = reverse("segmentation:settings")
    refused = web.post(
        url, {"a": 0.6, "b": 0.5, "x": 0.1, "y": 0.25, "min_history": 4, "period": "month", "measure": "turnover"}
    )
    assert "The B threshold must be above the A threshold." in refused.content.decode()
    saved = web.post(
        url, {"a": 0.6, "b": 0.9, "x": 0.15, "y": 0.3, "min_history": 6, "period": "quarter", "measure": "margin"}
    )
    assert saved.status_code == 302
    assert selectors.settings_for(org_a).params() == {
        "a": 0.6,
        "b": 0.9,
        "x": 0.15,
        "y": 0.3,
        "min_history": 6,
        "period": "quarter",
    }
    page = web.get(reverse("segmentation:index")).content.decode()
    assert 'name="min_history" value="6"' in page


@pytest.mark.django_db
def test_quarter_period_runs_on_quarters(org_a):
    months = ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06")
    dataset = make_dataset(org_a, workbook(wide_frame([("Alpha", 10, 10, 10, 20, 20, 20)], months=months)))
    run = services.run_on_file(dataset=dataset, params=PARAMS | {"period": "quarter", "min_history": 2})
    assert run.periods == ["2025Q1", "2025Q2"]
    row = run.classes.get()
    # Quarters 30 and 60: mean 45, population sd 15, CV 1/3 -> Z.
    assert (row.total, row.xyz) == (90.0, "Z") and row.cv == pytest.approx(1 / 3)


@pytest.mark.django_db
def test_new_and_lost_clients_have_no_xyz_on_the_base(org_a):
    as_of = date(2025, 6, 30)  # lifecycle period 3 months: recent is (2025-03-30, 2025-06-30]
    gone = make_client(org_a, "Gone", "G", {date(2025, m, 10): 100 for m in (1, 2, 3)})
    fresh = make_client(org_a, "Fresh", "F", {date(2025, 4, 5): 50, date(2025, 5, 5): 60, date(2025, 6, 5): 70})
    steady = make_client(org_a, "Steady", "S", {date(2025, m, 10): 100 for m in range(1, 7)})
    run, _ = services.run_on_base(organization=org_a, params=PARAMS | {"min_history": 2}, as_of=as_of, months=6)
    got = {r.client_id: (r.abc, r.xyz, r.cv) for r in run.classes.all()}
    # Totals 600, 300, 180 of 1080: Gone starts at 55.6% -> B, Fresh at 83.3% -> C.
    # By history alone Gone (100, 100, 100, 0, 0, 0) would be Z and Fresh (50, 60, 70) Y.
    assert got[gone.pk] == ("B", "", None)
    assert got[fresh.pk] == ("C", "", None)
    assert got[steady.pk] == ("A", "X", 0.0)


@pytest.mark.django_db
def test_import_and_analyse_buttons_queue_jobs_only_for_a_valid_file(client_as, org_a):
    web = client_as(org_a, Role.ANALYST)
    bad = make_dataset(org_a, workbook(wide_frame([("A", 1, "x", 1, 1)])))
    services.dataset_inspect(dataset=bad, progress=lambda *a: None)
    refused = web.post(
        reverse("segmentation:dataset_import", kwargs={"dataset_id": bad.pk}),
        {"match_by": "name", "on_missing": "create"},
        follow=True,
    )
    assert "Only a file without problems, not imported yet, can be imported." in refused.content.decode()
    refused = web.post(reverse("segmentation:dataset_analyse", kwargs={"dataset_id": bad.pk}), PARAMS, follow=True)
    assert "Only a file without problems can be classified." in refused.content.decode()
    assert Job.objects.filter(kind__in=["segmentation.import", "segmentation.run_file"]).count() == 0
    good = make_dataset(org_a, workbook(GOOD))
    services.dataset_inspect(dataset=good, progress=lambda *a: None)
    response = web.post(
        reverse("segmentation:dataset_import", kwargs={"dataset_id": good.pk}),
        {"match_by": "name", "on_missing": "skip"},
    )
    job = Job.objects.get(kind="segmentation.import")
    assert response["Location"] == reverse("segmentation:job", kwargs={"job_id": job.pk})
    assert job.params == {"dataset": good.pk, "match_by": "name", "on_missing": "skip"}
    assert (job.language, job.key) == ("en", f"dataset:{good.pk}")


@pytest.mark.django_db
def test_abc_by_margin_uses_the_margin_column(org_a):
    frame = pd.DataFrame(
        [
            ("Alpha", "2025-01-10", 1000, 50),
            ("Alpha", "2025-02-10", 1000, 50),
            ("Beta", "2025-01-10", 300, 200),
            ("Beta", "2025-02-10", 300, 200),
        ],
        columns=["Клиент", "Дата", "Выручка", "Маржа"],
    ).astype(object)
    dataset = make_dataset(org_a, workbook(frame))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    assert (dataset.mapping["amount"], dataset.mapping["margin"]) == (2, 3)
    by_turnover = services.run_on_file(dataset=dataset, params=PARAMS | {"min_history": 2})
    by_margin = services.run_on_file(dataset=dataset, params=PARAMS | {"min_history": 2, "measure": "margin"})
    assert list(by_turnover.classes.order_by("rank").values_list("client_key", "total", "abc")) == [
        ("Alpha", 2000.0, "A"),
        ("Beta", 600.0, "B"),
    ]  # Beta starts at 76.9%
    assert list(by_margin.classes.order_by("rank").values_list("client_key", "total", "abc")) == [
        ("Beta", 400.0, "A"),
        ("Alpha", 100.0, "C"),
    ]  # Alpha starts at 80%
    assert by_margin.params["measure"] == "margin"


@pytest.mark.django_db
def test_abc_by_margin_is_refused_without_a_margin_column(org_a):
    frame = pd.DataFrame([("Alpha", "2025-01-10", 1000)], columns=["Client", "Date", "Amount"]).astype(object)
    dataset = make_dataset(org_a, workbook(frame))
    with pytest.raises(ValidationError, match="ABC by margin needs a margin column"):
        services.run_on_file(dataset=dataset, params=PARAMS | {"measure": "margin"})
    assert Run.objects.count() == 0
    with pytest.raises(ValidationError, match="ABC by margin needs a file with a margin column"):
        services.run_base_start(
            organization=org_a, params=PARAMS | {"measure": "margin"}, as_of=date(2025, 6, 30), months=6
        )


@pytest.mark.django_db
def test_the_analyst_picks_the_window_of_a_file(org_a, client_as):
    dataset = make_dataset(org_a, workbook(GOOD))
    run = services.run_on_file(
        dataset=dataset, params=PARAMS | {"start": "2025-02", "end": "2025-05", "min_history": 3}
    )
    assert run.periods == ["2025-02", "2025-03", "2025-04", "2025-05"]
    # Alpha over 110, 90, 110, 0: total 310; Gamma 0, 100, 100, 0 from its first month: 200.
    assert list(run.classes.order_by("rank").values_list("client_key", "total")) == [
        ("Alpha", 310.0),
        ("Beta", 300.0),
        ("Gamma", 200.0),
    ]
    with pytest.raises(ValidationError, match="The window's first month comes after its last month."):
        services.run_on_file(dataset=dataset, params=PARAMS | {"start": "2025-05", "end": "2025-02"})
    with pytest.raises(ValidationError, match="Write the window's months as 2025-01."):
        services.run_on_file(dataset=dataset, params=PARAMS | {"start": "May 2025"})
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    web = client_as(org_a, Role.ANALYST)
    page = web.post(
        reverse("segmentation:dataset_analyse", kwargs={"dataset_id": dataset.pk}),
        PARAMS | {"start": "2025-13"},
        follow=True,
    )
    assert "Write the month as 2025-01." in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ru"])
def test_base_run_date_input_holds_an_iso_date_in_every_language(client_as, org_a, language):
    from django.utils import timezone

    page = (
        client_as(org_a, Role.ANALYST)
        .get(reverse("segmentation:index"), HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    assert f'type="date" name="as_of" value="{timezone.localdate():%Y-%m-%d}"' in page


@pytest.mark.django_db
def test_an_unforeseen_error_in_the_check_marks_the_dataset_failed(org_a, monkeypatch):
    dataset = make_dataset(org_a, workbook(GOOD))
    job = Job.objects.create(organization=org_a, kind="segmentation.check", params={"dataset": dataset.pk})

    def broken(dataset, progress):
        raise RuntimeError("output array is read-only")

    from segmentation.services import datasets

    monkeypatch.setattr(datasets, "_load", broken)
    with pytest.raises(RuntimeError):
        jobs.dataset_check(job, lambda percent, message="": None)
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.INVALID
    assert [p["message"] for p in dataset.problems] == ["The file could not be checked: output array is read-only"]


def base_wide_before(organization, as_of: date, months: int):
    """`base_wide` as it was before the database summed the months: every settlement read, summed with numpy."""
    import numpy as np

    from clients import lifecycle

    end = pd.Period(as_of, freq="M")
    start = end - (months - 1)
    columns = pd.period_range(start, end, freq="M")
    frame = pd.DataFrame(
        list(
            Settlement.objects.filter(organization=organization, date__lte=as_of).values_list(
                "client_id", "date", "amount"
            )
        ),
        columns=["client", "date", "amount"],
    )
    clients = np.sort(frame["client"].unique()).astype(np.int64)
    dates = pd.to_datetime(frame["date"]).to_numpy()
    rows_at = np.searchsorted(clients, frame["client"].to_numpy())
    month_of = dates.astype("datetime64[M]").astype(np.int64)
    inside = month_of >= start.ordinal
    flat = np.bincount(
        rows_at[inside] * len(columns) + (month_of[inside] - start.ordinal),
        weights=frame["amount"].astype("float64").to_numpy()[inside],
        minlength=len(clients) * len(columns),
    )
    wide = pd.DataFrame(
        flat.reshape(len(clients), len(columns)), index=pd.Index(clients, name="client"), columns=columns
    )
    one_back, two_back = (
        np.datetime64(d) for d in lifecycle.window_bounds(as_of, organization.lifecycle_period_months)
    )
    recent = np.bincount(rows_at, weights=dates > one_back, minlength=len(clients)) > 0
    previous = np.bincount(rows_at, weights=(dates > two_back) & (dates <= one_back), minlength=len(clients)) > 0
    older = np.bincount(rows_at, weights=dates <= two_back, minlength=len(clients)) > 0
    return wide, clients[~recent | (recent & ~previous & ~older)]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(4))
def test_base_wide_summed_by_the_database_equals_the_sum_of_every_settlement(org_a, seed):
    import numpy as np

    from segmentation.abcxyz import abc_xyz

    rng = np.random.default_rng(seed)
    org_a.lifecycle_period_months = int(rng.choice([1, 2, 3, 6]))
    org_a.save()
    clients = Client.objects.bulk_create([Client(organization=org_a, name=f"C{i}") for i in range(40)])
    Client.objects.create(organization=org_a, name="No settlements")
    count = 1500
    # Each client buys within a span of its own: long-standing, stopped, started late, some after as_of.
    first = rng.integers(0, 1250, 40)
    last = first + rng.integers(0, 1250 - first)
    who = rng.integers(0, 40, count) ** 2 // 40
    offsets = first[who] + rng.integers(0, last[who] - first[who] + 1)
    days = pd.Timestamp(2022, 6, 1) + pd.to_timedelta(offsets, unit="D")
    Settlement.objects.bulk_create(
        [
            Settlement(
                organization=org_a, client=clients[int(c)], date=day.date(), amount=Decimal(int(cents)).scaleb(-2)
            )
            for c, day, cents in zip(who, days, rng.integers(-5_000, 900_000, count))
        ]
    )
    lifecycle_recompute(organization=org_a)
    as_of = [date(2025, 5, 31), date(2024, 2, 29), date(2025, 1, 15), date(2023, 12, 1)][seed]
    months = int(rng.integers(1, 30))
    wide, new_or_lost = services.base_wide(organization=org_a, as_of=as_of, months=months)
    wide_before, new_or_lost_before = base_wide_before(org_a, as_of, months)
    pd.testing.assert_index_equal(wide.index, wide_before.index)
    pd.testing.assert_index_equal(wide.columns, wide_before.columns)
    np.testing.assert_allclose(wide.to_numpy(), wide_before.to_numpy(), rtol=0, atol=1e-6)
    assert new_or_lost.tolist() == new_or_lost_before.tolist() and len(new_or_lost) > 0
    classes = abc_xyz(wide, min_history=2)[["abc", "xyz"]]
    pd.testing.assert_frame_equal(classes, abc_xyz(wide_before, min_history=2)[["abc", "xyz"]])
    assert set(classes["xyz"]) - {""} and set(classes["abc"]) == {"A", "B", "C"}


@pytest.mark.django_db
def test_the_dashboard_panel_shows_the_latest_base_run_and_the_moves_since_the_one_before(org_a, org_b):
    from crm_portal.models import Role
    from crm_portal.tenancy import Viewer

    viewer = Viewer(org_a, None, Role.SALES_HEAD)
    assert selectors.dashboard_panel(viewer) == {"segmentation_run": None}
    months = [date(2025, m, 10) for m in range(1, 7)]
    make_client(org_a, "Big", "E1", {d: 100 for d in months})
    make_client(org_a, "Small", "E2", {months[0]: 10, months[5]: 30})
    first, _ = services.run_on_base(organization=org_a, params=PARAMS, as_of=date(2025, 6, 30), months=6)
    services.run_on_file(dataset=make_dataset(org_a, workbook(GOOD)), params=PARAMS)  # a file's run is not the base's
    panel = selectors.dashboard_panel(viewer)
    assert panel["segmentation_run"] == first and panel["segmentation_changes"]["previous"] is None
    # Small's share grows past the A boundary: it moves from C to A.
    second, _ = services.run_on_base(
        organization=org_a, params=PARAMS | {"a": 0.95, "b": 0.99}, as_of=date(2025, 6, 30), months=6
    )
    panel = selectors.dashboard_panel(viewer)
    assert panel["segmentation_run"] == second
    assert (panel["segmentation_changes"]["previous"], panel["segmentation_changes"]["count"]) == (first, 1)
    assert panel["segmentation_changes"]["moves"] == [("CZ→AZ", 1)]
    assert selectors.dashboard_panel(Viewer(org_b, None, Role.SALES_HEAD)) == {"segmentation_run": None}
