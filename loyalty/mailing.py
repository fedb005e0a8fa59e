"""Sending the personal links and the reminders by e-mail.

A link goes out once and its reminder once: each batch of links is claimed (its `sent_at` or
`reminder_sent_at` written and committed, rows locked with SKIP LOCKED so that two jobs never
take the same link) before its messages are sent, and a link whose message failed is released
again. A job that dies between the two leaves a link unsent, never sent twice.

Recipients: a client link goes to the first contact person of the client with an e-mail (read
when sending, so a contact added after the campaign started counts); an employee link goes to
the member's user e-mail. Links without an address are counted as "no e-mail", never an error.
Nothing about answers is written here: an eNPS link gets the same two timestamps as any other,
and reminders go only to links that are not answered yet, which the link already tells.
"""

import datetime
import logging
import smtplib
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients.models import ContactPerson
from crm_portal.jobs import JobMessage, ProgressCallback
from crm_portal.models import Organization
from crm_portal.navigation import portal_url
from crm_portal.validators import one_line

from .models import Campaign, Invitation

logger = logging.getLogger(__name__)

BATCH = 200
SENT, REMINDER = "sent_at", "reminder_sent_at"


def link_url(invitation: Invitation) -> str:
    return portal_url(reverse("loyalty:respond", kwargs={"token": invitation.token}))


def recipients(invitations: Iterable[Invitation]) -> dict[int, str]:
    """{invitation id: e-mail} for the links that have an address now; the others are missing."""
    items = list(invitations)
    client_ids = {i.client_id for i in items if i.client_id}
    contact: dict[int, str] = {}
    for client_id, email in (
        ContactPerson.objects.filter(client_id__in=client_ids)
        .exclude(email="")
        .order_by("id")
        .values_list("client_id", "email")
    ):
        contact.setdefault(client_id, email)
    result = {}
    for invitation in items:
        if invitation.client_id:
            email = contact.get(invitation.client_id, "")
        elif invitation.membership_id:
            email = invitation.membership.user.email if invitation.membership else ""
        else:
            email = invitation.email
        if email:
            result[invitation.pk] = email
    return result


def has_address(campaign: Campaign) -> Q:
    """The links of `campaign` that `recipients` finds an address for, as a filter."""
    if campaign.is_employee_survey:
        return Q(membership__isnull=False) & ~Q(membership__user__email="")
    return Q(Exists(ContactPerson.objects.filter(client_id=OuterRef("client_id")).exclude(email="")))


def _both(text: Callable[[], str]) -> tuple[str, str]:
    parts = []
    for language in ("ru", "en"):
        with translation.override(language):
            parts.append(text())
    return parts[0], parts[1]


def message_text(invitation: Invitation, *, reminder: bool) -> tuple[str, str]:
    """(subject, body) in Russian and English, with the personal link."""
    campaign = invitation.campaign
    url = link_url(invitation)
    expires = timezone.localtime(invitation.expires_at).date()
    # A name saved before line breaks were refused still makes a one-line subject.
    values = {"name": one_line(campaign.name), "url": url}

    def subject() -> str:
        if reminder:
            return _("Reminder: survey “%(name)s”") % values
        return _("Survey “%(name)s”") % values

    def body() -> str:
        lead = (
            _("We have not received your answer yet. It takes a couple of minutes.")
            if reminder
            else _("Please tell us what you think: it takes a couple of minutes.")
        )
        valid = _("Your personal link, valid until %(date)s:") % {"date": date_format(expires, "SHORT_DATE_FORMAT")}
        note = (
            _("Your answers are anonymous: they are not linked to your name.")
            if campaign.is_employee_survey
            else _("The link is personal: please do not forward it.")
        )
        return f"{lead}\n{valid}\n{url}\n{note}"

    ru_subject, en_subject = _both(subject)
    ru_body, en_body = _both(body)
    return f"{ru_subject} / {en_subject}"[:200], f"{ru_body}\n\n---\n\n{en_body}\n"


def _due(campaign: Campaign, kind: str, now: datetime.datetime) -> QuerySet[Invitation]:
    links = Invitation.objects.filter(campaign=campaign, answered_at__isnull=True, expires_at__gt=now)
    if kind == SENT:
        return links.filter(sent_at__isnull=True)
    return links.filter(
        reminder_sent_at__isnull=True,
        created_at__lte=now - datetime.timedelta(days=campaign.reminder_after_days),
    )


def _claim(ids: list[int], kind: str, now: datetime.datetime) -> list[Invitation]:
    """Lock and stamp the still unsent links among `ids`; committed before anything is sent."""
    with transaction.atomic():
        claimed = list(
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, **{f"{kind}__isnull": True})
            .order_by("id")
        )
        Invitation.objects.filter(pk__in=[i.pk for i in claimed]).update(**{kind: now})
    return claimed


def invitations_mail(
    *,
    campaign: Campaign,
    kind: str = SENT,
    now: datetime.datetime | None = None,
    progress: ProgressCallback | None = None,
) -> dict:
    """E-mail the campaign's open links (kind "sent_at") or its reminders ("reminder_sent_at").

    Returns {"sent", "no_email", "failed"}: messages sent, links without an address (left
    unstamped, so an address added later still gets one), messages the mail server refused.
    """
    progress = progress or (lambda percent, message="": None)
    now = now or timezone.now()
    counts = {"sent": 0, "no_email": 0, "failed": 0}
    if campaign.closed_at or (kind == REMINDER and campaign.reminder_after_days == 0):
        return counts
    ids = list(_due(campaign, kind, now).order_by("id").values_list("id", flat=True))
    connection = get_connection(fail_silently=False)
    for index in range(0, len(ids), BATCH):
        claimed = [link.pk for link in _claim(ids[index : index + BATCH], kind, now)]
        sent: set[int] = set()
        try:
            links = list(
                Invitation.objects.filter(pk__in=claimed).select_related("campaign", "membership__user").order_by("id")
            )
            addresses = recipients(links)
            counts["no_email"] += len(links) - len(addresses)
            messages = []
            for link in links:
                if link.pk in addresses:
                    subject, body = message_text(link, reminder=kind == REMINDER)
                    messages.append(
                        (
                            link.pk,
                            EmailMultiAlternatives(
                                subject, body, settings.DEFAULT_FROM_EMAIL, [addresses[link.pk]], connection=connection
                            ),
                        )
                    )
            if messages:
                connection.open()
                try:
                    for pk, message in messages:
                        try:
                            message.send()
                        except (smtplib.SMTPException, OSError):  # one refused address must not stop the others
                            counts["failed"] += 1
                        else:
                            counts["sent"] += 1
                            sent.add(pk)
                finally:
                    connection.close()
        finally:
            # Every claimed link not sent is released: no address, a refusal, or the batch broke
            # off (anything unexpected stops the job, and its links stay due for a later try).
            unsent = [pk for pk in claimed if pk not in sent]
            if unsent:
                Invitation.objects.filter(pk__in=unsent).update(**{kind: None})
        progress(
            5 + int(90 * min(len(ids), index + BATCH) / len(ids)),
            JobMessage(gettext_noop("%(done)s of %(total)s links"), done=min(len(ids), index + BATCH), total=len(ids)),
        )
    return counts


def reminders_due(organization: Organization, now: datetime.datetime | None = None) -> bool:
    """Whether any open campaign of the organization has a reminder e-mail to send."""
    now = now or timezone.now()
    campaigns = Campaign.objects.filter(organization=organization, closed_at__isnull=True, reminder_after_days__gt=0)
    return any(_due(campaign, REMINDER, now).filter(has_address(campaign)).exists() for campaign in campaigns)
