"""Thin views: validate, call a service or a selector, render."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_portal.formtools import service_errors
from crm_portal.models import HEADS_AND_ANALYSTS
from crm_portal.spreadsheets import xlsx_response
from crm_portal.tenancy import get_for_org_or_404, roles_required, scoped

from . import export, labels, selectors, services
from .forms import (
    ActionForm,
    ActionStatusForm,
    AidaActionForm,
    AidaMapForm,
    AidaPersonaForm,
    AnswerForm,
    AssessmentStartForm,
    JourneyMapForm,
    TouchpointForm,
    TouchpointMoveForm,
)
from .models import Action, AidaAction, AidaMap, Assessment, Instrument, JourneyMap, Touchpoint


def _sentence(text: str) -> str:
    """An error as the end of a sentence: "This field is required." -> "this field is required."."""
    text = str(text).strip()
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _error_sentences(form: forms.Form) -> str:
    """Every error of a form as readable sentences: "Due date: this field is required."

    An error of an unlabelled field (the hidden inputs of a button) or of the whole form is shown as it is.
    """
    sentences = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            if label:
                sentences.append(_("%(field)s: %(error)s") % {"field": label, "error": _sentence(error)})
            else:
                sentences.append(str(error))
    return " ".join(sentences)


def _visible_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    return get_for_org_or_404(request, selectors.assessments_visible(request.viewer), pk=assessment_id)


@roles_required()
def index(request: HttpRequest) -> HttpResponse:
    assessments = selectors.assessments_visible(request.viewer)
    return render(
        request,
        "diagnostics/index.html",
        {
            "instruments": selectors.instruments_overview(),
            "may_survey_staff": request.viewer.role in HEADS_AND_ANALYSTS,
            "drafts": assessments.filter(status=Assessment.Status.DRAFT),
            "completed": assessments.filter(status=Assessment.Status.COMPLETED).order_by("-completed_at", "-id"),
        },
    )


@roles_required()
def instrument_detail(request: HttpRequest, code: str) -> HttpResponse:
    """An instrument's versions and the questions of one of them (the latest by default)."""
    instrument = Instrument.objects.filter(code=code).first()
    if instrument is None:
        raise Http404
    versions = selectors.instrument_versions(organization=request.organization, instrument=instrument)
    wanted = request.GET.get("version", "")
    version = next((v for v, _used in versions if str(v.number) == wanted), None) if wanted else versions[0][0]
    if version is None:
        raise Http404
    return render(
        request,
        "diagnostics/instrument.html",
        {
            "instrument": instrument,
            "version": version,
            "versions": versions,
            **selectors.fill_context_of(version.definition),
        },
    )


@roles_required()
@require_POST
def assessment_start(request: HttpRequest) -> HttpResponse:
    form = AssessmentStartForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            assessment = services.assessment_start(
                organization=request.organization, author=request.user, **form.cleaned_data
            )
            return redirect("diagnostics:fill", assessment_id=assessment.pk)
    messages.error(request, _error_sentences(form))
    return redirect("diagnostics:index")


