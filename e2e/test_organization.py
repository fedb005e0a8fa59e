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
