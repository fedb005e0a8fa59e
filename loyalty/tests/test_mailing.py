"""Sending the personal links and the reminders by e-mail (Django's locmem outbox in tests)."""

import datetime

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, ContactPerson
from crm_portal.models import Job, Role
from loyalty import jobs, mailing, services
from loyalty.models import Invitation, Response

from .factories import make_client

pytestmark = pytest.mark.django_db

BASE = "https://crm.example.com"


@pytest.fixture
def clients(org_a):
    alpha = make_client(org_a, "Alpha LLC")
    beta = make_client(org_a, "Beta LLC")
    gamma = make_client(org_a, "Gamma LLC")
    # Alpha: the first contact person has no e-mail, the second has one; Gamma has nobody with one.
    ContactPerson.objects.create(organization=org_a, client=alpha, name="Ivan")
    ContactPerson.objects.create(organization=org_a, client=alpha, name="Olga", email="olga@alpha.example")
    ContactPerson.objects.create(organization=org_a, client=alpha, name="Petr", email="petr@alpha.example")
    ContactPerson.objects.create(organization=org_a, client=beta, name="Boris", email="boris@beta.example")
    ContactPerson.objects.create(organization=org_a, client=gamma, name="Gleb", phone="+7 900 000-00-00")
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


def start(org, kind="nps", **kwargs):
    return services.campaign_start(organization=org, kind=kind, name="Spring NPS", **kwargs)


def link(campaign, respondent):
    return campaign.invitations.get(respondent=respondent)


@override_settings(PORTAL_BASE_URL=BASE + "/")
def test_links_go_once_to_the_first_contact_with_an_email_in_russian_and_english(org_a, clients):
    campaign = start(org_a, valid_days=30)
    alpha, beta = link(campaign, "Alpha LLC"), link(campaign, "Beta LLC")
    services.response_submit(token=beta.token, data={"score": "9"})  # answered already: not sent
    result = mailing.invitations_mail(campaign=campaign)
    assert result == {"sent": 1, "no_email": 1, "failed": 0}  # Alpha sent, Gamma has no e-mail
    [message] = mail.outbox
    assert message.to == ["olga@alpha.example"]
    assert message.subject == "Опрос «Spring NPS» / Survey “Spring NPS”"
    url = f"{BASE}/loyalty/s/{alpha.token}/"
    expires = timezone.localtime(alpha.expires_at).date()
    assert message.body == (
        "Пожалуйста, расскажите, что вы думаете: это займёт пару минут.\n"
        f"Ваша персональная ссылка, действует до {expires:%d.%m.%Y}:\n{url}\n"
        "Ссылка персональная: пожалуйста, не пересылайте её.\n\n---\n\n"
        "Please tell us what you think: it takes a couple of minutes.\n"
        f"Your personal link, valid until {expires:%m/%d/%Y}:\n{url}\n"
        "The link is personal: please do not forward it.\n"
    )
    alpha.refresh_from_db()
    assert alpha.sent_at is not None
    assert Invitation.objects.filter(sent_at__isnull=False).count() == 1
    # Never twice: a second run sends nothing to Alpha, and Gamma is still without an address.
    assert mailing.invitations_mail(campaign=campaign) == {"sent": 0, "no_email": 1, "failed": 0}
    assert len(mail.outbox) == 1
    # A contact with an e-mail added later: Gamma's link goes out on the next run, and only it.
    ContactPerson.objects.create(
        organization=org_a, client=clients["gamma"], name="Galina", email="galina@gamma.example"
    )
    assert mailing.invitations_mail(campaign=campaign) == {"sent": 1, "no_email": 0, "failed": 0}
    assert [m.to for m in mail.outbox] == [["olga@alpha.example"], ["galina@gamma.example"]]


