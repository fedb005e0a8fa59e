"""Jobs never lost, never stuck: the periodic sweep behind the job mechanism of `crm_portal.jobs`.

The broker may lose messages (Redis restarted without persistence, a folder broker's worker
killed after it took a file) and a worker may die with its job half done. The rows say what
should be happening, so every minute the sweep compares them with the broker:

- a job queued for longer than JOBS_RESEND_SECONDS whose message is not in the broker is sent
  again (when the broker cannot be looked into, it is sent again anyway: a duplicate message
  finds the job taken and is dropped);
- a running job whose heartbeat stopped JOBS_STALE_SECONDS ago lost its worker: it is queued and
  sent again, as every job body is safe to run again, until it has been taken
  JOBS_MAX_ATTEMPTS times; then it fails with a message a person understands.
"""

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from .celery import app
from .jobs import JobMessage, _fail, job_send
from .models import Job

logger = logging.getLogger(__name__)

GAVE_UP = gettext_noop(
    "The server running this job stopped before it finished (attempts: %(attempts)s). The job was "
    "stopped so that it does not block others; nothing it was doing was kept half-done. Start it "
    "again; if it stops again, tell your administrator."
)


def messages_in_flight() -> set[str] | None:
    """Ids of the task messages the broker holds (waiting or delivered and not yet acknowledged),
    or None for a broker this cannot look into."""
    with app.connection_for_read() as conn:
        driver = conn.transport.driver_type
        if driver == "redis":
            return _redis_messages(conn.default_channel, app.conf.task_default_queue)
        if driver == "filesystem":
            return _folder_messages(Path(conn.transport_options["data_folder_in"]))
    return None


def _message_id(payload) -> str | None:
    try:
        message = json.loads(payload)
    except (TypeError, ValueError):
        return None
    if isinstance(message, list):  # kombu's unacked entries: [message, exchange, routing key]
        message = message[0] if message else {}
    return (message.get("headers") or {}).get("id") if isinstance(message, dict) else None


def _redis_messages(channel, queue: str) -> set[str]:
    # kombu keeps a queue as one Redis list per priority step and delivered, unacknowledged
    # messages in one hash (kombu/transport/redis.py: `_q_for_pri`, `unacked_key`).
    client = channel.client
    ids = set()
    for step in channel.priority_steps:
        for payload in client.lrange(channel._q_for_pri(queue, step), 0, -1):
            ids.add(_message_id(payload))
    for payload in client.hvals(channel.unacked_key):
        ids.add(_message_id(payload))
    ids.discard(None)
    return ids


def _folder_messages(folder: Path) -> set[str]:
    ids = set()
    for path in folder.glob("*.msg"):
        try:
            ids.add(_message_id(path.read_bytes()))
        except OSError:  # taken by a worker while we looked
            continue
    ids.discard(None)
    return ids


def jobs_sweep(*, now: datetime | None = None) -> dict:
    """Send again the jobs whose message was lost; recover or fail the jobs whose worker died."""
    now = now or timezone.now()
    resend_before = now - timedelta(seconds=settings.JOBS_RESEND_SECONDS)
    stale_before = now - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    totals = {"resent": 0, "recovered": 0, "failed": 0}

    waiting = Job.objects.filter(status=Job.Status.QUEUED).filter(
        Q(sent_at__lt=resend_before) | Q(sent_at__isnull=True, created_at__lt=resend_before)
    )
    if waiting.exists():
        in_flight = messages_in_flight()
        for job in waiting:
            if in_flight is not None and job.task_id in in_flight:
                continue
            # Only a job still queued with the lost message gets a new one; one taken meanwhile keeps its own.
            if job_send(job, only_if=Q(status=Job.Status.QUEUED, task_id=job.task_id)):
                logger.warning("job %s (%s): its message was lost; sent it again", job.pk, job.kind)
                totals["resent"] += 1

    for job in Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=stale_before):
        if job.attempts >= settings.JOBS_MAX_ATTEMPTS:
            logger.error("job %s (%s): its worker stopped %s times; giving up", job.pk, job.kind, job.attempts)
            message = JobMessage(GAVE_UP, attempts=job.attempts)
            _fail(job, str(message), [[message.msgid, message.params]])
            totals["failed"] += 1
            continue
        # Queued again only if its heartbeat is still the stale one we saw (it did not wake up).
        stopped = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, heartbeat_at=job.heartbeat_at)
        if stopped.update(status=Job.Status.QUEUED) and job_send(job, only_if=Q(status=Job.Status.QUEUED)):
            logger.warning("job %s (%s): its worker stopped; running it again", job.pk, job.kind)
            totals["recovered"] += 1
    return totals
