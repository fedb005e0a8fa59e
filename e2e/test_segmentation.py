"""An analyst's ABC/XYZ session: a file with two bad rows, the rejected rows, the fixed file, the matrix, the export."""

import re

import pandas as pd
import pytest
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from crm_portal.spreadsheets import Sheet, xlsx_bytes
from e2e.conftest import reload_after_check


def wide_file(bad: bool) -> bytes:
    months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    rows = [
        ["ООО Ромашка", 900, 1100, 900, 1100, 900, 1100],  # total 6000, CV 0.10 -> A, X
        ["ИП Петров", 500, 500, 500, 500, 500, 500],  # 3000: 51.7% before it -> B; CV 0 -> X
        ["Альфа", 0, 0, 400, 0, 800, 400],  # 1600: 77.6% before it -> B; history 4, CV 0.707 -> Z
        ["Бета", 100, 200, 100, 200, 100, 300],  # 1000 -> C, Z
    ]
    if bad:
        rows[1][3] = "пятьсот"
        rows.append(["ООО Ромашка", 1, 1, 1, 1, 1, 1])
    frame = pd.DataFrame(rows, columns=["Клиент", *months]).astype(object)
    return xlsx_bytes([Sheet.of_frame("Продажи", frame)])


def upload(page, name: str, content: bytes):
    page.goto("/segmentation/")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": name,
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": content,
            }
        ],
    )
    page.click("#upload-submit")
    expect(page).to_have_url(re.compile(r"/segmentation/datasets/\d+/$"))
    # The worker may still be busy with an earlier test's job on a loaded 2-core machine.
    expect(page.locator("#dataset-status")).not_to_have_attribute("data-status", "checking", timeout=120_000)


def read_download(download) -> list[list]:
    path = download.path()
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


@pytest.mark.worker
def test_analyst_fixes_a_file_and_reads_the_matrix(page, login, shot, celery_worker):
    login(page, "demo-analyst")
    upload(page, "clients.xlsx", wide_file(bad=True))
    expect(page.locator("#dataset-status")).to_have_attribute("data-status", "invalid")
    expect(page.locator("#problems-summary")).to_contain_text("The file has 2 problems")
    problems = page.locator("#problem-list tbody tr")
    expect(problems).to_have_count(2)
    # In file order: row 3 (column D), then row 6.
    expect(problems.nth(0)).to_contain_text("not a number")
    expect(problems.nth(1)).to_contain_text("the client appears again (first in row 2)")
    # The two bad cells are marked in the preview: row 3 column D, row 6 column A.
    expect(page.locator("#preview tr[data-row='3'] td.cell-problem")).to_have_count(1)
    expect(page.locator("#preview tr[data-row='3'] td.cell-problem")).to_have_text("пятьсот")
    expect(page.locator("#preview tr[data-row='6'] td.cell-problem")).to_have_text("ООО Ромашка")
    expect(page.locator("#analyse-form")).to_have_count(0)
    shot(page, "problems")

    with page.expect_download() as info:
        page.click("#download-rejected")
    rows = read_download(info.value)
    assert rows[0] == ["Row", "Клиент", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "Reason"]
    assert [r[0] for r in rows[1:]] == [3.0, 6.0]
    assert rows[1][-1] == "D (2025-03): not a number"
    assert rows[2][-1].startswith("A (Клиент): the client appears again")

    upload(page, "clients-fixed.xlsx", wide_file(bad=False))
    expect(page.locator("#dataset-status")).to_have_attribute("data-status", "valid")
    expect(page.locator("#problems-summary")).to_have_count(0)
    shot(page, "valid")
    page.click("#analyse-submit")
    expect(page).to_have_url(re.compile(r"/segmentation/jobs/\d+/$"))
    expect(page.locator(".job-progress .progress")).to_be_visible()
    shot(page, "progress")
    expect(page).to_have_url(re.compile(r"/segmentation/runs/\d+/$"), timeout=60_000)
    expect(page.locator("#matrix")).to_be_visible()
    expect(page.locator("#pareto-chart .main-svg").first).to_be_visible()
    expect(page.locator("#cv-chart .main-svg").first).to_be_visible()
    # Totals 6000, 3000, 1600, 1000 of 11600: before-shares 0, 51.7%, 77.6%, 91.4%.
    expect(page.locator("a[data-cell='AX'] .cell-count")).to_have_text("1")
    expect(page.locator("a[data-cell='BX'] .cell-count")).to_have_text("1")
    expect(page.locator("a[data-cell='BZ'] .cell-count")).to_have_text("1")
    expect(page.locator("a[data-cell='CZ'] .cell-count")).to_have_text("1")
    expect(page.locator("a[data-cell='AX'] .cell-share")).to_have_text("52%")
    first = page.locator("#run-table tbody tr").first
    expect(first.locator(".row-total")).to_have_text("6,000.00")
    expect(first.locator(".row-share")).to_have_text("51.7%")
    expect(first.locator(".row-cum-share")).to_have_text("51.7%")
    expect(first.locator(".row-cv")).to_have_text("10.0%")
    shot(page, "matrix")

    page.click("a[data-cell='AX']")
    expect(page).to_have_url(re.compile(r"\?cell=AX$"))
    table = page.locator("#run-table tbody tr")
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text("ООО Ромашка")
    shot(page, "ax-cell")

    with page.expect_download() as info:
        page.click("#export-run")
    rows = read_download(info.value)
    assert rows[0] == ["Rank", "Client", "Total", "Share", "Cumulative share", "ABC", "CV", "XYZ"]
    assert [r[0] for r in rows[1:]] == [1, 2, 3, 4]
    assert [r[1] for r in rows[1:]] == ["ООО Ромашка", "ИП Петров", "Альфа", "Бета"]
    assert [r[5] + r[7] for r in rows[1:]] == ["AX", "BX", "BZ", "CZ"]
    assert rows[1][2] == 6000.0


