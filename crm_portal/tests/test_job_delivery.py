"""The job mechanism's delivery rules: one job per object, one run per job, lost messages and workers recovered."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from crm_portal import jobs
from crm_portal.job_sweeper import jobs_sweep
from crm_portal.jobs import job_enqueue, run_job
from crm_portal.models import Job, Role
from crm_portal.tasks import demo_count_task

pytestmark = pytest.mark.django_db


def test_the_kind_comes_from_the_task_and_the_language_from_the_requester(org_a):
    with translation.override("ru"):
        job = job_enqueue(organization=org_a, task=demo_count_task, params={"steps": 1})
    assert (job.kind, job.language, job.status, job.attempts) == ("demo.count", "ru", Job.Status.QUEUED, 0)
    assert len(job.task_id) == 32 and job.sent_at is not None


def test_the_job_runs_in_the_language_of_whoever_started_it(org_a):
    job = Job.objects.create(organization=org_a, kind="demo.count", language="ru")
    seen = []
    with translation.override("en"):
        run_job(job.pk, lambda j, p: seen.append(translation.get_language()))
    assert seen == ["ru"]


def test_a_second_start_for_the_same_object_returns_the_job_already_queued(org_a, org_b):
    first = job_enqueue(organization=org_a, task=demo_count_task, key="dataset:7")
    assert job_enqueue(organization=org_a, task=demo_count_task, key="dataset:7") == first
    # Another object, another organization, or the first job finished: a new job.
    assert job_enqueue(organization=org_a, task=demo_count_task, key="dataset:8") != first
    assert job_enqueue(organization=org_b, task=demo_count_task, key="dataset:7").organization == org_b
    Job.objects.filter(pk=first.pk).update(status=Job.Status.SUCCEEDED)
    assert job_enqueue(organization=org_a, task=demo_count_task, key="dataset:7") != first
    assert Job.objects.filter(organization=org_a, key="dataset:7").count() == 2


def test_two_requests_racing_for_the_same_object_share_one_job(org_a, monkeypatch):
    first = job_enqueue(organization=org_a, task=demo_count_task, key="campaign:3")
    looks = []

    def late_look(organization, kind, key):
        # The second request looked before the first one's row was written, then wrote its own.
        looks.append(key)
        return None if len(looks) == 1 else Job.objects.get(pk=first.pk)

    monkeypatch.setattr(jobs, "_active", late_look)
    assert job_enqueue(organization=org_a, task=demo_count_task, key="campaign:3") == first
    assert Job.objects.filter(key="campaign:3").count() == 1


def test_the_database_refuses_a_second_active_job_for_one_object(org_a):
    Job.objects.create(organization=org_a, kind="demo.count", key="x")
    with pytest.raises(IntegrityError):
        Job.objects.create(organization=org_a, kind="demo.count", key="x", status=Job.Status.RUNNING)


def test_a_double_click_on_import_queues_one_job(client_as, org_a, tmp_path, settings):
    from segmentation import services as segmentation_services
    from segmentation.tests.helpers import wide_frame, workbook
    from segmentation.tests.test_services import make_dataset

    settings.MEDIA_ROOT = tmp_path
    dataset = make_dataset(org_a, workbook(wide_frame([("A-1", 10, 0, 10, 10)])))
    segmentation_services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    web = client_as(org_a, Role.ANALYST)
    url = reverse("segmentation:dataset_import", kwargs={"dataset_id": dataset.pk})
    first = web.post(url, {"match_by": "external_id", "on_missing": "create"})
    second = web.post(url, {"match_by": "external_id", "on_missing": "create"})
    job = Job.objects.get(kind="segmentation.import")
    assert first["Location"] == second["Location"] == reverse("segmentation:job", kwargs={"job_id": job.pk})


def test_a_message_for_a_job_alive_elsewhere_is_dropped(org_a):
    job = Job.objects.create(
        organization=org_a,
        kind="demo.count",
        status=Job.Status.RUNNING,
        task_id="first",
        heartbeat_at=timezone.now(),
        attempts=1,
    )
    assert run_job(job.pk, lambda j, p: pytest.fail("must not run"), task_id="second") is None
    job.refresh_from_db()
    assert (job.status, job.task_id, job.attempts) == (Job.Status.RUNNING, "first", 1)


@override_settings(JOBS_STALE_SECONDS=60)
def test_a_message_takes_a_job_whose_worker_stopped_beating(org_a):
    job = Job.objects.create(
        organization=org_a,
        kind="demo.count",
        status=Job.Status.RUNNING,
        task_id="first",
        heartbeat_at=timezone.now() - timedelta(seconds=61),
        attempts=1,
    )
    run_job(job.pk, lambda j, p: {"done": True}, task_id="second")
    job.refresh_from_db()
    assert (job.status, job.result, job.task_id, job.attempts) == (Job.Status.SUCCEEDED, {"done": True}, "second", 2)


def test_a_job_completed_with_its_effect_is_not_completed_again(org_a):
    job = Job.objects.create(organization=org_a, kind="demo.count")

    def work(j, progress):
        jobs.job_complete(j, {"kept": "inside"})
        return {"returned": "after"}

    run_job(job.pk, work)
    job.refresh_from_db()
    assert (job.status, job.result) == (Job.Status.SUCCEEDED, {"kept": "inside"})


# The sweeper ---------------------------------------------------------------------------------


@override_settings(JOBS_RESEND_SECONDS=180)
def test_the_sweeper_sends_again_a_queued_job_whose_message_the_broker_lost(org_a):
    now = timezone.now()
    lost = Job.objects.create(organization=org_a, kind="demo.count", task_id="lost", sent_at=now - timedelta(minutes=4))
    recent = Job.objects.create(
        organization=org_a, kind="demo.count", task_id="recent", sent_at=now - timedelta(minutes=1)
    )
    # In these tests no message ever reaches the broker (nothing commits), so both are missing from it.
    assert jobs_sweep(now=now) == {"resent": 1, "recovered": 0, "failed": 0}
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.status == Job.Status.QUEUED and lost.task_id not in ("lost", "") and lost.sent_at >= now
    assert (recent.task_id, recent.sent_at) == ("recent", now - timedelta(minutes=1))


@override_settings(JOBS_STALE_SECONDS=120, JOBS_MAX_ATTEMPTS=3)
def test_the_sweeper_runs_again_a_job_whose_worker_died(org_a):
    now = timezone.now()
    dead = Job.objects.create(
        organization=org_a,
        kind="demo.count",
        status=Job.Status.RUNNING,
        task_id="m",
        progress=60,
        attempts=1,
        heartbeat_at=now - timedelta(seconds=121),
    )
    alive = Job.objects.create(
        organization=org_a,
        kind="demo.count",
        status=Job.Status.RUNNING,
        task_id="n",
        attempts=1,
        heartbeat_at=now - timedelta(seconds=30),
    )
    assert jobs_sweep(now=now) == {"resent": 0, "recovered": 1, "failed": 0}
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Job.Status.QUEUED and dead.task_id != "m"
    assert (alive.status, alive.task_id) == (Job.Status.RUNNING, "n")


@override_settings(JOBS_STALE_SECONDS=120, JOBS_MAX_ATTEMPTS=3)
def test_the_sweeper_gives_up_on_a_job_that_lost_its_worker_three_times(client_as, org_a):
    now = timezone.now()
    job = Job.objects.create(
        organization=org_a,
        kind="demo.count",
        status=Job.Status.RUNNING,
        task_id="m",
        attempts=3,
        heartbeat_at=now - timedelta(seconds=600),
    )
    assert jobs_sweep(now=now) == {"resent": 0, "recovered": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.finished_at is not None
    assert job.error == (
        "The server running this job stopped before it finished (attempts: 3). The job was stopped so that it does "
        "not block others; nothing it was doing was kept half-done. Start it again; if it stops again, tell "
        "your administrator."
    )
    web = client_as(org_a, Role.ADMIN)
    web.post(reverse("set_language"), {"language": "ru"})
    page = web.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert (
        "Сервер, выполнявший задание, остановился до его завершения (попыток: 3). Задание остановлено, "
        "чтобы не мешать другим; ничего недоделанного не сохранено. Запустите его снова; если оно снова "
        "остановится, сообщите администратору."
    ) in page


def test_every_app_declares_its_schedule_once_in_the_beat_schedule(settings):
    from celery.schedules import crontab

    assert settings.CELERY_BEAT_SCHEDULE == {
        "crm_portal.jobs_sweep": {"task": "crm_portal.jobs_sweep", "schedule": settings.JOBS_SWEEP_SECONDS},
        "crm_portal.notifications_email": {
            "task": "crm_portal.notifications_email",
            "schedule": settings.NOTIFICATIONS_EMAIL_SECONDS,
        },
        "clients.lifecycle_daily": {"task": "clients.lifecycle_daily", "schedule": crontab(hour=3, minute=0)},
        "clients.digest_weekly": {
            "task": "clients.digest_weekly",
            "schedule": crontab(day_of_week="mon", hour=7, minute=0),
        },
        "clients.care_points": {"task": "clients.care_points", "schedule": crontab(hour=6, minute=0)},
        "clients.points_overdue": {"task": "clients.points_overdue", "schedule": crontab(hour=6, minute=30)},
        "loyalty.daily": {"task": "loyalty.daily", "schedule": crontab(hour=6, minute=15)},
    }


def test_an_import_run_again_after_its_commit_writes_nothing_more(org_a, tmp_path, settings):
    from clients.models import Settlement
    from segmentation import jobs as segmentation_jobs
    from segmentation import services as segmentation_services
    from segmentation.tests.helpers import wide_frame, workbook
    from segmentation.tests.test_services import make_dataset

    settings.MEDIA_ROOT = tmp_path
    dataset = make_dataset(org_a, workbook(wide_frame([("A-1", 10, 0, 10, 10), ("B-2", 5, 5, 5, 5)])))
    segmentation_services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    job = Job.objects.create(
        organization=org_a,
        kind="segmentation.import",
        status=Job.Status.RUNNING,
        params={"dataset": dataset.pk, "match_by": "external_id", "on_missing": "create"},
    )
    first = segmentation_jobs.dataset_import(job, lambda *a: None)
    job.refresh_from_db()
    # The job's success was written in the import's own transaction.
    assert (job.status, job.result) == (Job.Status.SUCCEEDED, first)
    assert first["settlements_created"] == 7 == Settlement.objects.count()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)  # as if the worker died before acknowledging
    job.refresh_from_db()
    assert segmentation_jobs.dataset_import(job, lambda *a: None) == first
    assert Settlement.objects.count() == 7
