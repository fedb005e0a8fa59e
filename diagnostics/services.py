"""Every write of diagnostics: instruments, assessments and answers, actions, CJM and AIDA+L maps."""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm_portal.models import Membership, Organization

from . import loader
from .definition import clean_answer, items_by_key
from .models import (
    Action,
    AidaAction,
    AidaMap,
    AidaPersona,
    Answer,
    Assessment,
    Instrument,
    InstrumentVersion,
    JourneyMap,
    Touchpoint,
)
from .scoring import is_scored

ANSWER_ERRORS = {
    "not_an_option": lambda: _("This answer is not one of the item's options."),
    "one_value": lambda: _("This item takes one answer only."),
    "out_of_scale": lambda: _("The answer is outside the item's scale."),
    "not_a_number": lambda: _("Enter a number."),
    "too_long": lambda: _("The answer is too long (4000 characters at most)."),
}


@transaction.atomic
def instruments_load() -> list[tuple[str, int, bool]]:
    return loader.load(Instrument, InstrumentVersion, loader.read_all())


def _is_member(organization: Organization, user: AbstractBaseUser) -> bool:
    return Membership.objects.filter(organization=organization, user=user).exists()


@transaction.atomic
def assessment_start(*, organization: Organization, author: AbstractBaseUser, instrument: Instrument) -> Assessment:
    version = instrument.latest_version()
    if version is None:
        raise ValidationError(_("This instrument has no version loaded yet."))
    assessment = Assessment(organization=organization, version=version, author=author, started_at=timezone.now())
    assessment.full_clean()
    assessment.save()
    return assessment


def _check_editable(assessment: Assessment, user: AbstractBaseUser) -> None:
    if assessment.is_completed:
        raise ValidationError(_("This assessment is completed and locked; its answers can no longer change."))
    if assessment.author_id != user.pk:
        raise ValidationError(_("Only the author of an assessment can change its answers."))


@transaction.atomic
def answer_save(
    *,
    assessment: Assessment,
    user: AbstractBaseUser,
    item_key: str,
    raw_value,
    comment: str,
    version_hash: str,
) -> Answer:
    """Validate one answer against the item of the assessment's own version and store it."""
    assessment = Assessment.objects.select_for_update().select_related("version").get(pk=assessment.pk)
    _check_editable(assessment, user)
    if version_hash != assessment.version.content_hash:
        raise ValidationError(
            _("This form belongs to another version of the questionnaire. Reload the page; nothing was saved.")
        )
    item = items_by_key(assessment.version.definition).get(item_key)
    if item is None:
        raise ValidationError(_("This question is not part of the questionnaire. Reload the page; nothing was saved."))
    try:
        value = clean_answer(item, raw_value)
    except ValueError as error:
        raise ValidationError(ANSWER_ERRORS[str(error)]()) from None
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError(_("The comment is too long (2000 characters at most)."))
    answer, _created = Answer.objects.get_or_create(
        assessment=assessment, item_key=item_key, defaults={"organization": assessment.organization}
    )
    answer.value = value
    answer.comment = comment
    answer.full_clean()
    answer.save()
    assessment.save(update_fields=["updated_at"])
    return answer


@transaction.atomic
def assessment_complete(*, assessment: Assessment, user: AbstractBaseUser) -> Assessment:
    """Lock the assessment; every scored item must be answered first."""
    assessment = Assessment.objects.select_for_update().select_related("version").get(pk=assessment.pk)
    _check_editable(assessment, user)
    answered = set(Answer.objects.filter(assessment=assessment, value__isnull=False).values_list("item_key", flat=True))
    definition = assessment.version.definition
    required = [key for key, item in items_by_key(definition).items() if is_scored(item) or item["type"] == "text"]
    missing = [key for key in required if key not in answered]
    if missing:
        raise ValidationError(
            ngettext(
                "%(count)d question is still unanswered; answer it before completing.",
                "%(count)d questions are still unanswered; answer them before completing.",
                len(missing),
            )
            % {"count": len(missing)}
        )
    assessment.status = Assessment.Status.COMPLETED
    assessment.completed_at = timezone.now()
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def action_create(
    *,
    assessment: Assessment,
    item_key: str,
    title: str,
    owner: AbstractBaseUser,
    due_date: datetime.date,
    created_by: AbstractBaseUser,
) -> Action:
    if item_key not in items_by_key(assessment.version.definition):
        raise ValidationError(_("This question is not part of the questionnaire."))
    if not _is_member(assessment.organization, owner):
        raise ValidationError({"owner": _("The owner must be a member of the organization.")})
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": _("Choose today or a later day, not a day in the past.")})
    action = Action(
        organization=assessment.organization,
        assessment=assessment,
        item_key=item_key,
        title=title.strip(),
        owner=owner,
        due_date=due_date,
        created_by=created_by,
    )
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_set_status(*, action: Action, status: str) -> Action:
    if status not in Action.Status.values:
        raise ValidationError(_("Unknown status."))
    action.status = status
    action.full_clean()
    action.save(update_fields=["status"])
    return action


