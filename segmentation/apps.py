from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "segmentation"
    verbose_name = _("Segmentation")
    nav_items = [(_("ABC/XYZ"), "segmentation:index", ("analyst", "admin", "sales_head"))]
    home_panels = [
        ("segmentation/panels/home.html", ("analyst", "admin", "sales_head"), "segmentation.selectors.home_panel")
    ]
    # On the sales head's dashboard: the latest base run's matrix and how many clients moved since the one before.
    dashboard_panels = [("segmentation/panels/dashboard.html", None, "segmentation.selectors.dashboard_panel")]
    client_card_panels = [
        ("segmentation/panels/client_classes.html", None, "segmentation.selectors.client_classes_panel")
    ]
    job_kinds = {
        "segmentation.check": _("File check"),
        "segmentation.run_file": _("ABC/XYZ on a file"),
        "segmentation.run_base": _("ABC/XYZ on the client base"),
        "segmentation.import": _("Settlements import"),
    }
