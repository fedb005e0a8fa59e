"""The weekly digest: who gets it, in which language, once a week (Django's locmem outbox in tests)."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from clients import services
from clients.models import ControlPoint, DigestSubscription
from clients.tests.factories import make_client, settle
from crm_portal.models import Membership, Role

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 30)


@pytest.fixture
def head(org_a, make_member):
    user = make_member(org_a, Role.SALES_HEAD, username="head")
    user.email = "head@example.com"
    user.save()
    return user


def test_a_subscriber_gets_the_weeks_digest_once_in_their_language(org_a, head, settings):
    settings.PORTAL_BASE_URL = "https://crm.example.com/"
    client = make_client(org_a, "Ромашка")
    settle(client, "2026-10-05", "1500")
    ControlPoint.objects.create(organization=org_a, client=client, kind="care", due_date=dt.date(2026, 11, 20))
    with translation.override("ru"):
        services.digest_subscribe(organization=org_a, user=head, subscribed=True)

    assert services.digest_weekly(today=MONDAY + dt.timedelta(days=2)) == 1
    assert services.digest_weekly(today=MONDAY + dt.timedelta(days=4)) == 0  # the same week: not again
    [message] = mail.outbox
    assert message.to == ["head@example.com"]
    assert message.subject == f"Еженедельная сводка: {org_a.name}"
    assert "Выручка: 1\u00a0500 (к прошлому периоду —; к тому же периоду год назад —)" in message.body
    assert (
        f"20.11.2026 · Ромашка · Забота: поздравление или приглашение: https://crm.example.com/clients/{client.pk}/"
        in message.body
    )
    assert "https://crm.example.com/clients/dashboard/" in message.body
    # The next week it goes again.
    assert services.digest_weekly(today=MONDAY + dt.timedelta(days=7)) == 1
    assert DigestSubscription.objects.get().week_sent == MONDAY + dt.timedelta(days=7)


def test_no_digest_without_the_role_or_after_unsubscribing(org_a, head):
    services.digest_subscribe(organization=org_a, user=head, subscribed=True)
    Membership.objects.filter(user=head).update(role=Role.MANAGER)
    assert services.digest_weekly(today=MONDAY) == 0
    Membership.objects.filter(user=head).update(role=Role.SALES_HEAD)
    services.digest_subscribe(organization=org_a, user=head, subscribed=False)
    assert services.digest_weekly(today=MONDAY) == 0
    assert mail.outbox == []
    head.email = ""
    head.save()
    with pytest.raises(ValidationError) as refused:
        services.digest_subscribe(organization=org_a, user=head, subscribed=True)
    assert refused.value.messages == ["Your account has no e-mail address: ask an administrator to add one first."]


def test_a_digest_that_could_not_be_sent_goes_out_on_the_next_round(org_a, head, monkeypatch):
    services.digest_subscribe(organization=org_a, user=head, subscribed=True)

    def broken(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("clients.services.digest.send_mail", broken)
    assert services.digest_weekly(today=MONDAY) == 0
    assert DigestSubscription.objects.get().week_sent is None
    monkeypatch.undo()
    assert services.digest_weekly(today=MONDAY) == 1
    assert len(mail.outbox) == 1
