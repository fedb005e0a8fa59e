"""Notifications: told once, to members only, never to the one who acted; the bell, the list, the
e-mail round (Django's locmem outbox in tests)."""

import smtplib

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from crm_portal import services
from crm_portal.models import Notification, Role

pytestmark = pytest.mark.django_db

COMPLAINT = Notification.Kind.COMPLAINT


def tell(organization, users, key="complaint:1", actor=None, url="/clients/"):
    return services.notify(
        organization=organization, users=users, kind=COMPLAINT, key=key, text="Alpha LLC", url=url, actor=actor
    )


def test_people_are_told_once_and_only_members_who_did_not_act(org_a, org_b, make_member):
    ann, bob = make_member(org_a, Role.MANAGER), make_member(org_a, Role.SALES_HEAD)
    outsider = make_member(org_b, Role.MANAGER)
    assert tell(org_a, [ann, bob.pk, outsider, None], actor=bob) == 1
    assert tell(org_a, [ann, bob], actor=None) == 1  # bob now, ann had it
    assert tell(org_a, [ann, bob]) == 0  # a second click, a round run again
    rows = Notification.objects.values_list("organization", "user", "kind", "key", "text", "actor")
    assert set(rows) == {
        (org_a.pk, ann.pk, "complaint", "complaint:1", "Alpha LLC", bob.pk),
        (org_a.pk, bob.pk, "complaint", "complaint:1", "Alpha LLC", None),
    }


def test_a_change_rolled_back_tells_nobody(org_a, make_member):
    ann = make_member(org_a, Role.MANAGER)
    with pytest.raises(RuntimeError), transaction.atomic():
        tell(org_a, [ann])
        raise RuntimeError("the write failed")
    assert Notification.objects.count() == 0


def test_the_bell_counts_the_unread_and_the_list_opens_each_one(client, org_a, make_member):
    ann, bob = make_member(org_a, Role.MANAGER), make_member(org_a, Role.MANAGER)
    tell(org_a, [ann], key="complaint:1", url="/clients/complaints/")
    tell(org_a, [ann], key="complaint:2", url="https://elsewhere.example/")
    tell(org_a, [bob], key="complaint:3")
    client.force_login(ann)
    home = client.get(reverse("home")).content.decode()
    assert 'id="bell"' in home and '<span class="badge rounded-pill text-bg-danger" id="bell-count">2</span>' in home
    page = client.get(reverse("notifications:list"))
    assert [n.key for n in page.context["page"]] == ["complaint:2", "complaint:1"]
    mine = Notification.objects.get(user=ann, key="complaint:1")
    opened = client.get(reverse("notifications:open", args=[mine.pk]))
    assert opened["Location"] == "/clients/complaints/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    # A link that leaves the portal is not followed; someone else's notification is not found.
    elsewhere = Notification.objects.get(user=ann, key="complaint:2")
    assert client.get(reverse("notifications:open", args=[elsewhere.pk]))["Location"] == reverse("notifications:list")
    bobs = Notification.objects.get(user=bob)
    assert client.get(reverse("notifications:open", args=[bobs.pk])).status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None
    tell(org_a, [ann], key="complaint:4")
    assert client.post(reverse("notifications:read_all")).status_code == 302
    assert Notification.objects.filter(user=ann, read_at__isnull=True).count() == 0
    assert 'id="bell-count"' not in client.get(reverse("home")).content.decode()


def test_notifications_come_by_email_once_in_the_language_chosen(client, org_a, make_member, monkeypatch):
    ann = make_member(org_a, Role.MANAGER)
    client.force_login(ann)
    refused = client.post(reverse("notifications:email"), {"enabled": "1"}, follow=True)
    assert "Your account has no e-mail address" in refused.content.decode()
    ann.email = "ann@example.com"
    ann.save()
    tell(org_a, [ann], key="complaint:0")  # told before the choice: not e-mailed
    with translation.override("ru"):
        services.notification_email_set(organization=org_a, user=ann, enabled=True)
    tell(org_a, [ann], key="complaint:1", url="/clients/complaints/1/")
    tell(org_a, [ann], key="complaint:2", url="/clients/complaints/2/")

    def broken(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("crm_portal.services.send_mail", broken)
    assert services.notifications_email() == 0
    monkeypatch.undo()
    assert services.notifications_email() == 1  # released by the failed round, sent by the next
    assert services.notifications_email() == 0
    [message] = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.subject == "Новых уведомлений: 2 — Alpha Trade"
    assert "Жалоба на вашего клиента: Alpha LLC" in message.body
    assert "/clients/complaints/1/" in message.body and "/clients/complaints/2/" in message.body
    assert message.body.count("Alpha LLC") == 2  # not the one told before the choice
    client.post(reverse("notifications:email"), {"enabled": "0"})
    tell(org_a, [ann], key="complaint:3")
    assert services.notifications_email() == 0
