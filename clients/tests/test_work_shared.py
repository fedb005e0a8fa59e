"""Work shared across the team: a control point given to a colleague, tracked by the giver; people
told of what lands on their clients and of their points that became overdue."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients import services
from clients.models import ControlPoint, SatisfactionAssessment
from clients.tests.factories import make_client
from crm_portal.models import Notification, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(org_a, make_member):
    return {
        "ann": make_member(org_a, Role.MANAGER, username="ann"),
        "bob": make_member(org_a, Role.MANAGER, username="bob"),
        "head": make_member(org_a, Role.SALES_HEAD, username="head"),
        "analyst": make_member(org_a, Role.ANALYST, username="analyst"),
        "odd": make_member(org_a, Role.MANAGER, username="o<dd>"),
    }


def told(user) -> list[tuple[str, str, str]]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", "key", "text"))


def test_a_point_given_to_a_colleague_moves_to_their_day_and_the_giver_tracks_it(client, org_a, team):
    ann, bob = team["ann"], team["bob"]
    alpha = make_client(org_a, "Alpha", manager=ann)
    point = services.control_point_create(client=alpha, kind="care", due_date=timezone.localdate())
    day = reverse("clients:my_day")
    client.force_login(ann)
    assert [p.pk for p in client.get(day, {"group": "today"}).context["page"]] == [point.pk]
    give = reverse("clients:point_assign", args=[point.pk])
    answer = client.post(give, {"responsible": bob.pk, "group": "today", "page": "1"})
    assert answer["Location"] == f"{day}?group=today&page=1"
    client.post(give, {"responsible": bob.pk, "group": "today"})  # the same click again
    point.refresh_from_db()
    assert (point.responsible, point.assigned_by) == (bob, ann)
    mine = client.get(day, {"group": "today"}).context
    assert (list(mine["page"]), mine["given_count"]) == ([], 1)
    given = client.get(day, {"group": "given"})
    assert [p.pk for p in given.context["page"]] == [point.pk]
    assert "with bob" in given.content.decode()
    # Its give-to list: every manager and head by name (escaped), the one it is with chosen.
    options = re.search(rf'<select[^>]*id="give-{point.pk}">(.*?)</select>', given.content.decode()).group(1)
    assert options == "".join(
        f'<option value="{user.pk}"{" selected" if user == bob else ""}>{name}</option>'
        for user, name in sorted(
            [(ann, "ann"), (bob, "bob"), (team["head"], "head"), (team["odd"], "o&lt;dd&gt;")],
            key=lambda u: u[0].username,
        )
    )
    assert told(bob) == [("assigned", f"point:{point.pk}", "Alpha")]
    assert told(ann) == []
    client.force_login(bob)
    assert [p.pk for p in client.get(day, {"group": "today"}).context["page"]] == [point.pk]


def test_a_point_goes_only_to_someone_who_works_with_clients_and_never_once_done(org_a, team):
    point = services.control_point_create(
        client=make_client(org_a, "Alpha", manager=team["ann"]), kind="care", due_date=timezone.localdate()
    )
    with pytest.raises(ValidationError) as refused:
        services.control_point_assign(control_point=point, responsible=team["analyst"], user=team["ann"])
    assert refused.value.message_dict == {"responsible": ["Give it to a manager or a sales head of the organization."]}
    services.control_point_done(control_point=point, user=team["ann"])
    with pytest.raises(ValidationError) as done:
        services.control_point_assign(control_point=point, responsible=team["bob"], user=team["ann"])
    assert done.value.messages == ["This control point is already done."]
    assert Notification.objects.count() == 0


def test_a_complaint_or_a_low_score_on_a_client_reaches_its_manager(org_a, team):
    ann, head = team["ann"], team["head"]
    alpha = make_client(org_a, "Alpha", manager=ann)
    by_head = services.complaint_register(organization=org_a, client=alpha, subject="Late", author=head)
    services.complaint_register(organization=org_a, client=alpha, subject="Rude", author=ann)  # she knows
    services.assessment_create(
        client=alpha, date=timezone.localdate(), scores=dict.fromkeys(SatisfactionAssessment.ITEMS, 2), user=head
    )
    low = alpha.complaints.get(source="satisfaction")
    assert told(ann) == [
        ("complaint", f"complaint:{by_head.pk}", "Alpha"),
        ("low_score", f"complaint:{low.pk}", "Alpha"),
    ]
    assert told(head) == []


def test_people_hear_of_their_overdue_points_once(org_a, team):
    ann, bob = team["ann"], team["bob"]
    today = dt.date(2026, 3, 10)
    alpha = make_client(org_a, "Alpha", manager=ann)
    late = services.control_point_create(client=alpha, kind="care", due_date=today - dt.timedelta(days=1))
    given = services.control_point_create(
        client=alpha, kind="minutes", due_date=today - dt.timedelta(days=3), responsible=bob
    )
    services.control_point_create(client=alpha, kind="care", due_date=today)  # not late yet
    services.control_point_create(client=alpha, kind="care", due_date=today - dt.timedelta(days=31))  # long forgotten
    done = services.control_point_create(client=alpha, kind="care", due_date=today - dt.timedelta(days=2))
    ControlPoint.objects.filter(pk=done.pk).update(done_at=timezone.now())
    nobodys = services.control_point_create(
        client=make_client(org_a, "Nobody's"), kind="care", due_date=today - dt.timedelta(days=1)
    )
    assert services.control_points_overdue_notify(today) == 2
    assert services.control_points_overdue_notify(today) == 0
    assert told(ann) == [("overdue", f"point:{late.pk}", "Alpha")]
    assert told(bob) == [("overdue", f"point:{given.pk}", "Alpha")]
    assert not Notification.objects.filter(key=f"point:{nobodys.pk}").exists()
