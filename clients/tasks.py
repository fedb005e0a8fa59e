"""Thin Celery tasks of the client register."""

from celery import shared_task
from django.utils import timezone, translation

from crm_portal.jobs import JobTask, job_enqueue, run_job
from crm_portal.models import Organization

from . import services


@shared_task(base=JobTask, name="clients.lifecycle_recompute")
def lifecycle_recompute_task(job_id: int) -> None:
    run_job(job_id, services.lifecycle_recompute_job)


def lifecycle_recompute_enqueue(*, organization: Organization, user=None, as_of=None):
    """Queue a lifecycle recompute job (after an import, or from the daily schedule)."""
    return job_enqueue(
        organization=organization,
        kind="clients.lifecycle",
        task=lifecycle_recompute_task,
        user=user,
        params={"as_of": as_of.isoformat()} if as_of else {},
    )


@shared_task(name="clients.lifecycle_daily")
def lifecycle_daily_task() -> int:
    """Queue today's recompute for every organization (the core's beat schedule runs it nightly)."""
    today = timezone.localdate()
    for organization in Organization.objects.all():
        lifecycle_recompute_enqueue(organization=organization, as_of=today)
    return Organization.objects.count()


@shared_task(base=JobTask, name="clients.kpi_export")
def kpi_export_task(job_id: int) -> None:
    run_job(job_id, services.kpi_export_job)


def kpi_export_enqueue(*, organization: Organization, user, start, end):
    """Queue the KPI spreadsheet of a period for this user (their visibility and language)."""
    return job_enqueue(
        organization=organization,
        kind=services.KPI_EXPORT_KIND,
        task=kpi_export_task,
        user=user,
        params={"start": start.isoformat(), "end": end.isoformat(), "user_id": user.pk,
                "language": translation.get_language()},
    )
