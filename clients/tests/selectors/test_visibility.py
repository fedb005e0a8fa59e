"""Who sees which clients and the rows that hang off them, for each role.

Called with a `Viewer` or plain arguments, never a request; `make test` runs them on SQLite too.
"""

import datetime as dt

import pytest

from clients import selectors
from clients.models import Deal
from crm_portal.models import Role
from crm_portal.tenancy import Viewer

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


@pytest.mark.parametrize(
    "role, seen",
    [
        (Role.MANAGER, ["Ann's"]),
        (Role.SALES_HEAD, ["Ann's", "Bob's", "Nobody's"]),
        (Role.ANALYST, ["Ann's", "Bob's", "Nobody's"]),
        (Role.ADMIN, ["Ann's", "Bob's", "Nobody's"]),
        (None, []),  # a person without a role here (a job's user who has left the organization)
    ],
)
def test_a_manager_sees_their_own_clients_every_other_role_all(org_a, register, role, seen):
    viewer = Viewer(org_a, register["ann"], role)

    assert sorted(selectors.clients_visible_to(viewer).values_list("name", flat=True)) == seen


def test_without_an_organization_nobody_sees_a_client(register):
    assert list(selectors.clients_visible_to(Viewer(None, register["ann"], Role.ADMIN))) == []


@pytest.mark.parametrize("role, seen", [(Role.MANAGER, ["Ann's"]), (Role.SALES_HEAD, ["Ann's", "Bob's", "Nobody's"])])
def test_rows_hanging_off_clients_follow_the_clients_visibility(org_a, register, role, seen):
    for name, client in register["clients"].items():
        Deal.objects.create(organization=org_a, client=client, title=f"Deal of {name}")

    rows = selectors.visible_rows(Viewer(org_a, register["ann"], role), Deal)

    assert sorted(rows.values_list("client__name", flat=True)) == seen


def test_only_managers_heads_and_administrators_edit():
    assert [role for role in (*Role.values, None) if selectors.can_edit(role)] == [
        Role.MANAGER,
        Role.SALES_HEAD,
        Role.ADMIN,
    ]
