"""Demo organizations and logins. Used by `seed_demo` only: never by migrations or production."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import Job, Membership, Organization, Role

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


def _user(username: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _members(organization: Organization, roles: dict[str, str]) -> dict:
    users = {}
    for username, role in roles.items():
        user = _user(username)
        Membership.objects.update_or_create(user=user, organization=organization, defaults={"role": role})
        users[username] = user
    return users


@transaction.atomic
def seed_core() -> list[tuple[Organization, dict]]:
    """Create (or bring back) both demo organizations with their users; return them with users."""
    demo, _ = Organization.objects.get_or_create(slug="demo", defaults={"name": "Demo Trading House"})
    other, _ = Organization.objects.get_or_create(slug="other", defaults={"name": "Northwind Services"})
    demo_users = _members(demo, {**DEMO_USERS, CONSULTANT: Role.ANALYST})
    other_users = _members(other, {**OTHER_USERS, CONSULTANT: Role.ANALYST})
    for organization in (demo, other):
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
