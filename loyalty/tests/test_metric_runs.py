"""The metric run over a small hand-made client base, and the job that runs it in a real worker."""

import datetime
import re

import pytest
from django.urls import reverse

from clients.models import Segment
from clients.tests.factories import settle
from crm_portal.models import Job, Organization, Role
from loyalty import metric_runs, services
from loyalty.models import Campaign, DialogueGrade, MetricValue, Response

from .factories import make_client, pay

D = datetime.date


def value(org, metric, start, dimension="all", key="", period_kind="month"):
    row = MetricValue.objects.get(
        organization=org, period_kind=period_kind, period_start=start, metric=metric, dimension=dimension, key=key
    )
    return row.value, row.count


def answers(org, campaign, metric, scores, day, client=None):
    for score in scores:
        Response.objects.create(
            organization=org, campaign=campaign, metric=metric, score=score, answers={}, answered_on=day, client=client
        )


@pytest.fixture
def base(org_a, make_member):
    """A: a long-standing regular; B: bought once in December, lost by the end of March; C: new in March."""
    manager = make_member(org_a, Role.MANAGER, username="boris")
    s1 = Segment.objects.create(organization=org_a, name="S1")
    s2 = Segment.objects.create(organization=org_a, name="S2")
    a = make_client(org_a, "A", segment=s1, manager=manager, abc_class="A")
    b = make_client(org_a, "B", segment=s1, abc_class="C")
    c = make_client(org_a, "C", segment=s2, abc_class="B")
    for day in (D(2025, 1, 15), D(2025, 12, 5), D(2026, 1, 10), D(2026, 2, 10), D(2026, 3, 10)):
        pay(a, day, "100")
    pay(b, D(2025, 12, 20), "100")
    pay(c, D(2026, 3, 15), "300")
    campaign = Campaign.objects.create(
        organization=org_a, name="NPS", kind="nps", audience="clients", questionnaire={}, started_on=D(2026, 3, 1)
    )
    answers(org_a, campaign, "nps", [10, 9, 3, 7], D(2026, 3, 20), client=a)
    answers(org_a, campaign, "csat", [5, 4, 2], D(2026, 3, 21), client=c)
    answers(org_a, campaign, "enps", [9, 9], D(2026, 3, 22))
    card = services.scorecard_create(organization=org_a, name="Call", criteria=[("Greets", 1), ("Asks", 3)])
    criteria = list(card.criteria.all())
    services.dialogue_grade(
        scorecard=card,
        manager=manager,
        graded_by=None,
        graded_on=D(2026, 3, 3),
        marks={criteria[0].pk: "yes", criteria[1].pk: "partly"},
    )  # (1 + 1.5) / 4 = 62.5
    services.dialogue_grade(
        scorecard=card,
        manager=manager,
        graded_by=None,
        graded_on=D(2026, 3, 4),
        marks={criteria[0].pk: "no", criteria[1].pk: "yes"},
    )  # 3 / 4 = 75
    return {"a": a, "b": b, "c": c, "s1": s1, "s2": s2, "manager": manager}


