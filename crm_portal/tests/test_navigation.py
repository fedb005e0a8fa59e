"""The menu follows the role, groups an app's pages, and marks the one page being shown."""

from django.test import RequestFactory

from crm_portal.models import Role
from crm_portal.navigation import nav_for


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
