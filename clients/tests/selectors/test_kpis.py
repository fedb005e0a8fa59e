"""Manager KPIs through SQL on both databases: per viewer, on the page and the download, restored clients,
complaints by local day, and the cache's data version.

Called with a `Viewer` or plain arguments, never a request; `make test` runs them on SQLite too.
"""

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from clients import kpis, lifecycle, selectors, services
from clients.lifecycle import LOST
from clients.models import Client, Complaint, Contact, Product
from clients.tests.factories import make_client, settle
from crm_portal.models import Role
from crm_portal.tenancy import Viewer

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


def test_cached_kpis_are_those_of_the_viewers_clients(org_a, register):
    for client in register["clients"].values():
        settle(client, "2026-02-10", "100")
    period = {"start": D("2026-01-01"), "end": D("2026-03-31"), "limit": None}

    ann = selectors.kpi_tables_cached(Viewer(org_a, register["ann"], Role.MANAGER), **period)
    bob = selectors.kpi_tables_cached(Viewer(org_a, register["bob"], Role.MANAGER), **period)
    head = selectors.kpi_tables_cached(Viewer(org_a, register["ann"], Role.SALES_HEAD), **period)

    assert [c["name"] for c in ann["clients"]] == ["Ann's"]
    assert [c["name"] for c in bob["clients"]] == ["Bob's"]
    assert sorted(c["name"] for c in head["clients"]) == ["Ann's", "Bob's", "Nobody's"]


def test_kpi_page_and_its_download_show_the_period_numbers(client_as, org_a, make_member):
    ann = make_member(org_a, Role.MANAGER, username="ann")
    tea = Product.objects.create(organization=org_a, name="Tea")
    settle(make_client(org_a, "Alpha", manager=ann), "2026-02-10", "1000.50", product=tea)  # first sale
    beta = make_client(org_a, "Beta", manager=ann)
    settle(beta, "2025-06-01", "200", product=tea)
    settle(beta, "2026-03-05", "300", product=tea)  # a repeat sale that ends a pause: restored
    settle(make_client(org_a, "Gamma"), "2025-11-15", "70")  # no purchase since: lost on 15 February
    head = client_as(org_a, Role.SALES_HEAD)
    period = {"start": "2026-01-01", "end": "2026-03-31"}

    page = head.get(reverse("clients:kpi"), period)

    assert page.status_code == 200
    grand = page.context["grand"]
    assert {
        k: grand[k]
        for k in (
            "clients",
            "first_sale_n",
            "first_sale_sum",
            "repeat_n",
            "repeat_sum",
            "sales_sum",
            "lost",
            "restored",
            "buyers",
        )
    } == {
        "clients": 3,
        "first_sale_n": 1,
        "first_sale_sum": 1000.5,
        "repeat_n": 1,
        "repeat_sum": 300,
        "sales_sum": 1300.5,
        "lost": 1,
        "restored": 1,
        "buyers": 2,
    }
    assert [(m["manager"], m["clients"], m["sales_sum"]) for m in page.context["managers"]] == [
        ("ann", 2, 1300.5),
        ("—", 1, 0),
    ]
    # The clients load after the page, from a row per client.
    assert f'hx-get="{reverse("clients:kpi_clients")}?start=2026-01-01&amp;end=2026-03-31"' in page.text
    part = head.get(reverse("clients:kpi_clients"), period)
    assert [(c["name"], c["sales_sum"], c["restored"]) for c in part.context["clients_shown"]] == [
        ("Alpha", 1000.5, 0),
        ("Beta", 300, 1),
        ("Gamma", 0, 0),
    ]
    assert part.context["active_count"] == 3

    download = head.get(reverse("clients:kpi"), {**period, "export": "xlsx"})

    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    header, *managers = list(book["Managers"].iter_rows(values_only=True))
    total = dict(zip(header, managers[-1]))
    assert (
        total["Manager"],
        total["Clients"],
        total["First sales, sum"],
        total["Repeat sales, sum"],
        total["Lost clients"],
        total["Restored clients"],
    ) == ("Total", 3, 1000.5, 300, 1, 1)
    assert [row[0] for row in book["Clients"].iter_rows(values_only=True)][1:] == ["Alpha", "Beta", "Gamma"]


