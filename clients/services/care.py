"""The care round: greeting points for contact persons' birthdays and the organization's holidays.

Every morning (`schedules` in clients/apps.py) each occasion of the coming week becomes a control
point for the client's manager, dated on the day itself. A point is keyed by its occasion, so a
second round, or two at once, adds nothing, and a point marked done stays done.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from crm_portal.models import Holiday, Organization

from ..models import Client, ContactPerson, ControlPoint
from ..occasions import coming_days, falls_within
from .common import BATCH


def care_points_create(today: datetime.date | None = None, organization: Organization | None = None) -> int:
    """Create the greeting points of the coming week in every organization (or in one); returns how many are new."""
    coming = coming_days(today or timezone.localdate())
    tenants = {} if organization is None else {"organization": organization}
    points = []
    people = (
        ContactPerson.objects.filter(falls_within(coming, "birthday__month", "birthday__day"), **tenants)
        .exclude(client__manager=None)
        .values_list("pk", "organization_id", "client_id", "client__manager_id", "name", "birthday")
    )
    for pk, organization_id, client_id, manager_id, name, birthday in people:
        day = coming[(birthday.month, birthday.day)]
        points.append(
            ControlPoint(
                organization_id=organization_id,
                client_id=client_id,
                kind=ControlPoint.Kind.BIRTHDAY,
                due_date=day,
                note=name,
                responsible_id=manager_id,
                occasion=f"birthday:{pk}:{day.year}",
            )
        )
    for holiday in Holiday.objects.filter(falls_within(coming, "month", "day"), **tenants):
        day = coming[(holiday.month, holiday.day)]
        clients = Client.objects.filter(organization_id=holiday.organization_id).exclude(manager=None)
        points.extend(
            ControlPoint(
                organization_id=holiday.organization_id,
                client_id=client_id,
                kind=ControlPoint.Kind.HOLIDAY,
                due_date=day,
                note=holiday.name,
                responsible_id=manager_id,
                occasion=f"holiday:{holiday.pk}:{day.year}",
            )
            for client_id, manager_id in clients.values_list("pk", "manager_id").iterator()
        )
    return _insert_new(points)


def _insert_new(points: list[ControlPoint]) -> int:
    """Insert the points whose occasion the client does not have yet; a concurrent round's rows are
    skipped by the unique (client, occasion) constraint."""
    occasions = {point.occasion for point in points}
    existing = set(ControlPoint.objects.filter(occasion__in=occasions).values_list("client_id", "occasion").iterator())
    new = [point for point in points if (point.client_id, point.occasion) not in existing]
    with transaction.atomic():
        ControlPoint.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    return len(new)
