"""The deal page's reads: money paid and owed, the stage that follows.

Called with a `Viewer` or plain arguments, never a request; `make test` runs them on SQLite too.
"""

import datetime as dt
from decimal import Decimal

import pytest

from clients import selectors
from clients.models import Deal
from clients.tests.factories import settle

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


def test_the_deal_page_reads_its_money_and_the_stage_that_follows(org_a, register):
    client = register["clients"]["Ann's"]
    new = Deal.objects.create(organization=org_a, client=client, title="New", amount=Decimal("500"))
    last = Deal.objects.create(organization=org_a, client=client, title="Last", stage="closing")
    settle(client, "2026-02-10", "300", deal=new)
    settle(client, "2026-02-11", "-50", deal=new)

    page, closing = selectors.deal_page(new), selectors.deal_page(last)

    assert (page["deal"], str(page["next_stage"]), closing["next_stage"]) == (new, "Commercial offer", None)
    assert (page["money"].paid, page["money"].refunded, page["money"].remaining) == (250, 50, 250)
    assert [value for value, _label in page["stage_names"]] == [
        "presentation",
        "offer",
        "agreement",
        "payment",
        "event",
        "closing",
    ]


def test_the_board_counts_sums_and_shows_the_next_step_under_its_filter(org_a, register):
    from clients.models import ControlPoint, Segment
    from crm_portal.models import Role
    from crm_portal.tenancy import Viewer

    wholesale = Segment.objects.create(organization=org_a, name="Wholesale")
    anns, bobs = register["clients"]["Ann's"], register["clients"]["Bob's"]
    bobs.segment = wholesale
    bobs.save()

    def deal(client, title, stage, amount, opened):
        made = Deal.objects.create(organization=org_a, client=client, title=title, stage=stage, amount=amount)
        Deal.objects.filter(pk=made.pk).update(created_at=dt.datetime.fromisoformat(f"{opened}T12:00:00+00:00"))
        return made

    a1 = deal(anns, "A1", "presentation", Decimal("100.50"), "2026-10-05")
    deal(anns, "A2", "presentation", None, "2026-11-05")
    b1 = deal(bobs, "B1", "offer", Decimal("2000"), "2026-11-20")
    Deal.objects.create(organization=org_a, client=bobs, title="Won", stage="closing", status="won", amount=9)
    ControlPoint.objects.create(organization=org_a, client=bobs, deal=b1, kind="offer_expiry", due_date=D("2026-12-10"))
    ControlPoint.objects.create(organization=org_a, client=bobs, deal=b1, kind="retry", due_date=D("2026-12-04"))
    ControlPoint.objects.create(
        organization=org_a, client=bobs, deal=b1, kind="care", due_date=D("2026-12-01"), done_at=dt.datetime.now(dt.UTC)
    )
    head = Viewer(org_a, register["bob"], Role.SALES_HEAD)

    def board(**wanted):
        return {c["stage"]: c for c in selectors.deals_by_stage(head, selectors.DealFilter(**wanted))}

    columns = board()
    assert list(columns) == ["presentation", "offer", "agreement", "payment", "event", "closing"]
    assert (columns["presentation"]["count"], columns["presentation"]["amount"]) == (2, Decimal("100.50"))
    assert (columns["offer"]["count"], columns["offer"]["amount"]) == (1, Decimal("2000"))
    assert (columns["closing"]["count"], columns["closing"]["amount"]) == (0, 0)  # the won deal is off the board
    assert [str(c["next_stage"]) for c in columns.values()][:2] == ["Commercial offer", "Agreement"]
    assert columns["closing"]["next_stage"] is None
    [shown] = columns["offer"]["deals"]
    assert (str(shown.next_label), shown.next_due) == ("Retry the presentation", D("2026-12-04"))
    assert board(manager=register["ann"].pk)["offer"]["count"] == 0
    assert board(segment=wholesale.pk)["presentation"]["count"] == 0
    assert [d.title for d in board(start=D("2026-11-01"))["presentation"]["deals"]] == ["A2"]
    assert [d.title for d in board(end=D("2026-10-31"))["presentation"]["deals"]] == [a1.title]
    funnel = {
        row["stage"]: row["reached"] for row in selectors.funnel(head, selectors.DealFilter(segment=wholesale.pk))
    }
    assert (funnel["presentation"], funnel["offer"], funnel["closing"]) == (2, 2, 1)


def test_the_funnel_gives_the_median_days_a_deal_stays_in_each_stage(org_a, register):
    from clients.models import DealEvent
    from crm_portal.models import Role
    from crm_portal.tenancy import Viewer

    client = register["clients"]["Ann's"]

    def deal_with(*events):
        deal = Deal.objects.create(organization=org_a, client=client, title="D", stage=events[-1][2] or events[-1][1])
        for kind, left, came, day in events:
            DealEvent.objects.create(
                organization=org_a, deal=deal, kind=kind, from_stage=left, to_stage=came, date=D(day)
            )
        return deal

    deal_with(("created", "", "presentation", "2026-03-01"), ("moved", "presentation", "offer", "2026-03-04"))
    deal_with(
        ("created", "", "presentation", "2026-03-01"),
        ("retry", "", "", "2026-03-05"),  # not a move: the deal stays
        ("moved", "presentation", "offer", "2026-03-11"),
        ("refused", "offer", "", "2026-03-31"),
    )
    deal_with(("created", "", "presentation", "2026-03-02"))  # still there: not counted
    rows = {r["stage"]: r for r in selectors.funnel(Viewer(org_a, register["bob"], Role.SALES_HEAD))}
    assert selectors.days_in_stage(Deal.objects.all())["presentation"] == [3, 10]
    assert (rows["presentation"]["median_days"], rows["offer"]["median_days"], rows["agreement"]["median_days"]) == (
        6.5,
        20,
        None,
    )
