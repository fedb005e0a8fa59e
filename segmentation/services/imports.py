"""A checked file's settlements imported into the client register, once."""

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from clients import services as client_services
from clients.settlement_rows import to_cents
from crm_portal.jobs import ProgressCallback, job_complete, job_enqueue
from crm_portal.models import Job

from .. import tasks
from ..models import Dataset
from ..pipeline import Loaded
from .datasets import _load


def dataset_import_start(*, dataset: Dataset, match_by: str, on_missing: str, user=None) -> Job:
    """Queue the import of a checked file; a second click finds the import already queued."""
    if dataset.status != Dataset.Status.VALID:
        raise ValidationError(_("Only a file without problems, not imported yet, can be imported."))
    if match_by not in client_services.MATCH_FIELDS or on_missing not in client_services.ON_MISSING:
        raise ValidationError(_("Choose how clients are matched and what happens to clients not in the register."))
    return job_enqueue(
        organization=dataset.organization,
        task=tasks.dataset_import_task,
        user=user,
        params={"dataset": dataset.pk, "match_by": match_by, "on_missing": on_missing},
        key=f"dataset:{dataset.pk}",
    )


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
    return pd.DataFrame(
        {
            "row": parsed.wide_rows[client_at],
            "client": wide.index.to_numpy()[client_at],
            "date": days[month_at],
            "amount": values[client_at, month_at],
        }
    )


def dataset_import(
    *,
    dataset: Dataset,
    match_by: str,
    on_missing: str,
    user=None,
    job: Job | None = None,
    progress: ProgressCallback = lambda *a: None,
) -> dict:
    """Import a valid file's settlements into the client register: all or nothing, and once.

    The settlements, the dataset marked imported and the job's success commit together; a
    second run (its worker lost after that commit) finds the dataset imported and writes nothing.
    """
    if dataset.status == Dataset.Status.IMPORTED:
        return dataset.import_result
    loaded = _load(dataset, progress)
    if not loaded.parsed.ok:
        raise ValidationError(
            gettext_lazy("The file has %(count)s problem(s); nothing was imported."),
            params={"count": loaded.problem_count},
        )
    progress(60, gettext_noop("Importing into the client register"))
    # The write needs the rows alone: the sheet's cells and the check's tables go first, and the
    # rows are handed over (not kept here) so that the import lets them go once read.
    handed = [settlement_rows(loaded)]
    del loaded
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        if locked.status == Dataset.Status.IMPORTED:
            return locked.import_result
        summary = client_services.settlements_import(
            organization=dataset.organization,
            rows=handed.pop(),
            match_by=match_by,
            on_missing=on_missing,
            user=user,
        )
        Dataset.objects.filter(pk=dataset.pk).update(status=Dataset.Status.IMPORTED, import_result=summary)
        if job is not None:
            job_complete(job, dataset_import_result(dataset, summary))
    return summary


def dataset_import_result(dataset: Dataset, summary: dict) -> dict:
    """What an import's job records as its result: the dataset's page and the import's counts."""
    return {"url": reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}), **summary}
