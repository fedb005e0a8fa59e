"""Counts read as a person writes them: Russian plural forms, thousands grouped the reader's way,
and ids, years and the values of form inputs never grouped."""

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from clients.tests.factories import make_client
from crm_portal.models import Job, Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_afterwards(settings):
    yield
    translation.activate(settings.LANGUAGE_CODE)  # a Russian request leaves Russian active in this thread


def figure(number: str, label: str) -> str:
    return f'<div class="stat-value">{number}</div><div class="small text-body-secondary">{label}</div>'


@pytest.mark.parametrize(
    ("count", "language", "number", "clients", "complaints"),
    [
        (1, "en", "1", "client", "open complaint"),
        (2, "en", "2", "clients", "open complaints"),
        (21, "en", "21", "clients", "open complaints"),
        (2002, "en", "2,002", "clients", "open complaints"),
        (23570, "en", "23,570", "clients", "open complaints"),
        (2, "ru", "2", "клиента", "открытые жалобы"),
        (5, "ru", "5", "клиентов", "открытых жалоб"),
        (21, "ru", "21", "клиент", "открытая жалоба"),
        (2002, "ru", "2\xa0002", "клиента", "открытые жалобы"),
        (23570, "ru", "23\xa0570", "клиентов", "открытых жалоб"),
    ],
)
def test_home_page_figures_agree_with_their_number(count, language, number, clients, complaints):
    with translation.override(language):
        panel = render_to_string(
            "clients/panels/home.html", {"client_count": count, "overdue_count": count, "open_complaints": count}
        )
    assert figure(number, clients) in panel
    assert figure(number, complaints) in panel


@pytest.mark.parametrize(
    ("language", "overdue"), [("ru", "просроченная контрольная точка"), ("en", "overdue control point")]
)
def test_one_overdue_control_point_is_singular(language, overdue):
    with translation.override(language):
        panel = render_to_string(
            "clients/panels/home.html", {"client_count": 0, "overdue_count": 1, "open_complaints": 0}
        )
    assert f'<div class="stat-value overdue">1</div><div class="small text-body-secondary">{overdue}</div>' in panel


@pytest.mark.parametrize(
    ("rows", "clients", "language", "text"),
    [
        (23570, 2002, "ru", "23\xa0570 строк на листе «Sales».\n2\xa0002 клиента.</p>"),
        (21, 5, "ru", "21 строка на листе «Sales».\n5 клиентов.</p>"),
        (2, 21, "ru", "2 строки на листе «Sales».\n21 клиент.</p>"),
        (23570, 2002, "en", "23,570 rows on sheet “Sales”.\n2,002 clients.</p>"),
        (21, 1, "en", "21 rows on sheet “Sales”.\n1 client.</p>"),
    ],
)
def test_a_checked_file_counts_its_rows_and_clients(
    client_as, org_a, settings, tmp_path, rows, clients, language, text
):
    from segmentation import services
    from segmentation.models import Dataset
    from segmentation.tests.helpers import wide_frame, workbook

    settings.MEDIA_ROOT = tmp_path
    dataset = Dataset(organization=org_a, token="list", name="list.xlsx")
    dataset.file.save("list.xlsx", ContentFile(workbook(wide_frame([("Alpha", 1, 2, 3, 4)]))), save=False)
    dataset.save()
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    Dataset.objects.filter(pk=dataset.pk).update(row_count=rows, client_count=clients)
    web = client_as(org_a, Role.ANALYST)
    page = web.get(
        reverse("segmentation:dataset", kwargs={"dataset_id": dataset.pk}), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert text in page


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "Клиенты получают 21 балл за каждые 1\xa0000 оплаты; баллы сгорают через 2 месяца."),
        ("en", "Clients earn 21 points per 1,000 paid; points lapse after 2 months."),
    ],
)
def test_the_programme_summary_agrees_with_its_numbers(client_as, org_a, language, text):
    from loyalty.models import Programme

    Programme.objects.create(
        organization=org_a, name="Club", key_factor="prices", points_per_thousand=21, validity_months=2
    )
    page = client_as(org_a, Role.ANALYST).get(reverse("loyalty:programme"), HTTP_ACCEPT_LANGUAGE=language)
    assert text in page.content.decode()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_ids_years_and_input_values_are_never_grouped(client_as, org_a, language):
    client = make_client(org_a, "Big client", pk=12345, year_founded=2015)
    job = Job.objects.create(pk=23570, organization=org_a, kind="demo.count")
    web = client_as(org_a, Role.ADMIN)
    listing = web.get(reverse("clients:list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert '<tr data-client="12345">' in listing
    assert 'name="client" value="12345"' in listing
    card = web.get(reverse("clients:card", kwargs={"client_id": client.pk}), HTTP_ACCEPT_LANGUAGE=language)
    assert '<dd class="col-6">2015</dd>' in card.content.decode()
    jobs = web.get(reverse("jobs:list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<a href="/jobs/{job.pk}/">23570</a>' in jobs
    detail = web.get(reverse("jobs:detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'id="job-progress-23570"' in detail and "#23570</h1>" in detail


@pytest.mark.parametrize(
    ("paid", "language", "message"),
    [
        ("100", "en", "Only 1 point is available; 2 cannot be taken."),
        ("200200", "en", "Only 2,002 points are available; 2,003 cannot be taken."),
        ("200", "ru", "Доступно только 2 балла; списать 3 нельзя."),
        ("500", "ru", "Доступно только 5 баллов; списать 6 нельзя."),
        ("2100", "ru", "Доступен только 21 балл; списать 22 нельзя."),
        ("200200", "ru", "Доступно только 2\xa0002 балла; списать 2\xa0003 нельзя."),
    ],
)
def test_a_refused_redemption_counts_the_points_available(org_a, paid, language, message):
    import datetime

    from django.core.exceptions import ValidationError

    from loyalty import ledger
    from loyalty.tests.factories import make_client as make_loyalty_client
    from loyalty.tests.factories import pay

    programme = ledger.programme_save(
        organization=org_a,
        name="Club",
        key_factor="prices",
        points_per_thousand=10,
        validity_months=12,
        tier_window_months=12,
    )
    client = make_loyalty_client(org_a, "Alpha")
    ledger.points_earn(client=client, settlements=[pay(client, datetime.date(2026, 1, 5), paid)], programme=programme)
    with translation.override(language), pytest.raises(ValidationError) as refused:
        ledger.points_redeem(client=client, points=int(paid) // 100 + 1)
    assert refused.value.messages == [message]
