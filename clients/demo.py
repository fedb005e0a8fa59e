"""Demo data of the client register: a small set for tests, a realistic 2,000-client base.

The whole base is generated in memory and written with bulk inserts: clients, two years of
settlements, contact persons, contacts, control points, deals with their events, control points,
payments and documents, complaints with their steps. The lifecycle states are then computed once
for the whole base (the ABC/XYZ classes come from the runs on the client base of the
segmentation demo). A deal is written as the deal services write it (see `_DealScript`), so the
demo obeys the same rules: a deal moves past payment and is won only paid in full or with a
deferred payment agreed.

Idempotent: the organization's demo clients (external ids starting with DEMO-) are rebuilt only
when their number differs from the size asked for.
"""

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from crm_portal.models import Holiday, Membership, Role

from . import services
from .lifecycle import months_before
from .models import (
    STAGE_ORDER,
    AuditEntry,
    Channel,
    Client,
    Complaint,
    ComplaintKind,
    ComplaintStep,
    Contact,
    ContactPerson,
    ControlPoint,
    Deal,
    DealDocument,
    DealEvent,
    MarketingSpend,
    Offer,
    Product,
    RefusalReason,
    Segment,
    Settlement,
    Stage,
)
from .signals import complaint_closed

SIZES = {"small": 12, "full": 2000}
# Catalogues by key, named in each language; other demos find them by name (`catalogue_name`).
SEGMENTS = {
    "retail": {"ru": "Розничные сети", "en": "Retail chains"},
    "horeca": {"ru": "Рестораны и кафе", "en": "Restaurants and cafes"},
    "offices": {"ru": "Офисы", "en": "Offices"},
    "hotels": {"ru": "Гостиницы", "en": "Hotels"},
    "online": {"ru": "Интернет-магазины", "en": "Online shops"},
}
PRODUCTS = {
    "beans": {"ru": "Кофе в зёрнах", "en": "Coffee beans"},
    "tea": {"ru": "Чай", "en": "Tea"},
    "machines": {"ru": "Кофемашины", "en": "Coffee machines"},
    "service": {"ru": "Сервис кофемашин", "en": "Machine service"},
    "syrups": {"ru": "Сиропы", "en": "Syrups"},
    "tableware": {"ru": "Посуда", "en": "Tableware"},
}
TARGETS = {
    "retail": ["beans", "tea", "syrups"],
    "horeca": ["beans", "machines", "service", "syrups", "tableware"],
    "offices": ["beans", "tea", "machines", "service"],
    "hotels": ["beans", "tea", "tableware"],
    "online": ["beans", "tea"],
}
TEXTS = {
    "ru": {
        "reasons": [
            "Слишком высокая цена",
            "Выбрали конкурента",
            "Нет бюджета в этом году",
            "Сейчас не время",
            "Продукт не подходит",
        ],
        "industries": ["Общественное питание", "Розничная торговля", "Гостиничный бизнес", "Услуги"],
        "activities": ["Оптовая торговля", "Розничная торговля", "Кафе и рестораны", "Офис"],
        "positions": ["Владелец", "Закупщик", "Генеральный директор", "Управляющий", "Офис-менеджер", "Шеф-бариста"],
        "contacts": [
            "Обсудили следующий заказ",
            "Отправили прайс-лист",
            "Договорились о дегустации",
            "Уточнили сроки доставки",
        ],
        "deal": "Договор поставки № %(n)s",
        "retry": "Лицо, принимающее решения, было в отъезде",
        "clarification": "Клиент попросил другие объёмы",
        "deferral": "Оплата после сезона распродаж",
        "complaints": [
            "Опоздание доставки",
            "Повреждённая упаковка",
            "Ошибка в счёте",
            "Грубость курьера",
            "Сломалась кофемашина",
        ],
        # The kind of each complaint subject above, in the same order.
        "complaint_kinds": ["Доставка", "Упаковка", "Документы", "Поведение сотрудников", "Качество товара"],
        "complaint_text": "Клиент позвонил с жалобой.",
        "cause": "Ошибка планирования",
        "actions": "Исправили график доставки",
        "next_step": "Перезвонить по предложению",
        "comments": "Предпочитает звонки до полудня.",
    },
    "en": {
        "reasons": [
            "Price too high",
            "Chose a competitor",
            "No budget this year",
            "Not the right time",
            "Product does not fit",
        ],
        "industries": ["Food service", "Retail", "Hospitality", "Services"],
        "activities": ["Wholesale", "Retail", "Catering", "Office"],
        "positions": ["Owner", "Buyer", "Director", "Manager", "Office manager", "Head barista"],
        "contacts": [
            "Discussed the next order",
            "Sent the price list",
            "Agreed a tasting",
            "Asked about delivery times",
        ],
        "deal": "Supply contract %(n)s",
        "retry": "Decision maker was away",
        "clarification": "Client asked for other volumes",
        "deferral": "Pays after the sales season",
        "complaints": ["Late delivery", "Damaged package", "Wrong invoice", "Rude courier", "Machine broke down"],
        "complaint_kinds": ["Delivery", "Packaging", "Documents", "Staff behaviour", "Product quality"],
        "complaint_text": "The client called to complain.",
        "cause": "Planning mistake",
        "actions": "Fixed the delivery schedule",
        "next_step": "Call back about the offer",
        "comments": "Prefers calls before noon.",
    },
}
# Russian company names: a legal form and a name in quotes, as they stand in contracts.
RU_BRANDS = [
    "Аврора",
    "Альтаир",
    "Арбат",
    "Байкал",
    "Берёзка",
    "Бодрость",
    "Вектор",
    "Велес",
    "Виктория",
    "Волга",
    "Восход",
    "Гармония",
    "Гранат",
    "Дельта",
    "Добрыня",
    "Жемчужина",
    "Заря",
    "Зерно",
    "Изумруд",
    "Империал",
    "Калинка",
    "Кедр",
    "Корица",
    "Кофеин",
    "Лазурь",
    "Лотос",
    "Магистраль",
    "Меридиан",
    "Мираж",
    "Ника",
    "Нева",
    "Омега",
    "Орион",
    "Паллада",
    "Парус",
    "Пеликан",
    "Полюс",
    "Прага",
    "Радуга",
    "Рассвет",
    "Ладья",
    "Садко",
    "Самовар",
    "Сапфир",
    "Светлана",
    "Север",
    "Сириус",
    "Сфера",
    "Таврида",
    "Титан",
    "Уют",
    "Фортуна",
    "Чаёк",
    "Чашка",
    "Штурвал",
    "Эталон",
    "Юпитер",
    "Янтарь",
    "Ярмарка",
    "Агат",
    "Алмаз",
    "Альфа",
    "Ангара",
    "Атлант",
    "Бриз",
    "Вега",
    "Визит",
    "Гелиос",
    "Горизонт",
    "Диалог",
    "Домино",
    "Енисей",
    "Кристалл",
    "Купец",
    "Лидер",
    "Магнолия",
    "Малахит",
    "Мозаика",
    "Ока",
    "Олимп",
    "Пассаж",
    "Престиж",
    "Ривьера",
    "Рубин",
    "Сигма",
    "Славяне",
    "Старт",
    "Тандем",
    "Урал",
    "Феникс",
]
RU_SUFFIXES = [
    "",
    "-Трейд",
    "-Сервис",
    "-Групп",
    "-Плюс",
    "-Юг",
    "-Север",
    "-Центр",
    "-М",
    "-Снаб",
    "-Маркет",
    "-Опт",
    "-Регион",
    "-Холдинг",
    "-Логистик",
    "-Про",
]
RU_CITIES = ["Москва", "Казань", "Тверь", "Самара", "Пермь", "Томск", "Тула", "Омск", "Сочи", "Уфа"]
# (male, female) forms.
RU_SURNAMES = [
    ("Иванов", "Иванова"),
    ("Смирнов", "Смирнова"),
    ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"),
    ("Васильев", "Васильева"),
    ("Петров", "Петрова"),
    ("Соколов", "Соколова"),
    ("Михайлов", "Михайлова"),
    ("Новиков", "Новикова"),
    ("Фёдоров", "Фёдорова"),
    ("Морозов", "Морозова"),
    ("Волков", "Волкова"),
    ("Алексеев", "Алексеева"),
    ("Лебедев", "Лебедева"),
    ("Семёнов", "Семёнова"),
    ("Егоров", "Егорова"),
    ("Павлов", "Павлова"),
    ("Козлов", "Козлова"),
    ("Степанов", "Степанова"),
    ("Николаев", "Николаева"),
    ("Орлов", "Орлова"),
    ("Андреев", "Андреева"),
    ("Макаров", "Макарова"),
    ("Никитин", "Никитина"),
    ("Захаров", "Захарова"),
    ("Зайцев", "Зайцева"),
    ("Соловьёв", "Соловьёва"),
    ("Борисов", "Борисова"),
    ("Яковлев", "Яковлева"),
    ("Григорьев", "Григорьева"),
    ("Романов", "Романова"),
    ("Белов", "Белова"),
    ("Тарасов", "Тарасова"),
    ("Ковалёв", "Ковалёва"),
    ("Жуков", "Жукова"),
    ("Ильин", "Ильина"),
    ("Гусев", "Гусева"),
    ("Титов", "Титова"),
    ("Комаров", "Комарова"),
    ("Полянский", "Полянская"),
    ("Вишневский", "Вишневская"),
    ("Островский", "Островская"),
]
RU_MALE = [
    "Александр",
    "Алексей",
    "Андрей",
    "Дмитрий",
    "Евгений",
    "Игорь",
    "Иван",
    "Максим",
    "Михаил",
    "Никита",
    "Олег",
    "Павел",
    "Сергей",
    "Юрий",
    "Владимир",
    "Константин",
    "Роман",
    "Артём",
]
RU_FEMALE = [
    "Анна",
    "Елена",
    "Ирина",
    "Мария",
    "Наталья",
    "Ольга",
    "Светлана",
    "Татьяна",
    "Екатерина",
    "Юлия",
    "Марина",
    "Дарья",
    "Ксения",
    "Алина",
    "Вера",
    "Людмила",
]
RU_PATRONYMICS = [
    ("Александрович", "Александровна"),
    ("Алексеевич", "Алексеевна"),
    ("Андреевич", "Андреевна"),
    ("Викторович", "Викторовна"),
    ("Владимирович", "Владимировна"),
    ("Дмитриевич", "Дмитриевна"),
    ("Иванович", "Ивановна"),
    ("Михайлович", "Михайловна"),
    ("Николаевич", "Николаевна"),
    ("Павлович", "Павловна"),
    ("Петрович", "Петровна"),
    ("Сергеевич", "Сергеевна"),
    ("Юрьевич", "Юрьевна"),
    ("Олегович", "Олеговна"),
]
EN_PARTS = (
    ["North", "Sun", "Blue", "Green", "Golden", "Silver", "Grand", "Urban", "Prime", "Smart", "Bright", "Star"],
    ["Bean", "Cup", "Table", "Leaf", "Hall", "Market", "Corner", "Point", "House", "Garden", "Harbor", "Street"],
    ["LLC", "Group", "Trading", "& Co", "Ltd", "Holding"],
)
EN_PEOPLE = (
    ["Anna", "Pavel", "Maria", "Oleg", "Irina", "Dmitry", "Laura", "James", "Sofia", "Peter", "Emma", "Tom"],
    ["Ivanova", "Orlov", "Kuznetsova", "Sokolov", "Volkova", "Lebedev", "Baker", "Wilson", "Evans", "Clarke"],
)
EXTRA_MANAGERS = ["demo-manager-2", "demo-manager-3"]


