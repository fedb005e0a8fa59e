"""Deals through their stages: documents, payments, deviations, refusals."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import (
    STAGE_ORDER,
    Client,
    Complaint,
    ControlPoint,
    Deal,
    DealDocument,
    DealEvent,
    Product,
    RefusalReason,
    Settlement,
    Stage,
)
from ..selectors import deal_money
from .common import _audit, _check_same_org, _save, _user_or_none
from .complaints import SURVEY_AFTER_EVENT_DAYS, complaint_register
from .register import control_point_create
from .settlements import settlement_create


def _deal_event(
    deal: Deal,
    *,
    kind: str,
    user,
    date: datetime.date | None = None,
    note: str = "",
    amount: Decimal | None = None,
    from_stage: str = "",
    to_stage: str = "",
) -> DealEvent:
    event = DealEvent(
        organization_id=deal.organization_id,
        deal=deal,
        kind=kind,
        from_stage=from_stage,
        to_stage=to_stage,
        amount=amount,
        note=note[:300],
        date=date or timezone.localdate(),
        author=_user_or_none(user),
    )
    _save(event)
    return event


@transaction.atomic
def deal_create(
    *,
    client: Client,
    title: str,
    product: Product | None = None,
    amount: Decimal | None = None,
    user=None,
    manager=None,
) -> Deal:
    _check_same_org(client.organization, product=product)
    deal = Deal(
        organization_id=client.organization_id,
        client=client,
        title=title,
        product=product,
        amount=amount,
        manager=manager or _user_or_none(user) or client.manager,
    )
    _save(deal)
    _deal_event(deal, kind=DealEvent.Kind.CREATED, user=user, to_stage=deal.stage)
    _audit(client=client, deal=deal, user=user, action="deal.created", changes={"title": title})
    return deal


def _lock(deal: Deal) -> None:
    """Re-read the deal under a row lock: a double submit waits for the first and then sees its result."""
    deal.refresh_from_db(from_queryset=Deal.objects.select_for_update())


def _require_open(deal: Deal) -> None:
    if deal.status != Deal.Status.OPEN:
        raise ValidationError(_("This deal is finished; it cannot change any more."))


def _money(value: Decimal) -> str:
    return formats.number_format(value, 2, use_l10n=True, force_grouping=True)


def _require_paid_or_deferred(deal: Deal) -> None:
    """A deal goes past payment, and is won, only paid in full or with a deferred payment agreed (DOMAIN 3)."""
    if deal.payment_due_on is not None:
        return
    money = deal_money(deal)
    if money.paid_in_full:
        return
    if deal.amount is None:
        raise ValidationError(
            _(
                "The deal has no amount, so it cannot be paid in full: agree a deferred payment "
                "with its due date before the deal goes past payment or is won."
            )
        )
    raise ValidationError(
        _(
            "The client has paid %(paid)s of %(amount)s. Record the payment in full, or agree a deferred payment "
            "with its due date, before the deal goes past payment or is won."
        )
        % {"paid": _money(money.paid), "amount": _money(deal.amount)}
    )


# Dates a stage move may carry, and the control point each one becomes.
STAGE_DATES = {
    Stage.OFFER: ("offer_expires_on", ControlPoint.Kind.OFFER_EXPIRY),
    Stage.PAYMENT: ("invoice_due_on", ControlPoint.Kind.INVOICE_EXPIRY),
    Stage.EVENT: ("event_on", ControlPoint.Kind.EVENT),
}


@transaction.atomic
def deal_advance(
    *,
    deal: Deal,
    user=None,
    date: datetime.date | None = None,
    note: str = "",
    due_date: datetime.date | None = None,
    next_contact_on: datetime.date | None = None,
    amount: Decimal | None = None,
    from_stage: str | None = None,
) -> Deal:
    """Move a deal to the next stage; closing needs the next contact date and wins the deal.

    With `from_stage` (the stage the person saw), a deal already moved on is left as it is: a
    double click moves it once.

    `due_date` is the offer expiry (moving to offer), the invoice expiry (to payment) or the event
    date (to event); each becomes a control point. The move to payment issues the invoice: it needs
    the deal's `amount` (given here, or known from the start). Leaving payment and winning need the
    amount paid in full or a deferred payment agreed. Moving past the event plans the satisfaction survey.
    """
    _lock(deal)
    _require_open(deal)
    if from_stage is not None and deal.stage != from_stage:
        raise ValidationError(
            _("This deal has already moved on to “%(stage)s”; nothing was changed.")
            % {"stage": deal.get_stage_display()}
        )
    date = date or timezone.localdate()
    index = STAGE_ORDER.index(deal.stage)
    if deal.stage == Stage.CLOSING:
        if next_contact_on is None:
            raise ValidationError({"next_contact_on": _("Agree the next contact and give its date to close the deal.")})
        if next_contact_on < date:
            raise ValidationError({"next_contact_on": _("The next contact cannot be in the past.")})
        _require_paid_or_deferred(deal)
        deal.status = Deal.Status.WON
        deal.next_contact_on = next_contact_on
        _save(deal)
        _deal_event(deal, kind=DealEvent.Kind.CLOSED, user=user, date=date, note=note, from_stage=deal.stage)
        control_point_create(
            client=deal.client, deal=deal, kind=ControlPoint.Kind.NEXT_CONTACT, due_date=next_contact_on
        )
        _close_points(deal)
        _audit(
            client=deal.client,
            deal=deal,
            user=user,
            action="deal.won",
            changes={"next_contact_on": next_contact_on.isoformat()},
        )
        return deal
    new_stage = STAGE_ORDER[index + 1]
    needed = STAGE_DATES.get(new_stage)
    if needed and due_date is None:
        labels = {
            Stage.OFFER: _("Give the date the offer expires."),
            Stage.PAYMENT: _("Give the date the invoice expires."),
            Stage.EVENT: _("Give the date of the event."),
        }
        raise ValidationError({"due_date": labels[new_stage]})
    if due_date is not None and due_date < date and new_stage != Stage.EVENT:
        raise ValidationError({"due_date": _("This date cannot be before the move itself.")})
    changes = {"stage": [deal.stage, new_stage]}
    if new_stage == Stage.PAYMENT:
        if amount is None and deal.amount is None:
            raise ValidationError({"amount": _("Give the invoice amount: the client pays the deal against it.")})
        if amount is not None and amount != deal.amount:
            if amount <= 0:
                raise ValidationError({"amount": _("The invoice amount must be positive.")})
            changes["amount"] = [str(deal.amount or ""), str(amount)]
            deal.amount = amount
    elif amount is not None:
        raise ValidationError({"amount": _("The amount is set when the invoice is issued, on the move to payment.")})
    if deal.stage == Stage.PAYMENT:
        _require_paid_or_deferred(deal)
    old_stage = deal.stage
    deal.stage = new_stage
    _save(deal)
    # Points of the stage left behind are settled by the move.
    _close_points(deal)
    if needed:
        control_point_create(client=deal.client, deal=deal, kind=needed[1], due_date=due_date)
    if new_stage == Stage.CLOSING:
        control_point_create(
            client=deal.client,
            deal=deal,
            kind=ControlPoint.Kind.SURVEY,
            due_date=date + datetime.timedelta(days=SURVEY_AFTER_EVENT_DAYS),
        )
    _deal_event(
        deal, kind=DealEvent.Kind.MOVED, user=user, date=date, note=note, from_stage=old_stage, to_stage=new_stage
    )
    _audit(client=deal.client, deal=deal, user=user, action="deal.moved", changes=changes)
    return deal


def _close_points(deal: Deal, *, refused: bool = False) -> None:
    """Settle the deal's open points; the survey and the next contact lie ahead, and so do the
    preparation phases of an event still to come.

    An agreed deferred payment stays watched (its invoice-expiry point) until it is paid, unless the deal is refused.
    """
    keep = [ControlPoint.Kind.SURVEY, ControlPoint.Kind.NEXT_CONTACT]
    if deal.payment_due_on is not None and not refused:
        keep.append(ControlPoint.Kind.INVOICE_EXPIRY)
    if deal.stage == Stage.EVENT and not refused:
        keep.append(ControlPoint.Kind.PREPARATION)  # phases planned at payment lead up to the event
    deal.control_points.filter(done_at__isnull=True).exclude(kind__in=keep).update(done_at=timezone.now())


@transaction.atomic
def deal_document_add(
    *, deal: Deal, kind: str, date: datetime.date, number: str = "", note: str = "", user=None
) -> DealDocument:
    """Record a document of a deal; sending the minutes settles the client's open "minutes" points."""
    document = DealDocument(
        organization_id=deal.organization_id,
        deal=deal,
        kind=kind,
        date=date,
        number=number,
        note=note,
        author=_user_or_none(user),
    )
    _save(document)
    if kind == DealDocument.Kind.MINUTES:
        ControlPoint.objects.filter(client=deal.client, kind=ControlPoint.Kind.MINUTES, done_at__isnull=True).update(
            done_at=timezone.now()
        )
    _audit(
        client=deal.client,
        deal=deal,
        user=user,
        action="deal.document",
        changes={"kind": kind, "number": number, "date": date.isoformat()},
    )
    return document


