"""The role matrix: which role opens which page.

Every parameterless page is requested by every role and must answer as its declared roles say
(the `roles_required` decorator keeps them on the view); the table below pins the core pages.
"""

import pytest
from django.urls import reverse

from crm_portal.models import Role
from crm_portal.urlwalk import iter_routes

EVERYONE = set(Role.values)
EXPECTED = {
    "home": {role: 200 for role in EVERYONE},
    "jobs:list": {role: 200 for role in EVERYONE},
    "org:settings": {Role.ADMIN: 200, Role.MANAGER: 403, Role.SALES_HEAD: 403, Role.ANALYST: 403},
    "org:member_add": {Role.ADMIN: 200, Role.MANAGER: 403, Role.SALES_HEAD: 403, Role.ANALYST: 403},
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_core_role_matrix(client_as, org_a, role):
    client = client_as(org_a, role)
    for name, statuses in EXPECTED.items():
        assert client.get(reverse(name)).status_code == statuses[role], (name, role)


def parameterless_portal_routes():
    return [r for r in iter_routes() if not r.parameters and hasattr(r.callback, "allowed_roles")]


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_every_page_follows_its_declared_roles(client_as, org_a, role):
    client = client_as(org_a, role)
    routes = parameterless_portal_routes()
    assert {r.name for r in routes} >= set(EXPECTED)
    for route in routes:
        allowed = route.callback.allowed_roles
        status = client.get(reverse(route.name)).status_code
        if allowed and role not in allowed:
            assert status == 403, (route.name, role, status)
        else:
            assert status in (200, 302, 405), (route.name, role, status)


def test_every_portal_view_declares_its_roles():
    """A view without `roles_required` would be reachable without an organization."""
    # Signed in but needing no organization: a person without one answers invitations there.
    public = {"login", "logout", "set_language", "no_organization", "invitation_respond", "public"}
    for route in iter_routes():
        if route.name.split(":")[-1] in public or getattr(route.callback, "public", False):
            continue
        assert hasattr(route.callback, "allowed_roles"), f"{route.name or route.route} lacks roles_required"


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("jobs:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_user_without_organization_sees_why(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("loner", password="x-loner-123"))
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("no_organization")
    assert "not a member of any organization" in response.content.decode()
