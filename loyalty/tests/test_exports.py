"""The personal links download: .xlsx with a real date column, .csv in the reader's locale."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from crm_portal.models import Role
from loyalty import services

from .factories import make_client

pytestmark = pytest.mark.django_db
EXPIRES = timezone.make_aware(datetime.datetime(2030, 5, 31, 12, 0))


@pytest.fixture
def links_url(org_a):
    for name in ('=HYPERLINK("http://evil")', "+-", "\tTab", "Beta LLC"):
        make_client(org_a, name)
    campaign = services.campaign_start(organization=org_a, kind="nps", name="NPS")
    campaign.invitations.update(expires_at=EXPIRES)
    return reverse("loyalty:campaign_links", kwargs={"campaign_id": campaign.pk})


@pytest.mark.parametrize(
    "language, header, day_format", [("en", "Valid until", "mm/dd/yyyy"), ("ru", "Действует до", "dd.mm.yyyy")]
)
def test_links_xlsx_has_text_as_typed_and_a_date_column(client_as, org_a, links_url, language, header, day_format):
    response = client_as(org_a, Role.ANALYST).get(links_url + "?format=xlsx", HTTP_ACCEPT_LANGUAGE=language)
    assert response["Content-Disposition"].endswith('-links.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["D1"].value == header
    names = [sheet.cell(row, 1) for row in range(2, sheet.max_row + 1)]
    assert sorted(cell.value for cell in names) == sorted(['=HYPERLINK("http://evil")', "+-", "\tTab", "Beta LLC"])
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in names)
    assert sheet["C2"].data_type == "s" and sheet["C2"].hyperlink is None  # the link is text, not a live link
    assert sheet["D2"].value == datetime.datetime(2030, 5, 31)
    assert sheet["D2"].number_format == day_format


@pytest.mark.parametrize("language, delimiter, day", [("en", ",", "05/31/2030"), ("ru", ";", "31.05.2030")])
def test_links_csv_follows_the_readers_locale_and_neutralises_text(
    client_as, org_a, links_url, language, delimiter, day
):
    response = client_as(org_a, Role.ANALYST).get(links_url + "?format=csv", HTTP_ACCEPT_LANGUAGE=language)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the Cyrillic as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))
    assert len(rows[0]) == 6
    assert sorted(row[0] for row in rows[1:]) == sorted(['\'=HYPERLINK("http://evil")', "'+-", "'\tTab", "Beta LLC"])
    assert {row[3] for row in rows[1:]} == {day}
