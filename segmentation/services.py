"""Every write of segmentation: datasets, their checks and imports, runs and their stored classes."""

import json
import re
import secrets
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import FloatField, IntegerField, Sum
from django.db.models.functions import Cast, ExtractMonth, ExtractYear
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from clients import lifecycle
from clients import services as client_services
from clients.models import Settlement
from clients.settlement_rows import to_cents
from crm_portal.bulk import bulk_insert
from crm_portal.jobs import JobMessage, ProgressCallback, job_complete, job_enqueue
from crm_portal.models import Job, Organization
from crm_portal.spreadsheets import xlsx_bytes

from . import tasks
from .abcxyz import abc_xyz
from .export import rejected_sheet
from .guards import FileRefused, check_file
from .models import ClientClass, Dataset, Run, SegmentationSettings
from .parsing import LABEL_CHARS, LONG, NUMBER_RE, ROLES, WIDE, Mapping, cell_display, header_label, to_quarters
from .pipeline import Loaded, Params, classify, load, rejected_frame

PREVIEW_ROWS = 50
PREVIEW_PROBLEM_ROWS = 200
# The preview's columns, however wide the file (Excel allows 16,384): the first 30 (the client and two
# and a half years of months, the whole of a usual file), the ones the mapping reads as client, date,
# amount..., wherever they are, and up to 20 more that hold a problem in the rows shown, so that a
# marked cell is on the page. At most 250 rows x 56 columns, however long or wide the file.
PREVIEW_COLUMNS = 30
PREVIEW_PROBLEM_COLUMNS = 20
PREVIEW_CHARS = 60
STORED_PROBLEMS = 1000


# ------------------------------------------------------------------ settings


@transaction.atomic
def segmentation_settings_update(*, organization: Organization, a: float, b: float, x: float, y: float,
                                 min_history: int, period: str, measure: str) -> SegmentationSettings:
    current = SegmentationSettings.objects.filter(organization=organization).first() or SegmentationSettings(organization=organization)
    for field, value in {"a": a, "b": b, "x": x, "y": y, "min_history": min_history, "period": period, "measure": measure}.items():
        setattr(current, field, value)
    current.full_clean()
    current.save()
    return current


def _params(values: dict) -> Params:
    params = Params(
        a=float(values["a"]), b=float(values["b"]), x=float(values["x"]), y=float(values["y"]),
        min_history=int(values["min_history"]), period=values.get("period", "month"),
        measure=values.get("measure", "turnover"), start=values.get("start") or "", end=values.get("end") or "",
    )
    for month in (params.start, params.end):
        if month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise ValidationError(_("Write the window's months as 2025-01."))
    if not 0 < params.a < params.b <= 1:
        raise ValidationError(_("The thresholds must satisfy 0 < A < B <= 1."))
    if not 0 <= params.x < params.y:
        raise ValidationError(_("The thresholds must satisfy 0 <= X < Y."))
    if params.min_history < 1:
        raise ValidationError(_("The minimum history is at least one period."))
    if params.period not in ("month", "quarter"):
        raise ValidationError(_("The period is a month or a quarter."))
    if params.measure not in ("turnover", "margin"):
        raise ValidationError(_("ABC is by turnover or by margin."))
    return params


# ------------------------------------------------------------------ datasets


def dataset_create(*, organization: Organization, upload: UploadedFile, user=None) -> Dataset:
    """Refuse a hostile file before anything is written; otherwise keep it and queue its check."""
    suffix = Path(upload.name).suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as temporary:
        for chunk in upload.chunks():
            temporary.write(chunk)
        temporary.flush()
        try:
            check_file(temporary.name, filename=upload.name)
        except FileRefused as refused:
            raise ValidationError(str(refused)) from None
        upload.seek(0)
        dataset = Dataset(organization=organization, token=secrets.token_hex(16), name=Path(upload.name).name[:255],
                          size=upload.size, created_by=user if user and user.is_authenticated else None)
        dataset.file.save(upload.name, upload, save=False)
        try:
            with transaction.atomic():
                dataset.full_clean()
                dataset.save()
                _enqueue_check(dataset, user)
        except Exception:
            dataset.file.delete(save=False)  # no file is left behind without its row
            raise
    return dataset


