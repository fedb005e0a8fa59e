"""Settlements corrected or deleted in the Django admin rewrite their clients' lifecycle histories."""

import datetime as dt

import pytest
from django.urls import reverse

from clients.models import StateChange
from clients.tests.factories import make_client, settle

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


def _history(client):
    return list(StateChange.objects.filter(client=client).order_by("as_of").values_list("as_of", "state"))


@pytest.fixture
def root(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    return client


def test_a_settlement_deleted_in_the_admin_rewrites_the_history(root, org_a):
    c = make_client(org_a, "C")
    settle(c, "2025-01-10")
    late = settle(c, "2025-03-01")
    assert _history(c) == [(D("2025-01-10"), "new"), (D("2025-04-10"), "regular"), (D("2025-06-01"), "lost")]
    response = root.post(reverse("admin:clients_settlement_delete", args=[late.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert _history(c) == [(D("2025-01-10"), "new"), (D("2025-04-10"), "lost")]


def test_a_settlement_moved_to_another_date_in_the_admin_rewrites_the_history(root, org_a):
    c = make_client(org_a, "C")
    s = settle(c, "2025-01-10")
    url = reverse("admin:clients_settlement_change", args=[s.pk])
    form = {"organization": org_a.pk, "client": c.pk, "date": "2025-02-20", "amount": "100.00", "document": ""}
    assert root.post(url, form).status_code == 302
    assert _history(c) == [(D("2025-02-20"), "new"), (D("2025-05-20"), "lost")]


def test_the_history_cannot_be_edited_in_the_admin(root, org_a):
    c = make_client(org_a, "C")
    settle(c, "2025-01-10")
    change = StateChange.objects.filter(client=c).first()
    assert root.get(reverse("admin:clients_statechange_add")).status_code == 403
    assert root.post(reverse("admin:clients_statechange_delete", args=[change.pk]), {"post": "yes"}).status_code == 403
