from celery.schedules import crontab
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clients"
    verbose_name = _("Clients")
    nav_items = [
        (_("Clients"), "clients:list", None),
        (_("My day"), "clients:my_day", ("manager", "sales_head", "admin")),
        (_("Deals"), "clients:deals", None),
        (_("Complaints"), "clients:complaints", None),
        (_("Ideal client"), "clients:matrix", None),
        (_("Dashboard"), "clients:dashboard", ("sales_head", "analyst", "admin")),
        (_("Manager KPIs"), "clients:kpi", ("sales_head", "analyst", "admin")),
    ]
    home_panels = [
        ("clients/panels/home.html", None, "clients.selectors.home_panel"),
    ]
    job_kinds = {
        "clients.lifecycle": _("Lifecycle states recomputed"),
        "clients.kpi_export": _("Manager KPIs to Excel"),
    }
    # Every night the states move on by themselves: a client with no purchase becomes lost.
    # Every Monday morning the weekly digest goes to its subscribers. Every morning the managers get
    # greeting points for the coming week's birthdays and holidays, then people hear of their
    # control points that became overdue.
    schedules = {
        "clients.lifecycle_daily": crontab(hour=3, minute=0),
        "clients.digest_weekly": crontab(day_of_week="mon", hour=7, minute=0),
        "clients.care_points": crontab(hour=6, minute=0),
        "clients.points_overdue": crontab(hour=6, minute=30),
    }
