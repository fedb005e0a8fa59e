from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def load_instruments_after_migrate(sender, apps=None, using="default", **kwargs) -> None:
    """Bring the instruments in line with the files after every `migrate` (and test flush).

    A changed file becomes a new version; unchanged files change nothing. Skipped while the
    tables do not exist (migrating backwards).
    """
    from django.apps import apps as global_apps

    from .loader import load, read_all

    apps = apps or global_apps  # `flush` sends no app registry
    try:
        instrument = apps.get_model("diagnostics", "Instrument")
        version = apps.get_model("diagnostics", "InstrumentVersion")
    except LookupError:
        return
    load(instrument, version, read_all())


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

    def ready(self) -> None:
        post_migrate.connect(load_instruments_after_migrate, sender=self, dispatch_uid="diagnostics.load_instruments")
