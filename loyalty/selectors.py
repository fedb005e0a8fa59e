"""Reads for the loyalty pages, the home panel and the client card panel.

Reads that depend on who reads take a `Viewer` (organization, user, role); reads of the
organization alone take `organization=`; the panel functions too get the viewer from `panels_for`.
"""

import datetime
from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clients.models import Client, Product
from clients.selectors import EDITOR_ROLES
from crm_portal.models import HEADS_AND_ANALYSTS, Job, Organization, Role
from crm_portal.tenancy import Viewer, scoped

from . import mailing, metrics, points, questionnaire, tasks
from .models import (
    Campaign,
    DialogueGrade,
    Interview,
    Invitation,
    MetricValue,
    PointAccount,
    PointMovement,
    ProductSurvey,
    Programme,
    Response,
)

TREND_METRICS = (
    "nps",
    "csat",
    "ces",
    "enps",
    "churn",
    "retention",
    "clv",
    "loyalty_index",
    "long_standing_share",
    "iqs",
)

# Who may read each figure, wherever it is shown: cards, trends, slices, breakdowns, answer
# splits, comments, panels and the pages of its own. IQS grades the managers and eNPS is the
# employees' own voice, so neither is for managers (as the IQS and survey pages are not); every
# other figure is for every role. Views, selectors and charts all ask `metric_visible`.
METRIC_ROLES: dict[str, tuple[str, ...]] = {
    "iqs": HEADS_AND_ANALYSTS,
    "enps": HEADS_AND_ANALYSTS,
}


def display_places(metric: str) -> int:
    """Decimals a figure is shown with: two for the CES mean (a 1-7 scale), one for the rest."""
    return 2 if metric == "ces" else 1


def for_people(metric: str, value: float | None) -> float | None:
    """A stored value rounded for reading: `loyalty.metrics` and the metric run keep them exact."""
    return None if value is None else round(value, display_places(metric))


def metric_visible(role: str | None, metric: str) -> bool:
    return role in METRIC_ROLES.get(metric, Role.values)


def _hidden_metrics(role: str | None) -> list[str]:
    return [metric for metric in METRIC_ROLES if not metric_visible(role, metric)]


def metric_labels(role: str | None) -> dict[str, str]:
    """The figures `role` may read, with their names."""
    return {metric: label for metric, label in _all_metric_labels().items() if metric_visible(role, metric)}


def _all_metric_labels() -> dict[str, str]:
    return {
        "nps": _("NPS"),
        "enps": _("eNPS"),
        # xgettext:no-python-format
        "csat": _("CSAT, % satisfied"),
        "ces": _("CES, mean of 1-7"),
        "ces_easy": _("CES, % answering 5-7"),
        "churn": _("Churn rate, %"),
        "retention": _("Retention rate, %"),
        "clv": _("CLV, mean per active client"),
        "loyalty_index": _("Loyalty index, % with purchases on two dates or more"),
        "regular_clients": _("Regular clients"),
        "recommended": _("New clients on recommendation, %"),
        "long_standing_share": _("Sales from long-standing clients, %"),
        "iqs": _("IQS, %"),
    }


def dimension_labels() -> dict[str, str]:
    return dict(MetricValue.Dimension.choices)


def trends(viewer: Viewer, period_kind: str) -> dict:
    """{metric: {"x": [period starts], "y": [values], "n": [counts]}} for the whole organization,
    of the trend metrics the viewer's role may read; values rounded for people (`for_people`)."""
    series: dict[str, dict] = {m: {"x": [], "y": [], "n": []} for m in TREND_METRICS if metric_visible(viewer.role, m)}
    rows = (
        scoped(viewer, MetricValue)
        .filter(period_kind=period_kind, dimension=MetricValue.Dimension.ALL, metric__in=list(series))
        .order_by("period_start")
        .values_list("metric", "period_start", "value", "count")
    )
    for metric, start, value, count in rows:
        series[metric]["x"].append(start.isoformat())
        series[metric]["y"].append(for_people(metric, value))
        series[metric]["n"].append(count)
    return series


