"""Reads of the client register: what a user may see, lists, the card, the day, deals, KPIs."""

import datetime
from dataclasses import dataclass

import pandas as pd
from django.db.models import Count, Exists, FloatField, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast, TruncMonth
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from crm_portal.models import Membership, Role
from crm_portal.tenancy import scoped

from . import kpis, lifecycle
from .development import development_stage
from .models import (
    STAGE_ORDER,
    ClassChange,
    Client,
    Complaint,
    ComplaintStep,
    Contact,
    ContactPerson,
    ControlPoint,
    Deal,
    DealDocument,
    DealEvent,
    Offer,
    Product,
    SatisfactionAssessment,
    Settlement,
)

EDITOR_ROLES = (Role.MANAGER, Role.SALES_HEAD, Role.ADMIN)
DEVELOPMENT_LABELS = {
    "acquisition": _("First acquisition"),
    "first_sale": _("First sale"),
    "repeat_first": _("Repeat sales of the first product"),
    "new_line": _("First sale of another product line"),
    "repeat_new": _("Repeat sales of the new lines"),
}


def clients_visible_to(request: HttpRequest) -> QuerySet[Client]:
    """Clients the request's user may see: a manager their own, everyone else all of the organization."""
    if request.organization is None:
        return Client.objects.none()
    return clients_visible(organization=request.organization, user=request.user, role=request.role)


def clients_visible(*, organization, user, role: str | None) -> QuerySet[Client]:
    """The same rule without a request (for jobs): a manager's own clients, else all of the organization."""
    clients = Client.objects.filter(organization=organization)
    if role == Role.MANAGER:
        clients = clients.filter(manager=user)
    elif role is None:
        clients = clients.none()
    return clients


def visible_rows(request: HttpRequest, model) -> QuerySet:
    """Rows of a model hanging off a client (deals, complaints...) whose client the user may see."""
    rows = scoped(request, model)
    if request.role == Role.MANAGER:
        rows = rows.filter(client__manager=request.user)
    return rows


def can_edit(request: HttpRequest) -> bool:
    return request.role in EDITOR_ROLES


def organization_managers(organization) -> QuerySet:
    """Users who may be responsible for clients: the organization's managers and sales heads."""
    from django.contrib.auth import get_user_model

    ids = Membership.objects.filter(organization=organization, role__in=[Role.MANAGER, Role.SALES_HEAD]).values("user_id")
    return get_user_model().objects.filter(pk__in=ids).order_by("username")


# The list ----------------------------------------------------------------------------------


def overdue_points(today: datetime.date) -> QuerySet[ControlPoint]:
    return ControlPoint.objects.filter(client=OuterRef("pk"), done_at__isnull=True, due_date__lt=today)


def _settled(organization_id: int, low: datetime.date | None, high: datetime.date) -> Exists:
    """A settlement of the client within (low, high] (low None: on or before high).

    The organization filter lets PostgreSQL read the (organization, date, client) index alone.
    """
    rows = Settlement.objects.filter(organization_id=organization_id, client=OuterRef("pk"), date__lte=high)
    if low is not None:
        rows = rows.filter(date__gt=low)
    return Exists(rows)


def state_conditions(organization_id: int, as_of: datetime.date, period: int) -> dict[str, Q]:
    """One SQL condition per lifecycle state as of a date; the same rules as `lifecycle.py`."""
    one_back, two_back = lifecycle.window_bounds(as_of, period)
    recent = _settled(organization_id, one_back, as_of)
    previous = _settled(organization_id, two_back, one_back)
    older = _settled(organization_id, None, two_back)
    return {
        lifecycle.POTENTIAL: ~Q(recent) & ~Q(previous) & ~Q(older),
        lifecycle.LOST: ~Q(recent) & (Q(previous) | Q(older)),
        lifecycle.NEW: Q(recent) & ~Q(previous) & ~Q(older),
        lifecycle.RENEWED: Q(recent) & ~Q(previous) & Q(older),
        lifecycle.REGULAR: Q(recent) & Q(previous),
    }


@dataclass
class ClientFilter:
    q: str = ""
    state: str = ""
    manager: int | None = None
    segment: int | None = None
    abc: str = ""
    xyz: str = ""
    overdue: bool = False
    as_of: datetime.date | None = None
    sort: str = "name"


SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "abc": ("abc_class", "name", "id"),
    "state": ("lifecycle_state", "name", "id"),
    "manager": ("manager__username", "name", "id"),
}


