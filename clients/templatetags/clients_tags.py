"""Template helpers of the client register."""

import math

from django import template

register = template.Library()


@register.filter
def get(row: dict, key: str):
    """row[key], with a missing key or NaN shown as None."""
    value = row.get(key)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
