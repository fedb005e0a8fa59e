"""The assessment download: answers read back exactly as given, scores in percent, a real date."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from crm_portal.models import Role
from diagnostics import services
from diagnostics.models import Instrument

pytestmark = pytest.mark.django_db


def test_export_reads_back_plus_minus_answers_as_typed_with_types_and_formats(client, org_a, make_member):
    manager = make_member(org_a, Role.MANAGER)
    audit = services.assessment_start(
        organization=org_a, author=manager, instrument=Instrument.objects.get(code="controllability")
    )
    keys = [item["key"] for section in audit.version.definition["sections"] for item in section["items"]]
    for index, key in enumerate(keys):
        services.answer_save(
            assessment=audit,
            user=manager,
            item_key=key,
            raw_value=("+", "+-", "-")[index % 3],
            comment="@note" if index == 0 else "",
            version_hash=audit.version.content_hash,
        )
    services.assessment_complete(assessment=audit, user=manager)
    audit.refresh_from_db()
    client.force_login(manager)
    response = client.get(reverse("diagnostics:export", kwargs={"assessment_id": audit.pk}), HTTP_ACCEPT_LANGUAGE="ru")
    assert response["Content-Disposition"] == f'attachment; filename="controllability-{audit.pk}.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Ответы", "Результаты", "План улучшений"]
    answers = book.worksheets[0]
    cells = [answers.cell(row, 3) for row in range(2, len(keys) + 2)]
    assert [cell.value for cell in cells] == [("+", "+-", "-")[index % 3] for index in range(len(keys))]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
    points = [answers.cell(row, 4) for row in (2, 3, 4)]
    assert [(cell.value, cell.number_format) for cell in points] == [(1, "0.0%"), (0.5, "0.0%"), (0, "0.0%")]
    assert answers["E2"].value == "@note" and answers["E2"].quotePrefix
    scores = book.worksheets[1]
    assert scores["B2"].number_format == "0.0%" and 0 <= scores["B2"].value <= 1
    assert type(scores["C2"].value) is int and scores["C2"].number_format == "#,##0"
    done = scores.cell(scores.max_row, 1)
    assert done.value == datetime.datetime.combine(timezone.localtime(audit.done_at).date(), datetime.time())
    assert done.number_format == "dd.mm.yyyy"
