"""Writes of the core: organization settings, memberships, and the demo job's work."""

import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .jobs import ProgressCallback
from .models import Job, Membership, Organization, Role

User = get_user_model()


@transaction.atomic
def organization_update(*, organization: Organization, name: str, lifecycle_period_months: int) -> Organization:
    organization.name = name
    organization.lifecycle_period_months = lifecycle_period_months
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def membership_add(
    *,
    organization: Organization,
    username: str,
    role: str,
    email: str = "",
    password: str | None = None,
) -> Membership:
    """Give a person a role in the organization, creating the user when the name is new."""
    user = User.objects.filter(username=username).first()
    if user is None:
        if not password:
            raise ValidationError({"password": _("A new user needs a password.")})
        user = User(username=username, email=email)
        user.set_password(password)
        user.full_clean()
        user.save()
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise ValidationError({"username": _("This person is already a member.")})
    membership = Membership(user=user, organization=organization, role=role)
    membership.full_clean()
    membership.save()
    return membership


def _ensure_other_admin(membership: Membership) -> None:
    others = Membership.objects.filter(
        organization=membership.organization, role=Role.ADMIN
    ).exclude(pk=membership.pk)
    if membership.role == Role.ADMIN and not others.exists():
        raise ValidationError(_("The organization must keep at least one administrator."))


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    if role != Role.ADMIN:
        _ensure_other_admin(membership)
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    _ensure_other_admin(membership)
    membership.delete()


def demo_count(job: Job, progress: ProgressCallback) -> dict:
    """Count to `steps`, reporting each step: shows a job's progress travelling to the page."""
    steps = int(job.params.get("steps", 10))
    delay = float(job.params.get("delay", 0.3))
    for step in range(1, steps + 1):
        time.sleep(delay)
        progress(round(step * 100 / steps), _("Step %(step)s of %(steps)s") % {"step": step, "steps": steps})
    return {"counted": steps}
