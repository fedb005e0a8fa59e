"""Organizations, memberships with roles, and background jobs: the core every app stands on."""

import datetime
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import formats
from django.utils.dates import MONTHS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def job_text(text: list) -> str:
    """A stored `[msgid, params]` in the active language, numbers written the reader's way."""
    msgid, params = text
    if not params:
        return gettext(msgid)
    shown = {key: formats.localize(value) for key, value in params.items()}
    try:
        return gettext(msgid) % shown
    except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder: say it in English
        return msgid % shown


class Role(models.TextChoices):
    MANAGER = "manager", _("Manager")
    SALES_HEAD = "sales_head", _("Sales head")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")


# Who reads the whole organization's figures and runs its surveys and jobs; managers see their own.
HEADS_AND_ANALYSTS = (Role.SALES_HEAD, Role.ANALYST, Role.ADMIN)


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    lifecycle_period_months = models.PositiveSmallIntegerField(
        _("lifecycle period, months"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("Ideally the average interval between a client's purchases."),
    )
    contact_gap_days = models.PositiveSmallIntegerField(
        _("longest pause between contacts, days"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("When a client has had no contact for this long, its manager has a control point due."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the person last chose this organization: a new sign-in opens the one used last.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")]
        ordering = ["organization__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"


class TenantQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> "TenantQuerySet":
        return self.filter(organization=organization)


class TenantModel(models.Model):
    """A row that belongs to exactly one organization; read it through `for_org`."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Holiday(TenantModel):
    """A day in the year the organization greets every client on (New Year, its own anniversary):
    the morning round gives each client's manager a greeting point a week ahead."""

    name = models.CharField(_("name"), max_length=100)
    month = models.PositiveSmallIntegerField(
        _("month"), choices=list(MONTHS.items()), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(_("day"), validators=[MinValueValidator(1), MaxValueValidator(31)])

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["month", "day"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month", "day"],
                name="one_holiday_a_day",
                violation_error_message=_("There is already a holiday on this day."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def in_leap_year(self) -> datetime.date:
        """The day in a leap year (every holiday exists there): for showing it as "3 December"."""
        return datetime.date(2000, self.month, self.day)

    def clean(self) -> None:
        if self.month not in range(1, 13) or self.day not in range(1, 32):
            return  # the fields' own validators name the problem
        try:
            self.in_leap_year()
        except ValueError:
            raise ValidationError({"day": _("This month has no such day.")}) from None


class BulkTenantModel(TenantModel):
    """A tenant row written a million at a time (settlements, the facts derived from them): its
    organization is neither checked by the database row by row (the checks would cost as long as
    the writing; the organization is its client's, and Django's cascade still deletes the rows of an
    organization) nor indexed alone (its composite indexes lead with it)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organization"),
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        abstract = True


class MembershipInvitation(TenantModel):
    """An offer of a role in the organization; the membership exists only once the person accepts.

    `invitee` is the login or e-mail address exactly as the administrator typed it: nothing about
    the account it may name is looked up or shown before the person answers. The link e-mailed to
    an address carries a random token of which only the hash is stored.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")

    invitee = models.CharField(_("login or e-mail"), max_length=254)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("valid until"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "invitee"])]

    def __str__(self) -> str:
        return f"{self.invitee} @ {self.organization} ({self.get_role_display()}, {self.status})"

    @staticmethod
    def hash_token(token: str) -> str:
        """What is stored of a link's token: the link itself exists only in the e-mail."""
        return hashlib.sha256(token.encode()).hexdigest()

    def is_open(self, now) -> bool:
        """Pending and not expired at `now`: the only state in which it can be answered."""
        return self.status == self.Status.PENDING and now < self.expires_at


class Job(TenantModel):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    FINISHED = (Status.SUCCEEDED, Status.FAILED)
    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(_("kind"), max_length=60)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0, validators=[MaxValueValidator(100)])
    message = models.CharField(_("message"), max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    # `message` and `error` in English, and here what they were written from (msgid and named
    # parameters): each reader sees them in their own language, whoever started the job.
    texts = models.JSONField(_("texts to translate"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    # The language of the person who started the job: the runner works in it (file names, subjects).
    language = models.CharField(_("language"), max_length=10, blank=True)
    # What the job acts on (a dataset, a campaign, a period): one job per kind and key may be active.
    key = models.CharField(_("object"), max_length=200, blank=True)
    # The broker only carries messages; these let the sweeper find a job whose message or worker was lost.
    task_id = models.CharField(_("message"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent to the workers"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["status", "sent_at"]),
        ]
        constraints = [
            # A second click, or a second tab, finds the job already queued instead of doing the work twice.
            models.UniqueConstraint(
                fields=["organization", "kind", "key"],
                condition=models.Q(status__in=["queued", "running"]) & ~models.Q(key=""),
                name="one_active_job_per_object",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def kind_label(self) -> str:
        """What a person calls this kind of job, from the `job_kinds` of the app that runs it."""
        from django.apps import apps

        for config in apps.get_app_configs():
            label = getattr(config, "job_kinds", {}).get(self.kind)
            if label:
                return str(label)
        return self.kind

    @property
    def message_text(self) -> str:
        """The progress message in the reader's language."""
        return job_text(self.texts["message"]) if self.texts.get("message") else self.message

    @property
    def error_text(self) -> str:
        """The error in the reader's language where it is the portal's own text."""
        return " ".join(job_text(text) for text in self.texts["error"]) if self.texts.get("error") else self.error


class Notification(TenantModel):
    """Something a person should know about their work, under the bell in the header (and by e-mail
    for those who chose it): a point given to them, a complaint or a low score on their client, their
    point overdue. One per person, kind and subject (`key`): told twice, a person hears it once."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Given to you")
        COMPLAINT = "complaint", _("A complaint about your client")
        LOW_SCORE = "low_score", _("A low score from your client")
        OVERDUE = "overdue", _("Your control point is overdue")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    key = models.CharField(_("subject key"), max_length=64)
    # What it is about, as the portal names it (a client, a point): data, shown as it is in any language.
    text = models.CharField(_("about"), max_length=300)
    url = models.CharField(_("link"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "kind", "key"], name="one_notification_per_subject")
        ]
        indexes = [
            models.Index(
                fields=["organization", "user"], condition=models.Q(read_at__isnull=True), name="notification_unread"
            )
        ]


class NotificationEmail(TenantModel):
    """A person's choice to get their notifications by e-mail as well, in the language they chose it in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(_("language"), max_length=10)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="one_email_choice_per_person")]
