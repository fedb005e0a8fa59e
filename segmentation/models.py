"""Uploaded files (datasets), classification runs and each client's classes per run."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm_portal.models import Job, TenantModel


def dataset_upload_to(instance: "Dataset", filename: str) -> str:
    suffix = ".csv" if filename.lower().endswith((".csv", ".txt")) else ".xlsx"
    return f"segmentation/{instance.organization_id}/{instance.token}{suffix}"


class Period(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class Measure(models.TextChoices):
    TURNOVER = "turnover", _("Turnover")
    MARGIN = "margin", _("Margin")


class SegmentationSettings(TenantModel):
    """An organization's ABC/XYZ thresholds, minimum history and period."""

    a = models.FloatField(
        _("A up to (share)"), default=0.5, validators=[MinValueValidator(0.01), MaxValueValidator(0.99)]
    )
    b = models.FloatField(
        _("B up to (share)"), default=0.8, validators=[MinValueValidator(0.02), MaxValueValidator(1.0)]
    )
    x = models.FloatField(_("X up to (CV)"), default=0.10, validators=[MinValueValidator(0.0), MaxValueValidator(10.0)])
    y = models.FloatField(_("Y up to (CV)"), default=0.25, validators=[MinValueValidator(0.0), MaxValueValidator(10.0)])
    min_history = models.PositiveSmallIntegerField(
        _("minimum history, periods"), default=4, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    period = models.CharField(_("period"), max_length=10, choices=Period.choices, default=Period.MONTH)
    measure = models.CharField(_("ABC by"), max_length=10, choices=Measure.choices, default=Measure.TURNOVER)

    class Meta:
        verbose_name = _("segmentation settings")
        verbose_name_plural = _("segmentation settings")
        constraints = [models.UniqueConstraint(fields=["organization"], name="one_segmentation_settings_per_org")]

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.a is not None and self.b is not None and not self.a < self.b:
            errors["b"] = _("The B threshold must be above the A threshold.")
        if self.x is not None and self.y is not None and not self.x < self.y:
            errors["y"] = _("The Y threshold must be above the X threshold.")
        if errors:
            raise ValidationError(errors)

    def params(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "x": self.x,
            "y": self.y,
            "min_history": self.min_history,
            "period": self.period,
        }


class Dataset(TenantModel):
    """An uploaded file: kept for the analyst, checked, then analysed or imported."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        INVALID = "invalid", _("Has problems")
        VALID = "valid", _("Valid")
        IMPORTED = "imported", _("Imported")

    token = models.CharField(max_length=32, unique=True, editable=False)
    name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to=dataset_upload_to, max_length=255)
    size = models.PositiveBigIntegerField(_("size, bytes"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHECKING)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    sheets = models.JSONField(_("sheets"), default=list, blank=True)
    mapping = models.JSONField(_("columns"), default=dict, blank=True)
    header = models.JSONField(_("header"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    negative_count = models.PositiveIntegerField(_("negative amounts"), default=0)
    # A long file's rows that repeat an earlier row exactly: {"count", "row", "first"} (spreadsheet rows), or {}.
    duplicates = models.JSONField(_("repeated rows"), default=dict, blank=True)
    client_count = models.PositiveIntegerField(_("clients"), default=0)
    rejected = models.FileField(_("rejected rows"), upload_to="segmentation/rejected/", blank=True, max_length=255)
    import_result = models.JSONField(_("import result"), default=dict, blank=True)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("segmentation:dataset", kwargs={"dataset_id": self.pk})


class Run(TenantModel):
    """One ABC/XYZ classification, on a file or on the client base, with its parameters."""

    class Source(models.TextChoices):
        FILE = "file", _("File")
        BASE = "base", _("Client base")

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, null=True, blank=True, related_name="runs", verbose_name=_("dataset")
    )
    params = models.JSONField(_("parameters"), default=dict)
    as_of = models.DateField(_("as of"))
    periods = models.JSONField(_("periods"), default=list, blank=True)
    client_count = models.PositiveIntegerField(_("clients"), default=0)
    total = models.FloatField(_("total"), default=0)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("ABC/XYZ run")
        verbose_name_plural = _("ABC/XYZ runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        source = self.dataset.name if self.dataset_id else str(_("client base"))
        return f"#{self.pk} {source} {self.as_of:%Y-%m-%d}"


class ClientClass(TenantModel):
    """A client's classes in one run (stored in bulk with COPY on PostgreSQL).

    Rows are always read through their run, so the only indexes are (run, rank) and, for runs on
    the client base, (client, run): every other index would slow down storing 100,000 rows.
    """

    organization = models.ForeignKey(
        "crm_portal.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("organization"),
    )
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="classes", db_index=False)
    client_key = models.CharField(_("client"), max_length=255)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    rank = models.PositiveIntegerField(_("rank"))
    total = models.FloatField(_("total"))
    share = models.FloatField(_("share"))
    cum_share = models.FloatField(_("cumulative share"))
    abc = models.CharField(_("ABC"), max_length=1)
    cv = models.FloatField(_("CV"), null=True, blank=True)
    xyz = models.CharField(_("XYZ"), max_length=1, blank=True)

    class Meta:
        verbose_name = _("client class")
        verbose_name_plural = _("client classes")
        ordering = ["rank"]
        indexes = [
            models.Index(fields=["run", "rank"], name="seg_class_run_rank"),
            models.Index(
                fields=["client", "run"], name="seg_class_client_run", condition=models.Q(client__isnull=False)
            ),
        ]
