"""Lists of clients, of the day's work and of complaints, with their filters and counts; the home panel."""

import datetime
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_portal.models import Role
from crm_portal.tenancy import Viewer, scoped

from ..models import (
    Client,
    ClientMonth,
    Complaint,
    ContactPerson,
    ControlPoint,
    Settlement,
)
from ..occasions import coming_days, falls_within
from .history import client_states_on, state_conditions
from .visibility import clients_visible_to, visible_rows


def overdue_points(today: datetime.date) -> QuerySet[ControlPoint]:
    return ControlPoint.objects.filter(client=OuterRef("pk"), done_at__isnull=True, due_date__lt=today)


@dataclass
class ClientFilter:
    q: str = ""
    state: str = ""
    manager: int | None = None
    segment: int | None = None
    product: int | None = None  # clients who use the product or have bought it
    abc: str = ""
    xyz: str = ""
    overdue: bool = False
    as_of: datetime.date | None = None
    sort: str = "name"
    # What the client did within [event_start, event_end] (a dashboard figure drilled into): PERIOD_EVENTS.
    event: str = ""
    event_start: datetime.date | None = None
    event_end: datetime.date | None = None


SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "abc": ("abc_class", "name", "id"),
    "state": ("lifecycle_state", "name", "id"),
    "manager": ("manager__username", "name", "id"),
}


def client_list(viewer: Viewer, wanted: ClientFilter) -> QuerySet[Client]:
    """The filtered, sorted client list; with `as_of` the states are computed for that date."""
    today = timezone.localdate()
    clients = clients_visible_to(viewer).select_related("manager", "segment")
    if wanted.q:
        clients = clients.filter(Q(name__icontains=wanted.q) | Q(external_id=wanted.q) | Q(tax_number=wanted.q))
    if wanted.manager:
        clients = clients.filter(manager_id=wanted.manager)
    if wanted.segment:
        clients = clients.filter(segment_id=wanted.segment)
    if wanted.product:
        bought = Settlement.objects.filter(client=OuterRef("pk"), product_id=wanted.product)
        clients = clients.filter(
            Q(Exists(bought))
            | Q(Exists(Client.products.through.objects.filter(client=OuterRef("pk"), product_id=wanted.product)))
        )
    if wanted.abc:
        clients = clients.filter(abc_class="" if wanted.abc == "-" else wanted.abc)
    if wanted.xyz:
        clients = clients.filter(xyz_class="" if wanted.xyz == "-" else wanted.xyz)
    if wanted.overdue:
        clients = clients.filter(Exists(overdue_points(today)))
    if wanted.event in PERIOD_EVENTS and wanted.event_start and wanted.event_end:
        clients = clients.filter(
            period_event(wanted.event, wanted.event_start, wanted.event_end, today, viewer.organization.pk)
        )
    if wanted.state and wanted.as_of:
        clients = clients.filter(state_conditions(wanted.as_of)[wanted.state])
    elif wanted.state:
        clients = clients.filter(lifecycle_state=wanted.state)
    clients = clients.annotate(has_overdue=Exists(overdue_points(today)))
    return clients.order_by(*SORTS.get(wanted.sort, SORTS["name"]))


# What a client did in a period, as the KPI totals count it (`kpis.KPI_SQL`, over the same month facts):
# bought (in some month of the period its sales do not net to zero), made its first purchase, bought again (a repeat
# sale), bought a product line for the first time (a new line), turned lost, was restored.
PERIOD_EVENTS = ("bought", "first_sale", "repeat_sale", "new_line", "lost", "restored")


def period_event(event: str, start: datetime.date, end: datetime.date, today: datetime.date, organization_id: int) -> Q:
    """The condition on clients that did `event` within whole months [start, end]; lost and restored
    count up to today, as the KPIs do."""
    months = ClientMonth.objects.filter(organization_id=organization_id, month__range=(start, end))
    last = min(end, today)
    condition = {
        "bought": ~Q(turnover=0),
        "first_sale": Q(first_sale_n__gt=0),
        "repeat_sale": Q(repeat_n__gt=0),
        "new_line": Q(new_line_n__gt=0),
        "lost": Q(lost_on__lte=last),
        "restored": Q(restored_on__lte=last),
    }
    return Q(Exists(months.filter(condition[event], client=OuterRef("pk"))))


