"""The manager KPI totals of a period from the KPI cube: a few hundred cells instead of a row per client.

The same figures as the manager rows of `kpis.kpi_tables` (one row per client, the reference: a
test checks both agree on random data), for the clients a viewer sees unfiltered.
"""

import datetime
from dataclasses import replace

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from crm_portal.models import Role
from crm_portal.tenancy import Viewer

from .. import lifecycle
from ..services.kpi_cube import kpi_cube_sync
from .kpis import KPI_CACHE_SECONDS, KPI_SUMS, _kpi_ratios, channel_table, complaint_kinds_table, kpi_cache_key
from .lists import ClientFilter
from .visibility import clients_visible_to

_SALES = ["first_sale_n", "first_sale_sum", "repeat_n", "repeat_sum", "new_line_n", "new_line_sum"]

# The clients per manager, and how many of them the cube still files under another manager or channel
# (all of the organization's: a client given away is no longer among its former manager's own).
CLIENTS_SQL = """
SELECT x.manager_key, u.username, x.n, x.moved FROM (
    SELECT COALESCE(manager_id, 0) AS manager_key, COUNT(*) AS n,
           SUM(CASE WHEN kpi_manager_key <> COALESCE(manager_id, 0) OR kpi_channel <> channel THEN 1 ELSE 0 END)
               AS moved
    FROM clients_client WHERE organization_id = %(org)s GROUP BY COALESCE(manager_id, 0)
) x LEFT JOIN {users} u ON u.id = x.manager_key
"""

# A client counts once in a period through `since` (see `KpiCube`): bought and lines in the first,
# and the last, of their months within it; lost and restored at their first change within it.
CUBE_SQL = """
SELECT manager_key, channel,
       {sales},
       CAST(SUM(CASE WHEN kind = 'sales' AND month >= %(start)s THEN turnover ELSE 0 END) AS FLOAT) AS sales_sum,
       CAST(SUM(CASE WHEN kind = 'sales' THEN first_sale_n ELSE 0 END) AS FLOAT) AS started,
       CAST(SUM(CASE WHEN kind = 'bought' AND since < %(start)s THEN n ELSE 0 END) AS FLOAT) AS buyers,
       CAST(SUM(CASE WHEN kind = 'lines' AND since > %(end)s THEN n ELSE 0 END) AS FLOAT) AS products,
       CAST(SUM(CASE WHEN kind = 'lost' AND month <= %(last)s AND since < %(start)s THEN n ELSE 0 END) AS FLOAT)
           AS lost,
       CAST(SUM(CASE WHEN kind = 'restored' AND month <= %(last)s AND since < %(start)s THEN n ELSE 0 END) AS FLOAT)
           AS restored
FROM clients_kpicube
WHERE organization_id = %(org)s {only}
  AND ((kind = 'sales' AND month <= %(end)s) OR (kind IN ('bought', 'lines', 'lost', 'restored')
       AND month BETWEEN %(start)s AND %(end)s))
GROUP BY manager_key, channel
"""

# Contacts of the period, and the prospects among the contacted: no contact before the period and
# no purchase before the first contact (its first settlement day: the change from potential).
CONTACTS_SQL = """
WITH pc AS (
    SELECT client_id, MIN(date) AS first_day, COUNT(*) AS n FROM clients_contact
    WHERE organization_id = %(org)s AND date BETWEEN %(start)s AND %(end)s GROUP BY client_id
),
per_client AS (
    SELECT COALESCE(c.manager_id, 0) AS manager_key, pc.n, pc.first_day, h.as_of AS bought_on,
           CASE WHEN NOT EXISTS (SELECT 1 FROM clients_contact e WHERE e.client_id = pc.client_id
                                 AND e.date < %(start)s)
                 AND (h.as_of IS NULL OR h.as_of >= pc.first_day) THEN 1 ELSE 0 END AS prospect
    FROM pc JOIN clients_client c ON c.id = pc.client_id
    LEFT JOIN clients_statechange h ON h.client_id = pc.client_id AND h.previous_state = 'potential'
    WHERE 1 = 1 {only}
)
SELECT manager_key, CAST(SUM(n) AS FLOAT), CAST(SUM(prospect) AS FLOAT),
       CAST(SUM(CASE WHEN prospect = 1 AND bought_on <= %(end)s THEN 1 ELSE 0 END) AS FLOAT)
FROM per_client GROUP BY manager_key
"""


