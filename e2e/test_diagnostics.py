"""Diagnostics in the browser: fill the controllability audit in Russian, resume, report, act, compare."""

import datetime
import io
import re
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from diagnostics.models import Action, Answer, Assessment


def _accept_dialogs(page):
    page.on("dialog", lambda dialog: dialog.accept())


def test_manager_fills_audit_in_russian_resumes_completes_and_plans_an_action(new_page, login, shot, wait_for):
    page = new_page(locale="ru-RU")
    _accept_dialogs(page)
    login(page, "demo-manager")
    page.goto("/diagnostics/")
    page.locator("tr[data-code=controllability] .start-button").click()
    expect(page.locator("h1")).to_have_text("Аудит управляемости (+ / +- / -)")
    expect(page.locator("#answer-help")).to_contain_text("Процесс управляем")
    forms = page.locator("form.item-form")
    expect(forms).to_have_count(30)
    for index in range(15):
        form = forms.nth(index)
        form.locator("label[data-value='+']" if index % 3 else "label[data-value='+-']").click()
        expect(form.locator(".item-saved")).to_be_visible()
    expect(page.locator("#progress-text")).to_have_text("15 из 30 отвечено")
    forms.nth(0).locator("summary").click()
    shot(page, "half-way")
    url = page.url
    assert page.errors == []
    # The tab closes right after typing, before the debounced save: the page sends it on leaving.
    forms.nth(0).locator("textarea[name=comment]").fill("Только в Excel")
    page.close(run_before_unload=True)

    assessment = Assessment.objects.get(version__instrument__code="controllability", status="draft")
    wait_for(
        lambda: Answer.objects.get(assessment=assessment, item_key="clients_by_products").comment == "Только в Excel",
        timeout=10,
    )
    assert Answer.objects.filter(assessment=assessment).count() == 15

    page = new_page(locale="ru-RU")
    _accept_dialogs(page)
    login(page, "demo-manager")
    page.goto("/diagnostics/")
    page.locator("#drafts a").first.click()
    expect(page).to_have_url(url)
    forms = page.locator("form.item-form")
    expect(page.locator("#progress-text")).to_have_text("15 из 30 отвечено")
    expect(forms.nth(0).locator("input[value='+-']")).to_be_checked()
    for index in range(15, 30):
        form = forms.nth(index)
        form.locator("label[data-value='-']" if index % 4 == 0 else "label[data-value='+']").click()
        expect(form.locator(".item-saved")).to_be_visible()
    expect(page.locator("#progress-text")).to_have_text("30 из 30 отвечено")
    page.click("#complete-button")
    expect(page).to_have_url(re.compile(r"/report/$"))
    expect(page.locator("#chart .main-svg").first).to_be_attached()
    agenda = page.locator(".agenda-item")
    expect(agenda).to_have_count(9)
    expect(page.locator("#section-scores")).to_contain_text("Основные характеристики")
    shot(page, "report-ru")
    expect(page.locator(".source-text")).to_have_text("Источник: статья о принципах работы с клиентами.")
    first = agenda.first
    first.locator("summary").click()
    # A day in the past: the date field refuses it before anything is sent.
    first.locator("input[name=title]").fill("Вчерашнее действие")
    first.locator("input[name=due_date]").fill("2020-01-01")
    first.locator("button[type=submit]").click()
    assert first.locator("input[name=due_date]").evaluate("field => field.validity.rangeUnderflow") is True
    assert not Action.objects.filter(title="Вчерашнее действие").exists()
    due = (datetime.date.today() + datetime.timedelta(days=21)).isoformat()
    first.locator("input[name=title]").fill("Описать процедуру")
    first.locator("input[name=due_date]").fill(due)
    first.locator("button[type=submit]").click()
    expect(page.locator(".planned-action").first).to_contain_text("Описать процедуру")
    action = Action.objects.get(title="Описать процедуру")
    assert action.owner.username == "demo-manager" and action.due_date.isoformat() == due
    page.goto("/diagnostics/actions/")
    expect(page.locator("#my-actions")).to_contain_text("Описать процедуру")
    expect(page.locator("#my-actions thead th").nth(1)).to_have_text("Из диагностики")
    expect(page.locator("#my-actions")).to_contain_text(
        (datetime.date.today() + datetime.timedelta(days=21)).strftime("%d.%m.%Y")
    )
    shot(page, "my-actions")
    assert page.errors == []


def test_sales_head_compares_two_assessments(page, login, shot):
    login(page, "demo-head")
    page.goto("/diagnostics/")
    page.locator("#completed a", has_text="Controllability audit").first.click()
    expect(page.locator("h1")).to_have_text("Controllability audit (+ / +- / -)")
    with page.expect_download() as download:
        page.click("#export-link")
    assert re.fullmatch(r"controllability-\d+\.xlsx", download.value.suggested_filename)
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert workbook.sheetnames == ["Answers", "Scores", "Agenda"]
    assert workbook["Answers"].max_row == 31
    report_url = page.url
    page.click("#print-link")
    page.emulate_media(media="print")
    expect(page.locator("nav.portal-navbar")).to_have_count(0)
    expect(page.locator("button[data-print]")).to_be_hidden()
    expect(page.locator("#section-scores")).to_be_visible()
    expect(page.locator("#chart .main-svg").first).to_be_attached()
    shot(page, "print")
    page.emulate_media(media="screen")
    page.goto(report_url)
    page.click("#compare-link")
    page.locator("#compare-form button").click()
    expect(page.locator("#compare-sections tbody tr")).to_have_count(4)
    expect(page.locator("#improved h2")).to_contain_text("What improved")
    expect(page.locator("#compare-chart .main-svg").first).to_be_attached()
    shot(page, "compare")
    improved = page.locator("#improved li").count()
    assert improved >= 1


