"""The client register: clients, their people, settlements, deals, control points, complaints."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm_portal.models import BulkTenantModel, Organization, TenantModel

USER = settings.AUTH_USER_MODEL


class LifecycleState(models.TextChoices):
    POTENTIAL = "potential", _("Potential")
    NEW = "new", _("New")
    REGULAR = "regular", _("Regular")
    LOST = "lost", _("Lost")
    RENEWED = "renewed", _("Renewed")


ABC_CHOICES = [("A", "A"), ("B", "B"), ("C", "C")]
XYZ_CHOICES = [("X", "X"), ("Y", "Y"), ("Z", "Z")]


class Segment(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    target_products = models.ManyToManyField(
        "Product", blank=True, related_name="target_segments", verbose_name=_("target products")
    )

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="segment_name_unique")]

    def __str__(self) -> str:
        return self.name


class Product(TenantModel):
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="product_name_unique")]

    def __str__(self) -> str:
        return self.name


class RefusalReason(TenantModel):
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("refusal reason")
        verbose_name_plural = _("refusal reasons")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="refusal_reason_unique")]

    def __str__(self) -> str:
        return self.name


class ComplaintKind(TenantModel):
    """What a complaint is about (delivery, quality, documents...): the organization's own list."""

    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("complaint kind")
        verbose_name_plural = _("complaint kinds")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="complaint_kind_unique")]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    """How a client first came to the company: marketing efficiency is read per channel."""

    RECOMMENDATION = "recommendation", _("Recommendation of a client")
    WEBSITE = "website", _("Website and search")
    ADVERTISING = "advertising", _("Advertising")
    SOCIAL = "social", _("Social networks")
    EXHIBITION = "exhibition", _("Exhibitions and events")
    OUTREACH = "outreach", _("Cold calls and mailings")
    MARKETPLACE = "marketplace", _("Marketplaces")
    OTHER = "other", _("Other")


class Client(TenantModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Private person")

    class Customers(models.TextChoices):
        COMPANIES = "companies", _("Companies")
        PEOPLE = "people", _("Private persons")
        BOTH = "both", _("Both")

    # A client may be a private person: the Russian label reads "name or full name", not a company's "title".
    name = models.CharField(pgettext_lazy("client", "name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=32, blank=True)
    manager = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("manager")
    )
    segment = models.ForeignKey(
        Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="clients", verbose_name=_("segment")
    )
    channel = models.CharField(_("acquisition channel"), max_length=15, choices=Channel.choices, blank=True)
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    activity = models.CharField(_("type of activity"), max_length=120, blank=True)
    has_branches = models.BooleanField(_("has branches"), default=False)
    staff_size = models.PositiveIntegerField(_("staff size"), null=True, blank=True)
    main_customers = models.CharField(
        _("its own clients are mainly"), max_length=10, choices=Customers.choices, blank=True
    )
    year_founded = models.PositiveSmallIntegerField(
        _("year founded"), null=True, blank=True, validators=[MinValueValidator(1800), MaxValueValidator(2100)]
    )
    products = models.ManyToManyField(Product, blank=True, related_name="clients", verbose_name=_("products in use"))
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=ABC_CHOICES, blank=True)
    xyz_class = models.CharField(_("XYZ class"), max_length=1, choices=XYZ_CHOICES, blank=True)
    lifecycle_state = models.CharField(
        _("lifecycle state"), max_length=10, choices=LifecycleState.choices, default=LifecycleState.POTENTIAL
    )
    comments = models.TextField(_("comments"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The manager (its user id, 0 for none) and channel under which the client's month facts are
    # summed in the KPI cube (`KpiCube`): when they differ from the client's own, the cube moves the
    # client's sums before it is read (`services.kpi_cube_sync`), whatever changed the client.
    kpi_manager_key = models.IntegerField(default=0, editable=False)
    kpi_channel = models.CharField(max_length=15, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], condition=~Q(external_id=""), name="client_external_id_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "name", "id"]),
            models.Index(fields=["organization", "manager", "name"]),
            models.Index(fields=["organization", "lifecycle_state"]),
            models.Index(fields=["organization", "tax_number"]),
            models.Index(fields=["organization", "-created_at", "-id"]),
            models.Index(fields=["organization", "updated_at"]),
        ]

    def __str__(self) -> str:
        return self.name


class ContactPerson(TenantModel):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="persons", verbose_name=_("client"))
    # A person's name: in Russian a full name ("ФИО"), not the "title" of a thing.
    name = models.CharField(pgettext_lazy("person", "name"), max_length=200)
    position = models.CharField(_("position"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Settlement(BulkTenantModel):
    # An import writes a million of these at once: each index and each per-row foreign-key check
    # costs about as long as writing the rows. So no index the composite ones below already give
    # (client), and products and deals indexed only where a row has one.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="settlements", verbose_name=_("client"), db_index=False
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
        db_index=False,
    )
    document = models.CharField(_("document number"), max_length=64, blank=True)
    # A payment for a deal (or its refund) is a settlement of the deal: one money table for everything.
    deal = models.ForeignKey(
        "Deal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="settlements",
        verbose_name=_("deal"),
        db_index=False,
    )

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["client", "date"]),
            models.Index(fields=["organization", "date", "client"]),
            models.Index(fields=["product"], condition=Q(product__isnull=False), name="settlement_product"),
            models.Index(fields=["deal"], condition=Q(deal__isnull=False), name="settlement_deal"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount}"


class ClassChange(TenantModel):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="class_changes")
    abc_class = models.CharField(_("ABC class"), max_length=1, blank=True)
    xyz_class = models.CharField(_("XYZ class"), max_length=1, blank=True)
    previous_abc = models.CharField(_("previous ABC"), max_length=1, blank=True)
    previous_xyz = models.CharField(_("previous XYZ"), max_length=1, blank=True)
    run_label = models.CharField(_("run"), max_length=120, blank=True)
    as_of = models.DateField(_("as of"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("class change")
        verbose_name_plural = _("class changes")
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["client", "-as_of"])]


