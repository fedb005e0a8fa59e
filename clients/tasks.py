"""Thin Celery tasks of the client register: its job kinds and the nightly schedule."""

from celery import shared_task
from django.utils import timezone

from crm_portal.jobs import job_task
from crm_portal.models import Organization

lifecycle_recompute_task = job_task("clients.lifecycle", "clients.jobs.lifecycle_recompute_job")
kpi_export_task = job_task("clients.kpi_export", "clients.jobs.kpi_export_job")


@shared_task(name="clients.lifecycle_daily")
def lifecycle_daily_task() -> int:
    """Queue today's recompute for every organization (run nightly: `schedules` in clients/apps.py)."""
    from .services import lifecycle_recompute_start

    today = timezone.localdate()
    organizations = list(Organization.objects.all())
    for organization in organizations:
        lifecycle_recompute_start(organization=organization, as_of=today)
    return len(organizations)
