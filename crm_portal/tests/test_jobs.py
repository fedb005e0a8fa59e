"""Jobs: the runner's bookkeeping, and a job started from a page finishing in a real worker."""

import pytest
from django.urls import reverse

from crm_portal.jobs import run_job
from crm_portal.models import Job, Role


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
    client = client_as(org_a, Role.ANALYST)
    response = client.post(reverse("jobs:demo_start"), {"steps": "lots"}, follow=True)
    assert "Steps must be a whole number from 1 to 100." in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_job_started_from_a_page_completes_in_the_worker(client_as, org_a, celery_worker, wait_for):
    client = client_as(org_a, Role.ANALYST)
    response = client.post(reverse("jobs:demo_start"), {"steps": 3})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    finished = wait_for(lambda: Job.objects.filter(pk=job.pk, status=Job.Status.SUCCEEDED).first(), timeout=60)
    assert finished.result == {"counted": 3}
    assert finished.progress == 100
    assert finished.created_by.memberships.get().role == Role.ANALYST
    page = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert 'data-status="succeeded"' in page


def test_transient_database_error_is_left_for_a_retry(job):
    from django.db import OperationalError

    def work(j, progress):
        raise OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):
        run_job(job.pk, work)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    run_job(job.pk, lambda j, p: {"second": "try"})
    job.refresh_from_db()
    assert (job.status, job.result) == (Job.Status.SUCCEEDED, {"second": "try"})


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
    client = client_as(org_a, Role.MANAGER)
    english = client.get(reverse("jobs:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a href="{reverse("jobs:detail", args=[job.pk])}">{job.pk}</a></td>\n      <td>Test job</td>' in english
    client.post(reverse("set_language"), {"language": "ru"})
    russian = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Тестовое задание #" in russian
