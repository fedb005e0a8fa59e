"""The client register's downloads: the client list and the KPI tables, typed and formatted."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from clients.models import Contact
from clients.tests.factories import make_client, settle
from crm_portal.models import Role

pytestmark = pytest.mark.django_db
START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


def test_kpi_export_writes_counts_money_and_conversion_as_typed_cells(client_as, org_a, make_member):
    manager = make_member(org_a, Role.MANAGER)
    buyer = make_client(org_a, "=Buyer", manager=manager)
    Contact.objects.create(organization=org_a, client=buyer, kind="call", date=dt.date(2026, 1, 5), summary="x")
    settle(buyer, "2026-01-10", "4663.31")
    settle(buyer, "2026-02-10", "4663.31")
    settle(buyer, "2026-03-10", "4663.31")
    prospect = make_client(org_a, "Prospect", manager=manager)
    Contact.objects.create(organization=org_a, client=prospect, kind="call", date=dt.date(2026, 1, 6), summary="x")
    response = client_as(org_a, Role.SALES_HEAD).get(
        reverse("clients:kpi"), {"start": START.isoformat(), "end": END.isoformat(), "export": "xlsx"}
    )
    assert response["Content-Disposition"] == 'attachment; filename="kpi-2026-01-01-2026-03-31.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    managers = book["Managers"]
    header = [cell.value for cell in managers[1]]
    row = {name: cell for name, cell in zip(header, managers[2])}
    assert row["Manager"].value == manager.username
    assert (row["Clients"].value, row["Clients"].number_format) == (2, "#,##0")
    assert (row["First contacts in the period"].value, row["First sales"].value) == (2, 1)
    assert type(row["First sales"].value) is int and row["First sales"].number_format == "#,##0"
    # The page says 50.0 (percent); the sheet holds the fraction under a percent format.
    assert (
        row["Conversion first contact to purchase, %"].value,
        row["Conversion first contact to purchase, %"].number_format,
    ) == (0.5, "0.0%")
    assert (row["First sales, sum"].value, row["First sales, sum"].number_format) == (4663.31, "#,##0.00")
    assert (row["Repeat sales, sum"].value, row["Repeat sales, sum"].number_format) == (9326.62, "#,##0.00")
    clients = {row[0].value: row for row in book["Clients"].iter_rows(min_row=2)}
    assert clients["=Buyer"][0].data_type == "s" and clients["=Buyer"][0].quotePrefix
    assert clients["=Buyer"][4].value == 4663.31 and clients["=Buyer"][4].number_format == "#,##0.00"
    assert clients["Prospect"][4].value == 0 and clients["Prospect"][4].number_format == "#,##0.00"


def test_client_list_export_keeps_text_as_typed(client_as, org_a):
    for name in ("=Formula", "+", "+-", "-", "@who", "\tTab", "Plain"):
        make_client(org_a, name)
    response = client_as(org_a, Role.ADMIN).get(reverse("clients:list"), {"export": "xlsx"})
    assert response["Content-Disposition"] == 'attachment; filename="clients.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    names = {cell.value: cell for (cell,) in sheet.iter_rows(min_row=2, max_col=1)}
    assert set(names) == {"=Formula", "+", "+-", "-", "@who", "\tTab", "Plain"}
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in names.values())
