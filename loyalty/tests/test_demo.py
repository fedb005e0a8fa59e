"""The small demo set: rows of every kind a loyalty URL names, in both organizations, and idempotent."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import Max

from crm_portal.models import Organization
from loyalty.models import Campaign, PointAccount, PointMovement, Response, Scorecard, Tier

MODELS = (Campaign, Response, Scorecard, Tier, PointAccount, PointMovement)


@pytest.mark.django_db
def test_small_demo_is_complete_and_idempotent():
    call_command("seed_demo", small=True, today="2023-12-01", verbosity=0)
    counts = {m.__name__: m.objects.count() for m in MODELS}
    for organization in Organization.objects.filter(slug__in=["demo", "other"]):
        for model in (Campaign, Scorecard, Tier, PointAccount):
            assert model.objects.filter(organization=organization).exists(), (model.__name__, organization.slug)
    call_command("seed_demo", small=True, today="2023-12-01", verbosity=0)
    assert {m.__name__: m.objects.count() for m in MODELS} == counts


@pytest.mark.parametrize(
    "today, latest",
    [
        (datetime.date(2026, 12, 1), datetime.date(2026, 11, 1)),  # a round's answers end on the 15th
        (datetime.date(2024, 2, 29), datetime.date(2024, 2, 1)),
        (datetime.date(2025, 12, 31), datetime.date(2025, 12, 1)),
        (datetime.date(2026, 6, 15), datetime.date(2026, 5, 1)),  # the 15th itself is not before today
        (datetime.date(2026, 6, 16), datetime.date(2026, 6, 1)),
    ],
)
def test_the_latest_round_starts_on_the_first_of_a_month_whose_answers_all_lie_before_today(today, latest):
    from loyalty import demo

    assert demo.latest_round_start(today) == latest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today", [datetime.date(2026, 12, 1), datetime.date(2024, 2, 29), datetime.date(2025, 12, 31)], ids=str
)
def test_full_demo_nps_goes_to_every_managers_clients(org_a, make_member, today):
    """The demo NPS once went to demo-manager's clients only: the manager slice showed one manager.

    On the 1st of a month the latest period once held the answers of that one day: now it holds
    the whole latest round, whatever the date.
    """
    from crm_portal.models import Role
    from loyalty import demo, services
    from loyalty.models import MetricValue

    from .factories import make_client, pay

    first, second = make_member(org_a, Role.MANAGER, "demo-manager"), make_member(org_a, Role.MANAGER, "m-two")
    head = make_member(org_a, Role.SALES_HEAD, "x-head")
    for index in range(20):
        client = make_client(org_a, f"Client {index:02d}", manager=first if index % 2 else second)
        for months in range(0, 24, 2):
            pay(client, today - datetime.timedelta(days=30 * months + index), "1000")
    demo.seed(
        organization=org_a,
        users={"demo-manager": first, "m-two": second, "x-head": head},
        size="full",
        today=today,
        language="en",
    )
    assert demo.recompute(organization=org_a, size="full", today=today, background=False) == []

    rounds = Campaign.objects.filter(organization=org_a, name=demo.full_mark("en")).order_by("started_on")
    assert rounds.count() == 9
    assert all(c.filter_manager_id is None and c.invitations.count() == 20 for c in rounds)
    answered = Response.objects.filter(campaign__in=rounds)
    assert set(answered.values_list("client__manager__username", flat=True)) == {"demo-manager", "m-two"}
    latest = rounds.last()
    assert latest.started_on == demo.latest_round_start(today)
    # The latest round's low scores opened the cases the service opens, written in bulk.
    cases = Response.objects.filter(campaign=latest, complaint__isnull=False).select_related("complaint", "client")
    assert cases.exists()
    for response in cases:
        written, expected = response.complaint, services.case_for_low_scores(response)
        assert (written.subject, written.description, written.source, written.owner_id, written.client_id) == (
            expected.subject,
            expected.description,
            expected.source,
            expected.owner_id,
            expected.client_id,
        )
        assert [(s.status, s.note) for s in written.steps.all()] == [(s.status, s.note) for s in expected.steps.all()]
    assert not any(services.case_for_low_scores(r) for r in Response.objects.filter(campaign=latest, complaint=None))
    last_answers = Response.objects.filter(campaign=latest)
    assert last_answers.aggregate(last=Max("answered_on"))["last"] < today
    # The latest period holds the whole latest round; its manager slice covers both managers and
    # adds up to all the answers.
    for kind in ("month", "quarter"):
        overall = (
            MetricValue.objects.filter(organization=org_a, period_kind=kind, metric="nps", dimension="all")
            .order_by("-period_start")
            .first()
        )
        assert overall.period_start <= latest.started_on
        assert overall.count == last_answers.count()
        by_manager = MetricValue.objects.filter(
            organization=org_a, period_kind=kind, metric="nps", dimension="manager", period_start=overall.period_start
        )
        assert sorted(by_manager.values_list("label", flat=True)) == ["demo-manager", "m-two"]
        assert sum(by_manager.values_list("count", flat=True)) == overall.count
