"""Background jobs: one `Job` row per Celery run, with progress a page can poll.

`job_enqueue` writes the row and queues the task only after the transaction commits, so a
worker never looks for a row that is not there yet. `run_job` is what a task body calls: it
makes retries and duplicate deliveries safe (a finished job is never run again) and records
success, progress and failure on the row.

Messages are kept untranslated and translated when read: a job started from a Russian page
reads in English to an English reader and the other way round. A progress message is a msgid
marked with `gettext_noop` (or a lazy translation), with its named parameters in a `JobMessage`:
`progress(40, JobMessage(gettext_noop("Validating %(rows)s rows"), rows=n))`; a
`ValidationError` raised with a lazy message and `params` is kept the same way.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, gettext_noop, ngettext

from .models import Job, Organization

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, str], None]

# A lost database connection is worth another try; any other error is the job's own failure.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

WAITING = gettext_noop("Waiting for a worker")


def untranslated(message) -> str:
    """The English source of a message: a lazy translation evaluated with no language active."""
    with translation.override(None):
        return str(message)


def _storable(value):
    # The row keeps parameters as JSON: a date, a Decimal or a model instance is kept as its text.
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


class JobMessage(str):
    """A message reading as its English text that keeps its msgid and named parameters.

    The job row stores both, so `job_text` can show the message in each reader's language.
    """

    def __new__(cls, msgid, **params):
        source = untranslated(msgid)
        params = {key: _storable(value) for key, value in params.items()}
        message = super().__new__(cls, source % params if params else source)
        message.msgid, message.params = source, params
        return message


def _text(message) -> list:
    """`[msgid, params]` of a message: what a job row keeps to translate it later."""
    if isinstance(message, JobMessage):
        return [message.msgid, message.params]
    return [untranslated(message), {}]


def job_text(text: list) -> str:
    """A stored `[msgid, params]` in the active language, numbers written the reader's way."""
    msgid, params = text
    if not params:
        return gettext(msgid)
    shown = {key: formats.localize(value) for key, value in params.items()}
    try:
        return gettext(msgid) % shown
    except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder: say it in English
        return msgid % shown


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


class JobLimitReached(ValidationError):
    """The organization already has as many active jobs as a person may queue (JOBS_ACTIVE_LIMIT)."""


# A job still queued or running after this long is lost (its worker died), not waiting: it must
# not hold one of the organization's places for ever.
ACTIVE_JOB_WINDOW = timedelta(hours=6)


def job_ensure_room(organization: Organization) -> None:
    """Refuse a new job while the organization has JOBS_ACTIVE_LIMIT jobs queued or running."""
    limit = settings.JOBS_ACTIVE_LIMIT
    active = Job.objects.filter(
        organization=organization,
        status__in=(Job.Status.QUEUED, Job.Status.RUNNING),
        created_at__gte=timezone.now() - ACTIVE_JOB_WINDOW,
    ).count()
    if active >= limit:
        raise JobLimitReached(
            ngettext(
                "Your organization already has %(limit)s background job queued or running, the most "
                "allowed at once. Wait until it finishes, then try again.",
                "Your organization already has %(limit)s background jobs queued or running, the most "
                "allowed at once. Wait until some of them finish, then try again.",
                limit,
            )
            % {"limit": limit}
        )


def job_enqueue(
    *,
    organization: Organization,
    kind: str,
    task: Any,
    user=None,
    params: dict | None = None,
) -> Job:
    if user is not None and user.is_authenticated:
        # What people start is capped per organization; scheduled jobs are bounded by the schedule.
        job_ensure_room(organization)
    job = Job(
        organization=organization,
        kind=kind,
        created_by=user if user is not None and user.is_authenticated else None,
        params=params or {},
        message=WAITING,
        texts={"message": [WAITING, {}]},
    )
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def job_progress(job: Job, percent: int, message: str = "") -> None:
    """Record progress outside any surrounding transaction so pollers see it at once.

    `message` is untranslated: a `gettext_noop` msgid, a lazy translation or a `JobMessage`.
    """
    job.progress = max(0, min(100, int(percent)))
    if message:
        job.message = str(message)[:300]
        job.texts = {**job.texts, "message": _text(message)}
    Job.objects.filter(pk=job.pk).update(progress=job.progress, message=job.message, texts=job.texts)


def _failure(exc: Exception) -> tuple[str, list]:
    """The error of a failed job in English, and the portal's own messages to translate."""
    if isinstance(exc, ValidationError):
        errors = exc.error_list if not hasattr(exc, "error_dict") else [
            error for field in exc.error_dict.values() for error in field]
        texts = [[untranslated(e.message), {k: _storable(v) for k, v in (e.params or {}).items()}] for e in errors]
        return " ".join(msgid % params if params else msgid for msgid, params in texts), texts
    return f"{type(exc).__name__}: {exc}", []


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
    job.texts = {key: value for key, value in job.texts.items() if key != "error"}
    job.save(update_fields=["status", "started_at", "error", "texts"])
    try:
        result = work(job, lambda percent, message="": job_progress(job, percent, message))
    except TRANSIENT_ERRORS:
        raise  # JobTask retries; the row stays "running" until a try succeeds or all fail
    except Exception as exc:  # the row must say what went wrong, whatever it was
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        job.status = Job.Status.FAILED
        error, texts = _failure(exc)
        job.error = error[:4000]
        job.texts = {**job.texts, "error": texts} if texts else job.texts
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "texts", "finished_at"])
        return job
    job.status = Job.Status.SUCCEEDED
    job.progress = 100
    job.result = result or {}
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "progress", "result", "finished_at"])
    return job
