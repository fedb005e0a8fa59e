"""The manager KPIs spreadsheet, queued as a job."""

import datetime

from crm_portal.jobs import job_enqueue
from crm_portal.models import Job, Organization

from .. import tasks


def kpi_export_start(*, organization: Organization, user, start: datetime.date, end: datetime.date) -> Job:
    """Queue the KPI spreadsheet of a period for this user (their visibility, their language)."""
    return job_enqueue(
        organization=organization,
        task=tasks.kpi_export_task,
        user=user,
        params={"start": start.isoformat(), "end": end.isoformat(), "user_id": user.pk},
        key=f"{user.pk}:{start}:{end}",
    )
