"""Load: sales heads opening the dashboard and drilling down, managers working their home page and
"my day", over HTTP against gunicorn, on three organizations of 100,000 clients each (PostgreSQL).

    DATABASE_URL=postgres://crm:crm-test@127.0.0.1:5432/crm_bench_load \\
        .venv/bin/python bench/dashboard_load.py [--orgs 3] [--clients 100000] [--heads 50]
        [--managers 50] [--seconds 120] [--workers 4] [--think 1,5] [--only heads|managers]

The organizations are built once with COPY (`clients_pages.build`: 24 months of settlements, 20
managers of 5,000 clients each) and reused on later runs. Each run empties the cache (Redis db 8,
which the portal then uses as its production cache), starts gunicorn with the production settings
and then runs two scenarios, each bounded in time:

  * heads: `--heads` concurrent sales heads, spread over the organizations, each signed in through
    the login form, then in a loop: the dashboard with a random period (a preset or a custom range)
    and random filters (none, a manager, a segment, a product, an ABC or XYZ class, or two of
    them), then half of the time a drill-down (the clients behind a figure, or the deals that
    reached a funnel stage) under the same filters;
  * managers: `--managers` concurrent managers (5,000 clients each), alternating their home page
    and "my day".

Each person reads a page for 1 to 5 seconds (`--think`, as locust's `between(1, 5)`) before the next
request; `--think 0,0` sends every request as soon as the last one is answered. The load threads run on the same two cores as
gunicorn and PostgreSQL. A request slower than 120 s counts as an error. Prints, per kind of
request, the count, the median, p95, p99 and the maximum, and the errors.

Measured 2026-12-02 on the 2-core machine: 3 organizations x (100,000 clients, 2.4 M settlements,
20,000 deals), PostgreSQL 15 with its default settings, gunicorn with 4 sync workers, think 1-5 s:
    50 sales heads, 120 s: dashboard median 97.8 s, p95 120 s (19 of 62 timed out at 120 s);
        clients behind a figure median 73.7 s, deals of a stage 55.4 s; 0.8 requests/s, 23 errors.
        A dashboard computed for a new period or filter costs about 4 s of a core (three periods'
        KPIs over 100,000 clients' month facts), and random filters rarely meet the cache.
    50 managers of 5,000 clients, 120 s, before the day page's count of given points read its
        manager's clients by a subquery: home median 3.7 s, p95 6.7 s; my day 4.4 s, p95 7.4 s;
        7.4 requests/s. After (90 s): home median 0.82 s, p95 1.73 s; my day 0.86 s, p95 1.43 s;
        12.6 requests/s, 0 errors. One request alone: home 75 ms, my day 120 ms (was 273 ms).
"""

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DATABASE_URL", "postgres://crm:crm-test@127.0.0.1:5432/crm_bench_load")

import clients_pages  # noqa: E402  (sets Django up on DATABASE_URL)
from clients_pages import build, ensure_database  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import PBKDF2PasswordHasher  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.urls import reverse  # noqa: E402

from clients.lifecycle import month_end, months_before  # noqa: E402
from clients.models import STAGE_ORDER, Client, Deal, Product, RefusalReason, Segment  # noqa: E402
from crm_portal.models import Membership, Organization, Role  # noqa: E402

HOST, PORT = "127.0.0.1", 8765
CACHE_URL = "redis://127.0.0.1:6379/8"
PASSWORD = "bench-load-password"
TIMEOUT = 120
PRESETS = ["month", "last_month", "quarter", "last_quarter", "year", "last_12"]


def organizations(count: int, n_clients: int) -> list[Organization]:
    orgs = []
    for number in range(1, count + 1):
        slug = f"load-{number}"
        org = Organization.objects.filter(slug=slug).first()
        if org is None or Client.objects.filter(organization=org).count() != n_clients:
            org = build(n_clients, 24, slug=slug, name=f"Load Trading {number}", seed=number)
        if not Deal.objects.filter(organization=org).exists():
            add_deals(org)
        orgs.append(org)
    return orgs


