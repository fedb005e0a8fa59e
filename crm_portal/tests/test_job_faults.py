"""Faults an operator meets: Redis losing its queue, a worker killed mid-job, an import killed at
every step. Real Redis (a server of these tests' own, on the port of CELERY_BROKER_URL), real
workers, real PostgreSQL or SQLite. `make test` runs them in a pass of their own (`-m faults`).
"""

import subprocess
import time
from urllib.parse import urlparse

import pytest
import redis

from clients.models import Client, Settlement
from conftest import _worker_env, worker_start, worker_stop
from crm_portal.job_sweeper import jobs_sweep, messages_in_flight
from crm_portal.jobs import job_enqueue
from crm_portal.models import Job, Organization
from crm_portal.tasks import demo_count_task

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

STALE = 3  # seconds without a heartbeat before the sweeper calls a worker dead (both sides use it)


class RedisServer:
    """A redis-server without persistence, as the tests' broker and as many installations run it."""

    def __init__(self, port: int):
        self.port = port
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    pytest.fail(f"redis-server could not start on port {self.port}: is another one running there?")
                time.sleep(0.1)
        pytest.fail("redis-server did not answer")

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: whatever it held in memory is gone
        self.process.wait()


@pytest.fixture
def broker(settings):
    port = urlparse(settings.CELERY_BROKER_URL).port
    if not settings.CELERY_BROKER_URL.startswith("redis://") or port in (None, 6379):
        pytest.fail(
            "The fault tests kill their broker: run them as scripts/test.sh does, with "
            "CELERY_BROKER_URL=redis://127.0.0.1:<a free port>/0"
        )
    server = RedisServer(port)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def workers(settings, tmp_path):
    """workers(**env) starts a worker that beats every 0.5 s; every one started is stopped at the end."""
    settings.JOBS_STALE_SECONDS = STALE
    settings.JOBS_RESEND_SECONDS = 0
    started = []

    def start(**extra):
        env = _worker_env() | {"JOBS_HEARTBEAT_SECONDS": "0.5", "JOBS_STALE_SECONDS": str(STALE)} | extra
        process = worker_start(env, "faults", "--include", "crm_portal.tests.fault_hooks")
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            worker_stop(process)


def sweep_until_finished(job_ids, timeout=90):
    """What beat does every minute, every half second: until the jobs are finished (or fail the test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs_sweep()
        if not Job.objects.filter(pk__in=job_ids).exclude(status__in=Job.FINISHED).exists():
            return list(Job.objects.filter(pk__in=job_ids).order_by("pk"))
        time.sleep(0.5)
    states = list(Job.objects.filter(pk__in=job_ids).values_list("pk", "status", "progress", "attempts"))
    pytest.fail(f"jobs not finished within {timeout} s: {states}")


def test_jobs_queued_when_redis_lost_its_memory_all_run(broker, workers, org_a):
    queued = [job_enqueue(organization=org_a, task=demo_count_task, params={"steps": 2, "delay": 0}) for _ in range(5)]
    assert {job.task_id for job in queued} <= messages_in_flight()
    assert jobs_sweep() == {"resent": 0, "recovered": 0, "failed": 0}  # every message is where it should be

    broker.kill()
    broker.start()
    assert messages_in_flight() == set()
    workers()
    time.sleep(2)
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 5  # the worker has nothing to take

    finished = sweep_until_finished([job.pk for job in queued])
    assert [(job.status, job.result, job.attempts) for job in finished] == [
        (Job.Status.SUCCEEDED, {"counted": 2}, 1)
    ] * 5


def test_a_job_whose_whole_worker_was_killed_completes_in_another(broker, workers, org_a, wait_for):
    first = workers()
    job = job_enqueue(organization=org_a, task=demo_count_task, params={"steps": 20, "delay": 0.2})
    wait_for(lambda: Job.objects.filter(pk=job.pk, progress__gte=25).exists(), timeout=60)
    first.kill()  # SIGKILL: the worker (solo pool: the process that ran the job) is gone at once
    first.wait()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.RUNNING, 1)

    workers()
    started = time.monotonic()
    [finished] = sweep_until_finished([job.pk])
    assert (finished.status, finished.result, finished.attempts) == (Job.Status.SUCCEEDED, {"counted": 20}, 2)
    assert time.monotonic() - started < 60  # minutes at most in production (JOBS_STALE_SECONDS), never an hour


def _checked_dataset(organization: Organization, tmp_path):
    from segmentation import services
    from segmentation.tests.helpers import wide_frame, workbook
    from segmentation.tests.test_services import make_dataset

    rows = [(f"K-{n:03d}", n, 0, n + 1, 2 * n) for n in range(1, 41)]  # 40 clients, 120 non-zero months
    dataset = make_dataset(organization, workbook(wide_frame(rows)))
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    dataset.refresh_from_db()
    assert dataset.status == dataset.Status.VALID
    return dataset


def _import(organization, tmp_path):
    from segmentation import services

    dataset = _checked_dataset(organization, tmp_path)
    return dataset, services.dataset_import_start(dataset=dataset, match_by="external_id", on_missing="create")


def test_an_import_killed_at_every_step_is_written_exactly_once(broker, workers, settings, tmp_path, wait_for):
    settings.MEDIA_ROOT = tmp_path
    # A clean import first: it tells how many progress reports (step boundaries) an import makes.
    progress_log = tmp_path / "progress.log"
    clean = workers(MEDIA_ROOT=str(tmp_path), CRM_PROGRESS_LOG=str(progress_log))
    organization = Organization.objects.create(name="Clean", slug="clean")
    _, job = _import(organization, tmp_path)
    [done] = sweep_until_finished([job.pk])
    assert done.result["settlements_created"] == 120
    worker_stop(clean)
    steps = len(progress_log.read_text().split())
    assert steps >= 3

    points = [f"progress:{n}" for n in range(1, steps + 1)] + ["committed", "returned"]
    for point in points:
        organization = Organization.objects.create(name=point, slug=point.replace(":", "-"))
        mark = tmp_path / f"killed-{point.replace(':', '-')}"
        doomed = workers(MEDIA_ROOT=str(tmp_path), CRM_KILL_AT=point, CRM_KILL_MARK=str(mark))
        dataset, job = _import(organization, tmp_path)
        wait_for(lambda worker=doomed: worker.poll() is not None, timeout=60)
        assert mark.exists(), point
        recovering = workers(MEDIA_ROOT=str(tmp_path))
        [finished] = sweep_until_finished([job.pk])
        worker_stop(recovering)  # the next doomed worker must be the one that takes the next import
        dataset.refresh_from_db()
        assert (point, finished.status, dataset.status) == (point, Job.Status.SUCCEEDED, dataset.Status.IMPORTED)
        assert (
            point,
            Settlement.objects.filter(organization=organization).count(),
            Client.objects.filter(organization=organization).count(),
        ) == (point, 120, 40)
        assert finished.result["settlements_created"] == 120
