"""Demo data of the client register: a small set for tests, a realistic 2,000-client base.

Idempotent: the organization's demo clients (external ids starting with DEMO-) are rebuilt only
when their number differs from the size asked for.
"""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from crm_portal.models import Membership, Role

from . import services
from .lifecycle import months_before
from .models import (
    Client,
    Contact,
    ContactPerson,
    ControlPoint,
    Deal,
    DealEvent,
    Offer,
    Product,
    RefusalReason,
    Segment,
    Settlement,
)

SIZES = {"small": 12, "full": 2000}
SEGMENTS = ["Retail chains", "Restaurants and cafes", "Offices", "Hotels", "Online shops"]
PRODUCTS = ["Coffee beans", "Tea", "Coffee machines", "Machine service", "Syrups", "Tableware"]
TARGETS = {
    "Retail chains": ["Coffee beans", "Tea", "Syrups"],
    "Restaurants and cafes": ["Coffee beans", "Coffee machines", "Machine service", "Syrups", "Tableware"],
    "Offices": ["Coffee beans", "Tea", "Coffee machines", "Machine service"],
    "Hotels": ["Coffee beans", "Tea", "Tableware"],
    "Online shops": ["Coffee beans", "Tea"],
}
REASONS = ["Price too high", "Chose a competitor", "No budget this year", "Not the right time", "Product does not fit"]
NAME_PARTS = (
    ["North", "Sun", "Blue", "Green", "Golden", "Silver", "Grand", "Urban", "Prime", "Smart", "Bright", "Star"],
    ["Bean", "Cup", "Table", "Leaf", "Hall", "Market", "Corner", "Point", "House", "Garden", "Harbor", "Street"],
    ["LLC", "Group", "Trading", "& Co", "Ltd", "Holding"],
)
PEOPLE = ["Anna Ivanova", "Pavel Orlov", "Maria Kuznetsova", "Oleg Sokolov", "Irina Volkova", "Dmitry Lebedev"]
EXTRA_MANAGERS = ["demo-manager-2", "demo-manager-3"]


def seed(*, organization, users: dict, size: str = "small") -> None:
    wanted = SIZES[size]
    demo_clients = Client.objects.filter(organization=organization, external_id__startswith="DEMO-")
    if demo_clients.count() == wanted:
        return
    with transaction.atomic():
        demo_clients.delete()
        _build(organization, users, size, random.Random(f"{organization.slug}-{size}"))


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


def _catalogues(organization):
    segments = {name: Segment.objects.get_or_create(organization=organization, name=name)[0] for name in SEGMENTS}
    products = {name: Product.objects.get_or_create(organization=organization, name=name)[0] for name in PRODUCTS}
    for name, targets in TARGETS.items():
        segments[name].target_products.set([products[p] for p in targets])
    reasons = [RefusalReason.objects.get_or_create(organization=organization, name=name)[0] for name in REASONS]
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


KINDS = [("steady", 0.12), ("even", 0.18), ("seasonal", 0.12), ("churned", 0.16), ("new", 0.08),
         ("returning", 0.06), ("irregular", 0.2), ("potential", 0.08)]
# How much one month's amount may stray from the client's usual size: steady buyers stay within
# a few percent (class X), even ones within a fifth (class Y), the rest vary widely (Z).
SPREAD = {"steady": 0.06, "even": 0.2}


