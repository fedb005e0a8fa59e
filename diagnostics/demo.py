"""Demo data of diagnostics: completed assessments at two dates, actions, one CJM and one AIDA+L map."""

import datetime

from django.db import transaction
from django.utils import timezone

from .definition import CHOICES, SCALES, iter_items
from .models import Action, AidaMap, Answer, Assessment, Instrument, JourneyMap
from .services import aida_action_add, aida_map_create, instruments_load, touchpoint_save

SMALL_INSTRUMENTS = ["controllability"]
FULL_INSTRUMENTS = [
    "controllability",
    "goulding",
    "client_work",
    "mystery_shopper",
    "service_level",
    "cx_understanding",
    "service_excellence",
    "crm_strategy",
    "mission_strategy",
    "customer_orientation",
]
TEXTS = {
    "ru": {
        "mission": "Помогаем торговым компаниям удерживать клиентов годами.",
        "client_feeling": "Спокойствие, уверенность, забота.",
        "principles": "Отвечаем в течение часа; обещаем только то, что выполним; говорим на языке клиента.",
        "in_practice": "Менеджер перезванивает сам, ведёт карточку клиента и раз в квартал спрашивает об удовлетворённости.",
        "one_fix": "Согласование скидок занимает слишком много времени.",
        "checked": "Проверено на встрече отдела",
        "action": "Описать единую процедуру и назначить ответственного",
        "journey": ("Путь оптового покупателя", "Закупщик розничной сети"),
        "touchpoints": [
            (
                "discovery",
                "Поиск поставщика",
                "Поиск в интернете",
                "Ищет поставщика по запросу",
                0,
                "Сайт медленно открывается",
                "Маркетинг",
                "Ускорить сайт",
            ),
            (
                "consideration",
                "Запрос прайса",
                "Телефон",
                "Звонит и просит прайс",
                -1,
                "Долго ждёт ответа\nПрайс устарел",
                "Отдел продаж",
                "Отвечать в течение часа",
            ),
            ("purchase", "Первый заказ", "Email", "Отправляет заказ", 1, "", "Менеджер", "Шаблон подтверждения заказа"),
            (
                "use",
                "Доставка",
                "Склад",
                "Получает товар",
                -2,
                "Опоздание доставки",
                "Логистика",
                "SMS о статусе доставки",
            ),
            (
                "repeat",
                "Повторный заказ",
                "Личный кабинет",
                "Заказывает снова",
                2,
                "",
                "Менеджер",
                "Напоминание о запасах",
            ),
        ],
        "aida": ("Воронка AIDA+L", ["Розничная сеть", "Частный магазин"]),
        "aida_actions": [
            (0, "awareness", "Участие в отраслевой выставке", "Маркетинг", "Выставка"),
            (0, "interest", "Кейс с цифрами экономии", "Маркетинг", "Email"),
            (0, "action", "Пробная поставка со скидкой", "Отдел продаж", "Встреча"),
            (0, "loyalty", "Квартальный обзор закупок", "Менеджер", "Встреча"),
            (1, "awareness", "Реклама в соцсетях", "Маркетинг", "Соцсети"),
            (1, "action", "Заказ через сайт", "Отдел продаж", "Сайт"),
        ],
    },
    "en": {
        "mission": "We help trading companies keep their clients for years.",
        "client_feeling": "Calm, confident, cared for.",
        "principles": "We answer within an hour; we promise only what we will do; we speak the client's language.",
        "in_practice": "The manager calls back unasked, keeps the client card and asks about satisfaction every quarter.",
        "one_fix": "Discounts take too long to approve.",
        "checked": "Checked at the team meeting",
        "action": "Write one procedure and name its owner",
        "journey": ("A wholesale buyer's path", "Retail chain buyer"),
        "touchpoints": [
            (
                "discovery",
                "Looking for a supplier",
                "Web search",
                "Searches for a supplier",
                0,
                "The website is slow",
                "Marketing",
                "Speed up the website",
            ),
            (
                "consideration",
                "Asking for prices",
                "Phone",
                "Calls and asks for the price list",
                -1,
                "Waits long for an answer\nThe price list is out of date",
                "Sales",
                "Answer within an hour",
            ),
            ("purchase", "First order", "Email", "Sends the order", 1, "", "Manager", "An order confirmation template"),
            (
                "use",
                "Delivery",
                "Warehouse",
                "Receives the goods",
                -2,
                "Late delivery",
                "Logistics",
                "Text messages on the delivery status",
            ),
            (
                "repeat",
                "Repeat order",
                "Client portal",
                "Orders again",
                2,
                "",
                "Manager",
                "A reminder when stock runs low",
            ),
        ],
        "aida": ("AIDA+L funnel", ["Retail chain", "Independent shop"]),
        "aida_actions": [
            (0, "awareness", "A stand at the trade fair", "Marketing", "Trade fair"),
            (0, "interest", "A case study with the savings in figures", "Marketing", "Email"),
            (0, "action", "A trial delivery at a discount", "Sales", "Meeting"),
            (0, "loyalty", "A quarterly review of purchases", "Manager", "Meeting"),
            (1, "awareness", "Social media advertising", "Marketing", "Social media"),
            (1, "action", "Ordering on the website", "Sales", "Website"),
        ],
    },
}