class StateChange(BulkTenantModel):
    """A change of a client's lifecycle state, and the state it starts: from `as_of` until the next change.

    Written only by `services.client_histories_rebuild`, from the settlements (a function of them,
    not a log): the state of a client on a day is the one row with as_of <= day < until.
    """

    # Derived rows like the month facts (see ClientMonth): no per-row check of the client either.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="state_changes", db_constraint=False, db_index=False
    )
    state = models.CharField(_("state"), max_length=10, choices=LifecycleState.choices)
    previous_state = models.CharField(_("previous state"), max_length=10, choices=LifecycleState.choices, blank=True)
    as_of = models.DateField(_("as of"))
    until = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("lifecycle change")
        verbose_name_plural = _("lifecycle changes")
        ordering = ["-as_of", "-id"]
        indexes = [
            models.Index(fields=["client", "-as_of"]),
            # The changes of a period (lost and restored clients) and the states on a day.
            models.Index(fields=["organization", "state", "as_of"]),
        ]


class ClientMonth(BulkTenantModel):
    """What a client did in a month: its sales by kind, its lifecycle state at the month's end and
    the changes within it (`facts.month_facts`). A row for each month with settlements or a change.

    Written only by `services.client_histories_rebuild`, with the history, from the settlements;
    the KPI tables read it instead of the settlements. The dimensions a sales head slices by
    (manager, segment, ABC and XYZ class of the latest run) are the client's own, joined on read,
    so they are never stale.
    """

    # Derived rows, rewritten whole with their client's history: no database-side foreign-key check
    # per row (a full rebuild writes two million of them; the checks cost longer than the writing).
    # Deleting a client still deletes its months (Django's cascade), and the unique (client, month)
    # and (organization, month) indexes serve every read.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="months", db_constraint=False, db_index=False
    )
    month = models.DateField(_("month"))
    turnover = models.DecimalField(_("turnover"), max_digits=16, decimal_places=2)
    settlements = models.IntegerField(_("settlements"))
    days = models.IntegerField(_("settlement days"))
    first_sale_n = models.SmallIntegerField(_("first sale"))
    first_sale_sum = models.DecimalField(_("first sale, sum"), max_digits=16, decimal_places=2)
    repeat_n = models.IntegerField(_("repeat sales"))
    repeat_sum = models.DecimalField(_("repeat sales, sum"), max_digits=16, decimal_places=2)
    new_line_n = models.IntegerField(_("sales in new lines"))
    new_line_sum = models.DecimalField(_("sales in new lines, sum"), max_digits=16, decimal_places=2)
    lines_total = models.IntegerField(_("product lines bought so far"))
    state_end = models.CharField(_("state at the month's end"), max_length=10, choices=LifecycleState.choices)
    lost_on = models.DateField(_("turned lost on"), null=True, blank=True)
    restored_on = models.DateField(_("turned renewed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("client month")
        verbose_name_plural = _("client months")
        constraints = [models.UniqueConstraint(fields=["client", "month"], name="one_fact_row_per_client_month")]
        indexes = [models.Index(fields=["organization", "month"])]


class KpiCube(BulkTenantModel):
    """The month facts summed by manager and acquisition channel: what the KPI totals of any period
    read instead of one row per client (`services.kpi_cube`, which keeps it; `selectors.kpi_totals`).

    Counts of distinct clients over a period are sums too, through `since`: a client is counted in
    the first of its rows that falls in the period. Kinds:
    - sales: a month's sums (`month`, `since` unused: LOW);
    - bought: a month in which a client's sales do not net to zero, `since` its previous such month;
    - lines: a month with settlements, `n` the client's product lines so far, `since` its next such
      month (HIGH for none): the client's last such month in a period gives its portfolio;
    - lost, restored: the day the state turned so (`month`), `since` the month of the previous one.
    """

    LOW, HIGH = datetime.date(1, 1, 1), datetime.date(9999, 12, 1)

    manager_key = models.IntegerField()
    channel = models.CharField(max_length=15, blank=True)
    kind = models.CharField(max_length=8)
    month = models.DateField()
    since = models.DateField()
    n = models.BigIntegerField(default=0)
    turnover = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    first_sale_n = models.BigIntegerField(default=0)
    first_sale_sum = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    repeat_n = models.BigIntegerField(default=0)
    repeat_sum = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    new_line_n = models.BigIntegerField(default=0)
    new_line_sum = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("KPI cube cell")
        verbose_name_plural = _("KPI cube cells")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "month", "manager_key", "channel", "since"], name="one_kpi_cube_cell"
            )
        ]


