"""Russian pages read Russian: job messages whatever language ran the job, plural forms, grouped numbers."""

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.translation import gettext_lazy, gettext_noop, npgettext
from playwright.sync_api import expect

from clients.models import Client
from crm_portal.jobs import JobMessage, job_progress, run_job
from crm_portal.models import Job, Organization
from crm_portal.services import demo_count
from segmentation.models import Run


def test_a_russian_reader_sees_jobs_and_counts_in_russian(new_page, login, shot):
    demo = Organization.objects.get(slug="demo")
    head = get_user_model().objects.get(username="demo-head")
    job = Job.objects.create(organization=demo, kind="demo.count", params={"steps": 4, "delay": 0}, created_by=head)
    with translation.override("en"):  # run in English, read in Russian
        run_job(job.pk, demo_count)
    checking = Job.objects.create(organization=demo, kind="segmentation.check", created_by=head)
    job_progress(checking, 40, JobMessage(gettext_noop("Validating %(rows)s rows"), rows=23570))
    failed = Job.objects.create(organization=demo, kind="segmentation.import", created_by=head)

    def import_a_broken_file(job, progress):
        raise ValidationError(
            gettext_lazy("The file has %(count)s problem(s); nothing was imported."), params={"count": 2002}
        )

    run_job(failed.pk, import_a_broken_file)
    clients = Client.objects.filter(organization=demo).count()
    with translation.override("ru"):
        number = formats.localize(clients)
        label = npgettext("home page figure", "client", "clients", clients)

    page = new_page(locale="ru-RU")
    login(page, "demo-head")
    figure = page.locator("#panel-clients .stat-value").first
    expect(figure).to_have_text(number)
    expect(figure.locator("xpath=following-sibling::div")).to_have_text(label)
    shot(page, "home")

    page.goto(f"/jobs/{job.pk}/")
    expect(page.locator(".job-message")).to_have_text("Шаг 4 из 4")
    expect(page.locator("h1")).to_have_text(re.compile(rf"#{job.pk}$"))
    shot(page, "job")
    page.goto(f"/jobs/{checking.pk}/")
    expect(page.locator(".job-message")).to_have_text("Проверка строк: 23\xa0570")
    shot(page, "job-running")
    page.goto(f"/jobs/{failed.pk}/")
    expect(page.locator(".job-error")).to_have_text("В файле ошибок: 2\xa0002; ничего не импортировано.")
    shot(page, "job-failed")
    page.goto("/jobs/")
    shot(page, "jobs")

    page.goto("/clients/")
    expect(page.locator("#client-count")).to_have_text(number)
    shot(page, "clients")

    run = Run.objects.filter(organization=demo).order_by("-id").first()
    Run.objects.filter(pk=run.pk).update(client_count=23570)  # the size of the public CDNOW base
    page.goto(f"/segmentation/runs/{run.pk}/")
    expect(page.locator("#run-params")).to_contain_text(re.compile("^23\xa0570 клиентов; периоды"))
    shot(page, "run")
    page.goto("/segmentation/")
    shot(page, "segmentation")
    assert page.errors == [], page.errors
