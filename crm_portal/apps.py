from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmPortalConfig(AppConfig):
    name = "crm_portal"
    verbose_name = _("Portal core")
    # (label, url name, roles allowed or None for everyone)
    nav_items = [
        (_("Jobs"), "jobs:list", None),
        (_("Organization"), "org:settings", ("admin",)),
    ]
    # Job kind -> the name a person reads on the jobs pages.
    job_kinds = {"demo.count": _("Test job")}
    # (template, roles or None, dotted path of a function request -> context, or None)
    home_panels = [
        ("crm_portal/panels/role.html", None, "crm_portal.selectors.home_role_panel"),
        ("crm_portal/panels/jobs.html", None, "crm_portal.selectors.home_jobs_panel"),
    ]
