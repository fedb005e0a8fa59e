"""What every write of the client register shares: the audit trail, same-organization checks, validated saves."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from crm_portal.models import Organization

from ..models import (
    AuditEntry,
    Client,
    Deal,
)

BATCH = 5000


def _audit(*, client: Client, user, action: str, changes: dict | None = None, deal: Deal | None = None) -> None:
    AuditEntry.objects.create(
        organization_id=client.organization_id,
        client=client,
        deal=deal,
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        changes=changes or {},
    )


def _user_or_none(user):
    return user if user is not None and user.is_authenticated else None


def _check_same_org(organization: Organization, **objects) -> None:
    for field, obj in objects.items():
        if obj is not None and obj.organization_id != organization.pk:
            raise ValidationError({field: _("This choice belongs to another organization.")})


def _save(obj) -> None:
    obj.full_clean()
    obj.save()


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _monthly_amount_set(model, *, organization: Organization, month, amount, negative: str, **key):
    """Set the amount of one row per `key` and month (its 1st): entering it again, or twice by a
    double click, leaves one row with the last amount. Plans and spending are never negative."""
    if amount < 0:
        raise ValidationError({"amount": negative})
    row, _created = model.objects.update_or_create(
        organization=organization, month=month.replace(day=1), defaults={"amount": amount}, **key
    )
    return row
