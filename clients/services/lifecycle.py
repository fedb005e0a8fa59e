"""Lifecycle states: recomputed for every client, or brought up to date for one."""

import datetime

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from crm_portal.jobs import job_enqueue
from crm_portal.models import Job, Organization

from .. import lifecycle, tasks
from ..models import (
    Client,
    Settlement,
    StateChange,
)
from .common import BATCH, _chunks


def state_flags(settlements, as_of: datetime.date, period: int):
    """Per client of the settlements: how many lie within (t-P, t], within (t-2P, t-P] and on or before t-2P."""
    one_back, two_back = lifecycle.window_bounds(as_of, period)
    return (
        settlements.filter(date__lte=as_of)
        .values("client_id")
        .annotate(
            recent=Count("id", filter=Q(date__gt=one_back)),
            previous=Count("id", filter=Q(date__gt=two_back, date__lte=one_back)),
            older=Count("id", filter=Q(date__lte=two_back)),
        )
    )


def _apply_states(organization: Organization, new_states: dict[int, str], as_of: datetime.date) -> dict:
    """Store the states; write the history of the changes.

    A client whose state has never been computed (no history yet: imported, seeded, created)
    gets its true history rebuilt from its settlement dates instead of one "potential → X" row
    dated today.
    """
    current = dict(Client.objects.filter(organization=organization).values_list("pk", "lifecycle_state"))
    fresh = set(
        Client.objects.filter(organization=organization)
        .exclude(Exists(StateChange.objects.filter(client=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    period = organization.lifecycle_period_months
    moves: dict[str, list[int]] = {}
    history = []
    for pk, old in current.items():
        state = new_states.get(pk, lifecycle.POTENTIAL)
        if state != old:
            moves.setdefault(state, []).append(pk)
            if pk not in fresh:
                history.append(
                    StateChange(organization=organization, client_id=pk, state=state, previous_state=old, as_of=as_of)
                )
    buying = sorted(pk for pk in fresh if new_states.get(pk, lifecycle.POTENTIAL) != lifecycle.POTENTIAL)
    for chunk in _chunks(buying, BATCH):
        dates: dict[int, list[datetime.date]] = {pk: [] for pk in chunk}
        rows = Settlement.objects.filter(organization=organization, client_id__in=chunk, date__lte=as_of)
        for client_id, day in rows.values_list("client_id", "date").order_by().iterator(chunk_size=BATCH):
            dates[client_id].append(day)
        for pk in chunk:
            history.extend(
                StateChange(organization=organization, client_id=pk, state=state, previous_state=previous, as_of=day)
                for day, previous, state in lifecycle.state_history(dates[pk], as_of, period)
            )
    for state, ids in moves.items():
        for chunk in _chunks(ids, BATCH):
            Client.objects.filter(pk__in=chunk).update(lifecycle_state=state)
    StateChange.objects.bulk_create(history, batch_size=BATCH)
    counts = {state: 0 for state in lifecycle.STATES}
    for pk in current:
        counts[new_states.get(pk, lifecycle.POTENTIAL)] += 1
    return {"changed": sum(len(ids) for ids in moves.values()), "history_rows": len(history), "states": counts}


@transaction.atomic
def lifecycle_recompute(*, organization: Organization, as_of: datetime.date | None = None) -> dict:
    """Recompute every client's lifecycle state in one grouped query; record the changes."""
    as_of = as_of or timezone.localdate()
    period = organization.lifecycle_period_months
    flags = state_flags(Settlement.objects.filter(organization=organization), as_of, period)
    new_states = {
        row["client_id"]: lifecycle.classify(
            recent=row["recent"] > 0, previous=row["previous"] > 0, older=row["older"] > 0
        )
        for row in flags
    }
    result = _apply_states(organization, new_states, as_of)
    result["as_of"] = as_of.isoformat()
    return result


def client_lifecycle_refresh(*, client: Client, as_of: datetime.date | None = None) -> str:
    """Bring one client's stored state up to date (after a settlement is entered by hand).

    The first time, the client's whole history is rebuilt from its settlements (see `_apply_states`).
    """
    as_of = as_of or timezone.localdate()
    period = client.organization.lifecycle_period_months
    dates = list(client.settlements.values_list("date", flat=True))
    state = lifecycle.lifecycle_state(dates, as_of, period)
    if not StateChange.objects.filter(client=client).exists():
        StateChange.objects.bulk_create(
            [
                StateChange(
                    organization_id=client.organization_id, client=client, state=new, previous_state=previous, as_of=day
                )
                for day, previous, new in lifecycle.state_history(dates, as_of, period)
            ]
        )
    elif state != client.lifecycle_state:
        StateChange.objects.create(
            organization_id=client.organization_id,
            client=client,
            state=state,
            previous_state=client.lifecycle_state,
            as_of=as_of,
        )
    if state != client.lifecycle_state:
        Client.objects.filter(pk=client.pk).update(lifecycle_state=state)
        client.lifecycle_state = state
    return state


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
