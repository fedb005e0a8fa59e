"""Load on the public survey page: N concurrent respondents open their personal link and submit.

Creates a throw-away organization with N x ROUNDS clients and one NPS campaign in the database
given by DATABASE_URL, starts its own gunicorn on 127.0.0.1 (a free port), warms every worker up
with a few unmeasured answers (a production server is warm), and then runs N respondent threads
at once, starting within the first two seconds. Each respondent, ROUNDS times: GETs its link (the
form and the CSRF cookie), takes THINK seconds to read and choose (default 5-15 s, a person
answering one question on a phone), POSTs a random 0-10 score with a comment (0-6 opens a case in
the client's complaints, as in real use) and expects the redirect to the thank-you page. Prints
p50 / p95 / max latency of the submit (POST) and of the page (GET), the error count and the
request count, then stops the server and deletes the organization. Bounded: at most 1,000
respondents and a 180 s deadline.

    DATABASE_URL=postgres://... .venv/bin/python bench/loyalty_survey_load.py [--respondents 100]
        [--rounds 2] [--workers 3] [--threads 4] [--think 5-15]

The flood guard stays on with a limit above the bench's volume (the per-address counter is
still incremented on every request); the bench's settings module is bench/loyalty_bench_settings.py.
"""

import argparse
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SETTINGS = "loyalty_bench_settings"
BENCH_SLUG = "loyalty-load-bench"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DEADLINE_S = 180


def setup_django() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()


def build(count: int) -> list[str]:
    """A fresh organization with `count` clients and an NPS campaign; return the link tokens."""
    from clients.models import Client
    from crm_portal.models import Organization
    from loyalty import services

    Organization.objects.filter(slug=BENCH_SLUG).delete()
    organization = Organization.objects.create(name="Loyalty load bench", slug=BENCH_SLUG)
    Client.objects.bulk_create([Client(organization=organization, name=f"Bench client {i:04d}") for i in range(count)])
    campaign = services.campaign_start(organization=organization, kind="nps", name="Load bench NPS")
    return list(campaign.invitations.order_by("id").values_list("token", flat=True))


def results(tokens: list[str]) -> tuple[int, int]:
    """Answers stored for the measured links, and every case the bench's answers opened."""
    from clients.models import Complaint
    from loyalty.models import Response

    return (
        Response.objects.filter(invitation__token__in=tokens).count(),
        Complaint.objects.filter(organization__slug=BENCH_SLUG, source="survey").count(),
    )


def clean_up() -> None:
    from crm_portal.models import Organization

    Organization.objects.filter(slug=BENCH_SLUG).delete()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE=SETTINGS,
        CONN_MAX_AGE="60",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
    )
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "crm_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {process.returncode}") from None
            time.sleep(0.2)
    stop_server(process)
    raise SystemExit("gunicorn did not start in 30 s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # our own process group only
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class Respondent(threading.Thread):
    def __init__(self, port: int, tokens: list[str], think: tuple[float, float], start_at: float, seed: int):
        super().__init__(daemon=True)
        self.port, self.tokens, self.think, self.start_at = port, tokens, think, start_at
        self.rng = random.Random(seed)
        self.gets: list[float] = []
        self.posts: list[float] = []
        self.errors: list[str] = []

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            began = time.perf_counter()
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            content = response.read()
            return response.status, response.getheader("Set-Cookie") or "", content, time.perf_counter() - began
        finally:
            connection.close()

    def run(self) -> None:
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        for token in self.tokens:
            try:
                self.answer(token)
            except Exception as error:  # any failure is one error of the run
                self.errors.append(f"{type(error).__name__}: {error}")

    def answer(self, token: str) -> None:
        path = f"/loyalty/s/{token}/"
        status, cookie, content, elapsed = self.request("GET", path, headers={"Accept-Language": "ru"})
        self.gets.append(elapsed)
        if status != 200:
            self.errors.append(f"GET {status}")
            return
        csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie)
        csrf_field = CSRF_FIELD.search(content.decode())
        if not (csrf_cookie and csrf_field):
            self.errors.append("no CSRF token")
            return
        time.sleep(self.rng.uniform(*self.think))
        body = urlencode(
            {"csrfmiddlewaretoken": csrf_field.group(1), "score": self.rng.randint(0, 10), "why": "Load bench answer"}
        )
        status, _cookie, _content, elapsed = self.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie.group(1)}",
                "Accept-Language": "ru",
            },
        )
        self.posts.append(elapsed)
        if status != 302:
            self.errors.append(f"POST {status}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2, help="links answered by each respondent in turn")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", default="5-15", help="seconds between opening and submitting")
    args = parser.parse_args()
    respondents = max(1, min(args.respondents, 1000))
    rounds = max(1, min(args.rounds, 10))
    think = tuple(float(x) for x in args.think.split("-"))
    setup_django()
    warm = 2 * args.workers * args.threads
    all_tokens = build(respondents * rounds + warm)
    warm_tokens, tokens = all_tokens[:warm], all_tokens[warm:]
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    try:
        warmers = [Respondent(port, [t], (0.0, 0.0), time.monotonic(), seed=-i) for i, t in enumerate(warm_tokens)]
        for thread in warmers:
            thread.start()
        for thread in warmers:
            thread.join(timeout=60)
        seeds = random.Random(0)
        start_at = time.monotonic() + 1.0
        threads = [
            Respondent(port, tokens[i::respondents], think, start_at + seeds.uniform(0, 2), seed=i)
            for i in range(respondents)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, start_at + DEADLINE_S - time.monotonic()))
        wall = time.monotonic() - start_at
        unfinished = sum(1 for t in threads if t.is_alive())
    finally:
        stop_server(server)
    gets = [x for t in threads for x in t.gets]
    posts = [x for t in threads for x in t.posts]
    errors = [e for t in threads for e in t.errors] + ["unfinished respondent"] * unfinished
    stored, cases = results(tokens)
    clean_up()
    ms = 1000.0
    print(
        f"respondents (concurrent): {respondents}, links answered each: {rounds}, "
        f"server: gunicorn {args.workers} workers x {args.threads} threads, think {args.think} s"
    )
    print(f"requests: {len(gets) + len(posts)} ({len(gets)} GET, {len(posts)} POST) in {wall:.1f} s")
    print(
        f"submit (POST) latency ms: p50 {percentile(posts, 0.5) * ms:.0f}, p95 {percentile(posts, 0.95) * ms:.0f}, "
        f"max {max(posts, default=float('nan')) * ms:.0f}"
    )
    print(
        f"page (GET) latency ms:    p50 {percentile(gets, 0.5) * ms:.0f}, p95 {percentile(gets, 0.95) * ms:.0f}, "
        f"max {max(gets, default=float('nan')) * ms:.0f}"
    )
    print(f"errors: {len(errors)}" + (f" (first: {errors[:3]})" if errors else ""))
    print(
        f"answers stored: {stored} of {len(tokens)} (+{len(warm_tokens)} warm-up); "
        f"cases opened from low scores: {cases}"
    )
    if len(errors) or percentile(posts, 0.95) > 0.2:
        sys.exit(1)


if __name__ == "__main__":
    main()
