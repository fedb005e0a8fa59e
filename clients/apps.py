from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clients"
    verbose_name = _("Clients")
    nav_items = [
        (_("Clients"), "clients:list", None),
    ]
    home_panels = [
        ("clients/panels/home.html", None, "clients.selectors.home_panel"),
    ]

    def ready(self) -> None:
        from django.conf import settings
        from celery.schedules import crontab

        # Every night the states move on by themselves: a client with no purchase becomes lost.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "clients-lifecycle-daily",
            {"task": "clients.lifecycle_daily", "schedule": crontab(hour=2, minute=15)},
        )
