"""Bodies of the client register's jobs: `work(job, progress) -> result`, run by `crm_portal.jobs.run_job`."""

import datetime

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.translation import gettext_noop

from crm_portal.jobs import ProgressCallback
from crm_portal.models import Job, Membership
from crm_portal.spreadsheets import xlsx_bytes
from crm_portal.tenancy import Viewer

from .exports import kpi_sheets
from .selectors import clients_visible_to, kpi_tables, product_sales_table
from .services import lifecycle_recompute


def lifecycle_recompute_job(job: Job, progress: ProgressCallback) -> dict:
    """Every client's lifecycle state as of the job's date (recomputing twice changes nothing)."""
    progress(10, gettext_noop("Reading settlements"))
    return lifecycle_recompute(organization=job.organization, as_of=datetime.date.fromisoformat(job.params["as_of"]))


def kpi_export_job(job: Job, progress: ProgressCallback) -> dict:
    """The KPI spreadsheet of a period for the user who asked, with their visibility, in their language."""
    params = job.params
    start, end = datetime.date.fromisoformat(params["start"]), datetime.date.fromisoformat(params["end"])
    user = get_user_model().objects.filter(pk=params.get("user_id")).first()
    membership = Membership.objects.filter(user=user, organization=job.organization).first()
    clients = clients_visible_to(Viewer(job.organization, user, membership.role if membership else None))
    progress(10, gettext_noop("Computing the KPIs"))
    data = kpi_tables(organization=job.organization, clients=clients, start=start, end=end)
    progress(60, gettext_noop("Writing the spreadsheet"))
    products = product_sales_table(organization=job.organization, clients=clients, start=start, end=end)
    content = xlsx_bytes(kpi_sheets(data, products))
    # A second run of the same job (its worker lost) writes the same file again, under the same name.
    name = f"clients/kpi/{job.organization_id}/kpi-{job.pk}.xlsx"
    default_storage.delete(name)
    default_storage.save(name, ContentFile(content))
    return {
        "file": name,
        "filename": f"kpi-{start}-{end}.xlsx",
        "clients": len(data["clients"]),
        "url": reverse("clients:kpi_download", kwargs={"job_id": job.pk}),
    }
