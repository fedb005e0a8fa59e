"""The pure metrics, against values computed by hand."""

from decimal import Decimal

import pytest

from loyalty import metrics
from loyalty.points import TierRule, points_for_amount, points_to_expire, tier_for


def test_nps_hand_computed():
    # 10, 9, 9 promoters; 8, 7 passives; 6, 0, 3 detractors: (3 - 3) / 8 = 0
    assert metrics.nps([10, 9, 9, 8, 7, 6, 0, 3]) == 0.0
    # 4 promoters, 1 passive, 1 detractor of 6: (4 - 1) / 6 = 50 %
    assert metrics.nps([9, 10, 9, 10, 8, 2]) == 50.0
    # 1 promoter, 2 detractors of 3: (1 - 2) / 3 = -33.333... %, exact (pages round it)
    assert metrics.nps([9, 6, 5]) == pytest.approx(-100 / 3)
    assert metrics.nps_distribution([9, 8, 7, 6]) == {"promoters": 1, "passives": 2, "detractors": 1}


def test_nps_edges():
    assert metrics.nps([]) is None
    assert metrics.nps([9, 10, 10]) == 100.0
    assert metrics.nps([0, 6, 1]) == -100.0
    assert metrics.nps([7, 8]) == 0.0
    with pytest.raises(ValueError):
        metrics.nps([11])
    with pytest.raises(ValueError):
        metrics.nps([-1])


def test_csat_and_ces_hand_computed():
    # 4 and 5 are satisfied: 3 of 5 = 60 %
    assert metrics.csat([5, 4, 3, 2, 4]) == 60.0
    assert metrics.csat([]) is None
    assert metrics.csat([1, 2, 3]) == 0.0
    with pytest.raises(ValueError):
        metrics.csat([0])
    # mean of 7, 5, 4, 1 = 17 / 4 = 4.25; 5-7: 2 of 4 = 50 %
    assert metrics.ces([7, 5, 4, 1]) == (4.25, 50.0)
    assert metrics.ces([]) == (None, None)
    with pytest.raises(ValueError):
        metrics.ces([8])


def test_csat_ces_and_nps_are_not_rounded():
    # CSAT: 2 of 3 satisfied = 66.666... %
    assert metrics.csat([5, 4, 2]) == pytest.approx(200 / 3)
    # CES 5, 6, 6: mean 17 / 3 = 5.666... (was 5.67); all three easy: 3 / 3 = 100 %
    mean, easy = metrics.ces([5, 6, 6])
    assert mean == pytest.approx(17 / 3) and easy == 100.0
    # CES 7, 4, 5: mean 16 / 3 = 5.333...; 7 and 5 easy: 2 / 3 = 66.666... %
    mean, easy = metrics.ces([7, 4, 5])
    assert mean == pytest.approx(16 / 3) and easy == pytest.approx(200 / 3)
    # NPS 9, 6, 5: 1 promoter, 2 detractors: (1 - 2) / 3 = -33.333... %
    assert metrics.nps([9, 6, 5]) == pytest.approx(-100 / 3)


def test_churn_retention_and_the_empty_start():
    # 40 clients at start, 6 lost: 15 %
    assert metrics.churn_rate(40, 6) == 15.0
    # start 40, end 44, 10 with their first settlement in the period: (44 - 10) / 40 = 85 %
    assert metrics.retention_rate(40, 44, 10) == 85.0
    # a period with no clients at the start has neither churn nor retention
    assert metrics.churn_rate(0, 0) is None
    assert metrics.retention_rate(0, 5, 5) is None
    with pytest.raises(ValueError):
        metrics.churn_rate(3, 4)
    # More first buyers than clients at the end is no longer refused: (3 - 4) / 10 = -10 %.
    assert metrics.retention_rate(10, 3, 4) == -10.0
    # Only negative counts are.
    for counts in ((-1, 3, 0), (10, -1, 0), (10, 3, -1)):
        with pytest.raises(ValueError, match="non-negative"):
            metrics.retention_rate(*counts)


def test_retention_counts_a_won_back_client_as_retained():
    # Start: 10 active. During the period 2 are lost, 3 brand-new clients arrive (first settlement
    # in the period) and 2 lapsed clients are won back. End: 10 - 2 + 3 + 2 = 13 active; N = 3
    # (won-back clients bought before): (13 - 3) / 10 = 100 % (counting them as acquired gave 80 %).
    assert metrics.retention_rate(10, 13, 3) == 100.0
    # 1 lost, 2 new, 2 won back: E = 10 - 1 + 2 + 2 = 13, N = 2: (13 - 2) / 10 = 110 %, above 100.
    assert metrics.retention_rate(10, 13, 2) == 110.0
    # Nobody lost, 2 new, 2 won back: E = 14, N = 2: (14 - 2) / 10 = 120 %.
    assert metrics.retention_rate(10, 14, 2) == 120.0
    # Everybody lost, 3 brand-new clients at the end: (3 - 3) / 4 = 0 %.
    assert metrics.retention_rate(4, 3, 3) == 0.0
    # Everybody lost, 3 of them won back, nobody new: (3 - 0) / 4 = 75 %.
    assert metrics.retention_rate(4, 3, 0) == 75.0


def test_retention_with_a_won_back_client_by_hand():
    # S = 4 at the start; 1 of them lost; 1 brand-new client (N = 1) and 1 lapsed client won back:
    # E = 4 - 1 + 1 + 1 = 5; (5 - 1) / 4 = 100 %.
    assert metrics.retention_rate(4, 5, 1) == 100.0


