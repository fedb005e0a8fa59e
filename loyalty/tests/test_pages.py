"""Page costs: the loyalty pages make a fixed number of queries whatever the data size, and the
IQS grading form lists a short choice of clients instead of the whole base."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from crm_portal.models import Role
from loyalty import ledger, metric_runs, services
from loyalty.models import DialogueGrade, PointAccount, Response

from .factories import make_client, pay

pytestmark = pytest.mark.django_db

# Pinned query counts (session, user, membership, the bell's count and the page's own reads). A change here
# means a page started to read more: check that the new query does not grow with the data.
QUERIES = {
    ("overview", Role.SALES_HEAD): 13,
    ("overview", Role.MANAGER): 12,
    ("campaign", Role.ANALYST): 14,
    ("scorecard", Role.SALES_HEAD): 14,
    ("programme", Role.SALES_HEAD): 12,  # with the tools and the tool form's tiers
    ("programme", Role.MANAGER): 11,
}


def _grow(org, manager, n: int, start_index: int = 0) -> None:
    """n more clients of `manager`, each with two payments, answering an NPS campaign."""
    today = timezone.localdate()
    for index in range(start_index, start_index + n):
        client = make_client(org, f"Client {index:04d}", manager=manager, abc_class="ABC"[index % 3])
        pay(client, today - datetime.timedelta(days=40), "5000")
        pay(client, today - datetime.timedelta(days=5), "3000")


def _answer_all(campaign) -> None:
    for index, invitation in enumerate(campaign.invitations.order_by("id")):
        services.response_submit(token=invitation.token, data={"score": str(index % 11), "why": f"Because {index}"})


def _count(web, url) -> int:
    web.get(url)  # the first request after a login also records the login
    with CaptureQueriesContext(connection) as queries:
        assert web.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.fixture
def org_pages(org_a, make_member):
    manager = make_member(org_a, Role.MANAGER, username="mila")
    head = make_member(org_a, Role.SALES_HEAD, username="hugo")
    programme = ledger.programme_save(
        organization=org_a,
        name="Club",
        key_factor="services",
        points_per_thousand=10,
        validity_months=12,
        tier_window_months=12,
    )
    scorecard = services.scorecard_create(organization=org_a, name="Call", criteria=[("Greets", 1), ("Asks", 2)])
    return {"org": org_a, "manager": manager, "head": head, "programme": programme, "scorecard": scorecard}


def _measure(client_as, org_pages, campaign) -> dict:
    org, scorecard = org_pages["org"], org_pages["scorecard"]
    urls = {
        "overview": reverse("loyalty:overview"),
        "campaign": reverse("loyalty:campaign_detail", kwargs={"campaign_id": campaign.pk}),
        "scorecard": reverse("loyalty:scorecard_detail", kwargs={"scorecard_id": scorecard.pk}),
        "programme": reverse("loyalty:programme"),
    }
    counts = {}
    for page, role in QUERIES:
        web = client_as(org, role)
        if role == Role.MANAGER:
            web.force_login(org_pages["manager"])
        counts[(page, role)] = _count(web, urls[page])
    return counts


def test_page_query_counts_are_pinned_and_do_not_grow_with_the_data(client_as, org_pages):
    org, manager = org_pages["org"], org_pages["manager"]
    _grow(org, manager, 5)
    campaign = services.campaign_start(organization=org, kind="nps", name="NPS")
    _answer_all(campaign)
    ledger.points_refresh(organization=org)
    for kind in ("month", "quarter"):
        metric_runs.metrics_compute(organization=org, period_kind=kind)
    small = _measure(client_as, org_pages, campaign)
    assert small == QUERIES

    _grow(org, manager, 60, start_index=5)
    bigger = services.campaign_start(organization=org, kind="nps", name="NPS 2")
    _answer_all(bigger)
    ledger.points_refresh(organization=org)
    for kind in ("month", "quarter"):
        metric_runs.metrics_compute(organization=org, period_kind=kind)
    assert Response.objects.count() == 70 and PointAccount.objects.count() == 65
    assert _measure(client_as, org_pages, bigger) == QUERIES


def test_grading_lists_a_short_choice_of_clients_and_accepts_any_of_the_organization(client_as, org_pages, make_member):
    org, manager, scorecard = org_pages["org"], org_pages["manager"], org_pages["scorecard"]
    other = make_member(org, Role.MANAGER, username="otto")
    _grow(org, manager, 60)
    make_client(org, "Zeta Hotel", manager=other)
    web = client_as(org, Role.SALES_HEAD)
    url = reverse("loyalty:scorecard_detail", kwargs={"scorecard_id": scorecard.pk})

    def options(page) -> list[str]:
        select = re.search(r'<select name="grade-client".*?</select>', page, re.S).group(0)
        return re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select)

    page = web.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    # A date input takes ISO dates whatever the language: today is filled in, not left blank.
    assert f'type="date" name="grade-graded_on" value="{timezone.localdate().isoformat()}"' in page
    assert options(page) == [f"Client {i:04d}" for i in range(50)]
    assert "Показаны первые 50 подходящих клиентов" in page
    assert options(web.get(url, {"manager": other.pk}).content.decode()) == ["Zeta Hotel"]
    assert options(web.get(url, {"q": "client 005"}).content.decode()) == [f"Client 005{i}" for i in range(10)]
    assert options(web.get(url, {"manager": "x", "q": "zeta"}).content.decode()) == ["Zeta Hotel"]
    # A client outside the listed choice is still accepted.
    last = Client.objects.get(organization=org, name="Client 0059")
    criteria = list(scorecard.criteria.all())
    response = web.post(
        url,
        {
            "grade-manager": manager.pk,
            "grade-client": last.pk,
            "grade-graded_on": timezone.localdate().isoformat(),
            "grade-note": "",
            **{f"grade-c{c.pk}": "yes" for c in criteria},
        },
    )
    assert response.status_code == 302
    assert DialogueGrade.objects.get().client == last


def test_point_balances_come_50_to_a_page_with_a_name_search(client_as, org_pages):
    org, manager = org_pages["org"], org_pages["manager"]
    _grow(org, manager, 120)
    ledger.points_refresh(organization=org)
    assert PointAccount.objects.filter(organization=org).count() == 120
    web = client_as(org, Role.SALES_HEAD)
    url = reverse("loyalty:programme")

    def names(response) -> list[str]:
        table = re.search(r'<table class="table table-sm" id="accounts">.*?</table>', response.content.decode(), re.S)
        return re.findall(r'/loyalty/programme/accounts/\d+/">([^<]+)</a>', table.group(0))

    # Every client paid 8,000: 80 points each, so the order is by name.
    first = web.get(url)
    assert names(first) == [f"Client {i:04d}" for i in range(50)]
    assert "Page 1 of 3" in first.content.decode() and first.context["account_count"] == 120
    assert names(web.get(url, {"page": 3})) == [f"Client {i:04d}" for i in range(100, 120)]
    assert names(web.get(url, {"page": "x"})) == names(first)
    found = web.get(url, {"q": "client 011"})
    assert names(found) == [f"Client 011{i}" for i in range(10)] and found.context["account_count"] == 10
    assert "Page 1 of" not in found.content.decode()
    # Searches keep their term across pages.
    paged = web.get(url, {"q": "client 0"}).content.decode()
    assert 'href="?q=client+0&amp;page=2"' in paged
    assert names(web.get(url, {"q": "no such client"})) == []
    # A manager pages through its own clients only.
    other = make_client(org, "Other Hotel")
    pay(other, timezone.localdate(), "9000")
    ledger.points_refresh(organization=org)
    assert names(web.get(url, {"q": "hotel"})) == ["Other Hotel"]
    web.force_login(manager)  # the same test client, now as the manager
    assert names(web.get(url, {"q": "hotel"})) == []
    assert len(names(web.get(url))) == 50


@pytest.mark.parametrize("language,pattern", [("ru", "%d.%m.%Y"), ("en", "%m/%d/%Y")])
def test_loyalty_dates_use_the_short_localised_format(client_as, org_pages, language, pattern):
    org, manager = org_pages["org"], org_pages["manager"]
    _grow(org, manager, 2)
    started = datetime.date(2026, 3, 9)
    campaign = services.campaign_start(
        organization=org, kind="nps", name="NPS", started_on=started, recurrence_months=3
    )
    invitation = campaign.invitations.order_by("id").first()
    services.response_submit(token=invitation.token, data={"score": "9", "why": "Good"})
    Response.objects.update(answered_on=datetime.date(2026, 3, 13))
    expires = timezone.localtime(invitation.expires_at).date()
    web = client_as(org, Role.SALES_HEAD)
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    detail = web.get(reverse("loyalty:campaign_detail", kwargs={"campaign_id": campaign.pk}), **headers)
    text = detail.content.decode()
    for day in (started, datetime.date(2026, 6, 9), datetime.date(2026, 3, 13), expires):
        assert day.strftime(pattern) in text, day
        assert day.isoformat() not in text, day
    listing = web.get(reverse("loyalty:campaign_list"), **headers).content.decode()
    assert started.strftime(pattern) in listing and "2026-03-09" not in listing
    card = web.get(reverse("clients:card", kwargs={"client_id": invitation.client_id}), **headers).content.decode()
    panel = re.search(r'id="panel-client-loyalty".*?</section>', card, re.S).group(0)
    assert "13.03.2026" in panel if language == "ru" else "03/13/2026" in panel
    assert "Mar. 13" not in panel and "13 марта" not in panel


def test_chart_pages_do_not_block_on_the_charting_library(client_as, org_pages):
    """The 4.8 MB charting bundle is fetched by charts.js when a chart comes into view, not by the page."""
    org = org_pages["org"]
    _grow(org, org_pages["manager"], 2)
    campaign = services.campaign_start(organization=org, kind="nps", name="NPS")
    web = client_as(org, Role.ANALYST)
    for url in (reverse("loyalty:overview"), reverse("loyalty:campaign_detail", kwargs={"campaign_id": campaign.pk})):
        page = web.get(url).content.decode()
        assert '<script src="/static/plotly/plotly.min.js"' not in page
        assert (
            '<script src="/static/loyalty/charts.js" data-plotly="/static/plotly/plotly.min.js" defer></script>' in page
        )