def test_closed_and_expired_links_are_not_sent(org_a, clients):
    campaign = start(org_a)
    Invitation.objects.filter(pk=link(campaign, "Alpha LLC").pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert mailing.invitations_mail(campaign=campaign) == {"sent": 1, "no_email": 1, "failed": 0}
    assert [m.to for m in mail.outbox] == [["boris@beta.example"]]
    closed = start(org_a)
    services.campaign_close(campaign=closed)
    assert mailing.invitations_mail(campaign=closed) == {"sent": 0, "no_email": 0, "failed": 0}
    assert len(mail.outbox) == 1


def test_a_refused_address_is_counted_and_released_for_a_later_try(org_a, clients, monkeypatch):
    import smtplib

    campaign = start(org_a)
    original = mail.EmailMultiAlternatives.send

    def send(message, *args, **kwargs):
        if message.to == ["olga@alpha.example"]:
            raise smtplib.SMTPRecipientsRefused({"olga@alpha.example": (550, b"no such user")})
        return original(message, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", send)
    assert mailing.invitations_mail(campaign=campaign) == {"sent": 1, "no_email": 1, "failed": 1}
    assert link(campaign, "Alpha LLC").sent_at is None
    assert link(campaign, "Beta LLC").sent_at is not None
    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", original)
    assert mailing.invitations_mail(campaign=campaign) == {"sent": 1, "no_email": 1, "failed": 0}
    assert [m.to for m in mail.outbox] == [["boris@beta.example"], ["olga@alpha.example"]]


@override_settings(PORTAL_BASE_URL=BASE)
def test_reminders_go_once_to_due_non_respondents_only(org_a, clients):
    campaign = start(org_a, reminder_after_days=7)
    alpha, beta, gamma = (link(campaign, name) for name in ("Alpha LLC", "Beta LLC", "Gamma LLC"))
    mailing.invitations_mail(campaign=campaign)
    mail.outbox.clear()
    # Six days old: not due yet.
    Invitation.objects.filter(campaign=campaign).update(created_at=timezone.now() - datetime.timedelta(days=6))
    assert mailing.invitations_mail(campaign=campaign, kind=mailing.REMINDER) == {"sent": 0, "no_email": 0, "failed": 0}
    Invitation.objects.filter(campaign=campaign).update(created_at=timezone.now() - datetime.timedelta(days=7))
    services.response_submit(token=beta.token, data={"score": "10"})
    assert mailing.invitations_mail(campaign=campaign, kind=mailing.REMINDER) == {"sent": 1, "no_email": 1, "failed": 0}
    [message] = mail.outbox
    assert message.to == ["olga@alpha.example"]
    assert message.subject == "Напоминание: опрос «Spring NPS» / Reminder: survey “Spring NPS”"
    assert message.body.startswith("Мы ещё не получили ваш ответ. Это займёт пару минут.\n")
    assert "\nWe have not received your answer yet. It takes a couple of minutes.\n" in message.body
    assert f"{BASE}/loyalty/s/{alpha.token}/" in message.body
    alpha.refresh_from_db()
    gamma.refresh_from_db()
    assert alpha.reminder_sent_at is not None and gamma.reminder_sent_at is None
    assert mailing.invitations_mail(campaign=campaign, kind=mailing.REMINDER)["sent"] == 0
    assert len(mail.outbox) == 1
    off = start(org_a, reminder_after_days=0)
    Invitation.objects.filter(campaign=off).update(created_at=timezone.now() - datetime.timedelta(days=30))
    assert mailing.invitations_mail(campaign=off, kind=mailing.REMINDER)["sent"] == 0


def test_the_daily_round_queues_one_reminder_job_that_emails_the_due_links(org_a, org_b, clients):
    from loyalty.tasks import daily_task

    campaign = start(org_a, reminder_after_days=3)
    Invitation.objects.filter(campaign=campaign).update(created_at=timezone.now() - datetime.timedelta(days=3))
    Client.objects.update(lifecycle_state="lost")  # nobody due for the yearly satisfaction round
    quiet = {"repeated": 0, "first_sale_surveys": 0, "yearly_surveyed": 0}
    assert daily_task() == {**quiet, "reminded": 3, "reminder_jobs": 1}
    job = Job.objects.get()
    assert (job.organization, job.kind, job.kind_label) == (org_a, "loyalty.reminders", "Survey reminders by e-mail")
    result = jobs.reminders_job(job, lambda percent, message="": None)
    assert result == {"sent": 2, "no_email": 1, "failed": 0}
    assert sorted(m.to[0] for m in mail.outbox) == ["boris@beta.example", "olga@alpha.example"]
    assert all(m.subject.startswith("Напоминание: опрос") for m in mail.outbox)
    # Sent: nothing left to remind but Gamma, which has no address: no job tomorrow.
    assert daily_task() == {**quiet, "reminded": 0, "reminder_jobs": 0}
    assert Job.objects.count() == 1


def test_employee_links_go_to_the_members_and_the_answers_stay_anonymous(org_a, make_member):
    alice = make_member(org_a, Role.ANALYST, username="alice")
    alice.email = "alice@alpha.example"
    alice.save()
    bob = make_member(org_a, Role.MANAGER, username="bob")
    bob.email = "bob@alpha.example"
    bob.save()
    make_member(org_a, Role.ADMIN, username="carol")  # no e-mail
    campaign = start(org_a, kind="enps", reminder_after_days=7)
    assert mailing.invitations_mail(campaign=campaign) == {"sent": 2, "no_email": 1, "failed": 0}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@alpha.example", "bob@alpha.example"]
    message = next(m for m in mail.outbox if m.to == ["alice@alpha.example"])
    assert "Ваши ответы анонимны: они не связаны с вашим именем." in message.body
    assert "Your answers are anonymous: they are not linked to your name." in message.body
    alice_link = campaign.invitations.get(respondent="alice")
    services.response_submit(token=alice_link.token, data={"score": "6", "wellbeing": "7"})
    Invitation.objects.filter(campaign=campaign).update(created_at=timezone.now() - datetime.timedelta(days=8))
    mail.outbox.clear()
    assert mailing.invitations_mail(campaign=campaign, kind=mailing.REMINDER) == {"sent": 1, "no_email": 1, "failed": 0}
    assert [m.to for m in mail.outbox] == [["bob@alpha.example"]]
    # The answer is still not linked to anyone, and carries the campaign's start date only.
    response = Response.objects.get()
    assert (response.invitation, response.client, response.answered_on) == (None, None, campaign.started_on)
    alice_link.refresh_from_db()
    used = timezone.localtime(alice_link.answered_at)
    assert (used.hour, used.minute, used.second) == (0, 0, 0)


def test_the_campaign_page_sends_in_a_job_and_lists_the_links_without_email(
    client_as, org_a, clients, django_capture_on_commit_callbacks
):
    campaign = start(org_a)
    web = client_as(org_a, Role.ANALYST)
    url = reverse("loyalty:campaign_detail", kwargs={"campaign_id": campaign.pk})
    page = web.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="send-links"' in page and "Send the links by e-mail" in page
    assert '<span id="mail-sent">Links e-mailed: 0 of 3</span>' in page
    assert "No e-mail: 1 respondent</strong>" in page
    assert '<ul class="mb-0" id="no-email-list"><li>Gamma LLC</li></ul>' in page
    send = reverse("loyalty:campaign_send", kwargs={"campaign_id": campaign.pk})
    with django_capture_on_commit_callbacks() as callbacks:
        answer = web.post(send)
    assert answer.status_code == 302 and answer["Location"] == url
    job = Job.objects.get()
    assert (job.kind, job.params, job.status) == ("loyalty.send_links", {"campaign_id": campaign.pk}, "queued")
    assert len(callbacks) == 1
    # A second click while the job waits queues nothing more.
    web.post(send)
    assert Job.objects.count() == 1
    result = jobs.send_links_job(job, lambda percent, message="": None)
    assert result == {"sent": 2, "no_email": 1, "failed": 0, "url": url}
    page = web.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<span id="mail-sent">Ссылок отправлено по e-mail: 2 из 3</span>' in page
    assert "Нет e-mail: 1" in page and "Отправить ссылки по e-mail" in page


def test_only_campaign_roles_send_and_a_closed_campaign_sends_nothing(client_as, org_a, clients):
    campaign = start(org_a)
    send = reverse("loyalty:campaign_send", kwargs={"campaign_id": campaign.pk})
    assert client_as(org_a, Role.MANAGER).post(send).status_code == 403
    assert Job.objects.count() == 0
    services.campaign_close(campaign=campaign)
    web = client_as(org_a, Role.SALES_HEAD)
    assert web.post(send).status_code == 302
    assert Job.objects.count() == 0
    assert (
        'id="send-links"'
        not in web.get(reverse("loyalty:campaign_detail", kwargs={"campaign_id": campaign.pk})).content.decode()
    )
    assert web.get(send).status_code == 405
