"""The metric run: every metric of DOMAIN.md section 6 per period and per slice, stored for trends.

Survey metrics (NPS, CSAT, CES, eNPS) come from the answers of the period; churn, retention,
the loyalty index, regular clients, the share of long-standing clients' sales and CLV come from
each client's stored lifecycle history and month facts (`StateChange`, `ClientMonth`: the numbers
the card, the client list and the KPI page read), so they always agree with them; IQS from graded
dialogues. Survey metrics are sliced by the campaign's product; churn and retention by product
come from each product's own settlements (see `_product_base_metrics`).
Everything is computed first and written in one transaction, so a run that dies half-way
leaves the previous figures untouched.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients import lifecycle
from clients.models import Channel, Client, ClientMonth, Settlement, StateChange
from crm_portal.jobs import JobMessage, ProgressCallback
from crm_portal.models import Organization

from . import metrics
from .models import DialogueGrade, MetricValue, Response
from .services import months_after

ACTIVE = lifecycle.ACTIVE
LONG_STANDING_MONTHS = 12
CLV_HORIZON_MONTHS = 36
MAX_PERIODS = 36


def period_bounds(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """(first day, last day) of the month or quarter holding `day`."""
    month = day.month if kind == MetricValue.PeriodKind.MONTH else 3 * ((day.month - 1) // 3) + 1
    start = datetime.date(day.year, month, 1)
    length = 1 if kind == MetricValue.PeriodKind.MONTH else 3
    return start, months_after(start, length) - datetime.timedelta(days=1)


def periods(kind: str, first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    result = []
    start, end = period_bounds(kind, first)
    while start <= last:
        result.append((start, end))
        start, end = period_bounds(kind, end + datetime.timedelta(days=1))
    return result[-MAX_PERIODS:]


@dataclass
class MonthFact:
    month: datetime.date  # the 1st
    turnover: Decimal
    settlements: int
    days: int  # distinct settlement days


@dataclass
class ClientFacts:
    segment: tuple[str, str]
    abc: tuple[str, str]
    manager: tuple[str, str]
    recommended: bool = False  # came on a client's recommendation (the acquisition channel)
    # The stored lifecycle history, oldest first: (day, previous state, state).
    history: list[lifecycle.Change] = field(default_factory=list)
    months: list[MonthFact] = field(default_factory=list)  # oldest first
    # Settlement dates per product: {product id as text: (product name, [dates, oldest first])}.
    products: dict[str, tuple[str, list[datetime.date]]] = field(default_factory=dict)

    def slices(self):
        yield MetricValue.Dimension.ALL, ("", "")
        yield MetricValue.Dimension.SEGMENT, self.segment
        yield MetricValue.Dimension.ABC, self.abc
        yield MetricValue.Dimension.MANAGER, self.manager

    @property
    def first_day(self) -> datetime.date | None:
        """The first settlement day: the history starts with the change from potential on it."""
        return self.history[0][0] if self.history else None


def _client_facts(organization: Organization) -> dict[int, ClientFacts]:
    facts = {}
    rows = Client.objects.filter(organization=organization).select_related("segment", "manager")
    for client in rows:
        facts[client.pk] = ClientFacts(
            segment=(str(client.segment_id or ""), client.segment.name if client.segment else _("No segment")),
            abc=(client.abc_class, client.abc_class or _("No class")),
            manager=(str(client.manager_id or ""), client.manager.get_username() if client.manager else _("Nobody")),
            recommended=client.channel == Channel.RECOMMENDATION,
        )
    for client_id, day, previous, state in (
        StateChange.objects.filter(organization=organization)
        .order_by("client_id", "as_of")
        .values_list("client_id", "as_of", "previous_state", "state")
    ):
        facts[client_id].history.append((day, previous, state))
    for client_id, *values in (
        ClientMonth.objects.filter(organization=organization)
        .order_by("client_id", "month")
        .values_list("client_id", "month", "turnover", "settlements", "days")
    ):
        facts[client_id].months.append(MonthFact(*values))
    for client_id, date, product_id, product_name in (
        Settlement.objects.filter(organization=organization, product__isnull=False)
        .order_by("date")
        .values_list("client_id", "date", "product_id", "product__name")
    ):
        facts[client_id].products.setdefault(str(product_id), (product_name, []))[1].append(date)
    return facts


class Collector:
    """Values of one period by (metric, dimension, key)."""

    def __init__(self):
        self.rows: dict[tuple[str, str, str], tuple[float | None, int, str]] = {}

    def put(self, metric: str, dimension: str, key: str, label: str, value, count: int) -> None:
        self.rows[(metric, dimension, key)] = (value, count, label)


def _survey_metrics(collector: Collector, answers: list[tuple[str, int, dict]]) -> None:
    """answers: (metric, score, slices {dimension: (key, label)}) of one period."""
    groups: dict[tuple[str, str, str], tuple[str, list[int]]] = {}
    for metric, score, slices in answers:
        for dimension, (key, label) in slices.items():
            groups.setdefault((metric, dimension, key), (label, []))[1].append(score)
    for (metric, dimension, key), (label, scores) in groups.items():
        if metric in ("nps", "enps"):
            collector.put(metric, dimension, key, label, metrics.nps(scores), len(scores))
            if dimension == MetricValue.Dimension.ALL:
                for part, count in metrics.nps_distribution(scores).items():
                    collector.put(f"{metric}_{part}", dimension, key, label, float(count), len(scores))
        elif metric == "csat":
            collector.put(metric, dimension, key, label, metrics.csat(scores), len(scores))
        elif metric == "ces":
            mean, easy = metrics.ces(scores)
            collector.put("ces", dimension, key, label, mean, len(scores))
            collector.put("ces_easy", dimension, key, label, easy, len(scores))


def _client_metrics(
    collector: Collector,
    facts: dict[int, ClientFacts],
    start: datetime.date,
    end: datetime.date,
    period_months: int,
    lifecycle_months: int,
) -> None:
    before = start - datetime.timedelta(days=1)
    long_since = months_after(start, -LONG_STANDING_MONTHS)
    tally: dict[tuple[str, str], dict] = {}
    clv_values: dict[tuple[str, str], list[float]] = defaultdict(list)
    active_end: dict[int, bool] = {}
    for client_id, fact in facts.items():
        first = fact.first_day
        if first is None or first > end:
            continue
        state_start = lifecycle.state_on(fact.history, before)
        state_end = lifecycle.state_on(fact.history, end)
        # Periods are whole months (`periods`), so a month's facts lie wholly inside or outside one.
        in_period = [m for m in fact.months if start <= m.month <= end]
        sales = sum((m.turnover for m in in_period), Decimal(0))
        flags = {
            "start": state_start in ACTIVE,
            "end": state_end in ACTIVE,
            "lost": state_start in ACTIVE and state_end == lifecycle.LOST,
            "first_bought": start <= first <= end,
            "recommended_new": start <= first <= end and fact.recommended,
            "buyer": any(m.settlements for m in in_period),
            # The loyalty index: settlements on two different dates or more up to the period's end.
            "bought": True,  # every client counted here bought by the end
            "repeat": sum(m.days for m in fact.months if m.month <= end) >= 2,
            "regular": state_end == lifecycle.REGULAR,
        }
        active_end[client_id] = flags["end"]
        for dimension, (key, label) in fact.slices():
            t = tally.get((dimension, key))
            if t is None:
                t = tally[(dimension, key)] = defaultdict(float)
                t["label"] = label
            for name, on in flags.items():
                t[name] += 1 if on else 0
            t["sales"] += float(sales)
            t["long_sales"] += float(sales) if first <= long_since else 0.0
    for (dimension, key), t in tally.items():
        label = t["label"]
        start_n, end_n = int(t["start"]), int(t["end"])
        churn = metrics.churn_rate(start_n, int(t["lost"]))
        collector.put("churn", dimension, key, label, churn, start_n)
        collector.put(
            "retention", dimension, key, label, metrics.retention_rate(start_n, end_n, int(t["first_bought"])), start_n
        )
        collector.put(
            "loyalty_index",
            dimension,
            key,
            label,
            metrics.loyalty_index(int(t["repeat"]), int(t["bought"])),
            int(t["bought"]),
        )
        collector.put("regular_clients", dimension, key, label, float(t["regular"]), int(t["regular"]))
        new = int(t["first_bought"])
        collector.put(
            "recommended", dimension, key, label, metrics.recommended_share(int(t["recommended_new"]), new), new
        )
        # Refunds can make a slice's sales negative: then the share means nothing.
        share = (
            metrics.long_standing_share(max(0.0, min(t["long_sales"], t["sales"])), t["sales"])
            if t["sales"] > 0
            else None
        )
        collector.put("long_standing_share", dimension, key, label, share, int(t["buyer"]))
    # CLV of the clients active at the period's end, with the retention the period showed.
    retention_by_slice = {
        slice_: metrics.monthly_retention_from_churn(collector.rows[("churn",) + slice_][0], period_months)
        for slice_ in tally
    }
    overall = retention_by_slice.get((MetricValue.Dimension.ALL, ""), 0.0)
    for client_id, fact in facts.items():
        if not active_end.get(client_id):
            continue
        historic = float(sum((m.turnover for m in fact.months if m.month <= end), Decimal(0)))
        months = max(1, _months_between(fact.first_day, end) + 1)
        for dimension, (key, _label) in fact.slices():
            # A slice with no clients at its start has no churn of its own: use the overall one.
            retention = retention_by_slice.get((dimension, key), overall)
            if collector.rows[("churn", dimension, key)][0] is None:
                retention = overall
            clv_values[(dimension, key)].append(
                metrics.clv(
                    historic_value=historic,
                    monthly_value=historic / months,
                    monthly_retention=retention,
                    horizon_months=CLV_HORIZON_MONTHS,
                )
            )
    for (dimension, key), values in clv_values.items():
        collector.put("clv", dimension, key, tally[(dimension, key)]["label"], metrics.mean(values), len(values))


def _product_base_metrics(
    collector: Collector, facts: dict[int, ClientFacts], start: datetime.date, end: datetime.date, lifecycle_months: int
) -> None:
    """Churn and retention of the period by product, from each product's own settlements.

    For a product P, a client's lifecycle state on a day is `clients.lifecycle.lifecycle_state`
    computed on the dates of that client's settlements of P only (settlements of other
    products and settlements without a product are ignored), with the organization's lifecycle
    period. Then, exactly as for the whole base:
    - clients of P at the start: active (new, regular or renewed) for P on the day before the
      period, i.e. a settlement of P within the lifecycle window before the start;
    - clients of P at the end: active for P on the period's last day;
    - lost: active for P at the start and lost for P at the end (no settlement of P in the
      window before the end), even if the client still buys other products;
    - first bought: the client's first settlement of P lies in the period.
    churn(P) = lost / at start; retention(P) = (at end - first bought) / at start; both are stored
    with "based on" = the clients of P at the start and are undefined (empty) when there are none.
    """
    before = start - datetime.timedelta(days=1)
    tally: dict[str, dict] = {}
    for fact in facts.values():
        for key, (label, dates) in fact.products.items():
            if dates[0] > end:
                continue
            state_start = lifecycle.lifecycle_state(dates, before, lifecycle_months)
            state_end = lifecycle.lifecycle_state(dates, end, lifecycle_months)
            t = tally.setdefault(key, {"label": label, "start": 0, "end": 0, "lost": 0, "first_bought": 0})
            t["start"] += state_start in ACTIVE
            t["end"] += state_end in ACTIVE
            t["lost"] += state_start in ACTIVE and state_end == lifecycle.LOST
            t["first_bought"] += start <= dates[0] <= end
    for key, t in tally.items():
        dimension = MetricValue.Dimension.PRODUCT
        collector.put("churn", dimension, key, t["label"], metrics.churn_rate(t["start"], t["lost"]), t["start"])
        collector.put(
            "retention",
            dimension,
            key,
            t["label"],
            metrics.retention_rate(t["start"], t["end"], t["first_bought"]),
            t["start"],
        )


def _months_between(first: datetime.date, last: datetime.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def _iqs_metrics(collector: Collector, grades: list[tuple[int, str, float]]) -> None:
    by_key: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for manager_id, manager_name, value in grades:
        by_key[(MetricValue.Dimension.ALL, "", "")].append(value)
        by_key[(MetricValue.Dimension.MANAGER, str(manager_id), manager_name)].append(value)
    for (dimension, key, label), values in by_key.items():
        collector.put("iqs", dimension, key, label, metrics.mean(values), len(values))


def metrics_compute(
    *,
    organization: Organization,
    period_kind: str,
    today: datetime.date | None = None,
    progress: ProgressCallback | None = None,
) -> dict:
    """Compute and store every metric for every period from the first data to today."""
    progress = progress or (lambda percent, message="": None)
    today = today or timezone.localdate()
    period_months = 1 if period_kind == MetricValue.PeriodKind.MONTH else 3
    progress(2, gettext_noop("Reading clients and settlements"))
    facts = _client_facts(organization)
    responses = list(
        Response.objects.filter(organization=organization, answered_on__lte=today)
        .select_related("client__segment", "client__manager", "campaign__product")
        .order_by("answered_on")
    )
    grades = list(
        DialogueGrade.objects.filter(organization=organization, graded_on__lte=today)
        .select_related("manager")
        .order_by("graded_on")
    )
    firsts = [f.first_day for f in facts.values() if f.first_day]
    firsts += [r.answered_on for r in responses[:1]] + [g.graded_on for g in grades[:1]]
    if not firsts:
        return {"periods": 0, "values": 0}
    spans = periods(period_kind, min(firsts), today)
    results: list[MetricValue] = []
    for index, (start, end) in enumerate(spans, start=1):
        collector = Collector()
        answers = []
        for response in responses:
            if start <= response.answered_on <= end:
                slices = {MetricValue.Dimension.ALL: ("", "")}
                if response.client_id and response.client_id in facts:
                    fact = facts[response.client_id]
                    slices.update(
                        {
                            MetricValue.Dimension.SEGMENT: fact.segment,
                            MetricValue.Dimension.ABC: fact.abc,
                            MetricValue.Dimension.MANAGER: fact.manager,
                        }
                    )
                if response.campaign.product_id:
                    slices[MetricValue.Dimension.PRODUCT] = (
                        str(response.campaign.product_id),
                        response.campaign.product.name,
                    )
                answers.append((response.metric, response.score, slices))
        _survey_metrics(collector, answers)
        _client_metrics(collector, facts, start, end, period_months, organization.lifecycle_period_months)
        _product_base_metrics(collector, facts, start, end, organization.lifecycle_period_months)
        _iqs_metrics(
            collector, [(g.manager_id, g.manager.get_username(), g.iqs) for g in grades if start <= g.graded_on <= end]
        )
        for (metric, dimension, key), (value, count, label) in collector.rows.items():
            results.append(
                MetricValue(
                    organization=organization,
                    period_kind=period_kind,
                    period_start=start,
                    metric=metric,
                    dimension=dimension,
                    key=key,
                    label=str(label)[:200],
                    value=value,
                    count=count,
                )
            )
        progress(
            5 + int(85 * index / len(spans)),
            JobMessage(gettext_noop("Period %(n)s of %(total)s"), n=index, total=len(spans)),
        )
    progress(92, gettext_noop("Saving"))
    with transaction.atomic():
        MetricValue.objects.filter(organization=organization, period_kind=period_kind).delete()
        MetricValue.objects.bulk_create(results, batch_size=1000)
    return {"periods": len(spans), "values": len(results)}