@transaction.atomic
def deal_refuse(*, deal: Deal, reason: RefusalReason, user=None, note: str = "") -> Deal:
    _lock(deal)
    _require_open(deal)
    _check_same_org(deal.client.organization, reason=reason)
    deal.status = Deal.Status.REFUSED
    deal.refusal_reason = reason
    deal.refusal_note = note[:300]
    _save(deal)
    _close_points(deal, refused=True)
    _deal_event(
        deal, kind=DealEvent.Kind.REFUSED, user=user, note=f"{reason.name}. {note}".strip(), from_stage=deal.stage
    )
    _audit(
        client=deal.client,
        deal=deal,
        user=user,
        action="deal.refused",
        changes={"stage": deal.stage, "reason": reason.name},
    )
    return deal


# From the payment stage on the client pays, gets refunds and may be granted a deferral.
PAYING_STAGES = (Stage.PAYMENT, Stage.EVENT, Stage.CLOSING)


@transaction.atomic
def deal_deviation(*, deal: Deal, kind: str, user=None, date: datetime.date | None = None, note: str = "") -> Deal:
    """Record a real-life deviation: retry of a declined presentation, offer clarification, several
    people signing the agreement, a preparation phase before the event, deferred payment.

    A deferred payment is agreed with its due date, which becomes the deal's invoice-expiry control
    point (the invoice's earlier one is replaced); the same agreement sent twice changes nothing.
    Signatures and preparation phases are control points of their stage (a move on settles them);
    the same one sent twice stands once.
    """
    _lock(deal)
    _require_open(deal)
    today = timezone.localdate()
    if kind == DealEvent.Kind.RETRY:
        if deal.stage != Stage.PRESENTATION:
            raise ValidationError(_("Only a presentation can be retried."))
        if date is None or date < today:
            raise ValidationError({"date": _("Give the retry date; it cannot be in the past.")})
        control_point_create(client=deal.client, deal=deal, kind=ControlPoint.Kind.RETRY, due_date=date, note=note)
    elif kind == DealEvent.Kind.CLARIFICATION:
        if deal.stage not in (Stage.OFFER, Stage.AGREEMENT):
            raise ValidationError(_("Only an offer or an agreement can be clarified."))
        if date is None:
            raise ValidationError({"date": _("Give the date the amended offer is due.")})
        control_point_create(client=deal.client, deal=deal, kind=ControlPoint.Kind.AMENDMENT, due_date=date, note=note)
    elif kind in STAGE_POINTS:
        stages, point_kind, missing = STAGE_POINTS[kind]
        if deal.stage not in stages:
            raise ValidationError(
                _("This is recorded at the stage: %(stages)s.")
                % {"stages": ", ".join(str(Stage(s).label) for s in stages)}
            )
        if date is None or date < today:
            raise ValidationError({"date": missing})
        if kind == DealEvent.Kind.PREPARATION and not note.strip():
            raise ValidationError({"note": _("Name the phase, for example: samples approved, equipment ordered.")})
        if deal.control_points.filter(kind=point_kind, due_date=date, note=note, done_at__isnull=True).exists():
            return deal  # the same one sent twice (a double submit): it stands once
        control_point_create(client=deal.client, deal=deal, kind=point_kind, due_date=date, note=note)
    elif kind == DealEvent.Kind.DEFERRAL:
        if deal.stage not in PAYING_STAGES:
            raise ValidationError(_("A deferred payment is agreed from the payment stage on."))
        if date is None or date < today:
            raise ValidationError({"date": _("Give the date the deferred payment is due; it cannot be in the past.")})
        if deal.payment_due_on == date:
            return deal  # the same agreement sent twice (a double submit): it stands once
        if deal_money(deal).paid_in_full:
            raise ValidationError(_("The deal is paid in full: there is nothing to defer."))
        deal.control_points.filter(kind=ControlPoint.Kind.INVOICE_EXPIRY, done_at__isnull=True).update(
            done_at=timezone.now()
        )
        control_point_create(
            client=deal.client, deal=deal, kind=ControlPoint.Kind.INVOICE_EXPIRY, due_date=date, note=note
        )
        deal.payment_due_on = date
    else:
        raise ValidationError(_("Unknown kind of deviation."))
    _save(deal)
    _deal_event(deal, kind=kind, user=user, date=date or today, note=note)
    _audit(
        client=deal.client,
        deal=deal,
        user=user,
        action=f"deal.{kind}",
        changes={k: str(v) for k, v in {"date": date, "note": note}.items() if v},
    )
    return deal


