"""Numbers and dates on the segmentation pages in the reader's language: amounts grouped, shares and CVs
in percent, a file's dates in the reader's short format."""

from datetime import datetime

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format

register = template.Library()


@register.filter
def percent(value, decimals=1):
    """A fraction as a localised percentage: 0.7001 -> "70.0%" (English), "70,0%" (Russian).

    `decimals` as floatformat takes it: 1 always shows one decimal, -1 only where it is not zero.
    """
    if value is None or value == "":
        return "—"
    try:
        number = float(value) * 100
    except (TypeError, ValueError):
        return "—"
    return f"{floatformat(number, f'{decimals}g')}%"


@register.filter
def cell_date(value: str) -> str:
    """A file's date kept as ISO text in the reader's short format: "2024-02-15" -> "02/15/2024", "15.02.2024".

    A date with a time ("2024-02-15T14:30:00") keeps its time.
    """
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    if "T" in value:
        return date_format(moment, "SHORT_DATETIME_FORMAT")
    return date_format(moment.date(), "SHORT_DATE_FORMAT")
