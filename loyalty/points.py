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


def class_reaches(abc_class: str, min_class: str) -> bool:
    """Whether a client's ABC class meets a minimum ("" needs nothing, "C" means C or better)."""
    return CLASS_RANK.get(abc_class or "", 0) >= CLASS_RANK[min_class or ""]


class StepsError(ValueError):
    """A progressive discount written wrongly: `code` says how ("format", "number", "range",
    "order", "empty"), `part` which step."""

    def __init__(self, code: str, part: str = ""):
        super().__init__(code, part)
        self.code, self.part = code, part


def progressive_steps(text: str) -> list[tuple[Decimal, Decimal]]:
    """Steps of a progressive discount written as "10000: 3; 50000: 5" (a purchase from that
    amount gets that percent; a line break separates steps too): amounts rising, percents from 0
    to 100 and never falling."""
    steps: list[tuple[Decimal, Decimal]] = []
    for part in filter(None, (p.strip() for p in text.replace("\n", ";").split(";"))):
        amount, sep, percent = part.partition(":")
        if not sep:
            raise StepsError("format", part)
        try:
            step = (_number(amount), _number(percent.strip().rstrip("%")))
        except ArithmeticError:
            raise StepsError("number", part) from None
        if step[0] < 0 or not 0 <= step[1] <= 100:
            raise StepsError("range", part)
        if steps and (step[0] <= steps[-1][0] or step[1] < steps[-1][1]):
            raise StepsError("order", part)
        steps.append(step)
    if not steps:
        raise StepsError("empty")
    return steps


def _number(text: str) -> Decimal:
    value = Decimal(text.strip().replace(" ", "").replace("\u00a0", "").replace(",", "."))
    if not value.is_finite():
        raise ArithmeticError(text)
    return value


def open_to(*, min_class: str, min_rank: int | None, abc_class: str, rank: int | None) -> bool:
    """Whether a client of this class and tier rank may use a tool needing a class and a tier."""
    return class_reaches(abc_class, min_class) and (min_rank is None or (rank is not None and rank >= min_rank))


def progressive_discount(steps: Sequence[tuple[Decimal, Decimal]], amount: Decimal) -> Decimal:
    """The percent a purchase of `amount` gets: that of the highest step it reaches, else 0."""
    reached = [percent for start, percent in steps if amount >= start]
    return reached[-1] if reached else Decimal(0)


def tier_for(*, turnover: Decimal, tenure_months: int, abc_class: str, rules: Sequence[TierRule]) -> object | None:
    """The key of the highest-ranked tier whose every rule the client meets, or None."""
    reached = None
    for rule in sorted(rules, key=lambda r: r.rank):
        if (
            turnover >= rule.min_turnover
            and tenure_months >= rule.min_tenure_months
            and class_reaches(abc_class, rule.min_class)
        ):
            reached = rule.key
    return reached
