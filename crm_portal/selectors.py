"""Reads of the core: memberships, invitations, jobs, notifications and what the home page shows."""

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet

from .models import Job, Membership, MembershipInvitation, Notification, NotificationEmail, Organization, Role
from .tenancy import Viewer, scoped


def memberships_of(user: AbstractBaseUser) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")


def organization_members(organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization).select_related("user").order_by("role", "user__username")
    )


def organization_invitations(organization: Organization) -> QuerySet[MembershipInvitation]:
    """The invitations still waiting for an answer (expired ones too, until withdrawn)."""
    return MembershipInvitation.objects.filter(
        organization=organization, status=MembershipInvitation.Status.PENDING
    ).select_related("invited_by")


def invitations_for_user(user: AbstractBaseUser, *, now: datetime) -> QuerySet[MembershipInvitation]:
    """Open invitations addressed to the person's login or e-mail, from organizations they are not in."""
    addressed = Q(invitee=user.get_username())
    if user.email:
        addressed |= Q(invitee__iexact=user.email)
    return (
        MembershipInvitation.objects.filter(addressed, status=MembershipInvitation.Status.PENDING, expires_at__gt=now)
        .exclude(organization__memberships__user=user)
        .select_related("organization", "invited_by")
        .order_by("created_at", "id")
    )


def invitation_by_token(token: str) -> MembershipInvitation | None:
    """The invitation of a one-time link, whatever its state (the page says why it is closed)."""
    return (
        MembershipInvitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=MembershipInvitation.hash_token(token))
        .first()
    )


def jobs_for(viewer: Viewer, *, limit: int | None = None) -> QuerySet[Job]:
    """The jobs a person may open: an administrator sees the organization's, everyone else their own.

    Jobs lead to results (a segmentation run, a KPI file) that other roles may not open, so a
    person is shown only what they started; administrators open every page of the portal.
    """
    jobs = scoped(viewer, Job).select_related("created_by")
    if viewer.role != Role.ADMIN:
        jobs = jobs.filter(created_by=viewer.user)
    return jobs[:limit] if limit else jobs


def home_role_panel(viewer: Viewer) -> dict:
    return {"role": viewer.role}


def home_jobs_panel(viewer: Viewer) -> dict:
    return {"jobs": jobs_for(viewer, limit=5)}


def notifications_of(viewer: Viewer) -> QuerySet[Notification]:
    """The viewer's own notifications in the organization, newest first."""
    return Notification.objects.filter(organization=viewer.organization, user=viewer.user)


def notifications_unread(organization: Organization, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(organization=organization, user=user, read_at__isnull=True).count()


def notification_email_chosen(viewer: Viewer) -> bool:
    return NotificationEmail.objects.filter(organization=viewer.organization, user=viewer.user).exists()