class RevenuePlan(TenantModel):
    """The revenue a sales head plans for a manager's clients in a month; a period's plan is the
    sum of its months'. Compared with the fact (the KPI revenue) on the dashboard."""

    manager = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+", verbose_name=_("manager"))
    month = models.DateField(_("month"))  # its 1st
    amount = models.DecimalField(_("planned revenue"), max_digits=14, decimal_places=2)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("revenue plan")
        verbose_name_plural = _("revenue plans")
        constraints = [
            models.UniqueConstraint(fields=["organization", "manager", "month"], name="one_plan_per_manager_month")
        ]


class MarketingSpend(TenantModel):
    """What the organization spent on one acquisition channel in a month; a period's spending is
    the sum of its months'. Read against the new clients and revenue of that channel."""

    channel = models.CharField(_("acquisition channel"), max_length=15, choices=Channel.choices)
    month = models.DateField(_("month"))  # its 1st
    amount = models.DecimalField(_("spent"), max_digits=14, decimal_places=2)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("marketing spending")
        verbose_name_plural = _("marketing spending")
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "month"], name="one_spend_per_channel_month")
        ]


class DigestSubscription(TenantModel):
    """A sales head's (or admin's, analyst's) wish to get the weekly digest by e-mail, in the
    language they subscribed in. `week_sent` (the Monday of the last week sent) makes each week's
    digest go out once, however often the weekly round runs."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    language = models.CharField(_("language"), max_length=10)
    week_sent = models.DateField(_("last week sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("subscribed"), auto_now_add=True)

    class Meta:
        verbose_name = _("weekly digest subscription")
        verbose_name_plural = _("weekly digest subscriptions")
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="one_digest_per_user")]


class FactsWrite(TenantModel):
    """A mark that some client's history or month facts changed (written with them, in their
    transaction): how many marks an organization has and its newest one tell readers that cache
    what is computed from the facts (the KPIs) whether the facts changed, without counting them.

    Only inserted, so writers never wait for one another; the nightly recompute keeps the newest.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization"), db_index=False
    )

    class Meta:
        indexes = [models.Index(fields=["organization", "id"])]