@pytest.mark.django_db
def test_march_by_hand(org_a, base):
    result = metric_runs.metrics_compute(organization=org_a, period_kind="month", today=D(2026, 3, 31))
    assert result["periods"] == 15  # January 2025 to March 2026
    march = D(2026, 3, 1)
    # Start of March (as of 28 Feb): A and B active, C potential. End: A active, B lost, C new.
    assert value(org_a, "churn", march) == (50.0, 2)  # 1 lost of 2
    assert value(org_a, "retention", march) == (50.0, 2)  # (2 at end - 1 new) / 2
    # A, B and C have a settlement up to 31 March; only A on two dates or more: 1 / 3
    assert value(org_a, "loyalty_index", march) == (pytest.approx(100 / 3), 3)
    assert value(org_a, "long_standing_share", march) == (25.0, 2)  # A's 100 of 400 (A since Jan 2025)
    assert value(org_a, "regular_clients", march) == (1.0, 1)  # A
    assert value(org_a, "nps", march) == (25.0, 4)  # (2 promoters - 1 detractor) / 4
    assert value(org_a, "nps_promoters", march) == (2.0, 4)
    assert value(org_a, "csat", march) == (pytest.approx(200 / 3), 3)  # 5 and 4 satisfied of 5, 4, 2: 2 / 3
    assert value(org_a, "enps", march) == (100.0, 2)
    assert value(org_a, "iqs", march) == (68.75, 2)  # mean of 62.5 and 75, exact
    assert value(org_a, "iqs", march, "manager", str(base["manager"].pk)) == (68.75, 2)
    # CLV: monthly retention 0.5 (50 % churn in one month), discount 1 %: f = 0.5 / 1.01 and
    # sum of f^t over 36 months = 0.980392; A: 500 + 500/15 x 0.980392 = 532.68;
    # C: 300 + 300 x 0.980392 = 594.12; mean 563.40 (exact: the sum of f^t, unrounded).
    f = 0.5 / 1.01
    forecast = sum(f**t for t in range(1, 37))
    assert value(org_a, "clv", march) == (pytest.approx((500 + 500 / 15 * forecast + 300 + 300 * forecast) / 2), 2)


@pytest.mark.django_db
def test_retention_counts_a_won_back_client_as_retained(org_a, base):
    # D bought in June 2025, then nothing until March 2026: lost at the start of March (as of
    # 28 Feb, nothing since 28 Nov), renewed at its end (bought in March, and before 31 Aug).
    d = make_client(org_a, "D", abc_class="C")
    pay(d, D(2025, 6, 10), "100")
    pay(d, D(2026, 3, 12), "100")
    metric_runs.metrics_compute(organization=org_a, period_kind="month", today=D(2026, 3, 31))
    march = D(2026, 3, 1)
    # S = A, B (2). E = A, C (new), D (won back) (3). N = C, the only first settlement in March
    # (D's first was in June 2025): (3 - 1) / 2 = 100 % (counting D as acquired read 50 %).
    assert value(org_a, "retention", march) == (100.0, 2)
    assert value(org_a, "churn", march) == (50.0, 2)  # B lost of A, B
    # Class C: S = B; E = D; N = 0: (1 - 0) / 1 = 100 % (was 0 %); churn: B lost of B = 100 %.
    assert value(org_a, "retention", march, "abc", "C") == (100.0, 1)
    assert value(org_a, "churn", march, "abc", "C") == (100.0, 1)
    # No segment (D alone): nobody at the start, so no retention even though D is back.
    assert value(org_a, "retention", march, "segment", "") == (None, 0)
    # Loyalty index: A (5 dates) and D (2 dates) of A, B, C, D with a settlement by 31 March: 2 / 4.
    assert value(org_a, "loyalty_index", march) == (50.0, 4)


@pytest.mark.django_db
def test_retention_of_the_demo_data_is_never_negative_and_churn_stays_within_0_and_100(org_a):
    """Won-back clients count as retained, so retention may exceed 100 %; it is never negative
    while every client whose first settlement lies in the period is still active at its end."""
    from django.core.management import call_command

    call_command("seed_demo", small=True, verbosity=0)
    for organization in Organization.objects.filter(slug__in=["demo", "other"]):
        for kind in ("month", "quarter"):
            metric_runs.metrics_compute(organization=organization, period_kind=kind)
    known = MetricValue.objects.filter(value__isnull=False)
    retention = list(known.filter(metric="retention").values_list("value", flat=True))
    churn = list(known.filter(metric="churn").values_list("value", flat=True))
    assert retention and min(retention) >= 0.0
    assert churn and min(churn) >= 0.0 and max(churn) <= 100.0


