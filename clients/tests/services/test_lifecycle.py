"""Lifecycle states recomputed for every client, and a true history from the first settlement."""

import datetime as dt
from decimal import Decimal

import pytest

from clients import services
from clients.models import Client, StateChange
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
    assert result["changed"] == 4
    assert result["states"] == {"potential": 1, "new": 1, "regular": 1, "lost": 1, "renewed": 1}
    # The first computation rebuilds a true history from the settlements, never "potential → X" today.
    assert not StateChange.objects.filter(previous_state="potential").exists()
    assert list(
        StateChange.objects.filter(client=renewed).order_by("as_of").values_list("as_of", "previous_state", "state")
    ) == [
        (dt.date(2025, 11, 30), "", "new"),
        (dt.date(2026, 3, 31), "new", "lost"),
        (dt.date(2026, 5, 1), "lost", "regular"),
        (dt.date(2026, 5, 31), "regular", "renewed"),
    ]
    assert list(StateChange.objects.filter(client=lost).values_list("as_of", "previous_state", "state")) == [
        (dt.date(2026, 5, 31), "new", "lost"),
        (dt.date(2026, 2, 28), "", "new"),
    ]
    assert services.lifecycle_recompute(organization=org_a, as_of=as_of)["changed"] == 0
    assert not StateChange.objects.filter(client=potential).exists()
    # Later runs write only the changes, dated the day of the run.
    later = dt.date(2026, 8, 31)
    assert services.lifecycle_recompute(organization=org_a, as_of=later)["history_rows"] == 4
    assert set(StateChange.objects.filter(as_of=later).values_list("client__name", "previous_state", "state")) == {
        ("new", "new", "lost"),
        ("regular", "regular", "lost"),
        ("renewed", "renewed", "lost"),
        ("lost", "lost", "renewed"),
    }


def test_first_settlement_by_hand_starts_a_true_history(org_a):
    c = make_client(org_a, "c")
    settle(c, "2025-01-10")
    services.settlement_create(client=c, date=dt.date.today(), amount=Decimal("10"))
    history = list(
        StateChange.objects.filter(client=c).order_by("as_of").values_list("as_of", "previous_state", "state")
    )
    assert history[0] == (dt.date(2025, 1, 10), "", "new")
    assert history[1] == (dt.date(2025, 4, 30), "new", "lost")
    assert history[-1][1:] == ("lost", "renewed") and history[-1][0] == dt.date.today()
    services.settlement_create(client=c, date=dt.date.today(), amount=Decimal("5"))
    assert StateChange.objects.filter(client=c).count() == len(history)
