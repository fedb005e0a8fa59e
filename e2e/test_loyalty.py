"""Loyalty in a browser: an analyst starts an NPS campaign, a client answers on a phone, the low
score opens a case, and the overview shows the new NPS after the metric job."""

import re

import pytest
from playwright.sync_api import expect

from clients.models import Complaint
from loyalty import mailing
from loyalty.models import Invitation, PointAccount, Response


@pytest.mark.worker
def test_nps_campaign_from_start_to_the_overview(page, new_page, login, shot, celery_worker):
    login(page, "demo-analyst")
    page.goto("/loyalty/campaigns/")
    page.click("#campaign-new")
    page.fill("#id_name", "Spring NPS")
    page.select_option("#id_kind", "nps")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Spring NPS")
    expect(page.locator("#stat-sent")).to_have_text("12")  # every client of the small demo base
    shot(page, "campaign")

    # The links go out by e-mail in a background job; clients without an e-mail are listed.
    campaign = Invitation.objects.filter(campaign__name="Spring NPS").latest("id").campaign
    without = [
        i.respondent for i in campaign.invitations.exclude(mailing.has_address(campaign)).order_by("respondent", "id")
    ]
    page.click("#send-links")
    expect(page.locator("#campaign-mail .job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    page.reload()
    expect(page.locator("#mail-sent")).to_have_text(f"Links e-mailed: {12 - len(without)} of 12")
    assert campaign.invitations.filter(sent_at__isnull=False).count() == 12 - len(without)
    if without:
        expect(page.locator("#no-email-list li")).to_have_text(without)
    else:
        expect(page.locator("#no-email")).to_have_count(0)
    expect(page.locator("#send-links")).to_be_visible()
    shot(page, "campaign-emailed")

    link = page.locator("#invitation-table .respond-link").first
    respondent = page.locator("#invitation-table tbody tr").first.get_attribute("data-respondent")
    href = link.get_attribute("href")

    phone = new_page(phone=True)
    phone.goto(href)
    expect(phone.locator("h1")).to_have_text("A quick question about working with us")
    phone.click("label[for=score-3]")
    phone.fill("#why-text", "The last two deliveries were late.")
    shot(phone, "respondent-phone")
    phone.click("#respond-submit")
    expect(phone.locator("#respond-state")).to_have_attribute("data-state", "answered")
    expect(phone.locator("h1")).to_have_text("Thank you!")
    shot(phone, "thanks-phone")
    phone.goto(href)  # a second visit shows the thank-you, not a new form
    expect(phone.locator("#respond-form")).to_have_count(0)
    assert phone.errors == []

    invitation = Invitation.objects.get(token=href.rstrip("/").split("/")[-1])
    assert Response.objects.filter(campaign=invitation.campaign).count() == 1
    case = Complaint.objects.get(client=invitation.client, source="survey")
    assert case.client.name == respondent and case.owner == invitation.client.manager
    assert "The last two deliveries were late." in case.description
    page.reload()
    expect(page.locator("#stat-answered")).to_have_text("1")
    expect(page.locator("#stat-cases")).to_have_text("1")
    expect(page.locator("#campaign-histogram")).to_have_attribute("data-drawn", "1")

    page.goto("/loyalty/")
    page.click("#metrics-run-form button")
    expect(page.locator("#metrics-job .job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    page.goto("/loyalty/?period=month")
    # Today's answers: 10 and 3 from the demo, 3 from the phone: (1 promoter - 2 detractors) / 3.
    expect(page.locator("#metric-cards [data-metric=nps] .metric-value")).to_have_text("-33.3")
    expect(page.locator("#nps-split .split-detractors")).to_contain_text("2")
    expect(page.locator("#latest-comments")).to_contain_text("The last two deliveries were late.")
    expect(page.locator("#trend-voice")).to_have_attribute("data-drawn", "1")
    page.locator("#slices-segment").scroll_into_view_if_needed()  # charts are drawn when they come into view
    expect(page.locator("#slices-segment")).to_have_attribute("data-drawn", "1")  # NPS per segment over time
    shot(page, "overview")


def test_russian_phone_gets_russian_questions_and_wrong_links_are_clear(new_page, shot):
    invitation = Invitation.objects.filter(answered_at__isnull=True, client__isnull=False).first()
    phone = new_page(locale="ru-RU", phone=True)
    phone.goto(f"/loyalty/s/{invitation.token}/")
    expect(phone.locator("legend").first).to_contain_text("Насколько вероятно, что вы посоветуете нас")
    phone.click("#respond-submit")  # nothing chosen
    expect(phone.locator("#respond-errors")).to_be_visible()
    expect(phone.locator(".question-error").first).to_have_text("Пожалуйста, выберите балл.")
    shot(phone, "respondent-ru-error")
    response = phone.goto("/loyalty/s/not-a-real-token/")
    assert response.status == 404
    expect(phone.locator("#respond-state")).to_have_attribute("data-state", "unknown")
    assert Response.objects.filter(invitation=invitation).count() == 0


def test_programme_and_iqs_pages(page, login, shot):
    login(page, "demo-head")
    page.goto("/loyalty/programme/")
    expect(page.locator("#tiers tbody tr")).to_have_count(3)
    page.fill("#id_tier-name", "Diamond")
    page.fill("#id_tier-rank", "4")
    page.fill("#id_tier-min_turnover", "2000000")
    page.fill("#id_tier-discount_percent", "8")
    page.click("#tier-form button")
    expect(page.locator("#tiers tbody tr")).to_have_count(4)
    page.locator("#accounts a").first.click()
    expect(page).to_have_url(re.compile(r"/loyalty/programme/accounts/\d+/"))
    account = PointAccount.objects.get(pk=int(page.url.rstrip("/").split("/")[-1]))
    expect(page.locator("#account-balance")).to_have_text(f"{account.balance:,}")
    page.fill("#id_points", str(account.balance + 1))
    page.fill("#id_note", "Too much")
    page.click("#redeem-form button")
    expect(page.locator("#redeem-form")).to_contain_text(f"Only {account.balance:,} points are available")
    shot(page, "account")
    # The client card of the clients app shows the tier and the balance.
    page.goto(f"/clients/{account.client_id}/")
    expect(page.locator("#panel-client-loyalty #client-points")).to_have_text(f"{account.balance:,}")
    expect(page.locator("#panel-client-loyalty #client-tier")).to_have_text(account.tier.name if account.tier else "—")
    shot(page, "client-card")
    page.goto("/loyalty/iqs/")
    page.locator("#scorecards a").first.click()
    page.select_option("#id_grade-manager", label="demo-manager")
    for radio in page.locator("#grade-form input[type=radio][value=yes]").all():
        radio.check()
    page.click("#grade-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("IQS 100.0%")
    shot(page, "iqs")


@pytest.mark.parametrize("width", [390, 360])
def test_the_0_to_10_scale_fits_one_row_on_a_phone_with_its_labels_at_the_ends(new_page, shot, width):
    invitation = Invitation.objects.filter(answered_at__isnull=True, client__isnull=False, campaign__kind="nps").first()
    phone = new_page(locale="ru-RU", phone=True)
    phone.set_viewport_size({"width": width, "height": 844})
    phone.goto(f"/loyalty/s/{invitation.token}/")
    points = phone.locator("fieldset[data-code=score] .scale-point")
    expect(points).to_have_count(11)
    boxes = [points.nth(i).bounding_box() for i in range(11)]
    assert len({round(box["y"]) for box in boxes}) == 1  # one row
    assert all(box["width"] >= 24 and box["height"] >= 44 for box in boxes)  # still easy to tap
    assert [points.nth(i).inner_text() for i in (0, 10)] == ["0", "10"]
    low = phone.locator("fieldset[data-code=score] .scale-low")
    high = phone.locator("fieldset[data-code=score] .scale-high")
    expect(high).to_have_text("Обязательно посоветую")
    # The labels sit at the real ends: under 0 and under 10.
    assert abs(low.bounding_box()["x"] - boxes[0]["x"]) <= 1
    high_box = high.bounding_box()
    assert abs((high_box["x"] + high_box["width"]) - (boxes[10]["x"] + boxes[10]["width"])) <= 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out
    phone.click("label[for=score-10]")
    expect(phone.locator("#score-10")).to_be_checked()
    shot(phone, f"scale-{width}")
    assert phone.errors == []


def test_a_manager_holds_the_win_over_interview_on_a_potential_clients_card(new_page, login, shot):
    from clients.models import Client

    page = new_page(locale="ru-RU")
    login(page, "demo-manager")
    prospect = Client.objects.filter(
        organization__slug="demo", lifecycle_state="potential", manager__username="demo-manager"
    ).first()
    assert prospect is not None, "the demo gives demo-manager a potential client"
    page.goto(f"/clients/{prospect.pk}/")
    page.locator("#interview-details summary").click()
    form = page.locator("#interview-form")
    expect(form).to_contain_text("Что для вас главное при выборе поставщика?")
    form.locator("#id_interview_main_criterion").fill("Поставки точно в срок")
    form.locator("#id_interview_minimum_service").fill("Ответ на заявку в течение часа")
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Беседа записана.")
    interview = page.locator("#interviews li[data-interview]").first
    interview.locator("summary").click()
    expect(interview).to_contain_text("Поставки точно в срок")
    expect(interview).to_contain_text("Какой минимальный уровень обслуживания для вас ещё допустим?")
    shot(page, "interview-ru")
    assert page.errors == []


def test_the_head_runs_the_anonymous_staff_survey_from_the_diagnostics_catalogue(new_page, login, shot):
    page = new_page(locale="ru-RU")
    login(page, "demo-head")
    page.goto("/diagnostics/")
    page.locator("#employee-survey a").click()
    expect(page.locator("#id_kind")).to_have_value("enps")
    page.fill("#id_name", "Опрос команды, декабрь")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Опрос команды, декабрь")
    campaign = Invitation.objects.filter(campaign__name="Опрос команды, декабрь").latest("id").campaign
    assert campaign.audience == "employees"

    phone = new_page(locale="ru-RU", phone=True)
    for invitation, (score, wellbeing, processes, fix) in zip(
        campaign.invitations.order_by("id"), ((9, 8, 3, "Согласовывать скидки быстрее"), (4, 5, 6, "")), strict=False
    ):
        phone.goto(f"/loyalty/s/{invitation.token}/")
        for code, value in (("score", score), ("wellbeing", wellbeing), ("processes", processes)):
            phone.click(f"label[for={code}-{value}]")
        if fix:
            phone.fill("#one_fix-text", fix)
        phone.click("#respond-submit")
        expect(phone.locator("#respond-state")).to_have_attribute("data-state", "answered")
    assert phone.errors == []

    page.reload()
    expect(page.locator("#stat-value")).to_have_text("0")  # one promoter, one detractor
    expect(page.locator("#campaign-stats")).to_contain_text("eNPS")
    questions = page.locator("#campaign-questions")
    expect(questions.locator("dd[data-code=wellbeing] .question-mean")).to_have_text("6,5")
    expect(questions.locator("dd[data-code=processes] .question-mean")).to_have_text("4,5")
    expect(questions.locator("dd[data-code=one_fix]")).to_contain_text("Согласовывать скидки быстрее")
    expect(page.locator("#campaign-answers")).not_to_contain_text("demo-")
    shot(page, "staff-survey-ru")
    assert page.errors == []


def test_the_head_chooses_what_each_products_satisfaction_questionnaire_asks(new_page, login, shot):
    from loyalty.models import ProductSurvey

    page = new_page(locale="ru-RU")
    login(page, "demo-head")
    page.goto("/loyalty/campaigns/")
    section = page.locator("#product-items")
    expect(section).to_contain_text("Опросы удовлетворённости, которые идут сами")
    row = section.locator("tr[data-product]").first
    product = int(row.get_attribute("data-product"))
    row.locator("input[value=appearance]").uncheck()
    row.locator("input[value=payment]").uncheck()
    section.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Анкеты продуктов сохранены")
    expect(page.locator(f"#product-items tr[data-product='{product}'] input[value=appearance]")).not_to_be_checked()
    assert ProductSurvey.objects.get(product_id=product).items == ["delivery", "quality"]
    shot(page, "product-items-ru")
    assert page.errors == []


def test_the_programme_has_tools_and_the_card_shows_which_the_client_may_use(new_page, login, shot):
    from clients.models import Client

    page = new_page(locale="ru-RU")
    login(page, "demo-head")
    page.goto("/loyalty/programme/")
    form = page.locator("#tool-form")
    form.locator("#id_tool-kind").select_option("bearer_card")
    form.locator("#id_tool-name").fill("Карта гостя")
    form.locator("#id_tool-rules").fill("Скидка 5 % любому, кто предъявит карту.")
    form.locator("button[type=submit]").click()
    expect(form.locator(".invalid-feedback, .text-danger").first).to_contain_text(
        "Для дисконтной карты укажите скидку."
    )
    page.locator("#id_tool-discount_percent").fill("5")
    page.locator("#tool-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Инструмент добавлен.")
    expect(page.locator("#tool-list [data-tool=bearer_card]")).to_contain_text("скидка 5%")
    expect(page.locator("#tool-list [data-tool=progressive] .tool-steps")).to_contain_text("от 30")
    shot(page, "programme-tools-ru")
    client = Client.objects.filter(organization__slug="demo").order_by("pk").first()
    page.goto(f"/clients/{client.pk}/")
    tools = page.locator("#client-tools")
    expect(tools.locator("[data-tool=bearer_card]")).to_have_attribute("data-open", "1")
    expect(tools.locator("[data-tool=closed]")).to_contain_text("уровня «Платиновый» и выше")
    tools.scroll_into_view_if_needed()
    shot(page, "card-tools-ru")
    assert page.errors == []