# Customer journey maps


@transaction.atomic
def journey_map_create(*, organization: Organization, title: str, persona: str, user: AbstractBaseUser) -> JourneyMap:
    journey_map = JourneyMap(organization=organization, title=title.strip(), persona=persona.strip(), created_by=user)
    journey_map.full_clean()
    journey_map.save()
    return journey_map


@transaction.atomic
def journey_map_copy(*, journey_map: JourneyMap, user: AbstractBaseUser) -> JourneyMap:
    """A new version of the map with copies of its touchpoints; the original stays as it was."""
    latest = JourneyMap.objects.filter(
        organization=journey_map.organization, title=journey_map.title, persona=journey_map.persona
    ).aggregate(Max("version"))["version__max"]
    copy = JourneyMap(
        organization=journey_map.organization,
        title=journey_map.title,
        persona=journey_map.persona,
        version=(latest or journey_map.version) + 1,
        copied_from=journey_map,
        created_by=user,
    )
    copy.full_clean()
    copy.save()
    for touchpoint in journey_map.touchpoints.all():
        touchpoint.pk = None
        touchpoint.journey_map = copy
        touchpoint.save()
    return copy


TOUCHPOINT_FIELDS = ("stage", "name", "channel", "client_action", "emotion", "pains", "owner", "ideas")


@transaction.atomic
def touchpoint_save(*, journey_map: JourneyMap, touchpoint: Touchpoint | None = None, **fields) -> Touchpoint:
    if touchpoint is None:
        last = journey_map.touchpoints.aggregate(Max("position"))["position__max"]
        touchpoint = Touchpoint(
            organization=journey_map.organization,
            journey_map=journey_map,
            position=(last if last is not None else -1) + 1,
        )
    for name in TOUCHPOINT_FIELDS:
        if name in fields:
            setattr(touchpoint, name, fields[name])
    touchpoint.full_clean()
    touchpoint.save()
    return touchpoint


@transaction.atomic
def touchpoint_move(*, touchpoint: Touchpoint, direction: str) -> None:
    """Swap the touchpoint with its neighbour above ("up") or below ("down")."""
    ordered = list(touchpoint.journey_map.touchpoints.select_for_update().order_by("position", "id"))
    index = next(i for i, t in enumerate(ordered) if t.pk == touchpoint.pk)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(ordered):
        raise ValidationError(_("This touchpoint cannot move further."))
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered):
        if item.position != position:
            Touchpoint.objects.filter(pk=item.pk).update(position=position)


@transaction.atomic
def touchpoint_delete(*, touchpoint: Touchpoint) -> None:
    journey_map = touchpoint.journey_map
    touchpoint.delete()
    journey_map.touchpoints.filter(position__gt=touchpoint.position).update(position=F("position") - 1)


# AIDA+L maps


@transaction.atomic
def aida_map_create(*, organization: Organization, title: str, personas: list[str], user: AbstractBaseUser) -> AidaMap:
    aida_map = AidaMap(organization=organization, title=title.strip(), created_by=user)
    aida_map.full_clean()
    aida_map.save()
    for name in personas:
        aida_persona_add(aida_map=aida_map, name=name)
    return aida_map


@transaction.atomic
def aida_persona_add(*, aida_map: AidaMap, name: str) -> AidaPersona:
    name = name.strip()
    if aida_map.personas.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("This map already has a persona with that name.")})
    persona = AidaPersona(organization=aida_map.organization, aida_map=aida_map, name=name)
    persona.full_clean()
    persona.save()
    return persona


@transaction.atomic
def aida_action_add(
    *, aida_map: AidaMap, persona: AidaPersona, stage: str, description: str, owner: str, channel: str
) -> AidaAction:
    if persona.aida_map_id != aida_map.pk:
        raise ValidationError({"persona": _("This persona belongs to another map.")})
    action = AidaAction(
        organization=aida_map.organization,
        aida_map=aida_map,
        persona=persona,
        stage=stage,
        description=description.strip(),
        owner=owner.strip(),
        channel=channel.strip(),
    )
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def aida_action_delete(*, aida_action: AidaAction) -> None:
    aida_action.delete()
