"""Settlements: entered by hand, and imported all or nothing with COPY."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from clients import services
from clients.models import Client, Product, Settlement
from clients.tests.factories import make_client, settle

pytestmark = pytest.mark.django_db


def frame(rows, columns=("client", "date", "amount")):
    return pd.DataFrame(rows, columns=list(columns))


def test_import_creates_missing_clients_and_products(org_a):
    make_client(org_a, "Old name", external_id="E1")
    rows = frame(
        [
            ("E1", dt.date(2026, 1, 5), 100.5, "Tea", "INV-1"),
            ("E2", dt.date(2026, 2, 5), 200, "", None),
            ("E2", dt.date(2026, 3, 5), Decimal("300.10"), "Coffee", ""),
        ],
        ("client", "date", "amount", "product", "document"),
    )
    result = services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="create")
    assert result == {"clients_created": 1, "clients_matched": 1, "rows_skipped": 0, "settlements_created": 3}
    new = Client.objects.get(organization=org_a, external_id="E2")
    assert new.name == "E2"
    assert sorted(Product.objects.filter(organization=org_a).values_list("name", flat=True)) == ["Coffee", "Tea"]
    first = Settlement.objects.get(client__external_id="E1")
    assert (first.amount, first.product.name, first.document) == (Decimal("100.50"), "Tea", "INV-1")
    assert sorted(new.settlements.values_list("amount", flat=True)) == [Decimal("200.00"), Decimal("300.10")]


def test_import_skip_leaves_unknown_clients_out(org_a):
    make_client(org_a, "Known", tax_number="7701")
    rows = frame([("7701", dt.date(2026, 1, 5), 1), ("9999", dt.date(2026, 1, 6), 2), ("9999", dt.date(2026, 1, 7), 3)])
    result = services.settlements_import(organization=org_a, rows=rows, match_by="tax_number", on_missing="skip")
    assert result == {"clients_created": 0, "clients_matched": 1, "rows_skipped": 2, "settlements_created": 1}
    assert Client.objects.filter(organization=org_a).count() == 1


def test_import_update_renames_matched_clients(org_a):
    make_client(org_a, "Old", external_id="E1")
    rows = frame(
        [("E1", dt.date(2026, 1, 5), 1, "New name"), ("E9", dt.date(2026, 1, 5), 1, "Ninth")],
        ("client", "date", "amount", "name"),
    )
    result = services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="update")
    assert result["clients_created"] == 1 and result["clients_matched"] == 1
    assert Client.objects.get(external_id="E1").name == "New name"
    assert Client.objects.get(external_id="E9").name == "Ninth"


def test_import_by_name_matches_only_own_organization(org_a, org_b):
    make_client(org_b, "Shared name")
    rows = frame([("Shared name", dt.date(2026, 1, 5), 10)])
    result = services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="create")
    assert result["clients_created"] == 1
    assert Settlement.objects.filter(organization=org_b).count() == 0


def test_import_with_a_bad_row_writes_nothing(org_a):
    rows = frame(
        [
            ("A", dt.date(2026, 1, 5), 10),
            ("B", "yesterday", 10),
            ("", dt.date(2026, 1, 5), 10),
            ("C", dt.date(2026, 1, 5), "ten"),
        ]
    )
    with pytest.raises(ValidationError) as error:
        services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="create")
    assert error.value.messages == [
        "Row 2: the date is not a date.",
        "Row 3: the client is empty.",
        "Row 4: the amount is not a number.",
    ]
    assert Client.objects.count() == 0 and Settlement.objects.count() == 0


def test_import_refuses_absurd_dates_zero_amounts_and_keys_too_long_for_the_field(org_a):
    last = services.settlement_date_bounds()[1]
    rows = frame(
        [
            ("A", dt.date(1900, 1, 1), 10, 2),
            ("B", dt.date(2026, 1, 5), 0.004, 3),
            ("C", dt.date(2026, 1, 5), 1e12, 4),
            ("D", last + dt.timedelta(days=1), 10, 5),
            ("E" * 65, dt.date(2026, 1, 5), 10, 6),
            ("F", dt.date(2000, 1, 1), -5, 7),
        ],
        ("client", "date", "amount", "row"),
    )
    with pytest.raises(ValidationError) as error:
        services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="create")
    between = (
        f"the date must lie between 01/01/2000 and {last.strftime('%m/%d/%Y')} (not before 2000, at most a year ahead)."
    )
    assert error.value.messages == [
        f"Row 2: {between}",
        "Row 3: the amount is zero.",
        "Row 4: the amount is too large: the register keeps amounts below a trillion.",
        f"Row 5: {between}",
        "Row 6: the client is longer than 64 characters.",
    ]
    assert Client.objects.count() == 0 and Settlement.objects.count() == 0


def test_import_stores_negative_amounts_as_refunds(org_a):
    rows = frame(
        [("A", dt.date(2026, 1, 5), 10), ("A", dt.date(2026, 1, 6), Decimal("-4")), ("A", dt.date(2026, 1, 7), -3.005)]
    )
    services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="create")
    assert sorted(Settlement.objects.values_list("amount", flat=True)) == [
        Decimal("-4.00"),
        Decimal("-3.00"),
        Decimal("10.00"),
    ]


def test_import_rejects_unknown_options(org_a):
    rows = frame([("A", dt.date(2026, 1, 5), 10)])
    with pytest.raises(ValidationError):
        services.settlements_import(organization=org_a, rows=rows, match_by="email", on_missing="create")
    with pytest.raises(ValidationError):
        services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="merge")
    with pytest.raises(ValidationError, match="Columns missing: amount"):
        services.settlements_import(
            organization=org_a, rows=rows[["client", "date"]], match_by="name", on_missing="create"
        )


def test_import_refuses_ambiguous_names(org_a):
    make_client(org_a, "Twin")
    make_client(org_a, "Twin")
    rows = frame([("Twin", dt.date(2026, 1, 5), 10)])
    with pytest.raises(ValidationError, match="Several clients share these keys"):
        services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="create")
    assert Settlement.objects.count() == 0


def test_import_writes_in_bulk(org_a, django_assert_max_num_queries):
    rows = frame([(f"C{i % 300}", dt.date(2026, 1, 1) + dt.timedelta(days=i % 90), i + 1) for i in range(6000)])
    # SQLite caps the parameters of one statement, so its batches are smaller: still not a query a row.
    # The clients' histories are rewritten in bulk as well: a few statements per 5,000 clients.
    with django_assert_max_num_queries(20 if connection.vendor == "postgresql" else 100):
        result = services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="create")
    assert result == {"clients_created": 300, "clients_matched": 0, "rows_skipped": 0, "settlements_created": 6000}


def test_an_imported_client_equals_one_created_by_hand(org_a, monkeypatch):
    now = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    by_hand = services.client_create(organization=org_a, name="By hand", external_id="H1")
    services.settlements_import(
        organization=org_a, rows=frame([("E1", dt.date(2026, 1, 5), 10)]), match_by="external_id", on_missing="create"
    )
    imported = Client.objects.get(external_id="E1")
    ignore = {"id", "name", "external_id", "lifecycle_state"}

    def values(client):
        return {f.attname: getattr(client, f.attname) for f in Client._meta.concrete_fields if f.attname not in ignore}

    assert values(imported) == values(by_hand)
    # Its state follows its settlement at once: bought on 5 January, new on 4 March.
    assert (imported.name, imported.lifecycle_state, imported.created_at) == ("E1", "new", now)


def test_import_reads_optional_columns_as_trimmed_text(org_a):
    rows = frame(
        [
            ("E1", dt.date(2026, 1, 5), 1, "  Tea ", 7.5, "First"),
            ("E1", dt.date(2026, 1, 6), 2, None, None, "  "),
            ("E1", dt.date(2026, 1, 7), 3, float("nan"), "   ", "Last"),
            ("E2", dt.date(2026, 1, 8), 4, 5, "N" * 70, "x" * 300),
        ],
        ("client", "date", "amount", "product", "document", "name"),
    )
    result = services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="create")
    assert result == {"clients_created": 2, "clients_matched": 0, "rows_skipped": 0, "settlements_created": 4}
    # A key named twice keeps its last name; a blank name names nothing; texts are cut to their fields.
    assert dict(Client.objects.values_list("external_id", "name")) == {"E1": "Last", "E2": "x" * 255}
    stored = Settlement.objects.order_by("date").values_list(
        "client__external_id", "amount", "product__name", "document"
    )
    assert list(stored) == [
        ("E1", Decimal("1.00"), "Tea", "7.5"),
        ("E1", Decimal("2.00"), None, ""),
        ("E1", Decimal("3.00"), None, ""),
        ("E2", Decimal("4.00"), "5", "N" * 64),
    ]


def test_import_adds_to_the_register_and_never_touches_existing_settlements(org_a):
    known = make_client(org_a, "Known", external_id="K1")
    old = settle(known, "2025-12-01", "55.55", document="OLD")
    before = list(Settlement.objects.values_list("pk", "client_id", "date", "amount", "document", "product_id"))
    rows = frame(
        [("K1", dt.date(2025, 12, 1), Decimal("55.55"), "OLD"), ("N1", dt.date(2026, 1, 2), 7, "")],
        ("client", "date", "amount", "document"),
    )
    result = services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="create")
    assert result == {"clients_created": 1, "clients_matched": 1, "rows_skipped": 0, "settlements_created": 2}
    assert (
        list(
            Settlement.objects.filter(pk=old.pk).values_list(
                "pk", "client_id", "date", "amount", "document", "product_id"
            )
        )
        == before
    )
    assert Settlement.objects.filter(client=known).count() == 2


def test_import_that_fails_while_writing_leaves_no_client_behind(org_a, monkeypatch):
    from clients.services import settlements

    written = settlements.bulk_insert

    def fail_on_settlements(model, rows, **options):
        if model is Settlement:
            raise RuntimeError("the database went away")
        return written(model, rows, **options)

    monkeypatch.setattr(settlements, "bulk_insert", fail_on_settlements)
    with pytest.raises(RuntimeError):
        services.settlements_import(
            organization=org_a,
            rows=frame([("New", dt.date(2026, 1, 5), 10, "Tea")], ("client", "date", "amount", "product")),
            match_by="name",
            on_missing="create",
        )
    assert Client.objects.count() == 0 and Product.objects.count() == 0


@pytest.mark.parametrize("other_keys", [0, 5], ids=["register larger than the file", "register read whole"])
def test_import_matches_and_refuses_ambiguous_keys_however_the_register_is_read(org_a, other_keys):
    make_client(org_a, "Twin")
    make_client(org_a, "Twin")
    known = make_client(org_a, "Known")
    rows = frame(
        [("Known", dt.date(2026, 1, 5), 10)] + [(f"New {i}", dt.date(2026, 1, 5), 10) for i in range(other_keys)]
    )
    result = services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="skip")
    assert result == {"clients_created": 0, "clients_matched": 1, "rows_skipped": other_keys, "settlements_created": 1}
    assert Settlement.objects.get().client == known
    with pytest.raises(ValidationError, match="Several clients share these keys, so the rows cannot be matched: Twin."):
        services.settlements_import(
            organization=org_a,
            rows=pd.concat([rows, frame([("Twin", dt.date(2026, 1, 5), 1)])]),
            match_by="name",
            on_missing="create",
        )


def test_imported_clients_histories_equal_a_rebuild_from_the_stored_settlements(org_a):
    """New clients' histories come from the file in memory, matched ones' from the register: a full
    rebuild from the stored settlements afterwards finds nothing to change."""
    import random

    rng = random.Random(7)
    today = timezone.localdate()
    for number in range(10):
        known = make_client(org_a, f"Known {number}", external_id=f"K{number}")
        for _ in range(rng.randint(0, 4)):
            settle(known, today - dt.timedelta(days=rng.randint(200, 900)), rng.randint(1, 500))
    rows = frame(
        [
            (
                f"{rng.choice('KN')}{rng.randint(0, 39)}",
                today - dt.timedelta(days=rng.randint(0, 700)),
                rng.choice([-50, 10, 99.99, 1200]),
                rng.choice(["Tea", "Coffee", None]),
            )
            for _ in range(600)
        ],
        ("client", "date", "amount", "product"),
    )
    rows = pd.concat([rows, rows.iloc[:5]], ignore_index=True)  # the same day and client several times
    result = services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="create")
    assert result["clients_matched"] == 10
    stored = Client.objects.filter(organization=org_a)
    states = dict(stored.values_list("pk", "lifecycle_state"))
    rebuilt = services.lifecycle_recompute(organization=org_a)
    assert rebuilt["written"] == {
        "statechange": {"deleted": 0, "inserted": 0},
        "clientmonth": {"deleted": 0, "inserted": 0},
    }
    assert rebuilt["changed"] == 0
    assert dict(stored.values_list("pk", "lifecycle_state")) == states
