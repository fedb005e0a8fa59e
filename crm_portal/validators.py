"""Text rules shared by the apps' forms and services."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Every character Python splits lines at (str.splitlines): a mail header must hold none of them.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def single_line(value: str) -> None:
    """Refuse a line break in a text that becomes an e-mail subject (a campaign's name, a
    complaint's subject, which names its follow-up survey): the mail library refuses such a
    subject, so the message would never go."""
    if any(character in LINE_BREAKS for character in value or ""):
        raise ValidationError(_("Write this on one line: it becomes the subject of e-mails."), code="line_break")


def single_line_fields(**values: str) -> None:
    """`single_line` for a service's arguments: the error names the field, so a form shows it there."""
    errors = {}
    for field, value in values.items():
        try:
            single_line(value)
        except ValidationError as error:
            errors[field] = error.error_list
    if errors:
        raise ValidationError(errors)


def one_line(text: str) -> str:
    """`text` with every run of white space, line breaks included, as one space: for texts
    written before line breaks were refused, when they are put into a subject or a name."""
    return " ".join((text or "").split())
