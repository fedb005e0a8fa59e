"""Template helpers of the client register."""

import math

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def get(row: dict, key: str):
    """row[key], with a missing key or NaN shown as None."""
    value = row.get(key)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@register.simple_tag(takes_context=True)
def colleague_options(context, colleagues, selected):
    """The <option>s of the colleagues a control point can be given to, `selected` (a user id) chosen.

    A page of my day repeats them for every point (25 points by 40 colleagues: a thousand options):
    built once per page and copied, they no longer cost a loop of template tags per point."""
    key = ("colleague_options", id(colleagues))
    options = context.render_context.get(key)
    if options is None:
        options = "".join(f'<option value="{c.pk}">{escape(c.get_username())}</option>' for c in colleagues)
        context.render_context[key] = options
    if selected is not None:
        options = options.replace(f'<option value="{selected}">', f'<option value="{selected}" selected>', 1)
    return mark_safe(options)
