"""A job's messages read in the reader's language, whatever language started or ran the job."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from crm_portal.jobs import JobMessage, job_enqueue, job_progress, run_job
from crm_portal.models import Job, Role
from crm_portal.services import demo_count
from crm_portal.tasks import demo_count_task


def reader(organization, make_member, role=Role.MANAGER, language=None) -> Client:
    """A browser of its own: its language cookie is not shared with another reader's."""
    web = Client()
    web.force_login(make_member(organization, role))
    if language:
        web.post(reverse("set_language"), {"language": language})
    return web


def progress_of(web: Client, job: Job, language: str) -> str:
    return web.get(reverse("jobs:progress", args=[job.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.fixture(autouse=True)
def english_afterwards(settings):
    yield
    translation.activate(settings.LANGUAGE_CODE)  # a Russian request leaves Russian active in this thread


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ran_in", "read_in", "shown"),
    [
        ("ru", "en", "Step 2 of 2"),
        ("en", "ru", "Шаг 2 из 2"),
    ],
)
def test_progress_of_the_real_service_reads_in_the_reader_s_language(org_a, make_member, ran_in, read_in, shown):
    job = Job.objects.create(organization=org_a, kind="demo.count", params={"steps": 2, "delay": 0})
    with translation.override(ran_in):
        run_job(job.pk, demo_count)
    job.refresh_from_db()
    assert (job.message, job.texts["message"]) == (
        "Step 2 of 2",
        ["Step %(step)s of %(steps)s", {"step": 2, "steps": 2}],
    )
    page = progress_of(reader(org_a, make_member), job, read_in)
    assert f'<span class="job-message">{shown}</span>' in page


@pytest.mark.django_db
def test_a_queued_job_waits_in_the_reader_s_language(org_a, make_member):
    with translation.override("ru"):
        job = job_enqueue(organization=org_a, task=demo_count_task, params={"steps": 1})
    assert '<span class="job-message">In the queue: it starts as soon as the server is free</span>' in progress_of(
        reader(org_a, make_member), job, "en"
    )
    with translation.override("en"):
        job = job_enqueue(organization=org_a, task=demo_count_task, params={"steps": 1})
    assert '<span class="job-message">В очереди: начнётся, как только сервер освободится</span>' in progress_of(
        reader(org_a, make_member), job, "ru"
    )


@pytest.mark.django_db
def test_numbers_in_a_message_are_written_the_reader_s_way(org_a):
    job = Job.objects.create(organization=org_a, kind="segmentation.check")
    job_progress(job, 40, JobMessage(gettext_noop("Validating %(rows)s rows"), rows=23570))
    job.refresh_from_db()
    assert (job.progress, job.message) == (40, "Validating 23570 rows")
    with translation.override("en"):
        assert job.message_text == "Validating 23,570 rows"
    with translation.override("ru"):
        assert job.message_text == "Проверка строк: 23\xa0570"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("started_in", "read_in", "shown"),
    [
        ("ru", "en", "The file has 1 problem(s); nothing was imported."),
        ("en", "ru", "В файле ошибок: 1; ничего не импортировано."),
    ],
)
def test_the_error_of_a_failed_import_reads_in_the_reader_s_language(
    org_a, make_member, settings, tmp_path, started_in, read_in, shown
):
    from segmentation import services
    from segmentation.models import Dataset
    from segmentation.tasks import dataset_import_task
    from segmentation.tests.helpers import wide_frame, workbook

    settings.MEDIA_ROOT = tmp_path
    dataset = Dataset(organization=org_a, token="broken-list", name="list.xlsx")
    dataset.file.save(
        "list.xlsx", ContentFile(workbook(wide_frame([("Alpha", 1, 2, 3, 4), ("Beta", 1, "x", 3, 4)]))), save=False
    )
    dataset.save()
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    # The import runs in the language of whoever started it, as its task does.
    job = Job.objects.create(
        organization=org_a,
        kind="segmentation.import",
        language=started_in,
        params={"dataset": dataset.pk, "match_by": "external_id", "on_missing": "create"},
    )
    dataset_import_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (Job.Status.FAILED, "The file has 1 problem(s); nothing was imported.")
    page = progress_of(reader(org_a, make_member), job, read_in)
    assert f'<div class="alert alert-danger mt-2 mb-0 job-error">{shown}</div>' in page


@pytest.mark.django_db
def test_an_unforeseen_error_is_shown_as_it_was_raised(org_a, make_member):
    job = Job.objects.create(organization=org_a, kind="demo.count")

    def work(job, progress):
        raise KeyError("steps")

    run_job(job.pk, work)
    page = progress_of(reader(org_a, make_member), job, "ru")
    assert '<div class="alert alert-danger mt-2 mb-0 job-error">KeyError: &#x27;steps&#x27;</div>' in page


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_started_from_a_russian_page_reads_in_english_to_an_english_reader(
    org_a, make_member, celery_worker, wait_for
):
    russian = reader(org_a, make_member, Role.ADMIN, language="ru")
    assert russian.post(reverse("jobs:demo_start"), {"steps": 3}).status_code == 302
    job = Job.objects.get()
    wait_for(lambda: Job.objects.filter(pk=job.pk, status=Job.Status.SUCCEEDED).exists(), timeout=60)
    english = reader(org_a, make_member, language="en")
    assert '<span class="job-message">Step 3 of 3</span>' in progress_of(english, job, "en")
    assert '<span class="job-message">Шаг 3 из 3</span>' in progress_of(russian, job, "ru")


def _translated_now(node) -> bool:
    """`_("…")`, `gettext(…)` or `_("…") % {…}`: a text already in the language of the moment."""
    if isinstance(node, ast.BinOp):
        node = node.left
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"_", "gettext", "ngettext"}
    )


def test_no_job_reports_progress_in_an_already_translated_message():
    """`progress(10, _("…"))` would fix the message in the language of whoever ran the job."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for app in ("crm_portal", "clients", "segmentation", "loyalty", "diagnostics"):
        for path in (root / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "progress"
                    and len(node.args) > 1
                    and _translated_now(node.args[1])
                ):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


@pytest.mark.django_db
def test_an_import_refused_row_reads_as_a_sentence_with_the_file_s_row(org_a, make_member, settings, tmp_path):
    from segmentation import services
    from segmentation.models import Dataset
    from segmentation.tasks import dataset_import_task
    from segmentation.tests.helpers import wide_frame, workbook

    settings.MEDIA_ROOT = tmp_path
    dataset = Dataset(organization=org_a, token="long-keys", name="list.xlsx")
    # Row 3 of the sheet holds a key that is fine as a name but longer than a tax number may be.
    dataset.file.save(
        "list.xlsx", ContentFile(workbook(wide_frame([("7701", 1, 2, 3, 4), ("7" * 40, 1, 2, 3, 4)]))), save=False
    )
    dataset.save()
    services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
    job = Job.objects.create(
        organization=org_a,
        kind="segmentation.import",
        language="en",
        params={"dataset": dataset.pk, "match_by": "tax_number", "on_missing": "create"},
    )
    dataset_import_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (Job.Status.FAILED, "Row 3: the client is longer than 32 characters.")
    page = progress_of(reader(org_a, make_member), job, "en")
    assert (
        '<div class="alert alert-danger mt-2 mb-0 job-error">Row 3: the client is longer than 32 characters.</div>'
        in page
    )
