"""A manager's day in the client register, in a real browser."""

import datetime
import json
import re
from decimal import Decimal

from playwright.sync_api import expect

from clients.models import Client, Complaint, ControlPoint, Deal


def iso(days: int) -> str:
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


def test_manager_works_a_client_from_creation_to_closed_complaint(page, login, shot):
    login(page, "demo-manager")
    page.goto("/clients/")
    shot(page, "list")
    page.click("#new-client")
    page.click("#client-form button[type=submit]")
    expect(page.locator("#client-form")).to_contain_text("Give the client's name")
    page.fill("#id_name", "Lakeside Roasters")
    page.fill("#id_year_founded", "2011")
    page.click("#client-form button[type=submit]")
    expect(page.locator("#client-name")).to_have_text("Lakeside Roasters")
    expect(page.locator("#client-state")).to_have_text("Potential")
    client = Client.objects.get(name="Lakeside Roasters")
    assert client.manager.username == "demo-manager"

    # A contact.
    page.click("#contact-details summary")
    page.select_option("#contact-form select[name=kind]", "call")
    page.fill("#contact-form textarea[name=summary]", "Introduced our coffee range")
    page.click("#contact-form button")
    expect(page.locator("#timeline-list")).to_contain_text("Call: Introduced our coffee range")

    # An overdue control point is flagged on the card and the list.
    page.locator("#points summary").click()
    page.select_option("#point-form select[name=kind]", "minutes")
    page.fill("#point-form input[name=due_date]", iso(-2))
    page.click("#point-form button")
    expect(page.locator("#point-form")).to_contain_text(
        "The due date cannot be in the past: give today or a later day."
    )
    assert not ControlPoint.objects.filter(client=client, kind="minutes").exists()
    page.fill("#point-form input[name=due_date]", iso(0))
    page.click("#point-form button")
    expect(page.locator("#points")).to_contain_text("Meeting minutes sent")
    # Two days later nobody has sent the minutes: the point is overdue.
    ControlPoint.objects.filter(client=client, kind="minutes").update(
        due_date=datetime.date.today() - datetime.timedelta(days=2)
    )
    page.reload()
    expect(page.locator("#points .point-overdue")).to_contain_text("Meeting minutes sent")
    page.goto("/clients/?q=Lakeside")
    expect(page.locator(f"#client-table tr[data-client='{client.pk}'] .overdue-flag")).to_be_visible()
    # My day opens on the overdue points, oldest first: the manager pages to it and marks it done.
    page.goto("/clients/my-day/")
    overdue = int(page.locator("#day-groups [data-group=overdue] .badge").inner_text())
    line = page.locator("#overdue-points li", has_text="Lakeside Roasters")
    while not line.count():
        page.click("#overdue-points a[rel=next]")
    shot(page, "my-day")
    line.locator("button", has_text="Done").click()
    expect(page.locator(".alert-success")).to_contain_text("Marked as done.")
    expect(page.locator("#day-groups [data-group=overdue] .badge")).to_have_text(str(overdue - 1))
    expect(page.locator("#overdue-points")).not_to_contain_text("Lakeside Roasters")

    # A deal from presentation to closing.
    page.goto(f"/clients/{client.pk}/")
    page.locator("#deals summary").click()
    page.fill("#deal-form input[name=title]", "Office coffee supply")
    page.fill("#deal-form input[name=amount]", "120000")
    page.click("#deal-form button")
    page.click("#deals a:has-text('Office coffee supply')")
    expect(page.locator("#current-stage")).to_have_text("Presentation")
    page.click("#advance-form button")  # to the offer without its expiry date: refused
    expect(page.locator("#advance-form")).to_contain_text("Give the date the offer expires.")
    for stage, due in [
        ("Commercial offer", iso(10)),
        ("Agreement", ""),
        ("Payment", iso(5)),
        ("Event", iso(12)),
        ("Closing", ""),
    ]:
        if stage == "Event":
            # Nothing paid yet: the deal stays at payment until paid in full (here 50/50).
            page.fill("#advance-form input[name=due_date]", due)
            page.click("#advance-form button")
            expect(page.locator("#advance-form")).to_contain_text("The client has paid 0.00 of 120,000.00.")
            for paid, remaining in (("60,000.00", "60,000.00"), ("120,000.00", "0.00")):
                page.fill("#payment-form input[name=amount]", "60000")
                page.click("#payment-form button")
                expect(page.locator("#deal-paid")).to_have_text(paid)
                expect(page.locator("#deal-remaining")).to_have_text(remaining)
        if due:
            page.fill("#advance-form input[name=due_date]", due)
        page.click("#advance-form button")
        expect(page.locator("#current-stage")).to_have_text(stage)
    page.fill("#advance-form input[name=next_contact_on]", iso(30))
    page.click("#advance-form button")
    expect(page.locator("#deal-status")).to_contain_text("Won")
    shot(page, "deal-won")
    deal = Deal.objects.get(title="Office coffee supply")
    assert list(deal.events.order_by("id").values_list("kind", flat=True)) == [
        "created",
        "moved",
        "moved",
        "moved",
        "part_payment",
        "part_payment",
        "moved",
        "moved",
        "closed",
    ]
    assert sorted(deal.settlements.values_list("amount", flat=True)) == [Decimal("60000"), Decimal("60000")]

    # A complaint taken through every step to closed.
    page.goto(f"/clients/{client.pk}/")
    page.locator("#complaints summary").first.click()
    page.fill("#complaint-form input[name=subject]", "Beans arrived stale")
    page.click("#complaint-form button")
    page.click("#complaints a:has-text('Beans arrived stale')")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "registered")
    page.click("#complaint-advance-form button")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "investigating")
    page.click("#complaint-advance-form button")
    expect(page.locator("#complaint-advance-form")).to_contain_text("Write down the cause found")
    page.fill("#complaint-advance-form textarea[name=cause]", "Stored too long in the warehouse")
    page.fill("#complaint-advance-form textarea[name=actions]", "Batch replaced")
    page.click("#complaint-advance-form button")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "cause_removed")
    page.fill("#complaint-advance-form textarea[name=actions]", "First in, first out in the warehouse")
    page.click("#complaint-advance-form button")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "process_corrected")
    page.click("#complaint-advance-form button")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "closed")
    shot(page, "complaint-closed")
    assert Complaint.objects.get(subject="Beans arrived stale").closed_at is not None


