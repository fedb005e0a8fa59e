"""Lifecycle states of a client from its settlement dates (pure: no Django).

With an as-of date t and a period P (months): potential = no settlement on or before t;
lost = none within (t-P, t]; new = the first one lies within (t-P, t]; renewed = one within
(t-P, t], none within (t-2P, t-P] and one on or before t-2P; regular = everything else with a
settlement within (t-P, t]. Settlements after t are ignored.
"""

import bisect
import calendar
import datetime
from collections.abc import Iterable

POTENTIAL, NEW, REGULAR, LOST, RENEWED = "potential", "new", "regular", "lost", "renewed"
STATES = (POTENTIAL, NEW, REGULAR, LOST, RENEWED)
# A client who bought within the period P: churn's S, retention's E, the yearly satisfaction round.
ACTIVE = frozenset({NEW, REGULAR, RENEWED})


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


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def leaves_window(day: datetime.date, months: int) -> datetime.date:
    """The first as-of date t whose window (t - `months`, t] no longer holds `day`: months_before(t) >= day."""
    t = months_before(day, -months)
    # `day` missing from the target month (31 May + 1 month): the window lets it go a few days later.
    while months_before(t, months) < day:
        t += datetime.timedelta(days=1)
    return t


Change = tuple[datetime.date, str, str]  # (the day the state changes, the state before, the state from that day)


def state_history(dates: Iterable[datetime.date], period_months: int = 3) -> list[Change]:
    """A client's whole history of states: every change of `lifecycle_state` and the exact day it happens.

    The state can only change on a settlement day (it enters the window (t-P, t]) or on the day a
    settlement leaves (t-P, t] or (t-2P, t-P]; see `leaves_window`), so the rule is asked on those
    days alone. The first change is potential → new on the first settlement day; the last one (lost,
    P months after the last settlement) may lie in the future: no later settlement, no later change.
    No settlements: no history (the client stays potential).
    """
    if period_months < 1:
        raise ValueError("period_months must be at least 1")
    days = sorted(set(dates))
    points = set(days)
    for day in days:
        points.add(leaves_window(day, period_months))
        points.add(leaves_window(day, 2 * period_months))

    def count(limit: datetime.date) -> int:
        return bisect.bisect_right(days, limit)

    history: list[Change] = []
    current = POTENTIAL
    for t in sorted(points):
        one_back, two_back = window_bounds(t, period_months)
        up_to_t, up_to_one, up_to_two = count(t), count(one_back), count(two_back)
        state = classify(recent=up_to_t > up_to_one, previous=up_to_one > up_to_two, older=up_to_two > 0)
        if state != current:
            history.append((t, current, state))
            current = state
    return history


def state_on(history: list[Change], day: datetime.date) -> str:
    """The state on `day` from a history of `state_history`: the last change on or before it."""
    at = bisect.bisect_right(history, day, key=lambda change: change[0])
    return history[at - 1][2] if at else POTENTIAL
