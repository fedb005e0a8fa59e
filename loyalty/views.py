"""Loyalty pages: overview, campaigns, the respondent's page, IQS scorecards, the programme."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import localize
from django.utils.http import urlencode
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Product
from clients.selectors import EDITOR_ROLES, clients_visible_to, organization_managers
from crm_portal.formtools import service_errors
from crm_portal.models import HEADS_AND_ANALYSTS, Role
from crm_portal.spreadsheets import csv_response, xlsx_response
from crm_portal.tenancy import get_for_org_or_404, public_view, roles_required, scoped

from . import exports, ledger, questionnaire, selectors, services, tasks, throttle
from .forms import (
    CampaignForm,
    CriterionForm,
    GradeForm,
    InterviewForm,
    MetricsRunForm,
    ProgrammeForm,
    ProgrammeToolForm,
    RedeemForm,
    ScorecardForm,
    TierForm,
)
from .models import Campaign, Invitation, MetricValue, Programme, ProgrammeTool, Scorecard, Tier

HEADS = (Role.SALES_HEAD, Role.ADMIN)
ACCOUNTS_PER_PAGE = 50
NO_EMAIL_SHOWN = 50
# Form prefixes: a page with two forms tells which one was posted by the prefix of its fields.
CRITERION, GRADE, PROGRAMME, TIER, TOOL = "criterion", "grade", "programme", "tier", "tool"


def _period(request: HttpRequest) -> str:
    period = request.GET.get("period", MetricValue.PeriodKind.MONTH)
    return period if period in MetricValue.PeriodKind.values else MetricValue.PeriodKind.MONTH


# Overview ------------------------------------------------------------------------------------


@roles_required()
def overview(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer
    period = _period(request)
    labels = selectors.metric_labels(viewer.role)  # only the figures the role may read
    metric = request.GET.get("metric", "nps")
    if metric not in labels:
        metric = "nps"
    series = selectors.trends(viewer, period)
    cards = selectors.latest_values(viewer, period, series)
    return render(
        request,
        "loyalty/overview.html",
        {
            "period": period,
            "periods": MetricValue.PeriodKind.choices,
            "cards": cards,
            "has_metrics": any(card["value"] is not None for card in cards),
            "chart": {"series": series, "labels": labels, "slices": selectors.slice_trends(viewer, period, metric)},
            "nps_split": selectors.distribution(viewer, "nps"),
            "enps_split": selectors.distribution(viewer, "enps"),
            "comments": selectors.latest_comments(viewer),
            "breakdown_metric": metric,
            "breakdown_label": labels[metric],
            "breakdown": selectors.breakdown(viewer, period, metric),
            "metric_choices": list(labels.items()),
            "dimensions": selectors.dimension_labels(),
            "run_form": MetricsRunForm(initial={"period_kind": period}),
            "job": selectors.latest_job(organization=request.organization, kind=tasks.metrics_task.name),
            "can_run": request.role in HEADS_AND_ANALYSTS,
        },
    )


@roles_required(*HEADS_AND_ANALYSTS)
@require_POST
def metrics_start(request: HttpRequest) -> HttpResponse:
    form = MetricsRunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a month or a quarter."))
        return redirect("loyalty:overview")
    period = form.cleaned_data["period_kind"]
    services.metrics_start(organization=request.organization, period_kind=period, user=request.user)
    messages.info(request, _("The metrics are being computed; the page shows the progress."))
    return redirect(reverse("loyalty:overview") + f"?period={period}")


# Campaigns -----------------------------------------------------------------------------------


@roles_required(*HEADS_AND_ANALYSTS)
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = selectors.campaigns_with_rates(organization=request.organization)
    return render(
        request,
        "loyalty/campaign_list.html",
        {
            "campaigns": campaigns,
            "product_items": selectors.product_survey_items(request.organization, get_language() or "en"),
            "may_choose_items": request.role in (Role.SALES_HEAD, Role.ADMIN),
        },
    )


@roles_required(Role.SALES_HEAD, Role.ADMIN)
@require_POST
def product_items(request: HttpRequest) -> HttpResponse:
    """Save which items each product's satisfaction questionnaire asks (one form for every product)."""
    products = Product.objects.filter(organization=request.organization).values_list("pk", flat=True)
    chosen = {pk: request.POST.getlist(f"items-{pk}") for pk in products}
    try:
        services.product_survey_items_set(organization=request.organization, items=chosen)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The product questionnaires are saved; new surveys ask these items."))
    return redirect(reverse("loyalty:campaign_list") + "#product-items")


