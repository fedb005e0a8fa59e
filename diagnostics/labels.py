"""Display texts of answer values and of questionnaire content in the current language."""

import math

from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .definition import CHOICES, SCALES, localized

VALUE_LABELS = {
    "yes": _("Yes"),
    "partly": _("Partly"),
    "no": _("No"),
    "+": "+",
    "+-": "+-",
    "-": "-",
    "pass": pgettext_lazy("answer value", "Pass"),
    "fail": pgettext_lazy("answer value", "Fail"),
}
TYPE_LABELS = {
    "yes_partly_no": _("yes / partly / no"),
    "plus_minus": _("+ / +- / -"),
    "pass_fail": _("pass / fail"),
    "yes_no": _("yes / no"),
    "scale_0_10": _("0-10"),
    "scale_1_5": _("1-5"),
    "scale_1_7": _("1-7"),
    "single": _("single choice"),
    "multiple": _("several choices"),
    "text": _("free text"),
    "number": pgettext_lazy("answer type", "number"),
}

# What each source document is, for people: the instruments' `source` field names seed files by
# number ("003", "004, 002"), which means nothing to a reader and is never shown.
SOURCES = {
    "000": _("a practical guide to diagnosing and developing companies"),
    "001": _("a book on CRM strategy and on checking client service"),
    "002": _("an article on the principles of working with clients"),
    "003": _("a course on selling through customer service"),
    "004": _("a book on managing a client base and a client department"),
}


def source_text(source: str) -> str:
    """The source documents of an instrument described in words; empty for an unknown one."""
    codes = [code.strip() for code in str(source or "").split(",")]
    return "; ".join(str(SOURCES[code]) for code in codes if code in SOURCES)


def language() -> str:
    return (get_language() or "en")[:2]


def text(value: dict | None) -> str:
    return localized(value, language())


def choices(item: dict) -> list[tuple[str, str]]:
    """(value, label) pairs for a choice or option item; empty for other types."""
    kind = item["type"]
    if kind in CHOICES:
        return [(value, str(VALUE_LABELS[value])) for value in CHOICES[kind]]
    if kind in ("single", "multiple"):
        return [(option["value"], text(option["text"])) for option in item["options"]]
    if kind in SCALES:
        low, high = SCALES[kind]
        return [(str(n), str(n)) for n in range(low, high + 1)]
    return []


def display(item: dict, value) -> str:
    """An answer as a person reads it."""
    if value is None:
        return ""
    kind = item["type"]
    if kind in CHOICES:
        return str(VALUE_LABELS[value])
    if kind in ("single", "multiple"):
        labels = dict(choices(item))
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, v) for v in values)
    return str(value)


def number(value: float | None) -> float | None:
    """A score ready for JSON and templates: NaN (nothing answered) becomes None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(value, 1)


def answer_help(definition: dict) -> list[tuple[str, str]]:
    """(value, meaning) pairs in the scale's own order (JSON storage does not keep key order)."""
    order = [value for values in CHOICES.values() for value in values]
    helps = definition.get("answer_help") or {}
    ranked = sorted(helps, key=lambda value: order.index(value) if value in order else len(order))
    return [(value, text(helps[value])) for value in ranked]
