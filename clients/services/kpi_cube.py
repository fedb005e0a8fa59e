"""Keeps the KPI cube (`models.KpiCube`): the month facts summed by manager and channel.

A client's share of the cube is a function of its month facts and of the manager and channel it is
filed under (`Client.kpi_manager_key`, `kpi_channel`). Whoever rewrites a client's facts takes its
share out first and puts it back after (`cube_withdraw`, `cube_add`, in the same transaction,
with the client rows locked), so the cube stays the sum of the facts; a client whose manager or
channel changed by any path (a form, a bulk reassignment, a deleted user) is moved before the cube
is read (`kpi_cube_sync`). Everything is one SQL text for SQLite and PostgreSQL.
"""

from collections.abc import Iterable

from django.db import connection, transaction

from crm_portal.models import Organization

from ..models import Client, KpiCube

SUMS = ["n", "turnover", "first_sale_n", "first_sale_sum", "repeat_n", "repeat_sum", "new_line_n", "new_line_sum"]

# Each client month (m) once, with its client (c) and, from windows over the client's months in
# order, the `since` of each kind (see `KpiCube`); each kind's cells then summed from the months it
# applies to. The kinds are disjoint: each cell comes from one branch.
_CELLS = """
WITH m AS (
    SELECT c.kpi_manager_key AS mk, c.kpi_channel AS ch, m.month, m.turnover, m.settlements, m.lines_total,
           m.first_sale_n, m.first_sale_sum, m.repeat_n, m.repeat_sum, m.new_line_n, m.new_line_sum,
           m.lost_on, m.restored_on,
           MAX(CASE WHEN m.turnover <> 0 THEN m.month END) OVER earlier AS bought_before,
           MIN(CASE WHEN m.settlements > 0 THEN m.month END) OVER later AS settled_after,
           MAX(CASE WHEN m.lost_on IS NOT NULL THEN m.month END) OVER earlier AS lost_before,
           MAX(CASE WHEN m.restored_on IS NOT NULL THEN m.month END) OVER earlier AS restored_before
    FROM clients_clientmonth m JOIN clients_client c ON c.id = m.client_id
    WHERE m.organization_id = %(org)s {only_m}
    WINDOW earlier AS (PARTITION BY m.client_id ORDER BY m.month ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
           later AS (PARTITION BY m.client_id ORDER BY m.month DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)
SELECT 'sales' AS kind, month, mk, ch, %(low)s AS since, 0 AS n, {sales} FROM m GROUP BY month, mk, ch
UNION ALL
SELECT 'bought', month, mk, ch, COALESCE(bought_before, %(low)s), COUNT(*), {zeros} FROM m
WHERE turnover <> 0 GROUP BY month, mk, ch, COALESCE(bought_before, %(low)s)
UNION ALL
SELECT 'lines', month, mk, ch, COALESCE(settled_after, %(high)s), SUM(lines_total), {zeros} FROM m
WHERE settlements > 0 GROUP BY month, mk, ch, COALESCE(settled_after, %(high)s)
UNION ALL
SELECT 'lost', lost_on, mk, ch, COALESCE(lost_before, %(low)s), COUNT(*), {zeros} FROM m
WHERE lost_on IS NOT NULL GROUP BY lost_on, mk, ch, COALESCE(lost_before, %(low)s)
UNION ALL
SELECT 'restored', restored_on, mk, ch, COALESCE(restored_before, %(low)s), COUNT(*), {zeros} FROM m
WHERE restored_on IS NOT NULL GROUP BY restored_on, mk, ch, COALESCE(restored_before, %(low)s)
"""
_SALES = ", ".join(f"SUM({s}) AS {s}" for s in SUMS[1:])
_ZEROS = ", ".join("0" for _s in SUMS[1:])

_KEY = "organization_id, kind, month, manager_key, channel, since"

# The cells, multiplied by the sign (1 to add, -1 to take out), added to the cells already there.
# (`WHERE 1 = 1` keeps SQLite from reading ON CONFLICT as a join's ON.)
_MERGE = f"""
INSERT INTO clients_kpicube ({_KEY}, {", ".join(SUMS)})
SELECT %(org)s, kind, month, mk, ch, since, {", ".join(f"%(sign)s * {s}" for s in SUMS)}
FROM ({_CELLS}) cells WHERE 1 = 1
ON CONFLICT ({_KEY}) DO UPDATE SET {", ".join(f"{s} = clients_kpicube.{s} + excluded.{s}" for s in SUMS)}
""".format(sales=_SALES, zeros=_ZEROS, only_m="{only_m}")

