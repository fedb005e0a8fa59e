"""Demo data of the loyalty app: surveys with answers, cases from low scores, IQS, a programme.

`small`: a few rows of every kind a loyalty URL names, in any organization, in well under 2 s.
`full`: two years of quarterly NPS to every client, half-yearly CSAT and eNPS, quarterly CES, a yearly product
survey and an "ideal supplier" round over the demo client base; cases from the latest round's low scores (older answers
predate the loop); a programme with silver, gold and platinum tiers and a point ledger built
month by month; graded dialogues; and the metrics computed per month and per quarter.
Idempotent: a demo set that is already complete is left as it is.
"""

import datetime
import random

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clients.lifecycle import months_before
from clients.models import Client, Product, Segment, Settlement
from crm_portal.models import Membership, Role

from . import ledger, metric_runs, services
from .models import Campaign, DialogueGrade, Invitation, MetricValue, PointAccount, Programme, Response, Scorecard

SMALL_NPS = "Client NPS (demo)"
SMALL_ENPS = "Staff eNPS (demo)"
FULL_MARK = "Quarterly NPS"
COMMENTS = {
    "high": ["Deliveries always on time, and the manager answers at once.", "Great coffee, our guests notice it.",
             "Easy to order, no surprises in the invoices.", "Менеджер всегда на связи, спасибо!",
             "You solved our machine problem the same day."],
    "mid": ["Good overall, but the price list changes too often.", "Fine, though delivery windows could be shorter.",
            "Всё нормально, но хотелось бы больше выбора чая."],
    "low": ["Two late deliveries this month, nobody warned us.", "The invoice was wrong again.",
            "Hard to reach the manager when something goes wrong.", "Доставка опаздывает, а звонки игнорируют."],
}
CRITERIA = [
    ("Greeted the client and named themself and the company", 1),
    ("Found out the client's needs with open questions", 3),
    ("Spoke of the client's benefits, not only features", 2),
    ("Handled the objection calmly and with facts", 2),
    ("Agreed the next step and its date", 2),
]


def seed(*, organization, users: dict, size: str = "small") -> None:
    with transaction.atomic():
        programme = _programme(organization)
        scorecard = _scorecard(organization)
        if size == "full":
            _full(organization, users, programme, scorecard)
        else:
            _small(organization, users, programme, scorecard)


def _programme(organization) -> Programme:
    programme = Programme.objects.filter(organization=organization).first()
    if programme is None:
        programme = ledger.programme_save(organization=organization, name="Partner club",
                                          key_factor=Programme.KeyFactor.SERVICES, points_per_thousand=10,
                                          validity_months=12, tier_window_months=12)
    if not programme.tiers.exists():
        for rank, name, turnover, tenure, cls, discount, benefits in [
            (1, "Silver", 0, 0, "", 0, "Points on every payment"),
            (2, "Gold", 150_000, 6, "B", 3, "Priority delivery slots; machine service within 48 hours"),
            (3, "Platinum", 600_000, 12, "A", 5, "Personal manager on call; tastings and training for staff"),
        ]:
            ledger.tier_save(programme=programme, name=name, rank=rank, min_turnover=turnover,
                             min_tenure_months=tenure, min_class=cls, discount_percent=discount, benefits=benefits)
    return programme


def _scorecard(organization) -> Scorecard:
    scorecard = Scorecard.objects.filter(organization=organization, name="Sales call").first()
    if scorecard is None:
        scorecard = services.scorecard_create(organization=organization, name="Sales call", criteria=CRITERIA)
    return scorecard


def _graders(organization, users: dict):
    managers = list(Membership.objects.filter(organization=organization, role=Role.MANAGER).select_related("user"))
    head = next((u for name, u in users.items() if name.endswith(("-head", "-admin"))), None)
    return [m.user for m in managers], head


