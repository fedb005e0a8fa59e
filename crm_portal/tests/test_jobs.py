"""Jobs: the runner's bookkeeping, and a job started from a page finishing in a real worker."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from crm_portal.jobs import job_enqueue, run_job
from crm_portal.models import Job, Role
from crm_portal.tasks import demo_count_task


@pytest.fixture
def job(org_a):
    return Job.objects.create(organization=org_a, kind="test", params={"steps": 2, "delay": 0})


def test_successful_work_records_result_and_progress(job):
    seen = []

    def work(j, progress):
        progress(50, "half")
        seen.append(Job.objects.get(pk=j.pk).progress)
        return {"answer": 42}

    run_job(job.pk, work)
    job.refresh_from_db()
    assert seen == [50]
    assert (job.status, job.progress, job.result) == (Job.Status.SUCCEEDED, 100, {"answer": 42})
    assert job.started_at <= job.finished_at


def test_failing_work_records_the_error(job):
    def work(j, progress):
        raise ValueError("column B is empty")

    run_job(job.pk, work)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "ValueError: column B is empty"


def test_finished_job_is_not_run_again(job):
    calls = []
    run_job(job.pk, lambda j, p: calls.append(1))
    run_job(job.pk, lambda j, p: calls.append(1))
    assert calls == [1]


def test_missing_job_is_ignored(db):
    assert run_job(987654, lambda j, p: pytest.fail("must not run")) is None


def test_progress_partial_polls_until_finished(client_as, org_a, job):
    client = client_as(org_a, Role.MANAGER)
    running = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in running
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, progress=100)
    done = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in done
    assert 'aria-valuenow="100"' in done


def test_bad_step_count_starts_nothing(client_as, org_a):
    client = client_as(org_a, Role.ADMIN)
    response = client.post(reverse("jobs:demo_start"), {"steps": "lots"}, follow=True)
    assert "Steps must be a whole number from 1 to 100." in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_job_started_from_a_page_completes_in_the_worker(client_as, org_a, celery_worker, wait_for):
    client = client_as(org_a, Role.ADMIN)
    response = client.post(reverse("jobs:demo_start"), {"steps": 3})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    finished = wait_for(lambda: Job.objects.filter(pk=job.pk, status=Job.Status.SUCCEEDED).first(), timeout=60)
    assert finished.result == {"counted": 3}
    assert finished.progress == 100
    assert finished.created_by.memberships.get().role == Role.ADMIN
    page = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert 'data-status="succeeded"' in page


def test_transient_database_error_is_left_for_a_retry(job):
    from django.db import OperationalError

    def work(j, progress):
        raise OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):
        run_job(job.pk, work, task_id="message-1")
    job.refresh_from_db()
    assert (job.status, job.task_id, job.attempts) == (Job.Status.RUNNING, "message-1", 1)
    # Celery retries with the same message id: that message takes the job again.
    run_job(job.pk, lambda j, p: {"second": "try"}, task_id="message-1")
    job.refresh_from_db()
    assert (job.status, job.result, job.attempts) == (Job.Status.SUCCEEDED, {"second": "try"}, 2)


def test_task_that_gives_up_marks_its_job_failed(job):
    from crm_portal.tasks import demo_count_task

    demo_count_task.on_failure(RuntimeError("worker gave up"), "task-id", (job.pk,), {}, None)
    job.refresh_from_db()
    assert (job.status, job.error) == (Job.Status.FAILED, "RuntimeError: worker gave up")
    assert job.finished_at is not None


def test_server_error_page_needs_no_database():
    from django.test import RequestFactory

    from crm_portal.errors import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_jobs_pages_name_the_kind_in_the_reader_s_language(client_as, org_a, job):
    from crm_portal.models import Job as JobModel

    JobModel.objects.filter(pk=job.pk).update(kind="demo.count")
    client = client_as(org_a, Role.ADMIN)
    english = client.get(reverse("jobs:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a href="{reverse("jobs:detail", args=[job.pk])}">{job.pk}</a></td>\n      <td>Test job</td>' in english
    client.post(reverse("set_language"), {"language": "ru"})
    russian = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Тестовое задание #" in russian


# Who starts and who sees which jobs (issue 9, 2.7 and 3.5) ---------------------------------------
@pytest.mark.parametrize("role", [Role.MANAGER, Role.SALES_HEAD, Role.ANALYST])
def test_only_administrators_start_test_jobs(client_as, org_a, role):
    client = client_as(org_a, role)
    assert client.post(reverse("jobs:demo_start"), {"steps": 2}).status_code == 403
    assert not Job.objects.exists()
    assert 'id="demo-job-form"' not in client.get(reverse("jobs:list")).content.decode()


def test_administrator_sees_the_test_job_form(client_as, org_a):
    page = client_as(org_a, Role.ADMIN).get(reverse("jobs:list")).content.decode()
    assert 'id="demo-job-form"' in page


@override_settings(JOBS_ACTIVE_LIMIT=2)
def test_queued_jobs_are_capped_per_organization(client_as, org_a, org_b):
    for status in (Job.Status.QUEUED, Job.Status.RUNNING, Job.Status.SUCCEEDED, Job.Status.FAILED):
        Job.objects.create(organization=org_a, kind="demo.count", status=status)
    Job.objects.create(organization=org_b, kind="demo.count")
    client = client_as(org_a, Role.ADMIN)
    response = client.post(
        reverse("jobs:demo_start"), {"steps": 2}, HTTP_REFERER="http://testserver/jobs/", follow=True
    )
    assert response.redirect_chain == [("http://testserver/jobs/", 302)]
    assert (
        "Your organization already has 2 background jobs queued or running, the most allowed at once. "
        "Wait until some of them finish, then try again."
    ) in response.content.decode()
    assert Job.objects.filter(organization=org_a).count() == 4
    # Another organization has its own places; a scheduled job (no person) is not refused.
    assert client_as(org_b, Role.ADMIN).post(reverse("jobs:demo_start"), {"steps": 2}).status_code == 302
    job_enqueue(organization=org_a, task=demo_count_task)
    assert Job.objects.filter(organization=org_a).count() == 5


@pytest.mark.parametrize(
    ("limit", "words"), [(1, "1 фоновое задание"), (3, "3 фоновых задания"), (5, "5 фоновых заданий")]
)
def test_the_cap_message_reads_well_in_russian(client_as, org_a, limit, words):
    Job.objects.bulk_create(Job(organization=org_a, kind="demo.count") for _ in range(limit))
    client = client_as(org_a, Role.ADMIN)
    client.post(reverse("set_language"), {"language": "ru"})
    with override_settings(JOBS_ACTIVE_LIMIT=limit):
        page = client.post(reverse("jobs:demo_start"), {"steps": 2}, follow=True).content.decode()
    assert f"В вашей организации уже {words} в очереди или в работе — больше одновременно нельзя." in page


@override_settings(JOBS_ACTIVE_LIMIT=1)
def test_the_cap_answers_with_a_message_on_any_app_s_page(client_as, org_a):
    Job.objects.create(organization=org_a, kind="clients.lifecycle")
    client = client_as(org_a, Role.ANALYST)
    response = client.post(reverse("clients:lifecycle_recompute"), follow=True)  # no referrer: the jobs list
    assert response.redirect_chain == [(reverse("jobs:list"), 302)]
    assert "Your organization already has 1 background job queued or running" in response.content.decode()


def test_job_page_shows_no_raw_parameters(client_as, org_a):
    client = client_as(org_a, Role.ADMIN)
    job = Job.objects.create(organization=org_a, kind="segmentation.check", params={"dataset": 7, "language": "ru"})
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "&#x27;dataset&#x27;" not in page and ">Parameters<" not in page


def _links(html: str) -> list[str]:
    return [href for href in re.findall(r'href="(/[^"]*)"', html) if not href.startswith("/static/")]


def test_each_person_sees_only_jobs_they_can_open(client, org_a, make_member):
    analyst, manager, admin = (make_member(org_a, role) for role in (Role.ANALYST, Role.MANAGER, Role.ADMIN))
    theirs = Job.objects.create(
        organization=org_a,
        kind="segmentation.run_file",
        created_by=analyst,
        status=Job.Status.SUCCEEDED,
        result={"url": reverse("segmentation:index")},
    )
    mine = Job.objects.create(organization=org_a, kind="clients.lifecycle", created_by=manager)
    scheduled = Job.objects.create(organization=org_a, kind="loyalty.reminders")
    expected = {manager: [mine], analyst: [theirs], admin: [scheduled, mine, theirs]}
    for user, jobs in expected.items():
        client.force_login(user)
        home = client.get(reverse("home")).content.decode()
        listing = client.get(reverse("jobs:list")).content.decode()
        detail_links = {f"{reverse('jobs:detail', args=[j.pk])}" for j in jobs}
        assert {href for href in _links(home) if href.startswith("/jobs/") and href != "/jobs/"} == detail_links
        assert {href for href in _links(listing) if re.fullmatch(r"/jobs/\d+/", href)} == detail_links
        for href in set(_links(home) + _links(listing)):
            assert client.get(href).status_code == 200, (user.username, href)
        for job in {theirs, mine, scheduled} - set(jobs):
            assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
