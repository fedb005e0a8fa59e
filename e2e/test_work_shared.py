"""Work shared across the team, in a real browser: a manager gives a control point to the sales head,
who is told under the bell and finds it in their day; the manager tracks it."""

import re

from playwright.sync_api import expect


def test_a_point_given_to_a_colleague_reaches_them_and_stays_tracked(new_page, login, shot):
    manager = new_page()
    login(manager, "demo-manager")
    manager.goto("/clients/my-day/")
    group = manager.locator("#day-groups .nav-link.active").get_attribute("data-group")
    line = manager.locator("#point-list li[data-point]").first
    point = line.get_attribute("data-point")
    client_name = line.locator("a").first.inner_text()
    line.locator("details.give summary").click()
    line.locator("select[name=responsible]").select_option(label="demo-head")
    line.locator("details.give button[type=submit]").click()
    expect(manager.locator(".alert-success")).to_contain_text("Given to demo-head.")
    expect(manager.locator(f"#point-list li[data-point='{point}']")).to_have_count(0)
    manager.click("#day-groups [data-group=given]")
    given = manager.locator(f"#point-list li[data-point='{point}']")
    expect(given.locator(".responsible")).to_have_text("with demo-head")
    shot(manager, "given")

    head = new_page(locale="ru-RU")
    login(head, "demo-head")
    bell = head.locator("#bell-count")
    expect(bell).to_be_visible()
    unread = int(bell.inner_text())
    head.click("#bell")
    item = head.locator("#notification-list li[data-kind=assigned][data-unread='1']").first
    expect(item).to_contain_text(f"Передано вам: {client_name}")
    shot(head, "notifications-ru")
    item.locator("a").click()
    expect(head).to_have_url(re.compile(r"/clients/my-day/"))
    if unread > 1:
        expect(head.locator("#bell-count")).to_have_text(str(unread - 1))
    else:
        expect(head.locator("#bell-count")).to_have_count(0)
    head.goto(f"/clients/my-day/?group={group}")
    expect(head.locator(f"#point-list li[data-point='{point}']")).to_contain_text(client_name)
    shot(head, "my-day-ru")
    assert manager.errors == [] and head.errors == []
