"""The run page's CV histogram ends at 150 % with one labelled overflow bar; the home page's
ABC x XYZ panel shows the clients with no XYZ class, so it adds up to the run's clients."""

import datetime
import json
import re

import pytest
from django.urls import reverse

from crm_portal.models import Role
from segmentation import selectors
from segmentation.models import ClientClass, Run

pytestmark = pytest.mark.django_db

PARAMS = {"a": 0.8, "b": 0.95, "x": 0.1, "y": 0.25, "min_history": 4, "period": "month"}


def make_run(org, classes: list[tuple[str, str, float | None]]) -> Run:
    """A run on the client base with one client per (abc, xyz, cv); xyz "" is "no XYZ class"."""
    run = Run.objects.create(
        organization=org,
        source=Run.Source.BASE,
        params=PARAMS,
        as_of=datetime.date(2026, 3, 31),
        periods=["2025-04", "2026-03"],
        client_count=len(classes),
        total=100.0 * len(classes),
    )
    ClientClass.objects.bulk_create(
        ClientClass(
            organization=org,
            run=run,
            client_key=f"c{rank}",
            rank=rank,
            total=100.0,
            share=0.01,
            cum_share=rank / len(classes),
            abc=abc,
            xyz=xyz,
            cv=cv,
        )
        for rank, (abc, xyz, cv) in enumerate(classes, start=1)
    )
    return run


def test_the_cv_histogram_ends_at_150_percent_with_an_overflow_bar(org_a):
    cvs = [0.0, 0.02, 0.07, 0.5, 1.49, 1.5, 1.5001, 3.2, 12.0, 40.0]
    run = make_run(org_a, [("A", "X", cv) for cv in cvs] + [("C", "", None)])
    cv = selectors.run_charts(run)["cv"]
    assert len(cv["x"]) == len(cv["y"]) == 30
    assert cv["x"][:3] == [0.025, 0.075, 0.125] and cv["x"][-1] == 1.475
    assert (cv["width"], cv["cap"]) == (0.05, 1.5)
    counts = dict(zip(cv["x"], cv["y"]))
    assert {x: n for x, n in counts.items() if n} == {0.025: 2, 0.075: 1, 0.525: 1, 1.475: 2}
    assert cv["overflow"] == 4  # 1.5001, 3.2, 12 and 40; the client without a CV is in no bar
    assert sum(cv["y"]) + cv["overflow"] == 10


def test_the_run_page_carries_the_overflow_count(client_as, org_a):
    run = make_run(org_a, [("A", "Z", 2.0)] * 3 + [("A", "X", 0.05)])
    page = client_as(org_a, Role.ANALYST).get(reverse("segmentation:run", kwargs={"run_id": run.pk})).content.decode()
    data = json.loads(re.search(r'<script id="run-charts" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert data["cv"]["overflow"] == 3 and sum(data["cv"]["y"]) == 1


def _panel_counts(page: str) -> dict[str, int]:
    panel = re.search(r'id="panel-segmentation".*?</section>', page, re.S).group(0)
    return {code: int(count) for code, count in re.findall(r'\?cell=([ABC][XYZ-])">(\d+)</a>', panel)}


def test_the_home_panel_adds_up_to_the_runs_clients(client_as, org_a):
    classes = [("A", "X", 0.05)] * 4 + [("A", "", None)] * 3 + [("B", "Z", 0.9)] * 2 + [("C", "", None)] * 5
    run = make_run(org_a, classes)
    page = client_as(org_a, Role.SALES_HEAD).get(reverse("home")).content.decode()
    counts = _panel_counts(page)
    assert len(counts) == 12  # 3 ABC rows x (X, Y, Z and no XYZ)
    assert {code: n for code, n in counts.items() if n} == {"AX": 4, "A-": 3, "BZ": 2, "C-": 5}
    assert sum(counts.values()) == run.client_count == 14
