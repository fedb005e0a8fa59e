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


@register.filter
def change(value) -> str:
    """An audit value: [old, new] shown as "old → new", anything else as it is."""
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0] or '—'} → {value[1] or '—'}"
    return str(value)
