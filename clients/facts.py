"""Per-month facts of clients from their settlements and lifecycle histories (pure: pandas, no Django).

One row per client and month in which the client has settlements or changes state. Each
settlement is one of (the KPI rules of DOMAIN section 3, as in `kpis.client_kpis`, the reference):
a *first sale* (on the client's very first settlement day), a *first sale in a new line* (the
first of its client and product, later than the first day) or a *repeat sale*.
`lines_total` is the product lines (products, not "no product") the client has bought up to the
month's end; `state_end` its lifecycle state at the month's end; `lost_on` and `restored_on` the
day within the month its state turned lost, or renewed (the last such day).
"""

import numpy as np
import pandas as pd

from .lifecycle import LOST, POTENTIAL, RENEWED
from .lifecycle_bulk import Histories

SUMS = ["turnover", "settlements", "days", "first_sale_n", "first_sale_sum", "repeat_n", "repeat_sum"]
SUMS += ["new_line_n", "new_line_sum"]
COLUMNS = ["client_id", "month", *SUMS, "lines_total", "state_end", "lost_on", "restored_on"]


def month_facts(settlements: pd.DataFrame, history: Histories) -> pd.DataFrame:
    """The facts of the clients of `settlements` (client_id, date, amount, product_id with NaN; in
    the order they were entered), with their `history` (`lifecycle_bulk.state_histories` of the same
    settlements). Months are datetime64[D] on the 1st."""
    s = settlements.assign(
        date=pd.to_datetime(settlements["date"]).to_numpy().astype("datetime64[D]"),
        line=settlements["product_id"].fillna(-1),
    ).sort_values(["client_id", "date"], kind="stable")
    s["month"] = s["date"].to_numpy().astype("datetime64[M]").astype("datetime64[D]")
    first_day = s.groupby("client_id")["date"].transform("min")
    first_of_line = ~s.duplicated(["client_id", "line"])
    first = (s["date"] == first_day).to_numpy()
    new_line = first_of_line.to_numpy() & ~first
    repeat = ~first & ~new_line
    amount = s["amount"].to_numpy(dtype=float)
    s = s.assign(
        first_sale_n=first.astype(np.int64),
        first_sale_sum=np.where(first, amount, 0.0),
        new_line_n=new_line.astype(np.int64),
        new_line_sum=np.where(new_line, amount, 0.0),
        repeat_n=repeat.astype(np.int64),
        repeat_sum=np.where(repeat, amount, 0.0),
        added_line=(first_of_line & (s["line"] != -1)).astype(np.int64),
    )
    groups = s.groupby(["client_id", "month"], sort=True)
    sales = groups.agg(
        turnover=("amount", "sum"),
        settlements=("amount", "size"),
        days=("date", "nunique"),
        first_sale_n=("first_sale_n", "max"),  # several settlements on the first day are one first sale
        first_sale_sum=("first_sale_sum", "sum"),
        repeat_n=("repeat_n", "sum"),
        repeat_sum=("repeat_sum", "sum"),
        new_line_n=("new_line_n", "sum"),
        new_line_sum=("new_line_sum", "sum"),
        added_lines=("added_line", "sum"),
    )
    changes = pd.DataFrame(
        {
            "client_id": history.client,
            "day": history.day,
            "month": history.day.astype("datetime64[M]").astype("datetime64[D]"),
            "state": history.state,
        }
    )
    by_month = changes.groupby(["client_id", "month"], sort=True)
    moves = pd.DataFrame(
        {
            "state_change": by_month["state"].last(),
            "lost_on": changes[changes["state"] == LOST].groupby(["client_id", "month"])["day"].max(),
            "restored_on": changes[changes["state"] == RENEWED].groupby(["client_id", "month"])["day"].max(),
        }
    )
    facts = sales.join(moves, how="outer").sort_index()
    facts[SUMS] = facts[SUMS].fillna(0)
    clients = facts.index.get_level_values("client_id")
    facts["lines_total"] = facts["added_lines"].fillna(0).groupby(clients).cumsum().astype(np.int64)
    # The state at a month's end: the last change up to that month (a month with sales only keeps it).
    facts["state_end"] = facts["state_change"].groupby(clients).ffill().fillna(POTENTIAL)
    facts = facts.reset_index()
    for column in ("settlements", "days", "first_sale_n", "repeat_n", "new_line_n"):
        facts[column] = facts[column].astype(np.int64)
    return facts[COLUMNS]