@pytest.mark.worker
def test_run_on_the_client_base_shows_class_history_on_the_card(page, login, shot, celery_worker):
    from clients.models import Client, Settlement
    from crm_portal.models import Organization
    from segmentation import selectors
    from segmentation.models import Run

    organization = Organization.objects.get(slug="demo")
    assert Settlement.objects.filter(organization=organization).exists()
    login(page, "demo-analyst")
    page.goto("/segmentation/")
    page.click("#base-run-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/segmentation/runs/\d+/$"), timeout=60_000)
    expect(page.locator("h1")).to_contain_text("client base")
    expect(page.locator("#comparison-summary")).to_have_count(0)
    first_url = page.url
    # A second run with other thresholds moves clients between classes.
    page.goto("/segmentation/")
    page.fill("#id_a", "0.2")
    page.fill("#id_b", "0.4")
    page.fill("#id_x", "0")
    page.fill("#id_y", "0.01")
    page.click("#base-run-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/segmentation/runs/\d+/$"), timeout=60_000)
    assert page.url != first_url
    second, first = Run.objects.filter(organization=organization, source=Run.Source.BASE).order_by("-pk")[:2]
    changes = selectors.run_changes(second, first)
    assert changes["count"] > 0
    expect(page.locator("#comparison-summary")).to_contain_text(
        f"Compared with run #{first.pk}: {changes['count']} client{'' if changes['count'] == 1 else 's'} changed class;"
        " new clients: 0."
    )
    expect(page.locator("#changes tbody tr")).to_have_count(changes["count"])
    shot(page, "changes")
    link = page.locator("#run-table tbody tr a").first
    name = link.inner_text()
    link.click()
    expect(page).to_have_url(re.compile(r"/clients/\d+/$"))
    panel = page.locator("#panel-client-classes")
    expect(panel.locator("tr.client-class-row")).to_have_count(2)
    client = Client.objects.get(organization=organization, name=name)
    expect(panel.locator("tr.client-class-row").first).to_contain_text(client.abc_class)
    shot(page, "client-card")


