"""Joining an organization by invitation, in both languages: invite, see it after sign-in, accept."""

import re

from playwright.sync_api import expect

from crm_portal import services
from crm_portal.models import Membership, MembershipInvitation, Organization, Role


def test_admin_invites_and_the_person_accepts_after_signing_in(new_page, login, shot):
    admin = new_page(locale="en-US")
    login(admin, "demo-admin")
    admin.goto("/organization/")
    expect(admin.locator("#invitations-table")).to_contain_text("new.colleague@demo.example.com")
    admin.click("text=Invite a member")
    admin.fill("#id_invitee", "other-admin")
    admin.select_option("#id_role", "analyst")
    shot(admin, "invite-form-en")
    admin.click("#invite-form button[type=submit]")
    expect(admin.locator(".alert-success")).to_contain_text("The person becomes a member after accepting it.")
    expect(admin.locator("#invitations-table")).to_contain_text("other-admin")
    expect(admin.locator("#members-table")).not_to_contain_text("other-admin")
    shot(admin, "settings-en")
    admin.click("#language-switcher button[value=ru]")
    expect(admin.locator("#invitations-table thead")).to_contain_text("Кто пригласил")
    shot(admin, "settings-ru")
    assert admin.errors == []

    invitee = new_page(locale="ru-RU")
    login(invitee, "other-admin")
    expect(invitee.locator("h1")).to_have_text("Northwind Services")
    card = invitee.locator("#my-invitations")
    expect(card).to_contain_text("Арома Трейд приглашает вас работать в роли «Аналитик».")
    shot(invitee, "home-invitation-ru")
    card.get_by_role("button", name="Принять").click()
    expect(invitee.locator("h1")).to_have_text("Арома Трейд")
    expect(invitee.locator(".alert-success")).to_contain_text(
        "Добро пожаловать в «Арома Трейд»: ваша роль здесь — Аналитик."
    )
    shot(invitee, "accepted-ru")
    assert invitee.errors == []
    assert Membership.objects.get(user__username="other-admin", organization__slug="demo").role == Role.ANALYST


def test_the_e_mailed_link_lets_a_new_person_join(new_page, shot):
    demo = Organization.objects.get(slug="demo")
    invitation = services.invitation_create(
        organization=demo, invited_by=None, invitee="anna@example.com", role=Role.MANAGER
    )
    MembershipInvitation.objects.filter(pk=invitation.pk).update(
        token_hash=MembershipInvitation.hash_token("e2e-token")
    )
    for locale, button in (("en-US", "Create the login and accept"), ("ru-RU", "Создать логин и принять")):
        page = new_page(locale=locale)
        page.goto("/invitations/e2e-token/")
        expect(page.locator("#invitation-account button")).to_have_text(button)
        shot(page, f"link-{locale}")
        assert page.errors == []
    page.fill("#id_username", "anna")
    page.fill("#id_password1", "Str0ng-pass-phrase")
    page.fill("#id_password2", "Str0ng-pass-phrase")
    page.click("#invitation-account button")
    expect(page.locator("#home-role")).to_have_text("Менеджер")
    page.goto("/invitations/e2e-token/")
    expect(page.locator("#invitation-closed h1")).to_have_text("Эта ссылка-приглашение больше не действует")
    shot(page, "link-used-ru")


def test_sales_head_sees_own_jobs_and_no_test_job_button(new_page, login, shot):
    for locale in ("en-US", "ru-RU"):
        page = new_page(locale=locale)
        login(page, "demo-head")
        page.goto("/jobs/")
        expect(page.locator("#demo-job-form")).to_have_count(0)
        expect(page.locator("#jobs-scope")).to_have_text(
            "The jobs you started." if locale == "en-US" else "Задания, которые запустили вы."
        )
        shot(page, f"jobs-{locale}")
        assert re.search(r"/jobs/$", page.url)
        assert page.errors == []


def test_the_admin_sets_the_contact_pause_and_a_holiday_and_managers_get_greeting_points(new_page, login, shot):
    import datetime

    from django.utils import timezone

    from clients import services as client_services
    from crm_portal.models import Holiday

    organization = Organization.objects.get(slug="demo")
    today = timezone.localdate()
    taken = set(Holiday.objects.filter(organization=organization).values_list("month", "day"))
    day = next(d for d in (today + datetime.timedelta(days=n) for n in range(1, 7)) if (d.month, d.day) not in taken)
    admin = new_page(locale="ru-RU")
    login(admin, "demo-admin")
    admin.goto("/organization/")
    admin.fill("#id_contact_gap_days", "21")
    admin.click("#org-settings-form button[type=submit]")
    expect(admin.locator(".alert-success")).to_contain_text("Настройки сохранены.")
    holiday = admin.locator("#holiday-form")
    holiday.locator("#id_holiday-name").fill("День клиента")
    holiday.locator("#id_holiday-day").fill("31")
    holiday.locator("#id_holiday-month").select_option("2")
    holiday.locator("button[type=submit]").click()
    expect(admin.locator("#holiday-form")).to_contain_text("В этом месяце нет такого дня.")
    holiday = admin.locator("#holiday-form")
    holiday.locator("#id_holiday-day").fill(str(day.day))
    holiday.locator("#id_holiday-month").select_option(str(day.month))
    holiday.locator("button[type=submit]").click()
    expect(admin.locator(".alert-success")).to_contain_text("Праздник добавлен")
    expect(admin.locator(f"#holiday-list [data-holiday='{day.month}-{day.day}']")).to_contain_text("День клиента")
    shot(admin, "holidays-ru")
    assert admin.errors == []
    organization.refresh_from_db()
    assert organization.contact_gap_days == 21

    assert client_services.care_points_create(today, organization) > 0  # the morning round
    manager = new_page(locale="ru-RU")
    login(manager, "demo-manager")
    sunday = today + datetime.timedelta(days=6 - today.weekday())
    manager.goto(f"/clients/my-day/?group={'week' if day <= sunday else 'later'}")
    greeting = manager.locator("#point-list li[data-point]", has_text="День клиента").first
    expect(greeting).to_contain_text("Поздравление с праздником")
    shot(manager, "greeting-points-ru")
    assert manager.errors == []
