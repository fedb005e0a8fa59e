"""Lifecycle states: each client's history rebuilt from its settlements, for some clients or all."""

import datetime

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from crm_portal.bulk import bulk_insert, bulk_replace, bulk_select
from crm_portal.jobs import job_enqueue
from crm_portal.models import Job, Organization

from .. import facts, lifecycle, lifecycle_bulk, tasks
from ..models import (
    Client,
    ClientMonth,
    FactsWrite,
    Settlement,
    StateChange,
)
from . import kpi_cube
from .common import BATCH, _chunks

# Clients rewritten in one pass when a list is given (an import's): bounds the memory of a pass.
REBUILD_CLIENTS = 10_000


def _settlements(organization: Organization, client_ids: list[int] | None) -> pd.DataFrame:
    """The settlements of the clients (all of the organization when None), in the order entered."""
    rows = Settlement.objects.filter(organization=organization).order_by()
    fields = ("id", "client_id", "date", "amount", "product_id")
    if client_ids is None:
        parts = [bulk_select(rows.values_list(*fields), dates=("date",))]
    else:
        parts = [
            bulk_select(rows.filter(client_id__in=chunk).values_list(*fields), dates=("date",))
            for chunk in _chunks(client_ids, BATCH)
        ]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=fields)
    # Amounts in whole cents: the facts' sums are exact.
    cents = np.rint(frame["amount"].astype(float).to_numpy() * 100).astype(np.int64)
    return frame.assign(amount=cents, product_id=frame["product_id"].astype(float)).sort_values("id", kind="stable")


