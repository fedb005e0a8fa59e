"""The forms of diagnostics. Those that only carry a POST to a service leave its checks to the service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AidaAction, AidaPersona, Instrument, JourneyMap, Touchpoint


def _raw_text() -> forms.CharField:
    """A posted text as typed (the service checks and trims it), "" when absent."""
    return forms.CharField(required=False, strip=False)


class AssessmentStartForm(forms.Form):
    instrument = forms.ModelChoiceField(
        queryset=Instrument.objects.all(),
        to_field_name="code",
        error_messages={
            "required": _("Choose an instrument from the list."),
            "invalid_choice": _("Choose an instrument from the list."),
        },
    )


class AnswerForm(forms.Form):
    """One item's answer as the questionnaire page posts it (a choice item may post several values)."""

    item = _raw_text()
    value = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    comment = _raw_text()
    version = _raw_text()


class ActionStatusForm(forms.Form):
    status = _raw_text()


class TouchpointMoveForm(forms.Form):
    direction = _raw_text()


class ActionForm(forms.Form):
    item_key = forms.CharField(label=_("Question"), widget=forms.HiddenInput)
    title = forms.CharField(label=_("Action"), max_length=300)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, empty_label=None)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["owner"].queryset = (
            get_user_model().objects.filter(pk__in=[u.pk for u in users]).order_by("username")
        )


class JourneyMapForm(forms.ModelForm):
    class Meta:
        model = JourneyMap
        fields = ["title", "persona"]


class TouchpointForm(forms.ModelForm):
    emotion = forms.TypedChoiceField(
        label=_("Emotion"),
        coerce=int,
        choices=[(-2, "-2"), (-1, "-1"), (0, "0"), (1, "+1"), (2, "+2")],
        initial=0,
        help_text=_("From -2 (very bad) to +2 (delighted)."),
    )

    class Meta:
        model = Touchpoint
        fields = ["stage", "name", "channel", "client_action", "emotion", "pains", "owner", "ideas"]
        widgets = {
            "client_action": forms.Textarea(attrs={"rows": 2}),
            "pains": forms.Textarea(attrs={"rows": 2}),
            "ideas": forms.Textarea(attrs={"rows": 2}),
        }


class AidaMapForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    personas = forms.CharField(
        label=_("Personas"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One persona (client segment) per line."),
    )

    def clean_personas(self):
        names = [line.strip() for line in self.cleaned_data["personas"].splitlines() if line.strip()]
        if not names:
            raise forms.ValidationError(_("Name at least one persona."))
        if len({n.lower() for n in names}) != len(names):
            raise forms.ValidationError(_("Each persona must have its own name."))
        if any(len(n) > 200 for n in names):
            raise forms.ValidationError(_("A persona name is 200 characters at most."))
        return names


class AidaPersonaForm(forms.ModelForm):
    class Meta:
        model = AidaPersona
        fields = ["name"]


class AidaActionForm(forms.ModelForm):
    class Meta:
        model = AidaAction
        fields = ["persona", "stage", "description", "owner", "channel"]

    def __init__(self, *args, aida_map, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["persona"].queryset = aida_map.personas.all()
