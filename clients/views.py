"""Pages of the client register. Thin: validate with a form, call a service or a selector, render."""

from dataclasses import replace
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm_portal.formtools import error_text, service_errors
from crm_portal.models import HEADS_AND_ANALYSTS, Job, Role
from crm_portal.navigation import panels_for
from crm_portal.spreadsheets import stored_xlsx_response, xlsx_response
from crm_portal.tenancy import get_for_org_or_404, roles_required, scoped

from . import forms, selectors, services, tasks
from .exports import FIGURE_LABELS, KPI_HEADER, KPI_HELP, client_list_sheet, dashboard_sheets, kpi_sheets
from .lifecycle import month_end
from .models import (
    Client,
    Complaint,
    ComplaintKind,
    ControlPoint,
    Deal,
    LifecycleState,
    Product,
    RefusalReason,
    Stage,
)

EDITORS = (Role.MANAGER, Role.SALES_HEAD, Role.ADMIN)
HEADS = (Role.SALES_HEAD, Role.ADMIN)
PAGE_SIZE = 50
EXPORT_LIMIT = 20000
KPI_CLIENTS_SHOWN = 300


def _client(request: HttpRequest, client_id: int) -> Client:
    return get_for_org_or_404(
        request, selectors.clients_visible_to(request.viewer).select_related("manager", "segment"), pk=client_id
    )


def _managers(request: HttpRequest):
    return selectors.organization_managers(request.organization)


# The list ----------------------------------------------------------------------------------


@roles_required()
def client_list(request: HttpRequest) -> HttpResponse:
    form = forms.ClientFilterForm(request.GET or None, organization=request.organization, managers=_managers(request))
    wanted = form.wanted()
    clients = selectors.client_list(request.viewer, wanted)
    states = dict(LifecycleState.choices)
    if request.GET.get("export") == "xlsx" and not form.errors:
        shown = selectors.attach_states(list(clients[:EXPORT_LIMIT]), wanted.as_of)
        return xlsx_response("clients.xlsx", [client_list_sheet(shown, states)])
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.attach_work(selectors.attach_states(list(page.object_list), wanted.as_of))
    query = request.GET.copy()
    query.pop("page", None)
    without_event = query.copy()
    for name in ("event", "event_start", "event_end"):
        without_event.pop(name, None)
    return render(
        request,
        "clients/client_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "query_without_event": without_event.urlencode(),
            "today": timezone.localdate(),
            "wanted": wanted,
            "states": states,
            "can_edit": selectors.can_edit(request.role),
            "can_recompute": request.role in HEADS_AND_ANALYSTS,
            "can_assign": request.role in HEADS,
            "managers": _managers(request) if request.role in HEADS else [],
        },
    )


@roles_required(*HEADS_AND_ANALYSTS)
@require_POST
def lifecycle_recompute(request: HttpRequest) -> HttpResponse:
    """Queue a recompute of every client's lifecycle state as of today; show the job's progress."""
    job = services.lifecycle_recompute_start(organization=request.organization, user=request.user)
    return redirect("jobs:detail", job_id=job.pk)


