"""Demo data of the loyalty app: surveys with answers, cases from low scores, IQS, a programme.

`small`: a few rows of every kind a loyalty URL names, in any organization, in well under 2 s.
`full`: two years of quarterly NPS to every client, half-yearly CSAT and eNPS, quarterly CES, a yearly product
survey and an "ideal supplier" round over the demo client base; cases from the latest round's low scores (older answers
predate the loop); a programme with silver, gold and platinum tiers and a point ledger built
month by month for the most active clients; graded dialogues. `recompute` then brings every client's
points and tier and the metrics per month and per quarter up to date, as the portal's jobs do.
Every round is answered within its first two weeks, from the 1st of its month; the latest round
is that of the current month once its answers all lie before `today`, else of the month before,
so the latest period a sales head sees holds a whole round whatever the date.
Idempotent: a demo set that is already complete is left as it is.
"""

import datetime
import random

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from clients.demo import PRODUCTS, SEGMENTS, catalogue_name
from clients.lifecycle import months_before
from clients.models import Client, Complaint, ComplaintStep, Product, Segment, Settlement
from crm_portal.models import Membership, Role
from crm_portal.validators import one_line

from . import ledger, metric_runs, questionnaire, services
from .models import (
    Campaign,
    DialogueGrade,
    Invitation,
    MetricValue,
    PointAccount,
    PointMovement,
    Programme,
    Response,
    Scorecard,
)

TEXTS = {
    "ru": {
        "small_nps": "NPS клиентов (демо)",
        "small_enps": "eNPS сотрудников (демо)",
        "nps": "Ежеквартальный NPS",
        "csat": "Удовлетворённость офисов, раз в полгода",
        "ces": "Удобство заказа, гостиницы",
        "enps": "eNPS сотрудников",
        "product": "Кофемашины: удовлетворённость",
        "ideal": "Идеальный поставщик, розничные сети",
        "programme": "Клуб партнёров",
        "tiers": [
            ("Серебряный", "Баллы за каждую оплату"),
            ("Золотой", "Приоритетные окна доставки; сервис кофемашин за 48 часов"),
            ("Платиновый", "Персональный менеджер на связи; дегустации и обучение персонала"),
        ],
        "tools": [
            ("Скидка за объём", "Чем крупнее заказ, тем ниже цена: скидка на весь заказ от его суммы."),
            ("Клуб бариста", "Закрытые мастер-классы и ранний доступ к новым сортам для платиновых партнёров."),
        ],
        "scorecard": "Продающий звонок",
        "criteria": [
            "Поздоровался, назвал себя и компанию",
            "Выяснил потребности открытыми вопросами",
            "Говорил о выгодах клиента, а не только о характеристиках",
            "Спокойно и с фактами отработал возражение",
            "Договорился о следующем шаге и его дате",
        ],
        "gift": "Кофемолка в подарок",
        "mugs": "Фирменные кружки",
        "team": "Хорошая команда.",
        "comments": {
            "high": [
                "Доставка всегда вовремя, менеджер отвечает сразу.",
                "Отличный кофе, гости это замечают.",
                "Заказывать легко, в счетах никаких сюрпризов.",
                "Менеджер всегда на связи, спасибо!",
                "Починили нашу кофемашину в тот же день.",
            ],
            "mid": [
                "В целом хорошо, но прайс меняется слишком часто.",
                "Нормально, но окна доставки длинноваты.",
                "Всё нормально, но хотелось бы больше выбора чая.",
            ],
            "low": [
                "Две поставки за месяц опоздали, никто не предупредил.",
                "Снова ошибка в счёте.",
                "Когда что-то не так, до менеджера не дозвониться.",
                "Доставка опаздывает, а звонки игнорируют.",
            ],
        },
    },
    "en": {
        "small_nps": "Client NPS (demo)",
        "small_enps": "Staff eNPS (demo)",
        "nps": "Quarterly NPS",
        "csat": "Half-yearly CSAT, offices",
        "ces": "Ease of ordering, hotels",
        "enps": "Staff eNPS",
        "product": "Coffee machines: satisfaction",
        "ideal": "Ideal supplier, retail chains",
        "programme": "Partner club",
        "tiers": [
            ("Silver", "Points on every payment"),
            ("Gold", "Priority delivery slots; machine service within 48 hours"),
            ("Platinum", "Personal manager on call; tastings and training for staff"),
        ],
        "tools": [
            ("Volume discount", "The larger the order, the lower the price: a discount on the whole order by its sum."),
            ("Barista club", "Closed workshops and early access to new blends for platinum partners."),
        ],
        "scorecard": "Sales call",
        "criteria": [
            "Greeted the client and named themself and the company",
            "Found out the client's needs with open questions",
            "Spoke of the client's benefits, not only features",
            "Handled the objection calmly and with facts",
            "Agreed the next step and its date",
        ],
        "gift": "Coffee grinder as a gift",
        "mugs": "Branded mugs",
        "team": "Good team.",
        "comments": {
            "high": [
                "Deliveries always on time, and the manager answers at once.",
                "Great coffee, our guests notice it.",
                "Easy to order, no surprises in the invoices.",
                "The manager is always there for us, thanks!",
                "You solved our machine problem the same day.",
            ],
            "mid": [
                "Good overall, but the price list changes too often.",
                "Fine, though delivery windows could be shorter.",
                "All fine, but we would like more teas to choose from.",
            ],
            "low": [
                "Two late deliveries this month, nobody warned us.",
                "The invoice was wrong again.",
                "Hard to reach the manager when something goes wrong.",
                "Deliveries are late and calls go unanswered.",
            ],
        },
    },
}
# Tiers: (rank, minimum turnover, minimum tenure in months, minimum class, discount %).
TIER_RULES = [(1, 0, 0, "", 0), (2, 150_000, 6, "B", 3), (3, 600_000, 12, "A", 5)]
CRITERION_WEIGHTS = [1, 3, 2, 2, 2]
# A round's answers come within its first two weeks: on days 1 to ANSWER_DAYS + 1 of its month.
ANSWER_DAYS = 14


