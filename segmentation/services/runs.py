"""ABC/XYZ runs on a checked file or on the client base (its settlements summed per client and month in SQL)."""

from datetime import date

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import FloatField, IntegerField, Sum
from django.db.models.functions import Cast, ExtractMonth, ExtractYear
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from clients import lifecycle
from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import Settlement
from crm_portal.jobs import JobMessage, ProgressCallback, job_complete, job_enqueue
from crm_portal.models import Job, Organization

from .. import tasks
from ..abcxyz import abc_xyz
from ..models import Dataset, Run
from ..parsing import to_quarters
from ..pipeline import classify
from .datasets import _load
from .settings import _params, _settings_key
from .storage import run_store


def run_file_start(*, dataset: Dataset, params: dict, user=None) -> Job:
    """Queue the classification of a checked file; the same file and settings run once at a time."""
    _params(params)
    if dataset.status not in (Dataset.Status.VALID, Dataset.Status.IMPORTED):
        raise ValidationError(_("Only a file without problems can be classified."))
    return job_enqueue(
        organization=dataset.organization,
        task=tasks.run_file_task,
        user=user,
        params={"dataset": dataset.pk, "abcxyz": params},
        key=f"dataset:{dataset.pk}:{_settings_key(params)}",
    )


def run_on_file(
    *, dataset: Dataset, params: dict, job: Job | None = None, user=None, progress: ProgressCallback = lambda *a: None
) -> Run:
    params = _params(params)
    loaded = _load(dataset, progress)
    if not loaded.parsed.ok:
        raise ValidationError(
            gettext_lazy("The file has %(count)s problem(s); nothing was classified."),
            params={"count": loaded.problem_count},
        )
    progress(60, gettext_noop("Classifying"))
    try:
        wide, result = classify(loaded.parsed, params)
    except ValueError as error:
        raise ValidationError(str(error)) from None
    progress(80, JobMessage(gettext_noop("Storing the results of %(count)s clients"), count=len(result)))
    with transaction.atomic():
        run = run_store(
            organization=dataset.organization,
            source=Run.Source.FILE,
            dataset=dataset,
            params=params.as_dict(),
            as_of=timezone.localdate(),
            wide=wide,
            result=result,
            job=job,
            user=user,
        )
        if job is not None:
            job_complete(job, run_result(run))  # the run and its job's success commit together
    return run


def run_base_start(*, organization: Organization, params: dict, as_of: date, months: int, user=None) -> Job:
    """Queue a run on the client base; the same date, window and settings run once at a time."""
    if _params(params).measure == "margin":
        raise ValidationError(
            _("The client register keeps settlement amounts only: ABC by margin needs a file with a margin column.")
        )
    if not 1 <= months <= 120:
        raise ValidationError(_("The window is 1 to 120 months."))
    if not Settlement.objects.filter(organization=organization, date__lte=as_of).exists():
        raise ValidationError(
            _("The client base has no settlements on or before %(date)s.") % {"date": as_of.isoformat()}
        )
    return job_enqueue(
        organization=organization,
        task=tasks.run_base_task,
        user=user,
        params={"abcxyz": params, "as_of": as_of.isoformat(), "months": months},
        key=f"base:{as_of.isoformat()}:{months}:{_settings_key(params)}",
    )


def base_wide(*, organization: Organization, as_of: date, months: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Amounts per client (id) and month over the window ending with as_of's month, and the ids of
    clients whose lifecycle state on as_of is new or lost (DOMAIN section 3: they have no XYZ class).

    Every client with a settlement on or before as_of is a row (zeros if none in the window).
    """
    end = pd.Period(as_of, freq="M")
    start = end - (months - 1)
    columns = pd.period_range(start, end, freq="M")
    settlements = Settlement.objects.filter(organization=organization).order_by()
    # Each client's lifecycle state on as_of, from the register's history (one row per client that has bought).
    states = dict(client_selectors.states_on(organization.pk, as_of).values_list("client_id", "state"))
    clients = np.sort(np.fromiter(states, dtype=np.int64, count=len(states)))
    new_or_lost = np.array([states[pk] in (lifecycle.NEW, lifecycle.LOST) for pk in clients.tolist()], dtype=bool)
    # The database sums each client's month: one row per client and month of the window, never one per settlement.
    month = Cast(ExtractYear("date") * 12 + ExtractMonth("date") - 1, IntegerField())
    sums = (
        settlements.filter(date__gte=start.start_time.date(), date__lte=as_of)
        .annotate(month=month)
        .values("client_id", "month")
        .annotate(total=Cast(Sum("amount"), FloatField()))
        .values_list("client_id", "month", "total")
    )
    sql, params = sums.query.sql_with_params()
    flat = np.zeros(len(clients) * len(columns))
    first = start.year * 12 + start.month - 1
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(100_000):
            values = np.array(chunk, dtype=np.float64)
            at = (
                np.searchsorted(clients, values[:, 0].astype(np.int64)) * len(columns)
                + values[:, 1].astype(np.int64)
                - first
            )
            flat[at] = values[:, 2]
    wide = pd.DataFrame(
        flat.reshape(len(clients), len(columns)), index=pd.Index(clients, name="client"), columns=columns
    )
    return wide, clients[new_or_lost]


def run_on_base(
    *,
    organization: Organization,
    params: dict,
    as_of: date,
    months: int,
    job: Job | None = None,
    user=None,
    progress: ProgressCallback = lambda *a: None,
) -> tuple[Run, int]:
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
        run = run_store(
            organization=organization,
            source=Run.Source.BASE,
            dataset=None,
            params=params.as_dict() | {"months": months},
            as_of=as_of,
            wide=wide,
            result=result,
            job=job,
            user=user,
        )
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
    return {
        "url": reverse("segmentation:run", kwargs={"run_id": run.pk}),
        "run": run.pk,
        "clients": run.client_count,
        **extra,
    }
