"""Demo organizations and logins. Used by `seed_demo` only: never by migrations or production."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from .models import Job, Membership, MembershipInvitation, Organization, Role
from .services import invitation_create, membership_mark_used

DEMO_PASSWORD = "portal-demo"
DEMO_USERS = {
    "demo-manager": Role.MANAGER,
    "demo-head": Role.SALES_HEAD,
    "demo-analyst": Role.ANALYST,
    "demo-admin": Role.ADMIN,
}
OTHER_USERS = {
    "other-manager": Role.MANAGER,
    "other-admin": Role.ADMIN,
}
# A consultant diagnosing both companies: shows the organization switcher.
CONSULTANT = "demo-consultant"
# The main demo organization's name in the language of its data (`seed_demo --language`).
DEMO_NAMES = {"ru": "Арома Трейд", "en": "Aroma Trade"}


def _user(username: str, password: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com", "password": password}
    )
    # Checking a hash costs as much as making one: skip it for a login this run already set.
    if not created and user.password != password and not user.check_password(DEMO_PASSWORD):
        user.password = password
        user.save()
    return user


def _members(organization: Organization, roles: dict[str, str], password: str) -> dict:
    users = {}
    for username, role in roles.items():
        user = _user(username, password)
        Membership.objects.update_or_create(user=user, organization=organization, defaults={"role": role})
        users[username] = user
    return users


@transaction.atomic
def seed_core(language: str = "ru") -> list[tuple[Organization, dict]]:
    """Create (or bring back) both demo organizations with their users; return them with users."""
    demo, _ = Organization.objects.get_or_create(slug="demo", defaults={"name": DEMO_NAMES[language]})
    other, _ = Organization.objects.get_or_create(slug="other", defaults={"name": "Northwind Services"})
    # One hash for every demo login: they share the password, and a hash takes a good part of a second.
    password = make_password(DEMO_PASSWORD)
    demo_users = _members(demo, {**DEMO_USERS, CONSULTANT: Role.ANALYST}, password)
    other_users = _members(other, {**OTHER_USERS, CONSULTANT: Role.ANALYST}, password)
    if not Membership.objects.filter(user=demo_users[CONSULTANT], last_used_at__isnull=False).exists():
        # The consultant's first sign-in opens the main demo organization (else: the first by name).
        membership_mark_used(user=demo_users[CONSULTANT], organization=demo)
    for organization in (demo, other):
        # One invitation waiting for an answer: the administrator's page shows how people join.
        if not MembershipInvitation.objects.filter(organization=organization).exists():
            invitation_create(
                organization=organization,
                invited_by=demo_users["demo-admin"] if organization == demo else other_users["other-admin"],
                invitee=f"new.colleague@{organization.slug}.example.com",
                role=Role.MANAGER,
            )
        # One finished job, so the jobs page is not empty on the first visit.
        Job.objects.get_or_create(
            organization=organization,
            kind="demo.count",
            defaults={
                "status": Job.Status.SUCCEEDED,
                "progress": 100,
                "params": {"steps": 5},
                "result": {"counted": 5},
                "message": "Step 5 of 5",
                "started_at": timezone.now(),
                "finished_at": timezone.now(),
            },
        )
    return [(demo, demo_users), (other, other_users)]
