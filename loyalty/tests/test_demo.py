"""The small demo set: rows of every kind a loyalty URL names, in both organizations, and idempotent."""

import pytest
from django.core.management import call_command

from crm_portal.models import Organization
from loyalty.models import Campaign, PointAccount, PointMovement, Response, Scorecard, Tier

MODELS = (Campaign, Response, Scorecard, Tier, PointAccount, PointMovement)


@pytest.mark.django_db
def test_small_demo_is_complete_and_idempotent():
    call_command("seed_demo", small=True, verbosity=0)
    counts = {m.__name__: m.objects.count() for m in MODELS}
    for organization in Organization.objects.filter(slug__in=["demo", "other"]):
        for model in (Campaign, Scorecard, Tier, PointAccount):
            assert model.objects.filter(organization=organization).exists(), (model.__name__, organization.slug)
    call_command("seed_demo", small=True, verbosity=0)
    assert {m.__name__: m.objects.count() for m in MODELS} == counts


@pytest.mark.django_db
def test_full_demo_nps_goes_to_every_managers_clients(org_a, make_member):
    """The demo NPS once went to demo-manager's clients only: the manager slice showed one manager."""
    import datetime

    from django.utils import timezone

    from crm_portal.models import Role
    from loyalty import demo
    from loyalty.models import MetricValue

    from .factories import make_client, pay

    first, second = make_member(org_a, Role.MANAGER, "demo-manager"), make_member(org_a, Role.MANAGER, "m-two")
    head = make_member(org_a, Role.SALES_HEAD, "x-head")
    today = timezone.localdate()
    for index in range(20):
        client = make_client(org_a, f"Client {index:02d}", manager=first if index % 2 else second)
        for months in range(0, 24, 2):
            pay(client, today - datetime.timedelta(days=30 * months + index), "1000")
    demo.seed(organization=org_a, users={"demo-manager": first, "m-two": second, "x-head": head}, size="full")

    rounds = Campaign.objects.filter(organization=org_a, name=demo.FULL_MARK)
    assert rounds.count() == 9
    assert all(c.filter_manager_id is None and c.invitations.count() == 20 for c in rounds)
    answered = Response.objects.filter(campaign__in=rounds)
    assert set(answered.values_list("client__manager__username", flat=True)) == {"demo-manager", "m-two"}
    # The latest period's manager slice covers both managers and adds up to all the answers.
    for kind in ("month", "quarter"):
        overall = MetricValue.objects.filter(organization=org_a, period_kind=kind, metric="nps",
                                             dimension="all").order_by("-period_start").first()
        by_manager = MetricValue.objects.filter(organization=org_a, period_kind=kind, metric="nps",
                                                dimension="manager", period_start=overall.period_start)
        assert sorted(by_manager.values_list("label", flat=True)) == ["demo-manager", "m-two"]
        assert sum(by_manager.values_list("count", flat=True)) == overall.count
