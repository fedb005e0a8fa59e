"""Service errors land on the form that called the service, never as a 500."""

from django import forms
from django.core.exceptions import ValidationError

from crm_portal.formtools import service_errors


class NameForm(forms.Form):
    name = forms.CharField()


def valid_form() -> NameForm:
    form = NameForm({"name": "Alpha"})
    assert form.is_valid()
    return form


def test_a_field_error_of_the_service_lands_on_that_field():
    form = valid_form()
    with service_errors(form):
        raise ValidationError({"name": "A client with this name exists.", "tax_number": "Too long."})
    assert not form.is_valid()
    assert form.errors == {"name": ["A client with this name exists."], "__all__": ["Too long."]}


def test_a_plain_error_of_the_service_is_the_form_s_own():
    form = valid_form()
    with service_errors(form):
        raise ValidationError(["Row 3: not a number.", "Row 6: the client appears again."])
    assert form.non_field_errors() == ["Row 3: not a number.", "Row 6: the client appears again."]


def test_the_block_after_the_service_runs_only_when_it_succeeded():
    steps = []
    form = valid_form()
    with service_errors(form):
        steps.append("service")
        raise ValidationError("Refused.")
        steps.append("redirect")  # never reached: the service refused
    with service_errors(valid_form()):
        steps.append("second service")
    assert steps == ["service", "second service"]


def test_any_other_error_is_not_swallowed():
    import pytest

    with pytest.raises(KeyError):
        with service_errors(valid_form()):
            raise KeyError("steps")


def test_error_text_puts_every_error_of_the_form_in_one_line():
    from crm_portal.formtools import error_text

    form = valid_form()
    with service_errors(form):
        raise ValidationError({"name": "Taken.", "tax_number": "Too long."})
    assert error_text(form) == "Taken. Too long."
    assert error_text(NameForm({})) == "This field is required."
    assert error_text(valid_form()) == ""

    class AmountForm(forms.Form):
        amount = forms.DecimalField(label="Amount", min_value=0)

    assert error_text(AmountForm({"amount": "-1"})) == "Amount: Ensure this value is greater than or equal to 0."