def full_mark(language: str) -> str:
    """The name of the quarterly NPS series, whose links mark a complete full demo set."""
    return TEXTS[language]["nps"]


def seed(*, organization, users: dict, size: str = "small", today: datetime.date, language: str) -> None:
    texts = TEXTS[language]
    with transaction.atomic():
        programme = _programme(organization, texts)
        scorecard = _scorecard(organization, texts)
        if size == "full":
            _full(organization, users, programme, scorecard, today, language)
        else:
            _small(organization, users, programme, scorecard, today, language)


def _programme(organization, texts) -> Programme:
    programme = Programme.objects.filter(organization=organization).first()
    if programme is None:
        programme = ledger.programme_save(
            organization=organization,
            name=texts["programme"],
            key_factor=Programme.KeyFactor.SERVICES,
            points_per_thousand=10,
            validity_months=12,
            tier_window_months=12,
        )
    if not programme.tiers.exists():
        for (rank, turnover, tenure, cls, discount), (name, benefits) in zip(TIER_RULES, texts["tiers"]):
            ledger.tier_save(
                programme=programme,
                name=name,
                rank=rank,
                min_turnover=turnover,
                min_tenure_months=tenure,
                min_class=cls,
                discount_percent=discount,
                benefits=benefits,
            )
    if not programme.tools.exists():
        (volume, volume_rules), (club, club_rules) = texts["tools"]
        ledger.programme_tool_save(
            programme=programme,
            kind="progressive",
            name=volume,
            rules=volume_rules,
            steps="30000: 2; 100000: 4; 300000: 6",
        )
        ledger.programme_tool_save(
            programme=programme,
            kind="closed",
            name=club,
            rules=club_rules,
            min_tier=programme.tiers.order_by("-rank").first(),
        )
    return programme


def _scorecard(organization, texts) -> Scorecard:
    scorecard = Scorecard.objects.filter(organization=organization, name=texts["scorecard"]).first()
    if scorecard is None:
        scorecard = services.scorecard_create(
            organization=organization, name=texts["scorecard"], criteria=list(zip(texts["criteria"], CRITERION_WEIGHTS))
        )
    return scorecard


def _graders(organization, users: dict):
    managers = list(Membership.objects.filter(organization=organization, role=Role.MANAGER).select_related("user"))
    head = next((u for name, u in users.items() if name.endswith(("-head", "-admin"))), None)
    return [m.user for m in managers], head


