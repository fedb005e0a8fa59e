"""Marketing spending per acquisition channel and month, entered by a sales head or an admin."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm_portal.models import Organization

from ..models import Channel, MarketingSpend
from .common import _monthly_amount_set


@transaction.atomic
def marketing_spend_set(
    *, organization: Organization, channel: str, month: datetime.date, amount: Decimal
) -> MarketingSpend:
    """Set (or correct) what a channel cost in the month holding `month`: one row per channel and
    month, so entering it again, or twice by a double click, leaves one row with the last amount."""
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose one of the channels.")})
    return _monthly_amount_set(
        MarketingSpend,
        organization=organization,
        month=month,
        amount=amount,
        negative=_("Spending cannot be negative."),
        channel=channel,
    )
