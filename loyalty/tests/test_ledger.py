"""The loyalty programme: points earned once, redemptions never below zero, FIFO expiry, tiers."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse

from crm_portal.models import Role
from loyalty import ledger
from loyalty.models import PointAccount, PointMovement, Programme, Tier

from .factories import make_client, pay

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def programme(org_a):
    programme = ledger.programme_save(
        organization=org_a,
        name="Club",
        key_factor=Programme.KeyFactor.PRICES,
        points_per_thousand=10,
        validity_months=12,
        tier_window_months=12,
    )
    for rank, name, turnover, tenure, cls in [
        (1, "Silver", 0, 0, ""),
        (2, "Gold", 100_000, 12, "B"),
        (3, "Platinum", 500_000, 24, "A"),
    ]:
        ledger.tier_save(
            programme=programme,
            name=name,
            rank=rank,
            min_turnover=Decimal(turnover),
            min_tenure_months=tenure,
            min_class=cls,
            discount_percent=Decimal(rank * 2),
        )
    return programme


def test_settlements_earn_points_once(org_a, programme):
    client = make_client(org_a, "Alpha")
    settlements = [
        pay(client, D(2026, 1, 5), "12999.99"),
        pay(client, D(2026, 2, 5), "99.90"),
        pay(client, D(2026, 3, 5), "30000"),
    ]
    assert ledger.points_earn(client=client, settlements=settlements, programme=programme) == 2  # 99.90 earns 0 points
    assert ledger.points_earn(client=client, settlements=settlements, programme=programme) == 0
    account = PointAccount.objects.get(client=client)
    assert account.balance == 129 + 300
    assert list(account.movements.order_by("occurred_on").values_list("points", "balance_after")) == [
        (129, 129),
        (300, 429),
    ]


def test_redeeming_more_than_the_balance_is_refused(org_a, programme):
    client = make_client(org_a, "Alpha")
    ledger.points_earn(client=client, settlements=[pay(client, D(2026, 1, 5), "10000")], programme=programme)
    with pytest.raises(ValidationError, match="Only 100 points are available"):
        ledger.points_redeem(client=client, points=101)
    with pytest.raises(ValidationError):
        ledger.points_redeem(client=client, points=0)
    assert PointAccount.objects.get(client=client).balance == 100
    movement = ledger.points_redeem(client=client, points=100, note="Mugs")
    assert (movement.points, movement.balance_after) == (-100, 0)


def test_the_database_refuses_a_negative_balance(org_a, programme):
    client = make_client(org_a, "Alpha")
    account = PointAccount.objects.create(organization=org_a, client=client)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointAccount.objects.filter(pk=account.pk).update(balance=-1)


def test_old_points_lapse_oldest_first(org_a, programme):
    client = make_client(org_a, "Alpha")
    ledger.points_earn(
        client=client,
        programme=programme,
        settlements=[pay(client, D(2025, 1, 10), "30000"), pay(client, D(2025, 11, 10), "20000")],
    )
    ledger.points_redeem(client=client, points=100, on=D(2025, 12, 1))
    account = PointAccount.objects.get(client=client)
    # On 2026-02-01 points earned before 2025-02-01 lapse: 300 old, 100 of them already used -> 200.
    lapse = ledger.points_expire(account=account, programme=programme, today=D(2026, 2, 1))
    assert (lapse.points, lapse.balance_after, lapse.kind) == (-200, 200, "expired")
    assert ledger.points_expire(account=account, programme=programme, today=D(2026, 3, 1)) is None
    # A year after the second payment its remaining 200 lapse too.
    assert ledger.points_expire(account=account, programme=programme, today=D(2026, 11, 11)).points == -200
    account.refresh_from_db()
    assert account.balance == 0
    assert account.movements.aggregate(s=Sum("points"))["s"] == 0


def test_tiers_follow_turnover_tenure_and_class(org_a, programme):
    gold = make_client(org_a, "Gold client", abc_class="B")
    pay(gold, D(2024, 12, 1), "1000")
    pay(gold, D(2025, 10, 1), "150000")
    almost = make_client(org_a, "Big but class C", abc_class="C")
    pay(almost, D(2023, 1, 1), "1000")
    pay(almost, D(2025, 10, 1), "900000")
    ledger.tiers_assign(organization=org_a, programme=programme, today=D(2026, 1, 15))
    tiers = dict(PointAccount.objects.values_list("client__name", "tier__name"))
    assert tiers == {"Gold client": "Gold", "Big but class C": "Silver"}


def test_points_refresh_credits_expires_and_assigns(org_a, programme):
    client = make_client(org_a, "Alpha", abc_class="A")
    pay(client, D(2024, 1, 10), "50000")
    pay(client, D(2025, 12, 10), "600000")
    result = ledger.points_refresh(organization=org_a, today=D(2026, 1, 31))
    assert result == {"credited_settlements": 2, "expired_accounts": 1, "tier_changes": 1}
    account = PointAccount.objects.get(client=client)
    assert (account.balance, account.tier.name) == (6000, "Platinum")
    assert list(account.movements.order_by("id").values_list("kind", "points")) == [
        ("earned", 500),
        ("earned", 6000),
        ("expired", -500),
    ]
    again = ledger.points_refresh(organization=org_a, today=D(2026, 1, 31))
    assert again == {"credited_settlements": 0, "expired_accounts": 0, "tier_changes": 0}


def test_tier_form_refuses_a_duplicate_rank(client_as, org_a, programme):
    web = client_as(org_a, Role.SALES_HEAD)
    page = web.post(
        reverse("loyalty:programme"),
        {
            "tier-name": "Diamond",
            "tier-rank": "2",
            "tier-min_turnover": "1",
            "tier-min_tenure_months": "0",
            "tier-min_class": "",
            "tier-discount_percent": "7",
        },
    )
    assert "Another tier already has this rank." in page.content.decode()
    assert Tier.objects.count() == 3
    page = web.post(
        reverse("loyalty:programme"),
        {
            "tier-name": "Diamond",
            "tier-rank": "4",
            "tier-min_turnover": "-5",
            "tier-min_tenure_months": "0",
            "tier-min_class": "",
            "tier-discount_percent": "120",
        },
    )
    assert page.status_code == 200 and Tier.objects.count() == 3


def test_redeem_page_keeps_the_balance_on_bad_input(client_as, org_a, programme, make_member):
    web = client_as(org_a, Role.SALES_HEAD)
    client = make_client(org_a, "Alpha")
    ledger.points_earn(client=client, settlements=[pay(client, D(2026, 1, 5), "5000")], programme=programme)
    account = PointAccount.objects.get(client=client)
    url = reverse("loyalty:point_account", kwargs={"point_account_id": account.pk})
    page = web.post(url, {"points": "60", "note": "Gift"})
    assert "Only 50 points are available; 60 cannot be taken." in page.content.decode()
    assert web.post(url, {"points": "-5", "note": "Gift"}).status_code == 200
    assert PointMovement.objects.filter(kind="redeemed").count() == 0
    assert web.post(url, {"points": "20", "note": "Gift"}).status_code == 302
    account.refresh_from_db()
    assert account.balance == 30


def test_a_manager_sees_only_own_clients_accounts(client_as, org_a, programme, make_member):
    other = make_member(org_a, Role.MANAGER)
    client = make_client(org_a, "Alpha", manager=other)
    account = PointAccount.objects.create(organization=org_a, client=client)
    web = client_as(org_a, Role.MANAGER)
    assert web.get(reverse("loyalty:point_account", kwargs={"point_account_id": account.pk})).status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_points_job_runs_in_a_worker(client_as, org_a, programme, celery_worker, wait_for):
    from django.utils import timezone

    from crm_portal.models import Job

    today = timezone.localdate()
    client = make_client(org_a, "Alpha", abc_class="A")
    pay(client, today - datetime.timedelta(days=400), "1000")  # 10 points, older than 12 months: they lapse
    pay(client, today - datetime.timedelta(days=30), "250000")  # 2,500 points; turnover 250,000: Gold
    web = client_as(org_a, Role.ANALYST)
    assert web.post(reverse("loyalty:points_start")).status_code == 302
    job = wait_for(lambda: Job.objects.filter(kind="loyalty.points", status__in=Job.FINISHED).first(), timeout=60)
    assert job.status == "succeeded", job.error
    assert job.result == {
        "credited_settlements": 2,
        "expired_accounts": 1,
        "tier_changes": 1,
        "url": reverse("loyalty:programme"),
    }
    account = PointAccount.objects.get(client=client)
    assert (account.balance, account.tier.name) == (2500, "Gold")
