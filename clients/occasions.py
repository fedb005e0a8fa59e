"""Yearly occasions (contact persons' birthdays, the organization's holidays) in the coming days."""

import calendar
import datetime

from django.db.models import Q

# Greetings are prepared a week ahead: the "my day" list of birthdays and the care round's points.
GREETING_DAYS = 7


def coming_days(today: datetime.date, days: int = GREETING_DAYS) -> dict[tuple[int, int], datetime.date]:
    """(month, day) -> the date it falls on within `days` days from `today` on; outside a leap year
    29 February is greeted on 28 February."""
    dates = [today + datetime.timedelta(days=n) for n in range(days)]
    coming = {(d.month, d.day): d for d in dates}
    for day in dates:
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            coming[(2, 29)] = day
    return coming


def falls_within(coming: dict[tuple[int, int], datetime.date], month: str, day: str) -> Q:
    """Rows whose `month` and `day` fields (or lookups) name one of the coming days."""
    when = Q(pk__in=[])
    for month_value, day_value in coming:
        when |= Q(**{month: month_value, day: day_value})
    return when
