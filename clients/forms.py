"""Forms of the client register: they validate input; services do the writing."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm_portal.validators import single_line

from .lifecycle import STATES, month_end
from .models import (
    ABC_CHOICES,
    XYZ_CHOICES,
    Channel,
    Client,
    Complaint,
    ComplaintKind,
    Contact,
    ContactPerson,
    ControlPoint,
    Deal,
    DealDocument,
    DealEvent,
    LifecycleState,
    Offer,
    Product,
    RefusalReason,
    SatisfactionAssessment,
    Segment,
    Stage,
)
from .selectors import PERIOD_EVENTS, ClientFilter, DealFilter, preset_period
from .services import CLIENT_FIELDS, settlement_date_bounds

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def date_field(label, required=True, **kwargs):
    return forms.DateField(label=label, required=required, widget=DATE, **kwargs)


def small_widgets(form) -> None:
    """Compact Bootstrap classes for forms rendered field by field (filters, periods)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-sm"
        else:
            widget.attrs["class"] = "form-control form-control-sm"


class OrgFormMixin:
    """Limit every choice of a tenant model to the request's organization."""

    def scope(self, organization, **querysets):
        for name, queryset in querysets.items():
            self.fields[name].queryset = queryset.filter(organization=organization)


class ClientForm(OrgFormMixin, forms.ModelForm):
    class Meta:
        model = Client
        fields = [*CLIENT_FIELDS, "products"]
        widgets = {"comments": forms.Textarea(attrs={"rows": 3}), "products": forms.CheckboxSelectMultiple}
        error_messages = {"name": {"required": _("Give the client's name.")}}

    def __init__(self, *args, organization, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        self.scope(organization, segment=Segment.objects.all(), products=Product.objects.all())
        self.fields["manager"].queryset = managers

    def validate_unique(self):
        """Uniqueness is checked by the service with a clearer message."""

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the client's name."))
        return name


class ContactPersonForm(forms.ModelForm):
    class Meta:
        model = ContactPerson
        fields = ["name", "position", "phone", "email", "birthday"]
        widgets = {"birthday": DATE}

    def clean_birthday(self):
        birthday = self.cleaned_data["birthday"]
        if birthday and birthday > timezone.localdate():
            raise forms.ValidationError(_("A birthday cannot be in the future."))
        return birthday


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Contact.Kind.choices)
    date = date_field(_("Date"), initial=timezone.localdate)
    # Its own context: a bare "Summary" would take the admin's Russian "Краткая статистика" (listed
    # first, django.contrib.admin's catalogue wins over ours).
    summary = forms.CharField(
        label=pgettext_lazy("contact", "Summary"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A contact that has happened cannot be in the future."))
        return day


class SettlementForm(OrgFormMixin, forms.Form):
    date = date_field(_("Date"), initial=timezone.localdate)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    document = forms.CharField(label=_("Document number"), max_length=64, required=False)
    refund = forms.BooleanField(
        label=_("Refund or correction"),
        required=False,
        help_text=_("Money returned to the client or a correction: stored as a negative amount."),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope(organization, product=Product.objects.all())
        first, last = settlement_date_bounds()
        self.fields["date"].widget.attrs.update({"min": first.isoformat(), "max": last.isoformat()})


class DealForm(OrgFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    amount = forms.DecimalField(
        label=_("Expected amount"), max_digits=14, decimal_places=2, required=False, min_value=0
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope(organization, product=Product.objects.all())


class DealPageForm(forms.Form):
    """One of the deal page's forms: its own field ids, so that each label points at its own field."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


# The date the move from a stage carries (see services.STAGE_DATES), named for that move.
DUE_DATE_LABELS = {
    Stage.PRESENTATION: _("Offer expires on"),
    Stage.AGREEMENT: _("Invoice expires on"),
    Stage.PAYMENT: _("Event date"),
}


class DealAdvanceForm(DealPageForm):
    """The move from the deal's stage: only the fields that move needs."""

    id_prefix = "advance"
    # The stage the person saw: a second click (or a second tab) finds the deal moved and changes nothing.
    from_stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput, required=False)
    due_date = date_field("", required=False)
    amount = forms.DecimalField(label=_("Invoice amount"), max_digits=14, decimal_places=2, required=False)
    next_contact_on = date_field(_("Next contact agreed for"), required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, deal: Deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_stage"].initial = deal.stage
        if deal.stage in DUE_DATE_LABELS:
            self.fields["due_date"].label = DUE_DATE_LABELS[deal.stage]
        else:
            del self.fields["due_date"]
        # The invoice, and so its amount, is issued on the move to payment only.
        if deal.stage == Stage.AGREEMENT:
            self.fields["amount"].initial = deal.amount
        else:
            del self.fields["amount"]
        if deal.stage != Stage.CLOSING:
            del self.fields["next_contact_on"]

    def clean_from_stage(self) -> str | None:
        return self.cleaned_data["from_stage"] or None


class DealBoardFilterForm(OrgFormMixin, forms.Form):
    """The deal board's filter: a manager's clients, a segment, deals opened within dates."""

    manager = forms.ModelChoiceField(label=_("Manager"), queryset=Client.objects.none(), required=False)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.none(), required=False)
    start = date_field(_("Opened from"), required=False)
    end = date_field(_("Opened to"), required=False)
    # Set by a dashboard's product filter and by a funnel row's link, not in the filter bar.
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, widget=forms.HiddenInput)
    reached = forms.ChoiceField(required=False, choices=[("", ""), *Stage.choices], widget=forms.HiddenInput)

    def __init__(self, *args, organization, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope(organization, segment=Segment.objects.all(), product=Product.objects.all())
        self.fields["manager"].queryset = managers
        small_widgets(self)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period must start before it ends."))
        return data

    def wanted(self) -> DealFilter:
        """The filter the board applies: the valid input, else none (an invalid one shows its errors)."""
        if not (self.is_bound and self.is_valid()):
            return DealFilter()
        data = self.cleaned_data
        return DealFilter(
            manager=data["manager"].pk if data["manager"] else None,
            segment=data["segment"].pk if data["segment"] else None,
            product=data["product"].pk if data["product"] else None,
            start=data["start"],
            end=data["end"],
            reached=data["reached"],
        )


class PointAssignForm(forms.Form):
    """Whom a control point is given to: a manager or a sales head of the organization."""

    responsible = forms.ModelChoiceField(label=_("Give to"), queryset=Client.objects.none())

    def __init__(self, *args, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = managers


class ComplaintListForm(forms.Form):
    """The complaint list's status tab and kind, and the registration period a dashboard count was read for."""

    status = forms.ChoiceField(required=False, choices=[("", ""), *Complaint.Status.choices])
    kind = forms.CharField(required=False, max_length=20)  # a kind's id, or "none" for the unclassified
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("start")) != bool(data.get("end")) or (
            data.get("start") and data.get("end") and data["start"] > data["end"]
        ):
            raise forms.ValidationError(_("The period must start before it ends."))
        return data


class DealRefuseForm(OrgFormMixin, DealPageForm):
    id_prefix = "refuse"
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=RefusalReason.objects.none())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope(organization, reason=RefusalReason.objects.all())


DEVIATIONS = [
    (DealEvent.Kind.RETRY, DealEvent.Kind.RETRY.label),
    (DealEvent.Kind.CLARIFICATION, DealEvent.Kind.CLARIFICATION.label),
    (DealEvent.Kind.SIGNATURES, DealEvent.Kind.SIGNATURES.label),
    (DealEvent.Kind.PREPARATION, DealEvent.Kind.PREPARATION.label),
    (DealEvent.Kind.DEFERRAL, DealEvent.Kind.DEFERRAL.label),
]


class DealDeviationForm(DealPageForm):
    id_prefix = "deviation"
    kind = forms.ChoiceField(label=_("What happened"), choices=DEVIATIONS)
    date = date_field(_("Date: retry, amended offer, signatures, phase or deferred payment due"), required=False)
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Who signs, or the name of the preparation phase."),
    )


class DealCaseForm(DealPageForm):
    id_prefix = "case"
    note = forms.CharField(
        label=_("What is the client unhappy about?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DealPaymentForm(DealPageForm):
    id_prefix = "payment"
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    date = date_field(_("Date received"), initial=timezone.localdate)
    document = forms.CharField(label=_("Payment document number"), max_length=64, required=False)
    refund = forms.BooleanField(label=_("Refund to the client"), required=False)


class DealDocumentForm(DealPageForm):
    id_prefix = "document"
    kind = forms.ChoiceField(label=_("Document"), choices=DealDocument.Kind.choices)
    number = forms.CharField(label=_("Number"), max_length=64, required=False)
    date = date_field(_("Date"), initial=timezone.localdate)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ControlPointForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ControlPoint.Kind.choices)
    due_date = date_field(_("Due date"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_date"].widget.attrs["min"] = timezone.localdate().isoformat()


def _complaint_kind_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=pgettext_lazy("complaint", "Kind"),
        queryset=ComplaintKind.objects.none(),
        required=False,
        empty_label=_("not classified yet"),
        help_text=_("The list is kept on the Ideal client page, with the other lists."),
    )


class ComplaintForm(OrgFormMixin, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200, validators=[single_line])
    kind = _complaint_kind_field()
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Client.objects.none(), required=False)

    def __init__(self, *args, managers, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = managers
        self.scope(organization, kind=ComplaintKind.objects.all())


class ComplaintAdvanceForm(OrgFormMixin, forms.Form):
    kind = _complaint_kind_field()
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Client.objects.none(), required=False)
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    actions = forms.CharField(label=_("Actions taken"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)

    def __init__(self, *args, managers, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = managers
        self.scope(organization, kind=ComplaintKind.objects.all())


SCORE_CHOICES = [("", "—")] + [(str(i), str(i)) for i in range(1, 6)]


class AssessmentForm(OrgFormMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    date = date_field(_("Date"), initial=timezone.localdate)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope(organization, product=Product.objects.all())
        for key, label in SatisfactionAssessment.ITEMS.items():
            self.fields[f"score_{key}"] = forms.TypedChoiceField(
                label=label, choices=SCORE_CHOICES, coerce=int, empty_value=None, required=False
            )

    def clean(self):
        data = super().clean()
        data["scores"] = {k: data[f"score_{k}"] for k in SatisfactionAssessment.ITEMS if data.get(f"score_{k}")}
        if not data["scores"]:
            raise forms.ValidationError(_("Score at least one item from 1 to 5."))
        return data


class OfferForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Offer.Status.choices)
    status_date = date_field(_("Date offered or signed"), required=False)
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_step_on = date_field(_("Next step date"), required=False)


class NameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("The name cannot be empty."))
        return name


class MatrixCellsField(forms.Field):
    """The ticked cells of the ideal-client matrix, each posted as "<segment id>-<product id>"."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"broken": _("The grid was sent in a broken form; nothing was saved.")}

    def to_python(self, value: list[str] | None) -> list[tuple[int, int]]:
        cells = []
        for key in value or []:
            try:
                segment_id, product_id = (int(x) for x in key.split("-"))
            except ValueError:
                raise forms.ValidationError(self.error_messages["broken"], code="broken") from None
            cells.append((segment_id, product_id))
        return cells


class MatrixForm(forms.Form):
    """The matrix as posted: (segment id, product id) pairs; whether they are the organization's, the service checks."""

    cell = MatrixCellsField(required=False)


SORT_CHOICES = [
    ("name", _("Name A-Z")),
    ("-name", _("Name Z-A")),
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("abc", _("ABC class")),
    ("state", _("Lifecycle state")),
    ("manager", _("Manager")),
]


class ClientFilterForm(OrgFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state"))] + [(s, LifecycleState(s).label) for s in STATES],
    )
    manager = forms.ModelChoiceField(label=_("Manager"), queryset=Client.objects.none(), required=False)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.none(), required=False)
    abc = forms.ChoiceField(label="ABC", required=False, choices=[("", _("Any")), *ABC_CHOICES, ("-", _("None"))])
    xyz = forms.ChoiceField(label="XYZ", required=False, choices=[("", _("Any")), *XYZ_CHOICES, ("-", _("None"))])
    overdue = forms.BooleanField(label=_("Overdue points only"), required=False)
    as_of = date_field(_("States as of"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
    # Set by a dashboard figure's link, not in the filter bar: kept while the other filters change.
    event = forms.ChoiceField(
        required=False, choices=[("", "")] + [(e, e) for e in PERIOD_EVENTS], widget=forms.HiddenInput
    )
    event_start = forms.DateField(required=False, widget=forms.HiddenInput)
    event_end = forms.DateField(required=False, widget=forms.HiddenInput)
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organization, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope(organization, segment=Segment.objects.all(), product=Product.objects.all())
        self.fields["manager"].queryset = managers
        small_widgets(self)

    def wanted(self) -> ClientFilter:
        """The filter the list applies: the valid input, else none (an invalid one shows its errors)."""
        if not (self.is_bound and self.is_valid()):
            return ClientFilter()
        data = self.cleaned_data
        return ClientFilter(
            q=data["q"].strip(),
            state=data["state"],
            manager=data["manager"].pk if data["manager"] else None,
            segment=data["segment"].pk if data["segment"] else None,
            abc=data["abc"],
            xyz=data["xyz"],
            overdue=data["overdue"],
            as_of=data["as_of"],
            sort=data["sort"] or "name",
            event=data["event"],
            event_start=data["event_start"],
            event_end=data["event_end"],
            product=data["product"].pk if data["product"] else None,
        )


class PeriodForm(forms.Form):
    """A period of whole months (the KPIs are counted from monthly facts): from the 1st of the first
    date's month to the last day of the second's."""

    start = date_field(_("From"))
    end = date_field(_("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        small_widgets(self)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            data["start"], data["end"] = self.whole_months(data["start"], data["end"])
        return data

    @staticmethod
    def whole_months(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
        """From the 1st of the first date's month to the last day of the second's, at most three years."""
        if start > end:
            raise forms.ValidationError(_("The period must start before it ends."))
        if end - start > datetime.timedelta(days=3 * 366):
            raise forms.ValidationError(_("Choose a period of at most three years."))
        return start.replace(day=1), month_end(end)


class DashboardForm(OrgFormMixin, forms.Form):
    """The dashboard's period (a preset, or whole months between two dates) and the clients it covers."""

    PERIODS = [
        ("month", _("This month")),
        ("last_month", _("Last month")),
        ("quarter", _("This quarter")),
        ("last_quarter", _("Last quarter")),
        ("year", _("This year")),
        ("last_12", _("Last 12 months")),
        ("custom", _("Between dates")),
    ]
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = date_field(_("From"), required=False)
    end = date_field(_("To"), required=False)
    manager = forms.ModelChoiceField(label=_("Manager"), queryset=Client.objects.none(), required=False)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.none(), required=False)
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    abc = forms.ChoiceField(label="ABC", required=False, choices=[("", _("Any")), *ABC_CHOICES, ("-", _("None"))])
    xyz = forms.ChoiceField(label="XYZ", required=False, choices=[("", _("Any")), *XYZ_CHOICES, ("-", _("None"))])

    def __init__(self, *args, organization, managers, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.scope(organization, segment=Segment.objects.all(), product=Product.objects.all())
        self.fields["manager"].queryset = managers
        small_widgets(self)

    def clean(self):
        data = super().clean()
        period = data.get("period") or "quarter"
        if period == "custom":
            if not (data.get("start") and data.get("end")):
                raise forms.ValidationError(_("Give both dates of the period."))
            data["start"], data["end"] = PeriodForm.whole_months(data["start"], data["end"])
        else:
            data["start"], data["end"] = preset_period(period, self.today)
        data["period"] = period
        return data

    def wanted(self) -> ClientFilter:
        data = self.cleaned_data
        return ClientFilter(
            manager=data["manager"].pk if data["manager"] else None,
            segment=data["segment"].pk if data["segment"] else None,
            product=data["product"].pk if data["product"] else None,
            abc=data["abc"],
            xyz=data["xyz"],
        )


class MarketingSpendForm(forms.Form):
    """What an acquisition channel cost in a month (any day of it)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    month = date_field(_("Month"))
    amount = forms.DecimalField(label=_("Spent"), max_digits=14, decimal_places=2, min_value=0)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_spend_%s")
        super().__init__(*args, **kwargs)
        small_widgets(self)


class RevenuePlanForm(forms.Form):
    """A manager's revenue plan for a month (any day of it)."""

    manager = forms.ModelChoiceField(label=_("Manager"), queryset=Client.objects.none())
    month = date_field(_("Month"))
    amount = forms.DecimalField(label=_("Planned revenue"), max_digits=14, decimal_places=2, min_value=0)

    def __init__(self, *args, managers, **kwargs):
        kwargs.setdefault("auto_id", "id_plan_%s")
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers
        small_widgets(self)
