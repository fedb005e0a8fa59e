"""The care round: birthdays and the organization's holidays become greeting points, once each."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clients import services
from clients.models import ContactPerson, ControlPoint
from clients.occasions import coming_days
from clients.tests.factories import make_client
from crm_portal import services as core_services
from crm_portal.models import Holiday, Role

pytestmark = pytest.mark.django_db


def _person(client, name, birthday):
    return ContactPerson.objects.create(organization=client.organization, client=client, name=name, birthday=birthday)


def _points():
    return sorted(ControlPoint.objects.values_list("client__name", "kind", "due_date", "note", "responsible__username"))


def test_coming_days_cover_a_week_across_the_new_year_and_greet_29_february_on_the_28th():
    assert coming_days(dt.date(2026, 12, 29)) == {
        (12, 29): dt.date(2026, 12, 29),
        (12, 30): dt.date(2026, 12, 30),
        (12, 31): dt.date(2026, 12, 31),
        (1, 1): dt.date(2027, 1, 1),
        (1, 2): dt.date(2027, 1, 2),
        (1, 3): dt.date(2027, 1, 3),
        (1, 4): dt.date(2027, 1, 4),
    }
    assert coming_days(dt.date(2027, 2, 25))[(2, 29)] == dt.date(2027, 2, 28)
    assert coming_days(dt.date(2028, 2, 25))[(2, 29)] == dt.date(2028, 2, 29)


def test_birthdays_of_the_coming_week_become_points_for_the_clients_manager_once(org_a, make_member):
    anna = make_member(org_a, Role.MANAGER, username="anna")
    alpha, beta = make_client(org_a, "Alpha", manager=anna), make_client(org_a, "Beta")  # Beta has no manager
    _person(alpha, "Ivan Petrov", dt.date(1980, 1, 2))
    _person(alpha, "Olga Ivanova", dt.date(1990, 1, 10))  # after the week
    _person(beta, "Nobody's Contact", dt.date(1985, 12, 30))
    today = dt.date(2026, 12, 29)
    assert services.care_points_create(today) == 1
    assert _points() == [("Alpha", "birthday", dt.date(2027, 1, 2), "Ivan Petrov", "anna")]
    ControlPoint.objects.update(done_at=dt.datetime(2026, 12, 30, tzinfo=dt.UTC))
    assert services.care_points_create(today + dt.timedelta(days=1)) == 0  # done stays done, never twice
    assert ControlPoint.objects.count() == 1


def test_a_holiday_gives_every_managed_client_a_point_in_its_own_organization_only(org_a, org_b, make_member):
    anna = make_member(org_a, Role.MANAGER, username="anna")
    boris = make_member(org_b, Role.MANAGER, username="boris")
    make_client(org_a, "Alpha", manager=anna)
    make_client(org_a, "Gamma", manager=anna)
    make_client(org_a, "Unassigned")
    make_client(org_b, "Other", manager=boris)
    Holiday.objects.create(organization=org_a, name="New Year", month=1, day=1)
    Holiday.objects.create(organization=org_b, name="Spring", month=3, day=1)
    assert services.care_points_create(dt.date(2026, 12, 28)) == 2
    assert services.care_points_create(dt.date(2026, 12, 29)) == 0
    assert _points() == [
        ("Alpha", "holiday", dt.date(2027, 1, 1), "New Year", "anna"),
        ("Gamma", "holiday", dt.date(2027, 1, 1), "New Year", "anna"),
    ]
    # Next year the same holiday is a new occasion.
    assert services.care_points_create(dt.date(2027, 12, 30)) == 2


def test_the_longest_pause_between_contacts_is_the_organizations_setting(org_a):
    org_a.contact_gap_days = 14
    org_a.save()
    client = make_client(org_a, "C")
    services.contact_create(client=client, kind="call", date=dt.date(2026, 3, 2), summary="call")
    assert ControlPoint.objects.get(kind="contact_gap").due_date == dt.date(2026, 3, 16)


@pytest.mark.parametrize(
    ("month", "day", "field", "message"),
    [
        (2, 30, "day", "This month has no such day."),
        (13, 1, "month", "Value 13 is not a valid choice."),
        (4, 0, "day", "Ensure this value is greater than or equal to 1."),
    ],
)
def test_a_holiday_on_a_day_that_does_not_exist_is_refused(org_a, month, day, field, message):
    with pytest.raises(ValidationError) as error:
        core_services.holiday_add(organization=org_a, name="Odd", month=month, day=day)
    assert error.value.message_dict[field] == [message]
    assert not Holiday.objects.exists()


def test_29_february_is_a_holiday_and_a_second_holiday_on_one_day_is_refused(org_a):
    core_services.holiday_add(organization=org_a, name="Leap day", month=2, day=29)
    with pytest.raises(ValidationError):
        core_services.holiday_add(organization=org_a, name="Again", month=2, day=29)
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Leap day"]
