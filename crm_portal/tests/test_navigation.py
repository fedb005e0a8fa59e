"""The menu follows the role, groups an app's pages, and marks the one page being shown."""

from types import SimpleNamespace

from django.test import RequestFactory

from crm_portal.models import Role
from crm_portal.navigation import nav_for, panels_for
from crm_portal.tenancy import Viewer


def _request(path: str, role: str):
    request = RequestFactory().get(path)
    request.role = role
    return request


def _labels(entries):
    return [str(e["label"]) for e in entries]


def test_core_entries_come_last_and_admin_only_entries_are_hidden():
    manager = _labels(nav_for(_request("/", Role.MANAGER)))
    admin = _labels(nav_for(_request("/", Role.ADMIN)))
    assert manager[-1] == "Jobs" and "Organization" not in manager
    assert admin[-2:] == ["Jobs", "Organization"]


def test_an_app_with_several_pages_is_one_dropdown_with_the_longest_match_active():
    entries = nav_for(_request("/clients/deals/", Role.SALES_HEAD))
    clients = next(e for e in entries if str(e["label"]) == "Clients" and "children" in e)
    children = {str(c["label"]): c["active"] for c in clients["children"]}
    assert clients["active"] is True
    assert children["Deals"] is True
    assert [label for label, active in children.items() if active] == ["Deals"]


def _panel_context(viewer, *args):
    _panel_context.calls.append((viewer, args))
    return {"role": viewer.role}


def test_a_panel_reads_with_the_requests_viewer_not_the_request(monkeypatch):
    request = _request("/", Role.ANALYST)
    request.viewer = Viewer(None, None, Role.ANALYST)
    config = SimpleNamespace(home_panels=[("crm_portal/panels/role.html", None, f"{__name__}._panel_context")])
    monkeypatch.setattr("crm_portal.navigation.apps", SimpleNamespace(get_app_configs=lambda: [config]))
    _panel_context.calls = []

    html = panels_for(request, "home_panels", "card")

    assert _panel_context.calls == [(request.viewer, ("card",))]
    assert 'data-role="analyst"' in html[0]
