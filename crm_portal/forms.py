from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Holiday, Organization, Role


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "lifecycle_period_months", "contact_gap_days"]


class HolidayForm(forms.ModelForm):
    prefix = "holiday"

    class Meta:
        model = Holiday
        fields = ["name", "day", "month"]


class InvitationForm(forms.Form):
    invitee = forms.CharField(
        label=_("Login or e-mail"),
        max_length=254,
        help_text=_(
            "The person sees the invitation after signing in; an e-mail address also gets a link. "
            "They become a member only when they accept."
        ),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class InvitationAnswerForm(forms.Form):
    ACCEPT, DECLINE = "accept", "decline"

    answer = forms.ChoiceField(choices=[(ACCEPT, ACCEPT), (DECLINE, DECLINE)])
    invitation = forms.IntegerField(required=False)  # the id, when answered from the home page


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class DemoJobForm(forms.Form):
    steps = forms.IntegerField(label=_("Steps"), min_value=1, max_value=100, initial=10)