def _small(organization, users, programme, scorecard, today, language) -> None:
    texts = TEXTS[language]
    clients = list(Client.objects.filter(organization=organization).order_by("id")[:6])
    if (
        clients
        and not Campaign.objects.filter(
            organization=organization, name=texts["small_nps"], invitations__isnull=False
        ).exists()
    ):
        Campaign.objects.filter(organization=organization, name=texts["small_nps"]).delete()
        campaign = services.campaign_start(
            organization=organization, kind=Campaign.Kind.NPS, name=texts["small_nps"], started_on=today
        )
        invitations = list(campaign.invitations.order_by("id")[:2])
        for invitation, answer in zip(
            invitations,
            [
                {"score": "10", "why": texts["comments"]["high"][0]},
                {"score": "3", "why": texts["comments"]["low"][0]},
            ],
        ):
            services.response_submit(token=invitation.token, data=answer, language=language)
    if not Campaign.objects.filter(organization=organization, name=texts["small_enps"]).exists():
        campaign = services.campaign_start(
            organization=organization, kind=Campaign.Kind.ENPS, name=texts["small_enps"], started_on=today
        )
        first = campaign.invitations.order_by("id").first()
        services.response_submit(token=first.token, data={"score": "8", "why": texts["team"]}, language=language)
    if clients and not PointAccount.objects.filter(organization=organization).exists():
        for client in clients[:3]:
            settlements = list(Settlement.objects.filter(client=client))
            ledger.points_earn(client=client, settlements=settlements, programme=programme)
        account = PointAccount.objects.filter(organization=organization, balance__gt=0).first()
        if account is not None:
            ledger.points_redeem(client=account.client, points=min(10, account.balance), note=texts["mugs"], on=today)
        else:
            PointAccount.objects.get_or_create(organization=organization, client=clients[0])
        ledger.tiers_assign(organization=organization, programme=programme, today=today)
    managers, head = _graders(organization, users)
    if managers and not DialogueGrade.objects.filter(organization=organization).exists():
        services.dialogue_grade(
            scorecard=scorecard,
            manager=managers[0],
            graded_by=head,
            graded_on=today,
            marks={c.pk: "yes" if c.weight > 1 else "partly" for c in scorecard.criteria.all()},
            client=clients[0] if clients else None,
        )


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


def latest_round_start(today: datetime.date) -> datetime.date:
    """The 1st of the latest month whose round of answers (days 1 to 15) lies wholly before `today`."""
    first = today.replace(day=1)
    return first if today.day > ANSWER_DAYS + 1 else months_before(first, 1)


def _answer_round(campaign: Campaign, rng: random.Random, progress: float, language: str, open_cases: bool) -> None:
    """Answer about half of a past round's links, on dates within two weeks of its start.

    Written in bulk; with `open_cases`, a low score opens a case as `services.case_for_low_scores` does.
    """
    start = campaign.started_on
    started_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time(9)))
    links = list(campaign.invitations.order_by("id").values_list("pk", "client_id"))
    Invitation.objects.filter(campaign=campaign).update(
        created_at=started_at, expires_at=started_at + datetime.timedelta(days=campaign.valid_days)
    )
    main = campaign.questionnaire["questions"][0]
    comments = TEXTS[language]["comments"]
    anonymous = campaign.is_employee_survey
    responses, answered_on = [], {}
    for pk, client_id in links:
        if rng.random() > 0.55:
            continue
        day = start + datetime.timedelta(days=rng.randint(0, ANSWER_DAYS))
        score, mood = _score(rng, main["metric"], progress)
        comment = rng.choice(comments[mood]) if rng.random() < 0.4 else ""
        answers = {main["code"]: score, **({"why": comment} if comment else {})}
        for item in campaign.questionnaire["questions"][1:]:
            # The other items of a graded questionnaire sit near the overall score.
            if item["type"] == "scale" and item["max"] == main["max"]:
                answers[item["code"]] = max(item["min"], min(item["max"], score + rng.choice([-1, 0, 0, 1])))
        responses.append(
            Response(
                organization_id=campaign.organization_id,
                campaign=campaign,
                invitation_id=None if anonymous else pk,
                client_id=client_id,
                metric=main["metric"],
                score=score,
                answers=answers,
                comment=comment,
                language=language,
                answered_on=start if anonymous else day,  # as services.response_submit records it
            )
        )
        answered_on.setdefault(day, []).append(pk)
    if open_cases and not anonymous:
        _open_cases(campaign, responses)
    Response.objects.bulk_create(responses, batch_size=2000)
    # One update per answer day rather than a row-by-row bulk update.
    for day, ids in answered_on.items():
        Invitation.objects.filter(pk__in=ids).update(
            answered_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        )


