"""Run a service behind a form: its ValidationError becomes form errors, never a 500."""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError


def form_apply(form: forms.Form, action: Callable[[], object]) -> bool:
    """Call `action`; on ValidationError put its messages on `form` and return False."""
    try:
        action()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return False
    return True
