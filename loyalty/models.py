"""Surveys with personal links, stored metric values, IQS scorecards and loyalty programmes."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Complaint, Product, Segment, Settlement
from crm_portal.models import Membership, TenantModel


class Campaign(TenantModel):
    """One round of a survey sent to a target group; each respondent gets a personal link."""

    class Kind(models.TextChoices):
        NPS = "nps", _("NPS: would you recommend us")
        CSAT = "csat", _("CSAT: satisfaction")
        CES = "ces", _("CES: ease of dealing with us")
        ENPS = "enps", _("eNPS: employees")
        PRODUCT = "product", _("Satisfaction with a product")
        IDEAL_SUPPLIER = "ideal_supplier", _("The ideal supplier (full)")
        IDEAL_SUPPLIER_SHORT = "ideal_supplier_short", _("The ideal supplier in three questions")
        IDEAL_SERVICE = "ideal_service", _("The ideal service")

    class Audience(models.TextChoices):
        CLIENTS = "clients", _("Clients")
        EMPLOYEES = "employees", _("Employees")

    class Recurrence(models.IntegerChoices):
        ONCE = 0, _("Once")
        QUARTERLY = 3, _("Every 3 months")
        HALF_YEARLY = 6, _("Every 6 months")
        YEARLY = 12, _("Every 12 months")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Started by a person")
        RECURRENCE = "recurrence", _("Repeated on schedule")
        COMPLAINT = "complaint", _("After a closed complaint")
        FIRST_SALE = "first_sale", _("After the first sale of a product")
        YEARLY = "yearly", _("The yearly satisfaction round")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("questionnaire"), max_length=20, choices=Kind.choices)
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices)
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices, default=Trigger.MANUAL)
    # The questionnaire as it was when the campaign started: editing the files never changes it.
    questionnaire = models.JSONField(_("questionnaire content"), default=dict)
    filter_abc_class = models.CharField(_("ABC class"), max_length=1, blank=True)
    filter_lifecycle_state = models.CharField(_("lifecycle state"), max_length=12, blank=True)
    filter_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("manager"),
    )
    filter_segment = models.ForeignKey(
        Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("segment")
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
        help_text=_("The product the questionnaire asks about (product satisfaction only)."),
    )
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("after complaint"),
    )
    valid_days = models.PositiveSmallIntegerField(
        _("link valid, days"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind after, days"),
        default=7,
        validators=[MaxValueValidator(180)],
        help_text=_("0 means no reminders."),
    )
    recurrence_months = models.PositiveSmallIntegerField(
        _("repeat"), choices=Recurrence.choices, default=Recurrence.ONCE
    )
    next_run_on = models.DateField(_("next round on"), null=True, blank=True)
    series = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name=_("first round of the series"),
    )
    round_number = models.PositiveSmallIntegerField(_("round"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The language of the person who started the campaign (a later round keeps its series'): what
    # the portal writes for it afterwards, such as the subject of a case a low score opens, is in it.
    language = models.CharField(_("language"), max_length=8, blank=True)
    started_on = models.DateField(_("started on"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")
        ordering = ["-started_on", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_employee_survey(self) -> bool:
        return self.audience == self.Audience.EMPLOYEES


class Invitation(TenantModel):
    """A personal single-use link: an unguessable token with an expiry date."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(_("token"), max_length=64, unique=True)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("client")
    )
    membership = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("employee"),
    )
    respondent = models.CharField(_("respondent"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    # When the link went out by e-mail and when the reminder did: each is sent once per link.
    sent_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder e-mailed"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal link")
        verbose_name_plural = _("personal links")
        ordering = ["campaign", "respondent", "id"]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.respondent}"


