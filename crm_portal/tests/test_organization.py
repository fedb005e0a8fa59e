"""Organization settings and members, as an administrator uses them."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crm_portal.models import Membership, Organization, Role


def test_admin_changes_settings(client_as, org_a):
    client = client_as(org_a, Role.ADMIN)
    response = client.post(reverse("org:settings"), {"name": "Alpha Group", "lifecycle_period_months": 6})
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.name, org_a.lifecycle_period_months) == ("Alpha Group", 6)


@pytest.mark.parametrize("period", ["0", "25", "three", ""])
def test_bad_period_is_refused_and_nothing_changes(client_as, org_a, period):
    client = client_as(org_a, Role.ADMIN)
    response = client.post(reverse("org:settings"), {"name": "Changed", "lifecycle_period_months": period})
    assert response.status_code == 200
    assert response.context["form"].errors["lifecycle_period_months"]
    org_a.refresh_from_db()
    assert (org_a.name, org_a.lifecycle_period_months) == ("Alpha Trade", 3)


def test_admin_adds_a_new_person(client_as, org_a):
    client = client_as(org_a, Role.ADMIN)
    response = client.post(
        reverse("org:member_add"),
        {"username": "new-analyst", "email": "a@example.com", "role": Role.ANALYST, "password": "Str0ng-pass-phrase"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="new-analyst")
    assert (membership.organization, membership.role) == (org_a, Role.ANALYST)
    assert membership.user.check_password("Str0ng-pass-phrase")


def test_new_person_without_password_is_refused(client_as, org_a):
    client = client_as(org_a, Role.ADMIN)
    response = client.post(reverse("org:member_add"), {"username": "nopass", "role": Role.MANAGER})
    assert response.status_code == 200
    assert response.context["form"].errors == {"password": ["A new user needs a password."]}
    assert not get_user_model().objects.filter(username="nopass").exists()


def test_existing_person_joins_a_second_organization(client_as, org_a, org_b, make_member):
    consultant = make_member(org_b, Role.ANALYST, username="consultant")
    client = client_as(org_a, Role.ADMIN)
    client.post(reverse("org:member_add"), {"username": "consultant", "role": Role.SALES_HEAD})
    assert set(consultant.memberships.values_list("organization__slug", "role")) == {
        ("alpha", Role.SALES_HEAD),
        ("beta", Role.ANALYST),
    }


def test_last_admin_cannot_step_down(client_as, org_a):
    client = client_as(org_a, Role.ADMIN)
    me = Membership.objects.get(organization=org_a)
    response = client.post(reverse("org:member_role", args=[me.pk]), {"role": Role.MANAGER}, follow=True)
    assert "The organization must keep at least one administrator." in response.content.decode()
    me.refresh_from_db()
    assert me.role == Role.ADMIN


def test_admin_changes_and_removes_a_member(client_as, org_a, make_member):
    manager = make_member(org_a, Role.MANAGER)
    membership = manager.memberships.get()
    client = client_as(org_a, Role.ADMIN)
    client.post(reverse("org:member_role", args=[membership.pk]), {"role": Role.SALES_HEAD})
    membership.refresh_from_db()
    assert membership.role == Role.SALES_HEAD
    client.post(reverse("org:member_remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_settings_page_lists_only_own_members(client_as, org_a, org_b, make_member):
    make_member(org_b, Role.MANAGER, username="beta-only")
    page = client_as(org_a, Role.ADMIN).get(reverse("org:settings")).content.decode()
    assert "beta-only" not in page


def test_switch_to_foreign_organization_is_404(client_as, org_a, org_b):
    client = client_as(org_a, Role.MANAGER)
    assert client.post(reverse("org:switch"), {"organization": org_b.pk}).status_code == 404
    assert client.post(reverse("org:switch"), {"organization": "x"}).status_code == 404
    assert Organization.objects.count() == 2
