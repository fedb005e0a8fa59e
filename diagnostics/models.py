"""Instruments (global, versioned content), assessments with answers, actions, CJM and AIDA+L maps."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from crm_portal.models import TenantModel

from .definition import localized


class Instrument(models.Model):
    """A questionnaire, identified by its code; its content lives in versions."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(pgettext_lazy("order in a list", "position"), default=0)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        latest = self.latest_version()
        return latest.title if latest else self.code

    def latest_version(self) -> "InstrumentVersion | None":
        return self.versions.order_by("-number").first()


class InstrumentVersion(models.Model):
    """One immutable state of an instrument's content; assessments point at the one they used."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="versions", verbose_name=_("instrument")
    )
    number = models.PositiveIntegerField(_("version"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    definition = models.JSONField(_("definition"))
    created_at = models.DateTimeField(_("loaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        ordering = ["instrument__position", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="one_number_per_instrument"),
            models.UniqueConstraint(fields=["instrument", "content_hash"], name="one_version_per_content"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    @property
    def title(self) -> str:
        return localized(self.definition.get("title"), get_language() or "en")


class Assessment(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("In progress")
        COMPLETED = "completed", _("Completed")

    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("instrument version")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    started_at = models.DateTimeField(_("started"))
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.version.title} #{self.pk}"

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED

    @property
    def done_at(self):
        return self.completed_at or self.started_at


class Answer(TenantModel):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="answers", verbose_name=_("assessment")
    )
    item_key = models.CharField(_("item"), max_length=80)
    value = models.JSONField(_("answer"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    updated_at = models.DateTimeField(_("saved"), auto_now=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["assessment", "item_key"], name="one_answer_per_item")]

    def __str__(self) -> str:
        return f"{self.item_key}: {self.value}"


class Action(TenantModel):
    """An improvement taken from a report's agenda, with an owner and a due date."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("action status", "Open")
        DONE = "done", pgettext_lazy("action status", "Done")

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="actions", verbose_name=_("assessment")
    )
    item_key = models.CharField(_("item"), max_length=80)
    title = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="diagnostic_actions", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["status", "due_date", "id"]

    def __str__(self) -> str:
        return self.title


class JourneyMap(TenantModel):
    """A customer journey map of one persona; copying it starts the next version."""

    title = models.CharField(_("title"), max_length=200)
    persona = models.CharField(_("persona"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies", verbose_name=_("copied from")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer journey map")
        verbose_name_plural = _("customer journey maps")
        ordering = ["persona", "title", "-version"]

    def __str__(self) -> str:
        return f"{self.title} ({self.persona}) v{self.version}"


class Touchpoint(TenantModel):
    class Stage(models.TextChoices):
        DISCOVERY = "discovery", _("Discovery")
        CONSIDERATION = "consideration", _("Consideration")
        PURCHASE = "purchase", pgettext_lazy("journey stage", "Purchase")
        USE = "use", _("Use and service")
        REPEAT = "repeat", pgettext_lazy("journey stage", "Repeat purchase")
        ADVOCACY = "advocacy", _("Advocacy")

    journey_map = models.ForeignKey(
        JourneyMap, on_delete=models.CASCADE, related_name="touchpoints", verbose_name=_("map")
    )
    position = models.PositiveIntegerField(pgettext_lazy("order in a list", "position"), default=0)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    name = models.CharField(_("touchpoint"), max_length=200)
    channel = models.CharField(_("channel"), max_length=120)
    client_action = models.TextField(_("what the client does"), max_length=2000)
    emotion = models.SmallIntegerField(
        _("emotion"),
        validators=[MinValueValidator(-2), MaxValueValidator(2)],
        help_text=_("From -2 (very bad) to +2 (delighted)."),
    )
    pains = models.TextField(_("pains"), blank=True, max_length=2000, help_text=_("One pain per line."))
    owner = models.CharField(_("owner in the company"), max_length=200, blank=True)
    ideas = models.TextField(_("improvement ideas"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        ordering = ["journey_map", "position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def pain_list(self) -> list[str]:
        return [line.strip() for line in self.pains.splitlines() if line.strip()]


class AidaMap(TenantModel):
    """An AIDA+L map: personas x the five stages, with the company's actions per cell."""

    title = models.CharField(_("title"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("AIDA+L map")
        verbose_name_plural = _("AIDA+L maps")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class AidaPersona(TenantModel):
    aida_map = models.ForeignKey(AidaMap, on_delete=models.CASCADE, related_name="personas", verbose_name=_("map"))
    name = models.CharField(_("persona"), max_length=200)

    class Meta:
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        ordering = ["aida_map", "id"]
        constraints = [models.UniqueConstraint(fields=["aida_map", "name"], name="one_persona_name_per_map")]

    def __str__(self) -> str:
        return self.name


class AidaAction(TenantModel):
    class Stage(models.TextChoices):
        AWARENESS = "awareness", _("Awareness")
        INTEREST = "interest", pgettext_lazy("AIDA stage", "Interest")
        DESIRE = "desire", pgettext_lazy("AIDA stage", "Desire")
        ACTION = "action", pgettext_lazy("AIDA stage", "Action")
        LOYALTY = "loyalty", _("Loyalty")

    aida_map = models.ForeignKey(AidaMap, on_delete=models.CASCADE, related_name="actions", verbose_name=_("map"))
    persona = models.ForeignKey(
        AidaPersona, on_delete=models.CASCADE, related_name="actions", verbose_name=_("persona")
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    description = models.CharField(_("what the company does"), max_length=300)
    owner = models.CharField(_("owner"), max_length=200)
    channel = models.CharField(_("channel"), max_length=120)

    class Meta:
        verbose_name = _("AIDA+L action")
        verbose_name_plural = _("AIDA+L actions")
        ordering = ["persona", "stage", "id"]

    def __str__(self) -> str:
        return self.description
