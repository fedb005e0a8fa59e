"""Thin Celery tasks of loyalty: its job kinds and the daily round (`schedules` in loyalty/apps.py)."""

from celery import shared_task

from crm_portal.jobs import job_task
from crm_portal.models import Organization

metrics_task = job_task("loyalty.metrics", "loyalty.jobs.metrics_job")
points_task = job_task("loyalty.points", "loyalty.jobs.points_refresh_job")
send_links_task = job_task("loyalty.send_links", "loyalty.jobs.send_links_job")
reminders_task = job_task("loyalty.reminders", "loyalty.jobs.reminders_job")


@shared_task(name="loyalty.daily")
def daily_task() -> dict:
    """Repeat due recurring campaigns, mark reminders and queue the reminder e-mails, in every
    organization (run it daily); an organization with reminders to send gets one job for them."""
    from . import mailing, services

    totals = {"repeated": 0, "reminded": 0, "reminder_jobs": 0}
    for organization in Organization.objects.all():
        for key, value in services.loyalty_daily(organization=organization).items():
            totals[key] += value
        if mailing.reminders_due(organization):
            services.reminders_start(organization=organization)
            totals["reminder_jobs"] += 1
    return totals
