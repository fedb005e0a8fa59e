"""The numpy form of the lifecycle rule equals the pure one, client by client, on random cases."""

import datetime as dt
import random

import numpy as np

from clients import lifecycle, lifecycle_bulk


def _random_clients(rng: random.Random, count: int) -> dict[int, list[dt.date]]:
    clients = {}
    for pk in range(1, count + 1):
        start = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
        clients[pk * rng.randint(1, 3)] = [
            start + dt.timedelta(days=rng.choice([rng.randint(0, 40), rng.randint(0, 700)]))
            for _ in range(rng.randint(1, 12))
        ]
    return clients


def test_bulk_histories_equal_the_pure_rule_on_thousands_of_random_clients():
    rng = random.Random(12)
    for period in (1, 2, 3, 6):
        clients = _random_clients(rng, 1500)
        ids = np.array([pk for pk, days in clients.items() for _ in days], dtype=np.int64)
        days = np.array([day for days in clients.values() for day in days], dtype="datetime64[D]")
        bulk = lifecycle_bulk.state_histories(ids, days, period)
        got: dict[int, list] = {}
        for pk, day, previous, state in zip(bulk.client.tolist(), bulk.day.tolist(), bulk.previous, bulk.state):
            got.setdefault(pk, []).append((day, previous, state))
        assert got == {pk: lifecycle.state_history(days, period) for pk, days in clients.items()}


def test_months_before_and_leaves_window_equal_the_pure_ones_on_every_day_of_four_years():
    days = np.arange(np.datetime64("2023-01-01"), np.datetime64("2027-01-01"))
    for months in (-1, 1, 3, 6):
        expected = [lifecycle.months_before(day, months) for day in days.tolist()]
        assert lifecycle_bulk.months_before(days, months).tolist() == expected
    for months in (1, 3, 6):
        expected = [lifecycle.leaves_window(day, months) for day in days.tolist()]
        assert lifecycle_bulk.leaves_window(days, months).tolist() == expected


def test_no_settlements_no_changes():
    bulk = lifecycle_bulk.state_histories(np.array([], dtype=np.int64), np.array([], dtype="datetime64[D]"), 3)
    assert len(bulk.client) == len(bulk.day) == len(bulk.state) == 0