# Deviations that put a control point on their stage: (stages, point kind, message without a date).
STAGE_POINTS = {
    DealEvent.Kind.SIGNATURES: (
        (Stage.AGREEMENT,),
        ControlPoint.Kind.SIGNATURES,
        gettext_lazy("Give the date every signature is due; it cannot be in the past."),
    ),
    DealEvent.Kind.PREPARATION: (
        (Stage.PAYMENT, Stage.EVENT),
        ControlPoint.Kind.PREPARATION,
        gettext_lazy("Give the date the phase is due; it cannot be in the past."),
    ),
}


@transaction.atomic
def deal_case_open(*, deal: Deal, note: str, user=None) -> Complaint:
    """The client is unhappy after the event: open a case (a complaint) from the deal, owned by the
    client's manager. Only once the event has taken place (the closing stage, or a won deal); while
    that case is open, asking again returns it (a double click opens one case)."""
    _lock(deal)
    if deal.status == Deal.Status.REFUSED or (deal.status == Deal.Status.OPEN and deal.stage != Stage.CLOSING):
        raise ValidationError(_("A case after the event is opened once the event has taken place."))
    if not note.strip():
        raise ValidationError({"note": _("Say what the client is unhappy about.")})
    open_case = deal.complaints.exclude(status=Complaint.Status.CLOSED).filter(source=Complaint.Source.AFTER_EVENT)
    if case := open_case.first():
        return case
    case = complaint_register(
        organization=deal.client.organization,
        client=deal.client,
        subject=_("Unhappy after the event: %(deal)s") % {"deal": deal.title},
        description=note,
        source=Complaint.Source.AFTER_EVENT,
        author=user,
        deal=deal,
    )
    _deal_event(deal, kind=DealEvent.Kind.UNHAPPY, user=user, date=timezone.localdate(), note=note[:300])
    _audit(client=deal.client, deal=deal, user=user, action="deal.unhappy", changes={"complaint": case.pk})
    return case


