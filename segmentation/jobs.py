"""Bodies of segmentation's jobs: `work(job, progress) -> result`, run by `crm_portal.jobs.run_job`."""

from datetime import date

from crm_portal.jobs import ProgressCallback
from crm_portal.models import Job

from . import services
from .models import Dataset


def _dataset(job: Job) -> Dataset:
    return Dataset.objects.get(pk=job.params["dataset"], organization=job.organization)


def dataset_check(job: Job, progress: ProgressCallback) -> dict:
    """Parse and validate a dataset; keep its preview, its problems and its rejected rows."""
    dataset = _dataset(job)
    try:
        return services.dataset_inspect(dataset=dataset, progress=progress)
    except Exception as error:
        services.dataset_mark_unreadable(dataset=dataset, error=error)
        raise  # the job records the error too


def run_file(job: Job, progress: ProgressCallback) -> dict:
    """Classify a checked file and keep its classes as a new run."""
    run = services.run_on_file(
        dataset=_dataset(job), params=job.params["abcxyz"], job=job, user=job.created_by, progress=progress
    )
    return services.run_result(run)


def run_base(job: Job, progress: ProgressCallback) -> dict:
    """Classify the client base from its settlements; record each client's classes and history."""
    run, changed = services.run_on_base(
        organization=job.organization,
        params=job.params["abcxyz"],
        as_of=date.fromisoformat(job.params["as_of"]),
        months=int(job.params["months"]),
        job=job,
        user=job.created_by,
        progress=progress,
    )
    return services.run_result(run, changed=changed)


def dataset_import(job: Job, progress: ProgressCallback) -> dict:
    """Import a checked file's settlements into the client register."""
    dataset = _dataset(job)
    summary = services.dataset_import(
        dataset=dataset,
        match_by=job.params["match_by"],
        on_missing=job.params["on_missing"],
        user=job.created_by,
        job=job,
        progress=progress,
    )
    return services.dataset_import_result(dataset, summary)
