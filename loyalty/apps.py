from celery.schedules import crontab
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "loyalty"
    verbose_name = _("Loyalty")
    nav_items = [
        (_("Loyalty"), "loyalty:overview", None),
    ]
    job_kinds = {
        "loyalty.metrics": _("Loyalty metrics"),
        "loyalty.points": _("Bonus points and tiers"),
        "loyalty.send_links": _("Survey links by e-mail"),
        "loyalty.reminders": _("Survey reminders by e-mail"),
    }
    # Every morning: recurring campaigns repeat and reminders go out.
    schedules = {"loyalty.daily": crontab(hour=6, minute=15)}
    home_panels = [
        ("loyalty/panels/home.html", None, "loyalty.selectors.home_panel"),
    ]
    client_card_panels = [
        ("loyalty/panels/client_card.html", None, "loyalty.selectors.client_card_panel"),
    ]
    # On the sales head's dashboard: the newest month of every trend metric and its change.
    dashboard_panels = [("loyalty/panels/dashboard.html", None, "loyalty.selectors.dashboard_panel")]

    def ready(self) -> None:
        from clients.models import Complaint
        from clients.signals import complaint_closed

        from .receivers import on_complaint_closed

        complaint_closed.connect(on_complaint_closed, sender=Complaint, dispatch_uid="loyalty-complaint-csat")
