"""Views of the core: home, organization switch and settings, members, jobs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .formtools import form_apply
from .forms import DemoJobForm, MembershipAddForm, MembershipRoleForm, OrganizationSettingsForm
from .jobs import job_enqueue
from .models import Job, Membership, Role
from .navigation import panels_for
from .selectors import jobs_for, organization_members
from .tasks import demo_count_task
from .tenancy import get_for_org_or_404, roles_required, switch_organization


@roles_required()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "crm_portal/home.html", {"panels": panels_for(request, "home_panels")})


@login_required
def no_organization(request: HttpRequest) -> HttpResponse:
    if request.organization is not None:
        return redirect("home")
    return render(request, "crm_portal/no_organization.html")


@roles_required()
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    try:
        organization_id = int(request.POST.get("organization", ""))
    except ValueError:
        raise Http404 from None
    organization = switch_organization(request, organization_id)
    messages.success(request, _("You are now working in %(org)s.") % {"org": organization.name})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "home"
    return redirect(next_url)


@roles_required(Role.ADMIN)
def organization_settings(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    form = OrganizationSettingsForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if form_apply(
            form,
            lambda: services.organization_update(
                organization=organization,
                name=data["name"],
                lifecycle_period_months=data["lifecycle_period_months"],
            ),
        ):
            messages.success(request, _("Settings saved."))
            return redirect("org:settings")
        organization.refresh_from_db()
    return render(
        request,
        "crm_portal/organization_settings.html",
        {
            "form": form,
            "members": organization_members(organization),
            "add_form": MembershipAddForm(),
            "roles": Role.choices,
        },
    )


@roles_required(Role.ADMIN)
def member_add(request: HttpRequest) -> HttpResponse:
    form = MembershipAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if form_apply(
            form,
            lambda: services.membership_add(
                organization=request.organization,
                username=data["username"],
                email=data["email"],
                role=data["role"],
                password=data["password"] or None,
            ),
        ):
            messages.success(request, _("%(user)s added.") % {"user": data["username"]})
            return redirect("org:settings")
    return render(request, "crm_portal/member_add.html", {"form": form})


@roles_required(Role.ADMIN)
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_for_org_or_404(request, Membership, pk=membership_id)
    form = MembershipRoleForm(request.POST)
    if form.is_valid() and form_apply(
        form, lambda: services.membership_change_role(membership=membership, role=form.cleaned_data["role"])
    ):
        messages.success(request, _("Role changed."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("org:settings")


@roles_required(Role.ADMIN)
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_for_org_or_404(request, Membership, pk=membership_id)
    try:
        services.membership_remove(membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Member removed."))
    return redirect("org:settings")


@roles_required()
def job_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "crm_portal/job_list.html",
        {"jobs": jobs_for(request, limit=100), "demo_form": DemoJobForm()},
    )


@roles_required()
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_for_org_or_404(request, Job, pk=job_id)
    return render(request, "crm_portal/job_detail.html", {"job": job})


@roles_required()
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress component's polling target: re-rendered until the job finishes."""
    job = get_for_org_or_404(request, Job, pk=job_id)
    return render(request, "crm_portal/partials/job_progress.html", {"job": job})


@roles_required()
@require_POST
def demo_job_start(request: HttpRequest) -> HttpResponse:
    form = DemoJobForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Steps must be a whole number from 1 to 100."))
        return redirect("jobs:list")
    job = job_enqueue(
        organization=request.organization,
        kind="demo.count",
        task=demo_count_task,
        user=request.user,
        params={"steps": form.cleaned_data["steps"]},
        message=_("Waiting for a worker"),
    )
    return redirect("jobs:detail", job_id=job.pk)
