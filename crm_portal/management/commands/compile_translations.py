"""Compile every .po file of the project into .mo, in pure Python.

Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine may lack;
polib does the same job with nothing to install but a wheel.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand

SKIP = {".venv", "var", "node_modules", ".git"}


def po_files(root: Path) -> list[Path]:
    found = []
    for po in root.rglob("locale/*/LC_MESSAGES/*.po"):
        if not SKIP.intersection(po.relative_to(root).parts):
            found.append(po)
    return sorted(found)


class Command(BaseCommand):
    help = "Compile the project's translation catalogues (.po -> .mo) without gettext."

    def handle(self, *args, **options):
        compiled = 0
        for po in po_files(Path(settings.BASE_DIR)):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            polib.pofile(str(po)).save_as_mofile(str(mo))
            compiled += 1
        self.stdout.write(f"Translations: {compiled} catalogue(s) compiled.")
