"""Reads of the lifecycle history: the state of clients on any day, the changes of a period.

The history (StateChange rows, written by `services.client_histories_rebuild` from the
settlements) is the one stored form of the lifecycle rule: every page asks it, none re-applies the
rule to settlements.
"""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from .. import lifecycle
from ..models import StateChange


def in_effect(day: datetime.date) -> Q:
    """The condition on StateChange rows that holds for the one row of a client in effect on `day`."""
    return Q(as_of__lte=day) & (Q(until__isnull=True) | Q(until__gt=day))


def states_on(organization_id: int, day: datetime.date) -> QuerySet[StateChange]:
    """The rows in effect on `day`, one per client with a settlement on or before it (the others: potential)."""
    return StateChange.objects.filter(in_effect(day), organization_id=organization_id)


def state_conditions(day: datetime.date) -> dict[str, Q]:
    """One condition on clients per lifecycle state on `day`."""
    rows = StateChange.objects.filter(client=OuterRef("pk"))
    conditions = {
        state: Q(Exists(rows.filter(in_effect(day), state=state))) for state in lifecycle.STATES if state != "potential"
    }
    conditions[lifecycle.POTENTIAL] = ~Q(Exists(rows.filter(as_of__lte=day)))
    return conditions


def client_states_on(client_ids: list[int], day: datetime.date) -> dict[int, str]:
    """The state of each client on `day`."""
    found = dict(StateChange.objects.filter(in_effect(day), client_id__in=client_ids).values_list("client_id", "state"))
    return {pk: found.get(pk, lifecycle.POTENTIAL) for pk in client_ids}