def _build(organization, users: dict, size: str, rng: random.Random) -> None:
    today = timezone.localdate()
    managers = _managers(organization, users, size)
    head = next((u for n, u in users.items() if n.endswith("-head")), managers[0])
    segments, products, reasons = _catalogues(organization)
    count = SIZES[size]
    product_list = list(products.values())
    segment_list = list(segments.values())

    clients = []
    for i in range(count):
        name = f"{rng.choice(NAME_PARTS[0])} {rng.choice(NAME_PARTS[1])} {rng.choice(NAME_PARTS[2])} {i + 1}"
        kind = Client.Kind.PERSON if rng.random() < 0.1 else Client.Kind.COMPANY
        clients.append(Client(
            organization=organization, name=name, kind=kind, external_id=f"DEMO-{i + 1:05d}",
            tax_number=f"77{rng.randint(10_000_000, 99_999_999)}", manager=managers[i % len(managers)],
            segment=segment_list[i % len(segment_list)], industry=rng.choice(["Food service", "Retail", "Hospitality", "Services"]),
            activity=rng.choice(["Wholesale", "Retail", "Catering", "Office"]), has_branches=rng.random() < 0.3,
            staff_size=rng.choice([5, 12, 40, 120, 600]), main_customers=rng.choice(["companies", "people", "both"]),
            year_founded=rng.randint(1992, 2024),
        ))
    Client.objects.bulk_create(clients, batch_size=2000)

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
                day = first_day + datetime.timedelta(days=rng.randint(0, 27))
                if day > today:
                    day = today
                product = rng.choice(own_products)
                uses[client.pk].add(product.pk)
                settlements.append(Settlement(
                    organization=organization, client=client, date=day, product=product,
                    amount=Decimal(str(round(scale * rng.uniform(1 - spread, 1 + spread), 2))), document=f"INV-{index + 1}-{month}-{_n}",
                ))
    Settlement.objects.bulk_create(settlements, batch_size=5000)
    through = Client.products.through
    through.objects.bulk_create([through(client_id=c, product_id=p) for c, ps in uses.items() for p in ps], batch_size=5000)
    services.lifecycle_recompute(organization=organization, as_of=today)
    _classes(organization, clients, settlements, today)

    _people_and_contacts(organization, clients, managers, rng, today, size)
    _deals(organization, clients, reasons, rng, today, size)
    _complaints(organization, clients, head, rng, today, size)
    for client in clients[:max(3, count // 50)]:
        target = [p for p in client.segment.target_products.all()][:2]
        for product, status in zip(target, [Offer.Status.OFFERED, Offer.Status.REFUSED]):
            services.offer_set(client=client, product=product, status=status, status_date=today - datetime.timedelta(days=10),
                               next_step="Call back about the offer", next_step_on=today + datetime.timedelta(days=5))
    services.client_update(client=clients[0], user=head, comments="Prefers calls before noon.")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _classes(organization, clients, settlements, today) -> None:
    """ABC by turnover and XYZ by monthly variation, so the demo cards show classes and history."""
    totals = defaultdict(float)
    monthly = defaultdict(lambda: np.zeros(24))
    first = months_before(today, 23).replace(day=1)
    for s in settlements:
        totals[s.client_id] += float(s.amount)
        index = (s.date.year - first.year) * 12 + s.date.month - first.month
        monthly[s.client_id][index] += float(s.amount)
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    grand = sum(totals.values()) or 1.0
    classes, running = {}, 0.0
    for pk, total in ordered:
        abc = "A" if running / grand < 0.5 else "B" if running / grand < 0.8 else "C"
        running += total
        values = monthly[pk]
        active = values[np.argmax(values > 0):]
        xyz = ""
        if len(active) >= 4 and active.mean() > 0:
            cv = active.std() / active.mean()
            xyz = "X" if cv <= 0.1 else "Y" if cv <= 0.25 else "Z"
        classes[pk] = (abc, xyz)
    for client in clients:
        classes.setdefault(client.pk, ("", ""))
    # An earlier run first, so that the history shows a change for some clients.
    earlier = {pk: ("B" if abc == "A" else abc, xyz) for pk, (abc, xyz) in classes.items()}
    services.client_classes_record(organization=organization, classes=earlier, run_label="Demo run, last quarter",
                                   as_of=months_before(today, 3))
    services.client_classes_record(organization=organization, classes=classes, run_label="Demo run",
                                   as_of=today)


def _people_and_contacts(organization, clients, managers, rng, today, size) -> None:
    people, contacts, points = [], [], []
    for index, client in enumerate(clients):
        for n in range(rng.randint(1, 2)):
            birthday = datetime.date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28))
            if index % 11 == 0 and n == 0:
                # The greeting points below are for these people's birthdays, which fall this week.
                soon = today + datetime.timedelta(days=index % 5)
                birthday = datetime.date(1984, soon.month, soon.day)
            people.append(ContactPerson(
                organization=organization, client=client, name=rng.choice(PEOPLE), position=rng.choice(["Owner", "Buyer", "Director"]),
                phone=f"+7 900 {rng.randint(1000000, 9999999)}", email=f"person{index}-{n}@example.com",
                birthday=birthday,
            ))
        for _n in range(rng.randint(0, 3)):
            day = today - datetime.timedelta(days=rng.randint(0, 400))
            contacts.append(Contact(organization=organization, client=client, kind=rng.choice(Contact.Kind.values),
                                    date=day, summary=rng.choice(["Discussed the next order", "Sent the price list",
                                                                  "Agreed a tasting", "Asked about delivery times"]),
                                    author=client.manager))
        if index % 7 == 0 or size == "small":
            # Overdue "longest pause" points: the client has not been contacted for too long.
            points.append(ControlPoint(organization=organization, client=client, kind=ControlPoint.Kind.CONTACT_GAP,
                                       due_date=today - datetime.timedelta(days=rng.randint(1, 20)), responsible=client.manager))
        if index % 11 == 0:
            points.append(ControlPoint(organization=organization, client=client, kind=ControlPoint.Kind.CARE,
                                       due_date=today, note="Birthday greeting", responsible=client.manager))
    ContactPerson.objects.bulk_create(people, batch_size=5000)
    Contact.objects.bulk_create(contacts, batch_size=5000)
    ControlPoint.objects.bulk_create(points, batch_size=5000)


