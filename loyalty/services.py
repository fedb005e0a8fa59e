"""Writes of the survey side: campaigns, personal links, answers, closing the loop, IQS grades."""

import datetime
import logging
import re
import secrets
from collections.abc import Collection, Mapping

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients import lifecycle
from clients.lifecycle import months_before
from clients.models import Client, Complaint, ContactPerson, ControlPoint, Product, Segment, Settlement
from clients.selectors import organization_managers
from clients.services import complaint_register, control_point_create
from crm_portal.jobs import job_enqueue
from crm_portal.models import Job, Membership, Organization
from crm_portal.validators import one_line, single_line_fields

from . import metrics, questionnaire, tasks
from .models import (
    Campaign,
    DialogueGrade,
    Interview,
    Invitation,
    ProductSurvey,
    Response,
    Scorecard,
    ScorecardCriterion,
)

logger = logging.getLogger(__name__)

EMPLOYEE_KINDS = {Campaign.Kind.ENPS}


def months_after(day: datetime.date, months: int) -> datetime.date:
    return months_before(day, -months)


def _save(obj) -> None:
    obj.full_clean()
    obj.save()


TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def invitation_by_token(token: str, queryset=None) -> Invitation | None:
    """The link with this token; None for anything that cannot be one of our tokens."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    return (queryset if queryset is not None else Invitation.objects).filter(token=token).first()


# Campaigns and personal links ---------------------------------------------------------------


def campaign_targets(campaign: Campaign) -> QuerySet:
    """The clients (or the memberships, for employee surveys) a campaign goes to."""
    if campaign.is_employee_survey:
        return Membership.objects.filter(organization_id=campaign.organization_id).select_related("user")
    clients = Client.objects.filter(organization_id=campaign.organization_id)
    if campaign.complaint_id:
        return clients.filter(pk=campaign.complaint.client_id)
    if campaign.filter_segment_id:
        clients = clients.filter(segment_id=campaign.filter_segment_id)
    if campaign.filter_abc_class:
        clients = clients.filter(abc_class=campaign.filter_abc_class)
    if campaign.filter_lifecycle_state:
        clients = clients.filter(lifecycle_state=campaign.filter_lifecycle_state)
    if campaign.filter_manager_id:
        clients = clients.filter(manager_id=campaign.filter_manager_id)
    if campaign.product_id:
        clients = clients.filter(Q(products=campaign.product_id) | Q(settlements__product=campaign.product_id))
    return clients.distinct().order_by("name", "id")


def _emails(client_ids: list[int]) -> dict[int, str]:
    emails: dict[int, str] = {}
    for client_id, email in (
        ContactPerson.objects.filter(client_id__in=client_ids)
        .exclude(email="")
        .order_by("id")
        .values_list("client_id", "email")
    ):
        emails.setdefault(client_id, email)
    return emails


def _invitations_create(campaign: Campaign, only_clients: Collection[int] | None = None) -> int:
    expires = timezone.now() + datetime.timedelta(days=campaign.valid_days)
    targets = campaign_targets(campaign)
    if only_clients is not None:
        targets = targets.filter(pk__in=only_clients)
    targets = list(targets)
    if not targets:
        raise ValidationError(_("Nobody matches these filters: the campaign would have no respondents."))
    rows = []
    if campaign.is_employee_survey:
        for membership in targets:
            rows.append(
                Invitation(
                    organization_id=campaign.organization_id,
                    campaign=campaign,
                    token=_new_token(),
                    membership=membership,
                    respondent=membership.user.get_username(),
                    email=membership.user.email,
                    expires_at=expires,
                )
            )
    else:
        emails = _emails([c.pk for c in targets])
        for client in targets:
            rows.append(
                Invitation(
                    organization_id=campaign.organization_id,
                    campaign=campaign,
                    token=_new_token(),
                    client=client,
                    respondent=client.name,
                    email=emails.get(client.pk, ""),
                    expires_at=expires,
                )
            )
    Invitation.objects.bulk_create(rows)
    return len(rows)


def _check_own(organization: Organization, **objects) -> None:
    for field, obj in objects.items():
        if obj is not None and getattr(obj, "organization_id", organization.pk) != organization.pk:
            raise ValidationError({field: _("This belongs to another organization.")})


@transaction.atomic
def campaign_start(
    *,
    organization: Organization,
    kind: str,
    name: str,
    user=None,
    started_on: datetime.date | None = None,
    segment: Segment | None = None,
    abc_class: str = "",
    lifecycle_state: str = "",
    manager=None,
    product: Product | None = None,
    valid_days: int = 30,
    reminder_after_days: int = 7,
    recurrence_months: int = 0,
    complaint: Complaint | None = None,
    trigger: str = Campaign.Trigger.MANUAL,
    series: Campaign | None = None,
    round_number: int = 1,
    only_clients: Collection[int] | None = None,
) -> Campaign:
    """Start a campaign and create one personal link per respondent (of `only_clients` among them,
    if given: the automatic satisfaction rounds name their clients). A product questionnaire asks
    the product's own items (`ProductSurvey`)."""
    _check_own(organization, segment=segment, product=product, complaint=complaint, series=series)
    single_line_fields(name=name)  # the name is the subject of the campaign's e-mails
    if manager is not None and not organization_managers(organization).filter(pk=manager.pk).exists():
        raise ValidationError({"filter_manager": _("This person is not a manager or sales head of the organization.")})
    if kind == Campaign.Kind.PRODUCT and product is None:
        raise ValidationError({"product": _("Choose the product the questionnaire asks about.")})
    employees = kind in EMPLOYEE_KINDS
    if employees and any([segment, abc_class, lifecycle_state, manager, product]):
        raise ValidationError(_("An employee survey goes to every member: client filters do not apply."))
    started_on = started_on or timezone.localdate()
    campaign = Campaign(
        organization=organization,
        kind=kind,
        name=(name or "").strip(),
        audience=Campaign.Audience.EMPLOYEES if employees else Campaign.Audience.CLIENTS,
        trigger=trigger,
        questionnaire=_questionnaire_for(kind, product),
        filter_segment=segment,
        filter_abc_class=abc_class or "",
        filter_lifecycle_state=lifecycle_state or "",
        filter_manager=manager,
        product=product,
        valid_days=valid_days,
        reminder_after_days=reminder_after_days,
        recurrence_months=recurrence_months,
        complaint=complaint,
        series=series,
        round_number=round_number,
        created_by=user if user is not None and user.is_authenticated else None,
        started_on=started_on,
        language=series.language if series is not None else translation.get_language() or settings.LANGUAGE_CODE,
        next_run_on=months_after(started_on, recurrence_months) if recurrence_months else None,
    )
    _save(campaign)
    _invitations_create(campaign, only_clients)
    return campaign


