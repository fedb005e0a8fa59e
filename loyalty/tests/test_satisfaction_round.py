"""Satisfaction is assessed by itself (DOMAIN 3, issue 14 section 2.3): after the first sale of each
product to a client, and yearly for every active client; each product asks its own items."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import ControlPoint, Product
from clients.tests.factories import settle
from crm_portal.models import Role
from loyalty import services
from loyalty.models import Campaign, Invitation, ProductSurvey

from .factories import make_client

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 20)


@pytest.fixture
def base(org_a, make_member):
    anna = make_member(org_a, Role.MANAGER, username="anna")
    coffee = Product.objects.create(organization=org_a, name="Coffee")
    tea = Product.objects.create(organization=org_a, name="Tea")
    new = make_client(org_a, "New buyer", manager=anna, lifecycle_state="lost")
    settle(new, "2026-03-15", "100", product=coffee)  # first coffee, five days ago
    old = make_client(org_a, "Old buyer", manager=anna, lifecycle_state="lost")
    settle(old, "2025-10-01", "100", product=coffee)
    settle(old, "2026-03-18", "100", product=coffee)  # coffee again: not a first sale
    settle(old, "2026-03-18", "50", product=tea)  # but its first tea
    late = make_client(org_a, "Long ago", lifecycle_state="lost")
    settle(late, "2026-02-01", "100", product=tea)  # first tea, outside the two weeks
    return {"anna": anna, "coffee": coffee, "tea": tea}


def _surveys():
    return sorted(
        (i.campaign.trigger, i.campaign.product.name if i.campaign.product else "", i.respondent)
        for i in Invitation.objects.select_related("campaign__product")
    )


def test_each_first_sale_of_a_product_is_surveyed_once_with_a_point_for_the_manager(
    org_a, base, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = services.satisfaction_round(organization=org_a, today=TODAY)
    assert result == {"first_sale_surveys": 2, "yearly_surveyed": 0}
    assert _surveys() == [("first_sale", "Coffee", "New buyer"), ("first_sale", "Tea", "Old buyer")]
    assert len(callbacks) == 2  # each campaign's links go out by e-mail once it is committed
    points = ControlPoint.objects.filter(kind="survey").values_list("client__name", "due_date", "note", "responsible")
    assert sorted(points) == [
        ("New buyer", datetime.date(2026, 3, 27), "Coffee", base["anna"].pk),
        ("Old buyer", datetime.date(2026, 3, 27), "Tea", base["anna"].pk),
    ]
    assert services.satisfaction_round(organization=org_a, today=TODAY + datetime.timedelta(days=1)) == {
        "first_sale_surveys": 0,
        "yearly_surveyed": 0,
    }
    assert Invitation.objects.count() == 2


def test_every_active_client_not_asked_for_a_year_gets_the_yearly_csat(org_a, base):
    from clients.models import Client

    Client.objects.filter(name__in=["New buyer", "Long ago"]).update(lifecycle_state="regular")
    services.satisfaction_round(organization=org_a, today=TODAY)
    yearly = Campaign.objects.get(trigger="yearly")
    assert (yearly.kind, yearly.name) == ("csat", "Yearly satisfaction, 2026")
    # "New buyer" was just asked about its coffee: a satisfaction link within the year.
    assert list(yearly.invitations.values_list("respondent", flat=True)) == ["Long ago"]
    again = services.satisfaction_round(organization=org_a, today=TODAY + datetime.timedelta(days=1))
    assert again["yearly_surveyed"] == 0


def test_a_product_asks_its_own_items_and_always_the_overall_score(org_a, base):
    services.product_survey_items_set(organization=org_a, items={base["coffee"].pk: ["quality", "delivery"]})
    services.satisfaction_round(organization=org_a, today=TODAY)
    coffee = Campaign.objects.get(product=base["coffee"])
    assert [q["code"] for q in coffee.questionnaire["questions"]] == ["score", "quality", "delivery", "why"]
    tea = Campaign.objects.get(product=base["tea"])
    assert [q["code"] for q in tea.questionnaire["questions"]] == [
        "score",
        "quality",
        "appearance",
        "delivery",
        "payment",
        "why",
    ]


def test_item_sets_refuse_unknown_items_and_other_organizations_products(org_a, org_b, base):
    foreign = Product.objects.create(organization=org_b, name="Theirs")
    with pytest.raises(ValidationError):
        services.product_survey_items_set(organization=org_a, items={foreign.pk: ["quality"]})
    with pytest.raises(ValidationError):
        services.product_survey_items_set(organization=org_a, items={base["coffee"].pk: ["smell"]})
    assert not ProductSurvey.objects.exists()


def test_the_head_chooses_the_items_of_each_product_on_the_campaigns_page(client_as, org_a, base):
    head = client_as(org_a, Role.SALES_HEAD)
    coffee, tea = base["coffee"].pk, base["tea"].pk
    response = head.post(
        reverse("loyalty:product_items"), {f"items-{coffee}": ["quality", "payment"], f"items-{tea}": []}
    )
    assert response.status_code == 302
    assert ProductSurvey.objects.get(product_id=coffee).items == ["payment", "quality"]
    assert ProductSurvey.objects.get(product_id=tea).items == []  # nothing chosen: every item
    page = head.get(reverse("loyalty:campaign_list")).content.decode()
    assert f'name="items-{coffee}" value="quality" checked' in page
    assert f'name="items-{coffee}" value="delivery" checked' not in page
    assert client_as(org_a, Role.MANAGER).post(reverse("loyalty:product_items"), {}).status_code == 403
