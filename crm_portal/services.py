"""Writes of the core: organization settings, invitations and memberships, notifications, the demo job's work."""

import logging
import secrets
import smtplib
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .jobs import JobMessage, ProgressCallback
from .models import (
    Holiday,
    Job,
    Membership,
    MembershipInvitation,
    Notification,
    NotificationEmail,
    Organization,
    Role,
)
from .navigation import portal_url

User = get_user_model()
logger = logging.getLogger(__name__)


@transaction.atomic
def organization_update(
    *, organization: Organization, name: str, lifecycle_period_months: int, contact_gap_days: int
) -> Organization:
    organization.name = name
    organization.lifecycle_period_months = lifecycle_period_months
    organization.contact_gap_days = contact_gap_days
    organization.full_clean()
    organization.save()
    return organization


def holiday_add(*, organization: Organization, name: str, month: int, day: int) -> Holiday:
    """A yearly greeting day; one per date (a second click finds the day taken and adds nothing)."""
    holiday = Holiday(organization=organization, name=name, month=month, day=day)
    holiday.full_clean()
    holiday.save()
    return holiday


def holiday_delete(*, holiday: Holiday) -> None:
    """Greeting points already made for it stay: they are the managers' own to do or drop."""
    holiday.delete()


INVITATION_VALID_FOR = timedelta(days=14)


def _is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def _one_line(text: str) -> str:
    """A line break in a mail header is refused by Django: names become one line."""
    return " ".join(text.split())


def _invitation_mail(*, invitation: MembershipInvitation, token: str) -> None:
    """E-mail the one-time link; a failed send is logged, the invitation still stands."""
    organization = _one_line(invitation.organization.name)
    url = settings.PORTAL_BASE_URL.rstrip("/") + reverse("invitation", kwargs={"token": token})
    values = {
        "organization": organization,
        "role": invitation.get_role_display(),
        "inviter": invitation.invited_by.get_username() if invitation.invited_by else "—",
        "url": url,
        "date": date_format(timezone.localtime(invitation.expires_at), "DATE_FORMAT"),
    }
    body = (
        _(
            "%(inviter)s invites you to work in %(organization)s on the CRM diagnostics portal "
            "as %(role)s.\n\nOpen this link to accept or decline the invitation:\n%(url)s\n\n"
            "The link works once (until %(date)s). If you did not expect this message, ignore it."
        )
        % values
    )
    try:
        send_mail(_("Invitation to %(organization)s") % values, body, None, [invitation.invitee])
    except Exception:  # noqa: BLE001 - the mail server's trouble must not undo the invitation
        logger.exception("invitation %s: the e-mail was not sent", invitation.pk)


@transaction.atomic
def invitation_create(
    *,
    organization: Organization,
    invited_by: AbstractBaseUser | None,
    invitee: str,
    role: str,
    now: datetime | None = None,
) -> MembershipInvitation:
    """Invite a login or an e-mail address to a role; an address also gets a one-time link.

    Nothing here looks at other organizations' accounts, so the answer is the same whether the
    name exists or not; only the organization's own members are refused. Inviting the same
    name again renews the pending invitation (new role, new link, new expiry).
    """
    now = now or timezone.now()
    invitee = invitee.strip()
    members = Membership.objects.filter(organization=organization)
    if members.filter(Q(user__username=invitee) | Q(user__email__iexact=invitee)).exists():
        raise ValidationError({"invitee": _("This person is already a member.")})
    invitation = MembershipInvitation.objects.filter(
        organization=organization, invitee=invitee, status=MembershipInvitation.Status.PENDING
    ).first() or MembershipInvitation(organization=organization, invitee=invitee)
    token = secrets.token_urlsafe(32)
    invitation.role = role
    invitation.invited_by = invited_by
    invitation.token_hash = MembershipInvitation.hash_token(token)
    invitation.expires_at = now + INVITATION_VALID_FOR
    invitation.full_clean()
    invitation.save()
    if _is_email(invitee):
        transaction.on_commit(lambda: _invitation_mail(invitation=invitation, token=token))
    return invitation