class Contact(TenantModel):
    """One logged interaction with a client."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("Email")
        MESSAGE = "message", _("Message")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("date"))
    summary = models.TextField(_("summary"))
    author = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["client", "-date"]), models.Index(fields=["organization", "date"])]


class Stage(models.TextChoices):
    PRESENTATION = "presentation", _("Presentation")
    OFFER = "offer", _("Commercial offer")
    AGREEMENT = "agreement", _("Agreement")
    PAYMENT = "payment", _("Payment")
    EVENT = "event", _("Event")
    CLOSING = "closing", _("Closing")


STAGE_ORDER = [s.value for s in Stage]


class Deal(TenantModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        REFUSED = "refused", _("Refused")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="deals", verbose_name=_("client"))
    title = models.CharField(_("title"), max_length=200)
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    # What was paid is the sum of the deal's settlements; this is the due date of an agreed deferral of the rest.
    payment_due_on = models.DateField(_("deferred payment due"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=15, choices=Stage.choices, default=Stage.PRESENTATION)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    refusal_reason = models.ForeignKey(
        RefusalReason,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refusal reason"),
    )
    refusal_note = models.CharField(_("refusal note"), max_length=300, blank=True)
    next_contact_on = models.DateField(_("next contact agreed for"), null=True, blank=True)
    manager = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status", "stage"]),
            models.Index(fields=["client", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def stage_index(self) -> int:
        return STAGE_ORDER.index(self.stage)


class DealEvent(TenantModel):
    """A step in a deal's history: a stage move, a refusal, or one of the real-life deviations."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Deal opened")
        MOVED = "moved", _("Moved to the next stage")
        REFUSED = "refused", _("Refused")
        RETRY = "retry", _("Presentation declined, retry planned")
        CLARIFICATION = "clarification", _("Offer needs clarification")
        PART_PAYMENT = "part_payment", _("Payment received")
        REFUND = "refund", _("Refund after prepayment")
        DEFERRAL = "deferral", _("Deferred payment agreed")
        SIGNATURES = "signatures", _("Several people sign")
        PREPARATION = "preparation", _("Preparation phase")
        UNHAPPY = "unhappy", _("Client unhappy after the event")
        CLOSED = "closed", _("Closed, next contact agreed")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    from_stage = models.CharField(_("from stage"), max_length=15, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to stage"), max_length=15, choices=Stage.choices, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    date = models.DateField(_("date"))
    author = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deal event")
        verbose_name_plural = _("deal events")
        ordering = ["-created_at", "-id"]


class DealDocument(TenantModel):
    """A document of a deal: its kind, number and date (the file itself lives in the accounting system)."""

    class Kind(models.TextChoices):
        MINUTES = "minutes", _("Meeting minutes")
        OFFER = "offer", _("Commercial offer")
        CONTRACT = "contract", _("Contract")
        INVOICE = "invoice", _("Invoice")
        ACT = "act", _("Act of acceptance")
        QUESTIONNAIRE = "questionnaire", _("Satisfaction questionnaire")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=64, blank=True)
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    author = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deal document")
        verbose_name_plural = _("deal documents")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}".strip()


