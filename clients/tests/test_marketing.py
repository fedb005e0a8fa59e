"""Marketing efficiency per acquisition channel and sales per product, on the KPI page (issue 14, 2.2)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from clients import selectors, services
from clients.models import MarketingSpend, Product
from clients.tests.factories import make_client, settle
from crm_portal.models import Role
from crm_portal.tenancy import Viewer

pytestmark = pytest.mark.django_db
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def base(org_a, org_b):
    coffee = Product.objects.create(organization=org_a, name="Coffee")
    tea = Product.objects.create(organization=org_a, name="Tea")
    old = make_client(org_a, "Old", channel="website")
    settle(old, "2025-11-10", "100", product=coffee)
    settle(old, "2026-03-05", "400", product=coffee)
    referred = make_client(org_a, "Referred", channel="recommendation")
    settle(referred, "2026-03-12", "300", product=tea)
    settle(referred, "2026-03-20", "-50", product=tea)  # a refund
    web = make_client(org_a, "Web", channel="website")
    settle(web, "2026-03-15", "200", product=coffee)
    settle(web, "2026-03-16", "25")  # no product
    settle(make_client(org_a, "Unknown"), "2026-04-02", "999")  # after the period
    for channel, month, amount in (
        ("website", "2026-03-01", "600"),
        ("advertising", "2026-03-01", "500"),  # brought nobody
        ("website", "2026-02-01", "900"),  # another month
    ):
        services.marketing_spend_set(
            organization=org_a, channel=channel, month=dt.date.fromisoformat(month), amount=Decimal(amount)
        )
    services.marketing_spend_set(organization=org_b, channel="website", month=dt.date(2026, 3, 1), amount=Decimal("7"))
    return {"coffee": coffee, "tea": tea}


def _tables(org):
    start, end = MARCH
    clients = selectors.clients_visible_to(Viewer(org, None, Role.ADMIN))
    return selectors.kpi_tables(organization=org, clients=clients, start=start, end=end)


def test_channels_give_spending_new_clients_their_cost_and_revenue(org_a, base):
    channels = _tables(org_a)["channels"]
    assert [
        (r["channel"], r["spent"], r["new"], r["cost_per_new"], r["revenue"], r["buyers"]) for r in channels["rows"]
    ] == [
        ("recommendation", None, 1, None, Decimal("250"), 1),
        ("website", Decimal("600"), 1, Decimal("600"), Decimal("625"), 2),  # Web is new; Old bought again
        ("advertising", Decimal("500"), 0, None, Decimal("0"), 0),
    ]
    assert (channels["spent"], channels["new"], channels["cost_per_new"], channels["revenue"]) == (
        Decimal("1100"),
        2,
        Decimal("550"),
        Decimal("875"),
    )


def test_sales_per_product_net_refunds_and_put_the_unassigned_last(client_as, org_a, base):
    start, end = MARCH
    clients = selectors.clients_visible_to(Viewer(org_a, None, Role.ADMIN))
    products = selectors.product_sales_table(organization=org_a, clients=clients, start=start, end=end)
    assert [(p["name"], p["sum"], p["settlements"], p["clients"]) for p in products] == [
        ("Coffee", Decimal("600"), 2, 2),
        ("Tea", Decimal("250"), 2, 1),
        (None, Decimal("25"), 1, 1),
    ]
    # The KPI page loads them after itself, for its period.
    head = client_as(org_a, Role.SALES_HEAD)
    page = head.get(reverse("clients:kpi"), {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    url = reverse("clients:kpi_products") + "?start=2026-03-01&amp;end=2026-03-31"
    assert f'<div id="kpi-products-slot" hx-get="{url}" hx-trigger="load" hx-swap="innerHTML">' in page
    fragment = head.get(reverse("clients:kpi_products"), {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    assert f'<tr data-product="{base["coffee"].pk}"><td>Coffee</td><td class="text-end">600.00</td>' in fragment
    assert '<tr data-product=""><td>No product</td><td class="text-end">25.00</td>' in fragment
    assert head.get(reverse("clients:kpi_products"), {"start": "x"}).status_code == 400


def test_a_head_enters_spending_once_per_channel_and_month_and_returns_to_the_period(client_as, org_a, base):
    head = client_as(org_a, Role.SALES_HEAD)
    url = reverse("clients:marketing_spend")
    data = {"channel": "website", "month": "2026-03-17", "amount": "750", "start": "2026-03-01", "end": "2026-03-31"}
    for _n in range(2):  # a double click
        response = head.post(url, data)
    assert response["Location"] == reverse("clients:kpi") + "?start=2026-03-01&end=2026-03-31#kpi-channels"
    assert MarketingSpend.objects.get(organization=org_a, channel="website", month="2026-03-01").amount == 750
    refused = head.post(url, {**data, "amount": "-1"}, follow=True)
    assert "Ensure this value is greater than or equal to 0." in refused.content.decode()
    assert MarketingSpend.objects.get(organization=org_a, channel="website", month="2026-03-01").amount == 750
    page = head.get(reverse("clients:kpi"), {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    assert (
        '<td class="text-end cost-per-new">750,00</td>' in page
        or '<td class="text-end cost-per-new">750.00</td>' in page
    )
    assert client_as(org_a, Role.ANALYST).post(url, data).status_code == 403
