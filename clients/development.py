"""A client's development stage from its purchases (pure: no Django).

The stages a client goes through: first acquisition (nothing bought yet), first sale, repeat
sales of that first product, first sale of another product line, repeat sales of the new lines.
"""

import datetime
from collections.abc import Iterable

ACQUISITION, FIRST_SALE, REPEAT_FIRST, NEW_LINE, REPEAT_NEW = (
    "acquisition",
    "first_sale",
    "repeat_first",
    "new_line",
    "repeat_new",
)


def development_stage(purchases: Iterable[tuple[datetime.date, int | None]]) -> str:
    """The stage of a client with purchases given as (date, product id or None for "no product")."""
    ordered = sorted(purchases, key=lambda p: p[0])
    if not ordered:
        return ACQUISITION
    first_day = ordered[0][0]
    first_lines = {line for day, line in ordered if day == first_day}
    later = [(day, line) for day, line in ordered if day > first_day]
    new_lines = [line for _day, line in later if line not in first_lines]
    if not new_lines:
        return REPEAT_FIRST if later else FIRST_SALE
    days_per_line: dict = {}
    for day, line in later:
        if line not in first_lines:
            days_per_line.setdefault(line, set()).add(day)
    return REPEAT_NEW if any(len(days) > 1 for days in days_per_line.values()) else NEW_LINE