def catalogue_name(catalogue: dict, key: str, language: str) -> str:
    """The demo name of a segment or product (`SEGMENTS`, `PRODUCTS`) in the demo's language."""
    return catalogue[key][language]


def person_name(rng: random.Random, language: str) -> str:
    """A realistic full name: «Фамилия Имя Отчество» in Russian, "First Last" in English."""
    if language == "en":
        return f"{rng.choice(EN_PEOPLE[0])} {rng.choice(EN_PEOPLE[1])}"
    female = rng.random() < 0.5
    surname, patronymic = rng.choice(RU_SURNAMES), rng.choice(RU_PATRONYMICS)
    first = rng.choice(RU_FEMALE if female else RU_MALE)
    return f"{surname[female]} {first} {patronymic[female]}"


def company_names(rng: random.Random, count: int, language: str) -> list[str]:
    """`count` different company names; a name met twice gets its city, as real client lists do."""
    names, seen = [], set()
    while len(names) < count:
        if language == "en":
            name = " ".join(rng.choice(part) for part in EN_PARTS)
        else:
            form = "АО" if rng.random() < 0.15 else "ООО"
            name = f"{form} «{rng.choice(RU_BRANDS)}{rng.choice(RU_SUFFIXES)}»"
        if name in seen:
            name = f"{name} ({rng.choice(RU_CITIES)})" if language == "ru" else f"{name} {len(names) + 1}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def seed(*, organization, users: dict, size: str = "small", today: datetime.date, language: str) -> None:
    wanted = SIZES[size]
    demo_clients = Client.objects.filter(organization=organization, external_id__startswith="DEMO-")
    if demo_clients.count() == wanted:
        return
    with transaction.atomic():
        demo_clients.delete()
        _build(organization, users, size, random.Random(f"{organization.slug}-{size}"), today, language)
        _holidays(organization, today, language)
        # The morning rounds have run: greeting points for the coming week, then each manager hears
        # of the points that became overdue.
        services.care_points_create(today, organization)
        services.control_points_overdue_notify(today)


