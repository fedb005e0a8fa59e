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
    settlements). Months are datetime64[D] on the 1st.

    Plain numpy over arrays sorted by client and day (groups are runs, sums are `reduceat`): one
    client's facts in a millisecond, a hundred thousand clients' in seconds.
    """
    client = settlements["client_id"].to_numpy(dtype=np.int64)
    day = pd.to_datetime(settlements["date"]).to_numpy().astype("datetime64[D]")
    order = np.lexsort((day, client))  # stable: a day's settlements stay in the order entered
    client, day = client[order], day[order]
    amount = settlements["amount"].to_numpy(dtype=float)[order]
    product = settlements["product_id"].to_numpy(dtype=float)[order]
    line = np.where(np.isnan(product), -1, product).astype(np.int64)
    n = len(client)
    new_client = _run_starts(client)
    first = day == np.repeat(day[new_client], np.diff(np.append(np.flatnonzero(new_client), n)))
    by_line = np.lexsort((np.arange(n), line, client))
    first_of_line = np.zeros(n, dtype=bool)
    first_of_line[by_line[_run_starts(client[by_line], line[by_line])]] = True
    new_line = first_of_line & ~first
    repeat = ~first & ~new_line
    month = day.astype("datetime64[M]").astype("datetime64[D]")
    starts = np.flatnonzero(_run_starts(client, month))
    new_day = _run_starts(client, day)

    def total(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, starts) if n else values[:0]

    sales_keys = _keys(client[starts], month[starts])
    sales = {
        "turnover": total(amount),
        "settlements": np.diff(np.append(starts, n)),
        "days": total(new_day.astype(np.int64)),
        "first_sale_n": (total(first.astype(np.int64)) > 0).astype(np.int64),  # one first sale per client
        "first_sale_sum": total(np.where(first, amount, 0.0)),
        "repeat_n": total(repeat.astype(np.int64)),
        "repeat_sum": total(np.where(repeat, amount, 0.0)),
        "new_line_n": total(new_line.astype(np.int64)),
        "new_line_sum": total(np.where(new_line, amount, 0.0)),
        "added_lines": total((first_of_line & (line != -1)).astype(np.int64)),
    }
    change_month = history.day.astype("datetime64[M]").astype("datetime64[D]")
    change_keys = _keys(history.client, change_month)
    keys = np.union1d(sales_keys, change_keys)
    at_sales, at_change = np.searchsorted(keys, sales_keys), np.searchsorted(keys, change_keys)
    facts = {"client_id": keys // _BAND, "month": (keys % _BAND).astype("datetime64[D]")}
    for name, values in sales.items():
        column = np.zeros(len(keys), dtype=values.dtype)
        column[at_sales] = values
        facts[name] = column
    # Within a month the history's changes are in day order: the last one written stays.
    state = np.full(len(keys), "", dtype=object)
    state[at_change] = history.state
    for name, wanted in (("lost_on", LOST), ("restored_on", RENEWED)):
        column = np.full(len(keys), np.datetime64("NaT"), dtype="datetime64[D]")
        chosen = history.state == wanted
        column[at_change[chosen]] = history.day[chosen]
        facts[name] = column
    # Product lines bought so far: the running count of lines added, restarted for each client.
    added = facts.pop("added_lines")
    running = np.cumsum(added)
    first_rows = np.flatnonzero(_run_starts(facts["client_id"]))
    before = (running - added)[first_rows]
    facts["lines_total"] = running - np.repeat(before, np.diff(np.append(first_rows, len(keys))))
    # The state at a month's end: the last change up to it (a month with sales only keeps the state).
    rows = np.arange(len(keys))
    last_change = np.maximum.accumulate(np.where(state != "", rows, -1)) if len(keys) else rows
    known = (last_change >= 0) & (facts["client_id"][np.maximum(last_change, 0)] == facts["client_id"])
    facts["state_end"] = np.where(known, state[np.maximum(last_change, 0)], POTENTIAL)
    return pd.DataFrame(facts)[COLUMNS]


_BAND = 1 << 23  # client * _BAND + day number: one sortable int64 per client and month


def _keys(client: np.ndarray, month: np.ndarray) -> np.ndarray:
    return client.astype(np.int64) * _BAND + month.astype(np.int64)


def _run_starts(*columns: np.ndarray) -> np.ndarray:
    """True where a row starts a run of equal values in all the (sorted) columns."""
    n = len(columns[0])
    starts = np.zeros(n, dtype=bool)
    if n:
        starts[0] = True
        for column in columns:
            starts[1:] |= column[1:] != column[:-1]
    return starts
