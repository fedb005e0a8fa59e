"""Bulk writing: a row written by COPY (or batched inserts on SQLite) equals one written by save()."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client, Product, Settlement
from crm_portal import bulk

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)


def fields(obj, *, leave_out=()) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in leave_out}


def test_a_bulk_client_equals_a_saved_one_field_by_field(org_a, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    saved = Client.objects.create(organization=org_a, name="Saved", external_id="S1")
    ids = bulk.bulk_insert(
        Client, pd.DataFrame({"organization_id": [org_a.pk], "name": ["Bulk"], "external_id": ["B1"]}), return_ids=True
    )
    written = Client.objects.get(pk=ids[0])
    assert (written.name, written.external_id) == ("Bulk", "B1")
    assert fields(written, leave_out={"id", "name", "external_id"}) == fields(
        saved, leave_out={"id", "name", "external_id"}
    )
    assert written.lifecycle_state == "potential" and written.kind == "company" and written.created_at == NOW


def test_ids_come_back_in_the_order_of_the_rows_and_are_never_given_again(org_a, monkeypatch):
    monkeypatch.setattr(bulk, "COPY_ROWS", 3)  # several chunks of one COPY (several INSERTs on SQLite)
    monkeypatch.setattr(bulk, "INSERT_ROWS", 3)
    before = Client.objects.create(organization=org_a, name="Before")
    names = [f"N{i}" for i in range(10)]
    ids = bulk.bulk_insert(Client, pd.DataFrame({"organization_id": org_a.pk, "name": names}), return_ids=True)
    assert ids.dtype == np.int64 and len(set(ids.tolist()) | {before.pk}) == 11
    assert dict(Client.objects.filter(pk__in=ids.tolist()).values_list("pk", "name")) == dict(zip(ids.tolist(), names))
    after = Client.objects.create(organization=org_a, name="After")
    assert after.pk not in set(ids.tolist())
    assert bulk.bulk_insert(Client, pd.DataFrame({"organization_id": [org_a.pk], "name": ["Quiet"]})) is None


def test_values_arrive_exactly_amounts_dates_texts_and_nulls(org_a, monkeypatch):
    monkeypatch.setattr(bulk, "COPY_ROWS", 4)
    client = Client.objects.create(organization=org_a, name="C")
    tea = Product.objects.create(organization=org_a, name="Tea")
    rng = np.random.default_rng(7)
    cents = np.concatenate(
        [[1, -1, 99_999_999_999_999, -99_999_999_999_999, 30_010, 1_005], rng.integers(-(10**13), 10**13, 30)]
    )
    documents = ['say "hi", then go', "", "line\nbreak", "back\\slash", "tab\there", "Ünïcødé ₽"] + [
        f"D{i}" for i in range(30)
    ]
    days = pd.to_datetime("2024-01-31") + pd.to_timedelta(rng.integers(0, 400, len(cents)), unit="D")
    product_ids = np.where(np.arange(len(cents)) % 2 == 0, tea.pk, 0)
    bulk.bulk_insert(
        Settlement,
        pd.DataFrame(
            {
                "organization_id": org_a.pk,
                "client_id": client.pk,
                "date": days.to_numpy(),
                "amount": cents / 100,
                "product_id": pd.arrays.IntegerArray(product_ids, product_ids == 0),
                "document": documents,
            }
        ),
    )
    stored = list(
        Settlement.objects.filter(client=client)
        .order_by("pk")
        .values_list("amount", "date", "product_id", "document", "deal_id")
    )
    assert stored == [
        (Decimal(int(c)).scaleb(-2), day.date(), tea.pk if p else None, text, None)
        for c, day, p, text in zip(cents, days, product_ids, documents)
    ]


def test_an_empty_frame_writes_nothing(org_a):
    assert len(bulk.bulk_insert(Client, pd.DataFrame({"organization_id": [], "name": []}), return_ids=True)) == 0
    assert Client.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_postgresql_reserves_the_keys_in_one_statement_and_copies_the_rows(org_a):
    rows = pd.DataFrame({"organization_id": org_a.pk, "name": [f"N{i}" for i in range(5000)]})
    with CaptureQueriesContext(connection) as queries:  # COPY goes past Django's log: only the reservation shows
        ids = bulk.bulk_insert(Client, rows, return_ids=True)
    assert len(queries) == 1 and queries[0]["sql"].startswith("SELECT nextval(")
    assert Client.objects.filter(pk__in=ids.tolist()).count() == 5000


@pytest.mark.databases
def test_bulk_select_reads_values_and_days(org_a):
    client = Client.objects.create(organization=org_a, name="C")
    Settlement.objects.create(organization=org_a, client=client, date=dt.date(2026, 2, 28), amount=Decimal("12.34"))
    frame = bulk.bulk_select(
        Settlement.objects.values_list("client_id", "date", "amount", "product_id"), dates=("date",)
    )
    assert frame["client_id"].tolist() == [client.pk]
    assert frame["date"].tolist() == [pd.Timestamp("2026-02-28")]
    assert frame["amount"].astype(float).tolist() == [12.34]
    assert frame["product_id"].isna().tolist() == [True]
    empty = bulk.bulk_select(Settlement.objects.filter(pk=0).values_list("client_id", "date"), dates=("date",))
    assert list(empty.columns) == ["client_id", "date"] and empty.empty


@pytest.mark.databases
def test_bulk_replace_writes_only_the_difference(org_a, monkeypatch):
    from clients.models import StateChange

    monkeypatch.setattr(bulk, "DIRECT_ROWS", 0)  # compare even these few rows
    client = Client.objects.create(organization=org_a, name="C")

    def rows(*changes):
        return pd.DataFrame(
            [
                {
                    "organization_id": org_a.pk,
                    "client_id": client.pk,
                    "previous_state": p,
                    "state": s,
                    "as_of": np.datetime64(day),
                    "until": np.datetime64(until) if until else np.datetime64("NaT"),
                }
                for p, s, day, until in changes
            ]
        )

    first = ("potential", "new", "2026-01-15", "2026-04-15")
    lost = ("new", "lost", "2026-04-15", None)
    current = [StateChange.objects.filter(organization=org_a)]
    assert bulk.bulk_replace(StateChange, current, rows(first, lost)) == {"deleted": 0, "inserted": 2}
    kept = StateChange.objects.get(state="new").pk
    assert bulk.bulk_replace(StateChange, current, rows(first, lost)) == {"deleted": 0, "inserted": 0}
    regular = ("new", "regular", "2026-03-01", None)
    first = ("potential", "new", "2026-01-15", "2026-03-01")
    assert bulk.bulk_replace(StateChange, current, rows(first, regular)) == {"deleted": 2, "inserted": 2}
    assert list(StateChange.objects.order_by("as_of").values_list("as_of", "until", "state")) == [
        (dt.date(2026, 1, 15), dt.date(2026, 3, 1), "new"),
        (dt.date(2026, 3, 1), None, "regular"),
    ]
    assert not StateChange.objects.filter(pk=kept).exists()
