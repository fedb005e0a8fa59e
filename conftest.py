"""Fixtures shared by every app's tests: organizations, members per role, a real Celery worker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from crm_portal.models import Membership, Organization, Role

ROOT = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts"

# The modules whose results turn on "today" (demo data, lifecycle, KPIs, metrics, control points,
# campaigns, reminders): `make test` reruns them under shifted clocks (`-m dates`, see scripts/test.sh).
DATE_SENSITIVE = {
    "clients/tests/test_development.py",
    "clients/tests/test_jobs.py",
    "clients/tests/test_kpis.py",
    "clients/tests/test_lifecycle.py",
    "clients/tests/services/",
    "loyalty/tests/test_demo.py",
    "loyalty/tests/test_ledger.py",
    "loyalty/tests/test_mailing.py",
    "loyalty/tests/test_metric_runs.py",
    "loyalty/tests/test_metrics.py",
    "loyalty/tests/test_surveys.py",
}


# The modules that exercise SQL written by hand or storage paths that differ per database:
# `make test` runs them on SQLite too (`-m databases`), the default database of `make run`.
DATABASE_SPECIFIC = {
    "clients/tests/test_kpis.py",
    "clients/tests/selectors/",
    "clients/tests/services/",
    "clients/tests/test_views.py",
    "segmentation/tests/test_services.py",
}


def pytest_collection_modifyitems(items):
    for item in items:
        path = Path(item.fspath).relative_to(ROOT).as_posix()
        if _listed(path, DATE_SENSITIVE):
            item.add_marker(pytest.mark.dates)
        if _listed(path, DATABASE_SPECIFIC):
            item.add_marker(pytest.mark.databases)


def _listed(path: str, entries: set[str]) -> bool:
    """A test module named in the set, or one inside a folder named there (ending with "/")."""
    return path in entries or any(entry.endswith("/") and path.startswith(entry) for entry in entries)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used the session's worker shows the end of the worker's log (CI keeps no files)."""
    report = yield
    worker = getattr(item, "funcargs", {}).get("celery_worker")
    if report.failed and worker is not None and getattr(worker, "log_path", None):
        tail = worker.log_path.read_text(errors="replace").splitlines()[-60:]
        report.sections.append(("celery worker log (last 60 lines)", "\n".join(tail)))
    return report


@pytest.fixture(autouse=True)
def _language_of_each_test_is_its_own():
    """A request in Russian leaves Russian active in this thread: give the next test the default back."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def org_a(db) -> Organization:
    return Organization.objects.create(name="Alpha Trade", slug="alpha")


@pytest.fixture
def org_b(db) -> Organization:
    return Organization.objects.create(name="Beta Service", slug="beta")


@pytest.fixture
def make_member(db):
    """make_member(org, role, username=None) -> User with that role in that organization."""
    counter = {"n": 0}

    def make(organization: Organization, role: str, username: str | None = None):
        counter["n"] += 1
        name = username or f"{role}-{organization.slug}-{counter['n']}"
        user = get_user_model().objects.create_user(username=name, password="pw-" + name)
        Membership.objects.create(user=user, organization=organization, role=role)
        return user

    return make


@pytest.fixture
def client_as(client, make_member):
    """client_as(org, role) -> a Django test client logged in as a new member with that role."""

    def login(organization: Organization, role: str = Role.ADMIN):
        client.force_login(make_member(organization, role))
        return client

    return login


def _worker_env() -> dict:
    from django.db import connection

    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "crm_portal.settings.test"
    env["CRM_WORKER_DB_NAME"] = str(connection.settings_dict["NAME"])
    return env


def worker_start(env: dict, log_name: str, *extra: str) -> subprocess.Popen:
    """Start a `celery worker` (solo pool) with this environment; return once it is ready."""
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"celery-worker-{log_name}.log"
    with open(log_path, "ab") as log:
        started_at = log.tell()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crm_portal",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}; see {log_path}")
        if b"ready." in log_path.read_bytes()[started_at:]:
            process.log_path = log_path
            return process
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("the worker did not become ready in 60 s")


def worker_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the configured broker, reading the test database."""
    from crm_portal.celery import app

    with django_db_blocker.unblock():
        env = _worker_env()
    app.control.purge()
    process = worker_start(env, Path(env["CRM_WORKER_DB_NAME"]).name)
    yield process
    worker_stop(process)


@pytest.fixture
def wait_for():
    """wait_for(predicate, timeout=30) polls until `predicate()` is truthy and returns it."""

    def poll(predicate, timeout: float = 30.0, interval: float = 0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        pytest.fail(f"condition not met within {timeout} s")

    return poll
