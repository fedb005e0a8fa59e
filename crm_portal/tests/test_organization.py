"""Organization settings, members and invitations, as an administrator and an invitee use them."""

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from crm_portal import services
from crm_portal.models import Holiday, Membership, MembershipInvitation, Organization, Role


def test_admin_changes_settings(client_as, org_a):
    client = client_as(org_a, Role.ADMIN)
    data = {"name": "Alpha Group", "lifecycle_period_months": 6, "contact_gap_days": 45}
    response = client.post(reverse("org:settings"), data)
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.name, org_a.lifecycle_period_months, org_a.contact_gap_days) == ("Alpha Group", 6, 45)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lifecycle_period_months", "0"),
        ("lifecycle_period_months", "25"),
        ("lifecycle_period_months", "three"),
        ("lifecycle_period_months", ""),
        ("contact_gap_days", "0"),
        ("contact_gap_days", "366"),
        ("contact_gap_days", ""),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(client_as, org_a, field, value):
    client = client_as(org_a, Role.ADMIN)
    data = {"name": "Changed", "lifecycle_period_months": 6, "contact_gap_days": 10, field: value}
    response = client.post(reverse("org:settings"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    org_a.refresh_from_db()
    assert (org_a.name, org_a.lifecycle_period_months, org_a.contact_gap_days) == ("Alpha Trade", 3, 30)


def test_admin_adds_and_removes_holidays_and_a_bad_date_is_named(client_as, org_a, org_b):
    client = client_as(org_a, Role.ADMIN)
    add = reverse("org:holiday_add")
    response = client.post(add, {"holiday-name": "New Year", "holiday-day": "1", "holiday-month": "1"})
    assert (response.status_code, response["Location"]) == (302, reverse("org:settings") + "#holidays")
    wrong = client.post(add, {"holiday-name": "Odd", "holiday-day": "31", "holiday-month": "4"})
    assert wrong.context["holiday_form"].errors == {"day": ["This month has no such day."]}
    twice = client.post(add, {"holiday-name": "Again", "holiday-day": "1", "holiday-month": "1"})
    assert twice.context["holiday_form"].errors == {"__all__": ["There is already a holiday on this day."]}
    assert list(Holiday.objects.values_list("organization__slug", "name")) == [("alpha", "New Year")]
    page = client.get(reverse("org:settings")).content.decode()
    assert (
        '<li class="list-group-item d-flex justify-content-between align-items-center px-0" data-holiday="1-1">' in page
    )
    foreign = Holiday.objects.create(organization=org_b, name="Theirs", month=5, day=5)
    assert client.post(reverse("org:holiday_delete", kwargs={"holiday_id": foreign.pk})).status_code == 404
    own = Holiday.objects.get(organization=org_a)
    client.post(reverse("org:holiday_delete", kwargs={"holiday_id": own.pk}))
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Theirs"]


def test_last_admin_cannot_step_down(client_as, org_a):
    client = client_as(org_a, Role.ADMIN)
    me = Membership.objects.get(organization=org_a)
    response = client.post(reverse("org:member_role", args=[me.pk]), {"role": Role.MANAGER}, follow=True)
    assert "The organization must keep at least one administrator." in response.content.decode()
    me.refresh_from_db()
    assert me.role == Role.ADMIN


def test_admin_changes_and_removes_a_member(client_as, org_a, make_member):
    manager = make_member(org_a, Role.MANAGER)
    membership = manager.memberships.get()
    client = client_as(org_a, Role.ADMIN)
    client.post(reverse("org:member_role", args=[membership.pk]), {"role": Role.SALES_HEAD})
    membership.refresh_from_db()
    assert membership.role == Role.SALES_HEAD
    client.post(reverse("org:member_remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_settings_page_lists_only_own_members(client_as, org_a, org_b, make_member):
    make_member(org_b, Role.MANAGER, username="beta-only")
    page = client_as(org_a, Role.ADMIN).get(reverse("org:settings")).content.decode()
    assert "beta-only" not in page


def test_switch_to_foreign_organization_is_404(client_as, org_a, org_b):
    client = client_as(org_a, Role.MANAGER)
    assert client.post(reverse("org:switch"), {"organization": org_b.pk}).status_code == 404
    assert client.post(reverse("org:switch"), {"organization": "x"}).status_code == 404
    assert Organization.objects.count() == 2


# Invitations: a person joins only by accepting --------------------------------------------------
@pytest.fixture
def beta_admin(org_b, make_member):
    """The other organization's administrator, whom org A's administrator once could simply attach."""
    user = make_member(org_b, Role.ADMIN, username="beta-admin")
    user.email = "boss@beta.example.com"
    user.save()
    return user


def _invite(client: Client, invitee: str, role: str = Role.ADMIN):
    return client.post(reverse("org:member_add"), {"invitee": invitee, "role": role})


def _invitation(organization, invitee="beta-admin", role=Role.ANALYST, now=None) -> MembershipInvitation:
    inviter = Membership.objects.filter(organization=organization, role=Role.ADMIN).first()
    return services.invitation_create(
        organization=organization, invited_by=inviter.user if inviter else None, invitee=invitee, role=role, now=now
    )


def test_admin_cannot_attach_another_organizations_admin(client_as, org_a, beta_admin):
    client = client_as(org_a, Role.ADMIN)
    response = _invite(client, "beta-admin")
    assert (response.status_code, response["Location"]) == (302, reverse("org:settings"))
    assert list(beta_admin.memberships.values_list("organization__slug", flat=True)) == ["beta"]
    page = client.get(reverse("org:settings")).content.decode()
    assert "boss@beta.example.com" not in page
    assert "<td>beta-admin</td>" in page  # the pending invitation, as the administrator typed it
    invitation = MembershipInvitation.objects.get()
    assert (invitation.organization, invitation.invitee, invitation.role, invitation.status) == (
        org_a,
        "beta-admin",
        Role.ADMIN,
        MembershipInvitation.Status.PENDING,
    )


def _masked(html: str, invitee: str) -> str:
    """The page without what differs by design: CSRF tokens, the typed name, the invitation's id."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", html)
    html = re.sub(r"/organization/invitations/\d+/", "/organization/invitations/ID/", html)
    return html.replace(invitee, "INVITEE")


@pytest.mark.parametrize(
    ("known", "unknown"),
    [("beta-admin", "nobody-here"), ("boss@beta.example.com", "x@nowhere.example.com")],
)
def test_known_and_unknown_names_get_identical_answers(client_as, org_a, beta_admin, known, unknown):
    client = client_as(org_a, Role.ADMIN)
    answers, pages = [], []
    for invitee in (known, unknown):
        response = _invite(client, invitee)
        answers.append((response.status_code, response["Location"], response.content))
        pages.append(_masked(client.get(reverse("org:settings")).content.decode(), invitee))
        # Withdrawn without a page, so that the next round starts from the same state.
        services.invitation_revoke(invitation=MembershipInvitation.objects.get(invitee=invitee))
    assert answers[0] == answers[1] == (302, reverse("org:settings"), b"")
    assert pages[0] == pages[1]
    assert pages[0].count("INVITEE") == 1
    assert not Membership.objects.filter(organization=org_a, user=beta_admin).exists()


@override_settings(PORTAL_BASE_URL="https://crm.example.com/")
def test_an_address_gets_a_one_time_link_at_the_portal_s_address(client_as, org_a, django_capture_on_commit_callbacks):
    client = client_as(org_a, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, "new.person@example.com", Role.ANALYST)
        _invite(client, "some-login", Role.ANALYST)  # a login gets no mail: it sees the invitation on sign-in
    assert [m.to for m in mail.outbox] == [["new.person@example.com"]]
    assert mail.outbox[0].subject == "Invitation to Alpha Trade"
    assert re.findall(r"https://crm\.example\.com/invitations/[\w-]{43}/", mail.outbox[0].body) != []
    assert " as Analyst." in mail.outbox[0].body


def test_a_member_is_not_invited_again(client_as, org_a, make_member):
    make_member(org_a, Role.MANAGER, username="already-here")
    response = _invite(client_as(org_a, Role.ADMIN), "already-here")
    assert response.context["form"].errors == {"invitee": ["This person is already a member."]}
    assert not MembershipInvitation.objects.exists()


def test_invitee_accepts_after_signing_in_and_only_then_is_a_member(client, org_a, org_b, make_member, beta_admin):
    make_member(org_a, Role.ADMIN, username="alpha-admin")
    invitation = _invitation(org_a, "beta-admin", Role.ANALYST)
    client.force_login(beta_admin)
    home = client.get(reverse("home")).content.decode()
    assert f'data-invitation="{invitation.pk}"' in home
    assert "<strong>Alpha Trade</strong> invites you to work as Analyst." in home
    assert not Membership.objects.filter(user=beta_admin, organization=org_a).exists()
    answer = {"invitation": invitation.pk, "answer": "accept"}
    response = client.post(reverse("invitation_respond"), answer, follow=True)
    assert response.context["request"].organization == org_a
    assert "Welcome to Alpha Trade: you work here as Analyst." in response.content.decode()
    assert Membership.objects.get(user=beta_admin, organization=org_a).role == Role.ANALYST
    invitation.refresh_from_db()
    assert (invitation.status, invitation.answered_by) == (MembershipInvitation.Status.ACCEPTED, beta_admin)
    # Accepting twice does nothing twice.
    assert client.post(reverse("invitation_respond"), answer).status_code == 404
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=beta_admin)
    assert Membership.objects.filter(user=beta_admin).count() == 2


def test_declined_and_withdrawn_invitations_make_no_member(client, org_a, make_member, beta_admin):
    declined = _invitation(org_a, "beta-admin")
    client.force_login(beta_admin)
    client.post(reverse("invitation_respond"), {"invitation": declined.pk, "answer": "decline"})
    declined.refresh_from_db()
    assert declined.status == MembershipInvitation.Status.DECLINED
    withdrawn = _invitation(org_a, "beta-admin")
    admin = client_for(make_member(org_a, Role.ADMIN))
    assert admin.post(reverse("org:invitation_revoke", args=[withdrawn.pk])).status_code == 302
    withdrawn.refresh_from_db()
    assert withdrawn.status == MembershipInvitation.Status.REVOKED
    assert "data-invitation" not in client.get(reverse("home")).content.decode()
    assert (
        client.post(reverse("invitation_respond"), {"invitation": withdrawn.pk, "answer": "accept"}).status_code == 404
    )
    assert not Membership.objects.filter(user=beta_admin, organization=org_a).exists()


def test_an_expired_invitation_cannot_be_accepted(client, org_a, beta_admin):
    old = _invitation(org_a, "beta-admin", now=datetime(2001, 1, 1, tzinfo=UTC))
    assert old.expires_at == datetime(2001, 1, 15, tzinfo=UTC)
    client.force_login(beta_admin)
    assert "data-invitation" not in client.get(reverse("home")).content.decode()
    assert client.post(reverse("invitation_respond"), {"invitation": old.pk, "answer": "accept"}).status_code == 404
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=old, user=beta_admin, now=datetime(2001, 1, 15, tzinfo=UTC))
    membership = services.invitation_accept(
        invitation=old, user=beta_admin, now=datetime(2001, 1, 14, 23, 59, tzinfo=UTC)
    )
    assert membership.organization == org_a


def test_a_person_without_organization_answers_on_their_page(client, org_a, django_user_model):
    loner = django_user_model.objects.create_user("loner", email="Loner@Example.com", password="x-loner-123")
    invitation = _invitation(org_a, "loner@example.com", Role.MANAGER)
    client.force_login(loner)
    page = client.get(reverse("no_organization")).content.decode()
    assert f'data-invitation="{invitation.pk}"' in page
    response = client.post(
        reverse("invitation_respond"), {"invitation": invitation.pk, "answer": "accept"}, follow=True
    )
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert response.context["request"].membership.role == Role.MANAGER


def _link(invitation: MembershipInvitation, token: str = "t" * 43) -> str:
    """Give the invitation a known token (the real one exists only in the e-mail)."""
    MembershipInvitation.objects.filter(pk=invitation.pk).update(token_hash=MembershipInvitation.hash_token(token))
    return reverse("invitation", kwargs={"token": token})


def test_a_new_person_creates_a_login_from_the_link(client, org_a, django_user_model):
    link = _link(_invitation(org_a, "new.person@example.com", Role.ANALYST))
    page = client.get(link)
    assert page.status_code == 200
    assert "Invitation to Alpha Trade" in page.content.decode()
    response = client.post(
        link, {"username": "newbie", "password1": "Str0ng-pass-phrase", "password2": "Str0ng-pass-phrase"}, follow=True
    )
    assert response.context["request"].organization == org_a
    user = django_user_model.objects.get(username="newbie")
    assert (user.email, user.check_password("Str0ng-pass-phrase")) == ("new.person@example.com", True)
    assert user.memberships.get().role == Role.ANALYST
    client.logout()
    closed = client.get(link)  # a single-use link
    assert closed.status_code == 404
    assert "This invitation link no longer works" in closed.content.decode()


def test_the_link_is_answered_by_a_signed_in_person_or_declined_by_anyone(client, org_a, beta_admin):
    link = _link(_invitation(org_a, "boss@beta.example.com"))
    page = client.get(link).content.decode()
    assert f'href="{reverse("login")}?next={link}"' in page
    response = client.post(link, {"answer": "accept"})  # not signed in: nobody to accept for
    assert response.status_code == 200
    assert not Membership.objects.filter(organization=org_a).exists()
    client.force_login(beta_admin)
    client.post(link, {"answer": "accept"})
    assert Membership.objects.get(organization=org_a).user == beta_admin

    second = _link(_invitation(org_a, "someone@example.com"), token="u" * 43)
    client.logout()
    client.post(second, {"answer": "decline"})
    assert (
        MembershipInvitation.objects.get(invitee="someone@example.com").status == MembershipInvitation.Status.DECLINED
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_sign_in_opens_the_organization_used_last(org_a, org_b, make_member):
    consultant = make_member(org_b, Role.ANALYST, username="consultant")
    Membership.objects.create(user=consultant, organization=org_a, role=Role.MANAGER)

    def signed_in() -> Organization:
        client = Client()
        client.post(reverse("login"), {"username": "consultant", "password": "pw-consultant"})
        return client, client.get(reverse("home")).context["request"].organization

    client, first = signed_in()
    assert first == org_a  # nothing used yet: the first by name
    client.post(reverse("org:switch"), {"organization": org_b.pk})
    client.post(reverse("logout"))
    assert signed_in()[1] == org_b


@pytest.mark.django_db
def test_an_organization_is_deleted_whole_though_its_rows_refer_to_its_own_lists(org_a, org_b, make_member):
    """A kind, a reason, a scorecard or a tier in use cannot be deleted alone, but the organization
    that owns both goes with everything it holds (and nothing of another organization)."""
    from decimal import Decimal

    from clients import services as client_services
    from clients.models import Complaint, Deal, RefusalReason
    from clients.tests.factories import make_client
    from loyalty import ledger
    from loyalty import services as loyalty_services
    from loyalty.models import DialogueGrade, Programme, ProgrammeTool

    client = make_client(org_a, "C")
    kind = client_services.complaint_kind_create(organization=org_a, name="Delivery")
    client_services.complaint_register(organization=org_a, client=client, subject="S", kind=kind)
    reason = RefusalReason.objects.create(organization=org_a, name="Price")
    deal = client_services.deal_create(client=client, title="D")
    client_services.deal_refuse(deal=deal, reason=reason)
    card = loyalty_services.scorecard_create(organization=org_a, name="Call", criteria=[("Greets", 1)])
    criterion = card.criteria.get()
    loyalty_services.dialogue_grade(
        scorecard=card,
        manager=make_member(org_a, Role.MANAGER),
        graded_by=None,
        graded_on=deal.created_at.date(),
        marks={criterion.pk: "yes"},
    )
    programme = ledger.programme_save(
        organization=org_a,
        name="Club",
        key_factor=Programme.KeyFactor.PRICES,
        points_per_thousand=10,
        validity_months=12,
        tier_window_months=12,
    )
    gold = ledger.tier_save(
        programme=programme,
        name="Gold",
        rank=1,
        min_turnover=Decimal(0),
        min_tenure_months=0,
        min_class="",
        discount_percent=Decimal(1),
    )
    ledger.programme_tool_save(programme=programme, kind="vip", name="VIP", rules="R", min_tier=gold)
    other = make_client(org_b, "Theirs")
    client_services.complaint_register(organization=org_b, client=other, subject="Theirs")
    org_a.delete()
    assert not Complaint.objects.filter(organization=org_a.pk).exists()
    assert not Deal.objects.filter(pk=deal.pk).exists() and not DialogueGrade.objects.exists()
    assert not ProgrammeTool.objects.exists()
    assert list(Complaint.objects.values_list("subject", flat=True)) == ["Theirs"]
