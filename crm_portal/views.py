"""Views of the core: home, organization switch and settings, invitations, members, jobs, notifications."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import (
    DemoJobForm,
    HolidayForm,
    InvitationAnswerForm,
    InvitationForm,
    MembershipRoleForm,
    OrganizationSettingsForm,
)
from .formtools import error_text, service_errors
from .jobs import job_enqueue
from .models import Holiday, Job, Membership, MembershipInvitation, Role
from .navigation import panels_for
from .selectors import (
    invitation_by_token,
    invitations_for_user,
    jobs_for,
    notification_email_chosen,
    notifications_of,
    organization_invitations,
    organization_members,
)
from .tasks import demo_count_task
from .tenancy import get_for_org_or_404, public_view, roles_required, switch_organization


@roles_required()
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "crm_portal/home.html",
        {
            "panels": panels_for(request, "home_panels"),
            "invitations": invitations_for_user(request.user, now=timezone.now()),
        },
    )


@login_required
def no_organization(request: HttpRequest) -> HttpResponse:
    if request.organization is not None:
        return redirect("home")
    return render(
        request,
        "crm_portal/no_organization.html",
        {"invitations": invitations_for_user(request.user, now=timezone.now())},
    )


@roles_required()
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    try:
        organization_id = int(request.POST.get("organization", ""))
    except ValueError:
        raise Http404 from None
    organization = switch_organization(request, organization_id)
    services.membership_mark_used(user=request.user, organization=organization)
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
        with service_errors(form):
            services.organization_update(
                organization=organization,
                name=data["name"],
                lifecycle_period_months=data["lifecycle_period_months"],
                contact_gap_days=data["contact_gap_days"],
            )
            messages.success(request, _("Settings saved."))
            return redirect("org:settings")
        organization.refresh_from_db()
    return _settings_page(request, form=form)


def _settings_page(request: HttpRequest, *, form=None, holiday_form=None) -> HttpResponse:
    organization = request.organization
    return render(
        request,
        "crm_portal/organization_settings.html",
        {
            "form": form or OrganizationSettingsForm(instance=organization),
            "holiday_form": holiday_form or HolidayForm(),
            "holidays": Holiday.objects.for_org(organization),
            "members": organization_members(organization),
            "invitations": organization_invitations(organization),
            "now": timezone.now(),
            "roles": Role.choices,
        },
    )


@roles_required(Role.ADMIN)
@require_POST
def holiday_add(request: HttpRequest) -> HttpResponse:
    form = HolidayForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            holiday = services.holiday_add(organization=request.organization, **form.cleaned_data)
            when = date_format(holiday.in_leap_year(), "j E")
            messages.success(request, _("Holiday added: %(holiday)s, %(date)s.") % {"holiday": holiday, "date": when})
            return redirect(reverse("org:settings") + "#holidays")
    return _settings_page(request, holiday_form=form)


@roles_required(Role.ADMIN)
@require_POST
def holiday_delete(request: HttpRequest, holiday_id: int) -> HttpResponse:
    services.holiday_delete(holiday=get_for_org_or_404(request, Holiday, pk=holiday_id))
    messages.success(request, _("Holiday removed."))
    return redirect(reverse("org:settings") + "#holidays")


@roles_required(Role.ADMIN)
def member_add(request: HttpRequest) -> HttpResponse:
    """Invite a person: the answer is the same whether or not the login or address exists."""
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_errors(form):
            invitation = services.invitation_create(
                organization=request.organization, invited_by=request.user, invitee=data["invitee"], role=data["role"]
            )
            until = date_format(timezone.localtime(invitation.expires_at), "DATE_FORMAT")
            messages.success(
                request,
                _("Invitation saved (valid until %(date)s). The person becomes a member after accepting it.")
                % {"date": until},
            )
            return redirect("org:settings")
    return render(request, "crm_portal/member_add.html", {"form": form})


@roles_required(Role.ADMIN)
@require_POST
def invitation_revoke(request: HttpRequest, membership_invitation_id: int) -> HttpResponse:
    invitation = get_for_org_or_404(request, MembershipInvitation, pk=membership_invitation_id)
    try:
        services.invitation_revoke(invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("org:settings")


def _answer(request: HttpRequest, invitation: MembershipInvitation, answer: str) -> HttpResponse:
    """Accept or decline for the signed-in person (decline needs no sign-in on a link)."""
    try:
        if answer == InvitationAnswerForm.ACCEPT:
            membership = services.invitation_accept(invitation=invitation, user=request.user)
        else:
            services.invitation_decline(invitation=invitation, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("home")
    if answer == InvitationAnswerForm.ACCEPT:
        switch_organization(request, membership.organization_id)
        messages.success(
            request,
            _("Welcome to %(org)s: you work here as %(role)s.")
            % {"org": membership.organization.name, "role": membership.get_role_display()},
        )
    else:
        messages.info(request, _("Invitation declined."))
    return redirect("home")


@login_required
@require_POST
def invitation_respond(request: HttpRequest) -> HttpResponse:
    """Answer an invitation shown after sign-in (home page, or the page for people without one)."""
    form = InvitationAnswerForm(request.POST)
    if not form.is_valid() or form.cleaned_data["invitation"] is None:
        raise Http404
    invitation = get_object_or_404(
        invitations_for_user(request.user, now=timezone.now()), pk=form.cleaned_data["invitation"]
    )
    return _answer(request, invitation, form.cleaned_data["answer"])


@public_view
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link from the e-mail: answer signed in, decline, or create a login and accept."""
    invitation = invitation_by_token(token)
    if invitation is None or not invitation.is_open(timezone.now()):
        return render(request, "crm_portal/invitation_closed.html", status=404)
    account_form = UserCreationForm()
    if request.method == "POST":
        answer = InvitationAnswerForm(request.POST)
        if answer.is_valid() and (
            request.user.is_authenticated or answer.cleaned_data["answer"] == InvitationAnswerForm.DECLINE
        ):
            return _answer(request, invitation, answer.cleaned_data["answer"])
        account_form = UserCreationForm(request.POST)
        if not request.user.is_authenticated and account_form.is_valid():
            data = account_form.cleaned_data
            with service_errors(account_form):
                user = services.account_create_for_invitation(
                    invitation=invitation, username=data["username"], password=data["password1"]
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                switch_organization(request, invitation.organization_id)
                messages.success(
                    request,
                    _("Welcome to %(org)s: you work here as %(role)s.")
                    % {"org": invitation.organization.name, "role": invitation.get_role_display()},
                )
                return redirect("home")
    return render(
        request,
        "crm_portal/invitation.html",
        {
            "invitation": invitation,
            "account_form": account_form,
            "login_url": reverse("login") + "?next=" + request.path,
        },
    )


@roles_required(Role.ADMIN)
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_for_org_or_404(request, Membership, pk=membership_id)
    form = MembershipRoleForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.membership_change_role(membership=membership, role=form.cleaned_data["role"])
            messages.success(request, _("Role changed."))
            return redirect("org:settings")
    messages.error(request, error_text(form))
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
        {
            "jobs": jobs_for(request.viewer, limit=100),
            "demo_form": DemoJobForm() if request.role == Role.ADMIN else None,
        },
    )


