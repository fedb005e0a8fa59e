"""The pages with two forms (a scorecard, the programme) take each by the prefix of its fields, and
a service's refusal lands on the form that was sent, never a 500."""

import pytest
from django.urls import reverse

from crm_portal.models import Role
from loyalty import services
from loyalty.models import DialogueGrade, Programme, Scorecard, ScorecardCriterion, Tier

pytestmark = pytest.mark.django_db

PROGRAMME = {
    "programme-name": "Club",
    "programme-key_factor": "services",
    "programme-points_per_thousand": "10",
    "programme-validity_months": "12",
    "programme-tier_window_months": "12",
}
TIER = {
    "tier-name": "Gold",
    "tier-rank": "1",
    "tier-min_turnover": "1000",
    "tier-min_tenure_months": "0",
    "tier-min_class": "",
    "tier-discount_percent": "5",
}


def _saved(web, url: str, data: dict) -> tuple[list, list[str]]:
    """Post `data` and follow the redirect: (the redirects, the messages the page shows)."""
    response = web.post(url, data, follow=True)
    return response.redirect_chain, [str(message) for message in response.context["messages"]]


def test_a_scorecard_takes_a_criterion_or_a_grade_by_the_prefix_of_the_fields(client, org_a, make_member):
    head = make_member(org_a, Role.SALES_HEAD)
    client.force_login(head)
    scorecard = services.scorecard_create(organization=org_a, name="Call")
    url = reverse("loyalty:scorecard_detail", kwargs={"scorecard_id": scorecard.pk})
    grade = {"grade-manager": head.pk, "grade-graded_on": "2020-01-15", "grade-note": ""}

    refused = client.post(url, grade)  # no criteria yet: the service refuses, the grade form says why
    assert refused.status_code == 200
    assert refused.context["grade_form"].non_field_errors() == ["Add criteria to the scorecard before grading with it."]
    assert not refused.context["criterion_form"].is_bound
    assert DialogueGrade.objects.count() == 0

    blank = client.post(url, {"criterion-text": " ", "criterion-weight": "2"})
    assert blank.status_code == 200
    assert list(blank.context["criterion_form"].errors) == ["text"]
    assert not blank.context["grade_form"].is_bound

    assert _saved(client, url, {"criterion-text": "Greets", "criterion-weight": "2"}) == (
        [(url, 302)],
        ["Criterion added."],
    )
    criterion = ScorecardCriterion.objects.get(scorecard=scorecard)
    assert (criterion.text, criterion.weight) == ("Greets", 2)

    assert _saved(client, url, {**grade, f"grade-c{criterion.pk}": "yes"}) == (
        [(url, 302)],
        ["Dialogue graded: IQS 100.0%."],
    )
    assert DialogueGrade.objects.get().iqs == 100.0


def test_the_programme_page_takes_the_settings_or_a_tier_by_the_prefix_of_the_fields(client_as, org_a):
    web = client_as(org_a, Role.SALES_HEAD)
    url = reverse("loyalty:programme")
    early = web.post(url, TIER)
    assert early.status_code == 200
    assert early.context["tier_form"].non_field_errors() == ["Set up the programme before its tiers."]
    assert not early.context["form"].is_bound and Tier.objects.count() == 0

    assert _saved(web, url, PROGRAMME) == ([(url, 302)], ["Programme saved."])
    assert Programme.objects.get(organization=org_a).name == "Club"

    assert _saved(web, url, TIER) == ([(url, 302)], ["Tier saved."])
    assert list(Tier.objects.values_list("name", "rank")) == [("Gold", 1)]


def test_managers_post_neither_form(client_as, org_a):
    web = client_as(org_a, Role.MANAGER)
    assert web.post(reverse("loyalty:programme"), PROGRAMME).status_code == 403
    assert web.post(reverse("loyalty:programme"), TIER).status_code == 403
    assert Programme.objects.count() == 0


def test_a_new_scorecard_opens_its_page(client_as, org_a):
    web = client_as(org_a, Role.SALES_HEAD)
    url = reverse("loyalty:scorecard_list")
    assert web.post(url, {"name": "  "}).context["form"].errors == {"name": ["This field is required."]}
    created = web.post(url, {"name": "Call"})
    scorecard = Scorecard.objects.get(organization=org_a)
    assert created["Location"] == reverse("loyalty:scorecard_detail", kwargs={"scorecard_id": scorecard.pk})
