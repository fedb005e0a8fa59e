"""Load the demo data: two organizations, their logins, and each app's demo records.

Safe to run again: every step brings the data back to the same state instead of duplicating it.
Each app contributes through an optional
`<app>.demo.seed(organization=..., users=..., size=..., today=..., language=...)`: `today` is the
date the data is built around (the real date here; tests pass their own), `language` the language
of its texts, with Django's active language set to it too (so what the services translate is stored
in it). The main organization speaks `--language` (Russian by default), the second one English.

An app may also have `<app>.demo.recompute(organization=..., size=..., today=..., background=...)`
for what the portal recomputes over the whole base as jobs (points, metrics): built around the real
date, the demo queues these for the worker that `make run` starts next, so the data is ready in
seconds and the figures follow within a minute; with `--no-worker` or `--today` they are computed
here (as of that date).
"""

import datetime
import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from crm_portal.demo import CONSULTANT, DEMO_PASSWORD, DEMO_USERS, seed_core
from crm_portal.models import Role

APP_ORDER = ["clients", "segmentation", "loyalty", "diagnostics"]
LANGUAGES = ("ru", "en")
# The second organization only proves isolation: English, whatever the main one speaks.
OTHER_LANGUAGE = "en"


def app_demos() -> list:
    demos = []
    for label in APP_ORDER:
        if not apps.is_installed(label):
            continue
        try:
            module = importlib.import_module(f"{label}.demo")
        except ModuleNotFoundError as missing:
            if missing.name != f"{label}.demo":
                raise
            continue
        demos.append((label, module))
    return demos


def demo_logins() -> dict[str, str]:
    """Every demo login of the main organization with its role, as the README lists them."""
    return {**DEMO_USERS, CONSULTANT: Role.ANALYST}


class Command(BaseCommand):
    help = "Create or refresh the demo organizations, users and data."
    # `make run` has just checked the project with `migrate`; checking again costs a second.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help="A small data set (for tests and quick looks).")
        parser.add_argument(
            "--language",
            choices=LANGUAGES,
            default="ru",
            help="The language of the main demo organization's data (default: ru).",
        )
        parser.add_argument(
            "--today", help="Build the data around this date (YYYY-MM-DD) instead of today; implies --no-worker."
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Compute the whole-base figures (points, metrics) here instead of queueing them for the worker.",
        )

    def handle(
        self,
        *args,
        small: bool = False,
        language: str = "ru",
        today: str | None = None,
        no_worker: bool = False,
        **options,
    ):
        try:
            day = datetime.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today takes a date as YYYY-MM-DD, not {today!r}.") from None
        started = time.monotonic()
        organizations = seed_core(language=language)
        queued = []
        for index, (organization, users) in enumerate(organizations):
            # The second organization only has to prove isolation: it always gets the small set.
            size = "small" if small or index > 0 else "full"
            speaks = language if index == 0 else OTHER_LANGUAGE
            with translation.override(speaks):
                for label, demo in app_demos():
                    self.stdout.write(f"  {organization.slug}: {label} ({size})")
                    demo.seed(organization=organization, users=users, size=size, today=day, language=speaks)
                for _label, demo in app_demos():
                    if hasattr(demo, "recompute"):
                        queued += demo.recompute(
                            organization=organization, size=size, today=day, background=not (today or no_worker)
                        )
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s."))
        if queued:
            self.stdout.write(
                f"Queued for the worker: {', '.join(dict.fromkeys(queued))} (the figures appear "
                "within a minute of its start)."
            )
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for username, role in demo_logins().items():
            note = " in both demo organizations" if username == CONSULTANT else ""
            self.stdout.write(f"  {username:<16} {Role(role).label}{note}")