def latest_values(viewer: Viewer, period_kind: str, series: dict | None = None) -> list[dict]:
    """The newest period's value of every trend metric, with the change since the period before.

    `series` is `trends(viewer, period_kind)` when the caller has it already (one query less).
    A change is "better" or "worse" by the metric's direction (a fall in churn is better).
    """
    cards = []
    labels = _all_metric_labels()
    for metric, data in (series if series is not None else trends(viewer, period_kind)).items():
        known = [(x, y, n) for x, y, n in zip(data["x"], data["y"], data["n"]) if y is not None]
        if not known:
            cards.append({"metric": metric, "label": labels[metric], "value": None})
            continue
        x, y, n = known[-1]
        previous = known[-2][1] if len(known) > 1 else None
        delta = None if previous is None else round(y - previous, display_places(metric))
        cards.append(
            {
                "metric": metric,
                "label": labels[metric],
                "value": y,
                "count": n,
                "period": datetime.date.fromisoformat(x),
                "delta": delta,
                "change": metrics.change_direction(metric, delta),
            }
        )
    return cards


def _slice_label(dimension: str, key: str, label: str) -> str:
    """The stored name of a slice, but in the reader's language for the "none" slices.

    Labels are stored when the metrics are computed (by a worker, in English); the slices of
    clients with no segment, class or manager are named here, at reading time.
    """
    if key:
        return label
    return {
        MetricValue.Dimension.SEGMENT: _("No segment"),
        MetricValue.Dimension.ABC: _("No class"),
        MetricValue.Dimension.MANAGER: _("Nobody"),
    }.get(dimension, label)


def breakdown(viewer: Viewer, period_kind: str, metric: str) -> dict:
    """The latest period of `metric`, by every slice: {dimension: [rows]}."""
    if not metric_visible(viewer.role, metric):
        return {"period": None, "rows": {}}
    values = scoped(viewer, MetricValue).filter(period_kind=period_kind, metric=metric)
    latest = values.order_by("-period_start").values_list("period_start", flat=True).first()
    table: dict[str, list] = defaultdict(list)
    if latest is None:
        return {"period": None, "rows": {}}
    for row in (
        values.filter(period_start=latest).exclude(dimension=MetricValue.Dimension.ALL).order_by("dimension", "label")
    ):
        row.label = _slice_label(row.dimension, row.key, row.label)
        table[row.dimension].append(row)
    for rows in table.values():
        rows.sort(key=lambda row: (row.key == "", row.label.casefold()))  # "no class" and the like last
    return {"period": latest, "rows": dict(table)}


def slice_trends(viewer: Viewer, period_kind: str, metric: str) -> dict:
    """{dimension: {slice name: {"x": [...], "y": [...]}}}: one line per segment, class, manager, product,
    with values rounded for people (`for_people`)."""
    if not metric_visible(viewer.role, metric):
        return {}
    lines: dict[str, dict[str, dict]] = defaultdict(dict)
    rows = (
        scoped(viewer, MetricValue)
        .filter(period_kind=period_kind, metric=metric)
        .exclude(dimension=MetricValue.Dimension.ALL)
        .order_by("dimension", "label", "period_start")
    )
    for dimension, key, label, start, value in rows.values_list("dimension", "key", "label", "period_start", "value"):
        line = lines[dimension].setdefault(_slice_label(dimension, key, label), {"x": [], "y": []})
        line["x"].append(start.isoformat())
        line["y"].append(for_people(metric, value))
    return dict(lines)


def _readable_responses(viewer: Viewer) -> QuerySet[Response]:
    """The organization's answers to the metrics the viewer's role may read."""
    return scoped(viewer, Response).exclude(metric__in=_hidden_metrics(viewer.role))


def _visible_responses(viewer: Viewer) -> QuerySet[Response]:
    responses = _readable_responses(viewer)
    if viewer.role == Role.MANAGER:
        # A manager reads the answers of its own clients.
        responses = responses.filter(client__manager=viewer.user)
    return responses


