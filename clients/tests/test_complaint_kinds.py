"""Complaint kinds: the organization's list, set when a complaint is registered or advanced, and the
incoming complaints of a period counted by kind and manager on the KPI page, the dashboard and the list."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients import selectors, services
from clients.models import Complaint, ComplaintKind
from clients.tests.factories import make_client
from crm_portal.models import Role
from crm_portal.tenancy import Viewer

pytestmark = pytest.mark.django_db
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def base(org_a, org_b, make_member):
    anna = make_member(org_a, Role.MANAGER, username="anna")
    boris = make_member(org_a, Role.MANAGER, username="boris")
    a, b, c = make_client(org_a, "A", manager=anna), make_client(org_a, "B", manager=boris), make_client(org_a, "C")
    delivery = services.complaint_kind_create(organization=org_a, name="Delivery")
    quality = services.complaint_kind_create(organization=org_a, name="Quality")
    march, april = (timezone.make_aware(dt.datetime(2026, m, 10, 12)) for m in (3, 4))
    for client, kind, when in (
        (a, delivery, march),
        (a, delivery, march),
        (a, quality, march),
        (b, delivery, march),
        (b, None, march),
        (c, quality, march),
        (a, delivery, april),  # outside the period
    ):
        complaint = services.complaint_register(organization=org_a, client=client, subject="S", kind=kind)
        Complaint.objects.filter(pk=complaint.pk).update(created_at=when)
    return {"anna": anna, "delivery": delivery, "quality": quality}


def test_the_kpis_count_the_periods_complaints_by_kind_and_manager(org_a, base):
    start, end = MARCH
    data = selectors.kpi_tables(
        organization=org_a, clients=selectors.clients_visible_to(Viewer(org_a, None, Role.ADMIN)), start=start, end=end
    )
    delivery, quality = str(base["delivery"].pk), str(base["quality"].pk)
    assert data["complaint_kinds"] == {
        "kinds": [(delivery, "Delivery", 3), (quality, "Quality", 2), ("none", "not classified yet", 1)],
        "managers": [
            {"manager": "anna", "counts": [2, 1, 0], "total": 3},
            {"manager": "boris", "counts": [1, 0, 1], "total": 2},
            {"manager": "—", "counts": [0, 1, 0], "total": 1},
        ],
        "total": 6,
    }
    # The same complaints as the KPI table's own column.
    assert data["grand"]["complaints"] == 6
    assert {m["manager"]: m["complaints"] for m in data["managers"]} == {"anna": 3.0, "boris": 2.0, "—": 1.0}


def test_the_kpi_page_links_each_kind_to_its_complaints(client_as, org_a, base):
    head = client_as(org_a, Role.SALES_HEAD)
    page = head.get(reverse("clients:kpi"), {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    table = page[
        page.index('id="kpi-complaint-kinds"') : page.index("</table>", page.index('id="kpi-complaint-kinds"'))
    ]
    url = f"{reverse('clients:complaints')}?start=2026-03-01&amp;end=2026-03-31&amp;kind={base['delivery'].pk}"
    assert f'<a href="{url}">Delivery</a>' in table
    listed = head.get(
        reverse("clients:complaints"), {"start": "2026-03-01", "end": "2026-03-31", "kind": base["delivery"].pk}
    )
    assert [c.client.name for c in listed.context["page"]] == ["B", "A", "A"]
    assert listed.context["total"] == 3
    assert [(value, n) for value, _name, n in listed.context["kinds"]] == [
        (str(base["delivery"].pk), 3),
        (str(base["quality"].pk), 2),
        ("none", 1),
    ]
    unclassified = head.get(reverse("clients:complaints"), {"kind": "none"})
    assert [c.client.name for c in unclassified.context["page"]] == ["B"]
    nonsense = head.get(reverse("clients:complaints"), {"kind": "x'1"})
    assert nonsense.status_code == 200 and list(nonsense.context["page"]) == []


def test_a_manager_classifies_a_complaint_when_registering_or_advancing_it(client, org_a, org_b, base):
    manager = client
    manager.force_login(base["anna"])
    buyer = make_client(org_a, "D", manager=base["anna"])
    manager.post(
        reverse("clients:complaint_add", kwargs={"client_id": buyer.pk}),
        {"subject": "Late again", "kind": base["delivery"].pk},
    )
    complaint = Complaint.objects.get(client=buyer)
    assert complaint.kind == base["delivery"]
    page = manager.post(
        reverse("clients:complaint_advance", kwargs={"complaint_id": complaint.pk}),
        {"kind": base["quality"].pk, "note": "It was the goods, not the driver"},
    )
    assert page.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.kind, complaint.status) == (base["quality"], "investigating")
    foreign = ComplaintKind.objects.create(organization=org_b, name="Theirs")
    refused = manager.post(
        reverse("clients:complaint_advance", kwargs={"complaint_id": complaint.pk}), {"kind": foreign.pk}
    )
    assert "Select a valid choice." in refused.content.decode()
    complaint.refresh_from_db()
    assert (complaint.kind, complaint.status) == (base["quality"], "investigating")
    with pytest.raises(ValidationError) as error:
        services.complaint_register(organization=org_a, client=buyer, subject="S", kind=foreign)
    assert error.value.message_dict == {"kind": ["This choice belongs to another organization."]}


def test_a_kind_is_added_once_whatever_its_case(client_as, org_a):
    head = client_as(org_a, Role.SALES_HEAD)
    head.post(reverse("clients:catalogue_add"), {"catalogue": "complaint_kind", "name": "Delivery"})
    again = head.post(
        reverse("clients:catalogue_add"), {"catalogue": "complaint_kind", "name": "delivery"}, follow=True
    )
    assert "This kind is already in the list." in again.content.decode()
    assert list(ComplaintKind.objects.values_list("name", flat=True)) == ["Delivery"]
