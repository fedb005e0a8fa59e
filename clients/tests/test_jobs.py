"""The lifecycle recompute runs as a job in a real Celery worker."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from clients.models import Client, Settlement, StateChange
from clients.tests.factories import make_client
from crm_portal.models import Job, Role


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_recompute_button_runs_a_job_in_the_worker(client_as, org_a, celery_worker, wait_for):
    buyer = make_client(org_a, "Buyer")
    # Written behind the register's back (as an old database holds it): the job gives it its history.
    Settlement.objects.create(
        organization=org_a, client=buyer, date=dt.date.today() - dt.timedelta(days=3), amount=Decimal("10")
    )
    make_client(org_a, "Never")
    response = client_as(org_a, Role.ANALYST).post(reverse("clients:lifecycle_recompute"))
    job = Job.objects.get(organization=org_a, kind="clients.lifecycle")
    assert response["Location"] == reverse("jobs:detail", kwargs={"job_id": job.pk})
    job = wait_for(lambda: Job.objects.filter(pk=job.pk, status__in=Job.FINISHED).first(), timeout=60)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["changed"] == 1
    assert job.result["states"]["new"] == 1 and job.result["states"]["potential"] == 1
    assert Client.objects.get(pk=buyer.pk).lifecycle_state == "new"
    assert list(StateChange.objects.filter(client=buyer).values_list("previous_state", "state")) == [
        ("new", "lost"),
        ("potential", "new"),
    ]


@pytest.mark.django_db
def test_managers_cannot_start_the_recompute(client_as, org_a):
    assert client_as(org_a, Role.MANAGER).post(reverse("clients:lifecycle_recompute")).status_code == 403
    assert not Job.objects.exists()
