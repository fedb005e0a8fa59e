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
    "clients/tests/test_services.py",
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
    "clients/tests/test_selectors.py",
    "clients/tests/test_services.py",
    "clients/tests/test_views.py",
    "segmentation/tests/test_services.py",
}


def pytest_collection_modifyitems(items):
    for item in items:
        path = Path(item.fspath).relative_to(ROOT).as_posix()
        if path in DATE_SENSITIVE:
            item.add_marker(pytest.mark.dates)
        if path in DATABASE_SPECIFIC:
            item.add_marker(pytest.mark.databases)


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


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the configured broker, reading the test database."""
    from crm_portal.celery import app

    with django_db_blocker.unblock():
        env = _worker_env()
    app.control.purge()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"celery-worker-{Path(env['CRM_WORKER_DB_NAME']).name}.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm_portal", "worker", "--pool=solo",
         "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}; see {log.name}")
        if b"ready." in log_path.read_bytes():
            break
        time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError("the worker did not become ready in 60 s")
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


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