def _small(organization, users, programme, scorecard) -> None:
    clients = list(Client.objects.filter(organization=organization).order_by("id")[:6])
    if clients and not Campaign.objects.filter(organization=organization, name=SMALL_NPS,
                                               invitations__isnull=False).exists():
        Campaign.objects.filter(organization=organization, name=SMALL_NPS).delete()
        campaign = services.campaign_start(organization=organization, kind=Campaign.Kind.NPS, name=SMALL_NPS)
        invitations = list(campaign.invitations.order_by("id")[:2])
        for invitation, answer in zip(invitations, [
            {"score": "10", "why": COMMENTS["high"][0]},
            {"score": "3", "why": COMMENTS["low"][0]},
        ]):
            services.response_submit(token=invitation.token, data=answer, language="en")
    if not Campaign.objects.filter(organization=organization, name=SMALL_ENPS).exists():
        campaign = services.campaign_start(organization=organization, kind=Campaign.Kind.ENPS, name=SMALL_ENPS)
        first = campaign.invitations.order_by("id").first()
        services.response_submit(token=first.token, data={"score": "8", "why": "Good team."}, language="en")
    if clients and not PointAccount.objects.filter(organization=organization).exists():
        for client in clients[:3]:
            settlements = list(Settlement.objects.filter(client=client))
            ledger.points_earn(client=client, settlements=settlements, programme=programme)
        account = PointAccount.objects.filter(organization=organization, balance__gt=0).first()
        if account is not None:
            ledger.points_redeem(client=account.client, points=min(10, account.balance), note="Branded mugs")
        else:
            PointAccount.objects.get_or_create(organization=organization, client=clients[0])
        ledger.tiers_assign(organization=organization, programme=programme, today=timezone.localdate())
    managers, head = _graders(organization, users)
    if managers and not DialogueGrade.objects.filter(organization=organization).exists():
        services.dialogue_grade(scorecard=scorecard, manager=managers[0], graded_by=head,
                                graded_on=timezone.localdate(),
                                marks={c.pk: "yes" if c.weight > 1 else "partly" for c in scorecard.criteria.all()},
                                client=clients[0] if clients else None)


# The full set ---------------------------------------------------------------------------------


def _score(rng: random.Random, metric: str, progress: float) -> tuple[int, str]:
    """A score and its mood; the share of happy answers grows with `progress` (0 -> 1)."""
    low_share = 0.26 - 0.12 * progress
    high_share = 0.34 + 0.18 * progress
    u = rng.random()
    mood = "low" if u < low_share else "high" if u > 1 - high_share else "mid"
    ranges = {
        "nps": {"low": (2, 6), "mid": (7, 8), "high": (9, 10)},
        "enps": {"low": (3, 6), "mid": (7, 8), "high": (9, 10)},
        "csat": {"low": (1, 3), "mid": (3, 4), "high": (4, 5)},
        "ces": {"low": (1, 4), "mid": (4, 5), "high": (6, 7)},
    }[metric][mood]
    return rng.randint(*ranges), mood


def _answer_round(campaign: Campaign, rng: random.Random, progress: float, today: datetime.date,
                  open_cases: bool) -> None:
    """Answer about half of a past round's links, on dates within two weeks of its start."""
    start = campaign.started_on
    started_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time(9)))
    invitations = list(campaign.invitations.order_by("id"))
    Invitation.objects.filter(campaign=campaign).update(
        created_at=started_at, expires_at=started_at + datetime.timedelta(days=campaign.valid_days))
    main = campaign.questionnaire["questions"][0]
    responses, answered = [], []
    for invitation in invitations:
        if rng.random() > 0.55:
            continue
        day = min(today, start + datetime.timedelta(days=rng.randint(0, 14)))
        score, mood = _score(rng, main["metric"], progress)
        comment = rng.choice(COMMENTS[mood]) if rng.random() < 0.4 else ""
        answers = {main["code"]: score, **({"why": comment} if comment else {})}
        for item in campaign.questionnaire["questions"][1:]:
            # The other items of a graded questionnaire sit near the overall score.
            if item["type"] == "scale" and item["max"] == main["max"]:
                answers[item["code"]] = max(item["min"], min(item["max"], score + rng.choice([-1, 0, 0, 1])))
        anonymous = campaign.is_employee_survey
        responses.append(Response(
            organization_id=campaign.organization_id, campaign=campaign,
            invitation=None if anonymous else invitation, client=invitation.client, metric=main["metric"],
            score=score, answers=answers, comment=comment, language="en",
            answered_on=start if anonymous else day,  # as services.response_submit records it
        ))
        invitation.answered_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        answered.append(invitation)
    Response.objects.bulk_create(responses, batch_size=2000)
    Invitation.objects.bulk_update(answered, ["answered_at"], batch_size=2000)
    if open_cases:
        for response in Response.objects.filter(campaign=campaign).select_related("client", "campaign"):
            complaint = services.case_for_low_scores(response)
            if complaint is not None:
                Response.objects.filter(pk=response.pk).update(complaint=complaint)


def _series(organization, rng, today, *, kind, name, every, rounds, open_cases=True, **filters) -> None:
    first = None
    for index in range(rounds):
        started = months_before(today, every * (rounds - 1 - index)) - datetime.timedelta(days=12)
        last = index == rounds - 1
        campaign = services.campaign_start(
            organization=organization, kind=kind, name=name, started_on=started,
            recurrence_months=every if last else 0, series=first, round_number=index + 1,
            trigger=Campaign.Trigger.MANUAL if index == 0 else Campaign.Trigger.RECURRENCE, **filters,
        )
        first = first or campaign
        _answer_round(campaign, rng, index / max(1, rounds - 1), today, open_cases=open_cases and last)
        if not last:
            campaign.closed_at = timezone.make_aware(datetime.datetime.combine(
                started + datetime.timedelta(days=campaign.valid_days), datetime.time(18)))
            campaign.save(update_fields=["closed_at"])