def _enqueue_check(dataset: Dataset, user) -> Job:
    # No key: a check queued after a new mapping must run even while the previous one does.
    job = job_enqueue(organization=dataset.organization, task=tasks.dataset_check_task, user=user,
                      params={"dataset": dataset.pk})
    Dataset.objects.filter(pk=dataset.pk).update(job=job, status=Dataset.Status.CHECKING)
    dataset.job, dataset.status = job, Dataset.Status.CHECKING
    return job


@transaction.atomic
def dataset_mapping_set(*, dataset: Dataset, sheet: str, mapping: dict, user=None) -> Job:
    """Record the analyst's choice of sheet and columns and check the file again with it."""
    if dataset.status == Dataset.Status.IMPORTED:
        raise ValidationError(_("This file has already been imported."))
    if dataset.sheets and sheet not in dataset.sheets:
        raise ValidationError(_("The workbook has no sheet named “%(name)s”.") % {"name": sheet})
    if mapping.get("shape") not in (WIDE, LONG):
        raise ValidationError(_("Choose the shape of the table."))
    if dataset.sheet and sheet != dataset.sheet:
        # Another sheet has other columns: recognise them afresh; the analyst confirms them next.
        dataset.mapping = {}
    else:
        dataset.mapping = Mapping.from_dict(mapping).as_dict() | {"confirmed": True}
    dataset.sheet = sheet
    dataset.save(update_fields=["sheet", "mapping"])
    return _enqueue_check(dataset, user)


def _load(dataset: Dataset, progress: ProgressCallback) -> Loaded:
    mapping = Mapping.from_dict(dataset.mapping) if dataset.mapping.get("confirmed") else None
    return load(dataset.file.path, filename=dataset.name, sheet=dataset.sheet, mapping=mapping,
                today=timezone.localdate(), progress=progress)


def _negative(value) -> bool:
    """An amount cell below zero (a refund), as the validation reads it."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return bool(value < 0)
    if isinstance(value, str):
        cleaned = re.sub(r"[\s\u00a0\u202f]", "", value).replace(",", ".")
        return bool(re.match(NUMBER_RE, cleaned)) and float(cleaned) < 0
    return False


def _preview(loaded: Loaded) -> list[dict]:
    """The first rows and the rows with problems, in the columns PREVIEW_COLUMNS describes; each cell with
    its column's position and its problem (if any)."""
    table = loaded.table
    indexes = sorted(set(range(min(PREVIEW_ROWS, len(table.data)))) | set(sorted(loaded.reasons)[:PREVIEW_PROBLEM_ROWS]))
    shown = {int(table.row_numbers[index]) for index in indexes}
    cell_problems: dict[int, dict[int, str]] = {}
    for problem in loaded.parsed.problems:
        if problem.row in shown and problem.position is not None:
            cell_problems.setdefault(problem.row, {})[problem.position] = problem.message
    mapping = loaded.mapping
    width = table.data.shape[1]
    chosen = set(range(min(PREVIEW_COLUMNS, width)))
    chosen |= {p for p in (getattr(mapping, role) for role in ROLES) if p is not None and p < width}
    with_problems = sorted({p for marks in cell_problems.values() for p in marks if p < width} - chosen)
    columns = sorted(chosen | set(with_problems[:PREVIEW_PROBLEM_COLUMNS]))
    amount_columns = set(mapping.months if mapping.shape == WIDE else [mapping.amount]) - {None}
    # Column by column: a row of a wide frame of mixed types is slow to take and holds every cell.
    values = {p: table.data[p].iloc[indexes].tolist() for p in columns}
    rows = []
    for at, index in enumerate(indexes):
        number = int(table.row_numbers[index])
        marks = cell_problems.get(number, {})
        cells = []
        for p in columns:
            text, is_date = cell_display(values[p][at])
            cells.append({"column": p, "value": text[:PREVIEW_CHARS], "date": is_date, "problem": marks.get(p, ""),
                          "negative": p in amount_columns and _negative(values[p][at])})
        rows.append({"row": number, "cells": cells, "problem": "; ".join(loaded.reasons.get(index, []))})
    return rows


def dataset_mark_unreadable(*, dataset: Dataset, error: Exception) -> None:
    """A file the checks did not foresee must not stay "checking" for ever: say the check failed."""
    message = _("The file could not be checked: %(error)s") % {"error": error}
    Dataset.objects.filter(pk=dataset.pk).update(
        status=Dataset.Status.INVALID, problem_count=1,
        problems=[{"row": None, "column": "", "value": "", "message": message, "position": None}],
    )