def _questionnaire_for(kind: str, product: Product | None) -> dict:
    if kind not in questionnaire.KINDS:
        return {}
    content = questionnaire.load(kind)
    if kind == Campaign.Kind.PRODUCT and product is not None:
        chosen = ProductSurvey.objects.filter(product=product).values_list("items", flat=True).first()
        content = questionnaire.with_items(content, chosen or [])
    return content


@transaction.atomic
def product_survey_items_set(*, organization: Organization, items: Mapping[int, list[str]]) -> int:
    """Choose the items each product's questionnaire asks ({product id: item codes}); returns how
    many products ask fewer than all. An unknown item or another organization's product is refused."""
    known = {q["code"] for q in questionnaire.item_questions(questionnaire.load(Campaign.Kind.PRODUCT))}
    products = set(Product.objects.filter(organization=organization, pk__in=items).values_list("pk", flat=True))
    if products != set(items):
        raise ValidationError(_("The list names a product that is not in this organization."))
    narrowed = 0
    for product_id, codes in items.items():
        if set(codes) - known:
            raise ValidationError(
                _("Unknown questionnaire item: %(items)s.") % {"items": ", ".join(sorted(set(codes) - known))}
            )
        chosen = [code for code in sorted(known) if code in codes]
        everything = not chosen or len(chosen) == len(known)
        ProductSurvey.objects.update_or_create(
            organization=organization, product_id=product_id, defaults={"items": [] if everything else chosen}
        )
        narrowed += 0 if everything else 1
    return narrowed