def test_russian_analyst_sees_the_demo_run_and_file(new_page, login, shot):
    page = new_page(locale="ru-RU")
    login(page, "demo-analyst")
    page.goto("/segmentation/")
    expect(page.locator("h1")).to_have_text("Сегментация ABC/XYZ")
    expect(page.locator("#upload-submit")).to_have_text("Загрузить и проверить")
    page.locator("#run-list tbody a").first.click()
    expect(page.locator("#matrix")).to_be_visible()
    expect(page.locator("#pareto-chart .main-svg").first).to_be_visible()
    expect(page.locator("#export-run")).to_have_text("Выгрузить в .xlsx")
    # Russian numbers: a space between thousands, a comma before the decimals; shares and CVs in percent.
    first = page.locator("#run-table tbody tr").first
    expect(first.locator(".row-total")).to_have_text(re.compile(r"^\d{1,3}([\s\u00a0]\d{3})*,\d{2}$"))
    expect(first.locator(".row-share")).to_have_text(re.compile(r"^\d{1,3},\d%$"))
    expect(first.locator(".row-cv")).to_have_text(re.compile(r"^(\d+,\d%|—)$"))
    shot(page, "run-ru")
    with page.expect_download() as info:
        page.click("#export-run")
    rows = read_download(info.value)
    assert rows[0][:8] == ["Место", "Клиент", "Итого", "Доля", "Накопленная доля", "ABC", "CV", "XYZ"]
    assert [r[0] for r in rows[1:4]] == [1, 2, 3]
    page.goto("/segmentation/")
    page.locator("#dataset-list tbody a").first.click()
    expect(page.locator("#dataset-status")).to_have_text("Без ошибок")
    expect(page.locator("#analyse-submit")).to_have_text("Классифицировать (ABC/XYZ)")
    shot(page, "dataset-ru")
    assert page.errors == []


def test_a_refused_upload_address_can_be_opened_again(page, login, shot):
    login(page, "demo-analyst")
    page.goto("/segmentation/")
    page.set_input_files(
        "#id_file",
        files=[{"name": "notes.xlsx", "mimeType": "application/octet-stream", "buffer": b"not a spreadsheet"}],
    )
    page.click("#upload-submit")
    expect(page).to_have_url(re.compile(r"/segmentation/upload/$"))
    expect(
        page.locator("#upload-form .invalid-feedback, #upload-form .errorlist, #upload-form .text-danger").first
    ).to_be_visible()
    # The refused upload answers 400 on purpose (the form with its error); Chromium logs that status.
    assert page.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.errors.clear()
    # Opening the address again (a bookmark, Enter in the address bar) shows the form, not a blank 405.
    response = page.goto(page.url)
    assert response.status == 200
    expect(page).to_have_url(re.compile(r"/segmentation/#upload-form$"))
    expect(page.locator("#upload-form #id_file")).to_be_visible()
    shot(page, "upload-again")
    assert page.errors == []


def negative_file() -> bytes:
    months = ["2025-01", "2025-02", "2025-03", "2025-04"]
    frame = pd.DataFrame(
        [["Дельта", 1000, -100, 1500, 2000], ["Гамма", 500, 500, 500, 500]], columns=["Клиент", *months]
    ).astype(object)
    return xlsx_bytes([Sheet.of_frame("Продажи", frame)])


