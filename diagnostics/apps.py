from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiagnosticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "diagnostics"
    verbose_name = _("Diagnostics")
    nav_items = [
        (_("Diagnostics"), "diagnostics:index", None),
        (_("My actions"), "diagnostics:actions", None),
    ]
    home_panels = [
        ("diagnostics/panels/actions.html", None, "diagnostics.selectors.home_actions_panel"),
    ]
