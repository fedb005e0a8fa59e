"""Lifecycle states of a client from its settlement dates (pure: no Django).

With an as-of date t and a period P (months): potential = no settlement on or before t;
lost = none within (t-P, t]; new = the first one lies within (t-P, t]; renewed = one within
(t-P, t], none within (t-2P, t-P] and one on or before t-2P; regular = everything else with a
settlement within (t-P, t]. Settlements after t are ignored.
"""

import calendar
import datetime
from collections.abc import Iterable

POTENTIAL, NEW, REGULAR, LOST, RENEWED = "potential", "new", "regular", "lost", "renewed"
STATES = (POTENTIAL, NEW, REGULAR, LOST, RENEWED)


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` earlier, or the last day of that month when it has no such day."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_bounds(as_of: datetime.date, period_months: int) -> tuple[datetime.date, datetime.date]:
    """(t-P, t-2P) for an as-of date."""
    return months_before(as_of, period_months), months_before(as_of, 2 * period_months)


def classify(*, recent: bool, previous: bool, older: bool) -> str:
    """The state from whether settlements exist in (t-P, t], (t-2P, t-P] and on or before t-2P."""
    if not (recent or previous or older):
        return POTENTIAL
    if not recent:
        return LOST
    if previous:
        return REGULAR
    return RENEWED if older else NEW


def lifecycle_state(dates: Iterable[datetime.date], as_of: datetime.date, period_months: int = 3) -> str:
    """The lifecycle state on `as_of` of a client with settlements on `dates`."""
    if period_months < 1:
        raise ValueError("period_months must be at least 1")
    one_back, two_back = window_bounds(as_of, period_months)
    recent = previous = older = False
    for day in dates:
        if day > as_of:
            continue
        if day > one_back:
            recent = True
        elif day > two_back:
            previous = True
        else:
            older = True
    return classify(recent=recent, previous=previous, older=older)
