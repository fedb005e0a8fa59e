"""Deals: what is paid and owed, the board by stage, the funnel and refusals."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from crm_portal.tenancy import Viewer

from ..models import (
    STAGE_ORDER,
    Deal,
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
        "money": deal_money(deal),
        "next_stage": Stage(STAGE_ORDER[following]).label if following < len(STAGE_ORDER) else None,
        "stage_names": [(s, Stage(s).label) for s in STAGE_ORDER],
    }


def deals_by_stage(viewer: Viewer) -> dict:
    deals = visible_rows(viewer, Deal).filter(status=Deal.Status.OPEN).select_related("client", "product")
    board = {stage: [] for stage in STAGE_ORDER}
    counts = dict(deals.values_list("stage").annotate(n=Count("id")))
    for deal in deals.order_by("stage", "-updated_at")[:600]:
        if len(board[deal.stage]) < 50:
            board[deal.stage].append(deal)
    return {"board": board, "counts": counts}


def funnel(viewer: Viewer) -> list[dict]:
    """Deals that reached each stage, and the share that went on to the next one."""
    deals = visible_rows(viewer, Deal)
    reached = {stage: 0 for stage in STAGE_ORDER}
    refused = dict(deals.filter(status=Deal.Status.REFUSED).values_list("stage").annotate(n=Count("id")))
    for stage, _status, n in deals.values_list("stage", "status").annotate(n=Count("id")):
        last = STAGE_ORDER.index(stage)
        for earlier in STAGE_ORDER[: last + 1]:
            reached[earlier] += n
    won = deals.filter(status=Deal.Status.WON).count()
    rows = []
    for i, stage in enumerate(STAGE_ORDER):
        following = reached[STAGE_ORDER[i + 1]] if i + 1 < len(STAGE_ORDER) else won
        rows.append(
            {
                "stage": stage,
                "reached": reached[stage],
                "refused": refused.get(stage, 0),
                "next": following,
                "conversion": (100.0 * following / reached[stage]) if reached[stage] else None,
            }
        )
    return rows


def refusals_by_stage(viewer: Viewer) -> list[dict]:
    return list(
        visible_rows(viewer, Deal)
        .filter(status=Deal.Status.REFUSED)
        .values("stage", "refusal_reason__name")
        .annotate(n=Count("id"))
        .order_by("stage", "-n")
    )
