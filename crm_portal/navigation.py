"""The menu and the pages' panels, gathered from every app's AppConfig.

Each app lists its own `nav_items`, `home_panels` and `client_card_panels`, so a new app never
edits the base template or another app's views; all are filtered by the request's role.
"""

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.module_loading import import_string


def _allowed(request: HttpRequest, roles) -> bool:
    return roles is None or request.role in roles


def nav_for(request: HttpRequest) -> list[dict]:
    """The menu: one entry per app, a dropdown where an app offers several pages.

    The core's own entries (jobs, organization) come last; the page whose address matches the
    current path longest is the active one.
    """
    groups = []
    for config in apps.get_app_configs():
        items = [
            {"label": label, "url": reverse(url_name), "active": False}
            for label, url_name, roles in getattr(config, "nav_items", ())
            if _allowed(request, roles)
        ]
        if items:
            groups.append((config.name == "crm_portal", config.verbose_name, items))
    groups.sort(key=lambda group: group[0])
    every_item = [item for _, _, items in groups for item in items]
    matching = [item for item in every_item if request.path.startswith(item["url"]) and item["url"] != "/"]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    entries = []
    for is_core, label, items in groups:
        if len(items) == 1 or is_core:
            entries.extend(items)
        else:
            entries.append(
                {"label": label, "children": items, "active": any(i["active"] for i in items), "url": items[0]["url"]}
            )
    return entries


def panels_for(request: HttpRequest, attribute: str, *args) -> list[str]:
    """Render every app's panels listed under `attribute` (`home_panels`, `client_card_panels`,
    `dashboard_panels`).

    Each entry is (template, roles or None, dotted path of a selector (viewer, *args) -> context
    or None); entries whose roles exclude the request's role are skipped. The selector gets
    `request.viewer`, not the request: a panel reads like any other selector.
    """
    panels = []
    for config in apps.get_app_configs():
        for template, roles, context_path in getattr(config, attribute, ()):
            if _allowed(request, roles):
                context = import_string(context_path)(request.viewer, *args) if context_path else {}
                panels.append(render_to_string(template, context, request=request))
    return panels


def portal_url(path: str) -> str:
    """An absolute address in the portal for a message (a task has no request to take the host from)."""
    return settings.PORTAL_BASE_URL.rstrip("/") + path
