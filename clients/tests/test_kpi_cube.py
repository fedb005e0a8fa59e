"""The KPI totals from the cube agree with the KPI tables read a row per client (`kpi_tables`, itself
checked against the pure reference), on random data, after every kind of change."""

import datetime as dt
import random
import threading

import pandas as pd
import pytest
from django.db import connection, models
from django.db.models import Sum
from django.utils import timezone

from clients import selectors, services
from clients.lifecycle import month_end, months_before
from clients.models import Channel, Client, Complaint, Contact, KpiCube, Product, Settlement
from clients.tests.factories import make_client, settle
from crm_portal.models import Role
from crm_portal.tenancy import Viewer

pytestmark = [pytest.mark.django_db, pytest.mark.databases, pytest.mark.dates]

COMPARED = [*selectors.KPI_SUMS, "conversion", "products_per_client"]


def _periods(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    this_month = today.replace(day=1)
    return [
        (months_before(this_month, 2), month_end(today)),  # three months up to this one (today inside)
        (months_before(this_month, 11), month_end(today)),  # twelve months
        (months_before(this_month, 5), month_end(months_before(this_month, 3))),  # a past quarter
        (months_before(this_month, 20), month_end(months_before(this_month, 20))),  # one month long ago
    ]


def _rounded(row: dict) -> dict:
    return {c: None if row[c] is None else round(row[c], 6) for c in COMPARED}


def _money(value):
    """Sums of floats added in another order differ in the last bits: compared to the cent."""
    if isinstance(value, dict):
        return {k: _money(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_money(v) for v in value]
    return round(value, 6) if isinstance(value, float) else value


def _assert_agree(org, viewer: Viewer, clients, today: dt.date) -> None:
    for start, end in _periods(today):
        by_rows = selectors.kpi_tables(organization=org, clients=clients, start=start, end=end, limit=0)
        by_cube = selectors.kpi_totals(viewer, start=start, end=end)
        assert {m["manager"]: _rounded(m) for m in by_cube["managers"]} == {
            m["manager"]: _rounded(m) for m in by_rows["managers"]
        }, (start, end)
        assert _rounded(by_cube["grand"]) == _rounded(by_rows["grand"]), (start, end)
        assert _money(by_cube["channels"]) == _money(by_rows["channels"]), (start, end)
        assert by_cube["complaint_kinds"] == by_rows["complaint_kinds"], (start, end)


def _random_base(org, managers, rng: random.Random, today: dt.date) -> list[Client]:
    products = [Product.objects.create(organization=org, name=f"P{i}") for i in range(3)]
    channels = [c for c, _label in Channel.choices] + [""]
    clients = []
    for i in range(40):
        client = make_client(org, f"C{i:02d}", manager=rng.choice(managers + [None]), channel=rng.choice(channels))
        clients.append(client)
        for _ in range(rng.randint(0, 7)):
            day = today - dt.timedelta(days=rng.randint(0, 700))
            amount = rng.choice(["-50", "0", "120", "300", "999.99"])
            settle(client, day, amount, product=rng.choice(products + [None]))
        for _ in range(rng.randint(0, 2)):
            day = today - dt.timedelta(days=rng.randint(0, 400))
            Contact.objects.create(organization=org, client=client, kind="call", date=day, summary="x")
        if rng.random() < 0.3:
            complaint = Complaint.objects.create(organization=org, client=client, subject="late")
            Complaint.objects.filter(pk=complaint.pk).update(
                created_at=timezone.now() - dt.timedelta(days=rng.randint(0, 300))
            )
    return clients


@pytest.mark.parametrize("seed", [1, 2])
def test_cube_totals_agree_with_a_row_per_client_through_every_change(org_a, make_member, seed):
    rng = random.Random(seed)
    today = timezone.localdate()
    managers = [make_member(org_a, Role.MANAGER) for _ in range(3)]
    clients = _random_base(org_a, managers, rng, today)
    head = Viewer(org_a, None, Role.SALES_HEAD)
    everyone = Client.objects.filter(organization=org_a)
    _assert_agree(org_a, head, everyone, today)
    ann = Viewer(org_a, managers[0], Role.MANAGER)
    _assert_agree(org_a, ann, everyone.filter(manager=managers[0]), today)

    # Reassigned by the service, and by paths that bypass every service: moved before the next read.
    services.clients_assign(organization=org_a, client_ids=[c.pk for c in clients[:8]], manager=managers[1])
    Client.objects.filter(pk__in=[c.pk for c in clients[8:12]]).update(channel="referral", manager=None)
    _assert_agree(org_a, head, everyone, today)
    # A manager gives away every client: the cells left empty are not a row of the table.
    services.clients_assign(
        organization=org_a,
        client_ids=everyone.filter(manager=managers[2]).values_list("pk", flat=True),
        manager=ann.user,
    )
    _assert_agree(org_a, head, everyone, today)
    # A back-dated settlement, a deleted one, a refund: the client's share is rewritten.
    settle(clients[12], today - dt.timedelta(days=500), "700")
    victim = Settlement.objects.filter(client__in=clients[13:20]).order_by("id").first()
    services.settlement_delete(settlement=victim)
    settle(clients[20], today, "-120")
    _assert_agree(org_a, head, everyone, today)
    _assert_agree(org_a, ann, everyone.filter(manager=managers[0]), today)
    # An imported file: settlements of existing clients (back-dated too) and of clients it creates.
    Client.objects.filter(pk__in=[c.pk for c in clients[:5]]).update(external_id=models.F("name"))
    rows = pd.DataFrame(
        {
            "client": ["C00", "C01", "NEW-1", "NEW-1", "NEW-2"],
            "date": [today - dt.timedelta(days=d) for d in (3, 400, 40, 10, 200)],
            "amount": [150.0, 80.0, 300.0, -50.0, 75.5],
        }
    )
    services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="create")
    _assert_agree(org_a, head, everyone, today)

    # What the day's edits left equals the cube built anew (which also drops the emptied cells).
    kept = _cells(org_a)
    services.cube_rebuild(organization=org_a)
    assert _cells(org_a) == kept


def _cells(org) -> dict:
    """The cube's nonzero cells, summed per key."""
    rows = KpiCube.objects.filter(organization=org).values("kind", "month", "manager_key", "channel", "since")
    sums = rows.annotate(**{f: Sum(f) for f in services.kpi_cube.SUMS})
    return {
        (r["kind"], r["month"], r["manager_key"], r["channel"], r["since"]): tuple(
            round(float(r[f]), 2) for f in services.kpi_cube.SUMS
        )
        for r in sums
        if any(r[f] for f in services.kpi_cube.SUMS)
    }


def test_a_won_back_client_counts_once_in_each_figure_of_a_long_period(org_a, make_member):
    """Bought, lost, restored and lost again within twelve months: one buyer, one lost, one restored."""
    ann = make_member(org_a, Role.MANAGER)
    today = timezone.localdate()
    first = months_before(today.replace(day=1), 11)
    client = make_client(org_a, "Back and forth", manager=ann)
    for day in (first, first + dt.timedelta(days=150), first + dt.timedelta(days=160)):
        settle(client, day, "100")
    totals = selectors.kpi_totals(Viewer(org_a, None, Role.SALES_HEAD), start=first, end=month_end(today))
    row = totals["grand"]
    assert (row["buyers"], row["lost"], row["restored"], row["first_sale_n"], row["repeat_n"]) == (1, 1, 1, 1, 2)


@pytest.mark.django_db(transaction=True)
def test_two_pages_read_at_once_move_a_reassigned_client_once(org_a, make_member):
    """Two heads open the KPIs right after a reassignment: the clients are moved once, not twice."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    rng = random.Random(5)
    today = timezone.localdate()
    managers = [make_member(org_a, Role.MANAGER) for _ in range(2)]
    clients = _random_base(org_a, managers, rng, today)
    Client.objects.filter(pk__in=[c.pk for c in clients[:20]]).update(manager=managers[1], channel="social")
    # The reassigned, and the clients never filed yet (no settlements, a manager or a channel).
    expected = len(services.kpi_cube._moved(org_a))
    barrier, moved = threading.Barrier(2), []

    def read() -> None:
        barrier.wait()
        try:
            moved.append(services.kpi_cube_sync(organization=org_a))
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert expected >= 20 and sorted(moved) == [0, expected]
    kept = _cells(org_a)
    services.cube_rebuild(organization=org_a)
    assert _cells(org_a) == kept