def _open_cases(campaign: Campaign, responses: list[Response]) -> None:
    """The cases `services.case_for_low_scores` opens for the low answers, written in bulk."""
    low = [(r, questionnaire.low_scores(campaign.questionnaire, r.answers)) for r in responses]
    low = [(r, scores) for r, scores in low if scores]
    clients = Client.objects.in_bulk([r.client_id for r, _scores in low])
    main = questionnaire.main_question(campaign.questionnaire)["code"]
    name = one_line(campaign.name)
    cases = []
    for response, scores in low:
        client = clients[response.client_id]
        text = ", ".join(str(value) if code == main else f"{code} {value}" for code, value in scores)
        cases.append(
            Complaint(
                organization_id=campaign.organization_id,
                client=client,
                source=Complaint.Source.SURVEY,
                subject=services.low_score_subject(name, text, language=campaign.language),
                description=response.comment,
                owner_id=client.manager_id,
            )
        )
    Complaint.objects.bulk_create(cases)
    ComplaintStep.objects.bulk_create(
        [
            ComplaintStep(
                organization_id=c.organization_id,
                complaint=c,
                status=c.status,
                owner_id=c.owner_id,
                note=c.description[:2000],
            )
            for c in cases
        ]
    )
    for (response, _scores), case in zip(low, cases):
        response.complaint = case


def _series(organization, rng, today, language, *, kind, name, every, rounds, open_cases=True, **filters) -> None:
    first = None
    latest = latest_round_start(today)
    for index in range(rounds):
        started = months_before(latest, every * (rounds - 1 - index))
        last = index == rounds - 1
        campaign = services.campaign_start(
            organization=organization,
            kind=kind,
            name=name,
            started_on=started,
            recurrence_months=every if last else 0,
            series=first,
            round_number=index + 1,
            trigger=Campaign.Trigger.MANUAL if index == 0 else Campaign.Trigger.RECURRENCE,
            **filters,
        )
        first = first or campaign
        _answer_round(campaign, rng, index / max(1, rounds - 1), language, open_cases=open_cases and last)
        if not last:
            campaign.closed_at = timezone.make_aware(
                datetime.datetime.combine(started + datetime.timedelta(days=campaign.valid_days), datetime.time(18))
            )
            campaign.save(update_fields=["closed_at"])


def _full(organization, users, programme, scorecard, today, language) -> None:
    texts = TEXTS[language]
    rng = random.Random(f"loyalty-{organization.slug}")
    complete = Campaign.objects.filter(organization=organization, name=full_mark(language), invitations__isnull=False)
    if not complete.exists():
        Campaign.objects.filter(organization=organization).filter(
            Q(trigger=Campaign.Trigger.MANUAL) | Q(trigger=Campaign.Trigger.RECURRENCE)
        ).delete()
        segments = {s.name: s for s in Segment.objects.filter(organization=organization)}
        products = {p.name: p for p in Product.objects.filter(organization=organization)}
        offices, hotels, retail = (
            segments.get(catalogue_name(SEGMENTS, key, language)) for key in ("offices", "hotels", "retail")
        )
        machines = products.get(catalogue_name(PRODUCTS, "machines", language))
        # The NPS goes to the whole client base: every manager's clients answer, so the manager,
        # segment and class slices of the overview cover everybody (it once went to one manager's).
        _series(organization, rng, today, language, kind=Campaign.Kind.NPS, name=texts["nps"], every=3, rounds=9)
        if offices:
            _series(
                organization,
                rng,
                today,
                language,
                kind=Campaign.Kind.CSAT,
                name=texts["csat"],
                every=6,
                rounds=5,
                segment=offices,
            )
        if hotels:
            _series(
                organization,
                rng,
                today,
                language,
                kind=Campaign.Kind.CES,
                name=texts["ces"],
                every=3,
                rounds=9,
                segment=hotels,
            )
        _series(organization, rng, today, language, kind=Campaign.Kind.ENPS, name=texts["enps"], every=6, rounds=5)
        if machines:
            _series(
                organization,
                rng,
                today,
                language,
                kind=Campaign.Kind.PRODUCT,
                name=texts["product"],
                every=12,
                rounds=2,
                product=machines,
            )
        if retail:
            _series(
                organization,
                rng,
                today,
                language,
                kind=Campaign.Kind.IDEAL_SUPPLIER,
                name=texts["ideal"],
                every=12,
                rounds=1,
                segment=retail,
            )
    _full_ledger(organization, programme, today, rng, texts)
    _full_grades(organization, users, scorecard, today, rng)


