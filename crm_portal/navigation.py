"""The menu and the home page's panels, gathered from every app's AppConfig.

Each app lists its own `nav_items` and `home_panels`, so a new app never edits the base
template or the home view; both are filtered by the request's role.
"""

from django.apps import apps
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.module_loading import import_string


def _allowed(request: HttpRequest, roles) -> bool:
    return roles is None or request.role in roles


def nav_for(request: HttpRequest) -> list[dict]:
    entries = []
    for config in apps.get_app_configs():
        for label, url_name, roles in getattr(config, "nav_items", ()):
            if _allowed(request, roles):
                url = reverse(url_name)
                entries.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return entries


def home_panels_for(request: HttpRequest) -> list[str]:
    """Render each app's home panels: (template, roles, dotted path of a context function)."""
    panels = []
    for config in apps.get_app_configs():
        for template, roles, context_path in getattr(config, "home_panels", ()):
            if _allowed(request, roles):
                context = import_string(context_path)(request) if context_path else {}
                panels.append(render_to_string(template, context, request=request))
    return panels
