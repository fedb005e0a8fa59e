"""A file as wide as Excel allows (16,384 columns) on the dataset page: a bounded preview that says so, and a
mapping form of column letters that the analyst fills in to check the file again."""

from playwright.sync_api import expect

from e2e.conftest import reload_after_check
from segmentation.tests.helpers import very_wide_workbook


def test_the_analyst_reads_a_very_wide_file_and_chooses_its_months_by_letters(new_page, login, shot):
    from django.core.files.base import ContentFile

    from crm_portal.models import Organization
    from segmentation import services
    from segmentation.models import Dataset

    dataset = Dataset(organization=Organization.objects.get(slug="demo"), token="e2e-very-wide", name="wide.xlsx")
    dataset.file.save("wide.xlsx", ContentFile(very_wide_workbook(bad=(1, 59))), save=False)
    dataset.save()
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)  # the check, in this process

    page = new_page(locale="ru-RU")
    login(page, "demo-analyst")
    page.goto(f"/segmentation/datasets/{dataset.pk}/")
    expect(page.locator("#dataset-status")).to_have_attribute("data-status", "invalid")
    expect(page.locator("#preview-columns-note")).to_have_text(
        "Показано столбцов: 31 из 16\xa0384 — первые, выбранные для клиента, даты и суммы, и те, где в показанных "
        "строках есть ошибка."
    )
    expect(page.locator("#preview thead th")).to_have_count(32)  # the row number and 31 columns
    expect(page.locator("#preview thead th").last).to_have_text("BH2024-11")
    expect(page.locator("#preview tr[data-row='3'] td.cell-problem")).to_have_text("many")
    expect(page.locator("#id_client")).to_have_value("A")
    expect(page.locator("#id_months")).to_have_value("B:BI")
    expect(page.locator("#id_months_helptext")).to_contain_text("Сейчас выбраны: B–BI (60 месяцев).")
    shot(page, "wide-ru")

    # The two last months (BH holds the bad cell) left out, the file checked again.
    page.fill("#id_months", "B:BG")
    page.click("#mapping-form button[type=submit]")
    expect(page.locator("#dataset-status")).to_have_attribute("data-status", "checking")
    services.dataset_inspect(dataset=Dataset.objects.get(pk=dataset.pk), progress=lambda *a: None)
    reload_after_check(page)
    expect(page.locator("#dataset-status")).to_have_attribute("data-status", "valid")
    expect(page.locator("#preview thead th")).to_have_count(31)
    expect(page.locator("#id_months")).to_have_value("B:BG")
    shot(page, "wide-valid-ru")
    assert page.errors == []
