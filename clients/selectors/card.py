"""A client's card: its timeline, monthly totals, offers against the ideal-client matrix, its audit trail."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from crm_portal.models import Organization

from ..development import development_stage
from ..models import (
    AuditEntry,
    Client,
    ComplaintStep,
    ControlPoint,
    DealDocument,
    DealEvent,
    LifecycleState,
    Offer,
    Product,
    SatisfactionAssessment,
    Segment,
    Stage,
)

DEVELOPMENT_LABELS = {
    "acquisition": _("First acquisition"),
    "first_sale": _("First sale"),
    "repeat_first": _("Repeat sales of the first product"),
    "new_line": _("First sale of another product line"),
    "repeat_new": _("Repeat sales of the new lines"),
}


def monthly_totals(client: Client) -> list[dict]:
    return list(
        client.settlements.annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by("-month")
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
    for e in (
        DealEvent.objects.filter(deal__client=client).select_related("deal", "author").order_by("-date", "-id")[:n]
    ):
        stage = e.get_to_stage_display() or e.get_from_stage_display()
        add(e.date, "deal", f"{e.deal.title}: {e.get_kind_display()} ({stage})", e.deal, e.author)
    for d in DealDocument.objects.filter(deal__client=client).select_related("deal", "author")[:n]:
        number = f" № {d.number}" if d.number else ""
        add(d.date, "document", f"{d.deal.title}: {d.get_kind_display()}{number}", d.deal, d.author)
    for s in settlements:
        doc = f" · {s.document}" if s.document else ""
        add(
            s.date,
            "settlement",
            f"{number_format(s.amount, 2, force_grouping=True)}{doc}" + (f" · {s.product.name}" if s.product else ""),
        )
    for step in (
        ComplaintStep.objects.filter(complaint__client=client)
        .select_related("complaint", "author")
        .order_by("-created_at")[:n]
    ):
        add(
            step.created_at,
            "complaint",
            f"{step.complaint.subject}: {step.get_status_display()}",
            step.complaint,
            step.author,
        )
    for a in client.assessments.all()[:n]:
        add(a.date, "survey", ", ".join(f"{SatisfactionAssessment.ITEMS.get(k, k)} {v}" for k, v in a.scores.items()))
    for c in class_changes:
        add(
            c.as_of,
            "class",
            f"{c.previous_abc or '—'}{c.previous_xyz} → {c.abc_class or '—'}{c.xyz_class} ({c.run_label})",
        )
    for s in state_changes:
        if s.previous_state == LifecycleState.POTENTIAL:
            add(s.as_of, "state", _("First purchase: %(state)s") % {"state": s.get_state_display()})
        else:
            add(s.as_of, "state", f"{s.get_previous_state_display()} → {s.get_state_display()}")
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
        rows.append(
            {
                "product": product,
                "offer": offer,
                "in_use": product.pk in in_use,
                "next": product.pk not in in_use
                and (offer is None or offer.status in (Offer.Status.NOT_OFFERED, Offer.Status.OFFERED)),
            }
        )
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
    "date": _("date"),
    "amount": _("amount"),
    "refund": _("refund or correction"),
    "document": _("document number"),
    "kind": _("kind"),
    "due_date": _("due date"),
    "title": _("title"),
    "stage": _("stage"),
    "reason": _("reason"),
    "next_contact_on": _("next contact"),
    "number": _("number"),
    "product": _("product"),
    "status": _("status"),
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
    state_history = list(client.state_changes.filter(as_of__lte=today)[:TIMELINE_LIMIT])
    # The history runs ahead of today: the day the client will be lost if nothing else is bought.
    state_next = client.state_changes.filter(as_of__gt=today).order_by("as_of").first()
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
        "state_next": state_next,
        "audit": audit_rows(client.audit_entries.select_related("user")[:15]),
        "timeline": timeline(client, settlements=settlements, class_changes=class_history, state_changes=state_history),
        "offers": offer_rows(client, targets, in_use),
        "maturity": maturity(client, targets, in_use),
        "today": today,
    }
