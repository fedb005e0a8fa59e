"""Import speed and memory: 1,000,000 settlements for 50,000 new clients, through the portal's own import.

Uses the files of bench/segmentation_bench.py under bench/out/ (git-ignored; built if missing):
  * the long .xlsx, 1,000,000 settlements (client, date, amount, product) of 50,000 clients;
  * the wide .xlsx, 100,000 clients x 24 months.
Each run imports the long file into a new organization in a process of its own, with
`segmentation.services.dataset_import`, the body of the import job (read and check the file, then
write the clients and the settlements in one transaction; the file is 26 MB, so the web upload
limit is raised for the run), and prints the time to read and check the file (until the import
reports that it writes), the time to write, and the process's peak memory (max RSS). The
organization is removed after each run. Then it times `manage.py abcxyz` on the wide file.
Prints the medians of N runs (default 3).

    DATABASE_URL=postgres://crm:crm-test@127.0.0.1:5432/crm_bench_import \\
        .venv/bin/python bench/import_bench.py [--runs 3] [--skip-import] [--skip-abcxyz]

The database named by DATABASE_URL is created (and migrated) if it does not exist.

Measured 2026-12-01 on the shared 2-core machine (load average 1.3-2.7 from other work; this CPU
runs `import pandas` in 1.1 s of CPU), PostgreSQL 15 with its default settings:
    import, median of 3: read + check 6.7 s, write 57.8 s, total 64.2 s, peak 497 MB
        (before COPY, the same path: read + check 7.3 s, write 167 s, total 175 s, peak 790 MB)
    since the import also rewrites its 50,000 clients' lifecycle histories and month facts (issue 12),
        in slices of 10,000 clients, 2026-12-02, 1 run: read + check 6.3 s, write 102.6 s, total 108.9 s,
        peak 617 MB (1,012 MB in one pass)
    abcxyz on the wide file, median of 3: 7.32 s, peak 330 MB (7.3 s of CPU: the command is CPU-bound)
    2026-12-02, median of 3, after dropping the settlement indexes the composite ones cover, indexing
        products and deals only where set, no database check of the settlement's (and the derived
        lifecycle changes') organization, and writing new clients' histories from the file in memory:
        read + check 6.5 s, write 67.9 s, total 74.5 s (runs 74.5, 82.3, 69.7), peak 586 MB
        (a profile of one run: settlements COPY 15.4 s, month facts and lifecycle changes COPY 18.4 s,
        commit 20.5 s (the foreign-key checks of client and product, one per row), states 3.3 s)
    2026-12-02 (later), after the import lets the sheet, the check's tables and the file's columns go
        before it writes the histories: median of 3, read + check 6.9 s, write 78.2 s, total 85.0 s,
        peak 474 MB (runs 473.9, 474.0, 473.8); the code before, measured right after in the same
        state of the machine: total 84.5 s, peak 594 MB. (The same code took 64.0 s, peak 587 MB, in
        the morning on a quieter database: the figures move by a quarter with the machine's state.)
    The floor of the write, measured with psql on 1,000,000 rows of the settlement's shape: COPY
        into a table without indexes 3.2 s; with the three indexes the reads need, 14.3 s on input
        sorted by client (338 MB of WAL); their deferred foreign-key checks (client, product) 17 s
        more at commit.
The write is the database's own work: COPY of 1,000,000 rows into clients_settlement (4 indexes)
and, at commit, one foreign-key check per row and key (client, product).
    2026-12-02 (evening), with the KPI cube kept by the import (the new clients' shares added after
        their facts), 1 run each on the same fresh database: total 71.2 s (read + check 5.1 s,
        write 66.0 s), peak 474 MB; the code before the cube: 62.0 s, peak 474 MB
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_portal.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://crm:crm-test@127.0.0.1:5432/crm_bench_import")
os.environ.setdefault("MEDIA_ROOT", str(OUT / "media"))
os.environ["UPLOAD_MAX_BYTES"] = str(64 * 1024 * 1024)

from segmentation_bench import build_long, build_wide, timed_command  # noqa: E402

LONG = OUT / "segmentation_long_1m.xlsx"
WIDE = OUT / "segmentation_wide_100k.xlsx"
SLUG = "bench-import"
WRITING = "Importing into the client register"  # the progress message the import sends before it writes


def import_once() -> None:
    """Import the long file in this process; print the timings and the peak memory as JSON."""
    import django

    django.setup()
    from django.core.files import File

    from crm_portal.models import Organization
    from segmentation import services
    from segmentation.models import Dataset

    organization = Organization.objects.create(name="Bench import", slug=SLUG)
    dataset = Dataset(
        organization=organization,
        token=f"bench{organization.pk}",
        name=LONG.name,
        size=LONG.stat().st_size,
        status=Dataset.Status.VALID,
    )
    with LONG.open("rb") as stream:
        dataset.file.save(LONG.name, File(stream), save=False)
    dataset.save()
    marks = {}
    started = time.perf_counter()

    def progress(percent, message=""):
        if str(message) == WRITING:
            marks["read"] = time.perf_counter() - started

    summary = services.dataset_import(dataset=dataset, match_by="name", on_missing="create", progress=progress)
    total = time.perf_counter() - started
    print(
        json.dumps(
            {
                "read": marks["read"],
                "write": total - marks["read"],
                "total": total,
                "summary": summary,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def timed_import() -> dict:
    result = subprocess.run([sys.executable, __file__, "--import-once"], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"the import failed: {result.stderr[-3000:]}")
    run = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {"clients_created": 50_000, "clients_matched": 0, "rows_skipped": 0, "settlements_created": 1_000_000}
    if run["summary"] != expected:
        raise SystemExit(f"unexpected import: {run['summary']}")
    return run


def remove_organizations() -> None:
    from django.db import connection

    from crm_portal.models import Organization

    ids = list(Organization.objects.filter(slug=SLUG).values_list("pk", flat=True))
    if ids:
        with connection.cursor() as cursor:
            # Django's collector would take minutes over a million settlements and 50,000 clients (the
            # import writes no other row about them than their histories and month facts): SQL first.
            tables = ("clients_settlement", "clients_statechange", "clients_clientmonth", "clients_client")
            for table in (*tables, "clients_product"):
                cursor.execute(f"DELETE FROM {table} WHERE organization_id = ANY(%s)", [ids])
        Organization.objects.filter(pk__in=ids).delete()
    with connection.cursor() as cursor:
        # The next run writes into tables without the dead rows of this one, as a first import would.
        cursor.execute("VACUUM ANALYZE clients_settlement, clients_statechange, clients_clientmonth, clients_client")
    shutil.rmtree(OUT / "media", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-abcxyz", action="store_true")
    parser.add_argument("--import-once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_once:
        return import_once()
    OUT.mkdir(parents=True, exist_ok=True)
    for path, build in ((LONG, build_long), (WIDE, build_wide)):
        if not path.exists():
            started = time.perf_counter()
            build(path)
            print(f"built {path.name}: {path.stat().st_size / 1048576:.1f} MB in {time.perf_counter() - started:.0f} s")
    if not args.skip_import:
        import django

        django.setup()
        from clients_pages import ensure_database
        from django.core.management import call_command
        from django.db import connection

        ensure_database()
        call_command("migrate", verbosity=0)
        remove_organizations()
        runs = []
        for number in range(1, args.runs + 1):
            runs.append(timed_import())
            remove_organizations()
            print(
                f"run {number}: " + ", ".join(f"{k} {runs[-1][k]:.1f}" for k in ("read", "write", "total", "peak_mb"))
            )
        print(
            f"\nimport of {LONG.name} ({LONG.stat().st_size / 1048576:.1f} MB, 1,000,000 settlements, 50,000 new clients)"
            f" into {connection.vendor}, median of {len(runs)}:"
        )
        for key, label in (
            ("read", "read + check s"),
            ("write", "write s"),
            ("total", "total s"),
            ("peak_mb", "peak MB"),
        ):
            print(
                f"  {label:<15}{statistics.median(r[key] for r in runs):>8.1f}   (runs: {', '.join(f'{r[key]:.1f}' for r in runs)})"
            )
    if not args.skip_abcxyz:
        times = [timed_command(WIDE, OUT / f"{WIDE.stem}-result.xlsx") for _ in range(args.runs)]
        print(
            f"\nabcxyz on {WIDE.name} (100,000 x 24), median of {len(times)}: {statistics.median(t for t, _ in times):.2f} s,"
            f" peak {max(m for _, m in times):.0f} MB   (runs: {', '.join(f'{t:.2f}' for t, _ in times)})"
        )


if __name__ == "__main__":
    main()
