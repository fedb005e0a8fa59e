"""Personal links as spreadsheets for a mailing; formula-like cells are neutralised."""

import csv
import io

import xlsxwriter
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Campaign


def _safe(value):
    """A text cell starting with = + - @ would run as a formula in a spreadsheet: quote it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def link_rows(campaign: Campaign, *, base_url: str, pending_only: bool = False) -> list[list]:
    now = timezone.now()
    header = [_("Respondent"), _("E-mail"), _("Personal link"), _("Valid until"), _("Status"), _("Reminder due")]
    rows = [header]
    invitations = campaign.invitations.order_by("respondent", "id")
    if pending_only:
        invitations = invitations.filter(answered_at__isnull=True, expires_at__gt=now)
    root = base_url.rstrip("/")
    for invitation in invitations:
        if invitation.answered_at:
            status = _("answered")
        elif invitation.expires_at <= now:
            status = _("expired")
        else:
            status = _("waiting")
        rows.append([
            invitation.respondent, invitation.email,
            root + reverse("loyalty:respond", kwargs={"token": invitation.token}),
            timezone.localtime(invitation.expires_at).date().isoformat(), status,
            _("yes") if invitation.reminded_at and not invitation.answered_at else "",
        ])
    return [[_safe(cell) for cell in row] for row in rows]


def csv_response(rows: list[list], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(rows: list[list], filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(_("Links")[:31])
    bold = book.add_format({"bold": True})
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            sheet.write_string(r, c, str(cell), bold if r == 0 else None)
    sheet.set_column(0, 1, 30)
    sheet.set_column(2, 2, 70)
    sheet.set_column(3, 5, 14)
    book.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