def test_a_form_left_open_after_completion_says_so_and_saves_nothing(page, login):
    login(page, "demo-manager")
    page.goto("/diagnostics/")
    page.locator("tr[data-code=goulding] .start-button").click()
    forms = page.locator("form.item-form")
    forms.nth(0).locator("label[data-value=yes]").click()
    expect(forms.nth(0).locator(".item-saved")).to_be_visible()
    assessment = Assessment.objects.get(version__instrument__code="goulding", status="draft")
    Assessment.objects.filter(pk=assessment.pk).update(status="completed")  # completed in another tab
    forms.nth(1).locator("label[data-value=no]").click()
    expect(forms.nth(1).locator(".item-error")).to_have_text(
        "This assessment is completed and locked; its answers can no longer change."
    )
    assert list(Answer.objects.filter(assessment=assessment).values_list("item_key", flat=True)) == ["know_clients"]


def test_journey_map_and_aida_editors(page, login, shot):
    _accept_dialogs(page)
    login(page, "demo-manager")
    page.goto("/diagnostics/cjm/")
    page.locator("#journey-maps a").first.click()
    expect(page.locator("#emotion-chart .main-svg").first).to_be_attached()
    expect(page.locator("#pains-by-stage")).to_contain_text("Опоздание доставки")
    form = page.locator("#touchpoint-form")
    form.locator("select[name=stage]").select_option("advocacy")
    form.locator("input[name=name]").fill("Recommendation")
    form.locator("input[name=channel]").fill("Word of mouth")
    form.locator("textarea[name=client_action]").fill("Tells a colleague")
    form.locator("select[name=emotion]").select_option("2")
    form.locator("textarea[name=pains]").fill("No referral bonus")
    form.locator("button[type=submit]").click()
    rows = page.locator("#touchpoints tr.touchpoint")
    expect(rows).to_have_count(6)
    expect(rows.nth(5)).to_have_attribute("data-name", "Recommendation")
    rows.nth(5).locator(".move-up").click()
    expect(page.locator("#touchpoints tr.touchpoint").nth(4)).to_have_attribute("data-name", "Recommendation")
    expect(page.locator("#pains-by-stage")).to_contain_text("No referral bonus")
    shot(page, "cjm")
    page.click("#copy-map")
    expect(page.locator("h1")).to_contain_text("v2")
    expect(page.locator("#touchpoints tr.touchpoint")).to_have_count(6)

    page.goto("/diagnostics/aida/")
    page.locator("#aida-maps a").first.click()
    empty = page.locator("tr[data-persona='Частный магазин'] td[data-stage=interest]")
    expect(empty).to_have_class(re.compile("aida-empty"))
    form = page.locator("#aida-action-form")
    form.locator("select[name=persona]").select_option(label="Частный магазин")
    form.locator("select[name=stage]").select_option("interest")
    form.locator("input[name=description]").fill("Webinar for shop owners")
    form.locator("input[name=owner]").fill("Marketing")
    form.locator("input[name=channel]").fill("Online")
    form.locator("button[type=submit]").click()
    cell = page.locator("tr[data-persona='Частный магазин'] td[data-stage=interest]")
    expect(cell).to_contain_text("Webinar for shop owners")
    expect(cell).not_to_have_class(re.compile("aida-empty"))
    expect(page.locator("#cycle-differences")).not_to_contain_text("Interest")
    shot(page, "aida")


def test_a_head_takes_the_customer_orientation_self_test_and_reads_the_advice_in_russian(new_page, login, shot):
    page = new_page(locale="ru-RU")
    _accept_dialogs(page)
    login(page, "demo-head")
    page.goto("/diagnostics/")
    page.locator("tr[data-code=customer_orientation] .start-button").click()
    expect(page.locator("h1")).to_have_text("Тест на клиентоориентированность")
    forms = page.locator("form.item-form")
    expect(forms).to_have_count(16)
    no = {6, 7, 13, 14, 15}  # the journey's first two, all three metrics
    for index in range(16):
        form = forms.nth(index)
        form.locator("label[data-value='no']" if index in no else "label[data-value='yes']").click()
        expect(form.locator(".item-saved")).to_be_visible()
    page.click("#complete-button")
    expect(page).to_have_url(re.compile(r"/report/$"))
    expect(page.locator("#overall-score")).to_have_text("68,8%")  # 11 of 16
    expect(page.locator("#level")).to_have_text("Развивающийся: основа есть, системы пока нет")
    advice = page.locator("#advice [data-advice]")
    expect(advice).to_have_count(2)
    expect(advice.nth(0)).to_contain_text("Постройте путь клиента и сотрудника и изучите его")
    expect(advice.nth(1)).to_contain_text("Измеряйте комплексно")
    expect(advice.nth(1)).to_contain_text("Меньше 75%: Метрики вместе")
    page.locator("#chart").scroll_into_view_if_needed()
    expect(page.locator("#chart .main-svg").first).to_be_attached()
    shot(page, "self-test-report-ru")
    assert page.errors == []