def distribution(viewer: Viewer, metric: str, days: int = 365) -> dict | None:
    """Promoters, passives and detractors of the last `days` of NPS (or eNPS) answers; None
    when the viewer's role may not read the metric."""
    if not metric_visible(viewer.role, metric):
        return None
    since = timezone.localdate() - datetime.timedelta(days=days)
    # Counted by the database in one query: the answers themselves are not fetched.
    counts = (
        _visible_responses(viewer)
        .filter(metric=metric, answered_on__gt=since)
        .aggregate(
            promoters=Count("id", filter=Q(score__gte=metrics.PROMOTER_MIN)),
            detractors=Count("id", filter=Q(score__lte=metrics.DETRACTOR_MAX)),
            total=Count("id"),
        )
    )
    total = counts["total"]
    split = {
        "promoters": counts["promoters"],
        "passives": total - counts["promoters"] - counts["detractors"],
        "detractors": counts["detractors"],
    }
    value = round(100.0 * (split["promoters"] - split["detractors"]) / total, 1) if total else None
    return {**split, "total": total, "nps": value}


def latest_comments(viewer: Viewer, limit: int = 10) -> QuerySet[Response]:
    return (
        _visible_responses(viewer)
        .exclude(comment="")
        .select_related("campaign", "client")
        .order_by("-answered_on", "-id")[:limit]
    )


def campaigns_with_rates(*, organization: Organization) -> list[Campaign]:
    """The organization's campaigns, newest first, each with `sent`, `answered` and `rate` (%)."""
    campaigns = list(
        Campaign.objects.for_org(organization)
        .select_related("product", "filter_segment")
        .annotate(
            sent=Count("invitations", distinct=True),
            answered=Count("invitations", filter=Q(invitations__answered_at__isnull=False), distinct=True),
        )
        .order_by("-started_on", "-id")
    )
    for campaign in campaigns:
        campaign.rate = response_rate(campaign.sent, campaign.answered)
    return campaigns


def response_rate(sent: int, answered: int) -> float | None:
    return round(100.0 * answered / sent, 1) if sent else None


def campaign_summary(campaign: Campaign) -> dict:
    """Link and answer counts of a campaign, in two queries whatever its size."""
    now = timezone.now()
    links = Invitation.objects.filter(campaign=campaign).aggregate(
        sent=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        reminded=Count("id", filter=Q(reminded_at__isnull=False)),
        emailed=Count("id", filter=Q(sent_at__isnull=False)),
        reminders_emailed=Count("id", filter=Q(reminder_sent_at__isnull=False)),
        expired=Count("id", filter=Q(answered_at__isnull=True, expires_at__lte=now)),
    )
    scores, cases = [], 0
    for score, complaint_id in campaign.responses.order_by().values_list("score", "complaint_id"):
        scores.append(score)
        cases += 1 if complaint_id is not None else 0
    by_score = Counter(scores)
    main = questionnaire.main_question(campaign.questionnaire)
    summary = {
        "sent": links["sent"],
        "answered": links["answered"],
        "rate": response_rate(links["sent"], links["answered"]),
        "reminded": links["reminded"],
        "emailed": links["emailed"],
        "reminders_emailed": links["reminders_emailed"],
        "expired": links["expired"],
        "metric": main["metric"],
        "scale": (main["min"], main["max"]),
        "histogram": [by_score[v] for v in range(main["min"], main["max"] + 1)],
        "low_at_most": main.get("case_if_at_most"),
        "cases": cases,
    }
    if main["metric"] in ("nps", "enps"):
        summary["value"] = metrics.nps(scores)
        summary["distribution"] = {**metrics.nps_distribution(scores), "total": len(scores), "nps": summary["value"]}
    elif main["metric"] == "csat":
        summary["value"] = metrics.csat(scores)
    else:
        summary["value"] = metrics.ces(scores)[0]
    return summary


TEXTS_SHOWN = 20