def client_list(request: HttpRequest, wanted: ClientFilter) -> QuerySet[Client]:
    """The filtered, sorted client list; with `as_of` the states are computed for that date."""
    today = timezone.localdate()
    clients = clients_visible_to(request).select_related("manager", "segment")
    if wanted.q:
        clients = clients.filter(
            Q(name__icontains=wanted.q) | Q(external_id=wanted.q) | Q(tax_number=wanted.q)
        )
    if wanted.manager:
        clients = clients.filter(manager_id=wanted.manager)
    if wanted.segment:
        clients = clients.filter(segment_id=wanted.segment)
    if wanted.abc:
        clients = clients.filter(abc_class="" if wanted.abc == "-" else wanted.abc)
    if wanted.xyz:
        clients = clients.filter(xyz_class="" if wanted.xyz == "-" else wanted.xyz)
    if wanted.overdue:
        clients = clients.filter(Exists(overdue_points(today)))
    if wanted.state and wanted.as_of:
        conditions = state_conditions(request.organization.pk, wanted.as_of, request.organization.lifecycle_period_months)
        clients = clients.filter(conditions[wanted.state])
    elif wanted.state:
        clients = clients.filter(lifecycle_state=wanted.state)
    clients = clients.annotate(has_overdue=Exists(overdue_points(today)))
    return clients.order_by(*SORTS.get(wanted.sort, SORTS["name"]))


def attach_states(clients: list[Client], as_of: datetime.date | None, period: int) -> list[Client]:
    """Set `state_shown` on each client: its stored state, or its state as of a date.

    As-of states are computed for the rows shown only (one query per 5,000), with the pure rules.
    """
    if as_of is None:
        for client in clients:
            client.state_shown = client.lifecycle_state
        return clients
    for start in range(0, len(clients), 5000):
        chunk = clients[start:start + 5000]
        dates: dict[int, list] = {c.pk: [] for c in chunk}
        rows = Settlement.objects.filter(client_id__in=list(dates), date__lte=as_of).values_list("client_id", "date")
        for client_id, day in rows.order_by():
            dates[client_id].append(day)
        for client in chunk:
            client.state_shown = lifecycle.lifecycle_state(dates[client.pk], as_of, period)
    return clients


# The card ----------------------------------------------------------------------------------


def monthly_totals(client: Client) -> list[dict]:
    return list(
        client.settlements.annotate(month=TruncMonth("date")).values("month")
        .annotate(total=Sum("amount"), count=Count("id")).order_by("-month")
    )


TIMELINE_LIMIT = 30


def timeline(client: Client, *, settlements: list, class_changes: list, state_changes: list) -> list[dict]:
    """Everything that happened with the client, newest first (the latest of each kind).

    The settlements and histories the card has already read are passed in, not read twice.
    """
    items = []
    n = TIMELINE_LIMIT

    def add(day, kind, text, url_obj=None, who=None):
        if isinstance(day, datetime.datetime):
            day = timezone.localtime(day).date()
        items.append({"date": day, "kind": kind, "text": text, "obj": url_obj, "who": who})

    for c in client.contacts.select_related("author")[:n]:
        add(c.date, "contact", f"{c.get_kind_display()}: {c.summary}", who=c.author)
    for e in DealEvent.objects.filter(deal__client=client).select_related("deal", "author").order_by("-date", "-id")[:n]:
        stage = e.get_to_stage_display() or e.get_from_stage_display()
        add(e.date, "deal", f"{e.deal.title}: {e.get_kind_display()} ({stage})", e.deal, e.author)
    for d in DealDocument.objects.filter(deal__client=client).select_related("deal", "author")[:n]:
        number = f" № {d.number}" if d.number else ""
        add(d.date, "document", f"{d.deal.title}: {d.get_kind_display()}{number}", d.deal, d.author)
    for s in settlements:
        doc = f" · {s.document}" if s.document else ""
        add(s.date, "settlement", f"{number_format(s.amount, 2, force_grouping=True)}{doc}" + (f" · {s.product.name}" if s.product else ""))
    for step in ComplaintStep.objects.filter(complaint__client=client).select_related("complaint", "author").order_by("-created_at")[:n]:
        add(step.created_at, "complaint", f"{step.complaint.subject}: {step.get_status_display()}", step.complaint, step.author)
    for a in client.assessments.all()[:n]:
        add(a.date, "survey", ", ".join(f"{SatisfactionAssessment.ITEMS.get(k, k)} {v}" for k, v in a.scores.items()))
    for c in class_changes:
        add(c.as_of, "class", f"{c.previous_abc or '—'}{c.previous_xyz} → {c.abc_class or '—'}{c.xyz_class} ({c.run_label})")
    for s in state_changes:
        if s.previous_state:
            add(s.as_of, "state", f"{s.get_previous_state_display()} → {s.get_state_display()}")
        else:
            add(s.as_of, "state", _("First purchase: %(state)s") % {"state": s.get_state_display()})
    items.sort(key=lambda item: item["date"], reverse=True)
    return items[: 3 * n]


