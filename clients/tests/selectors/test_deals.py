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
