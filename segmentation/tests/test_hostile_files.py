"""Every kind of hostile file is refused through the web upload with a clear message, and nothing is written."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm_portal.models import Job, Role
from segmentation.models import Dataset

from .helpers import rezip, wide_frame, workbook

VALID = wide_frame([("ООО Ромашка", 100, 110, 90, 100), ("ИП Петров", 10, 0, 0, 40)])


def post(client, name: str, content: bytes):
    return client.post(reverse("segmentation:upload"), {"file": SimpleUploadedFile(name, content)})


def assert_refused(response, message: str):
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Dataset.objects.count() == 0
    assert Job.objects.count() == 0
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []


@pytest.fixture
def analyst(client_as, org_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return client_as(org_a, Role.ANALYST)


def test_a_valid_file_is_kept_and_queued(analyst, tmp_path):
    response = post(analyst, "list.xlsx", workbook(VALID))
    dataset = Dataset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk})
    assert dataset.job.kind == "segmentation.check"
    assert (tmp_path / dataset.file.name).exists()


def test_over_the_size_limit(analyst, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    assert_refused(post(analyst, "big.xlsx", b"PK\x03\x04" + b"\0" * 2000), "The file is 0.0 MB; the limit is 0.0 MB.")


def test_zip_bomb_by_ratio(analyst):
    data = rezip(workbook(VALID), add={"xl/media/padding.bin": b"\0" * (60 * 1024 * 1024)})
    assert len(data) < 200_000
    response = post(analyst, "bomb.xlsx", data)
    assert_refused(response, "times its size (the limit is 100 times): a zip bomb is refused.")


def test_unpacked_size_over_the_limit(analyst, settings):
    settings.SEGMENTATION_MAX_UNPACKED_BYTES = 4096
    assert_refused(
        post(analyst, "large.xlsx", workbook(VALID)),
        "The workbook unpacks to more than 0.0 MB (a zip bomb?); it is refused.",
    )


def test_too_many_entries(analyst):
    data = rezip(workbook(VALID), add={f"xl/extra/{i}.txt": b"x" for i in range(1001)})
    assert_refused(post(analyst, "many.xlsx", data), "entries; an Excel workbook has far fewer (the limit is 1000).")


def test_path_that_leaves_the_folder(analyst):
    data = rezip(workbook(VALID), add={"../../etc/evil.xml": b"<x/>"})
    assert_refused(
        post(analyst, "slip.xlsx", data), "The archive contains a path that leaves its folder (../../etc/evil.xml)."
    )


def test_not_a_zip_at_all(analyst):
    assert_refused(
        post(analyst, "fake.xlsx", b"<html>not a workbook</html>"),
        "This is not an .xlsx workbook (it is not a zip archive) nor a .csv file.",
    )


def test_password_protected_workbook(analyst):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 500
    assert_refused(post(analyst, "secret.xlsx", ole), "The workbook is password-protected.")


def test_old_binary_excel(analyst):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000 + "Workbook".encode("utf-16-le")
    assert_refused(post(analyst, "old.xls", ole), "This is an old binary Excel file (.xls).")


def test_xml_entity_expansion(analyst):
    data = workbook(VALID)
    original = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode()
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        + original.split("?>", 1)[1]
    )
    response = post(analyst, "entities.xlsx", rezip(data, replace={"xl/workbook.xml": bomb.encode()}))
    assert_refused(
        response, "The workbook contains XML entity declarations (xl/workbook.xml), a known attack; it is refused."
    )


def test_external_entity_in_a_sheet(analyst):
    data = workbook(VALID)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    evil = sheet.replace("?>", '?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
    response = post(analyst, "xxe.xlsx", rezip(data, replace={"xl/worksheets/sheet1.xml": evil.encode()}))
    assert_refused(response, "(xl/worksheets/sheet1.xml), a known attack")


def test_more_rows_than_a_spreadsheet_holds(analyst):
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i * 7919 % 1000003}</v></c></row>' for i in range(1, 1_048_578))
    data = workbook(VALID)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    start, end = sheet.index("<sheetData>") + len("<sheetData>"), sheet.index("</sheetData>")
    huge = (sheet[:start] + rows + sheet[end:]).encode()
    response = post(analyst, "rows.xlsx", rezip(data, replace={"xl/worksheets/sheet1.xml": huge}))
    assert_refused(response, "Sheet “Sales” has more than 1,048,576 rows, the most a spreadsheet can hold.")


def test_csv_with_too_many_rows(analyst):
    content = b"client;date;amount\n" + b"a;2025-01-01;1\n" * 1_048_576
    assert_refused(post(analyst, "rows.csv", content), "The file has more than 1,048,576 rows")


def test_damaged_zip(analyst):
    data = workbook(VALID)
    assert_refused(post(analyst, "broken.xlsx", data[: len(data) // 2]), "The file is damaged")