def target_products(client: Client) -> list[Product]:
    if client.segment_id is None:
        return []
    return list(client.segment.target_products.all())


def maturity(client: Client, targets: list[Product], in_use: set[int]) -> float | None:
    """Share of the segment's target products the client uses (None without targets)."""
    if not targets:
        return None
    return sum(1 for p in targets if p.pk in in_use) / len(targets)


def offer_rows(client: Client, targets: list[Product], in_use: set[int]) -> list[dict]:
    """The target products with their status; those not used and not refused are the next offers."""
    offers = {o.product_id: o for o in Offer.objects.filter(client=client)}
    rows = []
    for product in targets:
        offer = offers.get(product.pk)
        rows.append({
            "product": product,
            "offer": offer,
            "in_use": product.pk in in_use,
            "next": product.pk not in in_use and (offer is None or offer.status in (Offer.Status.NOT_OFFERED, Offer.Status.OFFERED)),
        })
    return rows


def client_card(client: Client) -> dict:
    products_in_use = list(client.products.all())
    in_use = {p.pk for p in products_in_use}
    targets = target_products(client)
    today = timezone.localdate()
    settlements = list(client.settlements.select_related("product")[:TIMELINE_LIMIT])
    class_history = list(client.class_changes.all()[:TIMELINE_LIMIT])
    state_history = list(client.state_changes.all()[:TIMELINE_LIMIT])
    purchases = client.settlements.values_list("date", "product_id").order_by()
    return {
        "development": DEVELOPMENT_LABELS[development_stage(purchases)],
        "persons": list(client.persons.all()),
        "products_in_use": products_in_use,
        "totals": monthly_totals(client),
        "settlements": settlements[:20],
        "deals": list(client.deals.select_related("product", "refusal_reason")[:20]),
        "complaints": list(client.complaints.select_related("owner")[:20]),
        "points": list(client.control_points.filter(done_at__isnull=True).select_related("deal")[:30]),
        "class_history": class_history,
        "state_history": state_history,
        "audit": list(client.audit_entries.select_related("user")[:15]),
        "timeline": timeline(client, settlements=settlements, class_changes=class_history, state_changes=state_history),
        "offers": offer_rows(client, targets, in_use),
        "maturity": maturity(client, targets, in_use),
        "today": today,
    }


# My day, deals, complaints -----------------------------------------------------------------


def my_day(request: HttpRequest) -> dict:
    today = timezone.localdate()
    points = scoped(request, ControlPoint).filter(done_at__isnull=True, due_date__lte=today).select_related("client", "deal")
    if request.role == Role.MANAGER:
        points = points.filter(Q(responsible=request.user) | Q(client__manager=request.user))
    else:
        points = points.filter(responsible=request.user)
    points = list(points.order_by("due_date", "id")[:300])
    return {
        "overdue": [p for p in points if p.due_date < today],
        "today_points": [p for p in points if p.due_date == today],
        "birthdays": upcoming_birthdays(request, today),
        "today": today,
    }


def upcoming_birthdays(request: HttpRequest, today: datetime.date, days: int = 7) -> list[ContactPerson]:
    """Contact persons of the visible clients whose birthday falls within the next week: a reason to greet."""
    dates = [today + datetime.timedelta(days=n) for n in range(days)]
    when = Q()
    for day in dates:
        when |= Q(birthday__month=day.month, birthday__day=day.day)
    people = scoped(request, ContactPerson).filter(when).select_related("client")
    if request.role == Role.MANAGER:
        people = people.filter(client__manager=request.user)
    order = {(d.month, d.day): n for n, d in enumerate(dates)}
    return sorted(people[:100], key=lambda p: order[(p.birthday.month, p.birthday.day)])


def deals_by_stage(request: HttpRequest) -> dict:
    deals = visible_rows(request, Deal).filter(status=Deal.Status.OPEN).select_related("client", "product")
    board = {stage: [] for stage in STAGE_ORDER}
    counts = dict(deals.values_list("stage").annotate(n=Count("id")))
    for deal in deals.order_by("stage", "-updated_at")[:600]:
        if len(board[deal.stage]) < 50:
            board[deal.stage].append(deal)
    return {"board": board, "counts": counts}


def funnel(request: HttpRequest) -> list[dict]:
    """Deals that reached each stage, and the share that went on to the next one."""
    deals = visible_rows(request, Deal)
    reached = {stage: 0 for stage in STAGE_ORDER}
    refused = dict(deals.filter(status=Deal.Status.REFUSED).values_list("stage").annotate(n=Count("id")))
    for stage, status, n in deals.values_list("stage", "status").annotate(n=Count("id")):
        last = STAGE_ORDER.index(stage)
        for earlier in STAGE_ORDER[: last + 1]:
            reached[earlier] += n
    won = deals.filter(status=Deal.Status.WON).count()
    rows = []
    for i, stage in enumerate(STAGE_ORDER):
        following = reached[STAGE_ORDER[i + 1]] if i + 1 < len(STAGE_ORDER) else won
        rows.append({
            "stage": stage,
            "reached": reached[stage],
            "refused": refused.get(stage, 0),
            "next": following,
            "conversion": (100.0 * following / reached[stage]) if reached[stage] else None,
        })
    return rows


