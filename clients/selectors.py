"""Reads of the client register: what a user may see, lists, the card, the day, deals, KPIs."""

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Model, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from crm_portal.models import Membership, Organization, Role
from crm_portal.tenancy import Viewer, scoped

from . import lifecycle
from .development import development_stage
from .models import (
    STAGE_ORDER,
    AuditEntry,
    Client,
    Complaint,
    ComplaintStep,
    ContactPerson,
    ControlPoint,
    Deal,
    DealDocument,
    DealEvent,
    Offer,
    Product,
    SatisfactionAssessment,
    Segment,
    Settlement,
    Stage,
)

EDITOR_ROLES = (Role.MANAGER, Role.SALES_HEAD, Role.ADMIN)
DEVELOPMENT_LABELS = {
    "acquisition": _("First acquisition"),
    "first_sale": _("First sale"),
    "repeat_first": _("Repeat sales of the first product"),
    "new_line": _("First sale of another product line"),
    "repeat_new": _("Repeat sales of the new lines"),
}


def clients_visible_to(viewer: Viewer) -> QuerySet[Client]:
    """Clients the viewer may see: a manager their own, every other role all of the organization, no role none.

    Pages pass `request.viewer`; a job builds a `Viewer` from the user who asked for it.
    """
    if viewer.organization is None or viewer.role is None:
        return Client.objects.none()
    clients = Client.objects.filter(organization=viewer.organization)
    if viewer.role == Role.MANAGER:
        clients = clients.filter(manager=viewer.user)
    return clients


def visible_rows(viewer: Viewer, model: type[Model]) -> QuerySet:
    """Rows of a model hanging off a client (deals, complaints...) whose client the viewer may see."""
    rows = scoped(viewer, model)
    if viewer.role == Role.MANAGER:
        rows = rows.filter(client__manager=viewer.user)
    return rows


def can_edit(role: str | None) -> bool:
    return role in EDITOR_ROLES


def organization_managers(organization: Organization) -> QuerySet[AbstractBaseUser]:
    """Users who may be responsible for clients: the organization's managers and sales heads."""
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


def client_list(viewer: Viewer, wanted: ClientFilter) -> QuerySet[Client]:
    """The filtered, sorted client list; with `as_of` the states are computed for that date."""
    today = timezone.localdate()
    clients = clients_visible_to(viewer).select_related("manager", "segment")
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
        organization = viewer.organization
        conditions = state_conditions(organization.pk, wanted.as_of, organization.lifecycle_period_months)
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


def target_grid(*, organization: Organization) -> dict:
    """The ideal-client matrix: each segment with, per product, whether it is one of the segment's targets."""
    segments = list(Segment.objects.for_org(organization).prefetch_related("target_products"))
    products = list(Product.objects.for_org(organization))
    targets = {(s.pk, p.pk) for s in segments for p in s.target_products.all()}
    return {"grid": [(s, [(p, (s.pk, p.pk) in targets) for p in products]) for s in segments], "products": products}


AUDIT_ACTIONS = {
    "client.created": _("Client created"),
    "client.updated": _("Client changed"),
    "client.assigned": _("Given to another manager"),
    "person.added": _("Contact person added"),
    "settlement.added": _("Settlement entered"),
    "point.added": _("Control point added"),
    "deal.created": _("Deal opened"),
    "deal.moved": _("Deal moved to the next stage"),
    "deal.won": _("Deal won"),
    "deal.refused": _("Deal refused"),
    "deal.document": _("Deal document recorded"),
    "deal.retry": _("Presentation declined, retry planned"),
    "deal.clarification": _("Offer needs clarification"),
    "deal.part_payment": _("Part payment received"),
    "deal.refund": _("Refund after prepayment"),
    "deal.deferral": _("Deferred payment agreed"),
    "deal.reopened": _("Deal open again: a refund left it short of full payment"),
    "offer.set": _("Offer status set"),
}
# The log lists an entry's fields in this order, then the client's fields in the model's order:
# PostgreSQL keeps no key order in a JSON object (jsonb sorts the keys), so the stored order cannot serve.
AUDIT_FIELDS = {
    "date": _("date"), "amount": _("amount"), "refund": _("refund or correction"), "document": _("document number"),
    "kind": _("kind"), "due_date": _("due date"), "title": _("title"), "stage": _("stage"), "reason": _("reason"),
    "next_contact_on": _("next contact"), "number": _("number"), "product": _("product"), "status": _("status"),
    "note": _("note"),
}
AUDIT_DATES = {"date", "due_date", "next_contact_on"}
AUDIT_ORDER = {name: n for n, name in enumerate(dict.fromkeys([*AUDIT_FIELDS, *(f.name for f in Client._meta.fields)]))}