def product_survey_items(organization: Organization, language: str) -> dict:
    """The items a product questionnaire can ask, and those each product of the organization asks
    (all of them unless a set was chosen)."""
    items = [
        (q["code"], questionnaire.localized(q["text"], language))
        for q in questionnaire.item_questions(questionnaire.load(Campaign.Kind.PRODUCT))
    ]
    chosen = dict(ProductSurvey.objects.filter(organization=organization).values_list("product_id", "items"))
    every = {code for code, _text in items}
    return {
        "items": items,
        "products": [
            (product, set(chosen.get(product.pk) or every))
            for product in Product.objects.filter(organization=organization)
        ],
    }


def question_results(campaign: Campaign, language: str) -> list[dict]:
    """Each further question's results over the whole campaign (newest texts first), in one query."""
    answer_sets = campaign.responses.order_by("-answered_on", "-id").values_list("answers", flat=True)
    return questionnaire.question_results(campaign.questionnaire, answer_sets.iterator(), language, TEXTS_SHOWN)


def links_without_email(campaign: Campaign) -> list[str]:
    """The respondents whose link cannot be e-mailed now, in one query.

    A client with no contact person having an e-mail, or a member whose user has none (the same
    rule as `mailing.recipients`).
    """
    links = Invitation.objects.filter(campaign=campaign).exclude(mailing.has_address(campaign))
    return list(links.order_by("respondent", "id").values_list("respondent", flat=True))


def latest_send_job(campaign: Campaign) -> Job | None:
    return (
        Job.objects.filter(
            organization_id=campaign.organization_id, kind=tasks.send_links_task.name, params__campaign_id=campaign.pk
        )
        .order_by("-created_at", "-id")
        .first()
    )


def latest_job(*, organization: Organization, kind: str) -> Job | None:
    return Job.objects.for_org(organization).filter(kind=kind).order_by("-created_at", "-id").first()