HOLIDAYS = {
    "ru": [(1, 1, "Новый год"), (2, 23, "День защитника Отечества"), (3, 8, "Международный женский день")],
    "en": [(1, 1, "New Year"), (3, 8, "International Women's Day"), (12, 25, "Christmas")],
}
ANNIVERSARY = {"ru": "День рождения нашей компании", "en": "Our company's anniversary"}


def _holidays(organization, today: datetime.date, language: str) -> None:
    """The usual greeting days and the company's own, which falls in three days (so the demo shows its points)."""
    anniversary = today + datetime.timedelta(days=3)
    days = [*HOLIDAYS[language], (anniversary.month, anniversary.day, ANNIVERSARY[language])]
    for month, day, name in days:
        Holiday.objects.get_or_create(organization=organization, month=month, day=day, defaults={"name": name})


# How the demo clients came: a quarter on recommendation, a few with no channel recorded.
DEMO_CHANNELS = [
    Channel.RECOMMENDATION,
    Channel.WEBSITE,
    Channel.EXHIBITION,
    Channel.RECOMMENDATION,
    Channel.ADVERTISING,
    Channel.WEBSITE,
    "",
    Channel.OUTREACH,
]
# Monthly spending per paid channel over the demo's two years.
DEMO_SPEND = {Channel.WEBSITE: 40000, Channel.ADVERTISING: 65000, Channel.EXHIBITION: 120000, Channel.OUTREACH: 15000}