def _audit_value(action: str, field: str, value: object) -> str:
    """One stored audit value in the reader's language: dates, amounts and choices as people write them."""
    if value in (None, ""):
        return "—"
    if value is True:
        return str(_("yes"))
    text = str(value)
    try:
        if field in AUDIT_DATES:
            return formats.date_format(datetime.date.fromisoformat(text), "SHORT_DATE_FORMAT")
        if field == "amount":
            return number_format(Decimal(text), 2, force_grouping=True)
    except (ValueError, ArithmeticError):
        return text
    choices = {
        "stage": dict(Stage.choices),
        "status": dict(Offer.Status.choices),
        "kind": dict(DealDocument.Kind.choices if action == "deal.document" else ControlPoint.Kind.choices),
        "main_customers": dict(Client.Customers.choices),
    }.get(field)
    if field == "kind" and action == "client.updated":
        choices = dict(Client.Kind.choices)
    if field == "has_branches":
        return str(_("yes") if text == "True" else _("no"))
    return str(choices.get(text, text)) if choices else text


def _audit_label(field: str) -> str:
    if field in AUDIT_FIELDS:
        return str(AUDIT_FIELDS[field])
    try:
        return str(Client._meta.get_field(field).verbose_name)
    except Exception:  # a field that no longer exists keeps its stored name
        return field


def audit_rows(entries: Iterable[AuditEntry]) -> list[dict]:
    """The card's change log: translated action names, field labels and readable values."""
    rows = []
    for entry in entries:
        changes = []
        fields = sorted((entry.changes or {}).items(), key=lambda item: AUDIT_ORDER.get(item[0], len(AUDIT_ORDER)))
        for field, value in fields:
            if isinstance(value, list) and len(value) == 2:
                text = f"{_audit_value(entry.action, field, value[0])} → {_audit_value(entry.action, field, value[1])}"
            else:
                text = _audit_value(entry.action, field, value)
            changes.append((_audit_label(field), text))
        rows.append({"entry": entry, "action": str(AUDIT_ACTIONS.get(entry.action, entry.action)), "changes": changes})
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
        "audit": audit_rows(client.audit_entries.select_related("user")[:15]),
        "timeline": timeline(client, settlements=settlements, class_changes=class_history, state_changes=state_history),
        "offers": offer_rows(client, targets, in_use),
        "maturity": maturity(client, targets, in_use),
        "today": today,
    }


# My day, deals, complaints -----------------------------------------------------------------


def my_day(viewer: Viewer) -> dict:
    today = timezone.localdate()
    points = scoped(viewer, ControlPoint).filter(done_at__isnull=True, due_date__lte=today).select_related("client", "deal")
    if viewer.role == Role.MANAGER:
        points = points.filter(Q(responsible=viewer.user) | Q(client__manager=viewer.user))
    else:
        points = points.filter(responsible=viewer.user)
    points = list(points.order_by("due_date", "id")[:300])
    return {
        "overdue": [p for p in points if p.due_date < today],
        "today_points": [p for p in points if p.due_date == today],
        "birthdays": upcoming_birthdays(viewer, today),
        "today": today,
    }