@pytest.mark.django_db
def test_slices_and_a_slice_with_no_clients_at_start(org_a, base):
    metric_runs.metrics_compute(organization=org_a, period_kind="month", today=D(2026, 3, 31))
    march = D(2026, 3, 1)
    s1, s2 = str(base["s1"].pk), str(base["s2"].pk)
    assert value(org_a, "churn", march, "segment", s1) == (50.0, 2)
    assert value(org_a, "churn", march, "segment", s2) == (None, 0)  # C is new: nobody at the start
    assert value(org_a, "retention", march, "segment", s2) == (None, 0)
    assert value(org_a, "nps", march, "abc", "A") == (25.0, 4)
    assert value(org_a, "csat", march, "abc", "B") == (pytest.approx(200 / 3), 3)  # C's 5, 4, 2: 2 / 3
    assert value(org_a, "nps", march, "manager", str(base["manager"].pk)) == (25.0, 4)
    assert not MetricValue.objects.filter(metric="enps", dimension="segment").exists()
    row = MetricValue.objects.get(metric="churn", period_start=march, dimension="segment", key=s1)
    assert row.label == "S1"


@pytest.mark.django_db
def test_quarters_and_an_empty_organization(org_a, org_b, base):
    metric_runs.metrics_compute(organization=org_a, period_kind="quarter", today=D(2026, 3, 31))
    q1 = D(2026, 1, 1)
    # Start of Q1 (as of 31 Dec): A and B active. End of March: B lost, C new.
    assert value(org_a, "churn", q1, period_kind="quarter") == (50.0, 2)
    assert value(org_a, "nps", q1, period_kind="quarter") == (25.0, 4)
    assert metric_runs.metrics_compute(organization=org_b, period_kind="quarter") == {"periods": 0, "values": 0}
    # A second run replaces, never duplicates.
    before = MetricValue.objects.filter(organization=org_a).count()
    metric_runs.metrics_compute(organization=org_a, period_kind="quarter", today=D(2026, 3, 31))
    assert MetricValue.objects.filter(organization=org_a).count() == before


def test_period_bounds():
    assert metric_runs.period_bounds("month", D(2024, 2, 14)) == (D(2024, 2, 1), D(2024, 2, 29))
    assert metric_runs.period_bounds("quarter", D(2025, 11, 30)) == (D(2025, 10, 1), D(2025, 12, 31))
    assert metric_runs.periods("quarter", D(2025, 12, 1), D(2026, 4, 1)) == [
        (D(2025, 10, 1), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 6, 30)),
    ]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_metrics_job_runs_in_a_worker_and_feeds_the_overview(client_as, org_a, base, celery_worker, wait_for):
    web = client_as(org_a, Role.ANALYST)
    response = web.post(reverse("loyalty:metrics_start"), {"period_kind": "quarter"})
    assert response.status_code == 302
    job = Job.objects.get(kind="loyalty.metrics")
    assert job.params == {"period_kind": "quarter"}
    job = wait_for(lambda: Job.objects.filter(pk=job.pk, status__in=Job.FINISHED).first(), timeout=60)
    assert job.status == "succeeded", job.error
    assert job.result["url"] == reverse("loyalty:overview") + "?period=quarter"
    assert MetricValue.objects.filter(organization=org_a, period_kind="quarter", metric="nps").exists()
    page = web.get(reverse("loyalty:overview") + "?period=quarter").content.decode()
    assert 'data-metric="nps"' in page and "loyalty-trends" in page
    assert DialogueGrade.objects.count() == 2


@pytest.mark.django_db
def test_overview_shows_distribution_and_comments_per_role(client_as, org_a, base):
    Response.objects.filter(metric="nps", score=3).update(comment="Late again", answered_on=datetime.date.today())
    Response.objects.filter(metric="nps").update(answered_on=datetime.date.today())
    Response.objects.filter(metric="enps").update(comment="Good team", answered_on=datetime.date.today())
    head = client_as(org_a, Role.SALES_HEAD).get(reverse("loyalty:overview")).content.decode()
    assert "Promoters (9-10): 2" in head and "Detractors (0-6): 1" in head and "Passives (7-8): 1" in head
    assert "“Late again”" in head and "“Good team”" in head and "anonymous employee" in head
    # A manager reads only its own clients' answers: A belongs to another manager here.
    manager_page = client_as(org_a, Role.MANAGER).get(reverse("loyalty:overview")).content.decode()
    assert "Late again" not in manager_page and "Good team" not in manager_page