def _marketing_spend(organization, today: datetime.date) -> None:
    first = months_before(today, 23).replace(day=1)
    # A demo seeded again keeps what it entered before.
    MarketingSpend.objects.bulk_create(
        [
            MarketingSpend(organization=organization, channel=channel, month=_add_months(first, n), amount=amount)
            for n in range(24)
            for channel, amount in DEMO_SPEND.items()
        ],
        ignore_conflicts=True,
    )


def _managers(organization, users: dict, size: str) -> list:
    managers = [u for name, u in users.items() if name.endswith("-manager")]
    if size == "full":
        User = get_user_model()
        for username in EXTRA_MANAGERS:
            user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            if created:
                user.set_unusable_password()
                user.save()
            Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": Role.MANAGER})
            managers.append(user)
    return managers or list(users.values())[:1]


def _catalogues(organization, language: str):
    segments = {
        key: Segment.objects.get_or_create(organization=organization, name=names[language])[0]
        for key, names in SEGMENTS.items()
    }
    products = {
        key: Product.objects.get_or_create(organization=organization, name=names[language])[0]
        for key, names in PRODUCTS.items()
    }
    for key, targets in TARGETS.items():
        segments[key].target_products.set([products[p] for p in targets])
    reasons = [
        RefusalReason.objects.get_or_create(organization=organization, name=name)[0]
        for name in TEXTS[language]["reasons"]
    ]
    return segments, products, reasons


# Purchase patterns: (share of clients, months with purchases given 24 month indexes, 0 = oldest).
def _pattern(kind: str, rng: random.Random) -> list[int]:
    if kind == "potential":
        return []
    if kind in ("steady", "even"):
        return list(range(24))
    if kind == "seasonal":
        season = rng.choice([(2, 3, 4), (8, 9, 10), (10, 11, 0)])
        return [m for m in range(24) if (m + 1) % 12 in season or (m % 12) in season]
    if kind == "churned":
        end = rng.randint(6, 18)
        return [m for m in range(rng.randint(0, 4), end) if rng.random() < 0.7]
    if kind == "new":
        return [m for m in range(rng.randint(21, 23), 24)]
    if kind == "returning":
        first = [m for m in range(0, 10) if rng.random() < 0.6] or [3]
        return first + [m for m in range(22, 24) if rng.random() < 0.8] or first + [23]
    return [m for m in range(24) if rng.random() < 0.3]


