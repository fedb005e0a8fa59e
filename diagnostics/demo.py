"""Demo data of diagnostics: completed assessments at two dates, actions, one CJM and one AIDA+L map."""

import datetime

from django.db import transaction
from django.utils import timezone

from .definition import CHOICES, SCALES, iter_items
from .models import Action, AidaMap, Answer, Assessment, Instrument, JourneyMap
from .services import aida_action_add, aida_map_create, instruments_load, touchpoint_save

SMALL_INSTRUMENTS = ["controllability"]
FULL_INSTRUMENTS = ["controllability", "goulding", "client_work", "mystery_shopper", "service_level",
                    "cx_understanding", "service_excellence", "crm_strategy", "employee_survey", "mission_strategy"]
TEXTS = {
    "mission": "Помогаем торговым компаниям удерживать клиентов годами.",
    "client_feeling": "Спокойствие, уверенность, забота.",
    "principles": "Отвечаем в течение часа; обещаем только то, что выполним; говорим на языке клиента.",
    "in_practice": "Менеджер перезванивает сам, ведёт карточку клиента и раз в квартал спрашивает об удовлетворённости.",
    "one_fix": "Согласование скидок занимает слишком много времени.",
}


def _value(item: dict, index: int, later: bool):
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
    return TEXTS.get(item["key"], "—")


def _assessment(organization, author, instrument: Instrument, when: datetime.datetime, later: bool) -> Assessment:
    version = instrument.latest_version()
    assessment = Assessment.objects.create(
        organization=organization, version=version, author=author, started_at=when,
        status=Assessment.Status.COMPLETED, completed_at=when + datetime.timedelta(hours=2),
    )
    Answer.objects.bulk_create([
        Answer(organization=organization, assessment=assessment, item_key=item["key"],
               value=_value(item, index, later), comment="Проверено на встрече отдела" if index == 0 else "")
        for index, (_, item) in enumerate(iter_items(version.definition))
    ])
    return assessment


def _journey_map(organization, user) -> None:
    journey_map, created = JourneyMap.objects.get_or_create(
        organization=organization, title="Путь оптового покупателя", persona="Закупщик розничной сети",
        version=1, defaults={"created_by": user},
    )
    if not created:
        return
    rows = [
        ("discovery", "Поиск поставщика", "Поиск в интернете", "Ищет поставщика по запросу", 0, "Сайт медленно открывается", "Маркетинг", "Ускорить сайт"),
        ("consideration", "Запрос прайса", "Телефон", "Звонит и просит прайс", -1, "Долго ждёт ответа\nПрайс устарел", "Отдел продаж", "Отвечать в течение часа"),
        ("purchase", "Первый заказ", "Email", "Отправляет заказ", 1, "", "Менеджер", "Шаблон подтверждения заказа"),
        ("use", "Доставка", "Склад", "Получает товар", -2, "Опоздание доставки", "Логистика", "SMS о статусе доставки"),
        ("repeat", "Повторный заказ", "Личный кабинет", "Заказывает снова", 2, "", "Менеджер", "Напоминание о запасах"),
    ]
    for stage, name, channel, action, emotion, pains, owner, ideas in rows:
        touchpoint_save(journey_map=journey_map, stage=stage, name=name, channel=channel, client_action=action,
                        emotion=emotion, pains=pains, owner=owner, ideas=ideas)


def _aida_map(organization, user) -> None:
    if AidaMap.objects.filter(organization=organization, title="Воронка AIDA+L 2026").exists():
        return
    aida_map = aida_map_create(organization=organization, title="Воронка AIDA+L 2026",
                               personas=["Розничная сеть", "Частный магазин"], user=user)
    retail, shop = aida_map.personas.order_by("id")
    rows = [
        (retail, "awareness", "Участие в отраслевой выставке", "Маркетинг", "Выставка"),
        (retail, "interest", "Кейс с цифрами экономии", "Маркетинг", "Email"),
        (retail, "action", "Пробная поставка со скидкой", "Отдел продаж", "Встреча"),
        (retail, "loyalty", "Квартальный обзор закупок", "Менеджер", "Встреча"),
        (shop, "awareness", "Реклама в соцсетях", "Маркетинг", "Соцсети"),
        (shop, "action", "Заказ через сайт", "Отдел продаж", "Сайт"),
    ]
    for persona, stage, description, owner, channel in rows:
        aida_action_add(aida_map=aida_map, persona=persona, stage=stage, description=description, owner=owner,
                        channel=channel)


@transaction.atomic
def seed(*, organization, users: dict, size: str = "small") -> None:
    if not Instrument.objects.exists():
        instruments_load()
    author = users.get("demo-manager") or users.get("other-manager") or next(iter(users.values()))
    head = users.get("demo-head") or author
    codes = FULL_INSTRUMENTS if size == "full" else SMALL_INSTRUMENTS
    now = timezone.now().replace(microsecond=0)
    dates = [now - datetime.timedelta(days=120), now - datetime.timedelta(days=10)]
    for code in codes:
        instrument = Instrument.objects.get(code=code)
        existing = Assessment.objects.filter(organization=organization, version__instrument=instrument,
                                             author=author, status=Assessment.Status.COMPLETED).count()
        for index in range(existing, 2):
            _assessment(organization, author, instrument, dates[index], later=index == 1)
    latest = Assessment.objects.filter(organization=organization, version__instrument__code="controllability",
                                       status=Assessment.Status.COMPLETED).order_by("-completed_at").first()
    if not Action.objects.filter(organization=organization, assessment=latest).exists():
        gap = latest.answers.exclude(value="+").order_by("id").first()
        Action.objects.create(
            organization=organization, assessment=latest, item_key=gap.item_key,
            title="Описать единую процедуру и назначить ответственного", owner=author,
            due_date=timezone.localdate() + datetime.timedelta(days=30), created_by=head,
        )
    _journey_map(organization, author)
    _aida_map(organization, author)
