"""Manager pick-lists follow this organization's roles; the survey flood guard counts each
respondent, behind a reverse proxy too, and each personal link."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from crm_portal.models import Membership, Role
from loyalty import services
from loyalty.forms import CampaignForm, GradeForm

from .factories import make_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttle")]


@pytest.fixture
def people(org_a, org_b, make_member):
    """Mia manages clients here; Abe is an analyst here and a manager in the other organization."""
    mia = make_member(org_a, Role.MANAGER, username="mia")
    head = make_member(org_a, Role.SALES_HEAD, username="hal")
    abe = make_member(org_a, Role.ANALYST, username="abe")
    Membership.objects.create(user=abe, organization=org_b, role=Role.MANAGER)
    make_client(org_a, "Alpha LLC", manager=mia)
    return {"mia": mia, "hal": head, "abe": abe}


def _names(field) -> list[str]:
    return [user.username for user in field.queryset]


def test_manager_pick_lists_hold_this_organizations_managers_only(org_a, people):
    scorecard = services.scorecard_create(organization=org_a, name="Call", criteria=[("Greets", 1)])
    assert _names(CampaignForm(organization=org_a).fields["manager"]) == ["hal", "mia"]
    assert _names(GradeForm(scorecard=scorecard).fields["manager"]) == ["hal", "mia"]


def test_services_refuse_a_manager_who_is_an_analyst_here(org_a, people):
    message = "This person is not a manager or sales head of the organization."
    with pytest.raises(ValidationError) as refused:
        services.campaign_start(organization=org_a, kind="nps", name="NPS", manager=people["abe"])
    assert refused.value.message_dict == {"filter_manager": [message]}
    scorecard = services.scorecard_create(organization=org_a, name="Call", criteria=[("Greets", 1)])
    criterion = scorecard.criteria.get()
    with pytest.raises(ValidationError) as refused:
        services.dialogue_grade(
            scorecard=scorecard,
            manager=people["abe"],
            graded_by=people["hal"],
            graded_on=datetime.date(2026, 2, 3),
            marks={criterion.pk: "yes"},
        )
    assert refused.value.message_dict == {"manager": [message]}
    campaign = services.campaign_start(organization=org_a, kind="nps", name="NPS", manager=people["mia"])
    assert campaign.invitations.count() == 1


def test_the_grading_page_filters_clients_by_managers_only(client, org_a, people):
    make_client(org_a, "Zeta Hotel", manager=people["abe"])  # an old assignment, from before his role changed
    scorecard = services.scorecard_create(organization=org_a, name="Call", criteria=[("Greets", 1)])
    client.force_login(people["hal"])
    url = reverse("loyalty:scorecard_detail", kwargs={"scorecard_id": scorecard.pk})

    def options(page, name) -> list[str]:
        select = re.search(rf'<select name="grade-{name}".*?</select>', page, re.S).group(0)
        return re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select)

    page = client.get(url, {"manager": people["abe"].pk}).content.decode()
    assert options(page, "manager") == ["hal", "mia"]
    # Abe is not a manager here: the client list is not narrowed to his clients.
    assert options(page, "client") == ["Alpha LLC", "Zeta Hotel"]
    assert options(client.get(url, {"manager": people["mia"].pk}).content.decode(), "client") == ["Alpha LLC"]


def _post(client, url, address, **headers):
    return client.post(url, {"score": "x"}, REMOTE_ADDR=address, **headers).status_code


@override_settings(LOYALTY_SURVEY_THROTTLE="3/60", TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_each_respondent_has_a_counter(client, org_a, people):
    campaign = services.campaign_start(organization=org_a, kind="nps", name="NPS")
    url = reverse("loyalty:respond", kwargs={"token": campaign.invitations.get().token})
    proxy = "10.0.0.1"
    first = [_post(client, url, proxy, HTTP_X_FORWARDED_FOR="203.0.113.5") for _ in range(4)]
    assert first == [400, 400, 400, 429]
    # Another respondent through the same proxy is not held back by the first one.
    assert _post(client, url, proxy, HTTP_X_FORWARDED_FOR="198.51.100.7") == 400
    # A forged entry before the proxy's own counts for nothing: the proxy's entry is the client.
    assert _post(client, url, proxy, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.5") == 429


@override_settings(LOYALTY_SURVEY_THROTTLE="3/60")
def test_without_a_trusted_proxy_the_header_is_ignored(client, org_a, people):
    campaign = services.campaign_start(organization=org_a, kind="nps", name="NPS")
    url = reverse("loyalty:respond", kwargs={"token": campaign.invitations.get().token})
    statuses = [_post(client, url, "10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}") for i in range(4)]
    assert statuses == [400, 400, 400, 429]


@override_settings(LOYALTY_SURVEY_THROTTLE="100/60", LOYALTY_SURVEY_LINK_THROTTLE="3/60")
def test_one_link_is_limited_whatever_the_address(client, org_a, people):
    make_client(org_a, "Beta LLC", manager=people["mia"])
    campaign = services.campaign_start(organization=org_a, kind="nps", name="NPS")
    alpha, beta = (campaign.invitations.get(respondent=name) for name in ("Alpha LLC", "Beta LLC"))
    url = reverse("loyalty:respond", kwargs={"token": alpha.token})
    assert [_post(client, url, f"10.0.1.{i}") for i in range(4)] == [400, 400, 400, 429]
    assert _post(client, reverse("loyalty:respond", kwargs={"token": beta.token}), "10.0.1.9") == 400
