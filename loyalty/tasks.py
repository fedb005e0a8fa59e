"""Thin Celery tasks: each loads a job by id and calls a service that reports progress."""

from celery import current_app, shared_task
from celery.schedules import crontab

from crm_portal.jobs import JobTask, job_enqueue, run_job
from crm_portal.models import Organization

from . import ledger, mailing, metric_runs, services


@shared_task(base=JobTask, name="loyalty.metrics")
def metrics_task(job_id: int) -> None:
    run_job(job_id, metric_runs.metrics_job)


@shared_task(base=JobTask, name="loyalty.points")
def points_task(job_id: int) -> None:
    run_job(job_id, ledger.points_refresh_job)


@shared_task(base=JobTask, name="loyalty.send_links")
def send_links_task(job_id: int) -> None:
    run_job(job_id, mailing.send_links_job)


@shared_task(base=JobTask, name="loyalty.reminders")
def reminders_task(job_id: int) -> None:
    run_job(job_id, mailing.reminders_job)


@shared_task(name="loyalty.daily")
def daily_task() -> dict:
    """Repeat due recurring campaigns, mark reminders and queue the reminder e-mails, in every
    organization (run it daily); an organization with reminders to send gets one job for them."""
    totals = {"repeated": 0, "reminded": 0, "reminder_jobs": 0}
    for organization in Organization.objects.all():
        for key, value in services.loyalty_daily(organization=organization).items():
            totals[key] += value
        if mailing.reminders_due(organization):
            job_enqueue(organization=organization, kind="loyalty.reminders", task=reminders_task)
            totals["reminder_jobs"] += 1
    return totals


# Celery's own way for an app to add its periodic tasks: no edit of the core's settings needed.
# https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html#entries
current_app.add_periodic_task(crontab(hour=6, minute=15), daily_task.s(), name="loyalty.daily")