KINDS = [
    ("steady", 0.12),
    ("even", 0.18),
    ("seasonal", 0.12),
    ("churned", 0.16),
    ("new", 0.08),
    ("returning", 0.06),
    ("irregular", 0.2),
    ("potential", 0.08),
]
# How much one month's amount may stray from the client's usual size: steady buyers stay within
# a few percent (class X), even ones within a fifth (class Y), the rest vary widely (Z).
SPREAD = {"steady": 0.06, "even": 0.2}


def _build(organization, users: dict, size: str, rng: random.Random, today: datetime.date, language: str) -> None:
    texts = TEXTS[language]
    managers = _managers(organization, users, size)
    head = next((u for n, u in users.items() if n.endswith("-head")), managers[0])
    segments, products, reasons = _catalogues(organization, language)
    count = SIZES[size]
    product_list = list(products.values())
    segment_keys = list(segments)
    targets = {segments[key].pk: [products[p] for p in TARGETS[key]] for key in segment_keys}

    names = company_names(rng, count, language)
    clients = []
    for i in range(count):
        kind = Client.Kind.PERSON if rng.random() < 0.1 else Client.Kind.COMPANY
        clients.append(
            Client(
                organization=organization,
                name=person_name(rng, language) if kind == Client.Kind.PERSON else names[i],
                kind=kind,
                external_id=f"DEMO-{i + 1:05d}",
                tax_number=f"77{rng.randint(10_000_000, 99_999_999)}",
                manager=managers[i % len(managers)],
                segment=segments[segment_keys[i % len(segment_keys)]],
                industry=rng.choice(texts["industries"]),
                activity=rng.choice(texts["activities"]),
                has_branches=rng.random() < 0.3,
                staff_size=rng.choice([5, 12, 40, 120, 600]),
                main_customers=rng.choice(Client.Customers.values),
                year_founded=rng.randint(1992, 2024),
                channel=DEMO_CHANNELS[i % len(DEMO_CHANNELS)],  # by position: the random draws stay as they were
            )
        )
    Client.objects.bulk_create(clients, batch_size=2000)
    _marketing_spend(organization, today)
    # Before the states and classes are stored: saving the card writes every field of the client.
    services.client_update(client=clients[0], user=head, comments=texts["comments"])

    # Settlements: a Pareto-like size per client, one of the purchase patterns.
    start = months_before(today, 23).replace(day=1)
    kinds = [k for k, _w in KINDS]
    weights = [w for _k, w in KINDS]
    settlements = []
    uses = defaultdict(set)
    for index, client in enumerate(clients):
        kind = kinds[index] if index < len(kinds) else rng.choices(kinds, weights)[0]
        scale = 2000 * (rng.paretovariate(1.2))
        own_products = rng.sample(product_list, rng.randint(1, 3))
        spread = SPREAD.get(kind, 0.3)
        for month in _pattern(kind, rng):
            first_day = _add_months(start, month)
            for _n in range(1 if kind in SPREAD else rng.choice([1, 1, 2])):
                day = min(today, first_day + datetime.timedelta(days=rng.randint(0, 27)))
                product = rng.choice(own_products)
                uses[client.pk].add(product.pk)
                settlements.append(
                    Settlement(
                        organization=organization,
                        client=client,
                        date=day,
                        product=product,
                        amount=Decimal(str(round(scale * rng.uniform(1 - spread, 1 + spread), 2))),
                        document=f"INV-{index + 1}-{month}-{_n}",
                    )
                )
    payments = _deals(organization, clients, targets, reasons, rng, today, size, texts)
    Settlement.objects.bulk_create(settlements + payments, batch_size=5000)
    for payment in payments:
        uses[payment.client_id].add(payment.product_id)
    through = Client.products.through
    through.objects.bulk_create(
        [through(client_id=c, product_id=p) for c, ps in uses.items() for p in ps if p], batch_size=5000
    )
    # Once for the whole base, after every settlement (deal payments included) is in.
    services.lifecycle_recompute(organization=organization, as_of=today)

    _people_and_contacts(organization, clients, rng, today, size, language)
    _complaints(organization, clients, head, rng, today, size, texts)
    offers = []
    for client in clients[: max(3, count // 50)]:
        for product, status in zip(targets[client.segment_id][:2], [Offer.Status.OFFERED, Offer.Status.REFUSED]):
            offers.append(
                Offer(
                    organization=organization,
                    client=client,
                    product=product,
                    status=status,
                    status_date=today - datetime.timedelta(days=10),
                    next_step=texts["next_step"],
                    next_step_on=today + datetime.timedelta(days=5),
                )
            )
    Offer.objects.bulk_create(offers)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _people_and_contacts(organization, clients, rng, today, size, language) -> None:
    texts = TEXTS[language]
    people, contacts, points = [], [], []
    for index, client in enumerate(clients):
        for n in range(rng.randint(1, 2)):
            birthday = datetime.date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28))
            if index % 11 == 0 and n == 0:
                # Birthdays within this week: the care round gives their managers greeting points.
                soon = today + datetime.timedelta(days=index % 5)
                birthday = datetime.date(1984, soon.month, soon.day)  # a leap year: 29 February exists
            people.append(
                ContactPerson(
                    organization=organization,
                    client=client,
                    name=person_name(rng, language),
                    position=rng.choice(texts["positions"]),
                    phone=f"+7 (9{rng.randint(10, 99)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-"
                    f"{rng.randint(10, 99)}",
                    email=f"person{index}-{n}@example.com",
                    birthday=birthday,
                )
            )
        for _n in range(rng.randint(0, 3)):
            day = today - datetime.timedelta(days=rng.randint(0, 400))
            contacts.append(
                Contact(
                    organization=organization,
                    client=client,
                    kind=rng.choice(Contact.Kind.values),
                    date=day,
                    summary=rng.choice(texts["contacts"]),
                    author=client.manager,
                )
            )
        if index % 7 == 0 or size == "small":
            # Overdue "longest pause" points: the client has not been contacted for too long.
            points.append(
                ControlPoint(
                    organization=organization,
                    client=client,
                    kind=ControlPoint.Kind.CONTACT_GAP,
                    due_date=today - datetime.timedelta(days=rng.randint(1, 20)),
                    responsible=client.manager,
                )
            )
    ContactPerson.objects.bulk_create(people, batch_size=5000)
    Contact.objects.bulk_create(contacts, batch_size=5000)
    ControlPoint.objects.bulk_create(points, batch_size=5000)


