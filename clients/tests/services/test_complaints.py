"""Complaints through their steps, and satisfaction scores that open them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from clients import services
from clients.models import Complaint, ComplaintStep
from clients.signals import complaint_closed
from clients.tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_complaint_flow_to_closed_sends_the_signal(org_a, django_capture_on_commit_callbacks):
    client = make_client(org_a, "c")
    complaint = services.complaint_register(organization=org_a, client=client, subject="Late delivery", source="survey")
    received = []
    handler = lambda sender, complaint, **kw: received.append(complaint.pk)  # noqa: E731
    complaint_closed.connect(handler)
    try:
        services.complaint_advance(complaint=complaint)
        with pytest.raises(ValidationError) as error:
            services.complaint_advance(complaint=complaint)
        assert error.value.message_dict == {"cause": ["Write down the cause found before saying it is removed."]}
        services.complaint_advance(complaint=complaint, cause="Courier overloaded", actions="Second courier hired")
        with pytest.raises(ValidationError):
            services.complaint_advance(complaint=complaint)
        services.complaint_advance(complaint=complaint, actions="Delivery slots planned a day ahead")
        with django_capture_on_commit_callbacks(execute=True):
            services.complaint_advance(complaint=complaint, note="Client confirmed")
    finally:
        complaint_closed.disconnect(handler)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED and complaint.closed_at is not None
    assert received == [complaint.pk]
    assert list(ComplaintStep.objects.filter(complaint=complaint).values_list("status", flat=True)) == [
        "registered",
        "investigating",
        "cause_removed",
        "process_corrected",
        "closed",
    ]


def test_complaint_register_refuses_a_client_of_another_organization(org_a, org_b):
    with pytest.raises(ValidationError):
        services.complaint_register(organization=org_a, client=make_client(org_b, "x"), subject="s")


@pytest.mark.parametrize(("score", "opens"), [(5, False), (4, False), (3, True), (2, True), (1, True)])
def test_low_satisfaction_opens_a_case(org_a, score, opens):
    client = make_client(org_a, "c")
    services.assessment_create(client=client, scores={"delivery": score, "quality": 5}, date=dt.date(2026, 3, 1))
    cases = Complaint.objects.filter(client=client, source="satisfaction")
    assert cases.count() == (1 if opens else 0)
    if opens:
        assert cases.get().subject == f"Low satisfaction score (Delivery speed: {score})"