def upcoming_birthdays(viewer: Viewer, today: datetime.date, days: int = 7) -> list[ContactPerson]:
    """Contact persons of the visible clients whose birthday falls within the next week: a reason to greet."""
    dates = [today + datetime.timedelta(days=n) for n in range(days)]
    when = Q()
    for day in dates:
        when |= Q(birthday__month=day.month, birthday__day=day.day)
    people = scoped(viewer, ContactPerson).filter(when).select_related("client")
    if viewer.role == Role.MANAGER:
        people = people.filter(client__manager=viewer.user)
    order = {(d.month, d.day): n for n, d in enumerate(dates)}
    return sorted(people[:100], key=lambda p: order[(p.birthday.month, p.birthday.day)])


@dataclass(frozen=True)
class DealMoney:
    """What a deal's client has paid: the deal's settlements, refunds taking it back."""

    amount: Decimal | None
    paid: Decimal  # net of refunds
    refunded: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.amount is None else max(self.amount - self.paid, Decimal(0))

    @property
    def paid_in_full(self) -> bool:
        return self.amount is not None and self.paid >= self.amount


def deal_money(deal: Deal) -> DealMoney:
    sums = deal.settlements.aggregate(received=Sum("amount", filter=Q(amount__gt=0)),
                                      returned=Sum("amount", filter=Q(amount__lt=0)))
    received, refunded = sums["received"] or Decimal(0), -(sums["returned"] or Decimal(0))
    return DealMoney(amount=deal.amount, paid=received - refunded, refunded=refunded)


def deal_page(deal: Deal) -> dict:
    """The deal page's reads: the deal, its history, documents, control points, money and stages."""
    following = deal.stage_index + 1
    return {
        "deal": deal,
        "events": deal.events.select_related("author").order_by("-created_at", "-id"),
        "points": deal.control_points.order_by("due_date"),
        "documents": deal.documents.select_related("author"),
        "money": deal_money(deal),
        "next_stage": Stage(STAGE_ORDER[following]).label if following < len(STAGE_ORDER) else None,
        "stage_names": [(s, Stage(s).label) for s in STAGE_ORDER],
    }


def deals_by_stage(viewer: Viewer) -> dict:
    deals = visible_rows(viewer, Deal).filter(status=Deal.Status.OPEN).select_related("client", "product")
    board = {stage: [] for stage in STAGE_ORDER}
    counts = dict(deals.values_list("stage").annotate(n=Count("id")))
    for deal in deals.order_by("stage", "-updated_at")[:600]:
        if len(board[deal.stage]) < 50:
            board[deal.stage].append(deal)
    return {"board": board, "counts": counts}


def funnel(viewer: Viewer) -> list[dict]:
    """Deals that reached each stage, and the share that went on to the next one."""
    deals = visible_rows(viewer, Deal)
    reached = {stage: 0 for stage in STAGE_ORDER}
    refused = dict(deals.filter(status=Deal.Status.REFUSED).values_list("stage").annotate(n=Count("id")))
    for stage, _status, n in deals.values_list("stage", "status").annotate(n=Count("id")):
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


def refusals_by_stage(viewer: Viewer) -> list[dict]:
    return list(
        visible_rows(viewer, Deal).filter(status=Deal.Status.REFUSED)
        .values("stage", "refusal_reason__name").annotate(n=Count("id")).order_by("stage", "-n")
    )


def complaint_list(viewer: Viewer, status: str = "") -> QuerySet[Complaint]:
    rows = visible_rows(viewer, Complaint).select_related("client", "owner")
    if status:
        rows = rows.filter(status=status)
    return rows


