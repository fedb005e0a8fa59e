"""The weekly digest by e-mail: a subscriber's dashboard figures, their change and the oldest
overdue control points, in the language they subscribed in, with links into the portal.

Each week's digest goes out once: a subscription is claimed for the week (its `week_sent` moved to
this Monday in a committed conditional update) before its message is sent, and released again if
sending fails. A round that dies between the two leaves that digest unsent, never sent twice.
"""

import datetime
import logging
import smtplib

from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm_portal.models import Membership, Organization, Role
from crm_portal.navigation import portal_url
from crm_portal.services import email_subscription_set
from crm_portal.tenancy import Viewer

from .. import selectors
from ..exports import FIGURE_LABELS
from ..models import ControlPoint, DigestSubscription

logger = logging.getLogger(__name__)

# Who may read the dashboard, and so subscribe to its digest.
DIGEST_ROLES = (Role.SALES_HEAD, Role.ADMIN, Role.ANALYST)
OVERDUE_SHOWN = 10


def digest_subscribe(*, organization: Organization, user, subscribed: bool) -> DigestSubscription | None:
    """Subscribe the user to the weekly digest (in the active language), or unsubscribe them."""
    return email_subscription_set(DigestSubscription, organization=organization, user=user, enabled=subscribed)


def digest_weekly(today: datetime.date | None = None) -> int:
    """Send this week's digest to every subscriber who has not had it (the weekly round); returns how many went out."""
    today = today or timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    sent = 0
    due = DigestSubscription.objects.filter(Q(week_sent__isnull=True) | Q(week_sent__lt=monday))
    for subscription in due.select_related("organization", "user"):
        role = (
            Membership.objects.filter(organization=subscription.organization_id, user=subscription.user_id)
            .values_list("role", flat=True)
            .first()
        )
        if role not in DIGEST_ROLES or not subscription.user.email:
            continue  # no longer a reader of the dashboard, or no address: nothing to send
        previous = subscription.week_sent
        claimed = (
            DigestSubscription.objects.filter(pk=subscription.pk, week_sent=previous)
            if previous
            else DigestSubscription.objects.filter(pk=subscription.pk, week_sent__isnull=True)
        ).update(week_sent=monday)
        if not claimed:
            continue  # another round took it
        try:
            _send(subscription, Viewer(subscription.organization, subscription.user, role), today)
        except (smtplib.SMTPException, OSError):
            logger.exception("weekly digest to user %s failed", subscription.user_id)
            DigestSubscription.objects.filter(pk=subscription.pk, week_sent=monday).update(week_sent=previous)
            continue
        sent += 1
    return sent


def _send(subscription: DigestSubscription, viewer: Viewer, today: datetime.date) -> None:
    with translation.override(subscription.language):
        start, end = selectors.preset_period("quarter", today)
        board = selectors.dashboard(viewer, start=start, end=end, wanted=selectors.ClientFilter())
        overdue = (
            ControlPoint.objects.filter(
                organization=viewer.organization,
                done_at__isnull=True,
                due_date__lt=today,
                client__in=selectors.clients_visible_to(viewer).order_by().values("pk"),
            )
            .select_related("client")
            .order_by("due_date", "id")[:OVERDUE_SHOWN]
        )
        context = {
            "organization": viewer.organization,
            "start": start,
            "end": end,
            "board": board,
            "labels": FIGURE_LABELS,
            "overdue": [(point, portal_url(reverse("clients:card", args=[point.client_id]))) for point in overdue],
            "dashboard_url": portal_url(reverse("clients:dashboard")),
            "unsubscribe_url": portal_url(reverse("clients:dashboard") + "#digest"),
        }
        subject = _("Weekly digest: %(organization)s") % {"organization": viewer.organization.name}
        send_mail(
            subject,
            render_to_string("clients/digest.txt", context),
            None,
            [subscription.user.email],
        )
