"""Services that other apps call: settlements import, classes, lifecycle recompute, complaints."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from clients import services
from clients.models import ClassChange, Client, Complaint, ComplaintStep, Product, Settlement, StateChange
from clients.signals import complaint_closed
from clients.tests.factories import make_client, settle

pytestmark = pytest.mark.django_db


def frame(rows, columns=("client", "date", "amount")):
    return pd.DataFrame(rows, columns=list(columns))


def test_import_creates_missing_clients_and_products(org_a):
    make_client(org_a, "Old name", external_id="E1")
    rows = frame(
        [("E1", dt.date(2026, 1, 5), 100.5, "Tea", "INV-1"), ("E2", dt.date(2026, 2, 5), 200, "", None),
         ("E2", dt.date(2026, 3, 5), Decimal("300.10"), "Coffee", "")],
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
    rows = frame([("E1", dt.date(2026, 1, 5), 1, "New name"), ("E9", dt.date(2026, 1, 5), 1, "Ninth")],
                 ("client", "date", "amount", "name"))
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
    rows = frame([("A", dt.date(2026, 1, 5), 10), ("B", "yesterday", 10), ("", dt.date(2026, 1, 5), 10), ("C", dt.date(2026, 1, 5), "ten")])
    with pytest.raises(ValidationError) as error:
        services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="create")
    assert error.value.messages == [
        "Row 2: the date is not a date.", "Row 3: the client is empty.", "Row 4: the amount is not a number."
    ]
    assert Client.objects.count() == 0 and Settlement.objects.count() == 0


def test_import_refuses_absurd_dates_zero_amounts_and_keys_too_long_for_the_field(org_a):
    last = services.settlement_date_bounds()[1]
    rows = frame([("A", dt.date(1900, 1, 1), 10, 2), ("B", dt.date(2026, 1, 5), 0.004, 3),
                  ("C", dt.date(2026, 1, 5), 1e12, 4), ("D", last + dt.timedelta(days=1), 10, 5),
                  ("E" * 65, dt.date(2026, 1, 5), 10, 6), ("F", dt.date(2000, 1, 1), -5, 7)],
                 ("client", "date", "amount", "row"))
    with pytest.raises(ValidationError) as error:
        services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="create")
    between = f"the date must lie between 01/01/2000 and {last.strftime('%m/%d/%Y')} (not before 2000, at most a year ahead)."
    assert error.value.messages == [
        f"Row 2: {between}",
        "Row 3: the amount is zero.",
        "Row 4: the amount is too large: the register keeps amounts below a trillion.",
        f"Row 5: {between}",
        "Row 6: the client is longer than 64 characters.",
    ]
    assert Client.objects.count() == 0 and Settlement.objects.count() == 0


def test_import_stores_negative_amounts_as_refunds(org_a):
    rows = frame([("A", dt.date(2026, 1, 5), 10), ("A", dt.date(2026, 1, 6), Decimal("-4")), ("A", dt.date(2026, 1, 7), -3.005)])
    services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="create")
    assert sorted(Settlement.objects.values_list("amount", flat=True)) == [Decimal("-4.00"), Decimal("-3.00"),
                                                                           Decimal("10.00")]


def test_import_rejects_unknown_options(org_a):
    rows = frame([("A", dt.date(2026, 1, 5), 10)])
    with pytest.raises(ValidationError):
        services.settlements_import(organization=org_a, rows=rows, match_by="email", on_missing="create")
    with pytest.raises(ValidationError):
        services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="merge")
    with pytest.raises(ValidationError, match="Columns missing: amount"):
        services.settlements_import(organization=org_a, rows=rows[["client", "date"]], match_by="name", on_missing="create")


def test_classes_record_writes_history_only_for_changes(org_a):
    a, b, c = (make_client(org_a, n) for n in "abc")
    changed = services.client_classes_record(
        organization=org_a, classes={a.pk: ("A", "X"), b.pk: ("", ""), c.pk: ("C", "")}, run_label="run 1",
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
        services.client_classes_record(organization=org_a, classes={foreign.pk: ("A", "")}, run_label="r", as_of=dt.date(2026, 1, 1))
    own = make_client(org_a, "y")
    with pytest.raises(ValidationError):
        services.client_classes_record(organization=org_a, classes={own.pk: ("D", "")}, run_label="r", as_of=dt.date(2026, 1, 1))
    assert ClassChange.objects.count() == 0


def test_lifecycle_recompute_sets_every_state_and_history(org_a):
    as_of = dt.date(2026, 5, 31)
    potential = make_client(org_a, "potential")
    new = make_client(org_a, "new")
    settle(new, "2026-05-01")
    regular = make_client(org_a, "regular")
    settle(regular, "2026-05-01"), settle(regular, "2026-02-28")
    lost = make_client(org_a, "lost")
    settle(lost, "2026-02-28"), settle(lost, "2026-07-01")
    renewed = make_client(org_a, "renewed")
    settle(renewed, "2026-05-01"), settle(renewed, "2025-11-30")
    result = services.lifecycle_recompute(organization=org_a, as_of=as_of)
    states = dict(Client.objects.filter(organization=org_a).values_list("name", "lifecycle_state"))
    assert states == {"potential": "potential", "new": "new", "regular": "regular", "lost": "lost", "renewed": "renewed"}
    assert result["changed"] == 4
    assert result["states"] == {"potential": 1, "new": 1, "regular": 1, "lost": 1, "renewed": 1}
    # The first computation rebuilds a true history from the settlements, never "potential → X" today.
    assert not StateChange.objects.filter(previous_state="potential").exists()
    assert list(StateChange.objects.filter(client=renewed).order_by("as_of").values_list("as_of", "previous_state", "state")) == [
        (dt.date(2025, 11, 30), "", "new"),
        (dt.date(2026, 3, 31), "new", "lost"),
        (dt.date(2026, 5, 1), "lost", "regular"),
        (dt.date(2026, 5, 31), "regular", "renewed"),
    ]
    assert list(StateChange.objects.filter(client=lost).values_list("as_of", "previous_state", "state")) == [
        (dt.date(2026, 5, 31), "new", "lost"), (dt.date(2026, 2, 28), "", "new"),
    ]
    assert services.lifecycle_recompute(organization=org_a, as_of=as_of)["changed"] == 0
    assert not StateChange.objects.filter(client=potential).exists()
    # Later runs write only the changes, dated the day of the run.
    later = dt.date(2026, 8, 31)
    assert services.lifecycle_recompute(organization=org_a, as_of=later)["history_rows"] == 4
    assert set(StateChange.objects.filter(as_of=later).values_list("client__name", "previous_state", "state")) == {
        ("new", "new", "lost"), ("regular", "regular", "lost"), ("renewed", "renewed", "lost"),
        ("lost", "lost", "renewed"),
    }


def test_first_settlement_by_hand_starts_a_true_history(org_a):
    c = make_client(org_a, "c")
    settle(c, "2025-01-10")
    services.settlement_create(client=c, date=dt.date.today(), amount=Decimal("10"))
    history = list(StateChange.objects.filter(client=c).order_by("as_of").values_list("as_of", "previous_state", "state"))
    assert history[0] == (dt.date(2025, 1, 10), "", "new")
    assert history[1] == (dt.date(2025, 4, 30), "new", "lost")
    assert history[-1][1:] == ("lost", "renewed") and history[-1][0] == dt.date.today()
    services.settlement_create(client=c, date=dt.date.today(), amount=Decimal("5"))
    assert StateChange.objects.filter(client=c).count() == len(history)


def test_complaint_flow_to_closed_sends_the_signal(org_a, django_capture_on_commit_callbacks):
    client = make_client(org_a, "c")
    complaint = services.complaint_register(organization=org_a, client=client, subject="Late delivery", source="survey")
    received = []
    handler = lambda sender, complaint, **kw: received.append(complaint.pk)  # noqa: E731
    complaint_closed.connect(handler)
    try:
        services.complaint_advance(complaint=complaint)
        with pytest.raises(ValidationError) as error:
            services.complaint_advance(complaint=complaint)
        assert error.value.message_dict == {"cause": ["Write down the cause found before saying it is removed."]}
        services.complaint_advance(complaint=complaint, cause="Courier overloaded", actions="Second courier hired")
        with pytest.raises(ValidationError):
            services.complaint_advance(complaint=complaint)
        services.complaint_advance(complaint=complaint, actions="Delivery slots planned a day ahead")
        with django_capture_on_commit_callbacks(execute=True):
            services.complaint_advance(complaint=complaint, note="Client confirmed")
    finally:
        complaint_closed.disconnect(handler)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED and complaint.closed_at is not None
    assert received == [complaint.pk]
    assert list(ComplaintStep.objects.filter(complaint=complaint).values_list("status", flat=True)) == [
        "registered", "investigating", "cause_removed", "process_corrected", "closed"
    ]


def test_complaint_register_refuses_a_client_of_another_organization(org_a, org_b):
    with pytest.raises(ValidationError):
        services.complaint_register(organization=org_a, client=make_client(org_b, "x"), subject="s")


@pytest.mark.parametrize(("score", "opens"), [(5, False), (4, False), (3, True), (2, True), (1, True)])
def test_low_satisfaction_opens_a_case(org_a, score, opens):
    client = make_client(org_a, "c")
    services.assessment_create(client=client, scores={"delivery": score, "quality": 5}, date=dt.date(2026, 3, 1))
    cases = Complaint.objects.filter(client=client, source="satisfaction")
    assert cases.count() == (1 if opens else 0)
    if opens:
        assert cases.get().subject == f"Low satisfaction score (Delivery speed: {score})"


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
    with django_assert_max_num_queries(12 if connection.vendor == "postgresql" else 60):
        result = services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="create")
    assert result == {"clients_created": 300, "clients_matched": 0, "rows_skipped": 0, "settlements_created": 6000}


def test_an_imported_client_equals_one_created_by_hand(org_a, monkeypatch):
    now = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    by_hand = services.client_create(organization=org_a, name="By hand", external_id="H1")
    services.settlements_import(organization=org_a, rows=frame([("E1", dt.date(2026, 1, 5), 10)]),
                                match_by="external_id", on_missing="create")
    imported = Client.objects.get(external_id="E1")
    ignore = {"id", "name", "external_id"}

    def values(client):
        return {f.attname: getattr(client, f.attname) for f in Client._meta.concrete_fields if f.attname not in ignore}

    assert values(imported) == values(by_hand)
    assert (imported.name, imported.lifecycle_state, imported.created_at) == ("E1", "potential", now)


def test_import_reads_optional_columns_as_trimmed_text(org_a):
    rows = frame(
        [("E1", dt.date(2026, 1, 5), 1, "  Tea ", 7.5, "First"), ("E1", dt.date(2026, 1, 6), 2, None, None, "  "),
         ("E1", dt.date(2026, 1, 7), 3, float("nan"), "   ", "Last"), ("E2", dt.date(2026, 1, 8), 4, 5, "N" * 70, "x" * 300)],
        ("client", "date", "amount", "product", "document", "name"),
    )
    result = services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="create")
    assert result == {"clients_created": 2, "clients_matched": 0, "rows_skipped": 0, "settlements_created": 4}
    # A key named twice keeps its last name; a blank name names nothing; texts are cut to their fields.
    assert dict(Client.objects.values_list("external_id", "name")) == {"E1": "Last", "E2": "x" * 255}
    stored = Settlement.objects.order_by("date").values_list("client__external_id", "amount", "product__name", "document")
    assert list(stored) == [("E1", Decimal("1.00"), "Tea", "7.5"), ("E1", Decimal("2.00"), None, ""),
                            ("E1", Decimal("3.00"), None, ""), ("E2", Decimal("4.00"), "5", "N" * 64)]


def test_import_adds_to_the_register_and_never_touches_existing_settlements(org_a):
    known = make_client(org_a, "Known", external_id="K1")
    old = settle(known, "2025-12-01", "55.55", document="OLD")
    before = list(Settlement.objects.values_list("pk", "client_id", "date", "amount", "document", "product_id"))
    rows = frame([("K1", dt.date(2025, 12, 1), Decimal("55.55"), "OLD"), ("N1", dt.date(2026, 1, 2), 7, "")],
                 ("client", "date", "amount", "document"))
    result = services.settlements_import(organization=org_a, rows=rows, match_by="external_id", on_missing="create")
    assert result == {"clients_created": 1, "clients_matched": 1, "rows_skipped": 0, "settlements_created": 2}
    assert list(Settlement.objects.filter(pk=old.pk).values_list("pk", "client_id", "date", "amount", "document",
                                                                   "product_id")) == before
    assert Settlement.objects.filter(client=known).count() == 2


def test_import_that_fails_while_writing_leaves_no_client_behind(org_a, monkeypatch):
    written = services.bulk_insert

    def fail_on_settlements(model, rows, **options):
        if model is Settlement:
            raise RuntimeError("the database went away")
        return written(model, rows, **options)

    monkeypatch.setattr(services, "bulk_insert", fail_on_settlements)
    with pytest.raises(RuntimeError):
        services.settlements_import(organization=org_a, rows=frame([("New", dt.date(2026, 1, 5), 10, "Tea")],
                                                                   ("client", "date", "amount", "product")),
                                    match_by="name", on_missing="create")
    assert Client.objects.count() == 0 and Product.objects.count() == 0


@pytest.mark.parametrize("other_keys", [0, 5], ids=["register larger than the file", "register read whole"])
def test_import_matches_and_refuses_ambiguous_keys_however_the_register_is_read(org_a, other_keys):
    make_client(org_a, "Twin")
    make_client(org_a, "Twin")
    known = make_client(org_a, "Known")
    rows = frame([("Known", dt.date(2026, 1, 5), 10)] + [(f"New {i}", dt.date(2026, 1, 5), 10) for i in range(other_keys)])
    result = services.settlements_import(organization=org_a, rows=rows, match_by="name", on_missing="skip")
    assert result == {"clients_created": 0, "clients_matched": 1, "rows_skipped": other_keys, "settlements_created": 1}
    assert Settlement.objects.get().client == known
    with pytest.raises(ValidationError, match="Several clients share these keys, so the rows cannot be matched: Twin."):
        services.settlements_import(organization=org_a, rows=pd.concat([rows, frame([("Twin", dt.date(2026, 1, 5), 1)])]),
                                    match_by="name", on_missing="create")