def iqs_by_manager(viewer: Viewer, months: int = 6) -> dict:
    """{"months": [...], "rows": [(manager, [mean IQS per month])]} from the graded dialogues."""
    if not metric_visible(viewer.role, "iqs"):
        return {"months": [], "rows": []}
    today = timezone.localdate()
    first = datetime.date(today.year, today.month, 1)
    starts = []
    for _i in range(months):
        starts.insert(0, first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    grades = scoped(viewer, DialogueGrade).filter(graded_on__gte=starts[0]).select_related("manager")
    cells: dict[str, dict[datetime.date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for grade in grades:
        cells[grade.manager.get_username()][grade.graded_on.replace(day=1)].append(grade.iqs)
    rows = [(name, [metrics.mean(by_month.get(s, [])) for s in starts]) for name, by_month in sorted(cells.items())]
    return {"months": starts, "rows": rows}


def programme_of(*, organization: Organization) -> Programme | None:
    return Programme.objects.for_org(organization).prefetch_related("tiers").first()


def accounts_visible_to(viewer: Viewer) -> QuerySet[PointAccount]:
    accounts = scoped(viewer, PointAccount).select_related("client", "tier")
    if viewer.role == Role.MANAGER:
        accounts = accounts.filter(client__manager=viewer.user)
    return accounts


def point_balances(viewer: Viewer, search: str = "") -> QuerySet[PointAccount]:
    """The accounts the viewer may read, biggest balance first; `search` keeps client names containing it."""
    accounts = accounts_visible_to(viewer).order_by("-balance", "client__name", "id")
    return accounts.filter(client__name__icontains=search) if search else accounts


def movements_of(account: PointAccount, limit: int) -> QuerySet[PointMovement]:
    """An account's newest `limit` movements."""
    return account.movements.select_related("created_by").order_by("-occurred_on", "-id")[:limit]


def home_panel(viewer: Viewer) -> dict:
    return {
        "cards": [
            c for c in latest_values(viewer, MetricValue.PeriodKind.MONTH) if c["metric"] in ("nps", "csat", "churn")
        ]
    }


# The loyalty figures compared per manager on the dashboard.
MANAGER_METRICS = ("nps", "csat", "ces", "churn", "retention", "iqs")


def dashboard_panel(viewer: Viewer) -> dict:
    """The newest month of every trend metric, and per manager the newest month of MANAGER_METRICS."""
    metrics_shown = [m for m in MANAGER_METRICS if metric_visible(viewer.role, m)]
    monthly = scoped(viewer, MetricValue).filter(period_kind=MetricValue.PeriodKind.MONTH, metric__in=metrics_shown)
    # Each metric's newest month (of any slice, as `breakdown` takes it), then its managers' values there.
    periods = dict(monthly.order_by().values_list("metric").annotate(latest=Max("period_start")))
    per_manager: dict[str, dict] = {}
    newest = Q(pk__in=[])
    for metric, start in periods.items():
        newest |= Q(metric=metric, period_start=start)
    for metric, key, label, value in monthly.filter(newest, dimension=MetricValue.Dimension.MANAGER).values_list(
        "metric", "key", "label", "value"
    ):
        name = _slice_label(MetricValue.Dimension.MANAGER, key, label)
        per_manager.setdefault(name, {})[metric] = for_people(metric, value)
    labels = _all_metric_labels()
    series = trends(viewer, MetricValue.PeriodKind.MONTH)
    return {
        "cards": latest_values(viewer, MetricValue.PeriodKind.MONTH, series),
        # The overview's trend charts (loyalty/charts.js reads #loyalty-trends), without its slices.
        "chart": {"series": series, "labels": metric_labels(viewer.role), "slices": {}},
        "manager_metrics": [(m, labels[m], periods.get(m)) for m in metrics_shown],
        # (manager, [(metric, value or None) in the order of manager_metrics]), by name.
        "managers": [
            (name, [(m, values.get(m)) for m in metrics_shown])
            for name, values in sorted(per_manager.items(), key=lambda item: item[0].casefold())
        ],
    }


def programme_tools(programme: Programme | None) -> list[dict]:
    """The programme's tools with their steps as numbers, for the programme page and the card."""
    if programme is None:
        return []
    return [
        {"tool": tool, "steps": [(Decimal(start), Decimal(percent)) for start, percent in tool.steps]}
        for tool in programme.tools.select_related("min_tier")
    ]


def client_tools(programme: Programme | None, client: Client, account: PointAccount | None) -> list[dict]:
    """Each tool of the programme with whether this client may use it now (its class and tier)."""
    tier = account.tier if account is not None else None
    return [
        {
            **row,
            "open": points.open_to(
                min_class=row["tool"].min_class,
                min_rank=row["tool"].min_tier.rank if row["tool"].min_tier else None,
                abc_class=client.abc_class,
                rank=tier.rank if tier else None,
            ),
        }
        for row in programme_tools(programme)
    ]


def client_card_panel(viewer: Viewer, client: Client) -> dict:
    account = scoped(viewer, PointAccount).filter(client=client).select_related("tier").first()
    programme = programme_of(organization=viewer.organization)
    language = get_language() or "en"
    guide = questionnaire.load(questionnaire.INTERVIEW_KINDS[0])
    return {
        "client": client,
        "can_interview": viewer.role in EDITOR_ROLES,
        "interview_intro": questionnaire.localized(guide["intro"], language),
        "interviews": [
            {
                "interview": interview,
                # Each interview read by the questions it was held with (its own copy of the guide).
                "answers": [
                    (questionnaire.localized(q["text"], language), interview.answers[q["code"]])
                    for q in interview.questionnaire["questions"]
                    if interview.answers.get(q["code"])
                ],
            }
            for interview in scoped(viewer, Interview).filter(client=client).select_related("author")[:5]
        ],
        "account": account,
        "programme": programme,
        "tools": client_tools(programme, client, account),
        "movements": movements_of(account, 5) if account else [],
        "answers": _readable_responses(viewer)
        .filter(client=client)
        .select_related("campaign")
        .order_by("-answered_on", "-id")[:5],
    }