def _value(item: dict, index: int, later: bool, texts: dict = TEXTS["en"]):
    """A plausible answer; the later assessment is better on most items and worse on a few."""
    kind = item["type"]
    if kind in CHOICES:
        values = list(CHOICES[kind])  # best first
        position = (index * 7 + 3) % len(values)
        if later:
            position = max(0, position - 1) if index % 5 else min(len(values) - 1, position + 1)
        return values[position]
    if kind in SCALES:
        low, high = SCALES[kind]
        return min(high, low + (index * 3 + 5) % (high - low + 1) + (2 if later else 0))
    if kind == "single":
        return item["options"][index % len(item["options"])]["value"]
    if kind == "multiple":
        return [item["options"][0]["value"]]
    if kind == "number":
        return 10 + index
    return texts.get(item["key"], "—")


def _assessment(
    organization, author, instrument: Instrument, when: datetime.datetime, later: bool, texts: dict
) -> Assessment:
    version = instrument.latest_version()
    assessment = Assessment.objects.create(
        organization=organization,
        version=version,
        author=author,
        started_at=when,
        status=Assessment.Status.COMPLETED,
        completed_at=when + datetime.timedelta(hours=2),
    )
    Answer.objects.bulk_create(
        [
            Answer(
                organization=organization,
                assessment=assessment,
                item_key=item["key"],
                value=_value(item, index, later, texts),
                comment=texts["checked"] if index == 0 else "",
            )
            for index, (_, item) in enumerate(iter_items(version.definition))
        ]
    )
    return assessment


def _journey_map(organization, user, texts: dict) -> None:
    title, persona = texts["journey"]
    journey_map, created = JourneyMap.objects.get_or_create(
        organization=organization,
        title=title,
        persona=persona,
        version=1,
        defaults={"created_by": user},
    )
    if not created:
        return
    for stage, name, channel, action, emotion, pains, owner, ideas in texts["touchpoints"]:
        touchpoint_save(
            journey_map=journey_map,
            stage=stage,
            name=name,
            channel=channel,
            client_action=action,
            emotion=emotion,
            pains=pains,
            owner=owner,
            ideas=ideas,
        )


def _aida_map(organization, user, texts: dict) -> None:
    title, personas = texts["aida"]
    if AidaMap.objects.filter(organization=organization, title=title).exists():
        return
    aida_map = aida_map_create(organization=organization, title=title, personas=personas, user=user)
    created = list(aida_map.personas.order_by("id"))
    for persona, stage, description, owner, channel in texts["aida_actions"]:
        aida_action_add(
            aida_map=aida_map,
            persona=created[persona],
            stage=stage,
            description=description,
            owner=owner,
            channel=channel,
        )


@transaction.atomic
def seed(*, organization, users: dict, size: str = "small", today: datetime.date, language: str) -> None:
    texts = TEXTS[language]
    if not Instrument.objects.exists():
        instruments_load()
    author = users.get("demo-manager") or users.get("other-manager") or next(iter(users.values()))
    head = users.get("demo-head") or author
    codes = FULL_INSTRUMENTS if size == "full" else SMALL_INSTRUMENTS
    morning = timezone.make_aware(datetime.datetime.combine(today, datetime.time(10)))
    dates = [morning - datetime.timedelta(days=120), morning - datetime.timedelta(days=10)]
    for code in codes:
        instrument = Instrument.objects.get(code=code)
        existing = Assessment.objects.filter(
            organization=organization, version__instrument=instrument, author=author, status=Assessment.Status.COMPLETED
        ).count()
        for index in range(existing, 2):
            _assessment(organization, author, instrument, dates[index], later=index == 1, texts=texts)
    latest = (
        Assessment.objects.filter(
            organization=organization, version__instrument__code="controllability", status=Assessment.Status.COMPLETED
        )
        .order_by("-completed_at")
        .first()
    )
    if not Action.objects.filter(organization=organization, assessment=latest).exists():
        gap = latest.answers.exclude(value="+").order_by("id").first()
        Action.objects.create(
            organization=organization,
            assessment=latest,
            item_key=gap.item_key,
            title=texts["action"],
            owner=author,
            due_date=today + datetime.timedelta(days=30),
            created_by=head,
        )
    _journey_map(organization, author, texts)
    _aida_map(organization, author, texts)
