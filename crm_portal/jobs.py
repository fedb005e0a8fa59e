"""Background jobs: one `Job` row per Celery run, with progress a page can poll.

The database is the truth and the broker only a messenger. `job_task` makes the Celery task of a
job kind from the dotted path of its body; `job_enqueue` writes the row (or finds the one already
queued for the same object) and sends the message only after the transaction commits; `run_job`
claims the row before it works, so a duplicate or late message never runs a job twice, and keeps
a heartbeat on it, so `crm_portal.job_sweeper` can tell a job whose worker died from a slow one.
A body whose effect is one transaction calls `job_complete` inside it: effect and completion
commit together, and a message delivered again after that commit finds the job finished.

Messages are kept untranslated and translated when read: a job started from a Russian page
reads in English to an English reader and the other way round. A progress message is a msgid
marked with `gettext_noop` (or a lazy translation), with its named parameters in a `JobMessage`:
`progress(40, JobMessage(gettext_noop("Validating %(rows)s rows"), rows=n))`; a
`ValidationError` raised with a lazy message and `params` is kept the same way.
"""

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop, ngettext

from .celery import app
from .models import Job, Organization

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, str], None]

# A lost database connection is worth another try; any other error is the job's own failure.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

WAITING = gettext_noop("In the queue: it starts as soon as the server is free")


def untranslated(message) -> str:
    """The English source of a message: a lazy translation evaluated with no language active."""
    with translation.override(None):
        return str(message)


def _storable(value):
    # The row keeps parameters as JSON: a date, a Decimal or a model instance is kept as its text.
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


class JobMessage(str):
    """A message reading as its English text that keeps its msgid and named parameters.

    The job row stores both, so `models.job_text` can show the message in each reader's language.
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


class JobTask(Task):
    """Base class of every job task: retried on transient errors, failed visibly after that."""

    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = True
    retry_backoff_max = 60
    max_retries = 3

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        job_id = args[0] if args else kwargs.get("job_id")
        error, texts = _failure(exc)
        job = Job.objects.filter(pk=job_id).exclude(status__in=Job.FINISHED).first()
        if job is not None:
            _fail(job, error, texts)


def job_task(kind: str, body: str) -> Task:
    """The Celery task of a job kind: `body` is the dotted path of `work(job, progress) -> dict`.

    The path is imported when a job runs, so a service module may import its app's tasks to
    queue them without an import cycle. The task's name is the job's kind.
    """

    @shared_task(base=JobTask, name=kind, bind=True)
    def task(self, job_id: int) -> None:
        run_job(job_id, import_string(body), task_id=self.request.id)

    return task


def scheduled_task(name: str, body: str) -> Task:
    """A periodic task (named in an AppConfig's `schedules`): `body` is the dotted path of a
    function of no arguments, imported when the task runs, like a job's body."""

    @shared_task(name=name)
    def task():
        return import_string(body)()

    return task


class JobLimitReached(ValidationError):
    """The organization already has as many active jobs as a person may queue (JOBS_ACTIVE_LIMIT)."""


def job_ensure_room(organization: Organization) -> None:
    """Refuse a new job while the organization has JOBS_ACTIVE_LIMIT jobs queued or running."""
    limit = settings.JOBS_ACTIVE_LIMIT
    active = Job.objects.filter(organization=organization, status__in=Job.ACTIVE).count()
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


def _active(organization: Organization, kind: str, key: str) -> Job | None:
    if not key:
        return None
    return Job.objects.filter(organization=organization, kind=kind, key=key, status__in=Job.ACTIVE).first()


def job_enqueue(*, organization: Organization, task: Task, user=None, params: dict | None = None, key: str = "") -> Job:
    """Queue a job of the task's kind in the active language; with a `key` (what the job acts
    on), a job of that kind and key already queued or running is returned instead of a new one."""
    kind = task.name
    existing = _active(organization, kind, key)
    if existing is not None:
        return existing
    person = user if user is not None and user.is_authenticated else None
    if person is not None:
        # What people start is capped per organization; scheduled jobs are bounded by the schedule.
        job_ensure_room(organization)
    job = Job(
        organization=organization,
        kind=kind,
        key=key,
        created_by=person,
        params=params or {},
        language=translation.get_language() or "",
        message=WAITING,
        texts={"message": [WAITING, {}]},
    )
    job.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        # Another request queued the same job between our look and our write (a double click).
        existing = _active(organization, kind, key)
        if existing is None:
            raise
        return existing
    job_send(job)
    return job


def job_send(job: Job, *, only_if: Q | None = None) -> bool:
    """Give the job a new message id and send the message once the transaction commits.

    With `only_if`, only while the row still matches it (the sweeper's guard against a worker
    taking the job meanwhile). Returns whether a message goes out.
    """
    task_id, now = uuid.uuid4().hex, timezone.now()
    rows = Job.objects.filter(pk=job.pk)
    if only_if is not None:
        rows = rows.filter(only_if)
    if not rows.update(task_id=task_id, sent_at=now):
        return False
    job.task_id, job.sent_at = task_id, now
    transaction.on_commit(lambda: app.send_task(job.kind, args=[job.pk], task_id=task_id))
    return True


def job_progress(job: Job, percent: int, message: str = "") -> None:
    """Record progress (and a sign of life) outside any surrounding transaction so pollers see it at once.

    `message` is untranslated: a `gettext_noop` msgid, a lazy translation or a `JobMessage`.
    """
    job.progress = max(0, min(100, int(percent)))
    if message:
        job.message = str(message)[:300]
        job.texts = {**job.texts, "message": _text(message)}
    Job.objects.filter(pk=job.pk).update(
        progress=job.progress, message=job.message, texts=job.texts, heartbeat_at=timezone.now()
    )


def job_complete(job: Job, result: dict | None) -> None:
    """Mark the job succeeded; call it inside the transaction of the job's effect so both commit together."""
    job.status = Job.Status.SUCCEEDED
    job.progress = 100
    job.result = result or {}
    job.finished_at = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=job.status, progress=100, result=job.result, finished_at=job.finished_at
    )