def test_low_satisfaction_score_opens_a_case(page, login, shot):
    login(page, "demo-manager")
    client = Client.objects.filter(manager__username="demo-manager", organization__slug="demo").first()
    page.goto(f"/clients/{client.pk}/")
    page.locator("#complaints summary").nth(1).click()
    page.click("#assessment-form button")
    expect(page.locator("#card-form")).to_contain_text("Score at least one item")
    page.goto(f"/clients/{client.pk}/")
    page.locator("#complaints summary").nth(1).click()
    page.select_option("#assessment-form select[name=score_delivery]", "2")
    page.select_option("#assessment-form select[name=score_quality]", "5")
    page.click("#assessment-form button")
    expect(page.locator("#complaints")).to_contain_text("Low satisfaction score (Delivery speed: 2)")
    shot(page, "card")
    case = Complaint.objects.get(client=client, source="satisfaction", subject__contains="Delivery speed: 2")
    page.goto(f"/clients/complaints/{case.pk}/")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "registered")


def test_head_sees_funnel_kpis_and_russian_labels(new_page, login, shot):
    page = new_page(locale="ru-RU")
    login(page, "demo-head")
    page.goto("/clients/deals/")
    expect(page.locator("#funnel tr[data-stage=presentation]")).to_contain_text("Презентация")
    shot(page, "deals-ru")
    # A deal moved on from the board: the offer's expiry is asked on its card; the board comes back
    # with the deal in the next column and the column counts changed.
    counts = {
        stage: int(page.locator(f"#deal-board [data-stage={stage}] .column-count").inner_text())
        for stage in ("presentation", "offer")
    }
    card = page.locator("#deal-board [data-stage=presentation] .deal-card").first
    deal = card.get_attribute("data-deal")
    card.locator("summary").click()
    card.locator("input[name=due_date]").fill((datetime.date.today() + datetime.timedelta(days=10)).isoformat())
    card.locator("button[type=submit]").click()
    expect(page.locator(f"#deal-board [data-stage=offer] #deal-{deal}")).to_be_visible()
    expect(page.locator(f"#deal-board [data-stage=offer] #deal-{deal} .next-step")).to_contain_text("Истекает КП")
    expect(page.locator("#deal-board [data-stage=presentation] .column-count")).to_have_text(
        str(counts["presentation"] - 1)
    )
    expect(page.locator("#deal-board [data-stage=offer] .column-count")).to_have_text(str(counts["offer"] + 1))
    page.set_viewport_size({"width": 1366, "height": 900})
    # The dashboard: this quarter's figures against the one before and a year earlier, the chart drawn.
    page.goto("/clients/dashboard/")
    expect(page.locator("#figures .figure")).to_have_count(8)
    expect(page.locator("#figures [data-figure=sales_sum] h2")).to_have_text("Выручка")
    expect(page.locator("#revenue-chart .main-svg").first).to_be_visible()
    expect(page.locator("#lifecycle-now tr")).to_have_count(5)
    page.select_option("#id_period", "last_12")
    page.click("#dashboard-form button")
    expect(page.locator("#dashboard-period")).to_contain_text("в сравнении с прошлым периодом")
    # A plan for demo-manager this month: the table compares it with the revenue, the period kept.
    page.select_option("#id_plan_manager", label="demo-manager")
    page.fill("#id_plan_month", datetime.date.today().isoformat())
    page.fill("#id_plan_amount", "1000000")
    page.click("#plan-form button")
    expect(page.locator(".alert-success")).to_contain_text("План сохранён.")
    expect(page.locator("#id_period")).to_have_value("last_12")
    expect(page.locator("#dashboard-managers tr[data-manager=demo-manager] .fulfilment")).to_contain_text("%")
    shot(page, "dashboard-ru")
    # Every figure with clients behind it opens them: as many as it says.
    lost = page.locator("#figures [data-figure=lost] .figure-value").inner_text().replace("\u00a0", "")
    page.click("#figures [data-figure=lost] .figure-value a")
    expect(page.locator("#event-note")).to_contain_text("стали потерянными")
    expect(page.locator("#client-count")).to_have_text(lost)
    # So do a funnel stage (its deals), the complaints (as many rows) and a month of the chart (its buyers).
    page.go_back()
    reached = page.locator("#dashboard-funnel tr[data-stage=presentation] .reached a")
    count = reached.inner_text().replace("\u00a0", "")
    reached.click()
    expect(page.locator("#reached-deals h2")).to_contain_text("Презентация")
    expect(page.locator("#reached-deals h2 .badge")).to_have_text(count)
    shot(page, "funnel-drill-ru")
    page.go_back()
    complaints = page.locator("#complaints-total").inner_text()
    page.click("#complaints-total")
    expect(page.locator("#complaint-scope")).to_contain_text("Жалобы, зарегистрированные")
    expect(page.locator("#complaint-tabs .nav-link.active")).to_contain_text(f"({complaints})")
    page.go_back()
    chart = json.loads(page.locator("#dashboard-chart").text_content())
    month = max(range(len(chart["months"])), key=lambda i: chart["revenue"][i])
    # Drawn anew after going back: click once the chart is drawn and its months are links, and
    # in view (going back restores the scroll position of the complaints panel further down).
    expect(page.locator("#revenue-chart[data-links=ready]")).to_be_attached()
    page.locator("#revenue-chart").scroll_into_view_if_needed()
    bar = page.locator("#revenue-chart .bars .point path").nth(month).bounding_box()
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] - 3)
    expect(page.locator("#event-note")).to_contain_text("покупавшие")
    expect(page.locator("#client-count")).to_have_text(str(chart["buyers"][month]))
    page.goto("/clients/kpi/")
    expect(page.locator("#kpi-managers tfoot")).to_contain_text("Итого")
    # Every column of the manager table can be reached: it fits, or it scrolls with a scrollbar shown.
    scroll = page.locator("#kpi-managers-scroll")
    assert scroll.evaluate("e => getComputedStyle(e).overflowX") == "scroll"
    scroll.evaluate("e => e.scrollLeft = e.scrollWidth")
    for key, title in (("restored", "Восстановленные клиенты"), ("contacts", "Контакты"), ("complaints", "Жалобы")):
        header = page.locator(f"#kpi-managers thead th[data-column={key}]")
        expect(header).to_contain_text(title)
        box = header.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1366, (title, box)
    expect(page.locator("#kpi-products tbody tr").first).to_be_visible()  # loaded after the page
    # So are the clients with the largest sales (a row per client): each opens its card.
    first_client = page.locator("#kpi-clients tbody tr").first.locator("a")
    expect(first_client).to_have_attribute("href", re.compile(r"^/clients/\d+/$"))
    expect(page.locator("#kpi-clients-slot h2")).to_contain_text("с активностью")
    shot(page, "kpi-ru")
    # Incoming complaints by kind and manager: a kind opens its complaints of the period.
    kinds = page.locator("#kpi-complaint-kinds")
    expect(kinds.locator("tfoot")).to_contain_text("Итого")
    kind = kinds.locator("thead th[data-kind] a").first
    name, total = kind.inner_text(), kinds.locator("tfoot td").nth(1).inner_text()
    kind.click()
    expect(page.locator("#complaint-kinds strong")).to_have_text(f"{name} {total}")
    expect(page.locator("#complaint-table tbody tr")).to_have_count(int(total))
    page.goto("/clients/")
    # The filter bar at 1366 px: two rows, no label cut or covered, the sort choice readable.
    label = page.locator("#client-filter label[for=id_overdue]")
    expect(label).to_have_text("Только с просрочкой")
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    fields = {
        name: page.locator(f"#client-filter [data-field={name}]").bounding_box()
        for name in ("q", "state", "manager", "segment", "abc", "xyz", "overdue", "as_of", "sort")
    }
    boxes = list(fields.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = (
                min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]) > 1
                and min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > 1
            )
            assert not overlap, (a, b)
    assert len({round(box["y"] + box["height"]) for box in boxes}) == 2  # two rows, aligned at the bottom
    label_box = label.bounding_box()
    assert label_box["x"] + label_box["width"] <= fields["overdue"]["x"] + fields["overdue"]["width"]
    sort = page.locator("#id_sort")
    assert sort.evaluate(
        "e => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = getComputedStyle(e).font;"
        " return Math.max(...[...e.options].map(o => c.measureText(o.text).width)) + 40 <= e.clientWidth; }"
    )
    page.goto("/clients/?as_of=2020-01-01")
    expect(page.locator("#as-of-note")).to_be_visible()
    expect(page.locator("#client-table tbody tr").first).to_contain_text(re.compile("Потенциальный"))
    shot(page, "list-as-of-ru")
    assert page.errors == []


