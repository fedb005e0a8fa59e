"""Uploaded files: refused when hostile, checked in a job, kept with a bounded preview and their problems."""

import re
import secrets
import tempfile
from pathlib import Path

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm_portal.jobs import ProgressCallback, job_enqueue
from crm_portal.models import Job, Organization
from crm_portal.spreadsheets import xlsx_bytes

from .. import tasks
from ..export import rejected_sheet
from ..guards import FileRefused, check_file
from ..models import Dataset
from ..parsing import LABEL_CHARS, LONG, NUMBER_RE, ROLES, WIDE, Mapping, cell_display, header_label
from ..pipeline import Loaded, load, rejected_frame

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
            raise ValidationError({"file": str(refused)}) from None
        upload.seek(0)
        dataset = Dataset(
            organization=organization,
            token=secrets.token_hex(16),
            name=Path(upload.name).name[:255],
            size=upload.size,
            created_by=user if user and user.is_authenticated else None,
        )
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
    job = job_enqueue(
        organization=dataset.organization, task=tasks.dataset_check_task, user=user, params={"dataset": dataset.pk}
    )
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
    return load(
        dataset.file.path,
        filename=dataset.name,
        sheet=dataset.sheet,
        mapping=mapping,
        today=timezone.localdate(),
        progress=progress,
    )


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
    indexes = sorted(
        set(range(min(PREVIEW_ROWS, len(table.data)))) | set(sorted(loaded.reasons)[:PREVIEW_PROBLEM_ROWS])
    )
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
            cells.append(
                {
                    "column": p,
                    "value": text[:PREVIEW_CHARS],
                    "date": is_date,
                    "problem": marks.get(p, ""),
                    "negative": p in amount_columns and _negative(values[p][at]),
                }
            )
        rows.append({"row": number, "cells": cells, "problem": "; ".join(loaded.reasons.get(index, []))})
    return rows


def dataset_mark_unreadable(*, dataset: Dataset, error: Exception) -> None:
    """A file the checks did not foresee must not stay "checking" for ever: say the check failed."""
    message = _("The file could not be checked: %(error)s") % {"error": error}
    Dataset.objects.filter(pk=dataset.pk).update(
        status=Dataset.Status.INVALID,
        problem_count=1,
        problems=[{"row": None, "column": "", "value": "", "message": message, "position": None}],
    )


def dataset_inspect(*, dataset: Dataset, progress: ProgressCallback) -> dict:
    url = reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk})
    try:
        loaded = _load(dataset, progress)
    except FileRefused as refused:
        Dataset.objects.filter(pk=dataset.pk).update(
            status=Dataset.Status.INVALID,
            problem_count=1,
            negative_count=0,
            duplicates={},
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
