"""The month facts summed over whole months equal the KPI reference computed from the settlements."""

import datetime as dt
import random

import numpy as np
import pandas as pd

from clients import facts, kpis, lifecycle, lifecycle_bulk

D = dt.date.fromisoformat


def _settlements(rng: random.Random, clients: int) -> pd.DataFrame:
    rows = []
    for client in range(1, clients + 1):
        start = D("2024-01-01") + dt.timedelta(days=rng.randint(0, 600))
        for _ in range(rng.randint(1, 10)):
            day = start + dt.timedelta(days=rng.choice([rng.randint(0, 30), rng.randint(0, 500)]))
            product = rng.choice([float("nan"), 1.0, 2.0, 3.0])
            rows.append((client, day, rng.choice([-5, 10, 250, 1999]), product))
    return pd.DataFrame(rows, columns=["client_id", "date", "amount", "product_id"])


def test_month_facts_summed_over_a_period_equal_the_reference():
    rng = random.Random(5)
    for period in (1, 3):
        s = _settlements(rng, 300)
        history = lifecycle_bulk.state_histories(s["client_id"].to_numpy(), s["date"].to_numpy(), period)
        months = facts.month_facts(s, history)
        for start, end in ((D("2024-07-01"), D("2024-09-30")), (D("2025-01-01"), D("2025-12-31"))):
            reference = kpis.client_kpis(s, pd.Series(dtype=object), sorted(set(s["client_id"])), start, end, period)
            rows = months[(months["month"] >= np.datetime64(start)) & (months["month"] <= np.datetime64(end))]
            rows = rows.assign(bought_lines=rows["lines_total"].where(rows["settlements"] > 0))
            got = rows.groupby("client_id").agg(
                first_sale_n=("first_sale_n", "sum"),
                first_sale_sum=("first_sale_sum", "sum"),
                repeat_n=("repeat_n", "sum"),
                repeat_sum=("repeat_sum", "sum"),
                new_line_n=("new_line_n", "sum"),
                new_line_sum=("new_line_sum", "sum"),
                sales_sum=("turnover", "sum"),
                products=("bought_lines", "max"),
                lost=("lost_on", lambda x: int(x.notna().any())),
                restored=("restored_on", lambda x: int(x.notna().any())),
            )
            got = got.reindex(reference.index).fillna(0)
            columns = [*got.columns]
            pd.testing.assert_frame_equal(got[columns].astype(float), reference[columns], check_names=False)


def test_month_facts_of_one_client_by_hand():
    s = pd.DataFrame(
        [
            (1, D("2026-01-15"), 100, 1.0),
            (1, D("2026-01-15"), 50, 2.0),  # the first day: both are the first sale
            (1, D("2026-01-20"), 30, 1.0),  # repeat of line 1
            (1, D("2026-02-03"), 70, 3.0),  # first sale in a new line
            (1, D("2026-02-10"), -20, float("nan")),  # a refund without product: new line "none", no product
        ],
        columns=["client_id", "date", "amount", "product_id"],
    )
    history = lifecycle_bulk.state_histories(s["client_id"].to_numpy(), s["date"].to_numpy(), 3)
    months = facts.month_facts(s, history)
    assert months.drop(columns=["client_id"]).to_dict("records") == [
        {
            "month": pd.Timestamp("2026-01-01"),
            "turnover": 180,
            "settlements": 3,
            "days": 2,
            "first_sale_n": 1,
            "first_sale_sum": 150.0,
            "repeat_n": 1,
            "repeat_sum": 30.0,
            "new_line_n": 0,
            "new_line_sum": 0.0,
            "lines_total": 2,
            "state_end": lifecycle.NEW,
            "lost_on": pd.NaT,
            "restored_on": pd.NaT,
        },
        {
            "month": pd.Timestamp("2026-02-01"),
            "turnover": 50,
            "settlements": 2,
            "days": 2,
            "first_sale_n": 0,
            "first_sale_sum": 0.0,
            "repeat_n": 0,
            "repeat_sum": 0.0,
            "new_line_n": 2,
            "new_line_sum": 50.0,
            "lines_total": 3,
            "state_end": lifecycle.NEW,
            "lost_on": pd.NaT,
            "restored_on": pd.NaT,
        },
        {  # a month without settlements: the state changes (15 January + 3 months, 10 February's + 3)
            "month": pd.Timestamp("2026-04-01"),
            "turnover": 0,
            "settlements": 0,
            "days": 0,
            "first_sale_n": 0,
            "first_sale_sum": 0.0,
            "repeat_n": 0,
            "repeat_sum": 0.0,
            "new_line_n": 0,
            "new_line_sum": 0.0,
            "lines_total": 3,
            "state_end": lifecycle.REGULAR,
            "lost_on": pd.NaT,
            "restored_on": pd.NaT,
        },
        {
            "month": pd.Timestamp("2026-05-01"),
            "turnover": 0,
            "settlements": 0,
            "days": 0,
            "first_sale_n": 0,
            "first_sale_sum": 0.0,
            "repeat_n": 0,
            "repeat_sum": 0.0,
            "new_line_n": 0,
            "new_line_sum": 0.0,
            "lines_total": 3,
            "state_end": lifecycle.LOST,
            "lost_on": pd.Timestamp("2026-05-10"),
            "restored_on": pd.NaT,
        },
    ]


def test_no_settlements_no_facts():
    empty = pd.DataFrame({"client_id": [], "date": pd.to_datetime([]), "amount": [], "product_id": []})
    history = lifecycle_bulk.state_histories(np.array([], dtype=np.int64), np.array([], dtype="datetime64[D]"), 3)
    months = facts.month_facts(empty, history)
    assert months.empty and list(months.columns) == facts.COLUMNS
