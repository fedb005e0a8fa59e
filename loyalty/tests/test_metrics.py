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
    # 1 promoter, 2 detractors of 3: -33.3
    assert metrics.nps([9, 6, 5]) == -33.3
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


def test_churn_retention_and_the_empty_start():
    # 40 clients at start, 6 lost: 15 %
    assert metrics.churn_rate(40, 6) == 15.0
    # start 40, end 44, 10 new: (44 - 10) / 40 = 85 %
    assert metrics.retention_rate(40, 44, 10) == 85.0
    # a period with no clients at the start has neither churn nor retention
    assert metrics.churn_rate(0, 0) is None
    assert metrics.retention_rate(0, 5, 5) is None
    with pytest.raises(ValueError):
        metrics.churn_rate(3, 4)
    with pytest.raises(ValueError):
        metrics.retention_rate(10, 3, 4)


def test_retention_counts_won_back_clients_among_the_acquired():
    # Start: 10 active. During the period 2 are lost, 3 brand-new clients arrive and 2 lapsed
    # clients are won back ("renewed"). End: 10 - 2 + 3 + 2 = 13 active; acquired = 3 + 2 = 5;
    # kept = 13 - 5 = 8 of 10 = 80 % (counting only the brand-new ones gave (13 - 3) / 10 = 100 %).
    assert metrics.retention_rate(10, 13, 5) == 80.0
    # Nobody lost: 100 %, never more; everybody lost, only won-back ones at the end: 0 %.
    assert metrics.retention_rate(10, 12, 2) == 100.0
    assert metrics.retention_rate(4, 3, 3) == 0.0
    # Won-back clients left out of the acquired would mean more kept clients than there were.
    with pytest.raises(ValueError, match="won-back"):
        metrics.retention_rate(10, 13, 2)


def test_loyalty_index_and_long_standing_share():
    assert metrics.loyalty_index(3, 8) == 37.5
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
    # r = 0.9, d = 0.1 -> factor 0.9 / 1.1; two months: 100 * (0.818181.. + 0.669421..) = 148.76
    assert (
        metrics.clv(historic_value=0, monthly_value=100, monthly_retention=0.9, horizon_months=2, monthly_discount=0.1)
        == 148.76
    )
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
