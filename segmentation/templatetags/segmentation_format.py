"""Numbers on the segmentation pages in the reader's language: amounts grouped, shares and CVs in percent."""

from django import template
from django.template.defaultfilters import floatformat

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
