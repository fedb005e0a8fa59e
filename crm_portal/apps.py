from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CrmPortalConfig(AppConfig):
    name = "crm_portal"
    verbose_name = _("Portal")
    # (label, url name, roles allowed or None for everyone)
    nav_items = [
        (_("Jobs"), "jobs:list", None),
        (_("Organization"), "org:settings", ("admin",)),
    ]
    # Job kind -> the name a person reads on the jobs pages.
    job_kinds = {"demo.count": _("Test job")}
    # Periodic task name -> when it runs (seconds or a crontab); every app declares its own so.
    # Notifications go by e-mail, to those who chose it, within NOTIFICATIONS_EMAIL_SECONDS.
    schedules = {
        "crm_portal.jobs_sweep": settings.JOBS_SWEEP_SECONDS,
        "crm_portal.notifications_email": settings.NOTIFICATIONS_EMAIL_SECONDS,
    }
    # (template, roles or None, dotted path of a function request -> context, or None)
    home_panels = [
        ("crm_portal/panels/role.html", None, "crm_portal.selectors.home_role_panel"),
        ("crm_portal/panels/jobs.html", None, "crm_portal.selectors.home_jobs_panel"),
    ]

    def ready(self) -> None:
        # Celery reads the schedule from settings when beat starts, after every app is ready.
        for config in apps.get_app_configs():
            for task, schedule in getattr(config, "schedules", {}).items():
                settings.CELERY_BEAT_SCHEDULE.setdefault(task, {"task": task, "schedule": schedule})
