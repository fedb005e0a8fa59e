"""Client list, card and KPI speed on 100,000 clients and 2.4 million settlements (PostgreSQL), and
the upkeep of the lifecycle history: its full rebuild and one back-dated settlement entered by hand.

Usage (the database is built once with COPY and reused on later runs):

    DATABASE_URL=postgres://crm:crm-test@127.0.0.1:5432/crm_bench_clients \\
        .venv/bin/python bench/clients_pages.py [--clients 100000] [--months 24] [--rebuild]
        [--only pages|kpi|history]

Prints the median time of each page over several requests, as a sales head (all clients) and
as a manager (their own share); the median of 3 full rebuilds; the median of 15 settlements.

Measured 2026-12-02 on the 2-core machine (PostgreSQL 15, default settings, quiet machine):
    KPI page computed from the month facts: quarter 1.9 s, 12 months 3.0 s (from the settlements
        before: 6.7 s and 13.3 s); cached 0.2 s (the data version from FactsWrite marks; counting
        the 1.9 M fact rows took 0.6 s)
    dashboard (three periods' KPIs, the months, lifecycle now, funnel, complaints, overdue points,
        the loyalty and segmentation panels): 6.3-7.3 s computed, 0.29-0.36 s cached
    full rebuild of histories and month facts (300,000 changes, 1.9 M client-months): 41 s when
        they are current (what the nightly run finds), 75 s from empty
        2026-12-02, after the lifecycle changes lost their per-row foreign-key checks and their
        single-column indexes: 37.7 s current (median of 3), 55.4 s from empty (1 run, the month
        facts and changes deleted first; the other core busy with the test suite)
    one back-dated settlement entered (history and facts of its client rewritten): 66 ms
        (2026-12-02: 61 ms)
    2026-12-02 (later), with complaints by kind and marketing per channel in the KPI query and the
        sales per product loaded after the page (0.45-0.5 s of their own), quiet machine:
        KPI page computed: quarter 1.23 s, 12 months 1.80 s; cached 0.13 s;
        dashboard computed 4.2 s (quarter) / 4.0 s (12 months), cached 0.24-0.27 s
    client list median 122 ms (head) / 91 ms (manager), with last purchase and next step;
        card median 107 ms (head) / 98 ms (manager)
    2026-12-02 (evening), the KPI totals from the KPI cube (the month facts summed by manager,
        channel and month), medians of 7 with the cache emptied before each request:
        KPI page computed: quarter 164 ms, 12 months 155 ms; cached 77 ms; the page's 300
        clients, loaded after it (a row per client): 2.1 s / 2.6 s;
        dashboard computed 1.13 s (quarter) / 0.99 s (12 months), cached 0.29-0.33 s;
        one back-dated settlement entered (its facts and its share of the cube): 67-68 ms;
        full rebuild 50.6 s (median of 3; the cube built anew from 1.9 M client-months: 12-14 s);
        client list median 151 ms (head) / 122 ms (manager), card 154 ms / 148 ms (the code of
        the morning measured the same on this machine that day: the machine, not the pages)
"""

import argparse
import datetime
import io
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_portal.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://crm:crm-test@127.0.0.1:5432/crm_bench_clients")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client as WebClient  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from clients import services  # noqa: E402
from clients.models import Channel, Client, Product, Segment, Settlement  # noqa: E402
from crm_portal.models import Membership, Organization, Role  # noqa: E402

SLUG = "bench"
MANAGERS = 20


def ensure_database() -> None:
    import psycopg

    settings = connection.settings_dict
    admin = psycopg.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    )
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]]).fetchone()
    if not exists:
        admin.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    admin.close()


