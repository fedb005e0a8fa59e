"""One truth: the card's history, the client list as of a date, the KPI tables and the loyalty
metrics give the same counts for the same clients and period."""

import datetime as dt
import random

import pytest
from django.urls import reverse

from clients.models import Client
from clients.tests.factories import make_client, settle
from crm_portal.models import Role
from loyalty import metric_runs
from loyalty.models import MetricValue

pytestmark = pytest.mark.django_db

ACTIVE = ("new", "regular", "renewed")


def _listed(web, as_of: dt.date, state: str) -> set[str]:
    """The names the client list shows for a state as of a date (all pages)."""
    names, page = set(), 1
    while True:
        response = web.get(reverse("clients:list"), {"as_of": as_of.isoformat(), "state": state, "page": page})
        names |= {c.name for c in response.context["page"]}
        if not response.context["page"].has_next():
            return names
        page += 1


def test_card_list_kpis_and_loyalty_metrics_agree(client_as, org_a):
    rng = random.Random(4)
    start, end = dt.date(2025, 4, 1), dt.date(2025, 6, 30)
    for n in range(70):
        client = make_client(org_a, f"Client {n:02d}")
        first = dt.date(2024, 6, 1) + dt.timedelta(days=rng.randint(0, 400))
        for _ in range(rng.randint(0, 5)):
            settle(client, first + dt.timedelta(days=rng.choice([rng.randint(0, 60), rng.randint(0, 300)])))
    head = client_as(org_a, Role.SALES_HEAD)

    # The card: each client's history as the card lists it.
    changes = {}
    for client in Client.objects.filter(organization=org_a):
        page = head.get(reverse("clients:card", kwargs={"client_id": client.pk}))
        changes[client.name] = [(c.as_of, c.state) for c in page.context["state_history"]]
    turned = {
        state: {name for name, rows in changes.items() if any(start <= d <= end and s == state for d, s in rows)}
        for state in ("lost", "renewed")
    }
    first_in_period = {name for name, rows in changes.items() if rows and start <= rows[-1][0] <= end}

    # The list as of the day before the period and as of its end.
    before = start - dt.timedelta(days=1)
    at_start = set().union(*(_listed(head, before, state) for state in ACTIVE))
    at_end = set().union(*(_listed(head, end, state) for state in ACTIVE))
    lost_at_end = _listed(head, end, "lost")

    # The KPI tables of the period.
    kpi = head.get(reverse("clients:kpi"), {"start": start.isoformat(), "end": end.isoformat()}).context
    assert (kpi["grand"]["lost"], kpi["grand"]["restored"]) == (len(turned["lost"]), len(turned["renewed"]))
    rows = head.get(reverse("clients:kpi_clients"), {"start": start.isoformat(), "end": end.isoformat()}).context
    shown = {row["name"]: row for row in rows["clients_shown"]}
    assert {name for name, row in shown.items() if row["lost"]} == turned["lost"]
    assert {name for name, row in shown.items() if row["restored"]} == turned["renewed"]

    # The loyalty metrics of the quarter.
    metric_runs.metrics_compute(organization=org_a, period_kind="quarter", today=end)

    def metric(name):
        row = MetricValue.objects.get(
            organization=org_a, period_kind="quarter", period_start=start, metric=name, dimension="all", key=""
        )
        return row.value, row.count

    churned = at_start & lost_at_end
    assert metric("churn") == (pytest.approx(100 * len(churned) / len(at_start)), len(at_start))
    retained = len(at_end) - len(first_in_period)
    assert metric("retention") == (pytest.approx(100 * retained / len(at_start)), len(at_start))
    assert metric("regular_clients")[0] == len(_listed(head, end, "regular"))
    # The cases hold every kind of client the counts distinguish.
    assert turned["lost"] and turned["renewed"] and churned and first_in_period and at_start - at_end