@transaction.atomic
def deal_payment_record(
    *,
    deal: Deal,
    amount: Decimal,
    date: datetime.date | None = None,
    refund: bool = False,
    document: str = "",
    user=None,
) -> Settlement:
    """Record money the client paid for a deal, or a refund of it, as a settlement of the deal.

    Payments in parts add up; the deal is paid in full when they reach its amount, which settles
    its invoice-expiry points and any deferral. A refund takes the payment back: a won deal left
    short of its amount without a deferral is open again (a deal is won only when paid).
    """
    _lock(deal)
    if deal.status == Deal.Status.REFUSED:
        raise ValidationError(_("This deal is refused; it takes no payments."))
    if deal.stage not in PAYING_STAGES:
        raise ValidationError(_("Payments are recorded from the payment stage on."))
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise ValidationError({"date": _("A payment is recorded once received: its date cannot be in the future.")})
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Give the amount; it must be positive.")})
    money = deal_money(deal)
    if refund and amount > money.paid:
        raise ValidationError(
            {"amount": _("A refund cannot exceed what the client has paid (%(paid)s).") % {"paid": _money(money.paid)}}
        )
    if not refund and money.remaining is not None and amount > money.remaining:
        raise ValidationError(
            {
                "amount": _("Payments would exceed the deal amount: %(remaining)s remain to be paid.")
                % {"remaining": _money(money.remaining)}
            }
        )
    settlement = settlement_create(
        client=deal.client,
        deal=deal,
        date=date,
        amount=amount,
        product=deal.product,
        document=document,
        refund=refund,
        user=user,
    )
    _deal_event(
        deal,
        kind=DealEvent.Kind.REFUND if refund else DealEvent.Kind.PART_PAYMENT,
        user=user,
        date=date,
        amount=amount,
        note=document,
        from_stage=deal.stage,
    )
    if deal_money(deal).paid_in_full:
        deal.payment_due_on = None
        deal.control_points.filter(kind=ControlPoint.Kind.INVOICE_EXPIRY, done_at__isnull=True).update(
            done_at=timezone.now()
        )
    elif deal.status == Deal.Status.WON and deal.payment_due_on is None:
        deal.status = Deal.Status.OPEN
        _audit(client=deal.client, deal=deal, user=user, action="deal.reopened", changes={"amount": str(amount)})
    _save(deal)
    return settlement
