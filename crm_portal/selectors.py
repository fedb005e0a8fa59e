"""Reads of the core: memberships, jobs and what the home page shows."""

from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Job, Membership, Organization
from .tenancy import scoped


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by(
        "organization__name"
    )


def organization_members(organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by(
        "role", "user__username"
    )


def jobs_for(request: HttpRequest, *, limit: int | None = None) -> QuerySet[Job]:
    jobs = scoped(request, Job).select_related("created_by")
    return jobs[:limit] if limit else jobs


def home_role_panel(request: HttpRequest) -> dict:
    return {"membership": request.membership}


def home_jobs_panel(request: HttpRequest) -> dict:
    return {"jobs": jobs_for(request, limit=5)}