class Response(TenantModel):
    """One filled questionnaire. Employee answers carry no link to the person who gave them."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("client")
    )
    metric = models.CharField(_("metric"), max_length=8)  # nps, csat, ces or enps: what `score` feeds
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("why"), blank=True)
    answers = models.JSONField(_("answers"), default=dict)
    language = models.CharField(_("language"), max_length=8, blank=True)
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case opened"),
    )
    # A date, not a time: a time could tell who answered an anonymous survey.
    answered_on = models.DateField(_("answered on"))

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-answered_on", "-id"]
        indexes = [models.Index(fields=["organization", "metric", "answered_on"])]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.score}"


class Interview(TenantModel):
    """A conversation a manager held with a client by one of the interview guides (winning a client
    from a competitor), with the answers written down; it keeps a copy of the guide it was held by."""

    class Kind(models.TextChoices):
        WIN_OVER = "win_over", _("Winning a client from a competitor")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client"))
    kind = models.CharField(_("guide"), max_length=20, choices=Kind.choices)
    questionnaire = models.JSONField(_("questions"), default=dict)
    answers = models.JSONField(_("answers"), default=dict)
    held_on = models.DateField(_("held on"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["client", "-held_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


class MetricValue(TenantModel):
    """One metric for one period and one slice (all, a segment, a class, a manager, a product)."""

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    class Dimension(models.TextChoices):
        ALL = "all", _("All clients")
        SEGMENT = "segment", _("Segment")
        ABC = "abc", _("ABC class")
        MANAGER = "manager", _("Manager")
        PRODUCT = "product", _("Product")

    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    metric = models.CharField(_("metric"), max_length=24)
    dimension = models.CharField(_("slice"), max_length=10, choices=Dimension.choices, default=Dimension.ALL)
    key = models.CharField(_("slice key"), max_length=64, blank=True)
    label = models.CharField(_("slice name"), max_length=200, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True)
    count = models.PositiveIntegerField(_("based on"), default=0)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("metric value")
        verbose_name_plural = _("metric values")
        ordering = ["metric", "period_start", "dimension", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period_kind", "period_start", "metric", "dimension", "key"],
                name="one_metric_value_per_slice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.period_start} {self.dimension}:{self.key} = {self.value}"


class Scorecard(TenantModel):
    """A sales head's grid for grading a manager's dialogue with a client (IQS)."""

    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("IQS scorecard")
        verbose_name_plural = _("IQS scorecards")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ScorecardCriterion(TenantModel):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    text = models.CharField(_("criterion"), max_length=300)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("scorecard criterion")
        verbose_name_plural = _("scorecard criteria")
        ordering = ["scorecard", "position", "id"]

    def __str__(self) -> str:
        return self.text


class DialogueGrade(TenantModel):
    """One graded dialogue; the marks keep the criteria and weights as they were then."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.RESTRICT, related_name="grades")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("manager")
    )
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("graded by"),
    )
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("client")
    )
    graded_on = models.DateField(_("dialogue date"))
    marks = models.JSONField(_("marks"), default=list)
    iqs = models.FloatField(_("IQS, %"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("graded dialogue")
        verbose_name_plural = _("graded dialogues")
        ordering = ["-graded_on", "-id"]

    def __str__(self) -> str:
        return f"{self.manager} {self.graded_on}: {self.iqs}"


class Programme(TenantModel):
    """The organization's loyalty programme, built on one key factor."""

    class KeyFactor(models.TextChoices):
        TREATMENT = "treatment", _("Special treatment")
        SERVICES = "services", _("Special services")
        PRICES = "prices", _("Special prices")

    name = models.CharField(_("name"), max_length=200)
    key_factor = models.CharField(_("key factor"), max_length=12, choices=KeyFactor.choices)
    points_per_thousand = models.PositiveSmallIntegerField(
        _("points per 1000 of payments"), default=10, validators=[MaxValueValidator(1000)]
    )
    validity_months = models.PositiveSmallIntegerField(
        _("points valid, months"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    tier_window_months = models.PositiveSmallIntegerField(
        _("turnover counted over, months"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")
        constraints = [models.UniqueConstraint(fields=["organization"], name="one_programme_per_org")]

    def __str__(self) -> str:
        return self.name


class Tier(TenantModel):
    class MinClass(models.TextChoices):
        ANY = "", _("any class")
        C = "C", _("C or better")
        B = "B", _("B or better")
        A = "A", _("A")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(_("name"), max_length=60)
    rank = models.PositiveSmallIntegerField(_("rank"), validators=[MinValueValidator(1), MaxValueValidator(20)])
    min_turnover = models.DecimalField(
        _("minimum turnover"), max_digits=16, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    min_tenure_months = models.PositiveSmallIntegerField(_("minimum tenure, months"), default=0)
    min_class = models.CharField(_("minimum ABC class"), max_length=1, blank=True, choices=MinClass.choices)
    discount_percent = models.DecimalField(
        _("discount, %"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        verbose_name = _("programme tier")
        verbose_name_plural = _("programme tiers")
        ordering = ["programme", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "rank"], name="one_tier_per_rank"),
            models.UniqueConstraint(fields=["programme", "name"], name="tier_names_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class PointAccount(TenantModel):
    """A client's bonus-point balance and tier; every change goes through a `PointMovement`."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="point_account")
    balance = models.IntegerField(_("balance"), default=0)
    tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("tier")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("point account")
        verbose_name_plural = _("point accounts")
        ordering = ["client__name", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(balance__gte=0), name="point_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.client}: {self.balance}"


class PointMovement(TenantModel):
    class Kind(models.TextChoices):
        EARNED = "earned", _("Earned")
        REDEEMED = "redeemed", _("Redeemed")
        EXPIRED = "expired", _("Expired")

    account = models.ForeignKey(PointAccount, on_delete=models.CASCADE, related_name="movements")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("points"))  # positive when earned, negative otherwise
    balance_after = models.IntegerField(_("balance after"))
    occurred_on = models.DateField(_("date"))
    # SET_NULL: a corrected settlement must not be blocked by the ledger; the movement stays.
    settlement = models.OneToOneField(
        Settlement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("settlement"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("point movement")
        verbose_name_plural = _("point movements")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(balance_after__gte=0), name="movement_balance_not_negative"),
            models.CheckConstraint(
                condition=(models.Q(kind="earned", points__gt=0) | (~models.Q(kind="earned") & models.Q(points__lt=0))),
                name="movement_sign_follows_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.client}: {self.points:+d}"


class ProgrammeTool(TenantModel):
    """One more instrument of the programme besides tiers and points (DOMAIN 6): its rules as the
    client reads them, what it gives, and who may use it (a minimum ABC class, a minimum tier)."""

    class Kind(models.TextChoices):
        PROGRESSIVE = "progressive", _("Progressive discount by purchase size")
        PERSONAL_CARD = "personal_card", _("Personal discount card")
        BEARER_CARD = "bearer_card", _("Bearer discount card")
        VIP = "vip", _("VIP service conditions")
        CLOSED = "closed", _("Access to closed resources")
        DRAW = "draw", _("Prizes and draws")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tools")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    rules = models.TextField(_("rules for the client"))
    discount_percent = models.DecimalField(
        _("discount, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # A progressive discount's steps: [[from amount, percent], ...] as text, rising.
    steps = models.JSONField(_("steps"), default=list, blank=True)
    min_class = models.CharField(_("minimum ABC class"), max_length=1, blank=True, choices=Tier.MinClass.choices)
    min_tier = models.ForeignKey(
        Tier, on_delete=models.RESTRICT, null=True, blank=True, related_name="+", verbose_name=_("minimum tier")
    )

    class Meta:
        verbose_name = _("programme tool")
        verbose_name_plural = _("programme tools")
        ordering = ["programme", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["programme", "name"], name="tool_names_unique")]

    def __str__(self) -> str:
        return self.name


class ProductSurvey(TenantModel):
    """The items a product's satisfaction questionnaire asks (codes of `questionnaires/product.yaml`
    besides the overall score and its reason); without a row, or with none chosen, it asks them all."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("product"))
    items = models.JSONField(_("items asked"), default=list, blank=True)

    class Meta:
        verbose_name = _("product questionnaire")
        verbose_name_plural = _("product questionnaires")

    def __str__(self) -> str:
        return str(self.product)
