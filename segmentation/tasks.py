"""Thin Celery tasks of segmentation: one per job kind, the bodies in segmentation/jobs.py."""

from crm_portal.jobs import job_task

dataset_check_task = job_task("segmentation.check", "segmentation.jobs.dataset_check")
run_file_task = job_task("segmentation.run_file", "segmentation.jobs.run_file")
run_base_task = job_task("segmentation.run_base", "segmentation.jobs.run_base")
dataset_import_task = job_task("segmentation.import", "segmentation.jobs.dataset_import")
