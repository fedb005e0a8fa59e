"""Forms of the loyalty pages; querysets are limited to the request's organization."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, LifecycleState, Product, Segment
from clients.selectors import organization_managers
from crm_portal.validators import single_line

from . import questionnaire
from .models import Campaign, MetricValue, Programme, ProgrammeTool, Tier
from .services import MARKS


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, validators=[single_line])
    kind = forms.ChoiceField(label=_("Questionnaire"), choices=Campaign.Kind.choices)
    segment = forms.ModelChoiceField(
        label=_("Segment"), queryset=Segment.objects.none(), required=False, empty_label=_("every segment")
    )
    abc_class = forms.ChoiceField(
        label=_("ABC class"), required=False, choices=[("", _("every class")), ("A", "A"), ("B", "B"), ("C", "C")]
    )
    lifecycle_state = forms.ChoiceField(
        label=_("Lifecycle state"), required=False, choices=[("", _("every state")), *LifecycleState.choices]
    )
    manager = forms.ModelChoiceField(
        label=_("Manager"), queryset=get_user_model().objects.none(), required=False, empty_label=_("every manager")
    )
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        help_text=_("Needed for the product questionnaire; it also limits the clients to those using the product."),
    )
    valid_days = forms.IntegerField(label=_("Links valid, days"), min_value=1, max_value=365, initial=30)
    reminder_after_days = forms.IntegerField(
        label=_("Remind non-respondents after, days"),
        min_value=0,
        max_value=180,
        initial=7,
        help_text=_("0 means no reminders."),
    )
    recurrence_months = forms.TypedChoiceField(
        label=_("Repeat"), coerce=int, choices=Campaign.Recurrence.choices, initial=0
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.for_org(organization)
        self.fields["product"].queryset = Product.objects.for_org(organization)
        self.fields["manager"].queryset = organization_managers(organization)


class MetricsRunForm(forms.Form):
    period_kind = forms.ChoiceField(label=_("Period"), choices=MetricValue.PeriodKind.choices)


class ScorecardForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)


class CriterionForm(forms.Form):
    text = forms.CharField(label=_("Criterion"), max_length=300)
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=10, initial=1)


class GradeForm(forms.Form):
    manager = forms.ModelChoiceField(label=_("Manager"), queryset=get_user_model().objects.none())
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none(), required=False)
    graded_on = forms.DateField(
        label=_("Dialogue date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    CLIENTS_SHOWN = 50

    def __init__(self, *args, scorecard, client_manager=None, client_search: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        organization = scorecard.organization
        self.fields["manager"].queryset = organization_managers(organization)
        if client_manager is not None:
            self.fields["manager"].initial = client_manager.pk
        clients = Client.objects.for_org(organization).order_by("name", "id")
        # Any client of the organization is accepted; the drop-down lists only a short choice
        # (the clients of the chosen manager, matching the search), never the whole base.
        self.fields["client"].queryset = clients
        shown = clients
        if client_manager is not None:
            shown = shown.filter(manager=client_manager)
        if client_search:
            shown = shown.filter(name__icontains=client_search)
        options = list(shown.only("id", "name")[: self.CLIENTS_SHOWN + 1])
        self.clients_more = len(options) > self.CLIENTS_SHOWN
        options = options[: self.CLIENTS_SHOWN]
        chosen = self.data.get(self.add_prefix("client")) if self.is_bound else None
        if chosen and str(chosen).isdigit() and all(str(c.pk) != str(chosen) for c in options):
            options += list(clients.filter(pk=int(chosen)).only("id", "name"))
        self.fields["client"].widget.choices = [("", "---------")] + [(c.pk, c.name) for c in options]
        if self.clients_more:
            self.fields["client"].help_text = _(
                "The first %(n)s matching clients are listed: search by name or choose the manager above."
            ) % {"n": self.CLIENTS_SHOWN}
        self.fields["graded_on"].initial = timezone.localdate()
        choices = [("yes", _("yes")), ("partly", _("partly")), ("no", _("no"))]
        self.criteria = list(scorecard.criteria.all())
        for criterion in self.criteria:
            self.fields[f"c{criterion.pk}"] = forms.ChoiceField(
                label=f"{criterion.text} (×{criterion.weight})", choices=choices, widget=forms.RadioSelect
            )

    def marks(self) -> dict[int, str]:
        return {
            c.pk: self.cleaned_data[f"c{c.pk}"] for c in self.criteria if self.cleaned_data.get(f"c{c.pk}") in MARKS
        }

    def clean_graded_on(self):
        value = self.cleaned_data["graded_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("A dialogue cannot be graded before it happens."))
        return value


class InterviewForm(forms.Form):
    """An interview guide's questions, each answer written down as the client gave it, and the day."""

    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, guide: dict, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()
        for question in guide["questions"]:
            self.fields[question["code"]] = forms.CharField(
                label=questionnaire.localized(question["text"], language),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def answers(self) -> dict[str, str]:
        return {code: value for code, value in self.cleaned_data.items() if code != "held_on"}


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = ["name", "key_factor", "points_per_thousand", "validity_months", "tier_window_months"]


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = ["name", "rank", "min_turnover", "min_tenure_months", "min_class", "discount_percent", "benefits"]
        widgets = {"benefits": forms.Textarea(attrs={"rows": 2})}


class ProgrammeToolForm(forms.Form):
    kind = forms.ChoiceField(label=_("Tool"), choices=ProgrammeTool.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    rules = forms.CharField(
        label=_("Rules for the client"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the client gets and on what terms, as the client card shows it."),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount, %"), max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    steps = forms.CharField(
        label=_("Steps of a progressive discount"),
        required=False,
        help_text=_("A purchase from an amount gets its percent: 10000: 3; 50000: 5; 100000: 7"),
    )
    min_class = forms.ChoiceField(label=_("Minimum ABC class"), choices=Tier.MinClass.choices, required=False)
    min_tier = forms.ModelChoiceField(
        label=_("Minimum tier"), queryset=Tier.objects.none(), required=False, empty_label=_("any tier")
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        if programme is not None:
            self.fields["min_tier"].queryset = programme.tiers.all()


class RedeemForm(forms.Form):
    points = forms.IntegerField(label=_("Points to redeem"), min_value=1)
    note = forms.CharField(label=_("For what"), max_length=300)
