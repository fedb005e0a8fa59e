"""Manager KPIs of a period, computed in one SQL statement that runs on PostgreSQL and SQLite, and cached."""

import datetime
import hashlib
from decimal import Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_portal.models import Organization, Role
from crm_portal.tenancy import Viewer

from .. import lifecycle
from ..kpis import CLIENT_COLUMNS
from ..models import (
    Channel,
    Client,
    Complaint,
    MarketingSpend,
    Settlement,
)
from .lists import NO_KIND, ClientFilter, client_list, kind_counts
from .visibility import clients_visible_to

KPI_SUMS = ["clients", *CLIENT_COLUMNS, "contacts", "complaints"]


# The KPIs of a period in one SQL statement over the month facts (`ClientMonth`, written with the
# lifecycle history from the settlements; `facts.py` classifies each sale, `kpis.client_kpis` is the
# pure reference tested against this), contacts and complaints, summed per manager in the database.
# Only the rows shown come back: one per manager, the clients with the largest sales, one count.
# Standard SQL only: one text for SQLite (`make run`) and PostgreSQL (production).
KPI_SQL = """
WITH vc (id, manager, name, abc, xyz, channel) AS ({clients}),
f AS (
    SELECT client_id,
           SUM(first_sale_n) AS first_sale_n, SUM(first_sale_sum) AS first_sale_sum,
           SUM(repeat_n) AS repeat_n, SUM(repeat_sum) AS repeat_sum,
           SUM(new_line_n) AS new_line_n, SUM(new_line_sum) AS new_line_sum,
           SUM(turnover) AS sales_sum,
           -- Bought: in some month of the period its sales do not net to zero.
           MAX(CASE WHEN turnover <> 0 THEN 1 ELSE 0 END) AS buyers,
           MAX(CASE WHEN settlements > 0 THEN lines_total ELSE 0 END) AS products,
           -- Lost and restored: the state turned lost, or renewed, within the period (up to today).
           MAX(CASE WHEN lost_on <= %(last)s THEN 1 ELSE 0 END) AS lost,
           MAX(CASE WHEN restored_on <= %(last)s THEN 1 ELSE 0 END) AS restored
    FROM clients_clientmonth
    WHERE organization_id = %(org)s AND month BETWEEN %(start)s AND %(end)s AND client_id IN ({client_ids})
    GROUP BY client_id
),
-- The first settlement day: the day of the change from potential in the history.
h AS (
    SELECT client_id, as_of AS first_day FROM clients_statechange
    WHERE organization_id = %(org)s AND previous_state = 'potential' AND client_id IN ({client_ids})
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
    SELECT vc.id, COALESCE(vc.manager, '—') AS manager, vc.name, vc.abc, vc.xyz, vc.channel,
           COALESCE(f.first_sale_n, 0) AS first_sale_n, COALESCE(f.first_sale_sum, 0) AS first_sale_sum,
           COALESCE(f.repeat_n, 0) AS repeat_n, COALESCE(f.repeat_sum, 0) AS repeat_sum,
           COALESCE(f.new_line_n, 0) AS new_line_n, COALESCE(f.new_line_sum, 0) AS new_line_sum,
           COALESCE(f.sales_sum, 0) AS sales_sum, COALESCE(f.products, 0) AS products,
           COALESCE(f.lost, 0) AS lost, COALESCE(f.restored, 0) AS restored,
           CASE WHEN h.first_day IS NULL OR h.first_day > %(end)s THEN 1 ELSE 0 END AS potential,
           CASE WHEN ct.first_contact BETWEEN %(start)s AND %(end)s
                 AND (h.first_day IS NULL OR h.first_day >= ct.first_contact) THEN 1 ELSE 0 END AS first_contact,
           CASE WHEN ct.first_contact BETWEEN %(start)s AND %(end)s
                 AND h.first_day BETWEEN ct.first_contact AND %(end)s THEN 1 ELSE 0 END AS converted,
           COALESCE(ct.contacts, 0) AS contacts, COALESCE(cm.complaints, 0) AS complaints,
           COALESCE(f.buyers, 0) AS buyers
    FROM vc LEFT JOIN f ON f.client_id = vc.id LEFT JOIN h ON h.client_id = vc.id
    LEFT JOIN ct ON ct.client_id = vc.id LEFT JOIN cm ON cm.client_id = vc.id
),
active AS (
    SELECT * FROM per_client
    WHERE buyers > 0 OR contacts > 0 OR lost > 0 OR complaints > 0 OR first_contact > 0
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
-- Per acquisition channel: the revenue, first sales and buyers of its clients (marketing efficiency).
SELECT 'channel', channel, NULL, NULL, NULL, NULL, {sums} FROM per_client GROUP BY channel
UNION ALL
SELECT 'client', a.manager, a.id, a.name, a.abc || a.xyz,
       (SELECT COUNT(*) FROM clients_classchange cc
        WHERE cc.client_id = a.id AND cc.as_of BETWEEN %(start)s AND %(end)s),
       {client_values}
FROM shown a
ORDER BY row_kind, sales_sum DESC, name, id
"""


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
    The facts are monthly: the period is whole months (`forms.PeriodForm` widens a period to them).
    """
    if start.day != 1 or end != lifecycle.month_end(end):
        raise ValueError("KPIs are counted by whole months: start on a 1st, end on a month's last day")
    visible, visible_params = (
        clients.order_by()
        .annotate(kpi_manager=F("manager__username"))
        .values_list("pk", "kpi_manager", "name", "abc_class", "xyz_class", "channel")
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
        "last": min(end, timezone.localdate()),
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
        limit="" if limit is None else f"LIMIT {int(limit)}",
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The plan is large but its parts are cheap: compiling it (JIT) would cost more than running it.
            # Every join here is between large sets: hash joins, not one index probe per client.
            cursor.execute("SET LOCAL jit = off; SET LOCAL enable_nestloop = off")
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    managers, client_rows, active_count, channels = [], [], 0, {}
    for row in rows:
        kind = row.pop("row_kind")
        if kind == "manager":
            managers.append(_kpi_ratios({"manager": row["manager"], **{c: row[c] for c in KPI_SUMS}}))
        elif kind == "count":
            active_count = int(row["clients"])
        elif kind == "channel":
            channels[row["manager"]] = (row["sales_sum"], int(row["first_sale_n"]), int(row["buyers"]))
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
    return {
        "managers": managers,
        "grand": grand,
        "clients": client_rows,
        "active_count": active_count,
        "complaint_kinds": complaint_kinds_table(organization=organization, clients=clients, start=start, end=end),
        "channels": channel_table(organization=organization, facts=channels, start=start, end=end),
    }


def product_sales_cached(viewer: Viewer, *, start: datetime.date, end: datetime.date) -> list[dict]:
    """`product_sales_table` of the viewer's visible clients, cached like the KPI tables. It reads the
    settlements themselves (the month facts have no product), so the KPI page loads it apart."""
    return cache.get_or_set(
        kpi_cache_key(viewer, "products", start, end),
        lambda: product_sales_table(
            organization=viewer.organization, clients=clients_visible_to(viewer), start=start, end=end
        ),
        KPI_CACHE_SECONDS,
    )


def product_sales_table(
    *, organization: Organization, clients: QuerySet[Client], start: datetime.date, end: datetime.date
) -> list[dict]:
    """Sales per product in the period: the sum of the settlements (refunds net), the settlements and
    the clients; the largest first, settlements without a product last."""
    rows = (
        Settlement.objects.filter(
            organization=organization, client__in=clients.order_by().values("pk"), date__range=(start, end)
        )
        .order_by()
        .values_list("product_id", "product__name")
        .annotate(total=Sum("amount"), settlements=Count("id"), clients=Count("client", distinct=True))
    )
    table = [
        {"product": pk, "name": name, "sum": total, "settlements": n, "clients": buyers}
        for pk, name, total, n, buyers in rows
    ]
    return sorted(table, key=lambda r: (r["product"] is None, -r["sum"], r["name"] or ""))


def channel_table(
    *, organization: Organization, facts: dict[str, tuple], start: datetime.date, end: datetime.date
) -> dict:
    """Marketing efficiency per acquisition channel in the period: what it cost (the months'
    spending), the new clients it brought (first purchase in the period: the KPI first sales), the
    cost per new client and the revenue and buyers of its clients (`facts`: {channel: (revenue,
    new, buyers)}, summed by the KPI query). (The share of new clients who came on a
    recommendation is a loyalty metric: `loyalty.metrics.recommended_share`.)"""
    spent = dict(
        MarketingSpend.objects.filter(organization=organization, month__range=(start, end))
        .order_by()
        .values_list("channel")
        .annotate(total=Sum("amount"))
    )
    rows = []
    for channel, label in [*Channel.choices, ("", _("Not recorded"))]:
        revenue, new, buyers = facts.get(channel, (0.0, 0, 0))
        spend = spent.get(channel)
        if not (new or buyers or spend):
            continue
        rows.append(
            {
                "channel": channel,
                "label": str(label),
                "spent": spend,
                "new": new,
                "cost_per_new": spend / new if spend is not None and new else None,
                "revenue": revenue,
                "buyers": buyers,
            }
        )
    new_total = sum(r["new"] for r in rows)
    spent_total = sum((r["spent"] or 0 for r in rows), Decimal(0))
    return {
        "rows": rows,
        "spent": spent_total,
        "new": new_total,
        "cost_per_new": spent_total / new_total if new_total else None,
        "revenue": sum(r["revenue"] for r in rows),
    }


def complaint_kinds_table(
    *, organization: Organization, clients: QuerySet[Client], start: datetime.date, end: datetime.date
) -> dict:
    """Incoming complaints of the period by kind, per manager of the complaining clients: the same
    complaints as the KPI column (registered on a local day within [start, end])."""
    complaints = Complaint.objects.filter(
        organization=organization,
        client__in=clients.order_by().values("pk"),
        created_at__date__range=(start, end),
    )
    rows = (
        complaints.order_by().values_list("client__manager__username", "kind_id", "kind__name").annotate(n=Count("id"))
    )
    totals: dict[tuple, int] = {}
    counts: dict[str, dict[str, int]] = {}
    for manager, kind_id, name, n in rows:
        totals[kind_id, name] = totals.get((kind_id, name), 0) + n
        counts.setdefault(manager or "—", {})[str(kind_id) if kind_id is not None else NO_KIND] = n
    kinds = kind_counts((kind_id, name, n) for (kind_id, name), n in totals.items())
    return {
        "kinds": kinds,
        "managers": [
            {"manager": manager, "counts": [row.get(k) or 0 for k, _name, _n in kinds], "total": sum(row.values())}
            for manager, row in sorted(counts.items())
        ],
        "total": sum(n for _k, _name, n in kinds),
    }


def _kpi_ratios(row: dict) -> dict:
    row["conversion"] = (100 * row["converted"] / row["first_contact"]) if row["first_contact"] else None
    row["products_per_client"] = (row["products"] / row["buyers"]) if row["buyers"] else None
    return row


KPI_CACHE_SECONDS = 3600


def kpi_data_version(organization: Organization) -> tuple:
    """What the KPIs are computed from, in one cheap query: any new, deleted or changed row alters it."""
    # The month facts are marked on each change (FactsWrite): counting them would take longer than the KPIs.
    parts = []
    # A complaint's kind changes with a new step of it; spending is corrected in place (its updated_at).
    for table in (
        "clients_factswrite",
        "clients_contact",
        "clients_complaint",
        "clients_complaintstep",
        "clients_classchange",
    ):
        parts.append(f"(SELECT COUNT(*) || '-' || COALESCE(MAX(id), 0) FROM {table} WHERE organization_id = %(org)s)")
    for table in ("clients_client", "clients_marketingspend"):
        parts.append(
            f"(SELECT COUNT(*) || '-' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM {table} "
            "WHERE organization_id = %(org)s)"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), {"org": organization.pk})
        return tuple(cursor.fetchone()) + (organization.lifecycle_period_months,)


def kpi_tables_cached(
    viewer: Viewer,
    *,
    start: datetime.date,
    end: datetime.date,
    limit: int | None,
    wanted: ClientFilter | None = None,
    version: tuple | None = None,
) -> dict:
    """`kpi_tables` for the viewer's visible clients (those of `wanted` only, if given), cached per
    period until the data changes (`version`: `kpi_data_version`, read here unless given)."""
    organization = viewer.organization
    clients = clients_visible_to(viewer) if wanted is None else client_list(viewer, wanted)
    return cache.get_or_set(
        kpi_cache_key(viewer, "kpi", start, end, limit, wanted, version=version),
        lambda: kpi_tables(organization=organization, clients=clients, start=start, end=end, limit=limit),
        KPI_CACHE_SECONDS,
    )


def kpi_cache_key(viewer: Viewer, *parts, version: tuple | None = None) -> str:
    """A cache key for what is computed from the KPI data for this viewer: it changes with the data,
    with today (a period still running loses clients day by day without new data) and with `parts`."""
    version = version if version is not None else kpi_data_version(viewer.organization)
    scope = f"manager-{viewer.user.pk}" if viewer.role == Role.MANAGER else "all"
    digest = hashlib.sha1(repr((version, parts)).encode()).hexdigest()
    return f"clients:kpi:{viewer.organization.pk}:{scope}:{digest}:{timezone.localdate()}"
