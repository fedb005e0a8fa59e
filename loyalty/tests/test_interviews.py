"""The win-over interview: a manager's conversation guide whose answers are recorded on the card."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients.tests.factories import make_client
from crm_portal.models import Role
from loyalty import questionnaire, services
from loyalty.models import Interview

pytestmark = pytest.mark.django_db


def test_the_guide_asks_the_sources_eleven_questions():
    guide = questionnaire.load("win_over")
    assert [(q["code"], q["type"]) for q in guide["questions"]] == [
        ("main_criterion", "text"),
        ("change_one", "text"),
        ("dislike_suppliers", "text"),
        ("dislike_current", "text"),
        ("words_and_deeds", "text"),
        ("where_visible", "text"),
        ("mismatch", "text"),
        ("three_differences", "text"),
        ("whom_you_deal_with", "text"),
        ("ideal_exists", "text"),
        ("minimum_service", "text"),
    ]
    assert questionnaire.main_question(guide) is None


def test_an_interview_is_recorded_once_with_its_guide_and_refused_when_empty_or_ahead(org_a, make_member):
    manager = make_member(org_a, Role.MANAGER)
    prospect = make_client(org_a, "Prospect", manager=manager)
    today = timezone.localdate()
    data = {"main_criterion": "  Delivery on time  ", "ideal_exists": "No", "mismatch": ""}
    first = services.interview_record(client=prospect, kind="win_over", data=data, held_on=today, user=manager)
    again = services.interview_record(client=prospect, kind="win_over", data=data, held_on=today, user=manager)
    assert again.pk == first.pk and Interview.objects.count() == 1  # a double click
    assert first.answers == {"main_criterion": "Delivery on time", "ideal_exists": "No"}
    assert first.questionnaire == questionnaire.load("win_over")
    with pytest.raises(ValidationError) as empty:
        services.interview_record(client=prospect, kind="win_over", data={"mismatch": " "}, held_on=today)
    assert empty.value.messages == ["Write down at least one answer."]
    with pytest.raises(ValidationError) as ahead:
        services.interview_record(
            client=prospect, kind="win_over", data=data, held_on=today + datetime.timedelta(days=1)
        )
    assert ahead.value.message_dict == {"held_on": ["An interview cannot be held in the future."]}
    with pytest.raises(ValidationError) as long:
        services.interview_record(client=prospect, kind="win_over", data={"change_one": "x" * 2001}, held_on=today)
    assert long.value.message_dict == {"change_one": ["Shorten this answer to at most 2000 characters."]}
    assert Interview.objects.count() == 1


def test_a_manager_records_an_interview_from_the_card_and_reads_it_there(client, org_a, org_b, make_member):
    manager = make_member(org_a, Role.MANAGER)
    prospect = make_client(org_a, "Prospect", manager=manager)
    elsewhere = make_client(org_b, "Elsewhere")
    client.force_login(manager)
    url = reverse("loyalty:interview_add", args=[prospect.pk])
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="interview-form"' in form and "What matters most to you when you choose a supplier?" in form
    saved = client.post(url, {"held_on": timezone.localdate().isoformat(), "three_differences": "Price, range, speed"})
    assert saved["Location"] == reverse("clients:card", args=[prospect.pk]) + "#panel-client-loyalty"
    card = client.get(reverse("clients:card", args=[prospect.pk])).content.decode()
    assert "Which three main differences between your current supplier" in card and "Price, range, speed" in card
    refused = client.post(url, {"held_on": timezone.localdate().isoformat()})
    assert refused.status_code == 200 and "Write down at least one answer." in refused.content.decode()
    assert client.get(reverse("loyalty:interview_add", args=[elsewhere.pk])).status_code == 404
    analyst = make_member(org_a, Role.ANALYST)
    client.force_login(analyst)
    assert client.get(url).status_code == 403
