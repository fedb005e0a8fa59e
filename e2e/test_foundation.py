"""A person's first minutes: sign in per role, see the home page, switch language, run a job, leave."""

import re

import pytest
from playwright.sync_api import expect

ROLES = {
    "demo-manager": ("manager", "Manager"),
    "demo-head": ("sales_head", "Sales head"),
    "demo-analyst": ("analyst", "Analyst"),
    "demo-admin": ("admin", "Administrator"),
}


@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_signs_in_sees_home_and_signs_out(page, login, shot, username):
    role, label = ROLES[username]
    login(page, username)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#panel-role")).to_have_attribute("data-role", role)
    expect(page.locator("#home-role")).to_have_text(label)
    expect(page.locator("h1")).to_have_text("Арома Трейд")
    shot(page, "home")
    organization_link = page.locator("#mainnav").get_by_role("link", name="Organization", exact=True)
    expect(organization_link).to_have_count(1 if role == "admin" else 0)
    page.click("#user-menu")
    page.click("#logout-button")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/"))


def test_russian_browser_gets_russian_pages_and_can_switch(new_page, login, shot):
    page = new_page(locale="ru-RU")
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#login-submit")).to_have_text("Войти")
    shot(page, "login-ru")
    login(page, "demo-manager")
    expect(page.locator("#home-role")).to_have_text("Менеджер")
    page.click("#language-switcher button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#home-role")).to_have_text("Manager")
    page.click("#language-switcher button[value=ru]")
    expect(page.locator("#home-role")).to_have_text("Менеджер")
    shot(page, "home-ru")
    assert page.errors == []


def test_english_browser_gets_english_login(page, shot):
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#login-submit")).to_have_text("Sign in")


def test_wrong_password_says_so(page):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "demo-manager")
    page.fill("input[name=password]", "not-the-password")
    page.click("#login-submit")
    expect(page.locator(".alert-danger, .invalid-feedback, .errorlist").first).to_contain_text(
        "correct username and password"
    )


def test_consultant_switches_organization(page, login, shot):
    login(page, "demo-consultant")
    expect(page.locator("h1")).to_have_text("Арома Трейд")
    page.select_option("#org-select", label="Northwind Services")
    expect(page.locator("h1")).to_have_text("Northwind Services")
    shot(page, "switched")


@pytest.mark.worker
def test_job_progress_reaches_the_page(page, login, shot, celery_worker):
    login(page, "demo-admin")  # only administrators start test jobs
    page.goto("/jobs/")
    page.fill("#id_steps", "4")
    page.click("#demo-job-form button")
    progress = page.locator(".job-progress")
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.locator(".job-progress .progress")).to_have_attribute("aria-valuenow", "100")
    shot(page, "job-done")