@transaction.atomic
def campaign_close(*, campaign: Campaign) -> Campaign:
    """Stop a campaign: its open links stop working and it does not repeat any more."""
    campaign.closed_at = campaign.closed_at or timezone.now()
    campaign.next_run_on = None
    campaign.save(update_fields=["closed_at", "next_run_on"])
    return campaign


@transaction.atomic
def campaigns_repeat_due(*, organization: Organization, today: datetime.date | None = None) -> list[Campaign]:
    """Start the next round of every recurring campaign whose date has come."""
    today = today or timezone.localdate()
    started = []
    due = Campaign.objects.select_for_update().filter(
        organization=organization, closed_at__isnull=True, recurrence_months__gt=0, next_run_on__lte=today
    )
    for previous in due:
        previous.next_run_on = None
        previous.save(update_fields=["next_run_on"])
        try:
            with transaction.atomic():
                started.append(
                    campaign_start(
                        organization=organization,
                        kind=previous.kind,
                        name=one_line(previous.name),
                        started_on=today,
                        segment=previous.filter_segment,
                        abc_class=previous.filter_abc_class,
                        lifecycle_state=previous.filter_lifecycle_state,
                        manager=previous.filter_manager,
                        product=previous.product,
                        valid_days=previous.valid_days,
                        reminder_after_days=previous.reminder_after_days,
                        recurrence_months=previous.recurrence_months,
                        trigger=Campaign.Trigger.RECURRENCE,
                        series=previous.series or previous,
                        round_number=previous.round_number + 1,
                    )
                )
        except ValidationError:
            # The filters no longer hold (nobody matches, the manager changed role): the series
            # pauses instead of failing every day.
            continue
        except Exception:
            # Anything else is logged and, the same way, pauses this series alone: the other
            # campaigns of the daily round still repeat.
            logger.exception("campaign %s (organization %s) could not repeat", previous.pk, organization.pk)
    return started


@transaction.atomic
def invitations_remind(*, campaign: Campaign, now: datetime.datetime | None = None) -> int:
    """Mark the links due for a reminder (no answer after N days, still valid); return how many."""
    now = now or timezone.now()
    if campaign.reminder_after_days == 0 or campaign.closed_at:
        return 0
    return Invitation.objects.filter(
        campaign=campaign,
        answered_at__isnull=True,
        reminded_at__isnull=True,
        expires_at__gt=now,
        created_at__lte=now - datetime.timedelta(days=campaign.reminder_after_days),
    ).update(reminded_at=now)


def loyalty_daily(*, organization: Organization) -> dict:
    """The daily round: repeat due campaigns, start the satisfaction rounds, mark reminders."""
    repeated = campaigns_repeat_due(organization=organization)
    surveyed = satisfaction_round(organization=organization)
    reminded = sum(
        invitations_remind(campaign=c)
        for c in Campaign.objects.filter(organization=organization, closed_at__isnull=True, reminder_after_days__gt=0)
    )
    return {"repeated": len(repeated), **surveyed, "reminded": reminded}


# A first sale is surveyed if it happened within this many days (a round missed for a few days
# catches up); the survey point falls due this many days after the link goes out.
FIRST_SALE_WINDOW_DAYS = 14
SURVEY_FOLLOW_UP_DAYS = 7
SATISFACTION_KINDS = (Campaign.Kind.CSAT, Campaign.Kind.PRODUCT)


