"""Background jobs: one `Job` row per Celery run, with progress a page can poll.

`job_enqueue` writes the row and queues the task only after the transaction commits, so a
worker never looks for a row that is not there yet. `run_job` is what a task body calls: it
makes retries and duplicate deliveries safe (a finished job is never run again) and records
success, progress and failure on the row.
"""

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from .models import Job, Organization

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, str], None]

# A lost database connection is worth another try; any other error is the job's own failure.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class JobTask(Task):
    """Base class of every job task: retried on transient errors, failed visibly after that.

    Use it as `@shared_task(base=JobTask, name="app.thing")` on a task taking `job_id`.
    """

    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = True
    retry_backoff_max = 60
    max_retries = 3

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        job_id = args[0] if args else kwargs.get("job_id")
        Job.objects.filter(pk=job_id).exclude(status__in=Job.FINISHED).update(
            status=Job.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:4000],
            finished_at=timezone.now(),
        )


def job_enqueue(
    *,
    organization: Organization,
    kind: str,
    task: Any,
    user=None,
    params: dict | None = None,
    message: str = "",
) -> Job:
    job = Job(
        organization=organization,
        kind=kind,
        created_by=user if user is not None and user.is_authenticated else None,
        params=params or {},
        message=message,
    )
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def job_progress(job: Job, percent: int, message: str = "") -> None:
    """Record progress outside any surrounding transaction so pollers see it at once."""
    job.progress = max(0, min(100, int(percent)))
    if message:
        job.message = message[:300]
    Job.objects.filter(pk=job.pk).update(progress=job.progress, message=job.message)


def run_job(job_id: int, work: Callable[[Job, ProgressCallback], dict | None]) -> Job | None:
    """Run `work(job, progress)` for a queued job and record the outcome on its row."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        logger.warning("job %s vanished before it ran", job_id)
        return None
    if job.is_finished:
        return job
    job.status = Job.Status.RUNNING
    job.started_at = timezone.now()
    job.error = ""
    job.save(update_fields=["status", "started_at", "error"])
    try:
        result = work(job, lambda percent, message="": job_progress(job, percent, message))
    except TRANSIENT_ERRORS:
        raise  # JobTask retries; the row stays "running" until a try succeeds or all fail
    except Exception as exc:  # the row must say what went wrong, whatever it was
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        job.status = Job.Status.FAILED
        job.error = f"{type(exc).__name__}: {exc}"[:4000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    job.status = Job.Status.SUCCEEDED
    job.progress = 100
    job.result = result or {}
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "progress", "result", "finished_at"])
    return job