# Deals ---------------------------------------------------------------------------------------


@dataclass
class _DealScript:
    """One deal's story, recorded with the rows the deal services would write for each step.

    Mirrors `services.deal_create`, `deal_advance`, `deal_deviation`, `deal_payment_record`,
    `deal_document_add` and `deal_refuse`: the demo writes a few thousand of these rows in bulk
    instead of a service call (and its checks) per row.
    """

    deal: Deal
    user: object
    events: list = field(default_factory=list)
    points: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    audit: list = field(default_factory=list)

    def _event(self, kind, day, note="", amount=None, from_stage="", to_stage=""):
        self.events.append(
            DealEvent(
                kind=kind,
                date=day,
                note=note[:300],
                amount=amount,
                from_stage=from_stage,
                to_stage=to_stage,
                author=self.user,
            )
        )

    def _point(self, kind, due, note=""):
        self.points.append(
            ControlPoint(
                client=self.deal.client, kind=kind, due_date=due, note=note, responsible=self.deal.client.manager
            )
        )

    def _audit(self, action, changes):
        self.audit.append(AuditEntry(client=self.deal.client, user=self.user, action=action, changes=changes))

    def _close_points(self, *, refused=False):
        keep = {ControlPoint.Kind.SURVEY, ControlPoint.Kind.NEXT_CONTACT}
        if self.deal.payment_due_on is not None and not refused:
            keep.add(ControlPoint.Kind.INVOICE_EXPIRY)
        for point in self.points:
            if point.done_at is None and point.kind not in keep:
                point.done_at = timezone.now()

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    def create(self, day):
        self._event(DealEvent.Kind.CREATED, day, to_stage=self.deal.stage)
        self._audit("deal.created", {"title": self.deal.title})

    def advance(self, day, *, due=None, next_contact_on=None):
        deal = self.deal
        if deal.stage == Stage.CLOSING:
            deal.status, deal.next_contact_on = Deal.Status.WON, next_contact_on
            self._event(DealEvent.Kind.CLOSED, day, from_stage=deal.stage)
            self._point(ControlPoint.Kind.NEXT_CONTACT, next_contact_on)
            self._close_points()
            self._audit("deal.won", {"next_contact_on": next_contact_on.isoformat()})
            return
        old, deal.stage = deal.stage, STAGE_ORDER[STAGE_ORDER.index(deal.stage) + 1]
        self._close_points()
        point = services.STAGE_DATES.get(deal.stage)
        if point:
            self._point(point[1], due)
        if deal.stage == Stage.CLOSING:
            self._point(ControlPoint.Kind.SURVEY, day + datetime.timedelta(days=services.SURVEY_AFTER_EVENT_DAYS))
        self._event(DealEvent.Kind.MOVED, day, from_stage=old, to_stage=deal.stage)
        self._audit("deal.moved", {"stage": [old, deal.stage]})

    def deviation(self, kind, day, note):
        point = {
            DealEvent.Kind.RETRY: ControlPoint.Kind.RETRY,
            DealEvent.Kind.CLARIFICATION: ControlPoint.Kind.AMENDMENT,
            DealEvent.Kind.DEFERRAL: ControlPoint.Kind.INVOICE_EXPIRY,
        }[kind]
        if kind == DealEvent.Kind.DEFERRAL:
            for earlier in self.points:
                if earlier.kind == ControlPoint.Kind.INVOICE_EXPIRY and earlier.done_at is None:
                    earlier.done_at = timezone.now()
            self.deal.payment_due_on = day
        self._point(point, day, note)
        self._event(kind, day, note)
        self._audit(f"deal.{kind}", {"date": str(day), "note": note})

    def pay(self, day, amount, document):
        deal = self.deal
        self.payments.append(
            Settlement(client=deal.client, date=day, amount=amount, product=deal.product, document=document)
        )
        self._audit("settlement.added", {"date": day.isoformat(), "amount": str(amount), "document": document})
        self._event(DealEvent.Kind.PART_PAYMENT, day, note=document, amount=amount, from_stage=deal.stage)
        if self.paid >= deal.amount:
            deal.payment_due_on = None
            for point in self.points:
                if point.kind == ControlPoint.Kind.INVOICE_EXPIRY and point.done_at is None:
                    point.done_at = timezone.now()

    def document(self, kind, day, number):
        self.documents.append(DealDocument(kind=kind, date=day, number=number, author=self.user))
        self._audit("deal.document", {"kind": kind, "number": number, "date": day.isoformat()})

    def refuse(self, reason):
        deal = self.deal
        deal.status, deal.refusal_reason = Deal.Status.REFUSED, reason
        self._close_points(refused=True)
        self._event(DealEvent.Kind.REFUSED, self.events[-1].date, note=f"{reason.name}.", from_stage=deal.stage)
        self._audit("deal.refused", {"stage": deal.stage, "reason": reason.name})