def served_by_cube(wanted: ClientFilter | None) -> bool:
    """Whether the clients of `wanted` are all the viewer sees, or one manager's of them."""
    return wanted is None or replace(wanted, manager=None, sort="name") == ClientFilter()


def kpi_totals_cached(
    viewer: Viewer,
    *,
    start: datetime.date,
    end: datetime.date,
    manager: int | None = None,
    version: tuple | None = None,
) -> dict:
    """`kpi_totals`, cached like the KPI tables (`kpis.kpi_cache_key`) until the data changes."""
    return cache.get_or_set(
        kpi_cache_key(viewer, "totals", start, end, manager, version=version),
        lambda: kpi_totals(viewer, start=start, end=end, manager=manager),
        KPI_CACHE_SECONDS,
    )


def kpi_totals(viewer: Viewer, *, start: datetime.date, end: datetime.date, manager: int | None = None) -> dict:
    """The manager and channel KPIs and the complaint kinds of a period (whole months) for the
    clients the viewer sees (those of one `manager`, if given): the keys of `kpi_tables` without
    the client rows."""
    if start.day != 1 or end != lifecycle.month_end(end):
        raise ValueError("KPIs are counted by whole months: start on a 1st, end on a month's last day")
    organization = viewer.organization
    params = {
        "org": organization.pk,
        "start": start,
        "end": end,
        "last": min(end, timezone.localdate()),
    }
    manager = manager or None  # as `lists.client_list` reads a filter: 0 is none
    if viewer.role == Role.MANAGER:
        manager = viewer.user.pk if manager in (None, viewer.user.pk) else -1  # another's: none seen
    own = manager is not None
    params["manager"] = manager
    rows: dict[int, dict] = {}
    channels: dict[str, list] = {}

    def row(key: int) -> dict:
        return rows.setdefault(key, dict.fromkeys(KPI_SUMS, 0.0))

    with connection.cursor() as cursor:
        cursor.execute(CLIENTS_SQL.format(users=get_user_model()._meta.db_table), params)
        counted = cursor.fetchall()
        if any(moved for _key, _name, _n, moved in counted):
            kpi_cube_sync(organization=organization)
        names = {}
        for key, name, n, _moved in counted:
            if not own or key == manager:
                names[key] = name or "—"
                row(key)["clients"] += n
                row(key)["potential"] += n
        sales = ", ".join(
            f"CAST(SUM(CASE WHEN kind = 'sales' AND month >= %(start)s THEN {c} ELSE 0 END) AS FLOAT) AS {c}"
            for c in _SALES
        )
        cursor.execute(CUBE_SQL.format(sales=sales, only="AND manager_key = %(manager)s" if own else ""), params)
        columns = [c[0] for c in cursor.description]
        for values in cursor.fetchall():
            cell = dict(zip(columns, values))
            if cell["manager_key"] not in names:
                continue  # a manager whose clients all went to others: cells emptied by the move
            target = row(cell["manager_key"])
            for name in [*_SALES, "sales_sum", "buyers", "products", "lost", "restored"]:
                target[name] += cell[name]
            target["potential"] -= cell["started"]
            totals = channels.setdefault(cell["channel"], [0.0, 0, 0])
            totals[0] += cell["sales_sum"]
            totals[1] += int(cell["first_sale_n"])
            totals[2] += int(cell["buyers"])
        cursor.execute(CONTACTS_SQL.format(only="AND c.manager_id = %(manager)s" if own else ""), params)
        for key, contacts, first_contact, converted in cursor.fetchall():
            target = row(key)
            target["contacts"], target["first_contact"], target["converted"] = contacts, first_contact, converted
    clients = clients_visible_to(viewer)
    if own:
        clients = clients.filter(manager_id=manager)
    complaints = complaint_kinds_table(organization=organization, clients=clients, start=start, end=end)
    by_name = {names[key]: values for key, values in rows.items()}
    for m in complaints["managers"]:
        if m["manager"] in by_name:
            by_name[m["manager"]]["complaints"] = float(m["total"])
    managers = [_kpi_ratios({"manager": name, **values}) for name, values in sorted(by_name.items())]
    return {
        "managers": managers,
        "grand": _kpi_ratios({c: sum(m[c] for m in managers) for c in KPI_SUMS}),
        "complaint_kinds": complaints,
        "channels": channel_table(
            organization=organization, facts={k: tuple(v) for k, v in channels.items()}, start=start, end=end
        ),
    }
