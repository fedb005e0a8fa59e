"""Pages: upload, preview and mapping, runs and their results, exports, settings."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from crm_portal.formtools import error_text, service_errors
from crm_portal.models import Job, Role
from crm_portal.spreadsheets import column_letter, stored_xlsx_response, xlsx_response
from crm_portal.tenancy import get_for_org_or_404, roles_required

from . import selectors, services
from .export import rejected_sheet, run_sheet
from .forms import BaseRunForm, FileParamsForm, ImportForm, MappingForm, SettingsForm, UploadForm
from .models import Dataset, Run

ANALYSTS = (Role.ANALYST, Role.ADMIN)
READERS = (Role.ANALYST, Role.ADMIN, Role.SALES_HEAD)


@roles_required(*READERS)
def index(request: HttpRequest) -> HttpResponse:
    current = selectors.settings_for(request.organization)
    can_write = request.role in ANALYSTS
    return render(
        request,
        "segmentation/index.html",
        {
            "upload_form": UploadForm() if can_write else None,
            "base_form": BaseRunForm.initial_from(current) if can_write else None,
            "datasets": selectors.datasets_for(organization=request.organization)[:50],
            "runs": selectors.runs_for(organization=request.organization)[:50],
            "can_write": can_write,
        },
    )


@roles_required(*ANALYSTS)
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        # The address stays in the browser after a refused upload: reloading or bookmarking it
        # leads to the upload form on the index instead of a blank 405.
        return redirect(reverse("segmentation:index") + "#upload-form")
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        with service_errors(form):
            dataset = services.dataset_create(
                organization=request.organization, upload=form.cleaned_data["file"], user=request.user
            )
            return redirect("segmentation:dataset", dataset_id=dataset.pk)
    current = selectors.settings_for(request.organization)
    return render(
        request,
        "segmentation/index.html",
        {
            "upload_form": form,
            "base_form": BaseRunForm.initial_from(current),
            "can_write": True,
            "datasets": selectors.datasets_for(organization=request.organization)[:50],
            "runs": selectors.runs_for(organization=request.organization)[:50],
        },
        status=400,
    )


def _mapping_form(dataset: Dataset, data=None) -> MappingForm:
    initial = {"sheet": dataset.sheet, **{k: v for k, v in dataset.mapping.items() if k != "confirmed"}}
    return MappingForm(data, header=dataset.header, sheets=dataset.sheets or [dataset.sheet or "CSV"], initial=initial)


def _preview_columns(dataset: Dataset) -> list[tuple[str, str]]:
    """(letter, header) of each column the stored preview shows."""
    if dataset.preview:
        # A preview stored before its columns were bounded has every column in order, without positions.
        positions = [cell.get("column", i) for i, cell in enumerate(dataset.preview[0]["cells"])]
    else:
        positions = range(min(services.PREVIEW_COLUMNS, len(dataset.header)))
    return [(column_letter(p), dataset.header[p] if p < len(dataset.header) else "") for p in positions]


@roles_required(*ANALYSTS)
def dataset(request: HttpRequest, dataset_id: int) -> HttpResponse:
    # One query for both: read apart, a check finishing in between shows "checking" with a finished
    # job, which no longer polls, and the page would wait for ever.
    item = get_for_org_or_404(request, Dataset.objects.select_related("job"), pk=dataset_id)
    mapping_form = _mapping_form(item)
    if request.method == "POST":
        mapping_form = _mapping_form(item, request.POST)
        if mapping_form.is_valid():
            data = mapping_form.cleaned_data
            mapping = {
                "shape": data["shape"],
                "client": data["client"],
                "date": data.get("date"),
                "amount": data.get("amount"),
                "margin": data.get("margin"),
                "product": data.get("product"),
                "months": data.get("months") or [],
                "duplicates": data["duplicates"],
            }
            with service_errors(mapping_form):
                services.dataset_mapping_set(dataset=item, sheet=data["sheet"], mapping=mapping, user=request.user)
                return redirect("segmentation:dataset", dataset_id=item.pk)
    current = selectors.settings_for(request.organization)
    return render(
        request,
        "segmentation/dataset.html",
        {
            "dataset": item,
            "job": item.job,
            "mapping_form": mapping_form,
            "params_form": FileParamsForm.initial_from(current),
            "import_form": ImportForm(),
            "runs": item.runs.order_by("-pk")[:20],
            "preview_columns": _preview_columns(item),
        },
    )


@roles_required(*ANALYSTS)
def dataset_rejected(request: HttpRequest, dataset_id: int) -> HttpResponse:
    item = get_for_org_or_404(request, Dataset, pk=dataset_id)
    filename = f"{item.name.rsplit('.', 1)[0]}-rejected.xlsx"
    if item.rejected:
        return stored_xlsx_response(item.rejected.open("rb"), filename)
    return xlsx_response(filename, [rejected_sheet()])


def _job_refused(request: HttpRequest, form, back: str) -> HttpResponse:
    """A job that could not start: its form's problems go back as one message, never a 500."""
    messages.error(request, error_text(form))
    return redirect(back)


