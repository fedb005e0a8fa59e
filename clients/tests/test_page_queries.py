"""The query count of every dashboard and workspace request is pinned: it does not grow with the
number of clients, deals, points or managers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from clients import services
from clients.models import Product, RefusalReason, Segment
from clients.tests.factories import make_client, settle
from crm_portal.models import Role

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _base(org, managers, n):
    tea = Product.objects.create(organization=org, name="Tea")
    segment = Segment.objects.create(organization=org, name="S")
    reason = RefusalReason.objects.create(organization=org, name="Price")
    for i in range(n):
        manager = managers[i % len(managers)]
        c = make_client(org, f"Client {i:03d}", manager=manager, segment=segment)
        for m in range(3):
            settle(c, TODAY - dt.timedelta(days=30 * m), product=tea)
        services.control_point_create(client=c, kind="minutes", due_date=TODAY - dt.timedelta(days=1))
        deal = services.deal_create(client=c, title=f"Deal {i}", product=tea, amount=Decimal("1000"), user=manager)
        if i % 3 == 1:
            services.deal_advance(deal=deal, user=manager, due_date=TODAY + dt.timedelta(days=7))
        if i % 3 == 2:
            services.deal_refuse(deal=deal, reason=reason, user=manager)
        services.complaint_register(organization=org, client=c, subject=f"Complaint {i}")
    return segment


# One more statement per KPI computation a row per client on PostgreSQL: its planner settings.
PLANNER = 1 if connection.vendor == "postgresql" else 0
# The dashboard of a quarter computes three periods' KPIs (the quarter, the one before, a year
# earlier); the same page again reads them from the cache. A year's "before" is its "year ago".
DASHBOARD = 46  # each period from the KPI cube (`kpi_totals`): five statements, on either database
DASHBOARD_CACHED = 27
DASHBOARD_FILTERED = 39 + 2 * PLANNER
DASHBOARD_FILTERED_CACHED = 28
DRILL_DOWN = 12
HOME_HEAD, HOME_MANAGER = 15, 16
MY_DAY = 11
DEAL_BOARD = 19


@pytest.mark.parametrize(("n", "managers"), [(4, 2), (24, 5)])
def test_dashboard_and_workspace_query_counts_are_pinned(
    client, org_a, make_member, django_assert_num_queries, n, managers
):
    team = [make_member(org_a, Role.MANAGER) for _ in range(managers)]
    segment = _base(org_a, team, n)
    client.force_login(make_member(org_a, Role.SALES_HEAD))
    dashboard = reverse("clients:dashboard")
    filtered = {"period": "year", "manager": team[0].pk, "segment": segment.pk}
    for params, expected in (
        ({}, DASHBOARD),
        ({}, DASHBOARD_CACHED),
        (filtered, DASHBOARD_FILTERED),
        (filtered, DASHBOARD_FILTERED_CACHED),
    ):
        with django_assert_num_queries(expected):
            page = client.get(dashboard, params)
        assert page.status_code == 200
    assert page.context["grand"]["clients"] == len(range(0, n, managers))  # the first manager's share
    with django_assert_num_queries(DRILL_DOWN):
        drilled = client.get(reverse("clients:list"), {"event": "bought", "start": TODAY.replace(day=1), "end": TODAY})
    assert len(drilled.context["page"]) == n
    with django_assert_num_queries(HOME_HEAD):
        assert client.get(reverse("home")).status_code == 200
    client.force_login(team[0])
    for url, expected in ((reverse("home"), HOME_MANAGER), (reverse("clients:my_day"), MY_DAY)):
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200
    with django_assert_num_queries(DEAL_BOARD):
        board = client.get(reverse("clients:deals"))
    open_deals = sum(1 for i in range(0, n, managers) if i % 3 != 2)  # every third deal was refused
    assert sum(column["count"] for column in board.context["columns"]) == open_deals
