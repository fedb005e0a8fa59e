"""Lists and counts of the register: complaints by status and source, upcoming birthdays.

Called with a `Viewer` or plain arguments, never a request; `make test` runs them on SQLite too.
"""

import datetime as dt

import pytest

from clients import selectors
from clients.models import Complaint, ContactPerson
from crm_portal.models import Role
from crm_portal.tenancy import Viewer

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


def test_complaint_counts_by_status_and_source_and_the_share_of_clients_who_complained(org_a, register):
    clients = register["clients"]
    Complaint.objects.create(organization=org_a, client=clients["Ann's"], subject="Late")
    Complaint.objects.create(
        organization=org_a, client=clients["Ann's"], subject="Broken", source="survey", status="investigating"
    )
    Complaint.objects.create(organization=org_a, client=clients["Bob's"], subject="Rude", source="satisfaction")

    head = selectors.complaint_counts(Viewer(org_a, register["bob"], Role.SALES_HEAD))
    ann = selectors.complaint_counts(Viewer(org_a, register["ann"], Role.MANAGER))

    assert head["total"] == 3 and head["complaining_share"] == pytest.approx(200 / 3)
    assert [(status, n) for status, _label, n in head["statuses"]][:3] == [
        ("registered", 2),
        ("investigating", 1),
        ("cause_removed", 0),
    ]
    assert head["sources"] == [("Registered by staff", 1), ("Low satisfaction score", 1), ("Survey answer", 1)]
    assert ann["total"] == 2 and ann["complaining_share"] == 100.0
    assert ann["sources"] == [("Registered by staff", 1), ("Low satisfaction score", 0), ("Survey answer", 1)]


def test_complaint_counts_without_a_visible_client_give_no_share(org_a, make_member):
    counts = selectors.complaint_counts(Viewer(org_a, make_member(org_a, Role.MANAGER), Role.MANAGER))

    assert (counts["total"], counts["complaining_share"]) == (0, None)


def test_upcoming_birthdays_of_the_managers_clients_in_the_coming_week(org_a, register):
    clients, today = register["clients"], D("2026-12-29")
    for name, client, birthday in [
        ("Eve", clients["Ann's"], "1980-01-04"),
        ("Dan", clients["Ann's"], "1975-12-29"),
        ("Old", clients["Ann's"], "1990-12-28"),
        ("Far", clients["Ann's"], "1990-01-05"),
        ("Bob's Kim", clients["Bob's"], "1985-12-30"),
    ]:
        ContactPerson.objects.create(organization=org_a, client=client, name=name, birthday=D(birthday))

    ann = selectors.upcoming_birthdays(Viewer(org_a, register["ann"], Role.MANAGER), today)
    head = selectors.upcoming_birthdays(Viewer(org_a, register["bob"], Role.SALES_HEAD), today)

    assert [p.name for p in ann] == ["Dan", "Eve"]  # the coming days in order, across the new year
    assert [p.name for p in head] == ["Dan", "Bob's Kim", "Eve"]
