"""The lifecycle rules, alone: every state and every boundary."""

import datetime as dt
import random

import pytest

from clients.lifecycle import (
    LOST,
    NEW,
    POTENTIAL,
    REGULAR,
    RENEWED,
    leaves_window,
    lifecycle_state,
    months_before,
    state_history,
    state_on,
)

D = dt.date.fromisoformat

T = dt.date(2026, 5, 31)  # t-3 months = 2026-02-28, t-6 months = 2025-11-30


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-05-31", 3, "2026-02-28"),
        ("2024-05-31", 3, "2024-02-29"),
        ("2026-05-31", 6, "2025-11-30"),
        ("2026-03-15", 3, "2025-12-15"),
        ("2026-01-31", 1, "2025-12-31"),
        ("2026-03-31", 1, "2026-02-28"),
        ("2026-07-31", 12, "2025-07-31"),
    ],
)
def test_months_before_clamps_to_the_last_day(day, months, expected):
    assert months_before(d(day), months) == d(expected)


def test_no_settlements_is_potential():
    assert lifecycle_state([], T) == POTENTIAL


def test_only_future_settlements_is_potential():
    assert lifecycle_state([d("2026-06-01"), d("2027-01-01")], T) == POTENTIAL


def test_single_settlement_on_the_as_of_day_is_new():
    assert lifecycle_state([T], T) == NEW


def test_single_settlement_just_after_t_minus_p_is_new():
    assert lifecycle_state([d("2026-03-01")], T) == NEW


def test_single_settlement_exactly_at_t_minus_p_is_lost():
    # (t-P, t] is open on the left: the day t-P itself belongs to the previous period.
    assert lifecycle_state([d("2026-02-28")], T) == LOST


def test_same_day_settlements_count_as_one_first_purchase():
    assert lifecycle_state([d("2026-04-10"), d("2026-04-10"), d("2026-04-10")], T) == NEW


def test_settlements_in_both_periods_is_regular():
    assert lifecycle_state([d("2026-04-10"), d("2026-01-10")], T) == REGULAR


def test_previous_period_starts_just_after_t_minus_2p():
    assert lifecycle_state([d("2026-04-10"), d("2025-12-01")], T) == REGULAR


def test_exactly_t_minus_2p_counts_as_older_so_renewed():
    assert lifecycle_state([d("2026-04-10"), d("2025-11-30")], T) == RENEWED


def test_exactly_t_minus_p_counts_as_previous_so_regular():
    assert lifecycle_state([d("2026-04-10"), d("2026-02-28")], T) == REGULAR


def test_gap_then_return_is_renewed():
    assert lifecycle_state([d("2025-06-01"), d("2025-07-01"), d("2026-05-01")], T) == RENEWED


def test_long_history_with_recent_and_previous_is_regular():
    assert lifecycle_state([d("2024-01-01"), d("2025-12-20"), d("2026-05-30")], T) == REGULAR


def test_old_settlements_only_is_lost():
    assert lifecycle_state([d("2025-01-01"), d("2025-12-31")], T) == LOST


def test_future_settlements_are_ignored():
    # The purchase after t would make it regular; without it the client is lost.
    assert lifecycle_state([d("2026-01-10"), d("2026-06-15")], T) == LOST


def test_longer_period():
    assert lifecycle_state([d("2025-12-01")], T, period_months=6) == NEW
    assert lifecycle_state([d("2025-11-30")], T, period_months=6) == LOST


def test_period_must_be_positive():
    with pytest.raises(ValueError):
        lifecycle_state([T], T, period_months=0)


def test_state_history_dates_each_change_on_the_day_it_happens():
    dates = [D("2025-02-18"), D("2025-03-10"), D("2025-06-20")]
    assert state_history(dates, 3) == [
        (D("2025-02-18"), "potential", "new"),
        (D("2025-05-18"), "new", "regular"),  # 18 Feb leaves (t-P, t] for (t-2P, t-P]; 10 Mar is recent
        (D("2025-06-10"), "regular", "lost"),  # 10 Mar leaves (t-P, t]: nothing recent
        (D("2025-06-20"), "lost", "regular"),  # February and March lie in (t-2P, t-P]
        (D("2025-09-10"), "regular", "renewed"),  # (t-2P, t-P] empties while 18 Feb is older: the rule's letter
        (D("2025-09-20"), "renewed", "lost"),  # P months after the last settlement, not at a month end
    ]


def test_a_single_january_purchase_is_lost_on_the_same_day_of_april():
    assert state_history([D("2026-01-15")], 3) == [
        (D("2026-01-15"), "potential", "new"),
        (D("2026-04-15"), "new", "lost"),
    ]


def test_state_history_of_a_return_after_a_pause():
    dates = [D("2025-01-10"), D("2026-03-05")]
    assert state_history(dates, 3) == [
        (D("2025-01-10"), "potential", "new"),
        (D("2025-04-10"), "new", "lost"),
        (D("2026-03-05"), "lost", "renewed"),
        (D("2026-06-05"), "renewed", "lost"),
    ]


def test_a_back_dated_purchase_keeps_the_client_regular():
    """The issue's client: June, September and November with P = 3 is regular on 30 September."""
    dates = [D("2026-06-10"), D("2026-09-01"), D("2026-11-28")]
    history = state_history(dates, 3)
    assert history == [
        (D("2026-06-10"), "potential", "new"),
        (D("2026-09-10"), "new", "regular"),  # 10 June leaves (t-P, t]; 1 September is recent
        (D("2027-02-28"), "regular", "lost"),
    ]
    for day in (D("2026-09-30"), D("2026-10-15")):
        assert state_on(history, day) == lifecycle_state(dates, day, 3)


def test_no_settlements_no_history():
    assert state_history([], 3) == []
    assert state_on([], D("2026-01-31")) == POTENTIAL


def test_leaves_window_on_short_months():
    assert leaves_window(D("2025-11-30"), 3) == D("2026-03-01")  # 28 Feb is too early: Feb - 3 = 28 Nov
    assert leaves_window(D("2026-01-31"), 1) == D("2026-03-01")
    assert leaves_window(D("2026-03-15"), 3) == D("2026-06-15")


def test_state_history_agrees_with_the_rule_on_every_day():
    rng = random.Random(7)
    for _ in range(300):
        period = rng.randint(1, 4)
        dates = [D("2024-01-01") + dt.timedelta(days=rng.randint(0, 500)) for _ in range(rng.randint(1, 6))]
        history = state_history(dates, period)
        assert history[0][1] == POTENTIAL
        assert [h[1] for h in history[1:]] == [h[2] for h in history[:-1]]
        day = D("2023-12-25")
        while day <= D("2025-10-31"):
            assert state_on(history, day) == lifecycle_state(dates, day, period), (dates, period, day)
            day += dt.timedelta(days=1)
