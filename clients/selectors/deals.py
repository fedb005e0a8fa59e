"""Deals: what is paid and owed, the board by stage, the funnel and refusals."""

import datetime
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from crm_portal.tenancy import Viewer

from ..models import (
    STAGE_ORDER,
    ControlPoint,
    Deal,
    DealEvent,
    Stage,
)
from .visibility import visible_rows


@dataclass(frozen=True)
class DealMoney:
    """What a deal's client has paid: the deal's settlements, refunds taking it back."""

    amount: Decimal | None
    paid: Decimal  # net of refunds
    refunded: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.amount is None else max(self.amount - self.paid, Decimal(0))

    @property
    def paid_in_full(self) -> bool:
        return self.amount is not None and self.paid >= self.amount


def deal_money(deal: Deal) -> DealMoney:
    sums = deal.settlements.aggregate(
        received=Sum("amount", filter=Q(amount__gt=0)), returned=Sum("amount", filter=Q(amount__lt=0))
    )
    received, refunded = sums["received"] or Decimal(0), -(sums["returned"] or Decimal(0))
    return DealMoney(amount=deal.amount, paid=received - refunded, refunded=refunded)


def deal_page(deal: Deal) -> dict:
    """The deal page's reads: the deal, its history, documents, control points, money and stages."""
    following = deal.stage_index + 1
    return {
        "deal": deal,
        "events": deal.events.select_related("author").order_by("-created_at", "-id"),
        "points": deal.control_points.order_by("due_date"),
        "documents": deal.documents.select_related("author"),
        "cases": deal.complaints.order_by("-created_at", "-id"),
        "event_passed": deal.status == Deal.Status.WON
        or (deal.status == Deal.Status.OPEN and deal.stage == Stage.CLOSING),
        "money": deal_money(deal),
        "next_stage": Stage(STAGE_ORDER[following]).label if following < len(STAGE_ORDER) else None,
        "stage_names": [(s, Stage(s).label) for s in STAGE_ORDER],
    }


@dataclass(frozen=True)
class DealFilter:
    """What the deal board shows: deals of a manager's clients, of a segment, opened within dates."""

    manager: int | None = None
    segment: int | None = None
    product: int | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    # A funnel row drilled into: the deals that reached this stage, whatever their status now.
    reached: str = ""


def board_deals(viewer: Viewer, wanted: DealFilter = DealFilter()) -> QuerySet[Deal]:
    """The viewer's deals under the board's filter: the board, the funnel and the refusals read these."""
    deals = visible_rows(viewer, Deal)
    if wanted.manager:
        deals = deals.filter(client__manager_id=wanted.manager)
    if wanted.segment:
        deals = deals.filter(client__segment_id=wanted.segment)
    if wanted.product:
        deals = deals.filter(product_id=wanted.product)
    if wanted.start:
        deals = deals.filter(created_at__date__gte=wanted.start)
    if wanted.end:
        deals = deals.filter(created_at__date__lte=wanted.end)
    if wanted.reached in STAGE_ORDER:
        deals = deals.filter(stage__in=STAGE_ORDER[STAGE_ORDER.index(wanted.reached) :])
    return deals


BOARD_CARDS = 50  # per column: the newest moved; the column's count and sum cover all


def deals_by_stage(viewer: Viewer, wanted: DealFilter = DealFilter()) -> list[dict]:
    """Open deals per stage in funnel order: each column's count, amount total and newest cards,
    each card with its next step (the deal's earliest open control point)."""
    deals = board_deals(viewer, wanted).filter(status=Deal.Status.OPEN)
    totals = {row["stage"]: row for row in deals.values("stage").annotate(n=Count("id"), amount=Sum("amount"))}
    open_points = ControlPoint.objects.filter(deal=OuterRef("pk"), done_at__isnull=True).order_by("due_date", "id")
    cards = (
        deals.select_related("client", "product")
        .annotate(
            next_kind=Subquery(open_points.values("kind")[:1]),
            next_due=Subquery(open_points.values("due_date")[:1]),
        )
        .order_by("-updated_at", "-id")
    )
    columns = []
    for stage in STAGE_ORDER:
        total = totals.get(stage, {})
        shown = list(cards.filter(stage=stage)[:BOARD_CARDS])
        for deal in shown:
            deal.next_label = ControlPoint.Kind(deal.next_kind).label if deal.next_kind else ""
        columns.append(
            {
                "stage": stage,
                "label": Stage(stage).label,
                "deals": shown,
                "count": total.get("n", 0),
                "amount": total.get("amount") or Decimal(0),
                "next_stage": Stage(STAGE_ORDER[STAGE_ORDER.index(stage) + 1]).label
                if stage != STAGE_ORDER[-1]
                else None,
            }
        )
    return columns


def funnel(viewer: Viewer, wanted: DealFilter = DealFilter()) -> list[dict]:
    """Deals that reached each stage, and the share that went on to the next one."""
    deals = board_deals(viewer, wanted)
    reached = {stage: 0 for stage in STAGE_ORDER}
    refused = dict(deals.filter(status=Deal.Status.REFUSED).values_list("stage").annotate(n=Count("id")))
    for stage, _status, n in deals.values_list("stage", "status").annotate(n=Count("id")):
        last = STAGE_ORDER.index(stage)
        for earlier in STAGE_ORDER[: last + 1]:
            reached[earlier] += n
    won = deals.filter(status=Deal.Status.WON).count()
    days = days_in_stage(deals)
    rows = []
    for i, stage in enumerate(STAGE_ORDER):
        following = reached[STAGE_ORDER[i + 1]] if i + 1 < len(STAGE_ORDER) else won
        rows.append(
            {
                "stage": stage,
                "label": Stage(stage).label,
                "reached": reached[stage],
                "refused": refused.get(stage, 0),
                "next": following,
                "conversion": (100.0 * following / reached[stage]) if reached[stage] else None,
                "median_days": statistics.median(days[stage]) if days[stage] else None,
            }
        )
    return rows


# The events by which a deal enters a stage (to_stage) or leaves it (from_stage).
STAGE_EVENTS = (DealEvent.Kind.CREATED, DealEvent.Kind.MOVED, DealEvent.Kind.CLOSED, DealEvent.Kind.REFUSED)


def days_in_stage(deals: QuerySet[Deal]) -> dict[str, list[int]]:
    """For each stage, the days each of the deals spent in it, from entering to leaving it (moved on,
    closed or refused there); a deal still in a stage is not counted for it."""
    entered: dict[tuple[int, str], datetime.date] = {}
    days: dict[str, list[int]] = {stage: [] for stage in STAGE_ORDER}
    for deal_id, left, came, day in (
        DealEvent.objects.filter(deal__in=deals.order_by().values("pk"), kind__in=STAGE_EVENTS)
        .order_by("deal_id", "date", "id")
        .values_list("deal_id", "from_stage", "to_stage", "date")
    ):
        if left and (deal_id, left) in entered:
            days[left].append((day - entered.pop((deal_id, left))).days)
        if came:
            entered[(deal_id, came)] = day
    return days


def refusals_by_stage(viewer: Viewer, wanted: DealFilter = DealFilter()) -> list[dict]:
    return list(
        board_deals(viewer, wanted)
        .filter(status=Deal.Status.REFUSED)
        .values("stage", "refusal_reason__name")
        .annotate(n=Count("id"))
        .order_by("stage", "-n")
    )
