"""The loyalty metrics of DOMAIN.md section 6, on plain numbers: no Django here.

Every rate is returned in percent (0-100, NPS -100...100), exact (pages and exports round for
people), or None when it is undefined (no answers, no clients at the start of the period), so that
a chart shows a gap instead of a made-up zero.
"""

from collections.abc import Iterable, Sequence

PROMOTER_MIN = 9  # NPS / eNPS: 9-10 promoters, 7-8 passives, 0-6 detractors
DETRACTOR_MAX = 6
CSAT_SATISFIED_MIN = 4  # CSAT 1-5: 4 and 5 count as satisfied
CES_EASY_MIN = 5  # CES 1-7: 5, 6 and 7 count as easy


def _percent(part: float, whole: float) -> float | None:
    if not whole:
        return None
    return 100.0 * part / whole


def _checked(scores: Iterable[int], low: int, high: int) -> list[int]:
    values = list(scores)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"score {value!r} is outside {low}-{high}")
    return values


def nps_distribution(scores: Iterable[int]) -> dict[str, int]:
    """Promoters, passives and detractors among 0-10 answers."""
    values = _checked(scores, 0, 10)
    promoters = sum(1 for v in values if v >= PROMOTER_MIN)
    detractors = sum(1 for v in values if v <= DETRACTOR_MAX)
    return {
        "promoters": promoters,
        "passives": len(values) - promoters - detractors,
        "detractors": detractors,
    }


def nps(scores: Iterable[int]) -> float | None:
    """% promoters (9-10) minus % detractors (0-6) of 0-10 answers; eNPS is the same formula."""
    counts = nps_distribution(scores)
    total = sum(counts.values())
    if not total:
        return None
    return 100.0 * (counts["promoters"] - counts["detractors"]) / total


def csat(scores: Iterable[int]) -> float | None:
    """% of 1-5 answers that are 4 or 5."""
    values = _checked(scores, 1, 5)
    return _percent(sum(1 for v in values if v >= CSAT_SATISFIED_MIN), len(values))


def ces(scores: Iterable[int]) -> tuple[float | None, float | None]:
    """(mean score, % of answers 5-7) of 1-7 answers."""
    values = _checked(scores, 1, 7)
    if not values:
        return None, None
    return sum(values) / len(values), _percent(sum(1 for v in values if v >= CES_EASY_MIN), len(values))


def churn_rate(at_start: int, lost: int) -> float | None:
    """Clients lost during the period / clients at its start."""
    if lost < 0 or at_start < 0 or lost > at_start:
        raise ValueError("lost clients must be between 0 and the clients at the start")
    return _percent(lost, at_start)


def retention_rate(start: int, end: int, first_bought: int) -> float | None:
    """(E - N) / S in percent: E clients active at the period's end, N clients whose first settlement
    lies in the period, S clients active at its start.

    A lost client won back is among E and not among N: it counts as retained (the standard CRR
    formula), so retention is not 100 - churn and may exceed 100 % when many come back.
    """
    if min(start, end, first_bought) < 0:
        raise ValueError("counts must be non-negative")
    return _percent(end - first_bought, start)


def loyalty_index(repeat_clients: int, all_clients: int) -> float | None:
    """Clients with settlements on at least two different dates up to the period's end / clients with
    at least one settlement up to then."""
    if not 0 <= repeat_clients <= all_clients:
        raise ValueError("repeat clients must be between 0 and all clients")
    return _percent(repeat_clients, all_clients)


def long_standing_share(long_standing_sales: float, total_sales: float) -> float | None:
    """Share of the period's sales that came from long-standing clients."""
    if total_sales < 0 or not 0 <= long_standing_sales <= total_sales:
        raise ValueError("long-standing sales must be between 0 and the total")
    return _percent(long_standing_sales, total_sales)


def recommended_share(recommended_new: int, new: int) -> float | None:
    """Share of the period's new clients (first purchase in it) who came on a client's recommendation."""
    if not 0 <= recommended_new <= new:
        raise ValueError("clients on recommendation must be between 0 and the new clients")
    return _percent(recommended_new, new)


def clv(
    *,
    historic_value: float,
    monthly_value: float,
    monthly_retention: float,
    horizon_months: int = 36,
    monthly_discount: float = 0.01,
) -> float:
    """Customer lifetime value: money already received plus a discounted forecast.

    The forecast is the simple retention model: the client keeps spending its average monthly
    value while it stays, and stays one more month with probability `monthly_retention`, so
    month t (1..horizon) contributes value * retention**t / (1 + discount)**t. With retention
    r and discount d the sum is finite even without the horizon; the horizon keeps a forecast
    for a very loyal client from running to decades.
    """
    if not 0.0 <= monthly_retention <= 1.0:
        raise ValueError("monthly retention must be between 0 and 1")
    if monthly_discount < 0 or horizon_months < 0 or monthly_value < 0:
        raise ValueError("discount, horizon and monthly value cannot be negative")
    factor = monthly_retention / (1.0 + monthly_discount)
    forecast = sum(monthly_value * factor**t for t in range(1, horizon_months + 1))
    return historic_value + forecast


def monthly_retention_from_churn(period_churn_percent: float | None, period_months: int) -> float:
    """Turn a churn rate over a period of `period_months` into a monthly retention probability."""
    if period_churn_percent is None:
        return 0.0
    stay = max(0.0, 1.0 - period_churn_percent / 100.0)
    return stay ** (1.0 / period_months)


def iqs(marks: Sequence[tuple[float, float]]) -> float | None:
    """Internal quality score of one graded dialogue: sum(weight x mark) / sum(weight), in %.

    `marks` are (weight, mark) pairs with a mark from 0 (criterion not met) to 1 (fully met).
    """
    total_weight = 0.0
    earned = 0.0
    for weight, mark in marks:
        if weight <= 0:
            raise ValueError("a criterion weight must be positive")
        if not 0.0 <= mark <= 1.0:
            raise ValueError(f"mark {mark!r} is outside 0-1")
        total_weight += weight
        earned += weight * mark
    return _percent(earned, total_weight)


# For these a fall is the good news; for every other metric a rise is.
LOWER_IS_BETTER = frozenset({"churn"})


def change_direction(metric: str, delta: float | None) -> str | None:
    """ "better", "worse" or None (no change, or nothing to compare) for a change of `metric`."""
    if not delta:
        return None
    return "better" if (delta < 0) == (metric in LOWER_IS_BETTER) else "worse"


def mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None
