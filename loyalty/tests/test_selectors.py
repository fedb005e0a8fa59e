"""The loyalty reads take who reads (a Viewer) or the organization, never a request: a job or a
shell calls them as a page does."""

import datetime

import pytest

from crm_portal.models import Job, Role
from crm_portal.tenancy import Viewer
from loyalty import ledger, selectors, services
from loyalty.models import Campaign, PointAccount, Response

from .factories import make_client

pytestmark = pytest.mark.django_db

FEBRUARY = datetime.date(2026, 2, 1)


def _campaign(organization) -> Campaign:
    return Campaign.objects.create(
        organization=organization, kind="nps", name="NPS", questionnaire={}, started_on=FEBRUARY
    )


def _answer(campaign: Campaign, client, score: int, comment: str = "", metric: str = "nps") -> Response:
    return Response.objects.create(
        organization=campaign.organization,
        campaign=campaign,
        client=client,
        metric=metric,
        score=score,
        comment=comment,
        answers={},
        answered_on=FEBRUARY,
    )


def test_campaign_rates_are_counted_for_the_organization_alone(org_a, org_b):
    for name in ("Alpha", "Bravo", "Charlie", "Delta"):
        make_client(org_a, name)
    make_client(org_b, "Other")
    first = services.campaign_start(organization=org_a, kind="nps", name="First", started_on=FEBRUARY)
    second = services.campaign_start(
        organization=org_a, kind="nps", name="Second", started_on=FEBRUARY + datetime.timedelta(days=1)
    )
    services.campaign_start(organization=org_b, kind="nps", name="Theirs", started_on=FEBRUARY)
    first.invitations.filter(pk=first.invitations.order_by("id").first().pk).update(
        answered_at=datetime.datetime(2026, 2, 2, 10, tzinfo=datetime.UTC)
    )
    campaigns = selectors.campaigns_with_rates(organization=org_a)
    assert [(c.name, c.sent, c.answered, c.rate) for c in campaigns] == [("Second", 4, 0, 0.0), ("First", 4, 1, 25.0)]
    assert campaigns[1].pk == first.pk and campaigns[0].pk == second.pk


def test_point_balances_show_a_manager_only_own_clients_biggest_first_and_search_by_name(org_a, make_member):
    mila, otto = make_member(org_a, Role.MANAGER), make_member(org_a, Role.MANAGER)
    head = make_member(org_a, Role.SALES_HEAD)
    for name, manager, balance in [
        ("Alpha", mila, 10),
        ("Bravo", mila, 30),
        ("Alpine", mila, 30),
        ("Charlie", otto, 50),
    ]:
        PointAccount.objects.create(
            organization=org_a, client=make_client(org_a, name, manager=manager), balance=balance
        )

    def names(viewer, search=""):
        return [account.client.name for account in selectors.point_balances(viewer, search)]

    assert names(Viewer(org_a, mila, Role.MANAGER)) == ["Alpine", "Bravo", "Alpha"]
    assert names(Viewer(org_a, mila, Role.MANAGER), "alp") == ["Alpine", "Alpha"]
    assert names(Viewer(org_a, head, Role.SALES_HEAD)) == ["Charlie", "Alpine", "Bravo", "Alpha"]


def test_comments_and_labels_follow_the_viewers_role(org_a, make_member):
    mila, otto = make_member(org_a, Role.MANAGER), make_member(org_a, Role.MANAGER)
    head = make_member(org_a, Role.SALES_HEAD)
    campaign = _campaign(org_a)
    _answer(campaign, make_client(org_a, "Alpha", manager=mila), 9, "Mila's client")
    _answer(campaign, make_client(org_a, "Bravo", manager=otto), 3, "Otto's client")
    _answer(campaign, None, 2, "Team mood", metric="enps")

    def comments(viewer):
        return sorted(answer.comment for answer in selectors.latest_comments(viewer))

    assert comments(Viewer(org_a, mila, Role.MANAGER)) == ["Mila's client"]
    assert comments(Viewer(org_a, head, Role.SALES_HEAD)) == ["Mila's client", "Otto's client", "Team mood"]
    assert {"iqs", "enps"} & set(selectors.metric_labels(Role.MANAGER)) == set()
    assert {"iqs", "enps"} <= set(selectors.metric_labels(Role.SALES_HEAD))


def test_the_organization_reads_take_the_organization(org_a, org_b):
    assert selectors.programme_of(organization=org_a) is None
    programme = ledger.programme_save(
        organization=org_a,
        name="Club",
        key_factor="services",
        points_per_thousand=10,
        validity_months=12,
        tier_window_months=12,
    )
    assert selectors.programme_of(organization=org_a) == programme
    assert selectors.programme_of(organization=org_b) is None
    older = Job.objects.create(organization=org_a, kind="loyalty.points")
    newer = Job.objects.create(organization=org_a, kind="loyalty.points")
    Job.objects.create(organization=org_b, kind="loyalty.points")
    Job.objects.create(organization=org_a, kind="loyalty.metrics")
    assert selectors.latest_job(organization=org_a, kind="loyalty.points") == newer != older


def test_the_client_card_panel_reads_with_the_viewer(org_a, make_member):
    mila = make_member(org_a, Role.MANAGER)
    client = make_client(org_a, "Alpha", manager=mila)
    PointAccount.objects.create(organization=org_a, client=client, balance=70)
    campaign = _campaign(org_a)
    nps = _answer(campaign, client, 9)
    Response.objects.create(
        organization=org_a, campaign=campaign, client=client, metric="enps", score=1, answers={}, answered_on=FEBRUARY
    )
    panel = selectors.client_card_panel(Viewer(org_a, mila, Role.MANAGER), client)
    assert (panel["account"].balance, panel["programme"], list(panel["answers"])) == (70, None, [nps])
