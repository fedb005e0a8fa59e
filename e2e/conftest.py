"""Browser tests: Playwright (Python) driving Debian's Chromium against a live test server.

Fixtures: `page` (an English desktop page, demo data loaded), `new_page(locale=..., phone=...)`,
`login(page, username)` and `shot(page, name)`, which saves a screenshot under test-artifacts/.
"""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
DEMO_PASSWORD = "portal-demo"
# Parsing the 4.8 MB Plotly bundle takes seconds on a loaded 2-core machine: a chart or a
# polled status gets 20 s by default instead of Playwright's 5 s.
expect.set_options(timeout=20_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
            headless=True,
        )
        yield browser
        browser.close()


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", small=True, verbosity=0)


@pytest.fixture
def new_page(browser, live_server, demo_data):
    contexts = []

    def make(locale: str = "en-US", phone: bool = False):
        options = {"locale": locale, "base_url": live_server.url}
        options["viewport"] = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 900}
        if phone:
            options |= {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        # Any console error (a CSP violation, a missing file) fails the test that caused it.
        page.errors = []
        page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    page = new_page()
    yield page
    assert page.errors == [], page.errors


@pytest.fixture
def login():
    def do(page, username: str, password: str = DEMO_PASSWORD):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("#login-submit")
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        return page

    return do


@pytest.fixture
def shot(request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def reload_after_check(page) -> None:
    """Reload a dataset page whose check the test ran itself; the page may see the check finished
    and reload itself first, which aborts this reload: either way the next expectation waits."""
    try:
        page.reload()
    except PlaywrightError:
        pass