def _lock_open(invitation: MembershipInvitation, now: datetime) -> MembershipInvitation:
    """Re-read the invitation under a row lock; refuse it unless it can still be answered."""
    locked = MembershipInvitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
    if not locked.is_open(now):
        raise ValidationError(
            _("This invitation can no longer be answered: it was answered, withdrawn or has expired.")
        )
    return locked


@transaction.atomic
def invitation_accept(
    *, invitation: MembershipInvitation, user: AbstractBaseUser, now: datetime | None = None
) -> Membership:
    """Make the person a member with the invited role; a second acceptance changes nothing."""
    now = now or timezone.now()
    invitation = _lock_open(invitation, now)
    membership, created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    membership.last_used_at = now  # the organization just joined opens at the next sign-in
    membership.save(update_fields=["last_used_at"])
    invitation.status = MembershipInvitation.Status.ACCEPTED
    invitation.answered_by, invitation.answered_at = user, now
    invitation.save(update_fields=["status", "answered_by", "answered_at"])
    return membership


@transaction.atomic
def invitation_decline(
    *, invitation: MembershipInvitation, user: AbstractBaseUser | None = None, now: datetime | None = None
) -> MembershipInvitation:
    now = now or timezone.now()
    invitation = _lock_open(invitation, now)
    invitation.status = MembershipInvitation.Status.DECLINED
    invitation.answered_by = user if user is not None and user.is_authenticated else None
    invitation.answered_at = now
    invitation.save(update_fields=["status", "answered_by", "answered_at"])
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: MembershipInvitation) -> MembershipInvitation:
    """Withdraw a pending invitation; its link stops working."""
    invitation = MembershipInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != MembershipInvitation.Status.PENDING:
        raise ValidationError(_("Only an invitation waiting for an answer can be withdrawn."))
    invitation.status = MembershipInvitation.Status.REVOKED
    invitation.save(update_fields=["status"])
    return invitation


@transaction.atomic
def account_create_for_invitation(
    *, invitation: MembershipInvitation, username: str, password: str, now: datetime | None = None
) -> AbstractBaseUser:
    """Create the login of a person new to the portal and accept their invitation with it."""
    now = now or timezone.now()
    _lock_open(invitation, now)
    email = invitation.invitee if _is_email(invitation.invitee) else ""
    user = User(username=username, email=email)
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.save()
    invitation_accept(invitation=invitation, user=user, now=now)
    return user


def membership_mark_used(*, user: AbstractBaseUser, organization: Organization, now: datetime | None = None) -> None:
    """Remember the organization the person chose, so that the next sign-in opens it."""
    Membership.objects.filter(user=user, organization=organization).update(last_used_at=now or timezone.now())


def _ensure_other_admin(membership: Membership) -> None:
    others = Membership.objects.filter(organization=membership.organization, role=Role.ADMIN).exclude(pk=membership.pk)
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
        progress(
            round(step * 100 / steps), JobMessage(gettext_noop("Step %(step)s of %(steps)s"), step=step, steps=steps)
        )
    return {"counted": steps}


def notify(*, organization: Organization, users, kind: str, key: str, text: str, url: str, actor=None) -> int:
    """Tell the people `users` (users or ids; None skipped) about `key`: see `notify_many`."""
    return notify_many(
        organization=organization,
        kind=kind,
        items=[(getattr(user, "pk", user), key, text, url) for user in users if user is not None],
        actor=actor,
    )