def test_retention_with_a_client_whose_first_purchase_is_in_the_period():
    # S = 4; 1 lost; 1 client buys for the first time in the period (N = 1), no won-back client:
    # E = 4 - 1 + 1 = 4; the first buyer is not retained: (4 - 1) / 4 = 75 %.
    assert metrics.retention_rate(4, 4, 1) == 75.0
    # S = 3, nobody lost, 3 first buyers: E = 6, (6 - 3) / 3 = 100 %.
    assert metrics.retention_rate(3, 6, 3) == 100.0


def test_retention_of_a_period_with_no_clients_at_its_start():
    # S = 0: undefined, whatever E and N are (2 first buyers; 1 won back and 2 first buyers).
    assert metrics.retention_rate(0, 2, 2) is None
    assert metrics.retention_rate(0, 3, 2) is None
    assert metrics.churn_rate(0, 0) is None


def test_loyalty_index_and_long_standing_share():
    assert metrics.loyalty_index(3, 8) == 37.5
    # 1 client with settlements on two dates of 3 with a settlement: 1 / 3 = 33.333... %
    assert metrics.loyalty_index(1, 3) == pytest.approx(100 / 3)
    assert metrics.loyalty_index(0, 3) == 0.0
    assert metrics.loyalty_index(3, 3) == 100.0
    assert metrics.loyalty_index(0, 0) is None
    assert metrics.long_standing_share(750.0, 1000.0) == 75.0
    assert metrics.long_standing_share(0, 0) is None
    with pytest.raises(ValueError):
        metrics.loyalty_index(5, 4)


def test_clv_hand_computed():
    # No forecast without retention: CLV is the history.
    assert metrics.clv(historic_value=1200, monthly_value=100, monthly_retention=0.0) == 1200
    # r = 0.5, no discount, 3 months: 100 * (0.5 + 0.25 + 0.125) = 87.5
    assert (
        metrics.clv(historic_value=0, monthly_value=100, monthly_retention=0.5, horizon_months=3, monthly_discount=0.0)
        == 87.5
    )
    # r = 1, d = 0, 12 months: the horizon caps it at 12 x 100
    assert (
        metrics.clv(
            historic_value=500, monthly_value=100, monthly_retention=1.0, horizon_months=12, monthly_discount=0.0
        )
        == 1700
    )
    # r = 0.9, d = 0.1 -> factor 9 / 11; two months: 100 * (9/11 + 81/121) = 100 * 180/121, exact (not 148.76)
    assert metrics.clv(
        historic_value=0, monthly_value=100, monthly_retention=0.9, horizon_months=2, monthly_discount=0.1
    ) == pytest.approx(18000 / 121)
    with pytest.raises(ValueError):
        metrics.clv(historic_value=0, monthly_value=1, monthly_retention=1.5)


def test_monthly_retention_from_a_quarterly_churn():
    # 27.1 % lost over 3 months = 0.729 stay = 0.9 per month
    assert metrics.monthly_retention_from_churn(27.1, 3) == pytest.approx(0.9, abs=1e-6)
    assert metrics.monthly_retention_from_churn(None, 3) == 0.0
    assert metrics.monthly_retention_from_churn(0.0, 1) == 1.0


def test_iqs_weighted():
    # weights 2, 1, 1; marks 1, 0.5, 0 -> (2 + 0.5) / 4 = 62.5 %
    assert metrics.iqs([(2, 1.0), (1, 0.5), (1, 0.0)]) == 62.5
    assert metrics.iqs([]) is None
    assert metrics.iqs([(3, 1.0)]) == 100.0
    with pytest.raises(ValueError):
        metrics.iqs([(0, 1.0)])
    with pytest.raises(ValueError):
        metrics.iqs([(1, 1.5)])


def test_points_and_expiry():
    assert points_for_amount(Decimal("12999.99"), 10) == 129
    assert points_for_amount(Decimal("999"), 1) == 0
    assert points_for_amount(Decimal("-500"), 10) == 0
    # 300 old points, 120 already redeemed: 180 lapse; nothing lapses when all were used
    assert points_to_expire(earned_before_cutoff=300, already_used=120) == 180
    assert points_to_expire(earned_before_cutoff=300, already_used=450) == 0


def test_tier_needs_every_rule():
    rules = [
        TierRule("silver", 1, Decimal("0"), 0, ""),
        TierRule("gold", 2, Decimal("100000"), 12, "B"),
        TierRule("platinum", 3, Decimal("500000"), 24, "A"),
    ]
    assert tier_for(turnover=Decimal("50"), tenure_months=1, abc_class="C", rules=rules) == "silver"
    assert tier_for(turnover=Decimal("200000"), tenure_months=12, abc_class="B", rules=rules) == "gold"
    # turnover and tenure of platinum, but only class B: gold
    assert tier_for(turnover=Decimal("900000"), tenure_months=36, abc_class="B", rules=rules) == "gold"
    assert tier_for(turnover=Decimal("900000"), tenure_months=36, abc_class="A", rules=rules) == "platinum"
    assert tier_for(turnover=Decimal("900000"), tenure_months=6, abc_class="A", rules=rules[1:]) is None


def test_recommended_share_is_exact_and_refuses_impossible_counts():
    from loyalty.metrics import recommended_share

    assert recommended_share(1, 3) == 100 / 3
    assert recommended_share(0, 0) is None
    with pytest.raises(ValueError):
        recommended_share(4, 3)
