"""Manager KPIs of a period, computed in one SQL statement that runs on PostgreSQL and SQLite, and cached."""

import datetime
import hashlib

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from crm_portal.models import Organization, Role
from crm_portal.tenancy import Viewer

from .. import lifecycle
from ..kpis import CLIENT_COLUMNS
from ..models import (
    Client,
)
from .visibility import clients_visible_to

KPI_SUMS = ["clients", *CLIENT_COLUMNS, "contacts", "complaints", "buyers"]


# The KPIs of a period in one SQL statement: the rules of `kpis.client_kpis` (the pure reference,
# tested against this) on settlements, contacts and complaints, summed per manager in the database.
# Only the rows shown come back: one per manager, the clients with the largest sales, one count.
# One text for both databases (SQLite serves `make run`, PostgreSQL production): standard SQL only,
# except the one per-row month shift, `{lost_by}` (see `LOST_BY_SQL`).
KPI_SQL = """
WITH vc (id, manager, name, abc, xyz) AS ({clients}),
h AS (
    SELECT st.client_id, MIN(st.date) AS first_day, MAX(st.date) AS last_day,
           MAX(st.date) FILTER (WHERE st.date < %(start)s) AS last_before
    FROM clients_settlement st
    WHERE st.organization_id = %(org)s AND st.date <= %(end)s AND st.client_id IN ({client_ids})
    GROUP BY st.client_id
),
inp AS (
    SELECT st.id, st.client_id, st.date, st.amount, st.product_id, COALESCE(st.product_id, -1) AS line,
           ROW_NUMBER() OVER (PARTITION BY st.client_id, COALESCE(st.product_id, -1) ORDER BY st.date, st.id) AS line_rank,
           LAG(st.date) OVER (PARTITION BY st.client_id ORDER BY st.date, st.id) AS prev_day
    FROM clients_settlement st
    WHERE st.organization_id = %(org)s AND st.date BETWEEN %(start)s AND %(end)s AND st.client_id IN ({client_ids})
),
lines_before AS (
    SELECT DISTINCT st.client_id, COALESCE(st.product_id, -1) AS line
    FROM clients_settlement st
    WHERE st.organization_id = %(org)s AND st.date < %(start)s
      AND (st.client_id, COALESCE(st.product_id, -1)) IN (SELECT client_id, line FROM inp WHERE line_rank = 1)
),
kinds AS (
    SELECT inp.*, h.last_before, CASE WHEN inp.date = h.first_day THEN 'first'
                                      WHEN inp.line_rank = 1 AND lb.client_id IS NULL THEN 'line'
                                      ELSE 'repeat' END AS kind
    FROM inp JOIN h ON h.client_id = inp.client_id
    LEFT JOIN lines_before lb ON lb.client_id = inp.client_id AND lb.line = inp.line
),
pc AS (
    SELECT client_id,
           CASE WHEN COUNT(*) FILTER (WHERE kind = 'first') > 0 THEN 1 ELSE 0 END AS first_sale_n,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'first'), 0) AS first_sale_sum,
           COUNT(*) FILTER (WHERE kind = 'repeat') AS repeat_n,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'repeat'), 0) AS repeat_sum,
           COUNT(*) FILTER (WHERE kind = 'line') AS new_line_n,
           COALESCE(SUM(amount) FILTER (WHERE kind = 'line'), 0) AS new_line_sum,
           SUM(amount) AS sales_sum,
           COUNT(DISTINCT product_id) AS products,
           -- Restored: the purchase before this one (or before the period) left the client lost the day before.
           MAX(CASE WHEN COALESCE(prev_day, last_before) <= {lost_by} THEN 1 ELSE 0 END) AS restored
    FROM kinds GROUP BY client_id
),
ct AS (
    SELECT client_id, MIN(date) AS first_contact,
           COUNT(*) FILTER (WHERE date BETWEEN %(start)s AND %(end)s) AS contacts
    FROM clients_contact WHERE organization_id = %(org)s AND client_id IN ({client_ids}) GROUP BY client_id
),
cm AS (
    SELECT client_id, COUNT(*) AS complaints FROM clients_complaint
    WHERE organization_id = %(org)s AND client_id IN ({client_ids})
      AND created_at >= %(created_from)s AND created_at < %(created_until)s
    GROUP BY client_id
),
per_client AS (
    SELECT vc.id, COALESCE(vc.manager, '—') AS manager, vc.name, vc.abc, vc.xyz,
           COALESCE(pc.first_sale_n, 0) AS first_sale_n, COALESCE(pc.first_sale_sum, 0) AS first_sale_sum,
           COALESCE(pc.repeat_n, 0) AS repeat_n, COALESCE(pc.repeat_sum, 0) AS repeat_sum,
           COALESCE(pc.new_line_n, 0) AS new_line_n, COALESCE(pc.new_line_sum, 0) AS new_line_sum,
           COALESCE(pc.sales_sum, 0) AS sales_sum, COALESCE(pc.products, 0) AS products,
           CASE WHEN h.last_day <= %(lost_end)s
                 AND NOT COALESCE(h.last_before <= %(lost_start)s, FALSE) THEN 1 ELSE 0 END AS lost,
           COALESCE(pc.restored, 0) AS restored,
           CASE WHEN h.first_day IS NULL THEN 1 ELSE 0 END AS potential,
           CASE WHEN ct.first_contact BETWEEN %(start)s AND %(end)s
                 AND (h.first_day IS NULL OR h.first_day >= ct.first_contact) THEN 1 ELSE 0 END AS first_contact,
           CASE WHEN ct.first_contact BETWEEN %(start)s AND %(end)s
                 AND h.first_day >= ct.first_contact THEN 1 ELSE 0 END AS converted,
           COALESCE(ct.contacts, 0) AS contacts, COALESCE(cm.complaints, 0) AS complaints,
           CASE WHEN COALESCE(pc.sales_sum, 0) <> 0 THEN 1 ELSE 0 END AS buyers
    FROM vc LEFT JOIN h ON h.client_id = vc.id LEFT JOIN pc ON pc.client_id = vc.id
    LEFT JOIN ct ON ct.client_id = vc.id LEFT JOIN cm ON cm.client_id = vc.id
),
active AS (
    SELECT * FROM per_client
    WHERE sales_sum <> 0 OR contacts > 0 OR lost > 0 OR complaints > 0 OR first_contact > 0
),
shown AS (
    SELECT * FROM active ORDER BY sales_sum DESC, name, id {limit}
)
SELECT 'manager' AS row_kind, manager, CAST(NULL AS BIGINT) AS id, NULL AS name, NULL AS klass,
       CAST(NULL AS BIGINT) AS class_changes, {sums}
FROM per_client GROUP BY manager
UNION ALL
SELECT 'count', NULL, NULL, NULL, NULL, NULL, {count_sums} FROM active
UNION ALL
SELECT 'client', a.manager, a.id, a.name, a.abc || a.xyz,
       (SELECT COUNT(*) FROM clients_classchange cc
        WHERE cc.client_id = a.id AND cc.as_of BETWEEN %(start)s AND %(end)s),
       {client_values}
FROM shown a
ORDER BY row_kind, sales_sum DESC, name, id
"""