def dataset_inspect(*, dataset: Dataset, progress: ProgressCallback) -> dict:
    url = reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk})
    try:
        loaded = _load(dataset, progress)
    except FileRefused as refused:
        Dataset.objects.filter(pk=dataset.pk).update(
            status=Dataset.Status.INVALID, problem_count=1, negative_count=0, duplicates={},
            problems=[{"row": None, "column": "", "value": "", "message": str(refused), "position": None}],
        )
        return {"url": url, "problems": 1}
    progress(80, gettext_noop("Keeping the preview"))
    rejected_name = ""
    if loaded.reasons:
        content = xlsx_bytes([rejected_sheet(rejected_frame(loaded))])
        if dataset.rejected:
            dataset.rejected.delete(save=False)
        dataset.rejected.save(f"{dataset.token}-rejected.xlsx", ContentFile(content), save=False)
        rejected_name = dataset.rejected.name
    elif dataset.rejected:
        dataset.rejected.delete(save=False)
    parsed = loaded.parsed
    clients = 0
    if parsed.ok:
        clients = len(parsed.wide) if parsed.wide is not None else parsed.settlements["client"].nunique()
    Dataset.objects.filter(pk=dataset.pk).update(
        status=Dataset.Status.VALID if parsed.ok else Dataset.Status.INVALID,
        sheet=loaded.sheet,
        sheets=[s.name for s in loaded.container.sheets],
        mapping=loaded.mapping.as_dict() | {"confirmed": bool(dataset.mapping.get("confirmed"))},
        header=[header_label(h)[:LABEL_CHARS] for h in loaded.table.header],
        preview=_preview(loaded),
        problems=[p.as_dict() for p in parsed.problems[:STORED_PROBLEMS]],
        problem_count=loaded.problem_count,
        row_count=len(loaded.table.data),
        negative_count=parsed.negative_count,
        duplicates=parsed.duplicates_summary(),
        client_count=clients,
        rejected=rejected_name,
    )
    return {"url": url, "problems": loaded.problem_count}


# ------------------------------------------------------------------ runs


def _settings_key(params: dict) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def run_file_start(*, dataset: Dataset, params: dict, user=None) -> Job:
    """Queue the classification of a checked file; the same file and settings run once at a time."""
    _params(params)
    if dataset.status not in (Dataset.Status.VALID, Dataset.Status.IMPORTED):
        raise ValidationError(_("Only a file without problems can be classified."))
    return job_enqueue(organization=dataset.organization, task=tasks.run_file_task, user=user,
                       params={"dataset": dataset.pk, "abcxyz": params},
                       key=f"dataset:{dataset.pk}:{_settings_key(params)}")


def run_on_file(*, dataset: Dataset, params: dict, job: Job | None = None, user=None,
                progress: ProgressCallback = lambda *a: None) -> Run:
    params = _params(params)
    loaded = _load(dataset, progress)
    if not loaded.parsed.ok:
        raise ValidationError(gettext_lazy("The file has %(count)s problem(s); nothing was classified."),
                              params={"count": loaded.problem_count})
    progress(60, gettext_noop("Classifying"))
    try:
        wide, result = classify(loaded.parsed, params)
    except ValueError as error:
        raise ValidationError(str(error)) from None
    progress(80, JobMessage(gettext_noop("Storing the results of %(count)s clients"), count=len(result)))
    with transaction.atomic():
        run = run_store(organization=dataset.organization, source=Run.Source.FILE, dataset=dataset,
                        params=params.as_dict(), as_of=timezone.localdate(), wide=wide, result=result, job=job,
                        user=user)
        if job is not None:
            job_complete(job, run_result(run))  # the run and its job's success commit together
    return run


def run_base_start(*, organization: Organization, params: dict, as_of: date, months: int, user=None) -> Job:
    """Queue a run on the client base; the same date, window and settings run once at a time."""
    if _params(params).measure == "margin":
        raise ValidationError(_("The client register keeps settlement amounts only: ABC by margin needs a file with a margin column."))
    if not 1 <= months <= 120:
        raise ValidationError(_("The window is 1 to 120 months."))
    if not Settlement.objects.filter(organization=organization, date__lte=as_of).exists():
        raise ValidationError(_("The client base has no settlements on or before %(date)s.") % {"date": as_of.isoformat()})
    return job_enqueue(organization=organization, task=tasks.run_base_task, user=user,
                       params={"abcxyz": params, "as_of": as_of.isoformat(), "months": months},
                       key=f"base:{as_of.isoformat()}:{months}:{_settings_key(params)}")


