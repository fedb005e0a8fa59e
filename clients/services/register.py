"""Writes of the register itself: clients, their people and contacts, control points, ABC/XYZ classes."""

import datetime
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_portal.models import Membership, Notification, Organization, Role
from crm_portal.services import notify, notify_many

from ..models import (
    AuditEntry,
    ClassChange,
    Client,
    Contact,
    ContactPerson,
    ControlPoint,
    Deal,
    Product,
)
from .common import BATCH, _audit, _check_same_org, _chunks, _save, _user_or_none

CLIENT_FIELDS = [
    "name",
    "kind",
    "external_id",
    "tax_number",
    "manager",
    "segment",
    "channel",
    "industry",
    "activity",
    "has_branches",
    "staff_size",
    "main_customers",
    "year_founded",
    "comments",
]


def _check_unique_external_id(client: Client) -> None:
    if client.external_id:
        clash = Client.objects.filter(organization_id=client.organization_id, external_id=client.external_id)
        if client.pk:
            clash = clash.exclude(pk=client.pk)
        if clash.exists():
            raise ValidationError({"external_id": _("Another client already has this external id.")})


@transaction.atomic
def client_create(*, organization: Organization, user=None, products: Iterable[Product] = (), **fields) -> Client:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown client fields: {sorted(unknown)}")
    client = Client(organization=organization, **fields)
    _check_same_org(organization, segment=client.segment)
    _check_unique_external_id(client)
    _save(client)
    products = list(products)
    for product in products:  # every one of them, not only the last
        _check_same_org(organization, products=product)
    client.products.set(products)
    _audit(client=client, user=user, action="client.created", changes={"name": client.name})
    return client


@transaction.atomic
def client_update(*, client: Client, user=None, products: Iterable[Product] | None = None, **fields) -> Client:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown client fields: {sorted(unknown)}")
    changes = {}
    for name, value in fields.items():
        old = getattr(client, name)
        if old != value:
            changes[name] = [str(old) if old is not None else "", str(value) if value is not None else ""]
            setattr(client, name, value)
    _check_same_org(client.organization, segment=client.segment)
    _check_unique_external_id(client)
    _save(client)
    if products is not None:
        products = list(products)
        for product in products:
            _check_same_org(client.organization, products=product)
        old_products = sorted(p.name for p in client.products.all())
        new_products = sorted(p.name for p in products)
        if old_products != new_products:
            changes["products"] = [", ".join(old_products), ", ".join(new_products)]
            client.products.set(products)
    if changes:
        _audit(client=client, user=user, action="client.updated", changes=changes)
    return client


@transaction.atomic
def clients_assign(*, organization: Organization, client_ids: Iterable[int], manager, user=None) -> int:
    """Give clients to a manager (a sales head's job); every change is audited."""

    ids = sorted(set(client_ids))
    if not ids:
        raise ValidationError(_("Tick the clients to assign."))
    if not Membership.objects.filter(
        user=manager, organization=organization, role__in=[Role.MANAGER, Role.SALES_HEAD]
    ).exists():
        raise ValidationError(_("Clients can only be given to a manager or a sales head of the organization."))
    clients = list(Client.objects.filter(organization=organization, pk__in=ids).select_related("manager"))
    if len(clients) != len(ids):
        raise ValidationError(_("Some of the ticked clients are not in this organization."))
    moved = [c for c in clients if c.manager_id != manager.pk]
    Client.objects.filter(pk__in=[c.pk for c in moved]).update(manager=manager, updated_at=timezone.now())
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                organization=organization,
                client=c,
                user=_user_or_none(user),
                action="client.assigned",
                changes={"manager": [c.manager.username if c.manager else "", manager.username]},
            )
            for c in moved
        ]
    )
    return len(moved)


@transaction.atomic
def contact_person_create(
    *,
    client: Client,
    name: str,
    position: str = "",
    phone: str = "",
    email: str = "",
    birthday: datetime.date | None = None,
    user=None,
) -> ContactPerson:
    person = ContactPerson(
        organization_id=client.organization_id,
        client=client,
        name=name,
        position=position,
        phone=phone,
        email=email,
        birthday=birthday,
    )
    _save(person)
    _audit(client=client, user=user, action="person.added", changes={"name": name})
    return person


@transaction.atomic
def contact_create(*, client: Client, kind: str, date: datetime.date, summary: str, author=None) -> Contact:
    """Log a contact and move the client's 'longest pause between contacts' control point."""
    contact = Contact(
        organization_id=client.organization_id,
        client=client,
        kind=kind,
        date=date,
        summary=summary,
        author=_user_or_none(author),
    )
    _save(contact)
    ControlPoint.objects.filter(client=client, kind=ControlPoint.Kind.CONTACT_GAP, done_at__isnull=True).update(
        done_at=timezone.now()
    )
    control_point_create(
        client=client,
        kind=ControlPoint.Kind.CONTACT_GAP,
        due_date=date + datetime.timedelta(days=client.organization.contact_gap_days),
        responsible=client.manager,
    )
    if kind == Contact.Kind.MEETING:
        # The minutes of a meeting go to the client the next working day.
        control_point_create(
            client=client,
            kind=ControlPoint.Kind.MINUTES,
            due_date=_next_working_day(date),
            responsible=contact.author or client.manager,
        )
    return contact


def _next_working_day(day: datetime.date) -> datetime.date:
    day += datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def control_point_create(
    *, client: Client, kind: str, due_date: datetime.date, deal: Deal | None = None, note: str = "", responsible=None
) -> ControlPoint:
    point = ControlPoint(
        organization_id=client.organization_id,
        client=client,
        deal=deal,
        kind=kind,
        due_date=due_date,
        note=note,
        responsible=responsible or client.manager,
    )
    _save(point)
    return point