def notify_many(*, organization: Organization, kind: str, items, actor=None) -> int:
    """Tell each person of `items` (user id, key, text, url) about their key: never the actor, who
    knows already, never someone who is no longer a member, and nobody twice about the same key
    (a second click, a round run again). Returns how many were told for the first time.

    Called inside the writer's transaction, so a change that is rolled back tells nobody."""
    actor_id = getattr(actor, "pk", actor)
    items = {(user_id, key): (text, url) for user_id, key, text, url in items if user_id != actor_id}
    members = set(
        Membership.objects.filter(
            organization=organization, user_id__in={user_id for user_id, _key in items}
        ).values_list("user_id", flat=True)
    )
    told = set(
        Notification.objects.filter(
            organization=organization, kind=kind, key__in={key for _user, key in items}
        ).values_list("user_id", "key")
    )
    new = sorted(item for item in items if item[0] in members and item not in told)
    Notification.objects.bulk_create(
        [
            Notification(
                organization=organization,
                user_id=user_id,
                kind=kind,
                key=key,
                text=items[(user_id, key)][0][:300],
                url=items[(user_id, key)][1],
                actor_id=actor_id,
            )
            for user_id, key in new
        ],
        ignore_conflicts=True,  # told by a concurrent writer in between: once is enough
        batch_size=1000,
    )
    return len(new)


def notifications_read(*, organization: Organization, user, notification: Notification | None = None) -> int:
    """Mark the person's unread notifications (or one of them) read; returns how many changed."""
    unread = Notification.objects.filter(organization=organization, user=user, read_at__isnull=True)
    if notification is not None:
        unread = unread.filter(pk=notification.pk)
    return unread.update(read_at=timezone.now())


def email_subscription_set(model, *, organization: Organization, user, enabled: bool):
    """Subscribe the person to the e-mails `model` stands for (a row per person and organization
    with its `language`), in the active language; or unsubscribe them. An address is needed."""
    if not enabled:
        model.objects.filter(organization=organization, user=user).delete()
        return None
    if not user.email:
        raise ValidationError(_("Your account has no e-mail address: ask an administrator to add one first."))
    subscription, _created = model.objects.update_or_create(
        organization=organization, user=user, defaults={"language": translation.get_language() or "en"}
    )
    return subscription


def notification_email_set(*, organization: Organization, user, enabled: bool) -> NotificationEmail | None:
    """Send the person their notifications by e-mail too, or stop it."""
    return email_subscription_set(NotificationEmail, organization=organization, user=user, enabled=enabled)


# An e-mail tells what is new since the choice was made, and nothing older than a day.
NOTIFICATION_EMAIL_WINDOW = timedelta(days=1)
NOTIFICATIONS_PER_EMAIL = 50


def notifications_email() -> int:
    """E-mail each person who chose it their unread notifications not yet e-mailed (the round every
    few minutes: `schedules` in crm_portal/apps.py); returns how many e-mails went out.

    Each batch is claimed (its `emailed_at` set to this round's own stamp in one conditional update)
    before it is sent and released if sending fails: a notification is e-mailed once at most, and a
    round that dies after the claim leaves it unsent rather than sent twice."""
    sent = 0
    since = timezone.now() - NOTIFICATION_EMAIL_WINDOW
    for choice in NotificationEmail.objects.select_related("organization", "user"):
        if not choice.user.email:
            continue
        pending = Notification.objects.filter(
            organization=choice.organization_id,
            user=choice.user_id,
            read_at__isnull=True,
            emailed_at__isnull=True,
            created_at__gte=max(since, choice.created_at),
        )
        ids = list(pending.order_by("created_at", "id").values_list("pk", flat=True)[:NOTIFICATIONS_PER_EMAIL])
        if not ids:
            continue
        stamp = timezone.now()
        Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=stamp)
        claimed = list(Notification.objects.filter(pk__in=ids, emailed_at=stamp).order_by("created_at", "id"))
        if not claimed:
            continue  # another round took them
        try:
            with translation.override(choice.language):
                context = {
                    "organization": choice.organization,
                    "notifications": [(n, portal_url(n.url)) for n in claimed],
                    "all_url": portal_url(reverse("notifications:list")),
                }
                send_mail(
                    _("%(count)s new in %(organization)s")
                    % {"count": len(claimed), "organization": choice.organization.name},
                    render_to_string("notifications/email.txt", context),
                    None,
                    [choice.user.email],
                )
        except (smtplib.SMTPException, OSError):
            logger.exception("notification e-mail to user %s failed", choice.user_id)
            Notification.objects.filter(pk__in=[n.pk for n in claimed], emailed_at=stamp).update(emailed_at=None)
            continue
        sent += 1
    return sent
