"""Tasks of the core: the job sweeper, and a small demo job that proves the worker and the progress bar."""

from celery import shared_task

from .job_sweeper import jobs_sweep
from .jobs import job_task

demo_count_task = job_task("demo.count", "crm_portal.services.demo_count")


@shared_task(name="crm_portal.jobs_sweep")
def jobs_sweep_task() -> dict:
    return jobs_sweep()