# (previous purchase, purchase in the period, restored?) with P = 3 months: restored when the
# previous purchase lies on or before `months_before(purchase day - 1, 3)`, month ends clamped.
# Two purchases around the month ends where t - P months is clamped (28/29 February, 30/31 days).
RESTORED_CASES = [
    ("2025-11-28", "2026-03-01"),
    ("2025-11-29", "2026-03-01"),
    ("2026-02-28", "2026-05-28"),
    ("2026-02-28", "2026-05-31"),
    ("2026-03-02", "2026-06-01"),
    ("2025-10-31", "2026-03-31"),
    ("2025-12-31", "2026-03-31"),
    ("2025-09-30", "2026-03-31"),
    ("2025-08-31", "2026-05-31"),
]


def test_lost_and_restored_clients_are_the_state_changes_of_the_period(org_a):
    start, end = D("2026-03-01"), D("2026-06-30")
    rows = []
    for n, (before, day) in enumerate(RESTORED_CASES):
        client = make_client(org_a, f"Client {n}")
        for when in (before, day):
            settle(client, when, "10")
            rows.append((client.pk, D(when), 10.0, float("nan")))
    clients = Client.objects.filter(organization=org_a)

    data = selectors.kpi_tables(organization=org_a, clients=clients, start=start, end=end)

    # The expectations are the lifecycle rule itself: the state turned lost, or renewed, within the period...
    expected = {}
    for n, (before, day) in enumerate(RESTORED_CASES):
        changes = [(d, state) for d, _p, state in lifecycle.state_history([D(before), D(day)], 3) if start <= d <= end]
        expected[f"Client {n}"] = (
            int(any(s == LOST for _d, s in changes)),
            int(any(s == "renewed" for _d, s in changes)),
        )
    assert {row["name"]: (row["lost"], row["restored"]) for row in data["clients"]} == expected
    # The cases hold both answers of each count.
    assert {lost for lost, _r in expected.values()} == {restored for _l, restored in expected.values()} == {0, 1}
    # ... and what the pure reference computes.
    frame = pd.DataFrame(rows, columns=["client_id", "date", "amount", "product_id"])
    reference = kpis.client_kpis(frame, pd.Series(dtype=object), [c.pk for c in clients], start, end, 3)
    assert {row["pk"]: row["restored"] for row in data["clients"]} == reference["restored"].to_dict()
    assert {row["pk"]: row["lost"] for row in data["clients"]} == reference["lost"].to_dict()


@pytest.mark.parametrize(
    "registered, counted",
    [
        ("2026-01-01 00:30", True),  # the period's first local minutes
        ("2025-12-31 23:30", False),
        ("2026-03-31 23:30", True),  # its last local minutes
        ("2026-04-01 00:30", False),
    ],
)
def test_complaints_count_on_the_local_day_they_were_registered(org_a, registered, counted):
    client = make_client(org_a, "Client")
    complaint = Complaint.objects.create(organization=org_a, client=client, subject="Late delivery")
    with timezone.override("Europe/Moscow"):  # UTC+3: each of these times is on another day in UTC
        local = timezone.make_aware(dt.datetime.fromisoformat(registered))
        Complaint.objects.filter(pk=complaint.pk).update(created_at=local)
        data = selectors.kpi_tables(
            organization=org_a,
            clients=Client.objects.filter(organization=org_a),
            start=D("2026-01-01"),
            end=D("2026-03-31"),
        )
    assert data["grand"]["complaints"] == (1 if counted else 0)


def test_kpi_data_version_changes_with_every_source_of_the_kpis(org_a, org_b):
    client = make_client(org_a, "Client")
    versions = [selectors.kpi_data_version(org_a)]

    def changed() -> bool:
        versions.append(selectors.kpi_data_version(org_a))
        return versions[-1] != versions[-2]

    settle(make_client(org_b, "Elsewhere"), "2026-01-05")
    assert not changed()  # another organization's data
    settlement = settle(client, "2026-01-05")
    assert changed()
    contact = Contact.objects.create(organization=org_a, client=client, kind="call", date=D("2026-01-06"), summary="x")
    assert changed()
    contact.delete()
    assert changed()
    Client.objects.filter(pk=client.pk).update(updated_at=timezone.now() + dt.timedelta(seconds=1))
    assert changed()
    services.settlement_delete(settlement=settlement)
    assert changed()