def _deals(organization, clients, targets, reasons, rng, today, size, texts) -> list[Settlement]:
    """Deals at every stage, refused and won, with retries, clarifications, part and deferred payments.

    Writes the deals and their rows; returns their payments, unsaved, to be written with the other settlements.
    """
    scripts = []
    for n in range(14 if size == "small" else 320):
        client = clients[(n * 7) % len(clients)]
        user = client.manager
        target = n % 8  # 0..5 open at that stage, 6 refused, 7 won
        steps = {6: rng.randint(0, 4), 7: 6}.get(target, target)
        deal = Deal(
            organization=organization,
            client=client,
            title=texts["deal"] % {"n": n + 1},
            product=rng.choice(targets[client.segment_id]),
            amount=Decimal(rng.randint(20, 400) * 1000),
            manager=user,
        )
        script = _DealScript(deal=deal, user=user)
        # A story that ends by today: the deal opened some weeks ago and moves every few days.
        day = today - datetime.timedelta(days=rng.randint(3, 12) * (steps + 1))
        script.create(day)
        if target == 0 and n % 16 == 0:
            script.deviation(DealEvent.Kind.RETRY, today + datetime.timedelta(days=3), texts["retry"])
        for step in range(steps):
            day = min(today, day + datetime.timedelta(days=rng.randint(2, 8)))
            if deal.stage == Stage.PAYMENT:
                # Leaving payment needs the money: in full, in two halves, or a deferred payment agreed.
                if n % 16 == 4:
                    script.deviation(
                        DealEvent.Kind.DEFERRAL, today + datetime.timedelta(days=rng.randint(5, 25)), texts["deferral"]
                    )
                elif n % 3 == 0:
                    half = (deal.amount / 2).quantize(Decimal("0.01"))
                    script.pay(max(day - datetime.timedelta(days=3), script.events[-1].date), half, f"PP-{n + 1}-1")
                    script.pay(day, deal.amount - half, f"PP-{n + 1}-2")
                else:
                    script.pay(day, deal.amount, f"PP-{n + 1}")
            due = day + datetime.timedelta(days=rng.randint(5, 20))
            script.advance(day, due=due, next_contact_on=today + datetime.timedelta(days=30))
            if deal.stage == Stage.OFFER and n % 5 == 0 and step == 0 and steps == 1:
                script.deviation(
                    DealEvent.Kind.CLARIFICATION, today + datetime.timedelta(days=4), texts["clarification"]
                )
        if deal.stage == Stage.PAYMENT and n % 3 == 0 and target != 6:
            # The first half of a 50/50 payment is in; the invoice waits for the rest.
            script.pay(day, (deal.amount / 2).quantize(Decimal("0.01")), f"PP-{n + 1}-1")
        documents = {1: ["offer"], 2: ["offer", "contract"], 3: ["offer", "contract", "invoice"]}.get(min(steps, 3), [])
        if target == 7:
            documents += ["act", "questionnaire"]
        for kind in documents:
            script.document(kind, day - datetime.timedelta(days=rng.randint(0, 3)), f"{kind[:3].upper()}-{n + 1}")
        if target == 6:
            script.refuse(reasons[n % len(reasons)])
        scripts.append(script)

    Deal.objects.bulk_create([s.deal for s in scripts])
    rows = defaultdict(list)
    for script in scripts:
        deal = script.deal
        for name, items in (
            ("events", script.events),
            ("points", script.points),
            ("documents", script.documents),
            ("payments", script.payments),
            ("audit", script.audit),
        ):
            for row in items:
                row.organization = organization
                row.deal = deal
                rows[name].append(row)
    DealEvent.objects.bulk_create(rows["events"], batch_size=5000)
    ControlPoint.objects.bulk_create(rows["points"], batch_size=5000)
    DealDocument.objects.bulk_create(rows["documents"], batch_size=5000)
    AuditEntry.objects.bulk_create(rows["audit"], batch_size=5000)
    return rows["payments"]


