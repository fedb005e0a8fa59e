"""Lifecycle states recomputed for every client, and a true history from the first settlement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients import lifecycle, selectors, services
from clients.models import AuditEntry, Client, ClientMonth, Settlement, StateChange
from clients.services import lifecycle as lifecycle_services
from clients.tests.factories import make_client, settle

pytestmark = pytest.mark.django_db


def test_lifecycle_recompute_sets_every_state_and_history(org_a):
    as_of = dt.date(2026, 5, 31)
    potential = make_client(org_a, "potential")
    new = make_client(org_a, "new")
    settle(new, "2026-05-01")
    regular = make_client(org_a, "regular")
    settle(regular, "2026-05-01"), settle(regular, "2026-02-28")
    lost = make_client(org_a, "lost")
    settle(lost, "2026-02-28"), settle(lost, "2026-07-01")
    renewed = make_client(org_a, "renewed")
    settle(renewed, "2026-05-01"), settle(renewed, "2025-11-30")
    result = services.lifecycle_recompute(organization=org_a, as_of=as_of)
    states = dict(Client.objects.filter(organization=org_a).values_list("name", "lifecycle_state"))
    assert states == {
        "potential": "potential",
        "new": "new",
        "regular": "regular",
        "lost": "lost",
        "renewed": "renewed",
    }
    assert result["states"] == {"potential": 1, "new": 1, "regular": 1, "lost": 1, "renewed": 1}
    # The history is the rule's answer day by day, each change on its day, the next one ahead included.
    assert list(
        StateChange.objects.filter(client=renewed).order_by("as_of").values_list("as_of", "previous_state", "state")
    ) == [
        (dt.date(2025, 11, 30), "potential", "new"),
        (dt.date(2026, 3, 1), "new", "lost"),  # 28 Feb - 3 months = 28 Nov: 30 Nov still counts until 1 Mar
        (dt.date(2026, 5, 1), "lost", "regular"),  # 30 Nov lies in (t-2P, t-P] = (1 Nov, 1 Feb]
        (dt.date(2026, 5, 30), "regular", "renewed"),  # 30 Nov is now on or before t-2P
        (dt.date(2026, 8, 1), "renewed", "lost"),  # ahead of as_of
    ]
    assert list(StateChange.objects.filter(client=lost).order_by("as_of").values_list("as_of", "until", "state")) == [
        (dt.date(2026, 2, 28), dt.date(2026, 5, 28), "new"),
        (dt.date(2026, 5, 28), dt.date(2026, 7, 1), "lost"),
        (dt.date(2026, 7, 1), dt.date(2026, 8, 28), "regular"),
        (dt.date(2026, 8, 28), dt.date(2026, 10, 1), "renewed"),
        (dt.date(2026, 10, 1), None, "lost"),
    ]
    assert not StateChange.objects.filter(client=potential).exists()
    rows = StateChange.objects.count()
    assert services.lifecycle_recompute(organization=org_a, as_of=as_of) == {**result, "changed": 0}
    assert StateChange.objects.count() == rows
    # A later day moves the stored states along the same history.
    later = services.lifecycle_recompute(organization=org_a, as_of=dt.date(2026, 8, 31))
    assert (later["changed"], later["history_rows"]) == (4, rows)
    assert dict(Client.objects.filter(organization=org_a).values_list("name", "lifecycle_state")) == {
        "potential": "potential",
        "new": "lost",
        "regular": "lost",
        "lost": "renewed",
        "renewed": "lost",
    }


def test_a_settlement_entered_by_hand_rewrites_the_history(org_a):
    today = timezone.localdate()
    first = lifecycle.months_before(today, 24)
    c = make_client(org_a, "c")
    settle(c, first)
    services.settlement_create(client=c, date=today, amount=Decimal("10"))
    history = list(
        StateChange.objects.filter(client=c).order_by("as_of").values_list("as_of", "previous_state", "state")
    )
    assert history == [
        (first, "potential", "new"),
        (lifecycle.leaves_window(first, 3), "new", "lost"),
        (today, "lost", "renewed"),
        (lifecycle.leaves_window(today, 3), "renewed", "lost"),
    ]
    c.refresh_from_db()
    assert c.lifecycle_state == "renewed"
    services.settlement_create(client=c, date=today, amount=Decimal("5"))
    assert StateChange.objects.filter(client=c).count() == len(history)


def test_a_back_dated_settlement_rewrites_the_history_after_its_day(org_a):
    """The issue's client: June, then November, then September entered late: regular on 30 September."""
    c = make_client(org_a, "c")
    for day in ("2026-06-10", "2026-11-28"):
        settle(c, day)
    assert selectors.client_states_on([c.pk], dt.date(2026, 9, 30)) == {c.pk: "lost"}
    services.settlement_create(client=c, date=dt.date(2026, 9, 1), amount=Decimal("10"))
    for day in (dt.date(2026, 9, 30), dt.date(2026, 10, 15)):
        assert selectors.client_states_on([c.pk], day) == {c.pk: "regular"}
        assert Client.objects.filter(selectors.state_conditions(day)["regular"], pk=c.pk).exists()
    assert list(StateChange.objects.filter(client=c).order_by("as_of").values_list("as_of", "state")) == [
        (dt.date(2026, 6, 10), "new"),
        (dt.date(2026, 9, 10), "regular"),
        (dt.date(2027, 2, 28), "lost"),
    ]


