"""Personal links as a spreadsheet for a mailing, written by crm_portal.spreadsheets."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_portal.spreadsheets import Column, Kind, Sheet

from .models import Campaign


def link_sheet(campaign: Campaign, *, base_url: str, pending_only: bool = False) -> Sheet:
    now = timezone.now()
    invitations = campaign.invitations.order_by("respondent", "id")
    if pending_only:
        invitations = invitations.filter(answered_at__isnull=True, expires_at__gt=now)
    root = base_url.rstrip("/")
    rows = []
    for invitation in invitations:
        if invitation.answered_at:
            status = _("answered")
        elif invitation.expires_at <= now:
            status = _("expired")
        else:
            status = _("waiting")
        rows.append(
            [
                invitation.respondent,
                invitation.email,
                root + reverse("loyalty:respond", kwargs={"token": invitation.token}),
                timezone.localtime(invitation.expires_at).date(),
                status,
                _("yes") if invitation.reminded_at and not invitation.answered_at else "",
            ]
        )
    columns = [
        Column(_("Respondent"), Kind.TEXT, width=30),
        Column(_("E-mail"), Kind.TEXT, width=30),
        Column(_("Personal link"), Kind.TEXT, width=70),
        Column(_("Valid until"), Kind.DATE, width=14),
        Column(_("Status"), Kind.TEXT, width=14),
        Column(_("Reminder due"), Kind.TEXT, width=14),
    ]
    return Sheet(_("Links"), columns, rows)
