"""Tasks of the core: a small demo job that proves the worker and the progress bar."""

from celery import shared_task

from .jobs import JobTask, run_job
from .services import demo_count


@shared_task(base=JobTask, name="crm_portal.demo_count")
def demo_count_task(job_id: int) -> None:
    run_job(job_id, demo_count)