def test_card_forms_and_deal_payments_read_naturally_in_russian(new_page, login, shot):
    page = new_page(locale="ru-RU")
    login(page, "demo-head")
    deal = Deal.objects.filter(organization__slug="demo", stage="payment", status="open").order_by("id").first()
    page.goto(f"/clients/{deal.client_id}/")
    page.click("#contact-details summary")
    expect(page.locator("label[for=id_contact_summary]")).to_have_text(re.compile(r"^\s*Краткое содержание"))
    page.locator("#settlements summary").click()
    for name, label in (
        ("date", "Дата"),
        ("amount", "Сумма"),
        ("product", "Продукт"),
        ("document", "Номер документа"),
        ("refund", "Возврат или корректировка"),
    ):
        expect(page.locator(f"#settlement-form label[for=id_settlement_{name}]")).to_have_text(
            re.compile(rf"^\s*{label}")
        )
    page.locator("#persons summary").click()
    expect(page.locator("#person-form label[for=id_person_name]")).to_have_text(re.compile(r"^\s*ФИО"))
    # Every field of the open forms is named by exactly one label, and no two fields share an id.
    ids = page.eval_on_selector_all(
        "#contact-form [name], #settlement-form [name], #person-form [name]",
        "els => els.filter(e => e.type !== 'hidden').map(e => e.id)",
    )
    assert len(ids) == len(set(ids)) == 13, ids
    assert all(page.locator(f"label[for={i}]").count() == 1 for i in ids)
    shot(page, "card-forms-ru")

    page.goto(f"/clients/deals/{deal.pk}/")
    page.fill("#advance-form input[name=due_date]", iso(5))
    page.click("#advance-form button")
    expect(page.locator("#advance-form")).to_contain_text("Внесите оплату полностью или согласуйте отсрочку")
    expect(page.locator("#current-stage")).to_have_text("Оплата")
    page.select_option("#deviation-form select[name=kind]", "deferral")
    page.fill("#deviation-form input[name=date]", iso(20))
    page.click("#deviation-form button")
    expect(page.locator("#deal-deferral")).to_contain_text("срок отсроченной оплаты")
    expect(page.locator("#deal-points")).to_contain_text("Истекает счёт")
    shot(page, "deal-deferral-ru")
    assert page.errors == []