def attach_states(clients: list[Client], as_of: datetime.date | None) -> list[Client]:
    """Set `state_shown` on each client: its stored state, or its state on a date (from its history)."""
    if as_of is None:
        for client in clients:
            client.state_shown = client.lifecycle_state
        return clients
    for start in range(0, len(clients), 5000):
        chunk = clients[start : start + 5000]
        states = client_states_on([c.pk for c in chunk], as_of)
        for client in chunk:
            client.state_shown = states[client.pk]
    return clients


def attach_work(clients: list[Client]) -> list[Client]:
    """Set on each client of a page its last purchase day (`last_purchase`) and its next step: the
    earliest open control point (`next_point`), in two queries for the whole page."""
    ids = [c.pk for c in clients]
    last = dict(
        Settlement.objects.filter(client_id__in=ids, amount__gt=0)
        .values("client_id")
        .annotate(day=Max("date"))
        .values_list("client_id", "day")
    )
    upcoming: dict[int, ControlPoint] = {}
    for point in ControlPoint.objects.filter(client_id__in=ids, done_at__isnull=True).order_by("due_date", "id"):
        upcoming.setdefault(point.client_id, point)
    for client in clients:
        client.last_purchase, client.next_point = last.get(client.pk), upcoming.get(client.pk)
    return clients


# The groups of "my day", in the order a manager works through them.
DAY_GROUPS = ("overdue", "today", "week", "later")
# The tab of points given to colleagues (`services.control_point_assign`), tracked by the giver.
GIVEN = "given"


def day_group_bounds(today: datetime.date) -> dict[str, Q]:
    """The condition on due dates of each group: before today, today, the rest of this week (to
    Sunday), after it. On a Sunday "this week" is empty."""
    sunday = today + datetime.timedelta(days=6 - today.weekday())
    return {
        "overdue": Q(due_date__lt=today),
        "today": Q(due_date=today),
        "week": Q(due_date__gt=today, due_date__lte=sunday),
        "later": Q(due_date__gt=sunday),
    }


def my_day(viewer: Viewer, *, group: str = "", today: datetime.date | None = None) -> dict:
    """The viewer's open control points by group, with each group's count, and the chosen group's
    points (oldest due first) to page through: by default the first group with any."""
    today = today or timezone.localdate()
    open_points = scoped(viewer, ControlPoint).filter(done_at__isnull=True)
    # Mine: given to me, or of my clients with nobody else responsible. Given: what I gave to a
    # colleague, or (a manager) my clients' points a colleague is responsible for.
    if viewer.role == Role.MANAGER:
        points = open_points.filter(
            Q(responsible=viewer.user) | Q(client__manager=viewer.user, responsible__isnull=True)
        )
        # "My clients" as a subquery: an OR across the join to clients made the database read every
        # client of every organization (170 ms at 300,000 clients instead of 20 ms).
        given = open_points.filter(Q(assigned_by=viewer.user) | Q(client__in=clients_visible_to(viewer).values("pk")))
    else:
        points = open_points.filter(responsible=viewer.user)
        given = open_points.filter(assigned_by=viewer.user)
    given = given.filter(responsible__isnull=False).exclude(responsible=viewer.user)
    bounds = day_group_bounds(today)
    counts = points.aggregate(**{key: Count("id", filter=condition) for key, condition in bounds.items()})
    if group not in (*DAY_GROUPS, GIVEN):
        group = next((key for key in DAY_GROUPS if counts[key]), "today")
    shown = given if group == GIVEN else points.filter(bounds[group])
    return {
        "groups": [(key, counts[key]) for key in DAY_GROUPS],
        "given_count": given.count(),
        "group": group,
        "points": shown.select_related("client", "deal", "responsible").order_by("due_date", "id"),
        "birthdays": upcoming_birthdays(viewer, today),
        "today": today,
    }


