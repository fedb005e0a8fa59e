"""The security baseline: hashing, login throttling, CSRF, CSP, no outside hosts, admin scoping."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from crm_portal.models import Job, Membership, Role

ROOT = Path(settings.BASE_DIR)


def test_argon2_is_the_first_hasher():
    from crm_portal.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_five_failures_lock_the_login_for_that_address(django_user_model):
    django_user_model.objects.create_user("victim", password="right-password-1")
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "victim", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    locked = client.post(reverse("login"), {"username": "victim", "password": "right-password-1"})
    assert locked.status_code == 429
    elsewhere = Client(REMOTE_ADDR="10.2.2.2").post(
        reverse("login"), {"username": "victim", "password": "right-password-1"}
    )
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_escape_the_lockout(django_user_model):
    django_user_model.objects.create_user("victim", password="right-password-1")
    for n in range(5):
        response = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
            reverse("login"), {"username": "victim", "password": "wrong"}
        )
    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_lockout(django_user_model, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    django_user_model.objects.create_user("victim", password="right-password-1")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(5):
        response = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9").post(
            reverse("login"), {"username": "victim", "password": "wrong"}
        )
    assert response.status_code == 429
    # Only the entry our proxy appended counts: the client's own first entry changes nothing.
    again = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.8, 203.0.113.9").post(
        reverse("login"), {"username": "victim", "password": "right-password-1"}
    )
    assert again.status_code == 429
    other = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.10").post(
        reverse("login"), {"username": "victim", "password": "right-password-1"}
    )
    assert other.status_code == 302


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused(org_a, make_member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_member(org_a, Role.ADMIN))
    response = client.post(reverse("org:settings"), {"name": "Hacked", "lifecycle_period_months": 3})
    assert response.status_code == 403
    org_a.refresh_from_db()
    assert org_a.name == "Alpha Trade"


@pytest.mark.django_db
def test_pages_send_a_strict_csp_and_reference_no_outside_host(client_as, org_a):
    client = client_as(org_a, Role.ADMIN)
    for name in ["home", "jobs:list", "org:settings", "login"]:
        response = client.get(reverse(name))
        directives = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        html = response.content.decode()
        outside = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html)
        assert outside == [], (name, outside)
        assert "<script>" not in html  # no inline scripts: the CSP would block them


def test_no_template_or_static_file_references_a_cdn():
    offenders = []
    for folder in ["templates", "static", "crm_portal", "clients", "segmentation", "loyalty", "diagnostics"]:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".html", ".js", ".css"}:
                text = path.read_text(errors="ignore")
                if re.search(r"(src|href)=[\"'](https?:)?//", text) or "cdn." in text:
                    offenders.append(str(path))
    assert offenders == []


def test_every_model_of_ours_is_in_the_admin():
    ours = {"crm_portal", "clients", "segmentation", "loyalty", "diagnostics"}
    missing = [
        m.__name__
        for m in apps.get_models()
        if m._meta.app_label in ours and not m._meta.auto_created and m not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.django_db
def test_staff_admin_sees_only_their_organization(client, org_a, org_b, make_member):
    staff = make_member(org_a, Role.ADMIN)
    staff.is_staff = True
    staff.save()
    from django.contrib.auth.models import Permission

    staff.user_permissions.set(Permission.objects.filter(codename__in=["view_job", "view_membership"]))
    Job.objects.create(organization=org_a, kind="ours")
    foreign = Job.objects.create(organization=org_b, kind="theirs")
    make_member(org_b, Role.MANAGER, username="beta-person")
    client.force_login(staff)
    listing = client.get(reverse("admin:crm_portal_job_changelist")).content.decode()
    assert "ours" in listing and "theirs" not in listing
    assert client.get(reverse("admin:crm_portal_job_change", args=[foreign.pk])).status_code == 302
    members = client.get(reverse("admin:crm_portal_membership_changelist")).content.decode()
    assert "beta-person" not in members
    assert Membership.objects.filter(user__username="beta-person").exists()


def _production_check(**extra: str) -> subprocess.CompletedProcess:
    env = (
        {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "CRM_", "EMAIL_")) and k != "PORTAL_BASE_URL"
        }
        | {
            "DJANGO_SETTINGS_MODULE": "crm_portal.settings.production",
            "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
            "ALLOWED_HOSTS": "crm.example.com",
            "DATABASE_URL": "postgres://crm:secret@db.example.com:5432/crm",
            "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
        }
        | extra
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _production_check()
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_with_mail_needs_the_portal_s_address():
    """Links in e-mails must not point at http://127.0.0.1:8000 once a mail server is set."""
    refused = _production_check(EMAIL_HOST="smtp.example.com")
    assert refused.returncode != 0
    assert (
        "PORTAL_BASE_URL (the portal's https:// address) must be set in production when EMAIL_HOST is set"
        in refused.stderr
    )
    started = _production_check(EMAIL_HOST="smtp.example.com", PORTAL_BASE_URL="https://crm.example.com")
    assert started.returncode == 0, started.stdout + started.stderr


def test_production_refuses_to_start_without_its_variables():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "crm_portal.settings.production",
        "ALLOWED_HOSTS": "x",
        "CELERY_BROKER_URL": "redis://x",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


@pytest.mark.django_db
def test_error_pages_use_the_portal_look(client_as, org_a):
    client = client_as(org_a, Role.MANAGER)
    not_found = client.get("/no/such/page/")
    assert not_found.status_code == 404
    assert "belongs to another organization" in not_found.content.decode()
    forbidden = client.get(reverse("org:settings"))
    assert forbidden.status_code == 403
    assert "Your role does not open this page" in forbidden.content.decode()
