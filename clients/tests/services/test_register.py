"""The register's writes: ABC/XYZ classes recorded with their history."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clients import services
from clients.models import ClassChange, Client, Product
from clients.tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_classes_record_writes_history_only_for_changes(org_a):
    a, b, c = (make_client(org_a, n) for n in "abc")
    changed = services.client_classes_record(
        organization=org_a,
        classes={a.pk: ("A", "X"), b.pk: ("", ""), c.pk: ("C", "")},
        run_label="run 1",
        as_of=dt.date(2026, 3, 31),
    )
    assert changed == 2
    a.refresh_from_db()
    assert (a.abc_class, a.xyz_class) == ("A", "X")
    history = ClassChange.objects.get(client=a)
    assert (history.previous_abc, history.abc_class, history.xyz_class, history.run_label) == ("", "A", "X", "run 1")
    again = services.client_classes_record(
        organization=org_a, classes={a.pk: ("A", "X"), c.pk: ("B", "")}, run_label="run 2", as_of=dt.date(2026, 4, 30)
    )
    assert again == 1
    assert ClassChange.objects.filter(client=c).count() == 2


def test_classes_record_refuses_other_organizations_and_bad_classes(org_a, org_b):
    foreign = make_client(org_b, "x")
    with pytest.raises(ValidationError):
        services.client_classes_record(
            organization=org_a, classes={foreign.pk: ("A", "")}, run_label="r", as_of=dt.date(2026, 1, 1)
        )
    own = make_client(org_a, "y")
    with pytest.raises(ValidationError):
        services.client_classes_record(
            organization=org_a, classes={own.pk: ("D", "")}, run_label="r", as_of=dt.date(2026, 1, 1)
        )
    assert ClassChange.objects.count() == 0


def test_a_client_takes_no_product_of_another_organization_first_or_last(org_a, org_b):
    own, foreign = (
        Product.objects.create(organization=org_a, name="Tea"),
        Product.objects.create(organization=org_b, name="Coffee"),
    )
    for products in ([foreign, own], [own, foreign]):
        with pytest.raises(ValidationError) as refused:
            services.client_create(organization=org_a, name="Alpha", products=products)
        assert refused.value.message_dict == {"products": ["This choice belongs to another organization."]}
    client = services.client_create(organization=org_a, name="Alpha", products=[own])
    with pytest.raises(ValidationError):
        services.client_update(client=client, products=[own, foreign])
    assert list(client.products.all()) == [own]
    assert Client.objects.filter(organization=org_a).count() == 1
