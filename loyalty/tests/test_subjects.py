"""Names that become e-mail subjects hold no line break, old ones still make one-line subjects,
and one campaign that cannot be sent never stops the others (Django's locmem outbox)."""

import datetime
import logging

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients.models import Complaint, ContactPerson
from clients.services import complaint_register
from crm_portal.models import Job, Role
from loyalty import jobs, mailing, services
from loyalty.models import Campaign, Invitation

from .factories import make_client

pytestmark = pytest.mark.django_db

ONE_LINE = "Write this on one line: it becomes the subject of e-mails."


@pytest.fixture
def alpha(org_a):
    client = make_client(org_a, "Alpha LLC")
    ContactPerson.objects.create(organization=org_a, client=client, name="Olga", email="olga@alpha.example")
    return client


def _due_for_reminders(campaign) -> None:
    Invitation.objects.filter(campaign=campaign).update(created_at=timezone.now() - datetime.timedelta(days=7))


def _reminders(org):
    job = Job.objects.create(organization=org, kind="loyalty.reminders")
    return jobs.reminders_job(job, lambda percent, message="": None)


@pytest.mark.parametrize("name", ["Spring\nNPS", "Spring\r\nNPS", "Spring\rNPS", "Spring\u2028NPS"])
def test_a_campaign_name_with_a_line_break_is_refused(client_as, org_a, alpha, name):
    with pytest.raises(ValidationError) as refused:
        services.campaign_start(organization=org_a, kind="nps", name=name)
    assert refused.value.message_dict == {"name": [ONE_LINE]}
    web = client_as(org_a, Role.ANALYST)
    page = web.post(
        reverse("loyalty:campaign_new"),
        {"name": name, "kind": "nps", "valid_days": "30", "reminder_after_days": "7", "recurrence_months": "0"},
    )
    assert page.status_code == 200
    assert ONE_LINE in page.content.decode()
    assert Campaign.objects.count() == 0


def test_a_complaint_subject_with_a_line_break_is_refused(client_as, org_a, alpha):
    with pytest.raises(ValidationError) as refused:
        complaint_register(organization=org_a, client=alpha, subject="Late\ndelivery")
    assert refused.value.message_dict == {"subject": [ONE_LINE]}
    web = client_as(org_a, Role.SALES_HEAD)
    page = web.post(
        reverse("clients:complaint_add", kwargs={"client_id": alpha.pk}),
        {"subject": "Late\ndelivery", "description": ""},
    )
    assert page.status_code == 200
    assert ONE_LINE in page.content.decode()
    assert Complaint.objects.count() == 0
    # Spaces around the text are trimmed, as before: only a break inside is refused.
    assert complaint_register(organization=org_a, client=alpha, subject="Late delivery\n").subject == "Late delivery"


def test_names_saved_before_the_rule_still_make_one_line_subjects(org_a, alpha):
    old = services.campaign_start(organization=org_a, kind="nps", name="Spring NPS")
    Campaign.objects.filter(pk=old.pk).update(name="Spring\nNPS")
    old.refresh_from_db()
    assert mailing.invitations_mail(campaign=old) == {"sent": 1, "no_email": 0, "failed": 0}
    [message] = mail.outbox
    assert "Spring NPS" in message.subject and "\n" not in message.subject
    assert message.message()["Subject"]  # the mail library accepts it

    _due_for_reminders(old)
    later = services.campaign_start(organization=org_a, kind="csat", name="Summer CSAT")
    _due_for_reminders(later)
    assert _reminders(org_a) == {"sent": 2, "no_email": 0, "failed": 0}
    assert [m.to for m in mail.outbox[1:]] == [["olga@alpha.example"], ["olga@alpha.example"]]


def test_a_complaint_subject_saved_with_a_break_gives_a_one_line_follow_up(org_a, alpha):
    complaint = complaint_register(organization=org_a, client=alpha, subject="Late delivery")
    Complaint.objects.filter(pk=complaint.pk).update(subject="Late\r\ndelivery")
    complaint.refresh_from_db()
    followup = services.complaint_followup_start(complaint=complaint)
    assert followup.name == "After complaint: Late delivery"
    assert mailing.invitations_mail(campaign=followup)["sent"] == 1


def test_a_recurring_campaign_saved_with_a_break_still_repeats(org_a, alpha):
    first = services.campaign_start(
        organization=org_a, kind="nps", name="Quarterly NPS", recurrence_months=3, started_on=datetime.date(2026, 1, 15)
    )
    Campaign.objects.filter(pk=first.pk).update(name="Quarterly\nNPS")
    [second] = services.campaigns_repeat_due(organization=org_a, today=datetime.date(2026, 4, 15))
    assert second.name == "Quarterly NPS"


def test_one_failing_campaign_does_not_stop_the_others(org_a, alpha, monkeypatch, caplog):
    broken = services.campaign_start(organization=org_a, kind="nps", name="Broken")
    fine = services.campaign_start(organization=org_a, kind="csat", name="Fine")
    _due_for_reminders(broken)
    _due_for_reminders(fine)
    original = mailing.message_text

    def message_text(invitation, *, reminder):
        if invitation.campaign_id == broken.pk:
            raise RuntimeError("template missing")
        return original(invitation, reminder=reminder)

    monkeypatch.setattr(mailing, "message_text", message_text)
    with caplog.at_level(logging.ERROR, logger="loyalty.mailing"):
        result = _reminders(org_a)
    assert result == {"sent": 1, "no_email": 0, "failed": 0, "failed_campaigns": [broken.pk]}
    assert [m.subject for m in mail.outbox if "Fine" in m.subject] == [mail.outbox[0].subject]
    assert len(mail.outbox) == 1
    assert f"reminders of campaign {broken.pk} (organization {org_a.pk}) failed" in caplog.text
    # The broken campaign's link is released: it is due again in the next round.
    assert broken.invitations.get().reminder_sent_at is None
    assert fine.invitations.get().reminder_sent_at is not None


def test_one_campaign_that_cannot_repeat_does_not_stop_the_others(org_a, alpha, monkeypatch, caplog):
    broken, fine = (
        services.campaign_start(
            organization=org_a, kind="nps", name=name, recurrence_months=3, started_on=datetime.date(2026, 1, 15)
        )
        for name in ("Broken", "Fine")
    )
    original = services._invitations_create

    def invitations_create(campaign, only_clients=None):
        if campaign.series_id == broken.pk:
            raise RuntimeError("disk full")
        return original(campaign, only_clients)

    monkeypatch.setattr(services, "_invitations_create", invitations_create)
    with caplog.at_level(logging.ERROR, logger="loyalty.services"):
        [second] = services.campaigns_repeat_due(organization=org_a, today=datetime.date(2026, 4, 15))
    assert (second.series, second.round_number, second.invitations.count()) == (fine, 2, 1)
    assert f"campaign {broken.pk} (organization {org_a.pk}) could not repeat" in caplog.text
    assert Campaign.objects.filter(series=broken).count() == 0  # its round is not half-written
    broken.refresh_from_db()
    assert broken.next_run_on is None  # paused, as a series whose filters match nobody