def add_deals(org: Organization) -> None:
    """A deal for every fifth client, opened within the last two years by its manager: its stage
    reached by one move a stage, 60 % still open, the rest won or refused (for a price)."""
    reason = RefusalReason.objects.create(organization=org, name="Price")
    stages = "ARRAY[" + ", ".join(f"'{stage}'" for stage in STAGE_ORDER) + "]"
    with clients_pages.connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO clients_deal (title, amount, stage, status, refusal_note, created_at, updated_at,
                                      client_id, manager_id, organization_id, refusal_reason_id)
            SELECT 'Deal ' || c.id, round((random() * 500000)::numeric, 2), s.stage, s.status, '', s.opened,
                   s.opened, c.id, c.manager_id, c.organization_id,
                   CASE WHEN s.status = 'refused' THEN %(reason)s END
            FROM clients_client c, LATERAL (
                SELECT ({stages})[1 + floor(random() * {len(STAGE_ORDER)})::int] AS stage,
                       CASE WHEN random() < 0.6 THEN 'open' WHEN random() < 0.5 THEN 'won' ELSE 'refused' END
                           AS status,
                       now() - random() * interval '700 days' AS opened, c.id AS client
            ) s
            WHERE c.organization_id = %(org)s AND c.id %% 5 = 0
            """,
            {"org": org.pk, "reason": reason.pk},
        )
        for position, stage in enumerate(STAGE_ORDER):
            kind, previous = ("created", "") if position == 0 else ("moved", STAGE_ORDER[position - 1])
            cursor.execute(
                """
                INSERT INTO clients_dealevent (kind, from_stage, to_stage, note, date, created_at, author_id,
                                               deal_id, organization_id)
                SELECT %(kind)s, %(previous)s, %(stage)s, '', (d.created_at + %(position)s * interval '9 days')::date,
                       d.created_at, d.manager_id, d.id, d.organization_id
                FROM clients_deal d
                WHERE d.organization_id = %(org)s AND array_position(%(order)s, d.stage) > %(position)s
                """,
                {
                    "kind": kind,
                    "previous": previous,
                    "stage": stage,
                    "position": position,
                    "org": org.pk,
                    "order": STAGE_ORDER,
                },
            )
        cursor.execute("ANALYZE clients_deal, clients_dealevent")


def accounts(orgs: list[Organization], heads: int) -> tuple[list[dict], list[dict]]:
    """The sales heads (made here, as many as asked, spread over the organizations) and the
    managers, each with what a request needs: username, and for heads the filters to choose from."""
    User = get_user_model()
    head_accounts, manager_accounts = [], []
    for index in range(heads):
        org = orgs[index % len(orgs)]
        user, created = User.objects.get_or_create(username=f"{org.slug}-head-{index}")
        if created:
            Membership.objects.create(user=user, organization=org, role=Role.SALES_HEAD)
        head_accounts.append({"username": user.username, "org": org})
    for org in orgs:
        options = {
            "manager": list(
                Membership.objects.filter(organization=org, role=Role.MANAGER).values_list("user_id", flat=True)
            ),
            "segment": list(Segment.objects.filter(organization=org).values_list("pk", flat=True)),
            "product": list(Product.objects.filter(organization=org).values_list("pk", flat=True)),
            "abc": ["A", "B", "C", "-"],
            "xyz": ["X", "Y", "Z", "-"],
        }
        for account in head_accounts:
            if account["org"] == org:
                account["options"] = options
        for user in User.objects.filter(memberships__organization=org, memberships__role=Role.MANAGER):
            manager_accounts.append({"username": user.username, "org": org})
    # Hashed as production hashes (the test settings this process runs with hash fast, with MD5).
    hasher = PBKDF2PasswordHasher()
    for user in User.objects.filter(username__in=[a["username"] for a in head_accounts + manager_accounts]):
        if not (user.password.startswith(hasher.algorithm) and hasher.verify(PASSWORD, user.password)):
            user.password = hasher.encode(PASSWORD, hasher.salt())
            user.save(update_fields=["password"])
    return head_accounts, manager_accounts


class Session:
    """One signed-in person over plain HTTP, as a browser behind the TLS proxy would be."""

    def __init__(self, username: str):
        self.cookies: dict[str, str] = {}
        page = self.get("/accounts/login/")[1]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}),
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"{username} could not sign in ({status})")

    def get(self, path: str, params: dict | None = None) -> tuple[int, str]:
        return self.request("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""))

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=TIMEOUT)
        headers = {
            "Host": f"{HOST}:{PORT}",
            "X-Forwarded-Proto": "https",  # the proxy's word: the production settings want HTTPS
            "Referer": f"https://{HOST}:{PORT}/accounts/login/",
            "Origin": f"https://{HOST}:{PORT}",
            "Accept-Language": random.choice(["ru", "en"]),
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, text
        finally:
            connection.close()


def random_filters(options: dict) -> dict:
    names = random.choice([[], [], ["manager"], ["segment"], ["product"], ["abc"], ["xyz"], ["manager", "segment"]])
    names += random.choice([[], [], ["abc", "xyz"]]) if not names else []
    return {name: random.choice(options[name]) for name in names}


def random_period(today) -> dict:
    if random.random() < 0.8:
        return {"period": random.choice(PRESETS)}
    first = months_before(today.replace(day=1), random.randint(1, 20))
    last = month_end(months_before(first, -random.randint(0, 5)))
    return {"period": "custom", "start": first.isoformat(), "end": min(last, today).isoformat()}


def head_steps(account: dict, today) -> list[tuple[str, str, dict]]:
    wanted = random_filters(account["options"]) | random_period(today)
    steps = [("dashboard", reverse("clients:dashboard"), wanted)]
    if random.random() < 0.5:
        filters = {k: v for k, v in wanted.items() if k in ("manager", "segment", "product", "abc", "xyz")}
        if random.random() < 0.5:
            first, last = today.replace(day=1), today
            event = random.choice(["bought", "first_sale", "repeat_sale", "lost", "restored"])
            steps.append(
                ("drill: clients", reverse("clients:list"), filters | {"event": event, "start": first, "end": last})
            )
        else:
            stage = random.choice(STAGE_ORDER)
            steps.append(("drill: deals", reverse("clients:deals"), {"reached": stage}))
    return steps


def manager_steps(account: dict, today) -> list[tuple[str, str, dict]]:
    return [("home", reverse("home"), {}), ("my day", reverse("clients:my_day"), {})]


def run(accounts_: list[dict], steps, seconds: float, think: tuple[float, float]) -> dict[str, list]:
    """Each account in a thread of its own until `seconds` pass, reading each page for a random
    `think` time (seconds, from, to) before the next; {kind: [(seconds, status)]}."""
    import datetime

    today = datetime.date.today()
    results: dict[str, list] = {}
    lock = threading.Lock()
    sessions = [Session(account["username"]) for account in accounts_]  # signing in is not measured
    deadline = time.monotonic() + seconds

    def user(account: dict, session: Session) -> None:
        while time.monotonic() < deadline:
            for kind, path, params in steps(account, today):
                started = time.monotonic()
                try:
                    status = session.get(path, params)[0]
                except OSError as error:  # a timeout, a refused connection
                    status = type(error).__name__
                with lock:
                    results.setdefault(kind, []).append((time.monotonic() - started, status))
                time.sleep(random.uniform(*think))

    threads = [threading.Thread(target=user, args=pair) for pair in zip(accounts_, sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(title: str, results: dict[str, list], seconds: float) -> None:
    print(f"\n{title}")
    print(f"  {'request':<16}{'count':>7}{'median':>10}{'p95':>10}{'p99':>10}{'max':>10}{'errors':>8}")
    everything = []
    for kind, rows in sorted(results.items()):
        everything += rows
        _line(kind, rows)
    _line("all", everything)
    print(f"  {len(everything) / seconds:.1f} requests/s over {seconds:.0f} s")


def _line(kind: str, rows: list) -> None:
    times = sorted(t * 1000 for t, _ in rows)
    errors = sum(1 for _, status in rows if status != 200)
    quantiles = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
    print(
        f"  {kind:<16}{len(times):>7}{statistics.median(times):>8.0f}ms{quantiles[94]:>8.0f}ms"
        f"{quantiles[98]:>8.0f}ms{times[-1]:>8.0f}ms{errors:>8}"
    )


def serve(workers: int) -> subprocess.Popen:
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "crm_portal.settings.production",
        "SECRET_KEY": "bench-load-not-a-secret-" + "x" * 40,
        "ALLOWED_HOSTS": HOST,
        "CELERY_BROKER_URL": CACHE_URL,
        "CACHE_URL": CACHE_URL,
        "STATIC_ROOT": str(ROOT / "bench" / "out" / "static"),
    }
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "crm_portal.wsgi", "-w", str(workers), "-b", f"{HOST}:{PORT}"]
        + ["--timeout", str(TIMEOUT + 30), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(120):
        try:
            connection = http.client.HTTPConnection(HOST, PORT, timeout=5)
            connection.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--heads", type=int, default=50)
    parser.add_argument("--managers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--think", default="1,5", help="seconds a person reads a page, from,to (locust's between(1, 5))"
    )
    parser.add_argument("--only", choices=["heads", "managers"], help="run one scenario only")
    args = parser.parse_args()
    think = tuple(float(x) for x in args.think.split(","))
    ensure_database()
    call_command("migrate", verbosity=0)
    orgs = organizations(args.orgs, args.clients)
    heads, managers = accounts(orgs, args.heads)
    random.shuffle(managers)
    import redis

    redis.Redis.from_url(CACHE_URL).flushdb()
    server = serve(args.workers)
    try:
        print(
            f"{args.orgs} organizations of {args.clients} clients; gunicorn with {args.workers} sync workers;"
            f" {clients_pages.connection.vendor}"
        )
        if args.only != "managers":
            report(
                f"{args.heads} sales heads, dashboard and drill-downs, {args.seconds:.0f} s",
                run(heads, head_steps, args.seconds, think),
                args.seconds,
            )
        if args.only != "heads":
            report(
                f"{args.managers} managers of {args.clients // clients_pages.MANAGERS:,} clients, home and my day, {args.seconds:.0f} s",
                run(managers[: args.managers], manager_steps, args.seconds, think),
                args.seconds,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


if __name__ == "__main__":
    main()