class ControlPoint(TenantModel):
    class Kind(models.TextChoices):
        MINUTES = "minutes", _("Meeting minutes sent")
        OFFER_EXPIRY = "offer_expiry", _("Offer expires")
        INVOICE_EXPIRY = "invoice_expiry", _("Invoice expires")
        EVENT = "event", _("Event date")
        SURVEY = "survey", _("Satisfaction survey")
        AMENDMENT = "amendment", _("Contract or offer amendment")
        RETRY = "retry", _("Retry the presentation")
        CONTACT_GAP = "contact_gap", _("Longest allowed pause between contacts")
        NEXT_CONTACT = "next_contact", _("Agreed next contact")
        CARE = "care", _("Care: greeting or invitation")
        SIGNATURES = "signatures", _("Signatures collected")
        PREPARATION = "preparation", _("Preparation phase done")
        BIRTHDAY = "birthday", _("Birthday greeting")
        HOLIDAY = "holiday", _("Holiday greeting")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="control_points", verbose_name=_("client")
    )
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="control_points")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    due_date = models.DateField(_("due date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    responsible = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("responsible")
    )
    # Who gave the point to its responsible colleague (`services.control_point_assign`): they track it.
    assigned_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("given by")
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # What a point made by the care round greets ("birthday:<person>:<year>", "holiday:<holiday>:<year>"):
    # unique per client, so a second round (or two at once) adds nothing.
    occasion = models.CharField(max_length=40, blank=True, editable=False)

    class Meta:
        verbose_name = _("control point")
        verbose_name_plural = _("control points")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "occasion"], condition=~Q(occasion=""), name="cp_occasion_once")
        ]
        indexes = [
            models.Index(fields=["client", "due_date"], condition=Q(done_at__isnull=True), name="cp_open_client"),
            models.Index(
                fields=["organization", "responsible", "due_date"],
                condition=Q(done_at__isnull=True),
                name="cp_open_resp",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_date}"


class SatisfactionAssessment(TenantModel):
    ITEMS = {
        "quality": _("Product quality"),
        "appearance": _("Product appearance"),
        "delivery": _("Delivery speed"),
        "payment": _("Convenient payment"),
        "service": _("Manager's service"),
    }

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("client"))
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    date = models.DateField(_("date"))
    scores = models.JSONField(_("scores"), default=dict)
    comment = models.TextField(_("comment"), blank=True)
    author = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction assessment")
        verbose_name_plural = _("satisfaction assessments")
        ordering = ["-date", "-id"]

    @property
    def lowest(self) -> int | None:
        return min(self.scores.values()) if self.scores else None


class Complaint(TenantModel):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        INVESTIGATING = "investigating", _("Investigating")
        CAUSE_REMOVED = "cause_removed", _("Cause removed")
        PROCESS_CORRECTED = "process_corrected", _("Process corrected")
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Registered by staff")
        SATISFACTION = "satisfaction", _("Low satisfaction score")
        SURVEY = "survey", _("Survey answer")
        AFTER_EVENT = "after_event", _("Unhappy after a deal's event")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="complaints", verbose_name=_("client"))
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.ForeignKey(
        ComplaintKind,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=pgettext_lazy("complaint", "kind"),
    )
    source = models.CharField(_("source"), max_length=15, choices=Source.choices, default=Source.MANUAL)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    owner = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    cause = models.TextField(_("cause"), blank=True)
    actions = models.TextField(_("actions taken"), blank=True)
    author = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    assessment = models.ForeignKey(
        SatisfactionAssessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="complaints"
    )
    # The deal whose event left the client unhappy (`services.deal_case_open`).
    deal = models.ForeignKey(
        "Deal", on_delete=models.SET_NULL, null=True, blank=True, related_name="complaints", verbose_name=_("deal")
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["client", "-created_at"])]

    def __str__(self) -> str:
        return self.subject


class ComplaintStep(TenantModel):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(_("status"), max_length=20, choices=Complaint.Status.choices)
    owner = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        ordering = ["created_at", "id"]


class Offer(TenantModel):
    """A target product's status for one client (the ideal-client matrix)."""

    class Status(models.TextChoices):
        NOT_OFFERED = "not_offered", _("Not offered")
        OFFERED = "offered", _("Offered")
        REFUSED = "refused", _("Refused")
        SIGNED = "signed", _("Contract signed")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="offers")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("product"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NOT_OFFERED)
    status_date = models.DateField(_("date"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [models.UniqueConstraint(fields=["client", "product"], name="offer_client_product_unique")]


class AuditEntry(TenantModel):
    """Who changed what on a client or a deal, and when."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="audit_entries")
    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(_("action"), max_length=60)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"])]
