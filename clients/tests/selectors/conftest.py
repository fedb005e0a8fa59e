"""The register most selector tests read: two managers' clients, one of nobody, one elsewhere."""

import pytest

from clients.tests.factories import make_client
from crm_portal.models import Role


@pytest.fixture
def register(org_a, org_b, make_member):
    """Two managers' clients, one client of nobody, and a client of another organization."""
    ann, bob = make_member(org_a, Role.MANAGER, username="ann"), make_member(org_a, Role.MANAGER, username="bob")
    clients = {
        "Ann's": make_client(org_a, "Ann's", manager=ann),
        "Bob's": make_client(org_a, "Bob's", manager=bob),
        "Nobody's": make_client(org_a, "Nobody's"),
    }
    make_client(org_b, "Elsewhere", manager=ann)
    return {"ann": ann, "bob": bob, "clients": clients}
