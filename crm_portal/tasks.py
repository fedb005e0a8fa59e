"""Tasks of the core: the job sweeper, the notification e-mails, and a small demo job that proves the worker and the progress bar."""

from celery import shared_task

from .job_sweeper import jobs_sweep
from .jobs import job_task, scheduled_task

demo_count_task = job_task("demo.count", "crm_portal.services.demo_count")
notifications_email_task = scheduled_task("crm_portal.notifications_email", "crm_portal.services.notifications_email")


@shared_task(name="crm_portal.jobs_sweep")
def jobs_sweep_task() -> dict:
    return jobs_sweep()
