"""Thin Celery tasks of loyalty: its job kinds and the daily round (`schedules` in loyalty/apps.py)."""

from crm_portal.jobs import job_task, scheduled_task

metrics_task = job_task("loyalty.metrics", "loyalty.jobs.metrics_job")
points_task = job_task("loyalty.points", "loyalty.jobs.points_refresh_job")
send_links_task = job_task("loyalty.send_links", "loyalty.jobs.send_links_job")
reminders_task = job_task("loyalty.reminders", "loyalty.jobs.reminders_job")
daily_task = scheduled_task("loyalty.daily", "loyalty.jobs.daily_round")
