"""Revenue plans per manager and month, set by a sales head."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm_portal.models import Organization

from ..models import RevenuePlan
from ..selectors.visibility import organization_managers
from .common import _monthly_amount_set


@transaction.atomic
def revenue_plan_set(*, organization: Organization, manager, month: datetime.date, amount: Decimal) -> RevenuePlan:
    """Set (or change) a manager's revenue plan for the month holding `month`: one plan per manager
    and month, so setting it again, or twice by a double click, leaves one row with the last amount."""
    if not organization_managers(organization).filter(pk=manager.pk).exists():
        raise ValidationError({"manager": _("Plans are set for the organization's managers and sales heads only.")})
    return _monthly_amount_set(
        RevenuePlan,
        organization=organization,
        month=month,
        amount=amount,
        negative=_("A revenue plan cannot be negative."),
        manager=manager,
    )
