from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from .models import Organization, Role


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "lifecycle_period_months"]


class MembershipAddForm(forms.Form):
    username = forms.CharField(label=_("Login"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    password = forms.CharField(
        label=_("Password for a new user"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty when the person already has a login."),
    )

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if password:
            validate_password(password)
        return password


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class DemoJobForm(forms.Form):
    steps = forms.IntegerField(label=_("Steps"), min_value=1, max_value=100, initial=10)