def recompute(*, organization, size: str, today: datetime.date, background: bool) -> list[str]:
    """Every client's points (credited, lapsed, tier), then the metrics per month and per quarter.

    These are the portal's own recomputations over the whole base, the bulk of the demo's work:
    with `background` they are queued as its jobs for the worker (which computes as of the real
    date, so only for a demo built around it), else computed here as of `today`. Only what is
    missing is done. Returns the kinds of the jobs queued.
    """
    if size != "full":
        return []
    credited = PointMovement.objects.filter(organization=organization, settlement__isnull=False)
    uncredited = Settlement.objects.filter(organization=organization, date__lte=today, amount__gt=0).exclude(
        pk__in=credited.values("settlement_id")
    )
    missing = [
        period
        for period in MetricValue.PeriodKind.values
        if not MetricValue.objects.filter(organization=organization, period_kind=period).exists()
    ]
    if not background:
        if uncredited.exists():
            ledger.points_refresh(organization=organization, today=today)
        for period in missing:
            metric_runs.metrics_compute(organization=organization, period_kind=period, today=today)
        return []
    jobs = ([services.points_start(organization=organization)] if uncredited.exists() else []) + [
        services.metrics_start(organization=organization, period_kind=period) for period in missing
    ]
    return [job.kind for job in jobs]


def _full_ledger(organization, programme, today, rng, texts) -> None:
    """Points month by month for the most active clients: earned, redeemed, lapsed (everyone's: `recompute`)."""
    if PointAccount.objects.filter(organization=organization, movements__isnull=False).exists():
        return
    paid = Settlement.objects.filter(organization=organization, amount__gt=0)
    counts = dict(paid.values("client_id").annotate(n=Count("id")).values_list("client_id", "n"))
    detailed = set(sorted(counts, key=lambda pk: (-counts[pk], pk))[:40])
    settlements = list(paid.filter(client_id__in=detailed).order_by("date", "id"))
    for month in range(23, -1, -1):
        month_end = months_before(today, month)
        ledger.points_credit(
            organization=organization,
            programme=programme,
            settlements=[s for s in settlements if s.client_id in detailed and s.date <= month_end],
        )
        accounts = list(
            PointAccount.objects.filter(organization=organization, client_id__in=detailed).select_related("client")
        )
        for account in accounts:
            if month % 5 == 2 and account.balance > 200 and rng.random() < 0.5:
                ledger.points_redeem(
                    client=account.client, points=account.balance // 2, note=texts["gift"], on=month_end
                )
        ledger.points_expire_all(organization=organization, programme=programme, today=month_end, accounts=accounts)


def _full_grades(organization, users, scorecard, today, rng) -> None:
    if DialogueGrade.objects.filter(organization=organization).count() >= 40:
        return
    managers, head = _graders(organization, users)
    criteria = list(scorecard.criteria.all())
    for month in range(23, -1, -1):
        for index, manager in enumerate(managers):
            day = max(
                months_before(today, month) - datetime.timedelta(days=rng.randint(0, 20)), months_before(today, 24)
            )
            skill = 0.45 + 0.02 * (23 - month) + 0.1 * (index == 0)
            marks = {c.pk: "yes" if rng.random() < skill else rng.choice(["partly", "no"]) for c in criteria}
            services.dialogue_grade(
                scorecard=scorecard, manager=manager, graded_by=head, graded_on=min(day, today), marks=marks
            )