def base_wide(*, organization: Organization, as_of: date, months: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Amounts per client (id) and month over the window ending with as_of's month, and the ids of
    clients whose lifecycle state on as_of is new or lost (DOMAIN section 3: they have no XYZ class).

    Every client with a settlement on or before as_of is a row (zeros if none in the window).
    """
    end = pd.Period(as_of, freq="M")
    start = end - (months - 1)
    columns = pd.period_range(start, end, freq="M")
    settlements = Settlement.objects.filter(organization=organization).order_by()
    # Each client's lifecycle state on as_of, by the register's one rule and its grouped query.
    states = {
        row["client_id"]: lifecycle.classify(recent=row["recent"] > 0, previous=row["previous"] > 0, older=row["older"] > 0)
        for row in client_services.state_flags(settlements, as_of, organization.lifecycle_period_months)
    }
    clients = np.sort(np.fromiter(states, dtype=np.int64, count=len(states)))
    new_or_lost = np.array([states[pk] in (lifecycle.NEW, lifecycle.LOST) for pk in clients.tolist()], dtype=bool)
    # The database sums each client's month: one row per client and month of the window, never one per settlement.
    month = Cast(ExtractYear("date") * 12 + ExtractMonth("date") - 1, IntegerField())
    sums = (settlements.filter(date__gte=start.start_time.date(), date__lte=as_of).annotate(month=month)
            .values("client_id", "month").annotate(total=Cast(Sum("amount"), FloatField()))
            .values_list("client_id", "month", "total"))
    sql, params = sums.query.sql_with_params()
    flat = np.zeros(len(clients) * len(columns))
    first = start.year * 12 + start.month - 1
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(100_000):
            values = np.array(chunk, dtype=np.float64)
            at = np.searchsorted(clients, values[:, 0].astype(np.int64)) * len(columns) + values[:, 1].astype(np.int64) - first
            flat[at] = values[:, 2]
    wide = pd.DataFrame(flat.reshape(len(clients), len(columns)), index=pd.Index(clients, name="client"), columns=columns)
    return wide, clients[new_or_lost]


def run_on_base(*, organization: Organization, params: dict, as_of: date, months: int, job: Job | None = None,
                user=None, progress: ProgressCallback = lambda *a: None) -> tuple[Run, int]:
    params = _params(params)
    progress(10, gettext_noop("Reading the settlements"))
    wide, new_or_lost = base_wide(organization=organization, as_of=as_of, months=months)
    if params.period == "quarter":
        wide = to_quarters(wide)
    progress(50, JobMessage(gettext_noop("Classifying %(count)s clients"), count=len(wide)))
    result = abc_xyz(wide, a=params.a, b=params.b, x=params.x, y=params.y, min_history=params.min_history)
    # New and lost clients keep their ABC class but have no XYZ class.
    result.loc[new_or_lost, ["xyz", "cv"]] = ["", np.nan]
    progress(70, gettext_noop("Storing the results"))
    with transaction.atomic():
        run = run_store(organization=organization, source=Run.Source.BASE, dataset=None,
                        params=params.as_dict() | {"months": months}, as_of=as_of, wide=wide, result=result, job=job,
                        user=user)
        progress(85, gettext_noop("Recording the classes on the client cards"))
        classes = dict(zip(result.index.astype(int), zip(result["abc"], result["xyz"])))
        changed = client_services.client_classes_record(
            organization=organization, classes=classes, run_label=run.label, as_of=as_of
        )
        if job is not None:
            job_complete(job, run_result(run, changed=changed))
    return run, changed


def run_result(run: Run, **extra) -> dict:
    """What a run's job records as its result: the page of the run and its size."""
    return {"url": reverse("segmentation:run", kwargs={"run_id": run.pk}), "run": run.pk,
            "clients": run.client_count, **extra}


@transaction.atomic
def run_store(*, organization: Organization, source: str, dataset: Dataset | None, params: dict, as_of: date,
              wide: pd.DataFrame, result: pd.DataFrame, job: Job | None = None, user=None) -> Run:
    """Keep a run and its classes (COPY on PostgreSQL)."""
    run = Run(organization=organization, source=source, dataset=dataset, params=params, as_of=as_of,
              periods=[str(p) for p in wide.columns], client_count=len(result),
              total=float(result["total"].clip(lower=0).sum()), job=job, created_by=user)
    run.full_clean()
    run.save()
    # Rank as the classification orders clients: total descending, ties by client id.
    id_rank = np.empty(len(result), dtype=np.int64)
    id_rank[result.index.argsort(kind="stable")] = np.arange(len(result))
    ranked = result.iloc[np.lexsort((id_rank, -result["total"].to_numpy()))]
    rows = pd.DataFrame({
        "organization_id": organization.pk,
        "run_id": run.pk,
        "client_key": [str(k)[:255] for k in ranked.index],
        "client_id": ranked.index.to_numpy() if source == Run.Source.BASE else None,
        "rank": np.arange(1, len(ranked) + 1),
        "total": ranked["total"].to_numpy(),
        "share": ranked["share"].to_numpy(),
        "cum_share": ranked["cum_share"].to_numpy(),
        "abc": ranked["abc"].to_numpy(),
        "cv": ranked["cv"].to_numpy(),
        "xyz": ranked["xyz"].to_numpy(),
    })
    bulk_insert(ClientClass, rows)
    return run


# ------------------------------------------------------------------ import into the register


def dataset_import_start(*, dataset: Dataset, match_by: str, on_missing: str, user=None) -> Job:
    """Queue the import of a checked file; a second click finds the import already queued."""
    if dataset.status != Dataset.Status.VALID:
        raise ValidationError(_("Only a file without problems, not imported yet, can be imported."))
    if match_by not in client_services.MATCH_FIELDS or on_missing not in client_services.ON_MISSING:
        raise ValidationError(_("Choose how clients are matched and what happens to clients not in the register."))
    return job_enqueue(organization=dataset.organization, task=tasks.dataset_import_task, user=user,
                       params={"dataset": dataset.pk, "match_by": match_by, "on_missing": on_missing},
                       key=f"dataset:{dataset.pk}")


def settlement_rows(loaded: Loaded) -> pd.DataFrame:
    """Settlements of a valid file with their spreadsheet rows: a long file's rows, or a wide file's
    months whose amount is not zero in cents (dated the 1st); the cells the check held to the register's rules."""
    parsed = loaded.parsed
    if parsed.settlements is not None:
        return parsed.settlements
    wide = parsed.wide
    values = wide.to_numpy()
    client_at, month_at = np.nonzero(to_cents(values))
    days = np.array([p.start_time.date() for p in wide.columns], dtype="datetime64[D]")
    return pd.DataFrame({
        "row": parsed.wide_rows[client_at],
        "client": wide.index.to_numpy()[client_at],
        "date": days[month_at],
        "amount": values[client_at, month_at],
    })


def dataset_import(*, dataset: Dataset, match_by: str, on_missing: str, user=None, job: Job | None = None,
                   progress: ProgressCallback = lambda *a: None) -> dict:
    """Import a valid file's settlements into the client register: all or nothing, and once.

    The settlements, the dataset marked imported and the job's success commit together; a
    second run (its worker lost after that commit) finds the dataset imported and writes nothing.
    """
    if dataset.status == Dataset.Status.IMPORTED:
        return dataset.import_result
    loaded = _load(dataset, progress)
    if not loaded.parsed.ok:
        raise ValidationError(gettext_lazy("The file has %(count)s problem(s); nothing was imported."),
                              params={"count": loaded.problem_count})
    progress(60, gettext_noop("Importing into the client register"))
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        if locked.status == Dataset.Status.IMPORTED:
            return locked.import_result
        summary = client_services.settlements_import(
            organization=dataset.organization, rows=settlement_rows(loaded), match_by=match_by,
            on_missing=on_missing, user=user,
        )
        Dataset.objects.filter(pk=dataset.pk).update(status=Dataset.Status.IMPORTED, import_result=summary)
        if job is not None:
            job_complete(job, dataset_import_result(dataset, summary))
    return summary


def dataset_import_result(dataset: Dataset, summary: dict) -> dict:
    """What an import's job records as its result: the dataset's page and the import's counts."""
    return {"url": reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}), **summary}