@transaction.atomic
def satisfaction_round(*, organization: Organization, today: datetime.date | None = None) -> dict:
    """Satisfaction is assessed by itself (DOMAIN 3): each client's first purchase of a product gets
    that product's questionnaire (and its manager a survey point), and every active client not
    asked about satisfaction for a year gets the yearly CSAT. Each client and product is asked once
    after its first sale, so running the round again adds nothing; the links go out by e-mail."""
    today = today or timezone.localdate()
    started = []
    for product, client_ids in _first_sales(organization, today).items():
        try:
            campaign = campaign_start(
                organization=organization,
                kind=Campaign.Kind.PRODUCT,
                name=_("First purchase: %(product)s") % {"product": one_line(product.name)[:150]},
                product=product,
                started_on=today,
                trigger=Campaign.Trigger.FIRST_SALE,
                only_clients=client_ids,
            )
        except ValidationError:
            # Its clients were deleted meanwhile: nobody left to ask; the other products go on.
            logger.warning("first-sale survey of product %s (organization %s) had nobody", product.pk, organization.pk)
            continue
        for client in Client.objects.filter(pk__in=client_ids).only("pk", "organization_id", "manager_id"):
            control_point_create(
                client=client,
                kind=ControlPoint.Kind.SURVEY,
                due_date=today + datetime.timedelta(days=SURVEY_FOLLOW_UP_DAYS),
                note=product.name,
                responsible=client.manager,
            )
        started.append(campaign)
    yearly = _not_asked_for_a_year(organization, today)
    if yearly:
        started.append(
            campaign_start(
                organization=organization,
                kind=Campaign.Kind.CSAT,
                name=_("Yearly satisfaction, %(year)s") % {"year": today.year},
                started_on=today,
                trigger=Campaign.Trigger.YEARLY,
                only_clients=yearly,
            )
        )
    for campaign in started:
        transaction.on_commit(lambda c=campaign: send_links_start(campaign=c))
    return {"first_sale_surveys": len(started) - (1 if yearly else 0), "yearly_surveyed": len(yearly)}


def _first_sales(organization: Organization, today: datetime.date) -> dict[Product, list[int]]:
    """{product: clients} whose first purchase of the product fell within the window and who were
    not asked about it yet."""
    since = today - datetime.timedelta(days=FIRST_SALE_WINDOW_DAYS)
    with_product = Settlement.objects.filter(organization=organization, product__isnull=False, amount__gt=0)
    recent = set(with_product.filter(date__range=(since, today)).values_list("client_id", "product_id").distinct())
    clients = {client for client, _product in recent}
    before = set(
        with_product.filter(date__lt=since, client_id__in=clients).values_list("client_id", "product_id").distinct()
    )
    asked = set(
        Invitation.objects.filter(
            campaign__organization=organization, campaign__trigger=Campaign.Trigger.FIRST_SALE, client_id__in=clients
        ).values_list("client_id", "campaign__product_id")
    )
    firsts: dict[int, list[int]] = {}
    for client_id, product_id in sorted(recent - before - asked):
        firsts.setdefault(product_id, []).append(client_id)
    products = Product.objects.in_bulk(list(firsts))
    return {products[pk]: client_ids for pk, client_ids in firsts.items()}


def _not_asked_for_a_year(organization: Organization, today: datetime.date) -> list[int]:
    """Active clients (new, regular or renewed) with no satisfaction link for a year."""
    year_ago = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=365), datetime.time()))
    asked = Invitation.objects.filter(
        campaign__organization=organization,
        campaign__kind__in=SATISFACTION_KINDS,
        client_id=OuterRef("pk"),
        created_at__gte=year_ago,
    )
    active = Client.objects.filter(organization=organization, lifecycle_state__in=lifecycle.ACTIVE)
    return list(active.exclude(Exists(asked)).order_by("pk").values_list("pk", flat=True))


# Answers -----------------------------------------------------------------------------------


