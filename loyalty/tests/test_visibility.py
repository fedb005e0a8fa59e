"""One role rule per figure: what a role may not read on its own page (IQS, eNPS for managers)
it reads nowhere else either, not in cards, charts, their JSON data, splits, comments or panels."""

import datetime
import json
import re

import pytest
from django.urls import reverse

from crm_portal.models import Role
from loyalty import selectors, services
from loyalty.models import Campaign, MetricValue, Response

from .factories import make_client

pytestmark = pytest.mark.django_db

JANUARY, FEBRUARY = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


def _value(org, metric, start, value, dimension="all", key="", label=""):
    MetricValue.objects.create(
        organization=org,
        period_kind="month",
        period_start=start,
        metric=metric,
        dimension=dimension,
        key=key,
        label=label,
        value=value,
        count=4,
    )


@pytest.fixture
def figures(org_a, make_member):
    mila = make_member(org_a, Role.MANAGER, username="mila")
    otto = make_member(org_a, Role.MANAGER, username="otto")
    for metric, values in {"nps": (20, 30), "enps": (-40, -35), "iqs": (61, 67), "churn": (12, 9)}.items():
        for start, value in zip((JANUARY, FEBRUARY), values):
            _value(org_a, metric, start, value)
    # Per manager: Otto's IQS (71.5) is what Mila must not read; her NPS slice she may.
    _value(org_a, "iqs", FEBRUARY, 71.5, "manager", str(otto.pk), "otto")
    _value(org_a, "nps", FEBRUARY, 33.3, "manager", str(mila.pk), "mila")
    client = make_client(org_a, "Alpha LLC", manager=mila)
    nps = services.campaign_start(organization=org_a, kind="nps", name="Client NPS", started_on=FEBRUARY)
    services.response_submit(token=nps.invitations.get().token, data={"score": "9", "why": "Fast delivery"})
    enps = Campaign.objects.create(
        organization=org_a, kind="enps", name="Team eNPS", audience="employees", questionnaire={}, started_on=FEBRUARY
    )
    Response.objects.create(
        organization=org_a,
        campaign=enps,
        metric="enps",
        score=2,
        answers={},
        comment="Too much overtime",
        answered_on=FEBRUARY,
    )
    return {"mila": mila, "otto": otto, "client": client}


def _chart_data(page: str) -> dict:
    return json.loads(
        re.search(r'<script id="loyalty-trends" type="application/json">(.*?)</script>', page, re.S).group(1)
    )


@pytest.mark.parametrize("query", ["", "?metric=iqs", "?metric=enps"])
def test_a_manager_reads_no_iqs_or_enps_anywhere_on_the_overview(client, org_a, figures, query):
    client.force_login(figures["mila"])
    response = client.get(reverse("loyalty:overview") + query)
    assert response.status_code == 200
    page = response.content.decode()
    data = _chart_data(page)
    assert sorted(data["series"]) == [
        "ces",
        "churn",
        "clv",
        "csat",
        "long_standing_share",
        "loyalty_index",
        "nps",
        "retention",
    ]
    assert "iqs" not in data["labels"] and "enps" not in data["labels"]
    # Whatever metric was asked for, the breakdown shows NPS: her own slice, not Otto's IQS.
    assert data["slices"] == {"manager": {"mila": {"x": ["2026-02-01"], "y": [33.3]}}}
    assert 'data-metric="iqs"' not in page and 'data-metric="enps"' not in page
    assert 'id="enps-split"' not in page and 'id="trend-iqs"' not in page
    assert "71.5" not in page and "Too much overtime" not in page
    assert "IQS" not in page and "eNPS" not in page
    assert "Fast delivery" in page and 'data-metric="nps"' in page  # what she may read is still there


def test_a_manager_reads_no_iqs_or_enps_on_the_home_page_and_the_client_card(client, org_a, figures):
    client.force_login(figures["mila"])
    for url in (reverse("home"), reverse("clients:card", kwargs={"client_id": figures["client"].pk})):
        page = client.get(url).content.decode()
        assert "IQS" not in page and "eNPS" not in page and "Too much overtime" not in page
    assert client.get(reverse("loyalty:scorecard_list")).status_code == 403


def test_a_sales_head_reads_every_figure(client_as, org_a, figures):
    page = client_as(org_a, Role.SALES_HEAD).get(reverse("loyalty:overview") + "?metric=iqs").content.decode()
    data = _chart_data(page)
    assert data["series"]["iqs"]["y"] == [61, 67] and data["series"]["enps"]["y"] == [-40, -35]
    assert data["slices"] == {"manager": {"otto": {"x": ["2026-02-01"], "y": [71.5]}}}
    assert 'id="enps-split"' in page and 'id="trend-iqs"' in page and "Too much overtime" in page


def test_every_figure_has_one_rule():
    """The IQS pages are guarded by the same rule as the IQS figure elsewhere."""
    assert (
        selectors.METRIC_ROLES["iqs"] == selectors.METRIC_ROLES["enps"] == (Role.SALES_HEAD, Role.ANALYST, Role.ADMIN)
    )
    assert set(selectors.METRIC_ROLES) <= set(selectors.TREND_METRICS)


def test_a_fall_in_churn_is_green_and_a_fall_in_nps_red(client_as, org_a, figures):
    _value(org_a, "nps", datetime.date(2026, 3, 1), 25)
    page = client_as(org_a, Role.SALES_HEAD).get(reverse("loyalty:overview")).content.decode()

    def delta(metric):
        card = re.search(rf'data-metric="{metric}".*?</div></div></div>', page, re.S).group(0)
        return re.search(r'<span class="metric-delta([^"]*)">([^<]*)</span>', card).groups()

    assert delta("churn") == (" text-success", "-3")  # 12 % -> 9 %: fewer clients lost
    assert delta("nps") == (" text-danger", "-5")  # 30 -> 25
    assert delta("iqs") == (" text-success", "+6")  # 61 -> 67