def upcoming_birthdays(viewer: Viewer, today: datetime.date) -> list[ContactPerson]:
    """Contact persons of the visible clients whose birthday falls within the next week: a reason to greet."""
    coming = coming_days(today)
    people = scoped(viewer, ContactPerson).filter(falls_within(coming, "birthday__month", "birthday__day"))
    if viewer.role == Role.MANAGER:
        people = people.filter(client__manager=viewer.user)
    people = people.select_related("client")[:100]
    return sorted(people, key=lambda p: (coming[(p.birthday.month, p.birthday.day)], p.name, p.pk))


def complaint_list(
    viewer: Viewer,
    status: str = "",
    *,
    clients: QuerySet[Client] | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    kind: str = "",
) -> QuerySet[Complaint]:
    """The visible complaints, newest first; of `clients` only, registered within [start, end] and of
    one `kind` (a kind's id, or NO_KIND) if given (the complaints a dashboard or KPI count stands
    for: `complaint_counts` and `complaint_kinds_table` read the same rows)."""
    rows = visible_rows(viewer, Complaint).select_related("client", "owner", "kind")
    if clients is not None:
        rows = rows.filter(client__in=clients.order_by().values("pk"))
    if start and end:
        rows = rows.filter(created_at__date__range=(start, end))
    if kind == NO_KIND:
        rows = rows.filter(kind__isnull=True)
    elif kind.isdigit():
        rows = rows.filter(kind_id=int(kind))
    elif kind:
        rows = rows.none()
    if status:
        rows = rows.filter(status=status)
    return rows


# The `kind` of the complaints not classified yet.
NO_KIND = "none"


def complaint_kind_counts(complaints: QuerySet[Complaint]) -> list[tuple[str, str, int]]:
    """(kind parameter, name, count) of these complaints, most frequent first, the unclassified last."""
    return kind_counts(complaints.order_by().values_list("kind_id", "kind__name").annotate(n=Count("id")))


def kind_counts(counts: Iterable[tuple[int | None, str | None, int]]) -> list[tuple[str, str, int]]:
    """`complaint_kind_counts` of (kind id, name, count) rows, one row per kind."""
    counts = list(counts)
    named = sorted(((str(pk), name, n) for pk, name, n in counts if pk is not None), key=lambda k: (-k[2], k[1]))
    unclassified = sum(n for pk, _name, n in counts if pk is None)
    return named + ([(NO_KIND, str(_("not classified yet")), unclassified)] if unclassified else [])


def complaint_counts(
    viewer: Viewer,
    *,
    clients: QuerySet[Client] | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    kind: str = "",
) -> dict:
    """Complaints by status and by source, the share of clients who complained and the median days
    from registration to closing: of every visible complaint, or of those of `clients` registered
    within [start, end] (the dashboard's), of one `kind` if given; and the counts by kind, whatever
    `kind` is chosen."""
    clients = clients if clients is not None else clients_visible_to(viewer)
    every_kind = complaint_list(viewer, clients=clients, start=start, end=end).order_by()
    complaints = complaint_list(viewer, clients=clients, start=start, end=end, kind=kind).order_by()
    by_status = dict(complaints.values_list("status").annotate(n=Count("id")))
    by_source = dict(complaints.values_list("source").annotate(n=Count("id")))
    count = clients.count()
    durations = sorted(
        (closed - created).total_seconds() / 86400
        for created, closed in complaints.filter(closed_at__isnull=False).values_list("created_at", "closed_at")
    )
    return {
        "statuses": [(value, label, by_status.get(value, 0)) for value, label in Complaint.Status.choices],
        "sources": [(label, by_source.get(value, 0)) for value, label in Complaint.Source.choices],
        "kinds": complaint_kind_counts(every_kind),
        "total": sum(by_status.values()),
        "complaining_share": (100.0 * complaints.values("client").distinct().count() / count) if count else None,
        "median_days_to_close": statistics.median(durations) if durations else None,
    }


def home_panel(viewer: Viewer) -> dict:
    today = timezone.localdate()
    clients = clients_visible_to(viewer)
    points = scoped(viewer, ControlPoint).filter(done_at__isnull=True, due_date__lt=today)
    if viewer.role == Role.MANAGER:
        points = points.filter(client__manager=viewer.user)
    return {
        "client_count": clients.count(),
        "overdue_count": points.count(),
        "open_complaints": visible_rows(viewer, Complaint).exclude(status=Complaint.Status.CLOSED).count(),
    }
