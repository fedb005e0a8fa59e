"""Complaints through their steps, and satisfaction assessments that open them."""

import datetime
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_portal.models import Notification, Organization
from crm_portal.services import notify
from crm_portal.validators import single_line_fields

from ..models import (
    Client,
    Complaint,
    ComplaintKind,
    ComplaintStep,
    ControlPoint,
    Deal,
    Product,
    SatisfactionAssessment,
)
from ..signals import complaint_closed
from .common import _check_same_org, _save, _user_or_none

# Days after an event when the satisfaction survey is due.
SURVEY_AFTER_EVENT_DAYS = 7


COMPLAINT_FLOW = [s.value for s in Complaint.Status]


@transaction.atomic
def complaint_register(
    *,
    organization: Organization,
    client: Client,
    subject: str,
    description: str = "",
    kind: ComplaintKind | None = None,
    source: str = "manual",
    owner=None,
    author=None,
    assessment: SatisfactionAssessment | None = None,
    deal: Deal | None = None,
) -> Complaint:
    if client.organization_id != organization.pk:
        raise ValidationError({"client": _("This client belongs to another organization.")})
    _check_same_org(organization, kind=kind)
    single_line_fields(subject=(subject or "").strip())  # it names the follow-up survey, an e-mail subject
    complaint = Complaint(
        organization=organization,
        client=client,
        subject=(subject or "").strip()[:200],
        description=description,
        kind=kind,
        source=source,
        owner=owner or client.manager,
        author=_user_or_none(author),
        assessment=assessment,
        deal=deal,
    )
    _save(complaint)
    ComplaintStep.objects.create(
        organization=organization,
        complaint=complaint,
        status=complaint.status,
        owner=complaint.owner,
        note=description[:2000],
        author=complaint.author,
    )
    # The client's manager and the case's owner hear of it (a low score is told as such).
    scored = complaint.source in (Complaint.Source.SATISFACTION, Complaint.Source.SURVEY)
    notify(
        organization=organization,
        users=[client.manager_id, complaint.owner_id],
        kind=Notification.Kind.LOW_SCORE if scored else Notification.Kind.COMPLAINT,
        key=f"complaint:{complaint.pk}",
        text=client.name,
        url=reverse("clients:complaint", args=[complaint.pk]),
        actor=complaint.author,
    )
    return complaint


@transaction.atomic
def complaint_advance(
    *,
    complaint: Complaint,
    user=None,
    owner=None,
    kind: ComplaintKind | None = None,
    cause: str = "",
    actions: str = "",
    note: str = "",
) -> Complaint:
    """Take a complaint to its next status; investigation needs a cause, removal and correction actions.
    The kind, when given, classifies it (often only once the cause is known)."""
    if complaint.status == Complaint.Status.CLOSED:
        raise ValidationError(_("This complaint is already closed."))
    if kind is not None:
        _check_same_org(complaint.organization, kind=kind)
        complaint.kind = kind
    new_status = COMPLAINT_FLOW[COMPLAINT_FLOW.index(complaint.status) + 1]
    if cause:
        complaint.cause = cause
    if actions:
        complaint.actions = (complaint.actions + "\n" + actions).strip()
    if new_status == Complaint.Status.CAUSE_REMOVED and not complaint.cause.strip():
        raise ValidationError({"cause": _("Write down the cause found before saying it is removed.")})
    if new_status in (Complaint.Status.CAUSE_REMOVED, Complaint.Status.PROCESS_CORRECTED) and not actions.strip():
        raise ValidationError({"actions": _("Describe what was done at this step.")})
    if owner is not None:
        complaint.owner = owner
    complaint.status = new_status
    if new_status == Complaint.Status.CLOSED:
        complaint.closed_at = timezone.now()
    _save(complaint)
    ComplaintStep.objects.create(
        organization_id=complaint.organization_id,
        complaint=complaint,
        status=new_status,
        owner=complaint.owner,
        note="\n".join(x for x in (cause, actions, note) if x),
        author=_user_or_none(user),
    )
    if new_status == Complaint.Status.CLOSED:
        transaction.on_commit(lambda: complaint_closed.send(sender=Complaint, complaint=complaint))
    return complaint


@transaction.atomic
def assessment_create(
    *,
    client: Client,
    scores: Mapping[str, int],
    date: datetime.date,
    product: Product | None = None,
    comment: str = "",
    user=None,
) -> SatisfactionAssessment:
    """Record a satisfaction assessment; any item scored 3 or lower opens a complaint case."""
    _check_same_org(client.organization, product=product)
    if not scores:
        raise ValidationError(_("Score at least one item."))
    for item, score in scores.items():
        if item not in SatisfactionAssessment.ITEMS:
            raise ValidationError(_("Unknown item %(item)s.") % {"item": item})
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationError(_("Scores go from 1 to 5."))
    assessment = SatisfactionAssessment(
        organization_id=client.organization_id,
        client=client,
        product=product,
        date=date,
        scores=dict(scores),
        comment=comment,
        author=_user_or_none(user),
    )
    _save(assessment)
    low = {item: score for item, score in scores.items() if score <= 3}
    if low:
        items = ", ".join(f"{SatisfactionAssessment.ITEMS[i]}: {s}" for i, s in low.items())
        complaint_register(
            organization=client.organization,
            client=client,
            subject=_("Low satisfaction score (%(items)s)") % {"items": items},
            description=comment,
            source=Complaint.Source.SATISFACTION,
            author=user,
            assessment=assessment,
        )
    ControlPoint.objects.filter(
        client=client,
        kind=ControlPoint.Kind.SURVEY,
        done_at__isnull=True,
        due_date__lte=date + datetime.timedelta(days=30),
    ).update(done_at=timezone.now())
    return assessment