def test_a_deleted_settlement_rewrites_the_history_and_the_facts(org_a):
    c = make_client(org_a, "c")
    settle(c, "2026-01-15")
    mistake = settle(c, "2026-03-01", "40")
    # January and March (sales), April (regular: January leaves (t-P, t]), June (lost).
    assert ClientMonth.objects.filter(client=c).count() == 4
    services.settlement_delete(settlement=mistake)
    assert list(StateChange.objects.filter(client=c).order_by("as_of").values_list("as_of", "state")) == [
        (dt.date(2026, 1, 15), "new"),
        (dt.date(2026, 4, 15), "lost"),
    ]
    assert list(ClientMonth.objects.filter(client=c).order_by("month").values_list("month", "turnover")) == [
        (dt.date(2026, 1, 1), Decimal("100.00")),
        (dt.date(2026, 4, 1), Decimal("0.00")),
    ]
    assert AuditEntry.objects.filter(client=c, action="settlement.deleted").count() == 1


def test_a_deal_payment_is_not_deleted_but_refunded(org_a):
    c = make_client(org_a, "c")
    deal = services.deal_create(client=c, title="Deal", amount=Decimal("10"))
    payment = settle(c, "2026-01-15", deal=deal)
    with pytest.raises(ValidationError, match="record a refund on the deal"):
        services.settlement_delete(settlement=payment)
    assert Settlement.objects.filter(pk=payment.pk).exists()


def test_many_clients_are_rebuilt_in_slices_with_the_same_result(org_a, monkeypatch):
    clients = [make_client(org_a, f"c{n}") for n in range(5)]
    for n, c in enumerate(clients):
        Settlement.objects.create(organization=org_a, client=c, date=dt.date(2026, 1, 1 + n), amount=Decimal("10"))
    ids = [c.pk for c in clients]
    whole = services.client_histories_rebuild(organization=org_a, client_ids=ids, today=dt.date(2026, 2, 1))
    rows = sorted(StateChange.objects.values_list("client_id", "as_of", "state"))
    StateChange.objects.all().delete()
    ClientMonth.objects.all().delete()
    monkeypatch.setattr(lifecycle_services, "REBUILD_CLIENTS", 2)
    sliced = services.client_histories_rebuild(organization=org_a, client_ids=ids, today=dt.date(2026, 2, 1))
    assert sorted(StateChange.objects.values_list("client_id", "as_of", "state")) == rows
    assert sliced["states"] == whole["states"] == {**dict.fromkeys(lifecycle.STATES, 0), "new": 5}
    assert (sliced["history_rows"], sliced["month_rows"]) == (whole["history_rows"], whole["month_rows"]) == (10, 10)
    assert sliced["written"]["statechange"] == {"deleted": 0, "inserted": 10}
