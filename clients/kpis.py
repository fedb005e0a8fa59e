"""Manager KPIs per period from settlements and first contacts (pure: pandas, no Django).

The reference of the rules: the KPI page computes the same in SQL (`selectors.KPI_SQL`), and a
test checks both agree on random data.

Each settlement inside the period is one of: a *first sale* (on the client's very first
settlement day), a *first sale in a new line* (the first of its client and product, later than the
client's first day) or a *repeat sale* (its client and product were sold before). A client is
*lost* in the period when its state turns lost within it, *restored* when it turns renewed within
it (`lifecycle.state_history`, here in its numpy form).

*First contacts* are prospects: clients whose first logged contact falls in the period and who had
bought nothing before it; *converted* are those of them whose first purchase came on or after that
contact, by the end of the period. Conversion = converted / first contacts, so it stays within
0-100 %. *First sales* count every client whose very first purchase falls in the period, whether
or not a contact was logged before it, so they may outnumber the first contacts.
"""

import datetime

import numpy as np
import pandas as pd

from .lifecycle import LOST, RENEWED
from .lifecycle_bulk import state_histories

CLIENT_COLUMNS = [
    "first_sale_n",
    "first_sale_sum",
    "repeat_n",
    "repeat_sum",
    "new_line_n",
    "new_line_sum",
    "sales_sum",
    "buyers",
    "products",
    "lost",
    "restored",
    "potential",
    "first_contact",
    "converted",
]


def client_kpis(
    settlements: pd.DataFrame,
    first_contacts: pd.Series,
    client_ids,
    start: datetime.date,
    end: datetime.date,
    period: int,
    today: datetime.date | None = None,
) -> pd.DataFrame:
    """One row per client id with the KPI columns for the period [start, end].

    Lost and restored count the changes up to `today` only: a period still running has not lost
    the clients it may lose before its end.

    settlements: columns client_id, date (datetime.date), amount (float), product_id (NaN allowed).
    first_contacts: the first logged contact date per client_id.
    """
    table = pd.DataFrame(0, index=pd.Index(list(client_ids), name="client_id"), columns=CLIENT_COLUMNS, dtype=float)
    # datetime64 columns keep every group operation in compiled code.
    s = settlements.assign(date=pd.to_datetime(settlements["date"]))
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    s = s[s["date"] <= end_ts]
    s = s.assign(line=s["product_id"].fillna(-1)).sort_values(["client_id", "date"], kind="stable")
    first_day = s.groupby("client_id")["date"].transform("min")
    first_of_line = ~s.duplicated(["client_id", "line"])
    in_period = s["date"] >= start_ts
    kind = pd.Series("repeat", index=s.index)
    kind[first_of_line] = "new_line"
    kind[s["date"] == first_day] = "first_sale"
    now = s[in_period]
    for name in ("first_sale", "repeat", "new_line"):
        part = now[kind[in_period] == name].groupby("client_id")["amount"]
        table[f"{name}_n"] = table.index.map(part.size()).fillna(0)
        table[f"{name}_sum"] = table.index.map(part.sum()).fillna(0)
    # Several settlements on the first day are still one first sale.
    table["first_sale_n"] = (table["first_sale_n"] > 0).astype(float)
    table["sales_sum"] = table["first_sale_sum"] + table["repeat_sum"] + table["new_line_sum"]
    # A buying client: in some month of the period its sales do not net to zero (a month's refund of
    # the month's purchase leaves nothing bought; the monthly chart counts buyers the same way).
    monthly = now.groupby(["client_id", now["date"].dt.to_period("M")])["amount"].sum()
    table["buyers"] = table.index.isin(monthly[monthly != 0].index.get_level_values(0)).astype(float)
    # Products: the lines a buying client of the period has bought up to its end (its portfolio).
    lines = s.groupby("client_id")["product_id"].nunique()
    buying = table.index.isin(now["client_id"])
    table["products"] = np.where(buying, table.index.map(lines).fillna(0), 0)

    # Lost and restored: the state turned lost, or renewed, within the period (the history of the rule).
    history = state_histories(s["client_id"].to_numpy(), s["date"].to_numpy(), period)
    last = end if today is None else min(end, today)
    within = (history.day >= np.datetime64(start)) & (history.day <= np.datetime64(last))
    for column, state in (("lost", LOST), ("restored", RENEWED)):
        table[column] = table.index.isin(history.client[within & (history.state == state)]).astype(float)
    table["potential"] = (~table.index.isin(s["client_id"])).astype(float)

    # Conversion from first contact to first purchase counts prospects only: clients first contacted
    # in the period who had bought nothing before that contact. A client who already bought
    # (only its first *logged* contact falls in the period) is not a first contact.
    contacts = pd.to_datetime(first_contacts.reindex(table.index))
    first_sale_day = s.groupby("client_id")["date"].min().reindex(table.index)
    prospect = contacts.between(start_ts, end_ts) & ~(first_sale_day < contacts)
    table["first_contact"] = prospect.astype(float)
    table["converted"] = (prospect & (first_sale_day >= contacts)).astype(float)
    return table


def manager_totals(per_client: pd.DataFrame, managers: pd.Series) -> pd.DataFrame:
    """Sum the per-client table by manager (the Series maps client_id to a manager key)."""
    table = per_client.assign(manager=managers.reindex(per_client.index).fillna(""), clients=1.0)
    totals = table.groupby("manager")[[*CLIENT_COLUMNS, "clients"]].sum()
    totals["products_per_client"] = (totals["products"] / totals["buyers"]).where(totals["buyers"] > 0)
    totals["conversion"] = (100 * totals["converted"] / totals["first_contact"]).where(totals["first_contact"] > 0)
    return totals
