"""Thin Celery tasks: each runs one service under the job's row, in the starter's language."""

from celery import shared_task

from crm_portal.jobs import JobTask, run_job

from . import services


def _in_language(work):
    def run(job, progress):
        with services.in_language(job):
            return work(job, progress)

    return run


@shared_task(base=JobTask, name="segmentation.check")
def dataset_check_task(job_id: int):
    run_job(job_id, _in_language(services.dataset_check))


@shared_task(base=JobTask, name="segmentation.run_file")
def run_file_task(job_id: int):
    run_job(job_id, _in_language(services.run_file))


@shared_task(base=JobTask, name="segmentation.run_base")
def run_base_task(job_id: int):
    run_job(job_id, _in_language(services.run_base))


@shared_task(base=JobTask, name="segmentation.import")
def dataset_import_task(job_id: int):
    run_job(job_id, _in_language(services.dataset_import))