@transaction.atomic
def client_histories_rebuild(
    *,
    organization: Organization,
    client_ids: list[int] | None = None,
    today: datetime.date | None = None,
    new_settlements: pd.DataFrame | None = None,
) -> dict:
    """Rewrite the lifecycle history and the month facts of the clients (every client when None)
    from their settlements; bring their stored state to `today`.

    The history is a function of the settlements (`lifecycle.state_history`, here in its numpy form):
    each change on the exact day it happens, the last one possibly still ahead (the day a client
    will be lost if it buys nothing more). Each change is stored with the day the next one starts
    (`until`), so the state of any client on any date is one row. The month facts (`facts.month_facts`)
    are the client's sales by kind and states per month. Running it twice writes the same rows.

    `new_settlements`: the caller has just created the clients `client_ids` and holds all their
    settlements (an import: client_id, date, amount in cents, product_id or NaN, in the order
    written). Nothing is read back, and since such clients have no stored history yet, their rows
    are inserted without comparing.

    The KPI cube follows in the same transaction: the clients' shares out before, in after.
    """
    today = today or timezone.localdate()
    if client_ids is not None and len(client_ids) > REBUILD_CLIENTS:
        # An imported file's clients, a pass per slice: the memory used stays that of one slice.
        parts = [
            client_histories_rebuild(
                organization=organization,
                client_ids=chunk,
                today=today,
                new_settlements=None
                if new_settlements is None
                else new_settlements[new_settlements["client_id"].isin(chunk)],
            )
            for chunk in _chunks(client_ids, REBUILD_CLIENTS)
        ]
        return {
            "changed": sum(p["changed"] for p in parts),
            "history_rows": sum(p["history_rows"] for p in parts),
            "month_rows": sum(p["month_rows"] for p in parts),
            "written": {
                name: {count: sum(p["written"][name][count] for p in parts) for count in ("deleted", "inserted")}
                for name in parts[0]["written"]
            },
            "states": {state: sum(p["states"][state] for p in parts) for state in lifecycle.STATES},
        }
    settlements = _settlements(organization, client_ids) if new_settlements is None else new_settlements
    history = lifecycle_bulk.state_histories(
        settlements["client_id"].to_numpy(), settlements["date"].to_numpy(), organization.lifecycle_period_months
    )
    months = facts.month_facts(settlements, history)
    same_client = np.append(history.client[1:] == history.client[:-1], False)
    until = np.where(same_client, np.roll(history.day, -1), np.datetime64("NaT"))
    for column in ("turnover", "first_sale_sum", "repeat_sum", "new_line_sum"):
        # Whole cents below 10^14 divided by 100 print as the decimal itself: the column stores it exactly.
        months[column] = months[column] / 100
    if client_ids is not None and new_settlements is None:
        # Clients just created have no share in the cube yet (nor can another transaction see them).
        kpi_cube.cube_withdraw(organization=organization, client_ids=client_ids)
    written = {}
    for model, rows in (
        (
            StateChange,
            pd.DataFrame(
                {
                    "client_id": history.client,
                    "state": history.state,
                    "previous_state": history.previous,
                    "as_of": history.day,
                    "until": until,
                }
            ),
        ),
        (ClientMonth, months),
    ):
        rows = rows.assign(organization_id=organization.pk)
        if new_settlements is not None:
            bulk_insert(model, rows)
            written[model._meta.model_name] = {"deleted": 0, "inserted": len(rows)}
            continue
        current = model.objects.filter(organization=organization)
        parts = (
            [current] if client_ids is None else [current.filter(client_id__in=c) for c in _chunks(client_ids, BATCH)]
        )
        # Only what changed is written: a nightly rebuild that finds nothing new writes nothing.
        written[model._meta.model_name] = bulk_replace(model, parts, rows)
    if client_ids is None:
        kpi_cube.cube_rebuild(organization=organization)
    else:
        kpi_cube.cube_add(organization=organization, client_ids=client_ids)
    # The state on `today`: the last change on or before it; no change yet (or no settlement): potential.
    started = history.day <= np.datetime64(today)
    current = pd.Series(history.state[started], index=history.client[started]).groupby(level=0).last()
    clients = Client.objects.filter(organization=organization)
    states = {state: [] for state in lifecycle.STATES}
    wanted = client_ids if client_ids is not None else list(clients.values_list("pk", flat=True))
    for pk in wanted:
        states[current.get(pk, lifecycle.POTENTIAL)].append(pk)
    changed = 0
    for state, pks in states.items():
        for chunk in _chunks(pks, BATCH):
            changed += clients.filter(pk__in=chunk).exclude(lifecycle_state=state).update(lifecycle_state=state)
    if changed or any(w["deleted"] or w["inserted"] for w in written.values()):
        FactsWrite.objects.create(organization=organization)
    return {
        "changed": changed,
        "history_rows": len(history.client),
        "month_rows": len(months),
        "written": written,
        "states": {state: len(pks) for state, pks in states.items()},
    }


@transaction.atomic
def lifecycle_recompute(*, organization: Organization, as_of: datetime.date | None = None) -> dict:
    """Rebuild every client's state history and current state (nightly, and on demand): idempotent."""
    as_of = as_of or timezone.localdate()
    result = client_histories_rebuild(organization=organization, today=as_of)
    marks = FactsWrite.objects.filter(organization=organization)
    newest = marks.order_by("-id").values_list("id", flat=True).first()
    marks.filter(id__lt=newest or 0).delete()  # the newest mark is all readers need
    result["as_of"] = as_of.isoformat()
    return result


def lifecycle_recompute_start(*, organization: Organization, user=None, as_of: datetime.date | None = None) -> Job:
    """Queue a lifecycle recompute (from a page, or from the nightly schedule); one at a time per date."""
    as_of = as_of or timezone.localdate()
    return job_enqueue(
        organization=organization,
        task=tasks.lifecycle_recompute_task,
        user=user,
        params={"as_of": as_of.isoformat()},
        key=as_of.isoformat(),
    )


def lifecycle_daily() -> int:
    """Queue today's recompute for every organization (the nightly round: `schedules` in clients/apps.py)."""
    today = timezone.localdate()
    organizations = list(Organization.objects.all())
    for organization in organizations:
        lifecycle_recompute_start(organization=organization, as_of=today)
    return len(organizations)