def test_a_manager_opens_a_case_when_the_client_is_unhappy_after_the_event(new_page, login, shot):
    from clients.models import Deal

    deal = Deal.objects.filter(
        client__organization__slug="demo", status=Deal.Status.WON, client__manager__username="demo-manager"
    ).first()
    assert deal is not None, "the demo has won deals of demo-manager"
    page = new_page(locale="ru-RU")
    login(page, "demo-manager")
    page.goto(f"/clients/deals/{deal.pk}/")
    cases = page.locator("#deal-cases")
    cases.locator("summary").click()
    cases.locator("textarea[name=note]").fill("Машины шумнее, чем обещали")
    shot(page, "deal-unhappy-ru")
    cases.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Жалоба зарегистрирована: Недоволен после мероприятия")
    expect(page.locator("#complaint-deal")).to_have_text(deal.title)
    page.locator("#complaint-deal").click()
    expect(page.locator("#deal-cases li a")).to_contain_text("Недоволен после мероприятия")
    expect(page.locator("#deal-history")).to_contain_text("Клиент недоволен после мероприятия")
    shot(page, "deal-case-ru")
    assert page.errors == []


def test_the_head_enters_marketing_spending_and_reads_the_cost_of_a_new_client(new_page, login, shot):
    page = new_page(locale="ru-RU")
    login(page, "demo-head")
    page.goto("/clients/kpi/")
    # The demo spends nothing on social networks and no client came through them: no row yet.
    expect(page.locator("#kpi-channel-table tr[data-channel=social]")).to_have_count(0)
    page.locator("#id_spend_channel").select_option("social")
    page.locator("#id_spend_amount").fill("-5")
    page.locator("#spend-form button[type=submit]").click()
    expect(page.locator(".alert-danger")).to_have_text("Затраты: Убедитесь, что это значение больше либо равно 0.")
    expect(page.locator("#kpi-channel-table tr[data-channel=social]")).to_have_count(0)
    page.locator("#id_spend_channel").select_option("social")
    page.locator("#id_spend_amount").fill("12345")
    page.locator("#spend-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Затраты сохранены.")
    row = page.locator("#kpi-channel-table tr[data-channel=social]")
    expect(row.locator("td").nth(1)).to_have_text("12\u00a0345,00")
    expect(row.locator("td.cost-per-new")).to_have_text("—")  # it brought nobody new
    page.locator("#kpi-channels").scroll_into_view_if_needed()
    shot(page, "marketing-ru")
    assert page.errors == []