def _full(organization, users, programme, scorecard) -> None:
    today = timezone.localdate()
    rng = random.Random(f"loyalty-{organization.slug}")
    complete = Campaign.objects.filter(organization=organization, name=FULL_MARK, invitations__isnull=False)
    if not complete.exists():
        Campaign.objects.filter(organization=organization).filter(
            Q(trigger=Campaign.Trigger.MANUAL) | Q(trigger=Campaign.Trigger.RECURRENCE)).delete()
        segments = {s.name: s for s in Segment.objects.filter(organization=organization)}
        products = {p.name: p for p in Product.objects.filter(organization=organization)}
        # The NPS goes to the whole client base: every manager's clients answer, so the manager,
        # segment and class slices of the overview cover everybody (it once went to one manager's).
        _series(organization, rng, today, kind=Campaign.Kind.NPS, name=FULL_MARK, every=3, rounds=9)
        if "Offices" in segments:
            _series(organization, rng, today, kind=Campaign.Kind.CSAT, name="Half-yearly CSAT, offices",
                    every=6, rounds=5, segment=segments["Offices"])
        if "Hotels" in segments:
            _series(organization, rng, today, kind=Campaign.Kind.CES, name="Ease of ordering, hotels", every=3,
                    rounds=9, segment=segments["Hotels"])
        _series(organization, rng, today, kind=Campaign.Kind.ENPS, name="Staff eNPS", every=6, rounds=5)
        if "Coffee machines" in products:
            _series(organization, rng, today, kind=Campaign.Kind.PRODUCT, name="Coffee machines: satisfaction",
                    every=12, rounds=2, product=products["Coffee machines"])
        if "Retail chains" in segments:
            _series(organization, rng, today, kind=Campaign.Kind.IDEAL_SUPPLIER, name="Ideal supplier, retail chains",
                    every=12, rounds=1, segment=segments["Retail chains"])
    _full_ledger(organization, programme, today, rng)
    _full_grades(organization, users, scorecard, today, rng)
    for period in MetricValue.PeriodKind.values:
        if not MetricValue.objects.filter(organization=organization, period_kind=period).exists():
            metric_runs.metrics_compute(organization=organization, period_kind=period, today=today)


def _full_ledger(organization, programme, today, rng) -> None:
    """Points month by month for the most active clients (earn, redeem, lapse), then everyone's."""
    if PointAccount.objects.filter(organization=organization, movements__isnull=False).exists():
        return
    settlements = list(Settlement.objects.filter(organization=organization, amount__gt=0).order_by("date", "id"))
    counts: dict[int, int] = {}
    for settlement in settlements:
        counts[settlement.client_id] = counts.get(settlement.client_id, 0) + 1
    detailed = set(sorted(counts, key=lambda pk: (-counts[pk], pk))[:40])
    for month in range(23, -1, -1):
        month_end = months_before(today, month)
        ledger.points_credit(organization=organization, programme=programme, settlements=[
            s for s in settlements if s.client_id in detailed and s.date <= month_end])
        accounts = list(PointAccount.objects.filter(organization=organization, client_id__in=detailed)
                        .select_related("client"))
        for account in accounts:
            if month % 5 == 2 and account.balance > 200 and rng.random() < 0.5:
                ledger.points_redeem(client=account.client, points=account.balance // 2,
                                     note="Coffee grinder as a gift", on=month_end)
        ledger.points_expire_all(organization=organization, programme=programme, today=month_end, accounts=accounts)
    ledger.points_credit(organization=organization, programme=programme, settlements=settlements)
    ledger.points_expire_all(organization=organization, programme=programme, today=today)
    ledger.tiers_assign(organization=organization, programme=programme, today=today)


def _full_grades(organization, users, scorecard, today, rng) -> None:
    if DialogueGrade.objects.filter(organization=organization).count() >= 40:
        return
    managers, head = _graders(organization, users)
    criteria = list(scorecard.criteria.all())
    for month in range(23, -1, -1):
        for index, manager in enumerate(managers):
            day = max(months_before(today, month) - datetime.timedelta(days=rng.randint(0, 20)),
                      months_before(today, 24))
            skill = 0.45 + 0.02 * (23 - month) + 0.1 * (index == 0)
            marks = {c.pk: "yes" if rng.random() < skill else rng.choice(["partly", "no"]) for c in criteria}
            services.dialogue_grade(scorecard=scorecard, manager=manager, graded_by=head, graded_on=min(day, today),
                                    marks=marks)