@pytest.mark.worker
def test_every_segmentation_page_reads_in_russian(new_page, login, shot, celery_worker):
    page = new_page(locale="ru-RU")
    login(page, "demo-analyst")
    page.goto("/segmentation/")
    shot(page, "index-ru")
    upload(page, "возвраты.xlsx", negative_file())
    expect(page.locator("#dataset-status")).to_have_text("Без ошибок")
    expect(page.locator("#negative-note")).to_contain_text(
        "1 сумма отрицательна. Отрицательные суммы принимаются как возвраты"
    )
    expect(page.locator("#preview td.cell-negative")).to_have_text("-100")
    shot(page, "preview-ru")
    page.click("#analyse-submit")
    expect(page).to_have_url(re.compile(r"/segmentation/runs/\d+/$"), timeout=60_000)
    expect(page.locator("#run-params")).to_have_text(
        "2 клиента; периоды с 2025-01 по 2025-04 (месяцы); A ниже 50%, B ниже 80%; X до 10%, Y до 25%; минимальная история 4."
    )
    expect(page.locator("#cv-chart .main-svg").first).to_be_visible()
    expect(page.locator("#pareto-chart")).to_contain_text("Кривая Парето")
    shot(page, "run-ru")
    expect(page.locator("#profile-legend")).to_have_count(0)  # a file run knows no tenure
    page.goto("/segmentation/")
    page.click("#base-run-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/segmentation/runs/\d+/$"), timeout=60_000)
    expect(page.locator("#profile-legend")).to_contain_text("средний срок работы клиентов")
    expect(page.locator(".cell-tenure").first).to_have_text(re.compile(r"^(\d+,\d мес\.|—)$"))
    expect(page.locator(".cell-products").first).to_have_text(re.compile(r"^\d+,\d прод\.$"))
    expect(page.locator("#cv-chart .main-svg").first).to_be_visible()
    shot(page, "base-run-ru")
    page.goto("/segmentation/settings/")
    shot(page, "settings-ru")
    for url in ("/segmentation/", "/segmentation/settings/"):
        page.goto(url)
        text = page.locator("main").inner_text() if page.locator("main").count() else page.locator("body").inner_text()
        for english in ("(month)", "Month", "Quarter", "Turnover", "Margin", "Upload", "Save", "Settings"):
            assert english not in text, (url, english)
    assert page.errors == []


def test_repeated_rows_are_counted_and_the_analyst_chooses_what_becomes_of_them(page, login, shot):
    from django.core.files.base import ContentFile

    from crm_portal.models import Organization
    from segmentation import services
    from segmentation.models import Dataset

    rows = [
        ["ООО Ромашка", "2025-01-10", 100, "Чай"],
        ["ИП Петров", "2025-01-11", 50, "Кофе"],
        ["ООО Ромашка", "2025-01-10", 100, "Чай"],
        ["ООО Ромашка", "2025-02-10", 100, "Чай"],
        ["ИП Петров", "2025-01-11", 50, "Кофе"],
    ]
    frame = pd.DataFrame(rows, columns=["Клиент", "Дата", "Сумма", "Товар"]).astype(object)
    dataset = Dataset(organization=Organization.objects.get(slug="demo"), token="e2e-repeated-rows", name="sales.xlsx")
    dataset.file.save("sales.xlsx", ContentFile(xlsx_bytes([Sheet.of_frame("Продажи", frame)])), save=False)
    dataset.save()
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)  # the check, in this process

    login(page, "demo-analyst")
    page.goto(f"/segmentation/datasets/{dataset.pk}/")
    expect(page.locator("#dataset-status")).to_have_attribute("data-status", "valid")
    note = page.locator("#duplicates-note")
    expect(note).to_have_attribute("data-choice", "keep")
    expect(note).to_have_text(
        "2 rows repeat an earlier row exactly (first: row 4 repeats row 2). Such rows are kept as repeated purchases. "
        "If they were entered twice by mistake, choose “Drop them” for repeated rows under “Sheet and columns” and check again."
    )
    expect(page.locator("#id_duplicates")).to_have_value("keep")
    shot(page, "repeated-rows-kept")

    page.select_option("#id_duplicates", "drop")
    page.click("#mapping-form button[type=submit]")
    expect(page.locator("#dataset-status")).to_have_attribute("data-status", "checking")
    services.dataset_inspect(dataset=Dataset.objects.get(pk=dataset.pk), progress=lambda *a: None)
    reload_after_check(page)
    expect(note).to_have_attribute("data-choice", "drop")
    expect(note).to_have_text(
        "2 rows repeat an earlier row exactly (first: row 4 repeats row 2). Such rows are dropped, "
        "as you chose: the analysis and the import leave them out."
    )
    expect(page.locator("#id_duplicates")).to_have_value("drop")
    shot(page, "repeated-rows-dropped")
    assert page.errors == []