@roles_required(*HEADS_AND_ANALYSTS)
def campaign_new(request: HttpRequest) -> HttpResponse:
    # ?kind= preselects the questionnaire: the diagnostics catalogue sends staff surveys here.
    form = CampaignForm(
        request.POST or None, organization=request.organization, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            campaign = services.campaign_start(
                organization=request.organization, user=request.user, **form.cleaned_data
            )
            links = campaign.invitations.count()
            messages.success(
                request,
                ngettext(
                    "The campaign has started: %(n)s personal link was created.",
                    "The campaign has started: %(n)s personal links were created.",
                    links,
                )
                % {"n": localize(links)},
            )
            return redirect("loyalty:campaign_detail", campaign_id=campaign.pk)
    return render(request, "loyalty/campaign_new.html", {"form": form})


@roles_required(*HEADS_AND_ANALYSTS)
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaigns = Campaign.objects.select_related("product", "filter_segment", "filter_manager")
    campaign = get_for_org_or_404(request.viewer, campaigns, pk=campaign_id)
    summary = selectors.campaign_summary(campaign)
    invitations = campaign.invitations.order_by("respondent", "id")
    responses = campaign.responses.select_related("client", "complaint").order_by("-answered_on", "-id")[:50]
    main = questionnaire.main_question(campaign.questionnaire)
    no_email = selectors.links_without_email(campaign)
    return render(
        request,
        "loyalty/campaign_detail.html",
        {
            "campaign": campaign,
            "summary": summary,
            "invitations": invitations[:200],
            "invitation_count": summary["sent"],
            "responses": responses,
            "question": questionnaire.localized(main["text"], get_language() or "en"),
            "questions": selectors.question_results(campaign, get_language() or "en"),
            "histogram": _histogram(summary),
            "no_email_count": len(no_email),
            "no_email": no_email[:NO_EMAIL_SHOWN],
            "send_job": selectors.latest_send_job(campaign),
        },
    )


def _histogram(summary: dict) -> dict:
    """Bars per score; scores that open a case are red, the top of an NPS scale green."""
    low, high = summary["scale"]
    x = list(range(low, high + 1))
    colors = []
    for value in x:
        if summary["low_at_most"] is not None and value <= summary["low_at_most"]:
            colors.append("#dc3545")
        elif summary["metric"] in ("nps", "enps") and value >= 9:
            colors.append("#198754")
        else:
            colors.append("#6c757d")
    return {"x": x, "y": summary["histogram"], "colors": colors}


@roles_required(*HEADS_AND_ANALYSTS)
def campaign_links(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The personal links as .xlsx or .csv for a mailing; `pending=1` keeps only non-respondents."""
    campaign = get_for_org_or_404(request.viewer, Campaign, pk=campaign_id)
    pending = request.GET.get("pending") == "1"
    sheet = exports.link_sheet(campaign, base_url=request.build_absolute_uri("/"), pending_only=pending)
    if request.GET.get("format") == "csv":
        return csv_response(f"campaign-{campaign.pk}-links.csv", sheet)
    return xlsx_response(f"campaign-{campaign.pk}-links.xlsx", [sheet])


@roles_required(*HEADS_AND_ANALYSTS)
@require_POST
def campaign_send(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """E-mail the links not sent yet, in a background job (a campaign can have thousands)."""
    campaign = get_for_org_or_404(request.viewer, Campaign, pk=campaign_id)
    if campaign.closed_at:
        messages.error(request, _("The campaign is closed: its links are not sent any more."))
        return redirect("loyalty:campaign_detail", campaign_id=campaign.pk)
    running = selectors.latest_send_job(campaign)
    if running is not None and not running.is_finished:
        messages.info(request, _("The links are already being sent; the page shows the progress."))
        return redirect("loyalty:campaign_detail", campaign_id=campaign.pk)
    services.send_links_start(campaign=campaign, user=request.user)
    messages.success(request, _("The links are being sent by e-mail; the page shows the progress."))
    return redirect("loyalty:campaign_detail", campaign_id=campaign.pk)


@roles_required(*HEADS_AND_ANALYSTS)
@require_POST
def campaign_remind(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_for_org_or_404(request.viewer, Campaign, pk=campaign_id)
    count = services.invitations_remind(campaign=campaign)
    messages.success(
        request,
        ngettext(
            "%(n)s link is due for a reminder; export the non-respondents to send them.",
            "%(n)s links are due for a reminder; export the non-respondents to send them.",
            count,
        )
        % {"n": localize(count)},
    )
    return redirect("loyalty:campaign_detail", campaign_id=campaign.pk)


@roles_required(*HEADS_AND_ANALYSTS)
@require_POST
def campaign_close(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_for_org_or_404(request.viewer, Campaign, pk=campaign_id)
    services.campaign_close(campaign=campaign)
    messages.success(request, _("The campaign is closed; its links no longer take answers."))
    return redirect("loyalty:campaign_detail", campaign_id=campaign.pk)


# The respondent's page (no login) -------------------------------------------------------------


def _link_page(request: HttpRequest, state: str, campaign: Campaign | None = None) -> HttpResponse:
    status = {"unknown": 404, "answered": 200, "expired": 410, "closed": 410, "throttled": 429}[state]
    return render(request, "loyalty/respond_closed.html", {"state": state, "campaign": campaign}, status=status)


def _questions(campaign: Campaign, language: str, data=None, errors=None) -> list[dict]:
    items = []
    for question in campaign.questionnaire["questions"]:
        item = {
            **question,
            "label": questionnaire.localized(question["text"], language),
            "low_label": questionnaire.localized(question.get("low"), language),
            "high_label": questionnaire.localized(question.get("high"), language),
            "value": (data or {}).get(question["code"], ""),
            "error": (errors or {}).get(question["code"]),
            "required": bool(question.get("metric")),
        }
        if question["type"] == "scale":
            item["points"] = [str(v) for v in range(question["min"], question["max"] + 1)]
        if question["type"] == "text":
            item["max_length"] = questionnaire.MAX_TEXT
        if question["type"] == "choice":
            item["choices"] = [(o["value"], questionnaire.localized(o, language)) for o in question["options"]]
        items.append(item)
    return items


@public_view
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """A respondent's personal link: one answer, then a thank-you; no login, fit for a phone."""
    invitation = services.invitation_by_token(token, Invitation.objects.select_related("campaign"))
    # Answers and token guesses count against the address; answers also against their link.
    if (request.method == "POST" or invitation is None) and not throttle.allow(
        request, link_id=invitation.pk if invitation else None
    ):
        return _link_page(request, "throttled")
    state = services.link_state(invitation)
    if state != "open":
        return _link_page(request, state, invitation.campaign if invitation else None)
    campaign = invitation.campaign
    language = get_language() or "en"
    errors = {}
    if request.method == "POST":
        try:
            response, errors = services.response_submit(token=token, data=request.POST, language=language)
        except services.LinkUnusable as unusable:
            return _link_page(request, unusable.reason, campaign)
        if response is not None:
            return redirect("loyalty:respond", token=token)
    return render(
        request,
        "loyalty/respond.html",
        {
            "campaign": campaign,
            "title": questionnaire.localized(campaign.questionnaire.get("title"), language),
            "intro": questionnaire.localized(campaign.questionnaire.get("intro"), language),
            "questions": _questions(campaign, language, request.POST if request.method == "POST" else None, errors),
            "has_errors": bool(errors),
        },
        status=400 if errors else 200,
    )


# IQS -----------------------------------------------------------------------------------------


@roles_required(*selectors.METRIC_ROLES["iqs"])
def scorecard_list(request: HttpRequest) -> HttpResponse:
    form = ScorecardForm(request.POST or None)
    if request.method == "POST":
        if request.role not in HEADS:
            raise PermissionDenied
        if form.is_valid():
            with service_errors(form):
                scorecard = services.scorecard_create(organization=request.organization, **form.cleaned_data)
                return redirect("loyalty:scorecard_detail", scorecard_id=scorecard.pk)
    return render(
        request,
        "loyalty/scorecard_list.html",
        {
            "scorecards": scoped(request.viewer, Scorecard).order_by("name"),
            "form": form,
            "iqs": selectors.iqs_by_manager(request.viewer),
            "can_edit": request.role in HEADS,
        },
    )


@roles_required(*selectors.METRIC_ROLES["iqs"])
def scorecard_detail(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    """A scorecard's criteria and grades; the heads post either of its two forms to it."""
    scorecard = get_for_org_or_404(request.viewer, Scorecard, pk=scorecard_id)
    choice = _client_choice(request)
    if request.method != "POST":
        return _scorecard_page(request, scorecard, choice)
    if request.role not in HEADS:
        raise PermissionDenied
    if _sent(request, CRITERION):
        return _criterion_add(request, scorecard, choice)
    return _dialogue_grade(request, scorecard, choice)


def _sent(request: HttpRequest, prefix: str) -> bool:
    """Whether the POST is the form with this prefix: every field of a form is sent as `<prefix>-<name>`."""
    return any(key.startswith(f"{prefix}-") for key in request.POST)


def _criterion_add(request: HttpRequest, scorecard: Scorecard, choice: dict) -> HttpResponse:
    form = CriterionForm(request.POST, prefix=CRITERION)
    if form.is_valid():
        with service_errors(form):
            services.criterion_add(scorecard=scorecard, **form.cleaned_data)
            messages.success(request, _("Criterion added."))
            return redirect("loyalty:scorecard_detail", scorecard_id=scorecard.pk)
    return _scorecard_page(request, scorecard, choice, criterion_form=form)


def _dialogue_grade(request: HttpRequest, scorecard: Scorecard, choice: dict) -> HttpResponse:
    form = GradeForm(request.POST, scorecard=scorecard, prefix=GRADE, **choice)
    if form.is_valid():
        data = form.cleaned_data
        with service_errors(form):
            grade = services.dialogue_grade(
                scorecard=scorecard,
                manager=data["manager"],
                graded_by=request.user,
                graded_on=data["graded_on"],
                marks=form.marks(),
                client=data["client"],
                note=data["note"],
            )
            messages.success(request, _("Dialogue graded: IQS %(iqs)s%%.") % {"iqs": grade.iqs})
            return redirect("loyalty:scorecard_detail", scorecard_id=scorecard.pk)
    return _scorecard_page(request, scorecard, choice, grade_form=form)


def _scorecard_page(
    request: HttpRequest,
    scorecard: Scorecard,
    choice: dict,
    *,
    criterion_form: CriterionForm | None = None,
    grade_form: GradeForm | None = None,
) -> HttpResponse:
    """The scorecard page; the form that was posted comes with its errors, the other one empty."""
    if criterion_form is None:
        criterion_form = CriterionForm(prefix=CRITERION)
    if grade_form is None:
        grade_form = GradeForm(scorecard=scorecard, prefix=GRADE, **choice)
    return render(
        request,
        "loyalty/scorecard_detail.html",
        {
            "scorecard": scorecard,
            **choice,
            "managers": grade_form.fields["manager"].queryset if request.role in HEADS else [],
            "criteria": scorecard.criteria.all(),
            "grades": scorecard.grades.select_related("manager", "client", "graded_by")[:50],
            "criterion_form": criterion_form,
            "grade_form": grade_form,
            "can_edit": request.role in HEADS,
        },
    )


def _client_choice(request: HttpRequest) -> dict:
    """The GET filter of the grading form's client drop-down: a manager of the organization and a name search."""
    user_id = request.GET.get("manager")
    manager = None
    if user_id and user_id.isdigit():
        manager = organization_managers(request.organization).filter(pk=int(user_id)).first()
    return {"client_manager": manager, "client_search": (request.GET.get("q") or "").strip()[:100]}


# The loyalty programme -----------------------------------------------------------------------


@roles_required()
def programme(request: HttpRequest) -> HttpResponse:
    """The programme, its tiers and the point balances; the heads post either of its two forms to it."""
    current = selectors.programme_of(organization=request.organization)
    if request.method != "POST":
        return _programme_page(request, current)
    if request.role not in HEADS:
        raise PermissionDenied
    if _sent(request, TIER):
        return _tier_add(request, current)
    if _sent(request, TOOL):
        return _tool_add(request, current)
    return _programme_save(request, current)


def _programme_save(request: HttpRequest, current: Programme | None) -> HttpResponse:
    form = ProgrammeForm(request.POST, instance=current, prefix=PROGRAMME)
    if form.is_valid():
        with service_errors(form):
            ledger.programme_save(organization=request.organization, **form.cleaned_data)
            messages.success(request, _("Programme saved."))
            return redirect("loyalty:programme")
    return _programme_page(request, current, form=form)


def _tier_add(request: HttpRequest, current: Programme | None) -> HttpResponse:
    form = TierForm(request.POST, prefix=TIER)
    if current is None:
        form.add_error(None, _("Set up the programme before its tiers."))
    elif form.is_valid():
        with service_errors(form):
            ledger.tier_save(programme=current, **form.cleaned_data)
            messages.success(request, _("Tier saved."))
            return redirect("loyalty:programme")
    return _programme_page(request, current, tier_form=form)


def _tool_add(request: HttpRequest, current: Programme | None) -> HttpResponse:
    form = ProgrammeToolForm(request.POST, prefix=TOOL, programme=current)
    if current is None:
        form.add_error(None, _("Set up the programme before its tools."))
    elif form.is_valid():
        with service_errors(form):
            ledger.programme_tool_save(programme=current, **form.cleaned_data)
            messages.success(request, _("Tool added."))
            return redirect(reverse("loyalty:programme") + "#programme-tools")
    return _programme_page(request, current, tool_form=form)


def _programme_page(
    request: HttpRequest,
    current: Programme | None,
    *,
    form: ProgrammeForm | None = None,
    tier_form: TierForm | None = None,
    tool_form: ProgrammeToolForm | None = None,
) -> HttpResponse:
    """The programme page; the form that was posted comes with its errors, the other one empty."""
    if form is None:
        form = ProgrammeForm(instance=current, prefix=PROGRAMME)
    if tier_form is None:
        tier_form = TierForm(prefix=TIER)
    if tool_form is None:
        tool_form = ProgrammeToolForm(prefix=TOOL, programme=current)
    search = (request.GET.get("q") or "").strip()[:100]
    page = Paginator(selectors.point_balances(request.viewer, search), ACCOUNTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "loyalty/programme.html",
        {
            "programme": current,
            "form": form,
            "tier_form": tier_form,
            "tiers": current.tiers.all() if current else [],
            "tool_form": tool_form,
            "tools": selectors.programme_tools(current),
            "accounts": page.object_list,
            "page": page,
            "search": search,
            "query": urlencode({"q": search}) if search else "",
            "account_count": page.paginator.count,
            "job": selectors.latest_job(organization=request.organization, kind=tasks.points_task.name),
            "can_edit": request.role in HEADS,
        },
    )


@roles_required(*HEADS)
@require_POST
def tier_delete(request: HttpRequest, tier_id: int) -> HttpResponse:
    try:
        ledger.tier_delete(tier=get_for_org_or_404(request.viewer, Tier, pk=tier_id))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Tier removed."))
    return redirect("loyalty:programme")


@roles_required(*HEADS)
@require_POST
def tool_delete(request: HttpRequest, programme_tool_id: int) -> HttpResponse:
    get_for_org_or_404(request.viewer, ProgrammeTool, pk=programme_tool_id).delete()
    messages.success(request, _("Tool removed."))
    return redirect(reverse("loyalty:programme") + "#programme-tools")


@roles_required(*HEADS_AND_ANALYSTS)
@require_POST
def points_start(request: HttpRequest) -> HttpResponse:
    if selectors.programme_of(organization=request.organization) is None:
        messages.error(request, _("Set up the loyalty programme first."))
        return redirect("loyalty:programme")
    services.points_start(organization=request.organization, user=request.user)
    return redirect("loyalty:programme")


@roles_required(Role.MANAGER, *HEADS)
def point_account(request: HttpRequest, point_account_id: int) -> HttpResponse:
    account = get_for_org_or_404(request.viewer, selectors.accounts_visible_to(request.viewer), pk=point_account_id)
    form = RedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        points = form.cleaned_data["points"]
        with service_errors(form):
            ledger.points_redeem(
                client=account.client, points=points, user=request.user, note=form.cleaned_data["note"]
            )
            messages.success(
                request, ngettext("%(n)s point redeemed.", "%(n)s points redeemed.", points) % {"n": localize(points)}
            )
            return redirect("loyalty:point_account", point_account_id=account.pk)
        account.refresh_from_db()
    return render(
        request,
        "loyalty/point_account.html",
        {
            "account": account,
            "movements": selectors.movements_of(account, 200),
            "form": form,
        },
    )


# Interviews on the client card ----------------------------------------------------------------


@roles_required(*EDITOR_ROLES)
def interview_add(request: HttpRequest, client_id: int) -> HttpResponse:
    """The win-over interview's guide on a client's card (a fragment for htmx); its answers saved."""
    client = get_for_org_or_404(request, clients_visible_to(request.viewer), pk=client_id)
    kind = questionnaire.INTERVIEW_KINDS[0]
    guide = questionnaire.load(kind)
    form = InterviewForm(request.POST or None, guide=guide, language=get_language())
    form.auto_id = "id_interview_%s"
    if form.is_bound and form.is_valid():
        with service_errors(form):
            services.interview_record(
                client=client,
                kind=kind,
                data=form.answers(),
                held_on=form.cleaned_data["held_on"],
                user=request.user,
            )
            messages.success(request, _("Interview recorded."))
            return redirect(reverse("clients:card", kwargs={"client_id": client.pk}) + "#panel-client-loyalty")
    # The card's own small-form templates: the fragment on the card, the page after a refused POST.
    template = "clients/partials/card_form_body.html" if request.htmx else "clients/card_form.html"
    title = questionnaire.localized(guide["title"], get_language())
    return render(request, template, {"form": form, "client": client, "title": title, "form_id": "interview-form"})