@pytest.mark.django_db
def test_slice_trends_give_one_line_per_segment(client_as, org_a, base):
    metric_runs.metrics_compute(organization=org_a, period_kind="month", today=D(2026, 3, 31))
    web = client_as(org_a, Role.SALES_HEAD)
    chart = web.get(reverse("loyalty:overview") + "?metric=churn").context["chart"]
    s1 = chart["slices"]["segment"]["S1"]
    assert s1["x"][-2:] == ["2026-02-01", "2026-03-01"] and s1["y"][-1] == 50.0
    assert chart["slices"]["segment"]["S2"]["y"][-1] is None


@pytest.mark.django_db
def test_slices_without_segment_class_or_manager_are_named_in_the_readers_language(client_as, org_a, base):
    e = make_client(org_a, "E")  # no segment, no class, no manager
    pay(e, D(2026, 3, 5), "100")
    answers(org_a, Campaign.objects.get(name="NPS"), "nps", [9], D(2026, 3, 20), client=e)
    metric_runs.metrics_compute(organization=org_a, period_kind="month", today=D(2026, 3, 31))
    assert MetricValue.objects.filter(dimension="abc", key="", metric="nps").get().label == "No class"
    web = client_as(org_a, Role.SALES_HEAD)
    page = web.get(reverse("loyalty:overview") + "?metric=nps", HTTP_ACCEPT_LANGUAGE="ru")
    rows = page.context["breakdown"]["rows"]
    assert [(r.label, r.value, r.count) for r in rows["abc"]] == [("A", 25.0, 4), ("Без класса", 100.0, 1)]
    assert [(r.label, r.count) for r in rows["segment"]] == [("S1", 4), ("Без сегмента", 1)]
    assert [(r.label, r.count) for r in rows["manager"]] == [("boris", 4), ("Не назначен", 1)]
    assert "Без класса" in page.context["chart"]["slices"]["abc"]
    text = page.content.decode()
    assert "Без класса" in text and "No class" not in text and "No segment" not in text
    english = web.get(reverse("loyalty:overview") + "?metric=nps", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No class" in english


@pytest.mark.django_db
def test_churn_and_retention_by_product_by_hand(org_a):
    """Each product's own settlements give the client's state for that product (3-month period).

    March 2026: the start is taken on 28 Feb (window 29 Nov - 28 Feb), the end on 31 March
    (window 1 Jan - 31 Mar, the window before it 1 Oct - 31 Dec).
    """
    from clients.models import Product

    coffee = Product.objects.create(organization=org_a, name="Coffee")
    tea = Product.objects.create(organization=org_a, name="Tea")
    juice = Product.objects.create(organization=org_a, name="Juice")

    def buy(client, day, product=None):
        settle(client, day, "100", product=product)

    e, f, g, h, i = (make_client(org_a, name) for name in "EFGHI")
    buy(e, D(2025, 12, 10), coffee)  # coffee: new at the start, regular at the end: kept
    buy(e, D(2026, 3, 5), coffee)
    buy(e, D(2026, 1, 20), tea)  # tea: new at the start and still new at the end: kept
    buy(f, D(2025, 12, 20), coffee)  # coffee: new at the start, lost at the end (nothing since 31 Dec)
    buy(f, D(2026, 3, 10), tea)  # tea: potential at the start, new at the end: acquired
    buy(g, D(2025, 6, 10), coffee)  # coffee: lost at the start, renewed at the end: won back, retained
    buy(g, D(2026, 3, 12), coffee)
    buy(h, D(2026, 2, 1))  # no product: counts for the whole base only
    buy(h, D(2026, 4, 5), tea)  # after the period: not a tea client in March
    buy(i, D(2026, 3, 20), juice)  # juice: nobody at the start
    metric_runs.metrics_compute(organization=org_a, period_kind="month", today=D(2026, 3, 31))
    march = D(2026, 3, 1)
    # Coffee: at the start E, F (2); at the end E, G (2); lost F; first coffee in March: nobody
    # (G's first coffee was in June 2025: won back, so retained).
    assert value(org_a, "churn", march, "product", str(coffee.pk)) == (50.0, 2)  # 1 / 2
    assert value(org_a, "retention", march, "product", str(coffee.pk)) == (100.0, 2)  # (2 - 0) / 2
    # Tea: at the start E (1); at the end E, F (2); none lost; first tea in March: F.
    assert value(org_a, "churn", march, "product", str(tea.pk)) == (0.0, 1)  # 0 / 1
    assert value(org_a, "retention", march, "product", str(tea.pk)) == (100.0, 1)  # (2 - 1) / 1
    assert value(org_a, "churn", march, "product", str(juice.pk)) == (None, 0)
    assert value(org_a, "retention", march, "product", str(juice.pk)) == (None, 0)
    # The whole base: E, F and H at the start, nobody lost (F still buys tea): F is lost for coffee only.
    assert value(org_a, "churn", march) == (0.0, 3)
    row = MetricValue.objects.get(metric="churn", period_start=march, dimension="product", key=str(coffee.pk))
    assert row.label == "Coffee"
    # February: coffee's clients at its start (31 Jan) are E and F, both still active on 28 Feb.
    assert value(org_a, "churn", D(2026, 2, 1), "product", str(coffee.pk)) == (0.0, 2)
    # Only churn and retention are sliced by product from the settlements.
    assert set(MetricValue.objects.filter(dimension="product").values_list("metric", flat=True)) == {
        "churn",
        "retention",
    }


@pytest.mark.parametrize(
    "language,text",
    [
        ("en", "Churn and retention by product count, for each product, only the client’s settlements of that product"),
        (
            "ru",
            "Отток и удержание по продуктам считаются для каждого продукта только по взаиморасчётам клиента за этот продукт",
        ),
    ],
)
@pytest.mark.django_db
def test_the_overview_explains_the_product_slice_of_churn_and_retention(client_as, org_a, language, text):
    page = client_as(org_a, Role.ANALYST).get(reverse("loyalty:overview"), HTTP_ACCEPT_LANGUAGE=language)
    assert text in page.content.decode()


def _card(html: str, metric: str) -> str:
    """The figure shown on the overview card of `metric`."""
    return re.search(rf'data-metric="{metric}".*?metric-value">([^<]*)<', html, re.S).group(1)


@pytest.mark.django_db
def test_the_overview_rounds_the_exact_values_for_people(client_as, org_a, base):
    answers(org_a, Campaign.objects.get(name="NPS"), "ces", [5, 6, 6], D(2026, 3, 23), client=base["c"])
    metric_runs.metrics_compute(organization=org_a, period_kind="month", today=D(2026, 3, 31))
    march = D(2026, 3, 1)
    # Stored exact: CSAT 2 of 3 satisfied, CES mean (5 + 6 + 6) / 3 = 17 / 3, loyalty index 1 of 3.
    assert value(org_a, "csat", march) == (pytest.approx(200 / 3), 3)
    assert value(org_a, "ces", march) == (pytest.approx(17 / 3), 3)
    assert value(org_a, "loyalty_index", march) == (pytest.approx(100 / 3), 3)
    web = client_as(org_a, Role.SALES_HEAD)
    page = web.get(reverse("loyalty:overview") + "?metric=csat", HTTP_ACCEPT_LANGUAGE="en")
    # Shown: one decimal, two for the CES mean; the charts' data too (their hover labels show it).
    series = page.context["chart"]["series"]
    assert (series["csat"]["y"][-1], series["ces"]["y"][-1], series["loyalty_index"]["y"][-1]) == (66.7, 5.67, 33.3)
    assert page.context["chart"]["slices"]["abc"]["B"]["y"][-1] == 66.7
    html = page.content.decode()
    assert (_card(html, "csat"), _card(html, "ces"), _card(html, "loyalty_index")) == ("66.7", "5.67", "33.3")
    assert '<tr><td>B</td><td class="text-end">66.7</td><td class="text-end">3</td></tr>' in html
    # A slice without a value reads "—" (no clients of S2 at the start of March: no churn).
    churn = web.get(reverse("loyalty:overview") + "?metric=churn", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<tr><td>S2</td><td class="text-end">—</td><td class="text-end">0</td></tr>' in churn


@pytest.mark.django_db
def test_the_campaign_page_rounds_nps_and_the_ces_mean(client_as, org_a, base):
    web = client_as(org_a, Role.ANALYST)
    for kind, scores, shown in (
        ("nps", [9, 6, 5], "-33.3"),  # (1 promoter - 2 detractors) / 3 = -33.333...
        ("ces", [7, 4, 5], "5.33"),  # (7 + 4 + 5) / 3 = 5.333...
    ):
        campaign = services.campaign_start(organization=org_a, kind=kind, name=f"{kind} survey")
        answers(org_a, campaign, kind, scores, D(2026, 3, 20))
        html = web.get(reverse("loyalty:campaign_detail", kwargs={"campaign_id": campaign.pk})).content.decode()
        assert f'<div class="stat-value" id="stat-value">{shown}</div>' in html


@pytest.mark.django_db
def test_the_dashboard_panel_compares_the_managers_newest_month(org_a, base):
    from crm_portal.tenancy import Viewer
    from loyalty import selectors

    metric_runs.metrics_compute(organization=org_a, period_kind="month", today=D(2026, 3, 31))
    head = Viewer(org_a, base["manager"], Role.SALES_HEAD)
    panel = selectors.dashboard_panel(head)
    assert [(metric, period) for metric, _label, period in panel["manager_metrics"]] == [
        ("nps", D(2026, 3, 1)),
        ("csat", D(2026, 3, 1)),
        ("ces", None),  # no CES answers at all
        ("churn", D(2026, 3, 1)),
        ("retention", D(2026, 3, 1)),
        ("iqs", D(2026, 3, 1)),
    ]
    managers = dict(panel["managers"])
    # boris manages A: NPS of A's answers (25), IQS of his graded dialogues (68.75); A was kept in March.
    assert managers["boris"] == [
        ("nps", 25.0),
        ("csat", None),  # C answered the CSAT survey, and C is nobody's
        ("ces", None),
        ("churn", 0.0),
        ("retention", 100.0),
        ("iqs", 68.8),
    ]
    assert panel["chart"]["series"]["nps"]["y"][-1] == 25.0  # the trend chart's newest point
    assert {c["metric"] for c in panel["cards"]} >= {"nps", "csat", "churn", "retention"}


@pytest.mark.django_db
def test_new_clients_on_recommendation_are_a_share_of_the_periods_first_buyers(org_a, base):
    from clients.models import Client

    Client.objects.filter(pk=base["c"].pk).update(channel="recommendation")
    e = make_client(org_a, "E")
    Client.objects.filter(pk=e.pk).update(channel="website")
    pay(e, D(2026, 3, 20), "50")
    Client.objects.filter(pk=base["a"].pk).update(channel="recommendation")  # long-standing: not new
    metric_runs.metrics_compute(organization=org_a, period_kind="month", today=D(2026, 3, 31))
    march = D(2026, 3, 1)
    assert value(org_a, "recommended", march) == (50.0, 2)  # C of the new C and E
    assert value(org_a, "recommended", march, "segment", str(base["s2"].pk)) == (100.0, 1)  # C
    assert value(org_a, "recommended", D(2026, 2, 1)) == (None, 0)  # nobody new in February