@roles_required(*ANALYSTS)
@require_POST
def dataset_analyse(request: HttpRequest, dataset_id: int) -> HttpResponse:
    item = get_for_org_or_404(request, Dataset, pk=dataset_id)
    form = FileParamsForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            job = services.run_file_start(dataset=item, params=dict(form.cleaned_data), user=request.user)
            return redirect("segmentation:job", job_id=job.pk)
    return _job_refused(request, form, item.get_absolute_url())


@roles_required(*ANALYSTS)
@require_POST
def dataset_import(request: HttpRequest, dataset_id: int) -> HttpResponse:
    item = get_for_org_or_404(request, Dataset, pk=dataset_id)
    form = ImportForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            job = services.dataset_import_start(dataset=item, user=request.user, **form.cleaned_data)
            return redirect("segmentation:job", job_id=job.pk)
    return _job_refused(request, form, item.get_absolute_url())


@roles_required(*ANALYSTS)
@require_POST
def base_run(request: HttpRequest) -> HttpResponse:
    form = BaseRunForm(request.POST)
    if form.is_valid():
        params = dict(form.cleaned_data)
        as_of, months = params.pop("as_of"), params.pop("months")
        with service_errors(form):
            job = services.run_base_start(
                organization=request.organization, params=params, as_of=as_of, months=months, user=request.user
            )
            return redirect("segmentation:job", job_id=job.pk)
    return _job_refused(request, form, reverse("segmentation:index"))


@roles_required(*ANALYSTS)
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    item = get_for_org_or_404(request, Job, pk=job_id)
    url = item.result.get("url") if item.status == Job.Status.SUCCEEDED else None
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        # Finished before the page was drawn: the page would not poll, so nothing would follow the result.
        return redirect(url)
    return render(request, "segmentation/job.html", {"job": item})


@roles_required(*READERS)
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    item = get_for_org_or_404(request, Run.objects.select_related("dataset"), pk=run_id)
    filters = {key: request.GET.get(key, "").strip() for key in ("cell", "abc", "xyz", "q", "sort")}
    rows = selectors.run_rows(
        item,
        cell=filters["cell"],
        abc=filters["abc"],
        xyz=filters["xyz"],
        query=filters["q"],
        sort=filters["sort"] or "rank",
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    profiles = selectors.run_client_profiles(item)
    for row in page:
        row.profile = profiles.get(row.client_id)
        row.rich_ax = bool(
            row.profile and row.abc == "A" and row.xyz == "X" and row.profile["products"] >= selectors.RICH_PRODUCTS
        )
    previous = selectors.run_previous(item)
    query = request.GET.copy()
    query.pop("page", None)
    periods = {"month": pgettext("run periods", "months"), "quarter": pgettext("run periods", "quarters")}
    return render(
        request,
        "segmentation/run.html",
        {
            "run": item,
            "period_label": periods.get(item.params.get("period"), item.params.get("period", "")),
            "matrix": selectors.run_matrix(item, profiles=profiles),
            "profiles": bool(profiles),
            "charts": selectors.run_charts(item),
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "comparison": selectors.run_changes(item, previous),
        },
    )


@roles_required(*READERS)
def run_export(request: HttpRequest, run_id: int) -> HttpResponse:
    item = get_for_org_or_404(request, Run, pk=run_id)
    return xlsx_response(f"abc-xyz-run-{item.pk}.xlsx", [run_sheet(item)])


@roles_required(*ANALYSTS)
def settings_page(request: HttpRequest) -> HttpResponse:
    current = selectors.settings_for(request.organization)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.segmentation_settings_update(organization=request.organization, **form.cleaned_data)
            messages.success(request, _("Settings saved."))
            return redirect("segmentation:settings")
    return render(request, "segmentation/settings.html", {"form": form})
