"""Manager KPIs on plain data (no database)."""

import datetime as dt

import pandas as pd
import pytest

from clients.kpis import client_kpis, manager_totals
from clients.lifecycle import lifecycle_state

D = dt.date.fromisoformat
START, END = D("2026-01-01"), D("2026-03-31")


@pytest.fixture
def table():
    rows = [
        (1, "2026-02-10", 100.0, 1),
        (1, "2026-02-10", 50.0, 2),  # first sale, two products the same day
        (2, "2025-11-05", 10.0, 1),
        (2, "2026-01-15", 20.0, 1),
        (2, "2026-02-15", 30.0, 2),  # repeat, new line
        (3, "2025-11-15", 70.0, 1),  # lost during the period
        (4, "2025-06-01", 5.0, 3),
        (4, "2026-02-01", 6.0, 3),  # back after a pause: restored
        (6, "2026-04-02", 999.0, 1),  # after the period: ignored
    ]
    settlements = pd.DataFrame(
        [(c, D(d), a, p) for c, d, a, p in rows], columns=["client_id", "date", "amount", "product_id"]
    )
    contacts = pd.Series({1: D("2026-01-20"), 5: D("2026-01-05"), 2: D("2025-09-01")}, dtype=object)
    return client_kpis(settlements, contacts, [1, 2, 3, 4, 5, 6], START, END, period=3)


def test_first_sale_counts_once_with_the_whole_first_day(table):
    assert table.loc[1, ["first_sale_n", "first_sale_sum", "repeat_n", "new_line_n", "products"]].tolist() == [
        1,
        150,
        0,
        0,
        2,
    ]


def test_repeat_and_new_line(table):
    assert table.loc[
        2, ["first_sale_n", "repeat_n", "repeat_sum", "new_line_n", "new_line_sum", "sales_sum"]
    ].tolist() == [0, 1, 20, 1, 30, 50]


def test_lost_and_restored(table):
    assert table["lost"].to_dict() == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0, 6: 0}
    assert table["restored"].to_dict() == {1: 0, 2: 0, 3: 0, 4: 1, 5: 0, 6: 0}


def test_potential_and_conversion(table):
    assert table["potential"].to_dict() == {1: 0, 2: 0, 3: 0, 4: 0, 5: 1, 6: 1}
    assert table["first_contact"].to_dict() == {1: 1, 2: 0, 3: 0, 4: 0, 5: 1, 6: 0}
    assert table["converted"].to_dict() == {1: 1, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0}


def test_manager_totals(table):
    totals = manager_totals(table, pd.Series({1: "ann", 2: "ann", 3: "bob", 4: "bob", 5: "ann", 6: "bob"}))
    ann = totals.loc["ann"]
    assert (ann["clients"], ann["first_sale_sum"], ann["conversion"], ann["buyers"], ann["products_per_client"]) == (
        3,
        150,
        50.0,
        2,
        2.0,
    )
    assert (totals.loc["bob", "lost"], totals.loc["bob", "restored"]) == (1, 1)
    assert pd.isna(totals.loc["bob", "conversion"])


def test_a_pause_shorter_than_two_periods_is_lost_then_regular_not_restored():
    """January and mid-May with P = 3: lost on 1 April, regular on 15 May (January lies in (t-2P, t-P])."""
    frame = pd.DataFrame(
        [(1, D("2026-01-01"), 1.0, 1), (1, D("2026-05-15"), 1.0, 1)],
        columns=["client_id", "date", "amount", "product_id"],
    )
    table = client_kpis(frame, pd.Series(dtype=object), [1], D("2026-04-01"), D("2026-06-30"), period=3)
    assert table.loc[1, ["lost", "restored"]].tolist() == [1, 0]
    assert lifecycle_state(frame["date"], D("2026-05-15"), 3) == "regular"


def test_lost_and_restored_follow_the_state_changes_of_the_period():
    frame = pd.DataFrame(
        [
            # 31 Oct stays within (t-P, t] until 31 Jan, the day of the next purchase: never lost.
            (1, D("2025-10-31"), 1.0, 1),
            (1, D("2026-01-31"), 1.0, 1),
            # Lost on 30 Jan; on 31 Jan 30 Oct lies in (t-2P, t-P]: regular again, not renewed.
            (2, D("2025-10-30"), 1.0, 1),
            (2, D("2026-01-31"), 1.0, 1),
            # Lost since 1 Sep; back on 31 Jan after a pause of two periods: renewed, restored.
            (3, D("2025-06-01"), 1.0, 1),
            (3, D("2026-01-31"), 1.0, 1),
        ],
        columns=["client_id", "date", "amount", "product_id"],
    )
    table = client_kpis(frame, pd.Series(dtype=object), [1, 2, 3], START, END, period=3)
    assert table["lost"].to_dict() == {1: 0, 2: 1, 3: 0}
    assert table["restored"].to_dict() == {1: 0, 2: 0, 3: 1}


def test_no_settlements_at_all():
    empty = pd.DataFrame([], columns=["client_id", "date", "amount", "product_id"])
    table = client_kpis(empty, pd.Series({7: D("2026-02-01")}, dtype=object), [7], START, END, period=3)
    assert table.loc[7, ["potential", "first_contact", "converted", "sales_sum", "lost"]].tolist() == [1, 1, 0, 0, 0]


def test_a_client_who_bought_before_its_first_logged_contact_is_not_a_first_contact():
    frame = pd.DataFrame(
        [
            (1, D("2025-06-01"), 10.0, 1),
            (1, D("2026-02-01"), 10.0, 1),  # a buyer, contacted in January
            (2, D("2026-02-01"), 10.0, 1),  # a prospect contacted in January who then bought
            (3, D("2026-01-10"), 10.0, 1),
        ],  # bought first, contacted later the same period
        columns=["client_id", "date", "amount", "product_id"],
    )
    contacts = pd.Series({1: D("2026-01-15"), 2: D("2026-01-15"), 3: D("2026-01-20"), 4: D("2026-03-01")}, dtype=object)
    table = client_kpis(frame, contacts, [1, 2, 3, 4], START, END, period=3)
    assert table["first_contact"].to_dict() == {1: 0, 2: 1, 3: 0, 4: 1}
    assert table["converted"].to_dict() == {1: 0, 2: 1, 3: 0, 4: 0}
    assert table["first_sale_n"].to_dict() == {1: 0, 2: 1, 3: 1, 4: 0}
    totals = manager_totals(table, pd.Series({1: "ann", 2: "ann", 3: "ann", 4: "ann"}))
    assert (totals.loc["ann", "first_contact"], totals.loc["ann", "converted"], totals.loc["ann", "conversion"]) == (
        2,
        1,
        50.0,
    )
