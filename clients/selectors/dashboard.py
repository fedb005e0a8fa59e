"""The sales head's dashboard: a period's figures next to the period before and the same period a
year earlier, the lifecycle now, revenue and buying clients by month, the managers side by side.

The period figures are the KPI totals (`kpis.kpi_tables`, over the month facts): the dashboard and
the KPI page cannot disagree.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from crm_portal.tenancy import Viewer

from ..lifecycle import STATES, month_end, months_before
from ..models import ClientMonth, ControlPoint, DigestSubscription, RevenuePlan
from .deals import DealFilter, funnel
from .kpi_totals import kpi_totals_cached, served_by_cube
from .kpis import KPI_CACHE_SECONDS, kpi_cache_key, kpi_data_version, kpi_tables_cached
from .lists import ClientFilter, client_list, complaint_counts

# The figures a list of clients stands behind: the event of `lists.period_event` each one counts.
FIGURE_EVENTS = {
    "sales_sum": "bought",
    "buyers": "bought",
    "first_sale_n": "first_sale",
    "repeat_n": "repeat_sale",
    "new_line_n": "new_line",
    "lost": "lost",
    "restored": "restored",
}

# The figures compared, in the order shown, each with whether growth is good for the business.
FIGURES = (
    ("sales_sum", True),
    ("buyers", True),
    ("first_sale_n", True),
    ("repeat_n", True),
    ("new_line_n", True),
    ("restored", True),
    ("lost", False),
    ("complaints", False),
)

CHART_MONTHS = 12


@dataclass(frozen=True)
class Figure:
    key: str
    value: float
    previous: float
    year_ago: float
    good_when_up: bool

    @property
    def event(self) -> str:
        """The client-list event behind the figure ("" when no list stands behind it)."""
        return FIGURE_EVENTS.get(self.key, "")

    @staticmethod
    def _change(value: float, base: float) -> float | None:
        return None if not base else 100.0 * (value - base) / abs(base)

    @property
    def change_previous(self) -> float | None:
        """Change against the period before, in percent (None when that was zero)."""
        return self._change(self.value, self.previous)

    @property
    def change_year(self) -> float | None:
        return self._change(self.value, self.year_ago)

    def tone(self, base: float) -> str:
        """Whether the move from `base` helps the business: "good", "bad", or "" when there is none."""
        if self.value == base:
            return ""
        return "good" if (self.value > base) == self.good_when_up else "bad"

    @property
    def tone_previous(self) -> str:
        return self.tone(self.previous)

    @property
    def tone_year(self) -> str:
        return self.tone(self.year_ago)


def preset_period(name: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The whole months a preset names, as seen on `today`."""
    this_month = today.replace(day=1)
    quarter_start = this_month.replace(month=3 * ((today.month - 1) // 3) + 1)
    first, months = {
        "month": (this_month, 1),
        "last_month": (months_before(this_month, 1), 1),
        "quarter": (quarter_start, 3),
        "last_quarter": (months_before(quarter_start, 3), 3),
        "year": (this_month.replace(month=1), 12),
        "last_12": (months_before(this_month, 11), 12),
    }[name]
    return first, month_end(months_before(first, -(months - 1)))


def whole_months(start: datetime.date, end: datetime.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def comparison_periods(start: datetime.date, end: datetime.date) -> dict[str, tuple[datetime.date, datetime.date]]:
    """The period (whole months), the as many months before it, and the same months a year earlier."""
    months = whole_months(start, end)
    return {
        "now": (start, end),
        "previous": (months_before(start, months), start - datetime.timedelta(days=1)),
        "year_ago": (months_before(start, 12), month_end(months_before(end, 12))),
    }


def dashboard(viewer: Viewer, *, start: datetime.date, end: datetime.date, wanted: ClientFilter) -> dict:
    """Everything the dashboard shows for the viewer's clients under `wanted`, for a whole-month period."""
    periods = comparison_periods(start, end)
    version = kpi_data_version(viewer.organization)  # read once for all the cached parts
    if served_by_cube(wanted):
        totals = {
            name: kpi_totals_cached(viewer, start=first, end=last, manager=wanted.manager, version=version)
            for name, (first, last) in periods.items()
        }
    else:
        totals = {
            name: kpi_tables_cached(viewer, start=first, end=last, limit=0, wanted=wanted, version=version)
            for name, (first, last) in periods.items()
        }
    figures = [
        Figure(
            key=key,
            value=totals["now"]["grand"][key],
            previous=totals["previous"]["grand"][key],
            year_ago=totals["year_ago"]["grand"][key],
            good_when_up=good_when_up,
        )
        for key, good_when_up in FIGURES
    ]
    clients = client_list(viewer, wanted)
    by_state = dict(clients.order_by().values_list("lifecycle_state").annotate(n=Count("id")))
    # A plan covers all of a manager's clients: compared only when no other filter narrows them.
    plans = plans_of(viewer, start, end) if not (wanted.segment or wanted.product or wanted.abc or wanted.xyz) else None
    overdue = overdue_by_manager(viewer, clients)
    overdue_of = {row["client__manager__username"] or "—": row["n"] for row in overdue}  # "—": as the KPIs name nobody
    managers = [
        row
        | {
            "plan": plans.get(row["manager"]) if plans is not None else None,
            "overdue": overdue_of.get(row["manager"], 0),
        }
        for row in totals["now"]["managers"]
    ]
    for row in managers:
        row["fulfilment"] = (100.0 * row["sales_sum"] / float(row["plan"])) if row["plan"] else None
    deals = DealFilter(manager=wanted.manager, segment=wanted.segment, product=wanted.product, start=start, end=end)
    planned = [row for row in managers if row["plan"]]
    plan_total, fact_total = sum(float(row["plan"]) for row in planned), sum(row["sales_sum"] for row in planned)
    return {
        "periods": periods,
        "figures": figures,
        "plan": {
            "compared": plans is not None,
            "plan": plan_total,
            "fact": fact_total,
            "fulfilment": (100.0 * fact_total / plan_total) if plan_total else None,
        },
        "managers": managers,
        "grand": totals["now"]["grand"],
        "lifecycle_now": [(state, by_state.get(state, 0)) for state in STATES],
        "funnel": funnel(viewer, deals),
        "overdue": overdue,
        "overdue_total": sum(row["n"] for row in overdue),
        "complaints": complaint_counts(viewer, clients=clients, start=start, end=end),
        "months": cache.get_or_set(
            kpi_cache_key(viewer, "months", end, wanted, version=version),
            lambda: revenue_by_month(viewer, clients, end),
            KPI_CACHE_SECONDS,
        ),
    }


def overdue_by_manager(viewer: Viewer, clients) -> list[dict]:
    """Open control points past their due date, per manager of the clients, the most first."""
    return list(
        ControlPoint.objects.filter(
            organization=viewer.organization,
            done_at__isnull=True,
            due_date__lt=timezone.localdate(),
            client__in=clients.order_by().values("pk"),
        )
        .values("client__manager_id", "client__manager__username")
        .annotate(n=Count("id"))
        .order_by("-n", "client__manager__username")
    )


def plans_of(viewer: Viewer, start: datetime.date, end: datetime.date) -> dict[str, Decimal]:
    """Each manager's revenue plan for the period (the sum of its months'), by user name as the KPIs name them."""
    return dict(
        RevenuePlan.objects.filter(organization=viewer.organization, month__range=(start, end))
        .values("manager__username")
        .annotate(total=Sum("amount"))
        .values_list("manager__username", "total")
    )


def revenue_by_month(viewer: Viewer, clients, end: datetime.date) -> list[dict]:
    """Revenue and buying clients in each of the CHART_MONTHS months up to `end` (empty months as zero)."""
    first = months_before(end, CHART_MONTHS - 1).replace(day=1)
    rows = {
        row["month"]: row
        for row in ClientMonth.objects.filter(
            organization=viewer.organization, month__range=(first, end), client__in=clients.order_by().values("pk")
        )
        .values("month")
        # Buying clients as the KPIs count them: their month's sales do not net to zero.
        .annotate(revenue=Sum("turnover"), buyers=Count("id", filter=~Q(turnover=0)))
    }
    months = []
    for n in range(CHART_MONTHS):
        month = months_before(end, CHART_MONTHS - 1 - n).replace(day=1)
        row = rows.get(month, {})
        months.append({"month": month, "revenue": float(row.get("revenue") or 0), "buyers": row.get("buyers", 0)})
    return months


def digest_subscribed(viewer: Viewer) -> bool:
    return DigestSubscription.objects.filter(organization=viewer.organization, user=viewer.user).exists()