class LinkUnusable(Exception):
    """The link is unknown, expired, closed or already used: `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def link_state(invitation: Invitation | None, now: datetime.datetime | None = None) -> str:
    """ "open", or why the link cannot take an answer: unknown, answered, expired, closed."""
    now = now or timezone.now()
    if invitation is None:
        return "unknown"
    if invitation.answered_at is not None:
        return "answered"
    if invitation.campaign.closed_at is not None:
        return "closed"
    if invitation.expires_at <= now:
        return "expired"
    return "open"


@transaction.atomic
def response_submit(*, token: str, data: Mapping[str, str], language: str = "") -> tuple[Response | None, dict]:
    """Record the answer given through a personal link; (response, errors by question code).

    The link row is locked, so two submissions of the same link cannot both be recorded.
    """
    invitation = invitation_by_token(
        token,
        Invitation.objects.select_for_update(of=("self",)).select_related(
            "campaign", "client__organization", "client__manager"
        ),
    )
    state = link_state(invitation)
    if state != "open":
        raise LinkUnusable(state)
    campaign = invitation.campaign
    answers, errors = questionnaire.check_answers(campaign.questionnaire, data)
    if errors:
        return None, errors
    main = questionnaire.main_question(campaign.questionnaire)
    anonymous = campaign.is_employee_survey
    # An anonymous answer carries neither its link nor its own date (it is counted in the period
    # the campaign started), and its link keeps only the day it was used: no time joins the two.
    response = Response(
        organization_id=campaign.organization_id,
        campaign=campaign,
        invitation=None if anonymous else invitation,
        client=invitation.client,
        metric=main["metric"],
        score=answers[main["code"]],
        answers=answers,
        comment=questionnaire.why_text(campaign.questionnaire, answers),
        language=language[:8],
        answered_on=campaign.started_on if anonymous else timezone.localdate(),
    )
    # The related rows come with the locked link: only the answer's own fields need checking.
    response.full_clean(exclude=["organization", "campaign", "invitation", "client", "complaint"])
    if invitation.client is not None:
        response.complaint = case_for_low_scores(response)
    response.save()
    now = timezone.localtime()
    invitation.answered_at = now.replace(hour=0, minute=0, second=0, microsecond=0) if anonymous else now
    invitation.save(update_fields=["answered_at"])
    return response, {}


@transaction.atomic
def interview_record(
    *, client: Client, kind: str, data: Mapping[str, str], held_on: datetime.date, user=None
) -> Interview:
    """Record what the client answered in an interview a manager held by one of the guides (winning
    a client from a competitor): all or nothing, with a copy of the guide. The same interview sent
    twice (a double click) is recorded once."""
    if kind not in questionnaire.INTERVIEW_KINDS:
        raise ValidationError(_("Unknown interview guide."))
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("An interview cannot be held in the future.")})
    guide = questionnaire.load(kind)
    answers, errors = questionnaire.check_answers(guide, data)
    if errors:
        raise ValidationError(
            {
                code or NON_FIELD_ERRORS: _("Write down at least one answer.")
                if problem == "empty"
                else _("Shorten this answer to at most %(limit)s characters.") % {"limit": questionnaire.MAX_TEXT}
                for code, problem in errors.items()
            }
        )
    Client.objects.select_for_update().filter(pk=client.pk).first()  # one recording per client at a time
    same = Interview.objects.filter(client=client, kind=kind, held_on=held_on, author=user).order_by("-id")
    for earlier in same[:5]:
        if earlier.answers == answers:
            return earlier
    return Interview.objects.create(
        organization_id=client.organization_id,
        client=client,
        kind=kind,
        questionnaire=guide,
        answers=answers,
        held_on=held_on,
        author=user,
    )


SUBJECT_MAX = Complaint._meta.get_field("subject").max_length


def low_score_subject(campaign_name: str, scores: str, *, language: str) -> str:
    """The subject of a case opened by low scores, in `language`, within the field's length.

    A case is read by the company's staff, not by the respondent whose browser language says
    nothing of the language the company works in. The organization has no language of its own, so
    the subject is in the language of the person who started the campaign (who also wrote its
    name); a campaign from before that was recorded falls back to LANGUAGE_CODE.
    """

    def subject(name: str) -> str:
        with translation.override(language or settings.LANGUAGE_CODE):
            return _("Low score in the survey “%(name)s”: %(scores)s") % {"name": name, "scores": scores}

    text = subject(campaign_name)
    if len(text) > SUBJECT_MAX:
        room = max(1, SUBJECT_MAX - len(subject("")) - 1)
        text = subject(campaign_name[:room].rstrip() + "…")
    return text[:SUBJECT_MAX]


def case_for_low_scores(response: Response) -> Complaint | None:
    """Close the loop: a low score opens a case in the client's complaints, owned by its manager."""
    low = questionnaire.low_scores(response.campaign.questionnaire, response.answers)
    if not low:
        return None
    client = response.client
    main = questionnaire.main_question(response.campaign.questionnaire)["code"]
    # The main score alone ("5"), any other low item by its code ("delivery 3").
    scores = ", ".join(str(value) if code == main else f"{code} {value}" for code, value in low)
    return complaint_register(
        organization=client.organization,
        client=client,
        subject=low_score_subject(one_line(response.campaign.name), scores, language=response.campaign.language),
        description=response.comment,
        source=Complaint.Source.SURVEY,
        owner=client.manager,
    )


