"""Classify a file from the command line: the web upload's pipeline, without the database."""

import time
from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from segmentation.guards import FileRefused, Limits
from segmentation.pipeline import Params, classify, load, write_result


class Command(BaseCommand):
    help = "Check, validate and classify (ABC/XYZ) an .xlsx or .csv file; write the classes to an .xlsx file."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--out", type=Path, required=True, help="The result .xlsx to write.")
        parser.add_argument("--sheet", default="", help="The sheet to read (default: the first visible one).")
        parser.add_argument("--a", type=float, default=0.5)
        parser.add_argument("--b", type=float, default=0.8)
        parser.add_argument("--x", type=float, default=0.10)
        parser.add_argument("--y", type=float, default=0.25)
        parser.add_argument("--min-history", type=int, default=4)
        parser.add_argument("--period", choices=["month", "quarter"], default="month")
        parser.add_argument(
            "--max-mb",
            type=float,
            default=None,
            help="Refuse files above this size (default: the web upload limit, UPLOAD_MAX_BYTES).",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        verbose = options["verbosity"] > 1
        progress = (
            (lambda percent, message="": self.stderr.write(f"{percent:3d}% {message}"))
            if verbose
            else (lambda *a: None)
        )
        try:
            limits = Limits.from_settings()
            if options["max_mb"]:
                limits = replace(limits, max_bytes=int(options["max_mb"] * 1024 * 1024))
            loaded = load(path, sheet=options["sheet"], progress=progress, limits=limits)
        except FileRefused as refused:
            raise CommandError(f"{path}: {refused}") from None
        if not loaded.parsed.ok:
            lines = [f"{path}: {loaded.problem_count} problem(s); nothing classified."]
            for problem in loaded.parsed.problems[:20]:
                where = ", ".join(p for p in (f"row {problem.row}" if problem.row else "", problem.column) if p)
                lines.append(f"  {where}: {problem.message}" + (f" ({problem.value!r})" if problem.value else ""))
            raise CommandError("\n".join(lines))
        params = Params(
            a=options["a"],
            b=options["b"],
            x=options["x"],
            y=options["y"],
            min_history=options["min_history"],
            period=options["period"],
        )
        try:
            progress(60, "Classifying")
            wide, result = classify(loaded.parsed, params)
        except ValueError as error:
            raise CommandError(str(error)) from None
        progress(80, "Writing")
        write_result(result, options["out"])
        counts = result["abc"].value_counts().to_dict()
        self.stdout.write(
            f"{len(result)} clients, {wide.shape[1]} periods ({wide.columns[0]} .. {wide.columns[-1]}): "
            + ", ".join(f"{k} {counts.get(k, 0)}" for k in "ABC")
            + f"; written to {options['out']} in {time.perf_counter() - started:.2f} s"
        )