def _failure(exc: Exception) -> tuple[str, list]:
    """The error of a failed job in English, and the portal's own messages to translate."""
    if isinstance(exc, ValidationError):
        errors = (
            exc.error_list
            if not hasattr(exc, "error_dict")
            else [error for field in exc.error_dict.values() for error in field]
        )
        texts = [[untranslated(e.message), {k: _storable(v) for k, v in (e.params or {}).items()}] for e in errors]
        return " ".join(msgid % params if params else msgid for msgid, params in texts), texts
    return f"{type(exc).__name__}: {exc}", []


def _fail(job: Job, error: str, texts: list) -> None:
    job.status = Job.Status.FAILED
    job.error = error[:4000]
    job.texts = {**job.texts, "error": texts} if texts else job.texts
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "texts", "finished_at"])


def _claim(job_id: int, task_id: str | None) -> Job | None:
    """Take the job for this message, or None when it is finished or alive in another worker.

    A queued job is taken by whichever of its messages comes first. A running one is taken again
    by the same message delivered anew (its worker was lost before acknowledging it), or by any
    message once its heartbeat has stopped.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    claimable = Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, heartbeat_at__lt=stale)
    if task_id:
        claimable |= Q(status=Job.Status.RUNNING, task_id=task_id)
    taken = Job.objects.filter(claimable, pk=job_id).update(
        status=Job.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        task_id=task_id or F("task_id"),
        error="",
    )
    return Job.objects.filter(pk=job_id).first() if taken else None


class _Heartbeat(threading.Thread):
    """Touch the job's row every JOBS_HEARTBEAT_SECONDS while it runs, on a connection of its own."""

    def __init__(self, job_id: int):
        super().__init__(daemon=True, name=f"job-{job_id}-heartbeat")
        self.job_id = job_id
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.JOBS_HEARTBEAT_SECONDS):
                try:
                    Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(heartbeat_at=timezone.now())
                except DatabaseError:  # SQLite busy with the job's own writes: the next beat will do
                    logger.debug("heartbeat of job %s skipped", self.job_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def run_job(
    job_id: int, work: Callable[[Job, ProgressCallback], dict | None], task_id: str | None = None
) -> Job | None:
    """Run `work(job, progress)` for a job this message may take, in the language of the person
    who started it, and record the outcome on its row."""
    if not Job.objects.filter(pk=job_id).exists():
        logger.warning("job %s vanished before it ran", job_id)
        return None
    job = _claim(job_id, task_id)
    if job is None:
        logger.info("job %s is finished or runs elsewhere; message %s dropped", job_id, task_id)
        return None
    job.texts = {key: value for key, value in job.texts.items() if key != "error"}
    Job.objects.filter(pk=job.pk).update(texts=job.texts)
    heartbeat = _Heartbeat(job.pk)
    heartbeat.start()
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            result = work(job, lambda percent, message="": job_progress(job, percent, message))
    except TRANSIENT_ERRORS:
        raise  # JobTask retries the same message, which takes the job again
    except Exception as exc:  # the row must say what went wrong, whatever it was
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _fail(job, *_failure(exc))
        return job
    finally:
        heartbeat.stop()
    if not Job.objects.filter(pk=job.pk, status=Job.Status.SUCCEEDED).exists():
        job_complete(job, result)
    job.refresh_from_db()
    return job
