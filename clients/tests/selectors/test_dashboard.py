"""The dashboard's reads: the periods compared, the direction of a change, the figures and the months.

Called with a `Viewer` or plain arguments, never a request; `make test` runs them on SQLite too.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from clients import selectors
from clients.selectors import preset_period
from clients.selectors.dashboard import Figure
from clients.tests.factories import settle
from crm_portal.models import Role
from crm_portal.tenancy import Viewer

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    "name, today, period",
    [
        ("month", "2026-12-02", ("2026-12-01", "2026-12-31")),
        ("last_month", "2026-01-15", ("2025-12-01", "2025-12-31")),
        ("quarter", "2026-12-02", ("2026-10-01", "2026-12-31")),
        ("last_quarter", "2026-02-28", ("2025-10-01", "2025-12-31")),
        ("year", "2026-12-02", ("2026-01-01", "2026-12-31")),
        ("last_12", "2028-02-29", ("2027-03-01", "2028-02-29")),
    ],
)
def test_preset_periods_are_whole_months(name, today, period):
    assert preset_period(name, D(today)) == (D(period[0]), D(period[1]))


def test_a_period_is_compared_with_as_many_months_before_and_the_same_months_a_year_earlier():
    assert selectors.comparison_periods(D("2026-10-01"), D("2026-12-31")) == {
        "now": (D("2026-10-01"), D("2026-12-31")),
        "previous": (D("2026-07-01"), D("2026-09-30")),
        "year_ago": (D("2025-10-01"), D("2025-12-31")),
    }
    # February of a leap year: a year earlier ends on 28 February.
    assert selectors.comparison_periods(D("2028-02-01"), D("2028-02-29"))["year_ago"] == (
        D("2027-02-01"),
        D("2027-02-28"),
    )


def test_a_change_is_good_or_bad_by_what_the_figure_means():
    revenue = Figure("sales_sum", value=150, previous=100, year_ago=200, good_when_up=True)
    assert (revenue.change_previous, revenue.tone_previous) == (50.0, "good")
    assert (revenue.change_year, revenue.tone_year) == (-25.0, "bad")
    lost = Figure("lost", value=3, previous=4, year_ago=0, good_when_up=False)
    assert (lost.change_previous, lost.tone_previous) == (-25.0, "good")
    assert (lost.change_year, lost.tone_year) == (None, "bad")  # from none to some: no percentage
    flat = Figure("buyers", value=7, previous=7, year_ago=7, good_when_up=True)
    assert (flat.change_previous, flat.tone_previous) == (0.0, "")


@pytest.mark.django_db
def test_the_dashboard_counts_the_chosen_clients_by_period_and_by_month(org_a, register):
    anns, bobs = register["clients"]["Ann's"], register["clients"]["Bob's"]
    settle(anns, "2025-11-10", "100")  # a year before: Ann's first sale
    settle(anns, "2026-08-05", "40")  # the quarter before: a repeat sale
    settle(anns, "2026-11-03", "250.50")  # the quarter: a repeat sale
    settle(bobs, "2026-10-20", "1000")  # the quarter: Bob's first sale
    head = Viewer(org_a, register["bob"], Role.SALES_HEAD)
    start, end = D("2026-10-01"), D("2026-12-31")

    board = selectors.dashboard(head, start=start, end=end, wanted=selectors.ClientFilter())
    figures = {f.key: (f.value, f.previous, f.year_ago) for f in board["figures"]}
    assert figures["sales_sum"] == (1250.5, 40.0, 100.0)
    assert figures["buyers"] == (2, 1, 1)
    assert figures["first_sale_n"] == (1, 0, 1)
    assert figures["repeat_n"] == (1, 1, 0)
    # The twelve months up to the period's end: January to December 2026.
    assert [(m["month"], m["revenue"], m["buyers"]) for m in board["months"] if m["buyers"]] == [
        (D("2026-08-01"), 40.0, 1),
        (D("2026-10-01"), 1000.0, 1),
        (D("2026-11-01"), 250.5, 1),
    ]
    assert [m["month"] for m in board["months"]][::11] == [D("2026-01-01"), D("2026-12-01")]
    # The KPI page reads the same totals for the same clients and period.
    kpi = selectors.kpi_tables_cached(head, start=start, end=end, limit=0)
    assert kpi["grand"]["sales_sum"] == 1250.5 and kpi["grand"]["buyers"] == 2
    # Only Ann's clients: every figure and month follows the filter.
    only_ann = selectors.dashboard(
        head, start=start, end=end, wanted=selectors.ClientFilter(manager=register["ann"].pk)
    )
    assert {f.key: f.value for f in only_ann["figures"]}["sales_sum"] == 250.5
    assert sum(m["revenue"] for m in only_ann["months"]) == 290.5
    assert [(m["manager"], m["clients"]) for m in only_ann["managers"]] == [("ann", 1)]
    anns.refresh_from_db()  # her state today depends on today's date: the one stored is counted
    assert [(state, n) for state, n in only_ann["lifecycle_now"] if n] == [(anns.lifecycle_state, 1)]


@pytest.mark.django_db
def test_plans_are_summed_over_the_period_and_compared_with_each_managers_revenue(org_a, register):
    from clients import services

    ann, bob = register["ann"], register["bob"]
    settle(register["clients"]["Ann's"], "2026-10-20", "1500")
    settle(register["clients"]["Bob's"], "2026-11-02", "400")
    for month, amount in (("2026-10-15", "1000"), ("2026-11-01", "1000"), ("2026-09-01", "9999")):
        services.revenue_plan_set(organization=org_a, manager=ann, month=D(month), amount=Decimal(amount))
    services.revenue_plan_set(organization=org_a, manager=ann, month=D("2026-12-31"), amount=Decimal("500"))
    services.revenue_plan_set(organization=org_a, manager=ann, month=D("2026-12-01"), amount=Decimal("1000"))
    head = Viewer(org_a, bob, Role.SALES_HEAD)

    board = selectors.dashboard(head, start=D("2026-10-01"), end=D("2026-12-31"), wanted=selectors.ClientFilter())
    rows = {row["manager"]: row for row in board["managers"]}
    assert (rows["ann"]["plan"], rows["ann"]["fulfilment"]) == (Decimal("3000"), 50.0)  # September is outside
    assert (rows["bob"]["plan"], rows["bob"]["fulfilment"]) == (None, None)
    assert board["plan"] == {"compared": True, "plan": 3000.0, "fact": 1500.0, "fulfilment": 50.0}
    narrowed = selectors.dashboard(
        head, start=D("2026-10-01"), end=D("2026-12-31"), wanted=selectors.ClientFilter(abc="A")
    )
    assert narrowed["plan"]["compared"] is False
    assert all(row["plan"] is None for row in narrowed["managers"])


@pytest.mark.django_db
def test_a_plan_is_set_for_a_manager_of_the_organization_and_never_negative(org_a, org_b, register, make_member):
    from django.core.exceptions import ValidationError

    from clients import services
    from clients.models import RevenuePlan

    stranger = make_member(org_b, Role.MANAGER, username="stranger")
    analyst = make_member(org_a, Role.ANALYST, username="analyst")
    for manager, amount, field in (
        (stranger, "10", "manager"),
        (analyst, "10", "manager"),
        (register["ann"], "-1", "amount"),
    ):
        with pytest.raises(ValidationError) as refused:
            services.revenue_plan_set(
                organization=org_a, manager=manager, month=D("2026-10-01"), amount=Decimal(amount)
            )
        assert list(refused.value.message_dict) == [field]
    assert not RevenuePlan.objects.exists()


@pytest.mark.django_db
def test_the_dashboard_shows_the_funnel_of_the_periods_deals_and_overdue_points_per_manager(org_a, register):
    from clients.models import ControlPoint, Deal

    anns, bobs = register["clients"]["Ann's"], register["clients"]["Bob's"]
    today = dt.date.today()

    def deal(client, stage, opened):
        made = Deal.objects.create(organization=org_a, client=client, title=stage, stage=stage)
        Deal.objects.filter(pk=made.pk).update(created_at=dt.datetime.fromisoformat(f"{opened}T12:00:00+00:00"))

    deal(anns, "offer", "2026-10-05")
    deal(bobs, "presentation", "2026-11-05")
    deal(bobs, "agreement", "2026-06-05")  # opened before the period
    for client, days in ((anns, 3), (bobs, 1), (bobs, 2), (bobs, -1)):
        ControlPoint.objects.create(
            organization=org_a, client=client, kind="care", due_date=today - dt.timedelta(days=days)
        )
    head = Viewer(org_a, register["bob"], Role.SALES_HEAD)

    board = selectors.dashboard(head, start=D("2026-10-01"), end=D("2026-12-31"), wanted=selectors.ClientFilter())
    funnel = {row["stage"]: (str(row["label"]), row["reached"], row["next"]) for row in board["funnel"]}
    assert funnel["presentation"] == ("Presentation", 2, 1)
    assert funnel["offer"] == ("Commercial offer", 1, 0)
    assert [(r["client__manager__username"], r["n"]) for r in board["overdue"]] == [("bob", 2), ("ann", 1)]
    assert board["overdue_total"] == 3
    assert {m["manager"]: m["overdue"] for m in board["managers"]} == {"ann": 1, "bob": 2, "—": 0}
    only_ann = selectors.dashboard(
        head, start=D("2026-10-01"), end=D("2026-12-31"), wanted=selectors.ClientFilter(manager=register["ann"].pk)
    )
    assert {row["stage"]: row["reached"] for row in only_ann["funnel"]}["presentation"] == 1
    assert [(r["client__manager__username"], r["n"]) for r in only_ann["overdue"]] == [("ann", 1)]


@pytest.mark.django_db
def test_each_figure_with_a_list_behind_it_counts_exactly_the_clients_of_that_list(org_a, register, make_member):
    """Drilling into a dashboard figure: the client list for its event and period has as many clients."""
    import random

    from clients.tests.factories import make_client

    rng = random.Random(7)
    managers = [register["ann"], register["bob"]]
    for n in range(40):
        client = make_client(org_a, f"C{n}", manager=rng.choice(managers), abc_class=rng.choice("ABC"))
        for _k in range(rng.randint(0, 5)):
            day = D("2025-06-01") + dt.timedelta(days=rng.randint(0, 560))
            settle(client, day, rng.choice(["100", "250", "-100", "0"]))
    head = Viewer(org_a, register["bob"], Role.SALES_HEAD)
    start, end = D("2026-04-01"), D("2026-09-30")
    for wanted in (selectors.ClientFilter(), selectors.ClientFilter(manager=register["ann"].pk, abc="B")):
        figures = {f.key: f for f in selectors.dashboard(head, start=start, end=end, wanted=wanted)["figures"]}
        for key, event in (
            ("buyers", "bought"),
            ("first_sale_n", "first_sale"),
            ("lost", "lost"),
            ("restored", "restored"),
        ):
            assert figures[key].event == event
            listed = selectors.client_list(
                head,
                selectors.ClientFilter(**{**wanted.__dict__, "event": event, "event_start": start, "event_end": end}),
            )
            assert listed.count() == figures[key].value, (wanted, key)
            assert figures[key].value > 0 or wanted.manager  # the whole base has clients of each kind


@pytest.mark.django_db
def test_each_sales_figure_opens_exactly_the_clients_whose_sales_make_it_up(org_a, register):
    """Revenue, repeat sales and sales in new lines count sales, not clients: their lists hold every
    client that adds to the figure and no other (each listed client's share is non-zero, the shares
    add up to the figure)."""
    import random

    from clients.models import ClientMonth, Product
    from clients.tests.factories import make_client

    rng = random.Random(11)
    products = [None, *(Product.objects.create(organization=org_a, name=name) for name in ("Tea", "Coffee"))]
    for n in range(40):
        client = make_client(org_a, f"C{n}", manager=rng.choice([register["ann"], register["bob"]]))
        for _k in range(rng.randint(0, 6)):
            day = D("2025-06-01") + dt.timedelta(days=rng.randint(0, 560))
            settle(client, day, rng.choice(["100", "250", "-100", "0"]), product=rng.choice(products))
    head = Viewer(org_a, register["bob"], Role.SALES_HEAD)
    start, end = D("2026-04-01"), D("2026-09-30")
    for wanted in (selectors.ClientFilter(), selectors.ClientFilter(manager=register["ann"].pk)):
        figures = {f.key: f for f in selectors.dashboard(head, start=start, end=end, wanted=wanted)["figures"]}
        for key, event, column in (
            ("sales_sum", "bought", "turnover"),
            ("repeat_n", "repeat_sale", "repeat_n"),
            ("new_line_n", "new_line", "new_line_n"),
        ):
            assert figures[key].event == event
            listed = selectors.client_list(
                head,
                selectors.ClientFilter(**{**wanted.__dict__, "event": event, "event_start": start, "event_end": end}),
            )
            shares = {pk: 0 for pk in listed.values_list("pk", flat=True)} | {
                row["client"]: row["share"]
                for row in ClientMonth.objects.filter(client__in=listed, month__range=(start, end))
                .values("client")
                .annotate(share=Sum(column))
            }
            assert all(share != 0 for share in shares.values()), (wanted, key)
            assert float(sum(shares.values())) == figures[key].value, (wanted, key)
            assert shares or wanted.manager  # the whole base has clients of each kind


@pytest.mark.django_db
def test_the_chart_counts_buying_clients_as_the_figures_do(org_a, register):
    """A client whose month nets to zero (a sale and its refund) bought nothing that month."""
    from clients.tests.factories import make_client

    refunded, buyer = make_client(org_a, "Refunded"), make_client(org_a, "Buyer")
    settle(refunded, "2026-10-05", "100")
    settle(refunded, "2026-10-09", "-100")
    settle(buyer, "2026-10-07", "40")
    head = Viewer(org_a, register["bob"], Role.SALES_HEAD)
    board = selectors.dashboard(head, start=D("2026-10-01"), end=D("2026-10-31"), wanted=selectors.ClientFilter())
    october = [m for m in board["months"] if m["month"] == D("2026-10-01")]
    assert october == [{"month": D("2026-10-01"), "revenue": 40.0, "buyers": 1}]
    assert {f.key: f.value for f in board["figures"]}["buyers"] == 1


@pytest.mark.django_db
def test_the_product_filter_keeps_the_clients_who_use_or_bought_the_product(org_a, register):
    from clients.models import Deal, Product

    coffee = Product.objects.create(organization=org_a, name="Coffee")
    anns, bobs, nobodys = (register["clients"][name] for name in ("Ann's", "Bob's", "Nobody's"))
    settle(anns, "2026-10-05", "100", product=coffee)
    settle(bobs, "2026-10-06", "300")  # bought something else
    nobodys.products.add(coffee)  # uses it, bought nothing yet
    Deal.objects.create(organization=org_a, client=bobs, title="Tea", stage="offer")
    Deal.objects.create(organization=org_a, client=bobs, title="Coffee", stage="offer", product=coffee)
    head = Viewer(org_a, register["bob"], Role.SALES_HEAD)
    wanted = selectors.ClientFilter(product=coffee.pk)

    assert sorted(c.name for c in selectors.client_list(head, wanted)) == ["Ann's", "Nobody's"]
    board = selectors.dashboard(head, start=D("2026-10-01"), end=D("2026-12-31"), wanted=wanted)
    assert {f.key: f.value for f in board["figures"]}["sales_sum"] == 100
    assert {row["stage"]: row["reached"] for row in board["funnel"]}["offer"] == 1  # the coffee deal only
    assert board["plan"]["compared"] is False
