"""Segmentation speed: the `abcxyz` command end to end, against pandas.read_excel(engine="openpyxl").

Builds under bench/out/ (git-ignored):
  * a wide .xlsx, 100,000 clients x 24 months;
  * a long .xlsx, 1,000,000 settlements (client, date, amount, product) of 50,000 clients.
Runs `python manage.py abcxyz FILE --out RESULT.xlsx --max-mb 64` on each (a 1,000,000-row .xlsx
is about 26 MB, above the 20 MB web upload limit), N times (default 3), and prints the
median wall time and the peak memory (max RSS of the command's process), then the median time
pandas.read_excel(engine="openpyxl") needs merely to read the same file, and the ratio.
Finally stores a 100,000-client run in the database given by DATABASE_URL (COPY on PostgreSQL)
and prints the median time of that, then removes it.

    DATABASE_URL=postgres://... .venv/bin/python bench/segmentation_bench.py [--runs 3] [--baseline-runs 3] [--skip-db]
        [--skip-files] [--only wide|long]

Measured 2026-11-24 on the shared 2-core machine (load average 3.5-4.5 from other work):
    file                    size MB  abcxyz median s  peak MB  openpyxl read s   ratio
    wide 100,000 x 24          17.0             4.47      362            45.45   10.2x   (runs: 4.40, 4.65, 4.47)
    long 1,000,000 rows        26.1             4.38      497            54.90   12.5x   (runs: 4.35, 4.38, 4.52)
    storing 100,000 classes of a run (PostgreSQL, COPY): median 1.32 s (runs: 1.47, 1.32, 1.27)
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_portal.settings.local")


def build_wide(path: Path, clients: int = 100_000, months: int = 24) -> None:
    from crm_portal.spreadsheets import Sheet, write_xlsx

    rng = np.random.default_rng(1)
    scale = rng.pareto(1.3, clients)[:, None] * 5_000 + 500
    amounts = np.round(scale * rng.gamma(4, 0.25, (clients, months)), 2)
    amounts[rng.random((clients, months)) < 0.1] = 0
    columns = [str(p) for p in pd.period_range("2023-01", periods=months, freq="M")]
    frame = pd.DataFrame(amounts, columns=columns)
    frame.insert(0, "Клиент", [f"C{i:06d}" for i in range(clients)])
    write_xlsx([Sheet.of_frame("Продажи", frame)], path)


def build_long(path: Path, rows: int = 1_000_000, clients: int = 50_000) -> None:
    """Written with XlsxWriter's shared strings, as Excel itself stores repeated text."""
    import xlsxwriter

    rng = np.random.default_rng(2)
    names = [f"C{i:06d}" for i in range(clients)]
    products = ["Чай", "Кофе", "Сахар", "Молоко", "Хлеб"]
    who = rng.integers(0, clients, rows)
    days = rng.integers(0, 730, rows)
    amounts = np.round(rng.gamma(2, 500, rows), 2)
    what = rng.integers(0, len(products), rows)
    start = pd.Timestamp("2023-01-01")
    dates = [(start + pd.Timedelta(days=int(d))).to_pydatetime() for d in range(730)]
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Оплаты")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Контрагент", "Дата", "Сумма", "Товар"])
    for row in range(rows):
        sheet.write_string(row + 1, 0, names[who[row]])
        sheet.write_datetime(row + 1, 1, dates[days[row]], date_format)
        sheet.write_number(row + 1, 2, amounts[row])
        sheet.write_string(row + 1, 3, products[what[row]])
    book.close()


def timed_command(source: Path, target: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `manage.py abcxyz` process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, "manage.py", "abcxyz", str(source), "--out", str(target), "-v", "0", "--max-mb", "64"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"abcxyz failed on {source}: {process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def timed_baseline(source: Path) -> float:
    code = f"import pandas as pd, time; t = time.perf_counter(); pd.read_excel({str(source)!r}, engine='openpyxl'); print(time.perf_counter() - t)"
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def bench_store(runs: int) -> list[float]:
    import django

    django.setup()
    from django.db import connection, transaction

    from crm_portal.models import Organization
    from segmentation.abcxyz import abc_xyz
    from segmentation.services import run_store

    rng = np.random.default_rng(3)
    wide = pd.DataFrame(
        rng.gamma(2, 500, (100_000, 24)),
        index=pd.Index([f"C{i:06d}" for i in range(100_000)]),
        columns=pd.period_range("2023-01", periods=24, freq="M"),
    )
    result = abc_xyz(wide)
    organization, _ = Organization.objects.get_or_create(slug="bench-segmentation", defaults={"name": "Bench"})
    times = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            with transaction.atomic():
                run_store(
                    organization=organization,
                    source="file",
                    dataset=None,
                    params={"a": 0.5, "b": 0.8},
                    as_of=pd.Timestamp.now().date(),
                    wide=wide,
                    result=result,
                )
            times.append(time.perf_counter() - started)
    finally:
        organization.delete()
    print(f"database: {connection.vendor}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--skip-db", action="store_true")
    parser.add_argument("--skip-files", action="store_true", help="Only the database part.")
    parser.add_argument("--only", choices=["wide", "long"], help="Only this file.")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    files = {
        "wide 100,000 x 24": OUT / "segmentation_wide_100k.xlsx",
        "long 1,000,000 rows": OUT / "segmentation_long_1m.xlsx",
    }
    builders = {"wide 100,000 x 24": build_wide, "long 1,000,000 rows": build_long}
    for label, path in files.items():
        if not path.exists():
            started = time.perf_counter()
            builders[label](path)
            print(f"built {path.name}: {path.stat().st_size / 1048576:.1f} MB in {time.perf_counter() - started:.1f} s")
    if args.skip_files:
        files = {}
    elif args.only:
        files = {label: path for label, path in files.items() if label.startswith(args.only)}
    print(f"\n{'file':<22}{'size MB':>9}{'abcxyz median s':>17}{'peak MB':>9}{'openpyxl read s':>17}{'ratio':>8}")
    for label, path in files.items():
        runs = [timed_command(path, OUT / f"{path.stem}-result.xlsx") for _ in range(args.runs)]
        median = statistics.median(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        baseline = (
            statistics.median(timed_baseline(path) for _ in range(args.baseline_runs))
            if args.baseline_runs
            else float("nan")
        )
        print(
            f"{label:<22}{path.stat().st_size / 1048576:>9.1f}{median:>17.2f}{peak:>9.0f}{baseline:>17.2f}{baseline / median:>7.1f}x"
            f"   (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})"
        )
    if not args.skip_db:
        times = bench_store(args.runs)
        print(
            f"storing 100,000 classes of a run: median {statistics.median(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)})"
        )


if __name__ == "__main__":
    main()
