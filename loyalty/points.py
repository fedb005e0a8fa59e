"""Loyalty programme arithmetic: points earned, points that expire, the tier a client reaches.

No Django here; `services.py` applies these rules to the ledger inside a transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

CLASS_RANK = {"A": 3, "B": 2, "C": 1, "": 0}


def points_for_amount(amount: Decimal, points_per_thousand: int) -> int:
    """Whole points for a settlement: `points_per_thousand` per full 1000 of money, never negative."""
    if amount <= 0:
        return 0
    return int((Decimal(amount) * points_per_thousand / 1000).to_integral_value(rounding=ROUND_FLOOR))


def points_to_expire(*, earned_before_cutoff: int, already_used: int) -> int:
    """Points that lapse, first in first out.

    Points earned before the cutoff (older than the validity period) lapse unless they were
    already consumed: redemptions and earlier expiries use the oldest points first.
    """
    return max(0, earned_before_cutoff - already_used)


@dataclass(frozen=True)
class TierRule:
    key: object
    rank: int
    min_turnover: Decimal
    min_tenure_months: int
    min_class: str  # "", "C", "B" or "A": the class a client needs at least


def tier_for(*, turnover: Decimal, tenure_months: int, abc_class: str, rules: Sequence[TierRule]) -> object | None:
    """The key of the highest-ranked tier whose every rule the client meets, or None."""
    reached = None
    for rule in sorted(rules, key=lambda r: r.rank):
        if (
            turnover >= rule.min_turnover
            and tenure_months >= rule.min_tenure_months
            and CLASS_RANK.get(abc_class or "", 0) >= CLASS_RANK[rule.min_class or ""]
        ):
            reached = rule.key
    return reached