def _copy(cursor, table: str, columns: list[str], lines) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for number, line in enumerate(lines, start=1):
            buffer.write(line)
            if number % 200_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def build(n_clients: int, months: int, slug: str = SLUG, name: str = "Bench Trading", seed: int = 42) -> Organization:
    """An organization `slug` of `n_clients` clients with `months` settlements each, MANAGERS managers
    ("<slug>-manager-<i>") who share the clients and a sales head ("<slug>-head")."""
    started = time.monotonic()
    Organization.objects.filter(slug=slug).delete()
    org = Organization.objects.create(name=name, slug=slug)
    User = get_user_model()
    managers = []
    for i in range(MANAGERS):
        user, _ = User.objects.get_or_create(username=f"{slug}-manager-{i}")
        Membership.objects.create(user=user, organization=org, role=Role.MANAGER)
        managers.append(user.pk)
    head, _ = User.objects.get_or_create(username=f"{slug}-head")
    Membership.objects.create(user=head, organization=org, role=Role.SALES_HEAD)
    segments = [Segment.objects.create(organization=org, name=f"Segment {i}").pk for i in range(6)]
    products = [Product.objects.create(organization=org, name=f"Product {i}").pk for i in range(12)]
    rng = np.random.default_rng(seed)
    now = datetime.datetime.now(datetime.UTC).isoformat()
    abc = rng.choice(["A", "B", "C", ""], n_clients, p=[0.1, 0.15, 0.6, 0.15])
    xyz = rng.choice(["X", "Y", "Z", ""], n_clients, p=[0.1, 0.2, 0.4, 0.3])
    states = rng.choice(["potential", "new", "regular", "lost", "renewed"], n_clients)
    channels = rng.choice([*Channel.values, ""], n_clients)  # "": not recorded
    words = ["North", "Sun", "Blue", "Green", "Golden", "Urban", "Prime", "Smart", "Bean", "Cup", "Leaf", "Market"]
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        _copy(
            cursor,
            "clients_client",
            [
                "organization_id",
                "name",
                "kind",
                "external_id",
                "tax_number",
                "manager_id",
                "segment_id",
                "industry",
                "activity",
                "has_branches",
                "main_customers",
                "abc_class",
                "xyz_class",
                "lifecycle_state",
                "channel",
                "comments",
                "created_at",
                "updated_at",
                "kpi_manager_key",  # filed in the KPI cube by the rebuild that follows
                "kpi_channel",
            ],
            (
                f"{org.pk}\t{words[i % 12]} {words[(i // 12) % 12]} {i}\tcompany\tB{i:07d}\t77{i:08d}\t{managers[i % MANAGERS]}\t"
                f"{segments[i % 6]}\tRetail\tWholesale\tf\tcompanies\t{abc[i]}\t{xyz[i]}\t{states[i]}\t{channels[i]}\t\t{now}\t{now}\t0\t\n"
                for i in range(n_clients)
            ),
        )
        first_id = Client.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True).first()
        per_client = months
        client_ids = np.repeat(np.arange(first_id, first_id + n_clients), per_client)
        start = datetime.date.today() - datetime.timedelta(days=30 * months)
        offsets = np.tile(np.arange(per_client) * 30, n_clients) + rng.integers(0, 28, n_clients * per_client)
        # A mix of lifecycles with the same number of rows: a quarter stopped buying half-way
        # (lost), a twentieth started in the last two months (new), the rest bought all along.
        kind = np.repeat(rng.choice(3, n_clients, p=[0.7, 0.25, 0.05]), per_client)
        span = per_client * 30
        offsets = np.where(kind == 1, offsets // 2, offsets)
        offsets = np.where(kind == 2, span - 60 + offsets * 60 // span, offsets)
        scale = rng.pareto(1.2, n_clients) * 1000 + 100
        amounts = np.repeat(scale, per_client) * rng.uniform(0.5, 1.5, n_clients * per_client)
        product_ids = rng.choice(products, n_clients * per_client)
        base = np.datetime64(start)
        dates = (base + offsets.astype("timedelta64[D]")).astype(str)
        _copy(
            cursor,
            "clients_settlement",
            ["organization_id", "client_id", "date", "amount", "product_id", "document"],
            (f"{org.pk}\t{c}\t{d}\t{a:.2f}\t{p}\t\n" for c, d, a, p in zip(client_ids, dates, amounts, product_ids)),
        )
        overdue = rng.choice(n_clients, n_clients // 20, replace=False) + first_id
        today = datetime.date.today()
        _copy(
            cursor,
            "clients_controlpoint",
            ["organization_id", "client_id", "kind", "due_date", "note", "occasion", "responsible_id", "created_at"],
            (
                f"{org.pk}\t{c}\tcontact_gap\t{today - datetime.timedelta(days=int(c) % 20 + 1)}\t\t\t{managers[int(c) % MANAGERS]}\t{now}\n"
                for c in overdue
            ),
        )
        cursor.execute("ANALYZE")
    print(f"built {n_clients} clients and {n_clients * per_client} settlements in {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    result = services.lifecycle_recompute(organization=org)
    print(f"lifecycle_recompute on {n_clients} clients: {time.monotonic() - started:.1f} s, {result['states']}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return org


def median_ms(web: WebClient, url: str, params: dict | None = None, repeat: int = 7) -> float:
    web.get(url, params or {})  # warm up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = web.get(url, params or {})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
    return statistics.median(times)


def measure_history(org: Organization) -> None:
    """The full rebuild of every client's history (the nightly job), and one back-dated settlement
    entered by hand (its client's history rewritten in the same transaction, then rolled back)."""
    print("\nlifecycle history")
    rebuilds = []
    for _ in range(3):
        started = time.perf_counter()
        result = services.lifecycle_recompute(organization=org)
        rebuilds.append(time.perf_counter() - started)
    print(f"  full rebuild, {result['history_rows']} changes, median of 3   {statistics.median(rebuilds):7.2f} s")
    ids = list(Client.objects.filter(organization=org).values_list("pk", flat=True))
    random.seed(2)
    back_dated = datetime.date.today() - datetime.timedelta(days=200)
    times = []
    for pk in random.sample(ids, 15):
        client = Client.objects.select_related("organization").get(pk=pk)
        with transaction.atomic():
            started = time.perf_counter()
            services.settlement_create(client=client, date=back_dated, amount=Decimal("100"))
            times.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    print(f"  one back-dated settlement, median of 15  {statistics.median(times):7.1f} ms (max {max(times):.1f})")


def measure_kpi(org: Organization) -> None:
    """The KPI page as a sales head (all clients), for the default quarter and for a year: the page
    (the totals, from the KPI cube) and the clients it loads after it (a row per client)."""
    web = WebClient()
    web.force_login(get_user_model().objects.get(username="bench-head"))
    today = datetime.date.today()
    periods = [
        ("default quarter", {}),
        ("last 12 months", {"start": (today - datetime.timedelta(days=365)).isoformat(), "end": today.isoformat()}),
    ]
    print("\nKPI page, sales head (all clients)")
    for label, params in periods:
        print(f"  kpi, {label + ', computed':<32} {computed_ms(web, reverse('clients:kpi'), params):7.1f} ms")
        print(f"  kpi, {label + ', cached':<32} {median_ms(web, reverse('clients:kpi'), params, repeat=5):7.1f} ms")
        # The 300 clients with the largest sales, loaded after the page: a row per client.
        rows = computed_ms(web, reverse("clients:kpi_clients"), params)
        print(f"  kpi, {label + ', its clients, computed':<32} {rows:7.1f} ms")
    print("\nDashboard, sales head (all clients): the period, the one before and a year earlier")
    for label, params in (("this quarter", {"period": "quarter"}), ("last 12 months", {"period": "last_12"})):
        print(
            f"  dashboard, {label + ', computed':<26} {computed_ms(web, reverse('clients:dashboard'), params):7.1f} ms"
        )
        cached = median_ms(web, reverse("clients:dashboard"), params, repeat=5)
        print(f"  dashboard, {label + ', cached':<26} {cached:7.1f} ms")


def computed_ms(web: WebClient, url: str, params: dict, repeat: int = 7) -> float:
    """The median time of a page computed afresh: the cache emptied before each request."""
    from django.core.cache import cache

    times = []
    for _ in range(repeat):
        cache.clear()
        started = time.perf_counter()
        assert web.get(url, params).status_code == 200, (url, params)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(org: Organization) -> None:
    User = get_user_model()
    head, manager = User.objects.get(username="bench-head"), User.objects.get(username="bench-manager-3")
    segment = Segment.objects.filter(organization=org).first()
    list_url = reverse("clients:list")
    cases = [
        ("no filter", {}),
        ("search by name", {"q": "Golden Cup"}),
        ("search by external id", {"q": "B0054321"}),
        ("state = lost", {"state": "lost"}),
        ("manager", {"manager": manager.pk}),
        ("segment", {"segment": segment.pk}),
        ("ABC = A, XYZ = X", {"abc": "A", "xyz": "X"}),
        ("overdue only", {"overdue": "on"}),
        ("sorted newest first", {"sort": "-created"}),
        ("page 40", {"page": 40}),
        ("states as of a date", {"as_of": (datetime.date.today() - datetime.timedelta(days=200)).isoformat()}),
        (
            "as of a date, state = renewed",
            {"as_of": (datetime.date.today() - datetime.timedelta(days=200)).isoformat(), "state": "renewed"},
        ),
        (
            "everything together",
            {"state": "regular", "segment": segment.pk, "abc": "C", "overdue": "on", "sort": "-name"},
        ),
    ]
    ids = list(Client.objects.filter(organization=org).values_list("pk", flat=True))
    random.seed(1)
    for who, user in (("sales head (all clients)", head), ("manager (own clients)", manager)):
        web = WebClient()
        web.force_login(user)
        print(f"\n{who}")
        results = []
        for label, params in cases:
            value = median_ms(web, list_url, params)
            results.append(value)
            print(f"  list, {label:<32} {value:7.1f} ms")
        visible = (
            ids
            if user == head
            else list(Client.objects.filter(organization=org, manager=user).values_list("pk", flat=True))
        )
        card_times = [
            median_ms(web, reverse("clients:card", kwargs={"client_id": pk}), repeat=3)
            for pk in random.sample(visible, 15)
        ]
        print(f"  list, median over all filters      {statistics.median(results):7.1f} ms")
        print(
            f"  card, median over 15 clients       {statistics.median(card_times):7.1f} ms (max {max(card_times):.1f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--only", choices=["pages", "kpi", "history"], help="measure one part only")
    args = parser.parse_args()
    ensure_database()
    call_command("migrate", verbosity=0)
    org = Organization.objects.filter(slug=SLUG).first()
    if args.rebuild or org is None or Client.objects.filter(organization=org).count() != args.clients:
        org = build(args.clients, args.months)
    print(
        f"{Client.objects.filter(organization=org).count()} clients, "
        f"{Settlement.objects.filter(organization=org).count()} settlements"
    )
    setup_test_environment()
    for part, measure_part in (("pages", measure), ("kpi", measure_kpi), ("history", measure_history)):
        if args.only in (None, part):
            measure_part(org)


if __name__ == "__main__":
    main()
