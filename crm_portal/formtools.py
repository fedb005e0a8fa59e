"""Run a service behind a form: its ValidationError becomes form errors, never a 500."""

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.core.exceptions import ValidationError


@contextmanager
def service_errors(form: forms.Form) -> Iterator[forms.Form]:
    """Run the block; a ValidationError raised in it is put on `form` (by field where it names one).

    After the block `form.is_valid()` tells whether the service succeeded:

        if form.is_valid():
            with service_errors(form):
                client = services.client_create(organization=..., **form.cleaned_data)
                return redirect(client)
        return render(request, template, {"form": form})  # with the service's errors
    """
    try:
        yield form
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)


def error_text(form: forms.Form) -> str:
    """Every error of a form in one line, each field's under its label ("Amount: ..."): for a
    small form posted from a page it then redirects back to, where the field is not shown."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = f"{field.label}: " if field is not None and field.label else ""
        parts.extend(f"{label}{error}" for error in errors)
    return " ".join(parts)
