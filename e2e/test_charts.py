"""Charts in Chromium: labels are drawn as text, never as links; the CV histogram ends at 150 %
with a labelled overflow bar; the home page's ABC x XYZ panel adds up; a fall in churn is green."""

import datetime
import random

from playwright.sync_api import expect

from crm_portal.models import Organization
from diagnostics.models import JourneyMap
from diagnostics.services import touchpoint_save
from loyalty.models import MetricValue
from segmentation.models import ClientClass, Run

EVIL = '<a href="https://evil.example">Click me</a>'
# These pages load the charting library (4.8 MB) before they are ready; on a busy machine that is slow.
SLOW = 60_000


def test_a_touchpoint_named_like_a_link_is_drawn_as_text(page, login, shot):
    journey_map = JourneyMap.objects.filter(organization__slug="demo").order_by("id").first()
    touchpoint_save(
        journey_map=journey_map, stage="advocacy", name=EVIL, channel="Web", client_action="Clicks", emotion=1
    )
    login(page, "demo-manager")
    page.goto(f"/diagnostics/cjm/{journey_map.pk}/", timeout=SLOW)
    chart = page.locator("#emotion-chart")
    expect(chart.locator(".xtick text").last).to_have_text(f"6. {EVIL}")
    assert chart.locator("svg a").count() == 0
    shot(page, "cjm-label")


def test_a_segment_named_like_a_link_is_drawn_as_text_on_the_loyalty_overview(page, login):
    demo = Organization.objects.get(slug="demo")
    for month, value in ((1, 10.0), (2, 20.0)):
        MetricValue.objects.update_or_create(
            organization=demo,
            period_kind="month",
            period_start=datetime.date(2030, month, 1),
            metric="nps",
            dimension="segment",
            key="evil",
            defaults={"label": EVIL, "value": value, "count": 3},
        )
    login(page, "demo-head")
    page.goto("/loyalty/?metric=nps")
    chart = page.locator("#slices-segment")
    chart.scroll_into_view_if_needed()
    expect(chart).to_have_attribute("data-drawn", "1", timeout=SLOW)  # the charting library loads first
    expect(chart.locator(".legendtext", has_text="Click me")).to_have_text(EVIL)
    assert chart.locator("svg a").count() == 0


def _base_run(organization, classes) -> Run:
    run = Run.objects.create(
        organization=organization,
        source=Run.Source.BASE,
        as_of=datetime.date(2026, 3, 31),
        params={"a": 0.8, "b": 0.95, "x": 0.1, "y": 0.25, "min_history": 4, "period": "month"},
        periods=["2025-04", "2026-03"],
        client_count=len(classes),
        total=1000.0 * len(classes),
    )
    ClientClass.objects.bulk_create(
        ClientClass(
            organization=organization,
            run=run,
            client_key=f"client {rank}",
            rank=rank,
            total=1000.0,
            share=1 / len(classes),
            cum_share=rank / len(classes),
            abc=abc,
            xyz=xyz,
            cv=cv,
        )
        for rank, (abc, xyz, cv) in enumerate(classes, start=1)
    )
    return run


def _irregular_buyers(n: int = 1848) -> list[tuple[str, str, float | None]]:
    """Clients like those of a real retail base: most buy once or twice a year (CV far above
    150 %), a few regularly; about half too short a history for an XYZ class."""
    rng = random.Random(7)
    classes = []
    for index in range(n):
        abc = "A" if index < n * 0.2 else "B" if index < n * 0.5 else "C"
        if index % 2:
            classes.append((abc, "", None))
            continue
        cv = rng.lognormvariate(0.9, 0.6) if index % 10 else rng.uniform(0.02, 1.4)
        classes.append((abc, "X" if cv <= 0.1 else "Y" if cv <= 0.25 else "Z", cv))
    return classes


def test_the_cv_histogram_ends_at_150_percent_with_a_labelled_overflow_bar(new_page, login, shot):
    classes = _irregular_buyers()
    overflow = sum(1 for _abc, _xyz, cv in classes if cv is not None and cv > 1.5)
    run = _base_run(Organization.objects.get(slug="demo"), classes)
    for locale, count in (("en-US", f"{overflow:,}"), ("ru-RU", f"{overflow:,}".replace(",", "\u00a0"))):
        page = new_page(locale=locale)
        login(page, "demo-analyst")
        page.goto(f"/segmentation/runs/{run.pk}/", timeout=SLOW)
        chart = page.locator("#cv-chart")
        expect(chart.locator(".xtick text").last).to_have_text("> 150%")
        expect(chart.locator(".bartext")).to_have_text(count)
        path = shot(page, f"cv-histogram-{locale}")
        chart.screenshot(path=str(path.with_name(f"{path.stem}-chart.png")))
        assert page.errors == []


def test_the_home_panel_adds_up_to_the_runs_clients(page, login, shot):
    classes = _irregular_buyers()
    run = _base_run(Organization.objects.get(slug="demo"), classes)
    login(page, "demo-head")
    page.goto("/")
    cells = page.locator("#panel-segmentation td a")
    expect(cells).to_have_count(12)
    assert sum(int(text) for text in cells.all_inner_texts()) == run.client_count == 1848
    shot(page, "home-abc-xyz")


def test_a_fall_in_churn_is_green(page, login, shot):
    demo = Organization.objects.get(slug="demo")
    for month, value in ((1, 12.0), (2, 9.0)):
        MetricValue.objects.update_or_create(
            organization=demo,
            period_kind="month",
            period_start=datetime.date(2030, month, 1),
            metric="churn",
            dimension="all",
            key="",
            defaults={"value": value, "count": 200},
        )
    login(page, "demo-head")
    page.goto("/loyalty/")
    delta = page.locator('#metric-cards [data-metric="churn"] .metric-delta')
    expect(delta).to_have_text("-3")
    expect(delta).to_have_class("metric-delta text-success")
    expect(page.locator("#trend-base")).to_have_attribute("data-drawn", "1", timeout=SLOW)
    page.wait_for_timeout(500)  # the library draws the chart just after it is marked
    shot(page, "churn-fall")