@transaction.atomic
def complaint_followup_start(*, complaint: Complaint) -> Campaign | None:
    """After a complaint is closed, send its client a short CSAT survey (once per complaint)."""
    if Campaign.objects.filter(organization_id=complaint.organization_id, complaint=complaint).exists():
        return None
    return campaign_start(
        organization=complaint.organization,
        kind=Campaign.Kind.CSAT,
        name=_("After complaint: %(subject)s") % {"subject": one_line(complaint.subject)[:150]},
        complaint=complaint,
        trigger=Campaign.Trigger.COMPLAINT,
        reminder_after_days=3,
        valid_days=14,
    )


# IQS ---------------------------------------------------------------------------------------


@transaction.atomic
def scorecard_create(*, organization: Organization, name: str, criteria: list[tuple[str, int]] = ()) -> Scorecard:
    scorecard = Scorecard(organization=organization, name=(name or "").strip())
    _save(scorecard)
    for text, weight in criteria:
        criterion_add(scorecard=scorecard, text=text, weight=weight)
    return scorecard


@transaction.atomic
def criterion_add(*, scorecard: Scorecard, text: str, weight: int) -> ScorecardCriterion:
    position = scorecard.criteria.count() + 1
    criterion = ScorecardCriterion(
        organization_id=scorecard.organization_id,
        scorecard=scorecard,
        text=(text or "").strip(),
        weight=weight,
        position=position,
    )
    _save(criterion)
    return criterion


MARKS = {"yes": 1.0, "partly": 0.5, "no": 0.0}


@transaction.atomic
def dialogue_grade(
    *,
    scorecard: Scorecard,
    manager,
    graded_by,
    graded_on: datetime.date,
    marks: Mapping[int, str],
    client: Client | None = None,
    note: str = "",
) -> DialogueGrade:
    """Grade one dialogue: a mark (yes / partly / no) for every criterion of the scorecard."""
    organization = scorecard.organization
    _check_own(organization, client=client)
    if not organization_managers(organization).filter(pk=manager.pk).exists():
        raise ValidationError({"manager": _("This person is not a manager or sales head of the organization.")})
    criteria = list(scorecard.criteria.all())
    if not criteria:
        raise ValidationError(_("Add criteria to the scorecard before grading with it."))
    missing = [c.text for c in criteria if marks.get(c.pk) not in MARKS]
    if missing:
        raise ValidationError(_("Mark every criterion: %(items)s.") % {"items": "; ".join(missing)})
    snapshot = [{"criterion": c.text, "weight": c.weight, "mark": marks[c.pk]} for c in criteria]
    grade = DialogueGrade(
        organization=organization,
        scorecard=scorecard,
        manager=manager,
        graded_by=graded_by,
        client=client,
        graded_on=graded_on,
        marks=snapshot,
        note=note,
        iqs=metrics.iqs([(item["weight"], MARKS[item["mark"]]) for item in snapshot]),
    )
    _save(grade)
    return grade


# Jobs ----------------------------------------------------------------------------------------
# Each start returns the job already queued or running for the same thing instead of a second one.


def metrics_start(*, organization: Organization, period_kind: str, user=None) -> Job:
    """Queue the loyalty metrics of every period of one kind (months or quarters)."""
    return job_enqueue(
        organization=organization,
        task=tasks.metrics_task,
        user=user,
        params={"period_kind": period_kind},
        key=period_kind,
    )


def points_start(*, organization: Organization, user=None) -> Job:
    """Queue the crediting of bonus points for settlements not credited yet, expiry and tiers."""
    return job_enqueue(organization=organization, task=tasks.points_task, user=user, key="programme")


def send_links_start(*, campaign: Campaign, user=None) -> Job:
    """Queue the e-mails with the survey links of a campaign not sent yet."""
    return job_enqueue(
        organization=campaign.organization,
        task=tasks.send_links_task,
        user=user,
        params={"campaign_id": campaign.pk},
        key=f"campaign:{campaign.pk}",
    )


def reminders_start(*, organization: Organization) -> Job:
    """Queue the reminder e-mails of every open campaign of the organization."""
    return job_enqueue(organization=organization, task=tasks.reminders_task, key="reminders")
