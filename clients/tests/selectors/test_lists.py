"""Lists and counts of the register: complaints by status and source, upcoming birthdays.

Called with a `Viewer` or plain arguments, never a request; `make test` runs them on SQLite too.
"""

import datetime as dt

import pytest

from clients import selectors
from clients.models import Client, Complaint, ContactPerson
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
    assert head["sources"] == [
        ("Registered by staff", 1),
        ("Low satisfaction score", 1),
        ("Survey answer", 1),
        ("Unhappy after a deal's event", 0),
    ]
    assert ann["total"] == 2 and ann["complaining_share"] == 100.0
    assert ann["sources"] == [
        ("Registered by staff", 1),
        ("Low satisfaction score", 0),
        ("Survey answer", 1),
        ("Unhappy after a deal's event", 0),
    ]


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


def test_my_day_groups_points_by_when_they_are_due(org_a, org_b, register):
    """Wednesday 2 December 2026: overdue before it, today, this week to Sunday 6 December, later after it."""
    from clients.models import ControlPoint

    ann = register["ann"]
    clients = register["clients"]
    dues = {
        "late": D("2026-11-20"),
        "yesterday": D("2026-12-01"),
        "now": D("2026-12-02"),
        "thursday": D("2026-12-03"),
        "sunday": D("2026-12-06"),
        "monday": D("2026-12-07"),
    }
    made = {
        note: ControlPoint.objects.create(
            organization=org_a, client=clients["Ann's"], kind="care", due_date=due, note=note
        )
        for note, due in dues.items()
    }
    ControlPoint.objects.create(
        organization=org_a,
        client=clients["Ann's"],
        kind="care",
        due_date=D("2026-11-30"),
        done_at=dt.datetime.now(dt.UTC),
    )  # done: in no group
    ControlPoint.objects.create(organization=org_a, client=clients["Bob's"], kind="care", due_date=D("2026-12-01"))
    viewer = Viewer(org_a, ann, Role.MANAGER)

    day = selectors.my_day(viewer, today=D("2026-12-02"))
    assert day["groups"] == [("overdue", 2), ("today", 1), ("week", 2), ("later", 1)]
    assert day["group"] == "overdue"  # the first group with anything in it
    assert [p.note for p in day["points"]] == ["late", "yesterday"]
    assert [p.note for p in selectors.my_day(viewer, group="week", today=D("2026-12-02"))["points"]] == [
        "thursday",
        "sunday",
    ]
    # On a Sunday the week is over: what is due after it is later.
    sunday = selectors.my_day(viewer, today=D("2026-12-06"))
    assert sunday["groups"] == [("overdue", 4), ("today", 1), ("week", 0), ("later", 1)]
    # With nothing overdue the day opens on today's points.
    ControlPoint.objects.filter(pk__in=[made["late"].pk, made["yesterday"].pk]).delete()
    assert selectors.my_day(viewer, today=D("2026-12-02"))["group"] == "today"


def test_complaints_of_a_period_and_of_chosen_clients_with_the_median_days_to_close(org_a, register):
    from django.utils import timezone

    clients = register["clients"]
    tz = timezone.get_current_timezone()

    def complaint(client, registered, closed=None):
        made = Complaint.objects.create(organization=org_a, client=client, subject="x")
        at = dt.datetime.fromisoformat(registered).replace(tzinfo=tz)
        Complaint.objects.filter(pk=made.pk).update(
            created_at=at,
            closed_at=None if closed is None else at + dt.timedelta(days=closed),
            status="closed" if closed is not None else "registered",
        )

    complaint(clients["Ann's"], "2026-10-01T00:30:00", closed=2)  # just inside the period, local time
    complaint(clients["Ann's"], "2026-10-15T12:00:00", closed=5)
    complaint(clients["Bob's"], "2026-11-01T12:00:00", closed=9)
    complaint(clients["Bob's"], "2026-11-02T12:00:00")
    complaint(clients["Bob's"], "2026-09-30T23:30:00", closed=1)  # the day before
    head = Viewer(org_a, register["bob"], Role.SALES_HEAD)
    period = {"start": D("2026-10-01"), "end": D("2026-12-31")}

    counts = selectors.complaint_counts(head, **period)
    assert (counts["total"], counts["median_days_to_close"]) == (4, 5.0)
    assert dict((value, n) for value, _label, n in counts["statuses"])["closed"] == 3
    assert counts["complaining_share"] == pytest.approx(200 / 3)  # Ann's and Bob's of three clients
    anns = selectors.complaint_counts(head, clients=Client.objects.filter(pk=clients["Ann's"].pk), **period)
    assert (anns["total"], anns["median_days_to_close"], anns["complaining_share"]) == (2, 3.5, 100.0)
    assert selectors.complaint_counts(head)["total"] == 5
