"""The newcomer's first run: how long `seed_demo` takes on a fresh SQLite database (the default run).

Migrates a fresh SQLite file once in a temporary folder (its own var/, so var/ of the checkout is
left alone), then N times (default 3) copies it and times `python manage.py seed_demo` end to end
as `make run` starts it (a new process: Django start-up included), and prints each run and the
median wall time, and the CPU time the command used (user + system: on a machine shared with
other work, the figure that does not grow with the load).

    .venv/bin/python bench/seed_demo.py [--runs 3] [--keep]

Measured 2026-12-01 on the shared 2-core machine (load average about 1), the full demo (2,000
clients; about 130,000 rows), before (commit 3f3cd8d) -> after:
    seed_demo             93.7 s wall, 94.6 s CPU (one run; 183.5 s at load 5)
                       -> 28.0 s wall, 28.0 s CPU (median; runs 28.0, 27.2, 28.0)
    `make run`, requirements installed, to the first page: about 52 s; the worker then computes
    the points and the metrics it was given in about 25 s (with --no-worker seed_demo takes 64 s).
What remains is mostly writing the rows (links of 31 survey rounds, settlements, answers) through
the ORM; the metric runs (16 s of CPU) are the largest recomputation.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def manage(args: list[str], env: dict) -> tuple[float, float]:
    """Run a management command; return its wall time and the CPU time (user + system) it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder (printed) to look at the data.")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="seed-demo-bench-"))
    migrated = folder / "migrated.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm_portal.settings.local",
        "CRM_VAR_DIR": str(folder / "var"),
        "DATABASE_URL": f"sqlite:///{migrated}",
    }
    env.pop("CELERY_BROKER_URL", None)
    try:
        print("migrate: %.1f s (CPU %.1f s)" % manage(["migrate", "--noinput"], env), flush=True)
        walls, cpus = [], []
        for run in range(options.runs):
            database = folder / f"run-{run}.sqlite3"
            shutil.copyfile(migrated, database)
            wall, cpu = manage(["seed_demo"], {**env, "DATABASE_URL": f"sqlite:///{database}"})
            walls.append(wall)
            cpus.append(cpu)
            print(f"seed_demo run {run + 1}: {wall:.1f} s (CPU {cpu:.1f} s)", flush=True)
        print(
            f"seed_demo median: {statistics.median(walls):.1f} s wall, {statistics.median(cpus):.1f} s CPU "
            f"(runs: {', '.join(f'{t:.1f}' for t in walls)})"
        )
    finally:
        if options.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
