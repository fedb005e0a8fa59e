"""The lifecycle rules, alone: every state and every boundary."""

import datetime as dt
import random

import pytest

from clients.lifecycle import LOST, NEW, POTENTIAL, REGULAR, RENEWED, lifecycle_state, months_before, state_history

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


def test_state_history_is_rebuilt_from_the_settlement_dates():
    dates = [D("2025-02-18"), D("2025-03-10"), D("2025-06-20")]
    assert state_history(dates, D("2026-11-24"), 3) == [
        (D("2025-02-18"), "", "new"),
        (D("2025-05-31"), "new", "regular"),
        (D("2025-09-30"), "regular", "lost"),
    ]


def test_state_history_of_a_return_after_a_pause():
    dates = [D("2025-01-10"), D("2026-03-05")]
    assert state_history(dates, D("2026-05-31"), 3) == [
        (D("2025-01-10"), "", "new"),
        (D("2025-04-30"), "new", "lost"),
        (D("2026-03-05"), "lost", "renewed"),
    ]


def test_state_history_ignores_later_settlements_and_needs_one():
    assert state_history([], D("2026-01-31"), 3) == []
    assert state_history([D("2026-02-01")], D("2026-01-31"), 3) == []


def test_state_history_agrees_with_the_rules_on_every_day():
    rng = random.Random(7)
    for _ in range(40):
        dates = [D("2024-01-01") + dt.timedelta(days=rng.randint(0, 900)) for _ in range(rng.randint(1, 6))]
        as_of = D("2026-06-30")
        history = state_history(dates, as_of, 2)
        assert history[-1][2] == lifecycle_state(dates, as_of, 2)
        assert all(prev != new for _day, prev, new in history) and history[0][1] == ""
        assert [h[1] for h in history[1:]] == [h[2] for h in history[:-1]]
        for day, _prev, state in history:
            assert lifecycle_state(dates, day, 2) == state