@transaction.atomic
def control_point_add(*, client: Client, kind: str, due_date: datetime.date, note: str = "", user=None) -> ControlPoint:
    """A control point set by hand: it lies ahead (today at the earliest), else it is overdue at birth."""
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": _("The due date cannot be in the past: give today or a later day.")})
    point = control_point_create(client=client, kind=kind, due_date=due_date, note=note)
    _audit(client=client, user=user, action="point.added", changes={"kind": kind, "due_date": due_date.isoformat()})
    return point


@transaction.atomic
def control_point_assign(*, control_point: ControlPoint, responsible, user) -> ControlPoint:
    """Give an open point to a colleague who works with clients (a manager or a sales head): it moves
    to their "my day" and they are told; the giver keeps tracking it. Giving it to the one who has
    it already changes nothing (a second click)."""
    if not Membership.objects.filter(
        organization=control_point.organization_id, user=responsible, role__in=(Role.MANAGER, Role.SALES_HEAD)
    ).exists():
        raise ValidationError({"responsible": _("Give it to a manager or a sales head of the organization.")})
    moved = (
        ControlPoint.objects.filter(pk=control_point.pk, done_at__isnull=True)
        .exclude(responsible=responsible)
        .update(responsible=responsible, assigned_by=_user_or_none(user))
    )
    control_point.refresh_from_db()
    if control_point.done_at is not None:
        raise ValidationError(_("This control point is already done."))
    if moved:
        client = control_point.client
        notify(
            organization=client.organization,
            users=[responsible],
            kind=Notification.Kind.ASSIGNED,
            key=f"point:{control_point.pk}",
            text=client.name,
            url=reverse("clients:my_day"),
            actor=_user_or_none(user),
        )
        _audit(
            client=client,
            user=user,
            action="point.given",
            changes={"kind": control_point.kind, "responsible": responsible.get_username()},
        )
    return control_point


# Overdue points are told about for this many days after their due date (a new round does not
# flood a person with points forgotten long ago).
OVERDUE_TOLD_DAYS = 30


def control_points_overdue_notify(today: datetime.date | None = None) -> int:
    """Tell each responsible person (or the client's manager) about their points that became
    overdue (the daily round: `schedules` in clients/apps.py); returns how many were told."""
    today = today or timezone.localdate()
    points = (
        ControlPoint.objects.filter(
            done_at__isnull=True,
            due_date__lt=today,
            due_date__gte=today - datetime.timedelta(days=OVERDUE_TOLD_DAYS),
        )
        .order_by("organization_id", "id")
        .values_list("organization_id", "pk", "responsible_id", "client__manager_id", "client__name")
    )
    told = 0
    organizations = {o.pk: o for o in Organization.objects.filter(pk__in=points.values("organization_id"))}
    rows = list(points)
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        for organization_id in sorted({row[0] for row in chunk}):
            told += notify_many(
                organization=organizations[organization_id],
                kind=Notification.Kind.OVERDUE,
                items=[
                    (responsible or manager, f"point:{pk}", name, reverse("clients:my_day") + "?group=overdue")
                    for org, pk, responsible, manager, name in chunk
                    if org == organization_id and (responsible or manager)
                ],
            )
    return told


@transaction.atomic
def control_point_done(*, control_point: ControlPoint, user=None) -> ControlPoint:
    # One conditional write: of two clicks (or two tabs) only the first marks it done.
    done_at = timezone.now()
    if not ControlPoint.objects.filter(pk=control_point.pk, done_at__isnull=True).update(done_at=done_at):
        raise ValidationError(_("This control point is already done."))
    control_point.done_at = done_at
    return control_point


ABC_VALUES = {"", "A", "B", "C"}


XYZ_VALUES = {"", "X", "Y", "Z"}


@transaction.atomic
def client_classes_record(
    *, organization: Organization, classes: Mapping[int, tuple[str, str]], run_label: str, as_of: datetime.date
) -> int:
    """Set ABC/XYZ classes of the given clients; write a history row for each that changed."""
    for pk, (abc, xyz) in classes.items():
        if abc not in ABC_VALUES or xyz not in XYZ_VALUES:
            raise ValidationError(
                _("Client %(pk)s: unknown class %(abc)r/%(xyz)r.") % {"pk": pk, "abc": abc, "xyz": xyz}
            )
    current = {}
    ids = sorted(classes)
    for chunk in _chunks(ids, BATCH):
        for pk, abc, xyz in Client.objects.filter(organization=organization, pk__in=chunk).values_list(
            "pk", "abc_class", "xyz_class"
        ):
            current[pk] = (abc, xyz)
    unknown = set(ids) - set(current)
    if unknown:
        raise ValidationError(
            _("These clients are not in the organization: %(ids)s.")
            % {"ids": ", ".join(str(i) for i in sorted(unknown)[:20])}
        )
    changed = [pk for pk in ids if current[pk] != tuple(classes[pk])]
    # One UPDATE per pair of classes (at most 16): a bulk_update's CASE per client costs far more.
    by_pair: dict[tuple[str, str], list[int]] = {}
    for pk in changed:
        by_pair.setdefault(tuple(classes[pk]), []).append(pk)
    for (abc, xyz), pks in by_pair.items():
        for chunk in _chunks(pks, BATCH):
            Client.objects.filter(pk__in=chunk).update(abc_class=abc, xyz_class=xyz)
    ClassChange.objects.bulk_create(
        [
            ClassChange(
                organization=organization,
                client_id=pk,
                abc_class=classes[pk][0],
                xyz_class=classes[pk][1],
                previous_abc=current[pk][0],
                previous_xyz=current[pk][1],
                run_label=run_label[:120],
                as_of=as_of,
            )
            for pk in changed
        ],
        batch_size=BATCH,
    )
    return len(changed)
