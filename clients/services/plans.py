"""Revenue plans per manager and month, set by a sales head."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm_portal.models import Organization

from ..models import RevenuePlan
from ..selectors.visibility import organization_managers


@transaction.atomic
def revenue_plan_set(*, organization: Organization, manager, month: datetime.date, amount: Decimal) -> RevenuePlan:
    """Set (or change) a manager's revenue plan for the month holding `month`: one plan per manager
    and month, so setting it again, or twice by a double click, leaves one row with the last amount."""
    if not organization_managers(organization).filter(pk=manager.pk).exists():
        raise ValidationError({"manager": _("Plans are set for the organization's managers and sales heads only.")})
    if amount < 0:
        raise ValidationError({"amount": _("A revenue plan cannot be negative.")})
    plan, _created = RevenuePlan.objects.update_or_create(
        organization=organization, manager=manager, month=month.replace(day=1), defaults={"amount": amount}
    )
    return plan