def _deals(organization, clients, reasons, rng, today, size) -> None:
    number = 14 if size == "small" else 320
    for n in range(number):
        client = clients[(n * 7) % len(clients)]
        user = client.manager
        deal = services.deal_create(client=client, title=f"Supply contract {n + 1}", user=user,
                                    product=rng.choice(list(client.segment.target_products.all()) or [None]),
                                    amount=Decimal(rng.randint(20, 400) * 1000))
        target = n % 8  # 0..5 open at that stage, 6 refused, 7 won
        steps = {6: rng.randint(0, 4), 7: 6}.get(target, target)
        if target == 0 and n % 16 == 0:
            services.deal_deviation(deal=deal, kind=DealEvent.Kind.RETRY, user=user,
                                    date=today + datetime.timedelta(days=3), note="Decision maker was away")
        for step in range(steps):
            due = today + datetime.timedelta(days=rng.randint(-5, 20))
            services.deal_advance(deal=deal, user=user, due_date=due if step < 4 else None,
                                  date=min(due, today) if step < 4 else today,
                                  next_contact_on=today + datetime.timedelta(days=30) if step == 5 else None)
            if deal.stage == "offer" and n % 5 == 0 and deal.status == Deal.Status.OPEN:
                services.deal_deviation(deal=deal, kind=DealEvent.Kind.CLARIFICATION, user=user,
                                        date=today + datetime.timedelta(days=4), note="Client asked for other volumes")
            if deal.stage == "event" and deal.amount and n % 3 == 0 and deal.status == Deal.Status.OPEN:
                services.deal_deviation(deal=deal, kind=DealEvent.Kind.PART_PAYMENT, user=user, amount=deal.amount / 2)
        documents = {1: ["offer"], 2: ["offer", "contract"], 3: ["offer", "contract", "invoice"]}.get(min(steps, 3), [])
        if target == 7:
            documents += ["act", "questionnaire"]
        for kind in documents:
            services.deal_document_add(deal=deal, kind=kind, number=f"{kind[:3].upper()}-{n + 1}",
                                       date=today - datetime.timedelta(days=rng.randint(0, 30)), user=user)
        if target == 6:
            services.deal_refuse(deal=deal, reason=reasons[n % len(reasons)], user=user)


def _complaints(organization, clients, head, rng, today, size) -> None:
    number = 5 if size == "small" else 200
    subjects = ["Late delivery", "Damaged package", "Wrong invoice", "Rude courier", "Machine broke down"]
    for n in range(number):
        client = clients[(n * 13 + 3) % len(clients)]
        complaint = services.complaint_register(organization=organization, client=client, subject=subjects[n % len(subjects)],
                                                description="The client called to complain.", author=client.manager)
        for step in range(n % 5):
            services.complaint_advance(complaint=complaint, user=head, cause="Planning mistake" if step == 1 else "",
                                       actions="Fixed the schedule" if step in (1, 2) else "")
    for n in range(2 if size == "small" else 60):
        client = clients[(n * 17 + 5) % len(clients)]
        services.assessment_create(client=client, date=today - datetime.timedelta(days=n),
                                   scores={"quality": 5, "delivery": 4 if n % 3 else 2, "service": 5},
                                   product=client.products.first())