@roles_required()
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_for_org_or_404(request, jobs_for(request.viewer), pk=job_id)
    return render(request, "crm_portal/job_detail.html", {"job": job})


@roles_required()
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress component's polling target: re-rendered until the job finishes.

    Open to every member: other apps' pages show the progress of a colleague's job (a file
    being checked), and the component carries nothing but the state.
    """
    job = get_for_org_or_404(request, Job, pk=job_id)
    return render(request, "crm_portal/partials/job_progress.html", {"job": job})


@roles_required(Role.ADMIN)
@require_POST
def demo_job_start(request: HttpRequest) -> HttpResponse:
    form = DemoJobForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Steps must be a whole number from 1 to 100."))
        return redirect("jobs:list")
    job = job_enqueue(
        organization=request.organization,
        task=demo_count_task,
        user=request.user,
        params={"steps": form.cleaned_data["steps"]},
    )
    return redirect("jobs:detail", job_id=job.pk)


NOTIFICATIONS_PAGE = 25


@roles_required()
def notification_list(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first, unread ones marked; opening one marks it read."""
    page = Paginator(notifications_of(request.viewer), NOTIFICATIONS_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "query": "", "emailed": notification_email_chosen(request.viewer)},
    )


@roles_required()
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of the person's own notifications read and go to what it is about."""
    notification = get_for_org_or_404(request, notifications_of(request.viewer), pk=notification_id)
    services.notifications_read(organization=request.organization, user=request.user, notification=notification)
    if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):  # a path inside the portal only
        return redirect(notification.url)
    return redirect("notifications:list")


@roles_required()
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_read(organization=request.organization, user=request.user)
    return redirect("notifications:list")


@roles_required()
@require_POST
def notification_email(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("enabled") == "1"
    try:
        services.notification_email_set(organization=request.organization, user=request.user, enabled=enabled)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Your notifications will come by e-mail as well.") if enabled else _("No more notification e-mails."),
        )
    return redirect("notifications:list")