def complaint_counts(viewer: Viewer) -> dict:
    """The complaints list's figures: how many by status and by source, and the share of clients who complained."""
    complaints = visible_rows(viewer, Complaint)
    by_status = dict(complaints.values_list("status").annotate(n=Count("id")))
    by_source = dict(complaints.values_list("source").annotate(n=Count("id")))
    clients = clients_visible_to(viewer).count()
    return {
        "statuses": [(value, label, by_status.get(value, 0)) for value, label in Complaint.Status.choices],
        "sources": [(label, by_source.get(value, 0)) for value, label in Complaint.Source.choices],
        "total": sum(by_status.values()),
        "complaining_share": (100.0 * complaints.values("client").distinct().count() / clients) if clients else None,
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


# KPIs ----------------------------------------------------------------------------------------


KPI_SUMS = ["clients", "first_sale_n", "first_sale_sum", "repeat_n", "repeat_sum", "new_line_n", "new_line_sum",
            "sales_sum", "products", "lost", "restored", "potential", "first_contact", "converted", "contacts",
            "complaints", "buyers"]

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


def kpi_tables(*, organization: Organization, clients: QuerySet[Client], start: datetime.date, end: datetime.date,
               limit: int | None = None) -> dict:
    """The manager and client KPI tables of a period, for the given clients (section 3 of the domain).

    One query: the database does the counting (rules in `kpis.py`). `limit` caps the client rows
    returned (the largest sales first); `active_count` says how many clients had activity.
    """
    period = organization.lifecycle_period_months
    visible, visible_params = (
        clients.order_by().annotate(kpi_manager=F("manager__username"))
        .values_list("pk", "kpi_manager", "name", "abc_class", "xyz_class").query.sql_with_params()
    )
    # Complaints count by their local registration day: the period's bounds as instants, in the
    # form the database stores them (naive UTC text on SQLite), so the index on the column serves.
    created_from, created_until = (
        connection.ops.adapt_datetimefield_value(timezone.make_aware(datetime.datetime.combine(day, datetime.time.min)))
        for day in (start, end + datetime.timedelta(days=1))
    )
    params = {
        "org": organization.pk, "start": start, "end": end, "period": period,
        "lost_end": lifecycle.months_before(end, period),
        "lost_start": lifecycle.months_before(start - datetime.timedelta(days=1), period),
        "created_from": created_from, "created_until": created_until,
    }
    # The visible clients' SQL has positional parameters: name them so both styles do not mix.
    for number, value in enumerate(visible_params):
        params[f"v{number}"] = value
    visible = visible % tuple(f"%(v{n})s" for n in range(len(visible_params)))
    ids, ids_params = clients.order_by().values("pk").query.sql_with_params()
    for number, value in enumerate(ids_params):
        params[f"i{number}"] = value
    ids = ids % tuple(f"%(i{n})s" for n in range(len(ids_params)))
    sums = ", ".join(f"CAST(SUM({c}) AS FLOAT) AS {c}" if c != "clients" else "CAST(COUNT(*) AS FLOAT) AS clients"
                     for c in KPI_SUMS)
    client_values = ", ".join("CAST(1 AS FLOAT)" if c == "clients" else f"CAST(a.{c} AS FLOAT)" for c in KPI_SUMS)
    count_sums = ", ".join("CAST(COUNT(*) AS FLOAT)" if c == "clients" else "CAST(NULL AS FLOAT)" for c in KPI_SUMS)
    sql = KPI_SQL.format(clients=visible, client_ids=ids, sums=sums, count_sums=count_sums, client_values=client_values,
                         lost_by=LOST_BY_SQL[connection.vendor], limit="" if limit is None else f"LIMIT {int(limit)}")
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
            client_rows.append({"pk": row["id"], "name": row["name"], "manager": row["manager"], "klass": row["klass"],
                                "class_changes": row["class_changes"], **{c: row[c] for c in KPI_SUMS}})
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
    parts.append("(SELECT COUNT(*) || '-' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM clients_client "
                 "WHERE organization_id = %(org)s)")
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
        data = kpi_tables(organization=organization, clients=clients_visible_to(viewer), start=start, end=end, limit=limit)
        cache.set(key, data, KPI_CACHE_SECONDS)
    return data
