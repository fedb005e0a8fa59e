"""Loyalty page speed on the full demo data (2,000 clients, thousands of survey answers).

Usage (a scratch database seeded with the full demo set; nothing is written by the bench):

    PGPASSWORD=crm-test psql -h 127.0.0.1 -U crm -d postgres -c 'create database crm_loyalty_perf'
    export DATABASE_URL=postgres://crm:crm-test@127.0.0.1:5432/crm_loyalty_perf
    DJANGO_SETTINGS_MODULE=crm_portal.settings.local .venv/bin/python manage.py migrate
    DJANGO_SETTINGS_MODULE=crm_portal.settings.local .venv/bin/python manage.py seed_demo --no-worker
    .venv/bin/python bench/loyalty_pages.py [--repeat 5] [--slow 5]

Prints, per page and role, the median time over several requests (after one warm-up), the
number of queries (`CaptureQueriesContext`) and their total time, and with --slow N the N
slowest queries of the page.

Measured 2026-11-24 on the demo data of QA's report (2,000 clients, 7,279 answers, 1,838 point
accounts), server time, median of the four roles, before -> after:
    /loyalty/                  ~95 ms, 12-13 queries -> ~30 ms, 11-12 queries
    /loyalty/campaigns/<id>/   ~165 ms (2,000 links), 15 queries -> ~85 ms, 10 queries
    /loyalty/iqs/<id>/         1,100-1,270 ms for the heads (2,000 client options) -> 40-80 ms, 13 queries
    /loyalty/programme/        ~70 ms, 100 of 1,838 balances -> 25-90 ms, 50 a page
No query was slow (none above 40 ms): the IQS page spent its time rendering 2,000 <option>s, and
in a browser the overview and campaign pages waited for the 4.8 MB Plotly bundle (1.6-1.8 s on a
cold cache); charts.js now fetches it when a chart comes into view (page load ~0.25 s cold).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_portal.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://crm:crm-test@127.0.0.1:5432/crm_loyalty_perf")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as WebClient  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from clients.models import Client  # noqa: E402
from crm_portal.models import Organization  # noqa: E402
from loyalty.models import Campaign, PointAccount, Response, Scorecard  # noqa: E402

ROLES = ["demo-manager", "demo-head", "demo-analyst", "demo-admin"]


def timed(web: WebClient, url: str, repeat: int, language: str) -> tuple[float, int, float, list]:
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    first = web.get(url, **headers)  # warm up
    assert first.status_code == 200, (url, first.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        web.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        web.get(url, **headers)
    captured = [(float(q["time"]) * 1000, q["sql"]) for q in queries.captured_queries]
    return statistics.median(times), len(captured), sum(t for t, _ in captured), sorted(captured, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow", type=int, default=0, help="show the N slowest queries of every page")
    parser.add_argument("--language", default="ru")
    args = parser.parse_args()
    setup_test_environment()
    org = Organization.objects.get(slug="demo")
    print(
        f"data: {Client.objects.filter(organization=org).count()} clients, "
        f"{Response.objects.filter(organization=org).count()} answers, "
        f"{PointAccount.objects.filter(organization=org).count()} point accounts"
    )
    campaign = (
        Campaign.objects.filter(organization=org)
        .order_by("-started_on", "-id")
        .filter(invitations__isnull=False)
        .distinct()
        .first()
    )
    biggest = max(Campaign.objects.filter(organization=org), key=lambda c: c.invitations.count())
    scorecard = Scorecard.objects.filter(organization=org).first()
    pages = [
        ("overview", "/loyalty/", ROLES),
        ("overview, quarter", "/loyalty/?period=quarter", ROLES),
        ("programme", "/loyalty/programme/", ROLES),
        ("campaigns", "/loyalty/campaigns/", ROLES[1:]),
        (f"campaign {campaign.pk} (latest)", f"/loyalty/campaigns/{campaign.pk}/", ROLES[1:]),
        (f"campaign {biggest.pk} (biggest)", f"/loyalty/campaigns/{biggest.pk}/", ROLES[1:]),
        ("iqs", "/loyalty/iqs/", ROLES[1:]),
        (f"iqs {scorecard.pk}", f"/loyalty/iqs/{scorecard.pk}/", ROLES[1:]),
    ]
    User = get_user_model()
    for label, url, roles in pages:
        for username in roles:
            web = WebClient()
            web.force_login(User.objects.get(username=username))
            median, count, db_ms, slowest = timed(web, url, args.repeat, args.language)
            print(f"{label:<28} {username:<14} {median:8.1f} ms  {count:4d} queries  {db_ms:7.1f} ms in the database")
            for ms, sql in slowest[: args.slow]:
                print(f"      {ms:7.1f} ms  {sql[:300]}")


if __name__ == "__main__":
    main()
