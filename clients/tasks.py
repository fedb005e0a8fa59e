"""Thin Celery tasks of the client register: its job kinds and the nightly round (`schedules` in apps.py)."""

from crm_portal.jobs import job_task, scheduled_task

lifecycle_recompute_task = job_task("clients.lifecycle", "clients.jobs.lifecycle_recompute_job")
kpi_export_task = job_task("clients.kpi_export", "clients.jobs.kpi_export_job")
lifecycle_daily_task = scheduled_task("clients.lifecycle_daily", "clients.services.lifecycle_daily")
digest_weekly_task = scheduled_task("clients.digest_weekly", "clients.services.digest_weekly")
care_points_task = scheduled_task("clients.care_points", "clients.services.care_points_create")
points_overdue_task = scheduled_task("clients.points_overdue", "clients.services.control_points_overdue_notify")