# The latest purchase day that leaves a client lost on the day before `date`: `date` - 1 day - P
# months, on the month's last day where that day does not exist. The one part the two databases
# spell differently: PostgreSQL's interval arithmetic clamps as `lifecycle.months_before` does;
# SQLite calls `lifecycle.months_before` itself (registered on the connection by `kpi_tables`).
LOST_BY_SQL = {
    "postgresql": "(date - 1) - make_interval(months => %(period)s)",
    "sqlite": "months_before(date(date, '-1 day'), %(period)s)",
}


def _sqlite_months_before(day: str | None, months: int) -> str | None:
    """`lifecycle.months_before` on the ISO text dates SQLite stores."""
    if day is None:
        return None
    return lifecycle.months_before(datetime.date.fromisoformat(day), months).isoformat()


def kpi_tables(
    *,
    organization: Organization,
    clients: QuerySet[Client],
    start: datetime.date,
    end: datetime.date,
    limit: int | None = None,
) -> dict:
    """The manager and client KPI tables of a period, for the given clients (section 3 of the domain).

    One query: the database does the counting (rules in `kpis.py`). `limit` caps the client rows
    returned (the largest sales first); `active_count` says how many clients had activity.
    """
    period = organization.lifecycle_period_months
    visible, visible_params = (
        clients.order_by()
        .annotate(kpi_manager=F("manager__username"))
        .values_list("pk", "kpi_manager", "name", "abc_class", "xyz_class")
        .query.sql_with_params()
    )
    # Complaints count by their local registration day: the period's bounds as instants, in the
    # form the database stores them (naive UTC text on SQLite), so the index on the column serves.
    created_from, created_until = (
        connection.ops.adapt_datetimefield_value(timezone.make_aware(datetime.datetime.combine(day, datetime.time.min)))
        for day in (start, end + datetime.timedelta(days=1))
    )
    params = {
        "org": organization.pk,
        "start": start,
        "end": end,
        "period": period,
        "lost_end": lifecycle.months_before(end, period),
        "lost_start": lifecycle.months_before(start - datetime.timedelta(days=1), period),
        "created_from": created_from,
        "created_until": created_until,
    }
    # The visible clients' SQL has positional parameters: name them so both styles do not mix.
    for number, value in enumerate(visible_params):
        params[f"v{number}"] = value
    visible = visible % tuple(f"%(v{n})s" for n in range(len(visible_params)))
    ids, ids_params = clients.order_by().values("pk").query.sql_with_params()
    for number, value in enumerate(ids_params):
        params[f"i{number}"] = value
    ids = ids % tuple(f"%(i{n})s" for n in range(len(ids_params)))
    sums = ", ".join(
        f"CAST(SUM({c}) AS FLOAT) AS {c}" if c != "clients" else "CAST(COUNT(*) AS FLOAT) AS clients" for c in KPI_SUMS
    )
    client_values = ", ".join("CAST(1 AS FLOAT)" if c == "clients" else f"CAST(a.{c} AS FLOAT)" for c in KPI_SUMS)
    count_sums = ", ".join("CAST(COUNT(*) AS FLOAT)" if c == "clients" else "CAST(NULL AS FLOAT)" for c in KPI_SUMS)
    sql = KPI_SQL.format(
        clients=visible,
        client_ids=ids,
        sums=sums,
        count_sums=count_sums,
        client_values=client_values,
        lost_by=LOST_BY_SQL[connection.vendor],
        limit="" if limit is None else f"LIMIT {int(limit)}",
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The plan is large but its parts are cheap: compiling it (JIT) would cost more than running it.
            # Every join here is between large sets: hash joins, not one index probe per client.
            cursor.execute("SET LOCAL jit = off; SET LOCAL enable_nestloop = off")
        else:
            connection.connection.create_function("months_before", 2, _sqlite_months_before, deterministic=True)
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    managers, client_rows, active_count = [], [], 0
    for row in rows:
        kind = row.pop("row_kind")
        if kind == "manager":
            managers.append(_kpi_ratios({"manager": row["manager"], **{c: row[c] for c in KPI_SUMS}}))
        elif kind == "count":
            active_count = int(row["clients"])
        else:
            client_rows.append(
                {
                    "pk": row["id"],
                    "name": row["name"],
                    "manager": row["manager"],
                    "klass": row["klass"],
                    "class_changes": row["class_changes"],
                    **{c: row[c] for c in KPI_SUMS},
                }
            )
    managers.sort(key=lambda m: m["manager"])
    grand = _kpi_ratios({c: sum(m[c] for m in managers) for c in KPI_SUMS})
    return {"managers": managers, "grand": grand, "clients": client_rows, "active_count": active_count}


def _kpi_ratios(row: dict) -> dict:
    row["conversion"] = (100 * row["converted"] / row["first_contact"]) if row["first_contact"] else None
    row["products_per_client"] = (row["products"] / row["buyers"]) if row["buyers"] else None
    return row


KPI_CACHE_SECONDS = 3600


def kpi_data_version(organization: Organization) -> tuple:
    """What the KPIs are computed from, in one cheap query: any new, deleted or changed row alters it."""
    parts = []
    for table in ("clients_settlement", "clients_contact", "clients_complaint", "clients_classchange"):
        parts.append(f"(SELECT COUNT(*) || '-' || COALESCE(MAX(id), 0) FROM {table} WHERE organization_id = %(org)s)")
    parts.append(
        "(SELECT COUNT(*) || '-' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM clients_client "
        "WHERE organization_id = %(org)s)"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), {"org": organization.pk})
        return tuple(cursor.fetchone()) + (organization.lifecycle_period_months,)


def kpi_tables_cached(viewer: Viewer, *, start: datetime.date, end: datetime.date, limit: int | None) -> dict:
    """`kpi_tables` for the viewer's visible clients, cached per period until the data changes."""
    organization = viewer.organization
    scope = f"manager-{viewer.user.pk}" if viewer.role == Role.MANAGER else "all"
    version = hashlib.sha1(repr(kpi_data_version(organization)).encode()).hexdigest()
    key = f"clients:kpi:{organization.pk}:{scope}:{start}:{end}:{limit}:{version}"
    data = cache.get(key)
    if data is None:
        data = kpi_tables(
            organization=organization, clients=clients_visible_to(viewer), start=start, end=end, limit=limit
        )
        cache.set(key, data, KPI_CACHE_SECONDS)
    return data
