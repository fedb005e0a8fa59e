"""Load the demo data: two organizations, their logins, and each app's demo records.

Safe to run again: every step brings the data back to the same state instead of duplicating it.
Each app contributes through an optional `<app>.demo.seed(organization=..., users=..., size=...)`.
"""

import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand

from crm_portal.demo import DEMO_PASSWORD, DEMO_USERS, seed_core

APP_ORDER = ["clients", "segmentation", "loyalty", "diagnostics"]


def app_seeders() -> list:
    seeders = []
    for label in APP_ORDER:
        if not apps.is_installed(label):
            continue
        try:
            module = importlib.import_module(f"{label}.demo")
        except ModuleNotFoundError as missing:
            if missing.name != f"{label}.demo":
                raise
            continue
        seeders.append((label, module.seed))
    return seeders


class Command(BaseCommand):
    help = "Create or refresh the demo organizations, users and data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--small", action="store_true", help="A small data set (for tests and quick looks)."
        )

    def handle(self, *args, small: bool = False, **options):
        started = time.monotonic()
        organizations = seed_core()
        for index, (organization, users) in enumerate(organizations):
            # The second organization only has to prove isolation: it always gets the small set.
            size = "small" if small or index > 0 else "full"
            for label, seed in app_seeders():
                self.stdout.write(f"  {organization.slug}: {label} ({size})")
                seed(organization=organization, users=users, size=size)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s."))
        self.stdout.write("Demo logins (password %s): %s" % (DEMO_PASSWORD, ", ".join(DEMO_USERS)))