# Complaints ----------------------------------------------------------------------------------


def _complaints(organization, clients, head, rng, today, size, texts) -> None:
    """Complaints at every step of the flow, as `services.complaint_advance` takes them; then assessments."""
    flow = services.COMPLAINT_FLOW
    kinds = [
        ComplaintKind.objects.get_or_create(organization=organization, name=name)[0]
        for name in texts["complaint_kinds"]
    ]
    complaints, steps = [], []
    for n in range(5 if size == "small" else 200):
        client = clients[(n * 13 + 3) % len(clients)]
        complaint = Complaint(
            organization=organization,
            client=client,
            subject=texts["complaints"][n % 5],
            kind=None if n % 7 == 6 else kinds[n % 5],  # a few are not classified yet
            description=texts["complaint_text"],
            owner=client.manager,
            author=client.manager,
        )
        history = [(flow[0], texts["complaint_text"], client.manager)]
        for step in range(n % 5):
            cause, actions = (texts["cause"] if step == 1 else ""), (texts["actions"] if step in (1, 2) else "")
            complaint.cause = cause or complaint.cause
            complaint.actions = (complaint.actions + "\n" + actions).strip() if actions else complaint.actions
            history.append((flow[step + 1], "\n".join(x for x in (cause, actions) if x), head))
        complaint.status = history[-1][0]
        if complaint.status == Complaint.Status.CLOSED:
            complaint.closed_at = timezone.now()
        complaints.append(complaint)
        steps.append(history)
    Complaint.objects.bulk_create(complaints)
    ComplaintStep.objects.bulk_create(
        [
            ComplaintStep(
                organization=organization,
                complaint=complaint,
                status=status,
                owner=complaint.owner,
                note=note,
                author=author,
            )
            for complaint, history in zip(complaints, steps)
            for status, note, author in history
        ]
    )
    for complaint in complaints:
        if complaint.status == Complaint.Status.CLOSED:
            # As `complaint_advance` does: the follow-up survey starts once the data is committed.
            transaction.on_commit(lambda c=complaint: complaint_closed.send(sender=Complaint, complaint=c))
    for n in range(2 if size == "small" else 60):
        client = clients[(n * 17 + 5) % len(clients)]
        services.assessment_create(
            client=client,
            date=today - datetime.timedelta(days=n),
            scores={"quality": 5, "delivery": 4 if n % 3 else 2, "service": 5},
            product=client.products.first(),
        )
