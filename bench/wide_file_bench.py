"""A file as wide as Excel allows: the check's peak memory and time, the dataset page's size and render time.

Builds under bench/out/ (git-ignored) a .xlsx of 16,384 columns (XFD, Excel's last) x 200 client rows:
column A the client, B..XFD headed by months ("2024-01" ... "2025-12", over and over, so that every
column is recognised as a month and the check reports the months that repeat), whole amounts in every
cell (about 17 MB, under the 20 MB upload limit), and in 5 rows the text "unknown" far right (column 12,000 and the last one) so that the rejected rows
and the preview's columns with a problem are exercised.

Each measurement runs in a fresh process (so that its peak RSS is its own): Django is set up, an
organization, an analyst and the dataset are created in the database DATABASE_URL names, then
  * the check (`services.dataset_inspect`, as the worker's job runs it): wall time and peak RSS,
  * the dataset page (GET with the Django test client): bytes and render time, median of 3,
  * the rejected rows download: bytes and time,
and everything it created is deleted again. N runs (default 3); medians and the largest peak are printed.

    DATABASE_URL=postgres://... .venv/bin/python bench/wide_file_bench.py [--runs 3] [--rows 200] [--columns 16384]

Measured 2026-12-01 on the shared 2-core machine (other work running), 16,384 x 200, 16.6 MB:
    before  check 212 s, peak RSS 727 MB; page 15.5 MB, 33 s to render. (That run's bad cells read as
            "n/a", which the reader takes for blanks; with the "unknown" cells the check ran over 14 minutes
            and then failed: its rejected rows sheet had 16,386 columns, more than Excel allows.)
    after   check median 19.6 s (runs 18.7, 19.6, 19.9), of which reading ~3.5 s and writing the
            16,384-column rejected rows sheet ~11 s; peak RSS 426 MB, 174 MB of it before the check and
            ~230 MB the reader (calamine holds every cell); page 194 KB, 0.17 s; rejected rows 527 KB.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_portal.settings.test")
BAD_ROWS = (3, 40, 41, 120, 199)  # data rows (0-based) holding a text amount


def build(path: Path, rows: int, columns: int) -> None:
    """Written row by row with XlsxWriter's constant memory mode, as a generator would."""
    import xlsxwriter

    rng = np.random.default_rng(5)
    months = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)]
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Sales")
    sheet.write_row(0, 0, ["Client", *(months[i % len(months)] for i in range(columns - 1))])
    for row in range(rows):
        amounts = rng.integers(1, 5000, columns - 1).tolist()
        if row in BAD_ROWS:
            amounts[11_998 % (columns - 1)] = "unknown"
            amounts[-1] = "unknown"
        sheet.write_row(row + 1, 0, [f"Client {row:04d}", *amounts])
    book.close()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path) -> dict:
    """One run in this process: check, page, download; returns the figures."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.test import Client
    from django.urls import reverse

    from crm_portal.models import Membership, Organization, Role
    from segmentation import services
    from segmentation.models import Dataset

    settings.ALLOWED_HOSTS = ["testserver"]
    organization = Organization.objects.create(name="Bench wide file", slug=f"bench-wide-{os.getpid()}")
    user = get_user_model().objects.create_user(username=f"bench-wide-{os.getpid()}", password="-")
    Membership.objects.create(user=user, organization=organization, role=Role.ANALYST)
    dataset = Dataset(
        organization=organization, token=f"benchwide{os.getpid()}", name=path.name, size=path.stat().st_size
    )
    dataset.file.save(path.name, ContentFile(path.read_bytes()), save=False)
    dataset.save()
    figures = {"before_check_mb": peak_mb()}
    try:
        started = time.perf_counter()
        services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
        figures["check_s"] = time.perf_counter() - started
        figures["check_peak_mb"] = peak_mb()
        dataset.refresh_from_db()
        figures["columns"] = len(dataset.header)
        figures["problems"] = dataset.problem_count
        web = Client()
        web.force_login(user)
        url = reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk})
        times = []
        for _ in range(3):
            started = time.perf_counter()
            page = web.get(url)
            times.append(time.perf_counter() - started)
            assert page.status_code == 200, page.status_code
        figures["page_s"] = statistics.median(times)
        figures["page_kb"] = len(page.content) / 1024
        started = time.perf_counter()
        download = web.get(reverse("segmentation:dataset_rejected", kwargs={"dataset_id": dataset.pk}))
        body = b"".join(download.streaming_content) if download.streaming else download.content
        figures["rejected_s"] = time.perf_counter() - started
        figures["rejected_kb"] = len(body) / 1024
        figures["final_peak_mb"] = peak_mb()
    finally:
        for stored in (dataset.file, dataset.rejected):
            if stored:
                stored.delete(save=False)
        organization.delete()
        user.delete()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--columns", type=int, default=16_384)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child))))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"wide_{args.columns}x{args.rows}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        build(path, args.rows, args.columns)
        print(f"built {path.name}: {path.stat().st_size / 1048576:.1f} MB in {time.perf_counter() - started:.1f} s")
    runs = []
    for _ in range(args.runs):
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(path)], cwd=ROOT, capture_output=True, text=True
        )
        if result.returncode:
            raise SystemExit(result.stderr[-3000:])
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    first = runs[0]
    print(
        f"file {path.name}: {path.stat().st_size / 1048576:.1f} MB, {first['columns']:,} columns x {args.rows} rows, "
        f"{first['problems']:,} problems"
    )

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"process before the check: {max(r['before_check_mb'] for r in runs):.0f} MB peak RSS")
    print(
        f"check: median {median('check_s'):.2f} s, peak RSS {max(r['check_peak_mb'] for r in runs):.0f} MB "
        f"(runs: {', '.join(format(r['check_s'], '.2f') for r in runs)})"
    )
    print(f"dataset page: {median('page_kb'):,.0f} KB, median {median('page_s'):.3f} s to render")
    print(
        f"rejected rows download: {median('rejected_kb'):,.0f} KB in {median('rejected_s'):.2f} s; "
        f"peak RSS after page and download {max(r['final_peak_mb'] for r in runs):.0f} MB"
    )


if __name__ == "__main__":
    main()