# Clients filed under a manager or channel that is no longer theirs.
_MOVED = "organization_id = %(org)s AND (kpi_manager_key <> COALESCE(manager_id, 0) OR kpi_channel <> channel)"

CHUNK = 5000  # client ids per statement: well within both databases' limits on parameters


def _merge(organization: Organization, client_ids: list[int] | None, sign: int) -> None:
    params = {"org": organization.pk, "sign": sign, "low": KpiCube.LOW, "high": KpiCube.HIGH}
    with connection.cursor() as cursor:
        if client_ids is None:
            if connection.vendor == "postgresql":
                # Compiling the plan (JIT) costs seconds and saves less.
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(_MERGE.format(only_m=""), params)
            return
        for start in range(0, len(client_ids), CHUNK):
            chunk = client_ids[start : start + CHUNK]
            names = [f"c{n}" for n in range(len(chunk))]
            only = "AND m.client_id IN ({})".format(", ".join(f"%({name})s" for name in names))
            cursor.execute(_MERGE.format(only_m=only), {**params, **dict(zip(names, chunk))})


def _file_under_own(organization: Organization, client_ids: Iterable[int] | None) -> None:
    """File the clients under their own manager and channel (the ids given, or every moved one)."""
    with connection.cursor() as cursor:
        sql = (
            f"UPDATE clients_client SET kpi_manager_key = COALESCE(manager_id, 0), kpi_channel = channel WHERE {_MOVED}"
        )
        if client_ids is None:
            cursor.execute(sql, {"org": organization.pk})
            return
        ids = list(client_ids)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            names = [f"c{n}" for n in range(len(chunk))]
            only = " AND id IN ({})".format(", ".join(f"%({name})s" for name in names))
            cursor.execute(sql + only, {"org": organization.pk, **dict(zip(names, chunk))})


def cube_withdraw(*, organization: Organization, client_ids: list[int]) -> None:
    """Take the clients' shares out of the cube, before their month facts are rewritten. The caller
    holds a transaction; the client rows are locked until it ends, so no reader moves them meanwhile."""
    _lock(organization, client_ids)
    _merge(organization, client_ids, -1)


def cube_add(*, organization: Organization, client_ids: list[int]) -> None:
    """Put the clients' shares (from their month facts as they are now) into the cube, filed under
    their own manager and channel."""
    _file_under_own(organization, client_ids)
    _merge(organization, client_ids, 1)


@transaction.atomic
def cube_rebuild(*, organization: Organization) -> None:
    """The whole cube of the organization anew from its month facts (the nightly recompute: it also
    drops the cells emptied by the day's moves). Idempotent."""
    list(Client.objects.select_for_update().filter(organization_id=organization.pk).order_by("pk").values_list("pk"))
    KpiCube.objects.filter(organization_id=organization.pk).delete()
    _file_under_own(organization, None)
    _merge(organization, None, 1)


def kpi_cube_sync(*, organization: Organization) -> int:
    """Move the shares of the clients whose manager or channel changed since they were filed; the
    number of clients moved. Cheap when none did (one scan of the clients' two columns)."""
    moved = _moved(organization)
    if not moved:
        return 0
    with transaction.atomic():
        _lock(organization, moved)
        # Another request may have moved some while this one waited; only locked rows are moved here.
        moved = sorted(set(_moved(organization)) & set(moved))
        _merge(organization, moved, -1)
        _file_under_own(organization, moved)
        _merge(organization, moved, 1)
    return len(moved)


def _moved(organization: Organization) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM clients_client WHERE {_MOVED} ORDER BY id", {"org": organization.pk})
        return [row[0] for row in cursor.fetchall()]


def _lock(organization: Organization, client_ids: list[int]) -> None:
    """Lock the client rows in id order (every writer of the cube locks in the same order)."""
    ids = sorted(client_ids)
    for start in range(0, len(ids), CHUNK):
        rows = Client.objects.select_for_update().filter(
            organization_id=organization.pk, pk__in=ids[start : start + CHUNK]
        )
        list(rows.order_by("pk").values_list("pk"))