@roles_required(*HEADS)
@require_POST
def clients_assign(request: HttpRequest) -> HttpResponse:
    manager = (
        selectors.organization_managers(request.organization).filter(pk=request.POST.get("manager") or None).first()
    )
    try:
        ids = [int(x) for x in request.POST.getlist("client")]
        if manager is None:
            raise ValidationError(_("Choose the manager to give the clients to."))
        moved = services.clients_assign(
            organization=request.organization, client_ids=ids, manager=manager, user=request.user
        )
    except ValueError:
        messages.error(request, _("The list was sent in a broken form; nothing was changed."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            ngettext("%(n)s client given to %(manager)s.", "%(n)s clients given to %(manager)s.", moved)
            % {"n": localize(moved), "manager": manager.username},
        )
    back = request.POST.get("back", "")
    return redirect(reverse("clients:list") + (f"?{back}" if back else ""))


@roles_required(*EDITORS)
def client_create(request: HttpRequest) -> HttpResponse:
    form = forms.ClientForm(
        request.POST or None,
        organization=request.organization,
        managers=_managers(request),
        initial={"manager": request.user.pk if request.role == Role.MANAGER else None},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        products = data.pop("products")
        if request.role == Role.MANAGER:
            data["manager"] = request.user  # a manager's new client is their own
        with service_errors(form):
            client = services.client_create(
                organization=request.organization, user=request.user, products=products, **data
            )
            messages.success(request, _("Client created."))
            return redirect("clients:card", client_id=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "title": _("New client")})


@roles_required(*EDITORS)
def client_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = forms.ClientForm(
        request.POST or None, instance=client, organization=request.organization, managers=_managers(request)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        products = data.pop("products")
        if request.role == Role.MANAGER:
            data.pop("manager")  # only heads reassign clients
        fresh = Client.objects.get(pk=client.pk)
        with service_errors(form):
            services.client_update(client=fresh, user=request.user, products=products, **data)
            messages.success(request, _("Client saved."))
            return redirect("clients:card", client_id=client.pk)
    if request.role == Role.MANAGER:
        form.fields["manager"].disabled = True
    return render(request, "clients/client_form.html", {"form": form, "title": client.name, "client": client})


# The card ----------------------------------------------------------------------------------


@roles_required()
def client_card(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    context = selectors.client_card(client)
    context.update(
        {
            "client": client,
            "can_edit": selectors.can_edit(request.role),
            "card_panels": panels_for(request, "client_card_panels", client),
        }
    )
    return render(request, "clients/client_card.html", context)


def _card_form(request: HttpRequest, form_class: type[Form], form_id: str, **kwargs) -> Form:
    """A small form of the card, bound on POST."""
    form = form_class(request.POST if request.method == "POST" else None, **kwargs)
    # Several of these forms may be open on the card at once: each gets its own field ids, so that
    # every label points at its own field (a settlement's "Date" must not name the contact's date).
    form.auto_id = f"id_{form_id.removesuffix('-form')}_%s"
    return form


def _card_form_page(request: HttpRequest, client: Client, form: Form, *, title: str, form_id: str) -> HttpResponse:
    """GET renders the form (a fragment for htmx); a POST that failed shows its errors."""
    template = "clients/partials/card_form_body.html" if request.htmx else "clients/card_form.html"
    return render(request, template, {"form": form, "client": client, "title": title, "form_id": form_id})


def _card_saved(request: HttpRequest, client: Client, success: str, tab: str) -> HttpResponse:
    messages.success(request, success)
    return redirect(f"{client_url(client)}#{tab}")


def client_url(client: Client) -> str:
    return reverse("clients:card", kwargs={"client_id": client.pk})


@roles_required(*EDITORS)
def person_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = _card_form(request, forms.ContactPersonForm, "person-form")
    if form.is_bound and form.is_valid():
        with service_errors(form):
            services.contact_person_create(client=client, user=request.user, **form.cleaned_data)
            return _card_saved(request, client, _("Contact person added."), tab="persons")
    return _card_form_page(request, client, form, title=_("Add a person"), form_id="person-form")


@roles_required(*EDITORS)
def contact_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = _card_form(request, forms.ContactForm, "contact-form")
    if form.is_bound and form.is_valid():
        with service_errors(form):
            services.contact_create(client=client, author=request.user, **form.cleaned_data)
            return _card_saved(request, client, _("Contact logged."), tab="timeline")
    return _card_form_page(request, client, form, title=_("Log a contact"), form_id="contact-form")


@roles_required(*EDITORS, Role.ANALYST)
def settlement_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = _card_form(request, forms.SettlementForm, "settlement-form", organization=request.organization)
    if form.is_bound and form.is_valid():
        with service_errors(form):
            services.settlement_create(client=client, user=request.user, **form.cleaned_data)
            return _card_saved(request, client, _("Settlement saved."), tab="settlements")
    return _card_form_page(request, client, form, title=_("Enter a settlement"), form_id="settlement-form")


@roles_required(*EDITORS, Role.ANALYST)
@require_POST
def settlement_delete(request: HttpRequest, client_id: int, settlement_id: int) -> HttpResponse:
    client = _client(request, client_id)
    settlement = get_for_org_or_404(request, client.settlements.all(), pk=settlement_id)
    try:
        services.settlement_delete(settlement=settlement, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{client_url(client)}#settlements")
    return _card_saved(request, client, _("Settlement deleted."), tab="settlements")


@roles_required(*EDITORS)
def deal_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = _card_form(request, forms.DealForm, "deal-form", organization=request.organization)
    if form.is_bound and form.is_valid():
        with service_errors(form):
            services.deal_create(client=client, user=request.user, **form.cleaned_data)
            return _card_saved(request, client, _("Deal opened at the presentation stage."), tab="deals")
    return _card_form_page(request, client, form, title=_("Open a deal"), form_id="deal-form")


@roles_required(*EDITORS)
def complaint_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = _card_form(
        request, forms.ComplaintForm, "complaint-form", managers=_managers(request), organization=request.organization
    )
    if form.is_bound and form.is_valid():
        with service_errors(form):
            services.complaint_register(
                organization=request.organization, client=client, author=request.user, **form.cleaned_data
            )
            return _card_saved(request, client, _("Complaint registered."), tab="complaints")
    return _card_form_page(request, client, form, title=_("Register a complaint"), form_id="complaint-form")


@roles_required(*EDITORS)
def assessment_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = _card_form(request, forms.AssessmentForm, "assessment-form", organization=request.organization)
    if form.is_bound and form.is_valid():
        with service_errors(form):
            data = form.cleaned_data
            services.assessment_create(
                client=client,
                scores=data["scores"],
                date=data["date"],
                product=data["product"],
                comment=data["comment"],
                user=request.user,
            )
            return _card_saved(request, client, _("Satisfaction assessment saved."), tab="complaints")
    return _card_form_page(
        request, client, form, title=_("Record a satisfaction assessment (1 to 5)"), form_id="assessment-form"
    )


@roles_required(*EDITORS)
def point_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = _card_form(request, forms.ControlPointForm, "point-form")
    if form.is_bound and form.is_valid():
        with service_errors(form):
            services.control_point_add(client=client, user=request.user, **form.cleaned_data)
            return _card_saved(request, client, _("Control point added."), tab="points")
    return _card_form_page(request, client, form, title=_("Add a control point"), form_id="point-form")


@roles_required(*EDITORS)
def offer_edit(request: HttpRequest, client_id: int, product_id: int) -> HttpResponse:
    client = _client(request, client_id)
    product = get_for_org_or_404(request, Product, pk=product_id)
    offer = client.offers.filter(product=product).first()
    initial = (
        {
            "status": offer.status,
            "status_date": offer.status_date,
            "next_step": offer.next_step,
            "next_step_on": offer.next_step_on,
        }
        if offer
        else {}
    )
    form = forms.OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.offer_set(client=client, product=product, user=request.user, **form.cleaned_data)
            messages.success(request, _("Offer status saved."))
            return redirect(f"{client_url(client)}#offers")
    return render(
        request,
        "clients/card_form.html",
        {"form": form, "client": client, "title": product.name, "form_id": "offer-form"},
    )


# Control points and the day ----------------------------------------------------------------


@roles_required(*EDITORS)
@require_POST
def point_done(request: HttpRequest, control_point_id: int) -> HttpResponse:
    point = get_for_org_or_404(request, selectors.visible_rows(request.viewer, ControlPoint), pk=control_point_id)
    try:
        services.control_point_done(control_point=point, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Marked as done."))
    if request.POST.get("back") == "day":
        return redirect(_day_url(request.POST.get("group", ""), request.POST.get("page", "")))
    return redirect(f"{client_url(point.client)}#points")


DAY_PAGE_SIZE = 25


def _day_url(group: str, page: str) -> str:
    """Back to the group and page of "my day" a point was done from (only known values)."""
    query = {"group": group} if group in (*selectors.DAY_GROUPS, selectors.GIVEN) else {}
    if page.isdigit():
        query["page"] = page
    return reverse("clients:my_day") + (f"?{urlencode(query)}" if query else "")


@roles_required(*EDITORS)
def my_day(request: HttpRequest) -> HttpResponse:
    context = selectors.my_day(request.viewer, group=request.GET.get("group", ""))
    context["page"] = Paginator(context.pop("points"), DAY_PAGE_SIZE).get_page(request.GET.get("page"))
    context["query"] = urlencode({"group": context["group"]})
    context["colleagues"] = list(_managers(request))
    return render(request, "clients/my_day.html", context)


@roles_required(*EDITORS)
@require_POST
def point_assign(request: HttpRequest, control_point_id: int) -> HttpResponse:
    """Give a point to a colleague, from "my day"; back to the same group and page."""
    point = get_for_org_or_404(request, selectors.visible_rows(request.viewer, ControlPoint), pk=control_point_id)
    form = forms.PointAssignForm(request.POST, managers=_managers(request))
    if not form.is_valid():
        messages.error(request, error_text(form))
    else:
        responsible = form.cleaned_data["responsible"]
        try:
            services.control_point_assign(control_point=point, responsible=responsible, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Given to %(who)s.") % {"who": responsible.get_username()})
    return redirect(_day_url(request.POST.get("group", ""), request.POST.get("page", "")))


# Deals -------------------------------------------------------------------------------------


@roles_required()
def deal_board(request: HttpRequest) -> HttpResponse:
    form = forms.DealBoardFilterForm(
        request.GET or None, organization=request.organization, managers=_managers(request)
    )
    wanted = form.wanted()
    # A funnel row drilled into lists the deals that reached its stage; the funnel stays the whole one.
    board = replace(wanted, reached="")
    deals_query = request.GET.copy()
    for name in ("reached", "page"):
        deals_query.pop(name, None)
    context = {
        "form": form,
        "query": request.GET.urlencode(),
        "deals_query": deals_query.urlencode(),
        "funnel": selectors.funnel(request.viewer, board),
        "refusals": selectors.refusals_by_stage(request.viewer, board),
        "stages": Stage,
        "today": timezone.localdate(),
    }
    if wanted.reached:
        rows = selectors.board_deals(request.viewer, wanted).select_related("client").order_by("-created_at", "-id")
        context["reached"] = Stage(wanted.reached).label
        context["page"] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        page_query = request.GET.copy()
        page_query.pop("page", None)
        context["page_query"] = page_query.urlencode()
        return render(request, "clients/deal_board.html", context)
    columns = selectors.deals_by_stage(request.viewer, board)
    if selectors.can_edit(request.role):
        for column in columns:
            for deal in column["deals"]:
                deal.advance_form = forms.DealAdvanceForm(deal=deal, auto_id=f"id_board{deal.pk}_%s")
    context["columns"] = columns
    return render(request, "clients/deal_board.html", context)


def _deal(request: HttpRequest, deal_id: int) -> Deal:
    return get_for_org_or_404(
        request, selectors.visible_rows(request.viewer, Deal).select_related("client", "product"), pk=deal_id
    )


def _deal_page(request: HttpRequest, deal: Deal, **forms_given) -> HttpResponse:
    can_edit = selectors.can_edit(request.role)
    takes_payments = deal.stage in services.PAYING_STAGES and deal.status != Deal.Status.REFUSED
    shown = set()
    if can_edit:
        shown.add("document_form")
        if deal.status == Deal.Status.OPEN:
            shown.update({"advance_form", "refuse_form", "deviation_form"})
        if takes_payments:
            shown.add("payment_form")
        if deal.status == Deal.Status.WON or deal.stage == Stage.CLOSING:
            shown.add("case_form")
    context = {
        **selectors.deal_page(deal),
        "advance_form": forms_given.get("advance_form") or forms.DealAdvanceForm(deal=deal),
        "refuse_form": forms_given.get("refuse_form") or forms.DealRefuseForm(organization=request.organization),
        "deviation_form": forms_given.get("deviation_form") or forms.DealDeviationForm(),
        "document_form": forms_given.get("document_form") or forms.DealDocumentForm(),
        "payment_form": forms_given.get("payment_form") or forms.DealPaymentForm(),
        "case_form": forms_given.get("case_form") or forms.DealCaseForm(),
        "takes_payments": takes_payments,
        "can_edit": can_edit,
        # The refusal of a form the page no longer shows (the deal moved on, or was finished meanwhile).
        "stray_errors": [e for name, form in forms_given.items() if name not in shown for e in form.non_field_errors()],
    }
    return render(request, "clients/deal_detail.html", context)


@roles_required()
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    return _deal_page(request, _deal(request, deal_id))


def _deal_saved(request: HttpRequest, deal: Deal, success: str) -> HttpResponse:
    messages.success(request, success)
    if request.POST.get("back") == "board":
        return _back("clients:deals", forms.DealBoardFilterForm, request.POST.get("board_query", ""), f"deal-{deal.pk}")
    return redirect("clients:deal", deal_id=deal.pk)


def _back(url_name: str, filter_form: type[Form], query: str, anchor: str) -> HttpResponse:
    """Back to a filtered page as it was: only the filter form's own fields are carried over."""
    given = QueryDict(query)
    kept = {key: given[key] for key in filter_form.base_fields if given.get(key)}
    return redirect(reverse(url_name) + (f"?{urlencode(kept)}" if kept else "") + f"#{anchor}")


def _deal_refused(request: HttpRequest, deal: Deal, **form) -> HttpResponse:
    """The deal page again, with the refused form's errors (the deal as it is now)."""
    deal.refresh_from_db()
    return _deal_page(request, deal, **form)


@roles_required(*EDITORS)
@require_POST
def deal_advance(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal(request, deal_id)
    form = forms.DealAdvanceForm(request.POST, deal=deal)
    if form.is_valid():
        with service_errors(form):
            services.deal_advance(deal=deal, user=request.user, **form.cleaned_data)
            return _deal_saved(request, deal, _("Deal moved on."))
    return _deal_refused(request, deal, advance_form=form)


@roles_required(*EDITORS)
@require_POST
def deal_refuse(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal(request, deal_id)
    form = forms.DealRefuseForm(request.POST, organization=request.organization)
    if form.is_valid():
        with service_errors(form):
            services.deal_refuse(deal=deal, user=request.user, **form.cleaned_data)
            return _deal_saved(request, deal, _("Refusal recorded."))
    return _deal_refused(request, deal, refuse_form=form)


@roles_required(*EDITORS)
@require_POST
def deal_document_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal(request, deal_id)
    form = forms.DealDocumentForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.deal_document_add(deal=deal, user=request.user, **form.cleaned_data)
            return _deal_saved(request, deal, _("Document recorded."))
    return _deal_refused(request, deal, document_form=form)


@roles_required(*EDITORS)
@require_POST
def deal_deviation(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal(request, deal_id)
    form = forms.DealDeviationForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.deal_deviation(deal=deal, user=request.user, **form.cleaned_data)
            return _deal_saved(request, deal, _("Recorded."))
    return _deal_refused(request, deal, deviation_form=form)


@roles_required(*EDITORS)
@require_POST
def deal_case(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal(request, deal_id)
    form = forms.DealCaseForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            case = services.deal_case_open(deal=deal, user=request.user, **form.cleaned_data)
            messages.success(request, _("A case is open: %(subject)s.") % {"subject": case.subject})
            return redirect("clients:complaint", complaint_id=case.pk)
    return _deal_refused(request, deal, case_form=form)


@roles_required(*EDITORS)
@require_POST
def deal_payment_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal(request, deal_id)
    form = forms.DealPaymentForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.deal_payment_record(deal=deal, user=request.user, **form.cleaned_data)
            return _deal_saved(request, deal, _("Recorded."))
    return _deal_refused(request, deal, payment_form=form)


# Complaints --------------------------------------------------------------------------------


@roles_required()
def complaint_list(request: HttpRequest) -> HttpResponse:
    """Every visible complaint by status; from a dashboard, those of its clients and period."""
    form = forms.ComplaintListForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {"status": "", "kind": "", "start": None, "end": None}
    # The dashboard's client filter (manager, segment, product, classes) travels with its link.
    wanted = forms.ClientFilterForm(
        request.GET, organization=request.organization, managers=_managers(request)
    ).wanted()
    narrowed = any((wanted.manager, wanted.segment, wanted.product, wanted.abc, wanted.xyz))
    clients = selectors.client_list(request.viewer, wanted) if narrowed else None
    scope = {"clients": clients, "start": data["start"], "end": data["end"], "kind": data["kind"]}
    rows = selectors.complaint_list(request.viewer, data["status"], **scope)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    tab = request.GET.copy()
    for name in ("status", "page"):
        tab.pop(name, None)
    query = tab.copy()
    if data["status"]:
        query["status"] = data["status"]
    kind_tab = tab.copy()  # the kind links keep the period and clients, start over on status and page
    kind_tab.pop("kind", None)
    return render(
        request,
        "clients/complaint_list.html",
        {
            "page": page,
            "status": data["status"],
            "kind": data["kind"],
            "tab_query": tab.urlencode(),
            "kind_query": kind_tab.urlencode(),
            "query": query.urlencode(),
            "period": (data["start"], data["end"]) if data["start"] else None,
            "narrowed": narrowed,
            **selectors.complaint_counts(request.viewer, **scope),
        },
    )


def _complaint(request: HttpRequest, complaint_id: int) -> Complaint:
    return get_for_org_or_404(
        request, selectors.visible_rows(request.viewer, Complaint).select_related("client", "owner"), pk=complaint_id
    )


def _complaint_page(request: HttpRequest, complaint: Complaint, form=None) -> HttpResponse:
    flow = services.COMPLAINT_FLOW
    index = flow.index(complaint.status)
    return render(
        request,
        "clients/complaint_detail.html",
        {
            "complaint": complaint,
            "steps": complaint.steps.select_related("owner", "author"),
            "form": form
            or forms.ComplaintAdvanceForm(
                managers=_managers(request),
                organization=request.organization,
                initial={"owner": complaint.owner_id, "kind": complaint.kind_id},
            ),
            "next_status": Complaint.Status(flow[index + 1]).label if index + 1 < len(flow) else None,
            "flow": [(s, Complaint.Status(s).label, i <= index) for i, s in enumerate(flow)],
            "can_edit": selectors.can_edit(request.role),
        },
    )


@roles_required()
def complaint_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    return _complaint_page(request, _complaint(request, complaint_id))


@roles_required(*EDITORS)
@require_POST
def complaint_advance(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = _complaint(request, complaint_id)
    form = forms.ComplaintAdvanceForm(request.POST, managers=_managers(request), organization=request.organization)
    if form.is_valid():
        with service_errors(form):
            services.complaint_advance(complaint=complaint, user=request.user, **form.cleaned_data)
            messages.success(request, _("Complaint is now: %(status)s.") % {"status": complaint.get_status_display()})
            return redirect("clients:complaint", complaint_id=complaint.pk)
    complaint.refresh_from_db()
    return _complaint_page(request, complaint, form=form)


# Catalogues and the ideal-client matrix -----------------------------------------------------


@roles_required()
def matrix(request: HttpRequest) -> HttpResponse:
    editable = request.role in HEADS
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        return _matrix_save(request)
    return render(
        request,
        "clients/matrix.html",
        {
            **selectors.target_grid(organization=request.organization),
            "editable": editable,
            "name_form": forms.NameForm(),
            "reasons": scoped(request, RefusalReason),
            "complaint_kinds": scoped(request, ComplaintKind),
        },
    )


def _matrix_save(request: HttpRequest) -> HttpResponse:
    """Save the posted grid; a broken one, or one naming another organization's rows, saves nothing."""
    form = forms.MatrixForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            count = services.matrix_save(organization=request.organization, cells=form.cleaned_data["cell"])
            messages.success(request, _("Matrix saved: %(n)s target cells.") % {"n": count})
            return redirect("clients:matrix")
    messages.error(request, error_text(form))
    return redirect("clients:matrix")


@roles_required(*HEADS)
@require_POST
def catalogue_add(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("catalogue")
    creators = {
        "product": services.product_create,
        "segment": services.segment_create,
        "reason": services.refusal_reason_create,
        "complaint_kind": services.complaint_kind_create,
    }
    form = forms.NameForm(request.POST)
    if kind not in creators:
        messages.error(request, _("Unknown list."))
        return redirect("clients:matrix")
    if form.is_valid():
        with service_errors(form):
            creators[kind](organization=request.organization, name=form.cleaned_data["name"])
            messages.success(request, _("Added: %(name)s.") % {"name": form.cleaned_data["name"]})
            return redirect("clients:matrix")
    messages.error(request, error_text(form))
    return redirect("clients:matrix")


# KPIs --------------------------------------------------------------------------------------


@roles_required(*HEADS, Role.ANALYST)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The sales head's page: a period against the one before and a year earlier, for the chosen clients."""
    form = forms.DashboardForm(
        request.GET or {"period": "quarter"},
        organization=request.organization,
        managers=_managers(request),
        today=timezone.localdate(),
    )
    plan_form = forms.RevenuePlanForm(managers=_managers(request)) if request.role in HEADS else None
    if not form.is_valid():
        return render(request, "clients/dashboard.html", {"form": form})
    data = form.cleaned_data
    board = selectors.dashboard(request.viewer, start=data["start"], end=data["end"], wanted=form.wanted())
    if request.GET.get("export") == "xlsx":
        return xlsx_response(f"dashboard-{data['start']}-{data['end']}.xlsx", dashboard_sheets(board))
    query = request.GET.copy()
    for name in ("period", "start", "end", "export"):
        query.pop(name, None)
    # Each number opens the rows behind it: the same filter, and the period (or the chart's month).
    filter_query = query.urlencode()
    period = query.copy()
    period.update({"start": data["start"].isoformat(), "end": data["end"].isoformat()})
    month_lists = [
        f"{reverse('clients:list')}?"
        + urlencode({"event": "bought", "event_start": m["month"], "event_end": month_end(m["month"])})
        + (f"&{filter_query}" if filter_query else "")
        for m in board["months"]
    ]
    return render(
        request,
        "clients/dashboard.html",
        {
            "form": form,
            "start": data["start"],
            "end": data["end"],
            "labels": FIGURE_LABELS,
            "states": dict(LifecycleState.choices),
            "filter_query": filter_query,
            "deals_query": period.urlencode(),
            "complaints_url": f"{reverse('clients:complaints')}?{period.urlencode()}",
            "dashboard_query": request.GET.urlencode(),
            "plan_form": plan_form,
            "panels": panels_for(request, "dashboard_panels"),
            "subscribed": selectors.digest_subscribed(request.viewer),
            "figure_keys": selectors.FIGURES,
            "chart": {
                "months": [m["month"].isoformat() for m in board["months"]],
                "revenue": [m["revenue"] for m in board["months"]],
                "buyers": [m["buyers"] for m in board["months"]],
                "links": month_lists,
            },
            **board,
        },
    )


@roles_required(*services.DIGEST_ROLES)
@require_POST
def digest_subscribe(request: HttpRequest) -> HttpResponse:
    """Subscribe to the weekly digest by e-mail (in the page's language), or unsubscribe."""
    subscribed = request.POST.get("subscribed") == "1"
    try:
        services.digest_subscribe(organization=request.organization, user=request.user, subscribed=subscribed)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("You will get the digest every Monday morning.") if subscribed else _("You will get no more digests."),
        )
    return _back("clients:dashboard", forms.DashboardForm, request.POST.get("dashboard_query", ""), "digest")


@roles_required(*HEADS)
@require_POST
def plan_set(request: HttpRequest) -> HttpResponse:
    """Set a manager's monthly revenue plan from the dashboard, and go back to it as it was."""
    form = forms.RevenuePlanForm(request.POST, managers=_managers(request))
    if form.is_valid():
        with service_errors(form):
            services.revenue_plan_set(organization=request.organization, **form.cleaned_data)
            messages.success(request, _("Plan saved."))
    if form.errors:
        messages.error(request, error_text(form))
    return _back("clients:dashboard", forms.DashboardForm, request.POST.get("dashboard_query", ""), "plans")


def _kpi_period(request: HttpRequest) -> forms.PeriodForm:
    """The KPI period asked for; a missing date means the current quarter's, for the page, its
    parts and the download alike."""
    start, end = selectors.preset_period("quarter", timezone.localdate())
    params = request.GET.copy()
    for name, default in (("start", start), ("end", end)):
        if not params.get(name):
            params[name] = default.isoformat()
    return forms.PeriodForm(params)


@roles_required(*HEADS, Role.ANALYST)
def kpi_products(request: HttpRequest) -> HttpResponse:
    """The KPI page's sales per product, loaded after the page: it reads the period's settlements."""
    form = _kpi_period(request)
    if not form.is_valid():
        return HttpResponse(status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    products = selectors.product_sales_cached(request.viewer, start=start, end=end)
    return render(request, "clients/partials/kpi_products.html", {"products": products})


@roles_required(*HEADS)
@require_POST
def marketing_spend(request: HttpRequest) -> HttpResponse:
    """Enter what a channel cost in a month, from the KPI page, and go back to its period."""
    form = forms.MarketingSpendForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.marketing_spend_set(organization=request.organization, **form.cleaned_data)
            messages.success(request, _("Spending saved."))
    if form.errors:
        messages.error(request, error_text(form))
    period = forms.PeriodForm(request.POST)  # the period the page showed
    query = urlencode({k: v.isoformat() for k, v in period.cleaned_data.items()}) if period.is_valid() else ""
    return redirect(reverse("clients:kpi") + (f"?{query}" if query else "") + "#kpi-channels")


@roles_required(*HEADS, Role.ANALYST)
def kpi(request: HttpRequest) -> HttpResponse:
    """The KPI tables of a period (the current quarter unless dates are given); ?export=xlsx downloads them."""
    form = _kpi_period(request)
    if not form.is_valid():
        return render(request, "clients/kpi.html", {"form": form})
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if request.GET.get("export") == "xlsx":
        data = selectors.kpi_tables_cached(request.viewer, start=start, end=end, limit=None)
        products = selectors.product_sales_cached(request.viewer, start=start, end=end)
        return xlsx_response(f"kpi-{start}-{end}.xlsx", kpi_sheets(data, products))
    data = selectors.kpi_totals_cached(request.viewer, start=start, end=end)
    return render(
        request,
        "clients/kpi.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "columns": [(key, str(label), str(KPI_HELP[key])) for key, label in KPI_HEADER],
            "spend_form": forms.MarketingSpendForm(initial={"month": start}) if request.role in HEADS else None,
            **data,
        },
    )


@roles_required(*HEADS, Role.ANALYST)
def kpi_clients(request: HttpRequest) -> HttpResponse:
    """The KPI page's clients with the largest sales, loaded after the page: a row per client."""
    form = _kpi_period(request)
    if not form.is_valid():
        return HttpResponse(status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    data = selectors.kpi_tables_cached(request.viewer, start=start, end=end, limit=KPI_CLIENTS_SHOWN)
    return render(
        request,
        "clients/partials/kpi_clients.html",
        {"clients_shown": data["clients"], "active_count": data["active_count"]},
    )


@roles_required(*HEADS, Role.ANALYST)
@require_POST
def kpi_export(request: HttpRequest) -> HttpResponse:
    """Queue the KPI spreadsheet of a period as a job; its page links to the file when ready."""
    form = forms.PeriodForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return redirect("clients:kpi")
    job = services.kpi_export_start(
        organization=request.organization,
        user=request.user,
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
    )
    return redirect("jobs:detail", job_id=job.pk)


@roles_required(*HEADS, Role.ANALYST)
def kpi_download(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_for_org_or_404(request, Job, pk=job_id)
    if job.kind != tasks.kpi_export_task.name or job.status != Job.Status.SUCCEEDED:
        return redirect("jobs:detail", job_id=job.pk)  # not a finished export: its page says why
    return stored_xlsx_response(default_storage.open(job.result["file"], "rb"), job.result["filename"])