def refusals_by_stage(request: HttpRequest) -> list[dict]:
    return list(
        visible_rows(request, Deal).filter(status=Deal.Status.REFUSED)
        .values("stage", "refusal_reason__name").annotate(n=Count("id")).order_by("stage", "-n")
    )


def complaint_list(request: HttpRequest, status: str = "") -> QuerySet[Complaint]:
    rows = visible_rows(request, Complaint).select_related("client", "owner")
    if status:
        rows = rows.filter(status=status)
    return rows


def home_panel(request: HttpRequest) -> dict:
    today = timezone.localdate()
    clients = clients_visible_to(request)
    points = scoped(request, ControlPoint).filter(done_at__isnull=True, due_date__lt=today)
    if request.role == Role.MANAGER:
        points = points.filter(client__manager=request.user)
    return {
        "client_count": clients.count(),
        "overdue_count": points.count(),
        "open_complaints": visible_rows(request, Complaint).exclude(status=Complaint.Status.CLOSED).count(),
    }


# KPIs ----------------------------------------------------------------------------------------


def kpi_tables(*, organization, clients: QuerySet[Client], start: datetime.date, end: datetime.date) -> dict:
    """The manager and client KPI tables of a period, for the given clients (section 3 of the domain)."""
    client_rows = list(clients.values_list("pk", "name", "manager__username", "abc_class", "xyz_class"))
    ids = [row[0] for row in client_rows]
    rows = (Settlement.objects.filter(organization=organization).filter(client__in=clients, date__lte=end)
            .annotate(value=Cast("amount", FloatField())).values_list("client_id", "date", "value", "product_id"))
    settlements = pd.DataFrame(list(rows.order_by()), columns=["client_id", "date", "amount", "product_id"])
    settlements["amount"] = settlements["amount"].astype(float)
    settlements["product_id"] = settlements["product_id"].astype(float)
    contacts = Contact.objects.filter(organization=organization).filter(client__in=clients)
    first_contacts = pd.Series(dict(contacts.values("client_id").annotate(first=Min("date")).values_list("client_id", "first")),
                               dtype=object)
    period = organization.lifecycle_period_months
    per_client = kpis.client_kpis(settlements, first_contacts, ids, start, end, period)
    contact_counts = dict(contacts.filter(date__range=(start, end)).values_list("client_id").annotate(n=Count("id")))
    complaint_counts = dict(Complaint.objects.filter(organization=organization).filter(client__in=clients, created_at__date__range=(start, end))
                            .values_list("client_id").annotate(n=Count("id")))
    class_changes = dict(ClassChange.objects.filter(organization=organization).filter(client__in=clients, as_of__range=(start, end))
                         .values_list("client_id").annotate(n=Count("id")))
    per_client["contacts"] = per_client.index.map(contact_counts).fillna(0)
    per_client["complaints"] = per_client.index.map(complaint_counts).fillna(0)
    managers = pd.Series({row[0]: row[2] or "—" for row in client_rows})
    totals = kpis.manager_totals(per_client, managers)
    for column in ("contacts", "complaints"):
        totals[column] = per_client.groupby(managers.reindex(per_client.index))[column].sum()
    info = pd.DataFrame(client_rows, columns=["pk", "name", "manager", "abc", "xyz"]).set_index("pk")
    active = per_client[(per_client["sales_sum"] != 0) | (per_client["contacts"] > 0) | (per_client["lost"] > 0)
                        | (per_client["complaints"] > 0) | (per_client["first_contact"] > 0)]
    active = active.join(info).sort_values("sales_sum", ascending=False, kind="stable")
    active["manager"] = active["manager"].fillna("—")
    active["klass"] = active["abc"] + active["xyz"]
    active["class_changes"] = active.index.map(class_changes).fillna(0).astype(int)
    client_table = active.rename_axis("pk").reset_index().to_dict("records")
    grand = totals.sum(numeric_only=True)
    grand["conversion"] = (100 * grand["converted"] / grand["first_contact"]) if grand["first_contact"] else None
    grand["products_per_client"] = (grand["products"] / grand["buyers"]) if grand["buyers"] else None
    return {
        "managers": [{"manager": m, **r.to_dict()} for m, r in totals.iterrows()],
        "grand": grand.to_dict(),
        "clients": client_table,
    }