@roles_required()
def assessment_fill(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _visible_assessment(request, assessment_id)
    if assessment.is_completed or assessment.author_id != request.user.pk:
        return redirect("diagnostics:report", assessment_id=assessment.pk)
    return render(request, "diagnostics/fill.html", {"assessment": assessment, **selectors.fill_context(assessment)})


@roles_required()
@require_POST
def answer_save(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Autosave of one item (htmx); a plain POST gets a message and goes back to the form."""
    assessment = _visible_assessment(request, assessment_id)
    form = AnswerForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            data = form.cleaned_data
            services.answer_save(
                assessment=assessment,
                user=request.user,
                item_key=data["item"],
                raw_value=data["value"],
                comment=data["comment"],
                version_hash=data["version"],
            )
    error = _error_sentences(form)
    if request.POST.get("beacon"):
        return HttpResponse(status=204)  # the tab is closing: nobody reads an answer
    if request.htmx:
        return render(
            request,
            "diagnostics/partials/item_status.html",
            {
                "error": error,
                "key": request.POST.get("item", ""),
                "progress": selectors.progress_of(assessment),
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Answer saved."))
    return redirect("diagnostics:fill", assessment_id=assessment.pk)


@roles_required()
@require_POST
def assessment_complete(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _visible_assessment(request, assessment_id)
    try:
        services.assessment_complete(assessment=assessment, user=request.user)
    except ValidationError as error:  # nothing is posted, so there is no form to carry the refusal
        messages.error(request, " ".join(error.messages))
        return redirect("diagnostics:fill", assessment_id=assessment.pk)
    messages.success(request, _("The assessment is completed and locked."))
    return redirect("diagnostics:report", assessment_id=assessment.pk)


@roles_required()
def assessment_report(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _visible_assessment(request, assessment_id)
    may_plan = selectors.may_plan(request.viewer, assessment)
    values, comments = selectors.answers_of(assessment)  # read once for the report and the progress
    return render(
        request,
        "diagnostics/report.html",
        {
            "assessment": assessment,
            "report": selectors.report(assessment, values, comments),
            "may_plan": may_plan,
            "users": selectors.organization_users(request.organization) if may_plan else [],
            "today": timezone.localdate(),
            "progress": selectors.progress_of(assessment, values),
        },
    )


@roles_required()
def assessment_print(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _visible_assessment(request, assessment_id)
    return render(request, "diagnostics/print.html", {"assessment": assessment, "report": selectors.report(assessment)})


@roles_required()
def assessment_export(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _visible_assessment(request, assessment_id)
    filename = f"{assessment.version.instrument.code}-{assessment.pk}.xlsx"
    return xlsx_response(filename, export.sheets(assessment, selectors.report(assessment)))


@roles_required()
def assessment_compare(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _visible_assessment(request, assessment_id)
    earlier = selectors.earlier_assessments(request.viewer, assessment)
    other = None
    wanted = request.GET.get("with", "")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        other = get_for_org_or_404(request, earlier, pk=int(wanted))
    context = {
        "assessment": assessment,
        "earlier": earlier[:50],
        "other": other,
        "title": labels.text(assessment.version.definition["title"]),
    }
    if other is not None:
        older, newer = sorted([other, assessment], key=lambda a: (a.done_at, a.pk))
        context |= {"older": older, "newer": newer, "comparison": selectors.comparison(older, newer)}
    return render(request, "diagnostics/compare.html", context)


@roles_required()
@require_POST
def action_create(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _visible_assessment(request, assessment_id)
    if not selectors.may_plan(request.viewer, assessment):
        messages.error(request, _("Only the author, a sales head or an admin can plan actions for this assessment."))
        return redirect("diagnostics:report", assessment_id=assessment.pk)
    agenda = reverse("diagnostics:report", kwargs={"assessment_id": assessment.pk}) + "#agenda"
    form = ActionForm(request.POST, users=selectors.organization_users(request.organization))
    if form.is_valid():
        with service_errors(form):
            services.action_create(assessment=assessment, created_by=request.user, **form.cleaned_data)
            messages.success(request, _("Action planned for %(user)s.") % {"user": form.cleaned_data["owner"]})
            return redirect(agenda)
    messages.error(request, _("The action was not saved. %(errors)s") % {"errors": _error_sentences(form)})
    return redirect(agenda)


@roles_required()
def actions_mine(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "diagnostics/actions.html",
        {"actions": selectors.my_actions(request.viewer), "today": timezone.localdate()},
    )


@roles_required()
@require_POST
def action_status(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_for_org_or_404(request, Action, pk=action_id)
    if action.owner_id != request.user.pk and request.role not in selectors.SEES_ALL:
        messages.error(request, _("Only the owner can change this action."))
        return redirect("diagnostics:actions")
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.action_set_status(action=action, **form.cleaned_data)
            messages.success(request, _("Action updated."))
            return redirect("diagnostics:actions")
    messages.error(request, _error_sentences(form))
    return redirect("diagnostics:actions")


# Customer journey maps


@roles_required()
def journey_maps(request: HttpRequest) -> HttpResponse:
    form = JourneyMapForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            journey_map = services.journey_map_create(
                organization=request.organization, user=request.user, **form.cleaned_data
            )
            return redirect("diagnostics:journey_map", journey_map_id=journey_map.pk)
    return render(
        request,
        "diagnostics/journey_maps.html",
        {"maps": selectors.journey_map_counts(organization=request.organization), "form": form},
    )


@roles_required()
def journey_map_detail(request: HttpRequest, journey_map_id: int) -> HttpResponse:
    journey_map = get_for_org_or_404(request, JourneyMap, pk=journey_map_id)
    form = TouchpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.touchpoint_save(journey_map=journey_map, **form.cleaned_data)
            messages.success(request, _("Touchpoint added."))
            return redirect("diagnostics:journey_map", journey_map_id=journey_map.pk)
    touchpoints = selectors.touchpoints_of(journey_map)  # one query; the curve and the pains reuse it
    return render(
        request,
        "diagnostics/journey_map.html",
        {
            "map": journey_map,
            "touchpoints": touchpoints,
            "form": form,
            "curve": selectors.emotion_curve(touchpoints),
            "pains": selectors.pains_by_stage(touchpoints),
            "versions": selectors.journey_map_versions(journey_map),
        },
    )


@roles_required()
@require_POST
def journey_map_copy(request: HttpRequest, journey_map_id: int) -> HttpResponse:
    journey_map = get_for_org_or_404(request, JourneyMap, pk=journey_map_id)
    copy = services.journey_map_copy(journey_map=journey_map, user=request.user)
    messages.success(request, _("Version %(number)d started as a copy.") % {"number": copy.version})
    return redirect("diagnostics:journey_map", journey_map_id=copy.pk)


@roles_required()
def touchpoint_edit(request: HttpRequest, touchpoint_id: int) -> HttpResponse:
    touchpoint = get_for_org_or_404(request, Touchpoint.objects.select_related("journey_map"), pk=touchpoint_id)
    form = TouchpointForm(request.POST or None, instance=touchpoint)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            services.touchpoint_save(journey_map=touchpoint.journey_map, touchpoint=touchpoint, **form.cleaned_data)
            messages.success(request, _("Touchpoint saved."))
            return redirect("diagnostics:journey_map", journey_map_id=touchpoint.journey_map_id)
    return render(request, "diagnostics/touchpoint_edit.html", {"touchpoint": touchpoint, "form": form})


@roles_required()
@require_POST
def touchpoint_move(request: HttpRequest, touchpoint_id: int) -> HttpResponse:
    touchpoint = get_for_org_or_404(request, Touchpoint.objects.select_related("journey_map"), pk=touchpoint_id)
    form = TouchpointMoveForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.touchpoint_move(touchpoint=touchpoint, **form.cleaned_data)
            return redirect("diagnostics:journey_map", journey_map_id=touchpoint.journey_map_id)
    messages.error(request, _error_sentences(form))
    return redirect("diagnostics:journey_map", journey_map_id=touchpoint.journey_map_id)


@roles_required()
@require_POST
def touchpoint_delete(request: HttpRequest, touchpoint_id: int) -> HttpResponse:
    touchpoint = get_for_org_or_404(request, Touchpoint.objects.select_related("journey_map"), pk=touchpoint_id)
    journey_map_id = touchpoint.journey_map_id
    services.touchpoint_delete(touchpoint=touchpoint)
    messages.success(request, _("Touchpoint deleted."))
    return redirect("diagnostics:journey_map", journey_map_id=journey_map_id)


# AIDA+L maps


@roles_required()
def aida_maps(request: HttpRequest) -> HttpResponse:
    form = AidaMapForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            aida_map = services.aida_map_create(
                organization=request.organization, user=request.user, **form.cleaned_data
            )
            return redirect("diagnostics:aida_map", aida_map_id=aida_map.pk)
    return render(request, "diagnostics/aida_maps.html", {"maps": scoped(request, AidaMap), "form": form})


def _aida_page(request: HttpRequest, aida_map: AidaMap, *, persona_form=None, action_form=None) -> HttpResponse:
    return render(
        request,
        "diagnostics/aida_map.html",
        {
            "map": aida_map,
            "matrix": selectors.aida_matrix(aida_map),
            "persona_form": persona_form or AidaPersonaForm(),
            "action_form": action_form or AidaActionForm(aida_map=aida_map),
        },
    )


@roles_required()
def aida_map_detail(request: HttpRequest, aida_map_id: int) -> HttpResponse:
    return _aida_page(request, get_for_org_or_404(request, AidaMap, pk=aida_map_id))


@roles_required()
@require_POST
def aida_persona_add(request: HttpRequest, aida_map_id: int) -> HttpResponse:
    aida_map = get_for_org_or_404(request, AidaMap, pk=aida_map_id)
    form = AidaPersonaForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.aida_persona_add(aida_map=aida_map, **form.cleaned_data)
            messages.success(request, _("Persona added."))
            return redirect("diagnostics:aida_map", aida_map_id=aida_map.pk)
    return _aida_page(request, aida_map, persona_form=form)


@roles_required()
@require_POST
def aida_action_add(request: HttpRequest, aida_map_id: int) -> HttpResponse:
    aida_map = get_for_org_or_404(request, AidaMap, pk=aida_map_id)
    form = AidaActionForm(request.POST, aida_map=aida_map)
    if form.is_valid():
        with service_errors(form):
            services.aida_action_add(aida_map=aida_map, **form.cleaned_data)
            messages.success(request, _("Action added."))
            return redirect("diagnostics:aida_map", aida_map_id=aida_map.pk)
    return _aida_page(request, aida_map, action_form=form)


@roles_required()
@require_POST
def aida_action_delete(request: HttpRequest, aida_action_id: int) -> HttpResponse:
    aida_action = get_for_org_or_404(request, AidaAction, pk=aida_action_id)
    aida_map_id = aida_action.aida_map_id
    services.aida_action_delete(aida_action=aida_action)
    messages.success(request, _("Action deleted."))
    return redirect("diagnostics:aida_map", aida_map_id=aida_map_id)
