"""Pages of the client register: access per role, bad input, audit, and pinned query counts."""

import datetime as dt
import io
import random
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from clients import forms, jobs, lifecycle, selectors, services
from clients.lifecycle import lifecycle_state
from clients.models import (
    AuditEntry,
    Client,
    Complaint,
    Contact,
    ContactPerson,
    ControlPoint,
    Deal,
    Product,
    RefusalReason,
    Segment,
    Settlement,
)
from clients.selectors import attach_states, preset_period, state_conditions
from clients.tests.factories import make_client, settle
from crm_portal.jobs import run_job
from crm_portal.models import Job, Role
from crm_portal.tenancy import Viewer

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def manager(org_a, make_member):
    return make_member(org_a, Role.MANAGER)


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


def test_manager_sees_only_own_clients(as_manager, manager, org_a, make_member):
    own = make_client(org_a, "Own client", manager=manager)
    other = make_client(org_a, "Someone else's", manager=make_member(org_a, Role.MANAGER))
    page = as_manager.get(reverse("clients:list"))
    assert [c.name for c in page.context["page"]] == ["Own client"]
    assert as_manager.get(reverse("clients:card", kwargs={"client_id": own.pk})).status_code == 200
    assert as_manager.get(reverse("clients:card", kwargs={"client_id": other.pk})).status_code == 404
    assert (
        as_manager.post(
            reverse("clients:contact_add", kwargs={"client_id": other.pk}),
            {"kind": "call", "date": TODAY, "summary": "x"},
        ).status_code
        == 404
    )
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("role", [Role.SALES_HEAD, Role.ANALYST, Role.ADMIN])
def test_other_roles_see_every_client_of_the_organization(client_as, org_a, org_b, role, make_member):
    make_client(org_a, "One", manager=make_member(org_a, Role.MANAGER))
    make_client(org_a, "Two")
    make_client(org_b, "Foreign")
    page = client_as(org_a, role).get(reverse("clients:list"))
    assert [c.name for c in page.context["page"]] == ["One", "Two"]


def test_analyst_cannot_edit_clients(client_as, org_a):
    c = make_client(org_a, "One")
    analyst = client_as(org_a, Role.ANALYST)
    assert analyst.get(reverse("clients:edit", kwargs={"client_id": c.pk})).status_code == 403
    assert analyst.post(reverse("clients:deal_add", kwargs={"client_id": c.pk}), {"title": "x"}).status_code == 403


def test_manager_creates_a_client_that_is_theirs_and_audited(as_manager, manager, org_a, make_member):
    head = make_member(org_a, Role.SALES_HEAD)
    response = as_manager.post(
        reverse("clients:create"), {"name": "  Fresh Foods  ", "kind": "company", "manager": head.pk}
    )
    created = Client.objects.get(organization=org_a)
    assert response.status_code == 302 and response["Location"] == reverse(
        "clients:card", kwargs={"client_id": created.pk}
    )
    assert (created.name, created.manager) == ("Fresh Foods", manager)
    entry = AuditEntry.objects.get(client=created)
    assert (entry.user, entry.action, entry.changes) == (manager, "client.created", {"name": "Fresh Foods"})


def test_client_edit_records_what_changed(client_as, org_a):
    c = make_client(org_a, "Before", industry="Retail")
    head = client_as(org_a, Role.SALES_HEAD)
    head.post(
        reverse("clients:edit", kwargs={"client_id": c.pk}), {"name": "After", "kind": "company", "industry": "Retail"}
    )
    entry = AuditEntry.objects.get(client=c, action="client.updated")
    assert entry.changes == {"name": ["Before", "After"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "company"}, "Give the client&#x27;s name."),
        ({"name": "X", "kind": "alien"}, "Select a valid choice."),
        ({"name": "X", "kind": "company", "year_founded": "1066"}, "greater than or equal to 1800"),
        ({"name": "X", "kind": "company", "external_id": "E-1"}, "Another client already has this external id."),
    ],
)
def test_client_form_rejects_bad_input_and_writes_nothing(client_as, org_a, data, message):
    make_client(org_a, "Existing", external_id="E-1")
    response = client_as(org_a, Role.ADMIN).post(reverse("clients:create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Client.objects.count() == 1 and AuditEntry.objects.count() == 0


def test_segment_of_another_organization_is_refused(client_as, org_a, org_b):
    foreign = Segment.objects.create(organization=org_b, name="Foreign")
    response = client_as(org_a, Role.ADMIN).post(
        reverse("clients:create"), {"name": "X", "kind": "company", "segment": foreign.pk}
    )
    assert "Select a valid choice" in response.content.decode()
    assert Client.objects.count() == 0


@pytest.mark.parametrize(
    ("url_name", "data", "message", "model"),
    [
        (
            "contact_add",
            {"kind": "call", "date": (TODAY + dt.timedelta(days=2)).isoformat(), "summary": "x"},
            "A contact that has happened cannot be in the future.",
            Contact,
        ),
        ("contact_add", {"kind": "fax", "date": TODAY.isoformat(), "summary": "x"}, "Select a valid choice", Contact),
        ("settlement_add", {"date": TODAY.isoformat(), "amount": "0"}, "The amount cannot be zero.", Settlement),
        (
            "settlement_add",
            {"date": "1900-01-01", "amount": "-5", "document": ""},
            "The date must lie between 01/01/2000 and ",
            Settlement,
        ),
        (
            "settlement_add",
            {"date": (TODAY + dt.timedelta(days=367)).isoformat(), "amount": "10"},
            "(not before 2000, at most a year ahead).",
            Settlement,
        ),
        (
            "settlement_add",
            {"date": TODAY.isoformat(), "amount": "-5"},
            "A negative amount is accepted only as a refund or correction: tick “Refund or correction” and give the amount.",
            Settlement,
        ),
        (
            "settlement_add",
            {"date": TODAY.isoformat(), "amount": "0", "refund": "on"},
            "The amount cannot be zero.",
            Settlement,
        ),
        ("settlement_add", {"date": "31.02.2026", "amount": "10"}, "Enter a valid date.", Settlement),
        ("settlement_add", {"date": TODAY.isoformat(), "amount": "ten"}, "Enter a number.", Settlement),
        ("person_add", {"name": "Ann", "email": "not-an-email"}, "Enter a valid email address.", ContactPerson),
        ("deal_add", {"title": ""}, "This field is required.", Deal),
        ("complaint_add", {"subject": ""}, "This field is required.", Complaint),
        ("assessment_add", {"date": TODAY.isoformat()}, "Score at least one item from 1 to 5.", Complaint),
        ("assessment_add", {"date": TODAY.isoformat(), "score_delivery": "7"}, "Select a valid choice", Complaint),
        ("point_add", {"kind": "minutes"}, "This field is required.", ControlPoint),
        (
            "point_add",
            {"kind": "minutes", "due_date": "1900-01-01"},
            "The due date cannot be in the past: give today or a later day.",
            ControlPoint,
        ),
        (
            "point_add",
            {"kind": "minutes", "due_date": (TODAY - dt.timedelta(days=1)).isoformat()},
            "The due date cannot be in the past: give today or a later day.",
            ControlPoint,
        ),
    ],
)
def test_card_forms_reject_bad_input_and_write_nothing(client_as, org_a, url_name, data, message, model):
    c = make_client(org_a, "C")
    response = client_as(org_a, Role.ADMIN).post(reverse(f"clients:{url_name}", kwargs={"client_id": c.pk}), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert model.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_settlement_form_refuses_absurd_input_in_russian(client_as, org_a):
    c = make_client(org_a, "C")
    url = reverse("clients:settlement_add", kwargs={"client_id": c.pk})
    head = client_as(org_a, Role.ADMIN)
    last = services.settlement_date_bounds()[1].strftime("%d.%m.%Y")
    page = head.post(url, {"date": "1900-01-01", "amount": "-5"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert f"Дата должна быть между 01.01.2000 и {last} (не раньше 2000 года и не больше чем на год вперёд)." in page
    page = head.post(url, {"date": TODAY.isoformat(), "amount": "-5"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert (
        "Отрицательная сумма допустима только как возврат или корректировка: отметьте "
        "«Возврат или корректировка» и укажите сумму."
    ) in page
    assert Settlement.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_settlement_refund_is_stored_negative_and_audited(client_as, org_a):
    c = make_client(org_a, "C")
    url = reverse("clients:settlement_add", kwargs={"client_id": c.pk})
    head = client_as(org_a, Role.ADMIN)
    assert head.post(url, {"date": TODAY.isoformat(), "amount": "5", "refund": "on"}).status_code == 302
    assert head.post(url, {"date": TODAY.isoformat(), "amount": "-7", "refund": "on"}).status_code == 302
    assert sorted(Settlement.objects.values_list("amount", flat=True)) == [Decimal("-7.00"), Decimal("-5.00")]
    assert AuditEntry.objects.filter(action="settlement.added", changes__refund=True).count() == 2


def test_settlement_form_saves_and_refreshes_the_state(client_as, org_a):
    c = make_client(org_a, "C")
    tea = Product.objects.create(organization=org_a, name="Tea")
    response = client_as(org_a, Role.ADMIN).post(
        reverse("clients:settlement_add", kwargs={"client_id": c.pk}),
        {"date": TODAY.isoformat(), "amount": "150.50", "product": tea.pk, "document": "INV-7"},
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.lifecycle_state == "new"
    assert list(c.products.all()) == [tea]
    card = client_as(org_a, Role.ADMIN).get(reverse("clients:card", kwargs={"client_id": c.pk}))
    assert card.context["totals"][0]["total"] == 150.5
    assert card.context["development"] == "First sale"


def test_deal_moves_with_control_points_and_refusal(client_as, org_a):
    c = make_client(org_a, "C")
    head = client_as(org_a, Role.SALES_HEAD)
    head.post(reverse("clients:deal_add", kwargs={"client_id": c.pk}), {"title": "Supply", "amount": "1000"})
    deal = Deal.objects.get()
    url = reverse("clients:deal_advance", kwargs={"deal_id": deal.pk})
    response = head.post(url, {})
    assert "Give the date the offer expires." in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == "presentation"
    head.post(url, {"due_date": (TODAY + dt.timedelta(days=7)).isoformat()})
    deal.refresh_from_db()
    assert deal.stage == "offer"
    point = ControlPoint.objects.get(deal=deal)
    assert (point.kind, point.due_date) == ("offer_expiry", TODAY + dt.timedelta(days=7))
    reason = RefusalReason.objects.create(organization=org_a, name="Price")
    head.post(reverse("clients:deal_refuse", kwargs={"deal_id": deal.pk}), {"reason": reason.pk, "note": "too dear"})
    deal.refresh_from_db()
    point.refresh_from_db()
    assert (deal.status, deal.stage, deal.refusal_reason) == ("refused", "offer", reason)
    assert point.done_at is not None
    response = head.post(url, {"due_date": TODAY.isoformat()})
    assert "This deal is finished; it cannot change any more." in response.content.decode()
    assert list(AuditEntry.objects.filter(deal=deal).order_by("id").values_list("action", flat=True)) == [
        "deal.created",
        "deal.moved",
        "deal.refused",
    ]


def test_deal_deviations(org_a):
    c = make_client(org_a, "C")
    deal = services.deal_create(client=c, title="D", amount=1000)
    with pytest.raises(Exception, match="Give the retry date"):
        services.deal_deviation(deal=deal, kind="retry", date=TODAY - dt.timedelta(days=1))
    services.deal_deviation(deal=deal, kind="retry", date=TODAY + dt.timedelta(days=3))
    assert ControlPoint.objects.get(deal=deal).kind == "retry"
    for due in (TODAY, None, TODAY):
        services.deal_advance(deal=deal, due_date=due)
    assert deal.stage == "payment"
    with pytest.raises(Exception, match="Only an offer or an agreement can be clarified."):
        services.deal_deviation(deal=deal, kind="clarification", date=TODAY)
    with pytest.raises(Exception, match="Unknown kind of deviation."):
        services.deal_deviation(deal=deal, kind="part_payment", date=TODAY)


def test_funnel_conversion(client_as, org_a):
    c = make_client(org_a, "C")
    reason = RefusalReason.objects.create(organization=org_a, name="Price")
    for n in range(4):
        deal = services.deal_create(client=c, title=f"D{n}")
        if n >= 1:
            services.deal_advance(deal=deal, due_date=TODAY)
        if n == 3:
            services.deal_refuse(deal=deal, reason=reason)
    rows = {r["stage"]: r for r in client_as(org_a, Role.SALES_HEAD).get(reverse("clients:deals")).context["funnel"]}
    assert (rows["presentation"]["reached"], rows["presentation"]["next"], rows["presentation"]["conversion"]) == (
        4,
        3,
        75.0,
    )
    assert (rows["offer"]["reached"], rows["offer"]["refused"], rows["offer"]["next"]) == (3, 1, 0)


def test_overdue_filter_and_my_day(as_manager, manager, org_a):
    late = make_client(org_a, "Late", manager=manager)
    fine = make_client(org_a, "Fine", manager=manager)
    services.control_point_create(client=late, kind="minutes", due_date=TODAY - dt.timedelta(days=1))
    services.control_point_create(client=fine, kind="minutes", due_date=TODAY)
    services.control_point_create(client=fine, kind="care", due_date=TODAY + dt.timedelta(days=1))
    page = as_manager.get(reverse("clients:list"), {"overdue": "on"})
    assert [c.name for c in page.context["page"]] == ["Late"]
    ContactPerson.objects.create(organization=org_a, client=late, name="Ann", birthday=TODAY.replace(year=1980))
    ContactPerson.objects.create(
        organization=org_a, client=late, name="Bob", birthday=(TODAY + dt.timedelta(days=10)).replace(year=1980)
    )
    day = as_manager.get(reverse("clients:my_day")).context
    assert [p.client.name for p in day["page"]] == ["Late"]
    today = as_manager.get(reverse("clients:my_day"), {"group": "today"}).context
    assert [p.client.name for p in today["page"]] == ["Fine"]
    assert [p.name for p in day["birthdays"]] == ["Ann"]


def test_a_meeting_plans_the_minutes_and_moves_the_contact_gap(org_a):
    c = make_client(org_a, "C")
    monday = dt.date(2026, 3, 2)
    services.contact_create(client=c, kind="call", date=monday - dt.timedelta(days=3), summary="first")
    services.contact_create(client=c, kind="meeting", date=monday + dt.timedelta(days=4), summary="visit")  # Friday
    open_points = ControlPoint.objects.filter(client=c, done_at__isnull=True).order_by("kind")
    assert [(p.kind, p.due_date) for p in open_points] == [
        ("contact_gap", dt.date(2026, 4, 5)),
        ("minutes", dt.date(2026, 3, 9)),
    ]


def test_complaint_advance_form_needs_a_cause(client_as, org_a):
    c = make_client(org_a, "C")
    complaint = services.complaint_register(organization=org_a, client=c, subject="S")
    services.complaint_advance(complaint=complaint)
    response = client_as(org_a, Role.ADMIN).post(
        reverse("clients:complaint_advance", kwargs={"complaint_id": complaint.pk}), {}
    )
    assert "Write down the cause found before saying it is removed." in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "investigating"
    services.complaint_register(organization=org_a, client=c, subject="T", source="survey")
    listing = client_as(org_a, Role.SALES_HEAD).get(reverse("clients:complaints"), {"status": "registered"})
    assert [x.subject for x in listing.context["page"]] == ["T"]
    assert listing.context["sources"] == [
        ("Registered by staff", 1),
        ("Low satisfaction score", 0),
        ("Survey answer", 1),
        ("Unhappy after a deal's event", 0),
    ]
    assert listing.context["complaining_share"] == 100.0


def test_matrix_maturity_and_next_offers(client_as, org_a, org_b):
    segment = Segment.objects.create(organization=org_a, name="Cafes")
    beans, tea, cups = (Product.objects.create(organization=org_a, name=n) for n in ("Beans", "Tea", "Cups"))
    head = client_as(org_a, Role.SALES_HEAD)
    head.post(
        reverse("clients:matrix"),
        {"cell": [f"{segment.pk}-{beans.pk}", f"{segment.pk}-{tea.pk}", f"{segment.pk}-{cups.pk}"]},
    )
    assert set(segment.target_products.all()) == {beans, tea, cups}
    assert client_as(org_a, Role.MANAGER).post(reverse("clients:matrix"), {"cell": []}).status_code == 403
    assert segment.target_products.count() == 3
    head = client_as(org_a, Role.SALES_HEAD)
    foreign = Product.objects.create(organization=org_b, name="Foreign")
    head.post(reverse("clients:matrix"), {"cell": [f"{segment.pk}-{foreign.pk}"]})
    assert set(segment.target_products.all()) == {beans, tea, cups}
    c = make_client(org_a, "C", segment=segment)
    c.products.add(beans)
    head.post(reverse("clients:offer_edit", kwargs={"client_id": c.pk, "product_id": cups.pk}), {"status": "refused"})
    response = head.post(
        reverse("clients:offer_edit", kwargs={"client_id": c.pk, "product_id": tea.pk}), {"status": "offered"}
    )
    assert "Give the date of the offer or of the contract." in response.content.decode()
    card = head.get(reverse("clients:card", kwargs={"client_id": c.pk})).context
    assert card["maturity"] == pytest.approx(1 / 3)
    assert [r["product"].name for r in card["offers"] if r["next"]] == ["Tea"]


@pytest.mark.parametrize("cells", [["x-1"], ["1-2-3"], ["12"], ["-1-2"], [""]])
def test_a_broken_matrix_grid_saves_nothing_and_says_so(client_as, org_a, cells):
    segment = Segment.objects.create(organization=org_a, name="Cafes")
    tea = Product.objects.create(organization=org_a, name="Tea")
    segment.target_products.add(tea)

    response = client_as(org_a, Role.SALES_HEAD).post(
        reverse("clients:matrix"), {"cell": [f"{segment.pk}-{tea.pk}", *cells]}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["The grid was sent in a broken form; nothing was saved."]
    assert list(segment.target_products.all()) == [tea]


def test_the_matrix_form_gives_segment_and_product_pairs():
    form = forms.MatrixForm(QueryDict("cell=3-14&cell=3-15&cell=7-14"))

    assert form.is_valid() and form.cleaned_data["cell"] == [(3, 14), (3, 15), (7, 14)]
    empty = forms.MatrixForm(QueryDict(""))
    assert empty.is_valid() and empty.cleaned_data["cell"] == []


def test_a_matrix_naming_another_organizations_product_says_so(client_as, org_a, org_b):
    segment = Segment.objects.create(organization=org_a, name="Cafes")
    foreign = Product.objects.create(organization=org_b, name="Foreign")

    response = client_as(org_a, Role.SALES_HEAD).post(
        reverse("clients:matrix"), {"cell": [f"{segment.pk}-{foreign.pk}"]}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "The grid names a segment or product that is not in this organization."
    ]
    assert segment.target_products.count() == 0


def test_as_of_states_from_the_history_match_the_pure_rule(org_a):
    rng = random.Random(7)
    base = dt.date(2025, 6, 30)
    clients = []
    for n in range(60):
        c = make_client(org_a, f"c{n}")
        for _ in range(rng.randint(0, 4)):
            settle(c, base - dt.timedelta(days=rng.randint(-40, 400)))
        clients.append(c)
    for as_of in (base, dt.date(2025, 5, 31), dt.date(2024, 12, 31), dt.date(2025, 8, 9)):
        conditions = state_conditions(as_of)
        shown = {c.pk: c.state_shown for c in attach_states(list(clients), as_of)}
        for c in clients:
            dates = list(c.settlements.values_list("date", flat=True))
            matched = [s for s, q in conditions.items() if Client.objects.filter(q, pk=c.pk).exists()]
            assert matched == [lifecycle_state(dates, as_of)] == [shown[c.pk]], (c.name, dates, as_of)


def test_list_as_of_filter_and_export(client_as, org_a):
    old = make_client(org_a, "=Old buyer")
    settle(old, "2025-01-10")
    make_client(org_a, "Never")
    admin = client_as(org_a, Role.ADMIN)
    page = admin.get(reverse("clients:list"), {"as_of": "2025-02-01", "state": "new"})
    assert [c.name for c in page.context["page"]] == ["=Old buyer"]
    export = admin.get(reverse("clients:list"), {"as_of": "2025-02-01", "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Name"
    assert [(r[0], r[8]) for r in rows[1:]] == [("=Old buyer", "New"), ("Never", "Potential")]
    assert sheet["A2"].quotePrefix  # shown as typed, never run as a formula


def test_kpi_page_and_bad_period(client_as, org_a, org_b):
    c = make_client(org_a, "C")
    settle(c, TODAY)
    head = client_as(org_a, Role.SALES_HEAD)
    bad = head.get(reverse("clients:kpi"), {"start": "2026-05-01", "end": "2026-01-01"})
    assert "The period must start before it ends." in bad.content.decode()
    page = head.get(
        reverse("clients:kpi"), {"start": (TODAY - dt.timedelta(days=5)).isoformat(), "end": TODAY.isoformat()}
    )
    assert page.context["grand"]["first_sale_n"] == 1
    response = head.post(reverse("clients:kpi_export"), {"start": TODAY.isoformat(), "end": TODAY.isoformat()})
    job = Job.objects.get(kind="clients.kpi_export")
    assert response["Location"] == reverse("jobs:detail", kwargs={"job_id": job.pk})
    run_job(job.pk, jobs.kpi_export_job)  # what the worker does
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.result["url"] == reverse("clients:kpi_download", kwargs={"job_id": job.pk})
    download = head.get(job.result["url"])
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.sheetnames == ["Managers", "Clients", "Complaints by kind", "Sales per product", "Marketing efficiency"]
    assert list(book["Managers"].iter_rows(values_only=True))[-1][:3] == ("Total", 1, 0)
    assert [row[0] for row in book["Clients"].iter_rows(values_only=True)] == ["Client", "C"]
    assert client_as(org_b, Role.SALES_HEAD).get(job.result["url"]).status_code == 404
    other_job = Job.objects.create(organization=org_a, kind="clients.lifecycle")
    not_export = client_as(org_a, Role.SALES_HEAD).get(reverse("clients:kpi_download", kwargs={"job_id": other_job.pk}))
    assert not_export["Location"] == reverse("jobs:detail", kwargs={"job_id": other_job.pk})


def test_kpi_export_of_a_manager_covers_only_their_clients(client_as, org_a, make_member):
    manager = make_member(org_a, Role.MANAGER)
    make_client(org_a, "Mine", manager=manager)
    make_client(org_a, "Not mine")
    job = Job.objects.create(
        organization=org_a,
        kind="clients.kpi_export",
        language="ru",
        params={"start": "2026-01-01", "end": "2026-03-31", "user_id": manager.pk},
    )
    run_job(job.pk, jobs.kpi_export_job)
    job.refresh_from_db()
    assert job.result["clients"] == 0 and job.status == "succeeded"
    data = selectors.kpi_tables(
        organization=org_a,
        clients=selectors.clients_visible_to(Viewer(org_a, manager, Role.MANAGER)),
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 3, 31),
    )
    assert data["grand"]["clients"] == 1


def _bulk_client_base(org, manager, n=40):
    tea = Product.objects.create(organization=org, name="Tea")
    segment = Segment.objects.create(organization=org, name="S")
    for i in range(n):
        c = make_client(org, f"Client {i:03d}", manager=manager, segment=segment)
        for m in range(3):
            settle(c, TODAY - dt.timedelta(days=30 * m), product=tea)
        services.control_point_create(client=c, kind="minutes", due_date=TODAY - dt.timedelta(days=1))
    return c


LIST_QUERIES = 14  # with the last purchases and next steps of the page, two queries; the bell's count
# Computing the KPI totals from the cube: the clients per manager (and any to move first), the cube's
# cells, the contacts, the complaints by kind and manager, the spending per channel.
KPI_TOTALS = 5
KPI_QUERIES = 9 + KPI_TOTALS  # session, user, memberships..., the bell, the data version, then the computation
KPI_QUERIES_LATER = (
    6  # the session's own reads are cached after the first page (the bell's count is not); the KPIs from the cache
)
# The clients loaded after the page, a row per client: savepoint, planner settings (PostgreSQL only),
# the one KPI query, release, the complaints by kind and manager, the spending per channel.
KPI_ROWS = 6 if connection.vendor == "postgresql" else 5
CARD_QUERIES = 29


@pytest.mark.parametrize("n", [5, 40])
def test_list_query_count_does_not_grow_with_clients(as_manager, manager, org_a, django_assert_num_queries, n):
    _bulk_client_base(org_a, manager, n=n)
    with django_assert_num_queries(LIST_QUERIES):
        response = as_manager.get(reverse("clients:list"), {"overdue": "on", "sort": "-name"})
    assert len(response.context["page"]) == n


@pytest.mark.parametrize("n", [2, 10])
def test_card_query_count_is_fixed(as_manager, manager, org_a, django_assert_num_queries, n, monkeypatch):
    # Other apps' panels bring their own queries; this pins the card's own.
    monkeypatch.setattr("clients.views.panels_for", lambda request, attribute, client: [])
    c = _bulk_client_base(org_a, manager, n=3)
    for i in range(n):
        services.contact_create(client=c, kind="call", date=TODAY, summary=f"call {i}", author=manager)
        services.deal_create(client=c, title=f"deal {i}", user=manager)
        services.complaint_register(organization=org_a, client=c, subject=f"complaint {i}")
    with django_assert_num_queries(CARD_QUERIES):
        response = as_manager.get(reverse("clients:card", kwargs={"client_id": c.pk}))
    assert response.status_code == 200
    assert len(response.context["deals"]) == n


def test_card_forms_load_as_fragments_for_htmx(client_as, org_a):
    c = make_client(org_a, "C")
    admin = client_as(org_a, Role.ADMIN)
    url = reverse("clients:contact_add", kwargs={"client_id": c.pk})
    fragment = admin.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<form method="post" action="%s"' % url) and "<html" not in fragment
    page = admin.get(url).content.decode()
    assert "<html" in page and 'id="contact-form"' in page


def test_deal_forms_reject_bad_input(client_as, org_a, org_b):
    c = make_client(org_a, "C")
    deal = services.deal_create(client=c, title="D", amount=100)
    admin = client_as(org_a, Role.ADMIN)
    foreign_reason = RefusalReason.objects.create(organization=org_b, name="Foreign")
    response = admin.post(reverse("clients:deal_refuse", kwargs={"deal_id": deal.pk}), {"reason": foreign_reason.pk})
    assert "Select a valid choice" in response.content.decode()
    response = admin.post(
        reverse("clients:deal_payment_add", kwargs={"deal_id": deal.pk}), {"amount": "50", "date": TODAY.isoformat()}
    )
    assert "Payments are recorded from the payment stage on." in response.content.decode()
    response = admin.post(reverse("clients:deal_deviation", kwargs={"deal_id": deal.pk}), {"kind": "teleport"})
    assert "Select a valid choice" in response.content.decode()
    deal.refresh_from_db()
    assert (deal.status, deal.settlements.count(), deal.events.count()) == ("open", 0, 1)


def test_catalogue_duplicates_are_refused(client_as, org_a):
    head = client_as(org_a, Role.SALES_HEAD)
    head.post(reverse("clients:catalogue_add"), {"catalogue": "product", "name": "Tea"})
    response = head.post(reverse("clients:catalogue_add"), {"catalogue": "product", "name": " tea "}, follow=True)
    assert "A product with this name already exists." in response.content.decode()
    response = head.post(reverse("clients:catalogue_add"), {"catalogue": "planet", "name": "Mars"}, follow=True)
    assert "Unknown list." in response.content.decode()
    assert list(Product.objects.values_list("name", flat=True)) == ["Tea"]
    assert (
        client_as(org_a, Role.MANAGER)
        .post(reverse("clients:catalogue_add"), {"catalogue": "product", "name": "X"})
        .status_code
        == 403
    )


def test_deal_documents_and_minutes(client_as, org_a):
    c = make_client(org_a, "C")
    deal = services.deal_create(client=c, title="D")
    services.contact_create(client=c, kind="meeting", date=TODAY, summary="visit")
    admin = client_as(org_a, Role.ADMIN)
    url = reverse("clients:deal_document_add", kwargs={"deal_id": deal.pk})
    response = admin.post(url, {"kind": "passport", "date": TODAY.isoformat()})
    assert "Select a valid choice" in response.content.decode()
    response = admin.post(url, {"kind": "minutes", "date": "yesterday"})
    assert "Enter a valid date." in response.content.decode()
    assert deal.documents.count() == 0
    assert ControlPoint.objects.get(client=c, kind="minutes").done_at is None
    admin.post(url, {"kind": "minutes", "number": "M-1", "date": TODAY.isoformat()})
    assert ControlPoint.objects.get(client=c, kind="minutes").done_at is not None
    card = admin.get(reverse("clients:card", kwargs={"client_id": c.pk})).context
    assert any(item["kind"] == "document" and item["text"] == "D: Meeting minutes № M-1" for item in card["timeline"])
    assert AuditEntry.objects.filter(deal=deal, action="deal.document").count() == 1


def test_head_assigns_clients_to_a_manager(client_as, org_a, org_b, make_member):
    manager = make_member(org_a, Role.MANAGER)
    analyst = make_member(org_a, Role.ANALYST)
    a, b = make_client(org_a, "A"), make_client(org_a, "B", manager=manager)
    foreign = make_client(org_b, "F")
    head = client_as(org_a, Role.SALES_HEAD)
    url = reverse("clients:assign")
    for data, message in [
        ({"manager": manager.pk}, "Tick the clients to assign."),
        (
            {"manager": manager.pk, "client": [a.pk, foreign.pk]},
            "Some of the ticked clients are not in this organization.",
        ),
        ({"manager": analyst.pk, "client": [a.pk]}, "Choose the manager to give the clients to."),
        ({"manager": manager.pk, "client": ["x"]}, "The list was sent in a broken form"),
    ]:
        assert message in head.post(url, data, follow=True).content.decode()
    assert Client.objects.get(pk=a.pk).manager is None and AuditEntry.objects.count() == 0
    response = head.post(url, {"manager": manager.pk, "client": [a.pk, b.pk], "back": "state=new"})
    assert response["Location"] == reverse("clients:list") + "?state=new"
    assert set(Client.objects.filter(manager=manager).values_list("name", flat=True)) == {"A", "B"}
    assert list(AuditEntry.objects.values_list("client__name", "action", "changes")) == [
        ("A", "client.assigned", {"manager": ["", manager.username]})
    ]
    assert client_as(org_a, Role.MANAGER).post(url, {"manager": manager.pk, "client": [a.pk]}).status_code == 403


def test_card_state_history_follows_the_settlements(client_as, org_a):
    c = make_client(org_a, "C")
    settle(c, "2025-02-18"), settle(c, "2025-03-10")
    page = client_as(org_a, Role.ADMIN).get(
        reverse("clients:card", kwargs={"client_id": c.pk}), HTTP_ACCEPT_LANGUAGE="ru"
    )
    history = page.content.decode().split('id="state-history">')[1].split("</ul>")[0]
    assert [line.strip() for line in history.replace("</li>", "").split("<li>") if line.strip()] == [
        "10.06.2025: Постоянный → Потерянный",  # 10 March - 3 months ago: the day itself, not a month end
        "18.05.2025: Новый → Постоянный",
        "18.02.2025: Первая покупка: Новый",
    ]
    assert 'id="state-next"' not in page.content.decode()


def test_card_shows_the_change_ahead(client_as, org_a):
    c = make_client(org_a, "C")
    settle(c, TODAY)
    page = client_as(org_a, Role.ADMIN).get(reverse("clients:card", kwargs={"client_id": c.pk}))
    ahead = page.content.decode().split('id="state-next">')[1].split("</li>")[0]
    day = lifecycle.leaves_window(TODAY, 3)
    assert ahead == f"Ahead: Lost from {day:%m/%d/%Y}, if no settlement is recorded before."


@pytest.mark.parametrize(("language", "amount"), [("ru", "304\xa0091,20"), ("en", "304,091.20")])
def test_amounts_follow_the_language_on_the_card_and_the_kpis(client_as, org_a, language, amount):
    c = make_client(org_a, "C")
    settle(c, TODAY, "304091.20", document="INV-1")
    services.deal_create(client=c, title="Big deal", amount=Decimal("304091.20"))
    head = client_as(org_a, Role.SALES_HEAD)
    card = head.get(reverse("clients:card", kwargs={"client_id": c.pk}), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    months = card.split('id="month-totals">')[1].split("</table>")[0]
    assert f'<td class="text-end">{amount}</td>' in months
    latest = card.split('id="month-totals">')[1].split("</table>")[1]
    assert f'<td class="text-end">{amount}</td>' in latest
    assert f"<br>{amount} · INV-1</li>" in card  # the timeline
    assert f'<td class="text-end">{amount}</td></tr>' in card.split('id="deals"')[1].split("</table>")[0]
    period = {"start": TODAY.replace(day=1).isoformat(), "end": TODAY.isoformat()}
    kpi = head.get(reverse("clients:kpi"), period, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    total = kpi.split("<tfoot>")[1].split("</tfoot>")[0]
    assert f'<td class="text-end">{amount}</td>' in total  # first sales, sum
    rows = head.get(reverse("clients:kpi_clients"), period, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<td class="text-end">{amount}</td>' in rows.split('id="kpi-clients"')[1]


def test_control_point_added_by_hand_lies_ahead_and_is_audited(client_as, org_a):
    c = make_client(org_a, "C")
    url = reverse("clients:point_add", kwargs={"client_id": c.pk})
    head = client_as(org_a, Role.ADMIN)
    page = head.post(url, {"kind": "minutes", "due_date": "1900-01-01"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Срок не может быть в прошлом: укажите сегодняшний или более поздний день." in page
    assert ControlPoint.objects.count() == 0
    assert head.post(url, {"kind": "minutes", "due_date": TODAY.isoformat()}).status_code == 302
    assert list(ControlPoint.objects.values_list("kind", "due_date")) == [("minutes", TODAY)]
    assert AuditEntry.objects.get(client=c).action == "point.added"


def test_kpi_conversion_counts_prospects_only_and_is_explained(client_as, org_a, make_member):
    ann = make_member(org_a, Role.MANAGER)
    start = TODAY.replace(day=1)
    buyer = make_client(org_a, "Buyer", manager=ann)  # bought last year, first logged contact this month
    settle(buyer, TODAY - dt.timedelta(days=400)), settle(buyer, start)
    prospect = make_client(org_a, "Prospect", manager=ann)  # contacted, then bought
    for c in (buyer, prospect):
        Contact.objects.create(organization=org_a, client=c, kind="call", date=start, summary="x")
    settle(prospect, TODAY)
    page = client_as(org_a, Role.SALES_HEAD).get(
        reverse("clients:kpi"), {"start": start.isoformat(), "end": TODAY.isoformat()}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    row = page.context["managers"][0]
    assert (row["manager"], row["first_contact"], row["converted"], row["conversion"]) == (ann.username, 1, 1, 100.0)
    html = page.content.decode()
    assert (
        'title="Доля первых контактов периода, после которых клиент сделал первую покупку до конца периода."'
        in html.split('data-column="conversion"')[1].split(">")[0]
    )
    assert "<strong>Первые контакты</strong> — потенциальные клиенты" in html.split('id="kpi-definitions">')[1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kpi_sql_agrees_with_the_pure_reference(org_a, make_member, seed):
    """The SQL of the KPI page gives what `kpis.client_kpis` (pandas, the reference) gives on random data."""
    import pandas as pd

    from clients import kpis

    rng = random.Random(seed)
    managers = [make_member(org_a, Role.MANAGER) for _ in range(3)]
    products = [Product.objects.create(organization=org_a, name=f"P{i}") for i in range(3)]
    start, end = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    rows, contacts = [], {}
    for i in range(60):
        c = make_client(org_a, f"Client {i:02d}", manager=rng.choice(managers + [None]))
        for _ in range(rng.randint(0, 6)):
            day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 520))
            product = rng.choice(products + [None])
            s = settle(c, day, str(rng.randint(1, 900)), product=product)
            rows.append((c.pk, day, float(s.amount), product.pk if product else None))
        if rng.random() < 0.5:
            day = dt.date(2025, 10, 1) + dt.timedelta(days=rng.randint(0, 200))
            Contact.objects.create(organization=org_a, client=c, kind="call", date=day, summary="x")
            contacts[c.pk] = day
    clients = Client.objects.filter(organization=org_a)
    data = selectors.kpi_tables(organization=org_a, clients=clients, start=start, end=end)
    frame = pd.DataFrame(rows, columns=["client_id", "date", "amount", "product_id"])
    frame["product_id"] = frame["product_id"].astype(float)
    reference = kpis.client_kpis(
        frame, pd.Series(contacts, dtype=object), list(clients.values_list("pk", flat=True)), start, end, 3
    )
    names = pd.Series({c.pk: c.manager.username if c.manager else "—" for c in clients.select_related("manager")})
    totals = kpis.manager_totals(reference, names)
    got = {m["manager"]: m for m in data["managers"]}
    assert sorted(got) == sorted(totals.index)
    for manager, expected in totals.iterrows():
        for column in [*kpis.CLIENT_COLUMNS, "clients"]:
            assert got[manager][column] == pytest.approx(expected[column]), (manager, column)
        for column in ("conversion", "products_per_client"):
            if pd.isna(expected[column]):
                assert got[manager][column] is None
            else:
                assert got[manager][column] == pytest.approx(expected[column])
    for row in data["clients"]:
        for column in kpis.CLIENT_COLUMNS:
            if column not in ("potential",):
                assert row[column] == pytest.approx(reference.loc[row["pk"], column]), (row["pk"], column)


@pytest.mark.parametrize("n", [5, 30])
def test_kpi_page_query_count_is_pinned(client_as, org_a, make_member, django_assert_num_queries, n, monkeypatch):
    monkeypatch.setattr("clients.views.KPI_CLIENTS_SHOWN", 20)
    manager = make_member(org_a, Role.MANAGER)
    _bulk_client_base(org_a, manager, n=n)
    head = client_as(org_a, Role.SALES_HEAD)
    with django_assert_num_queries(KPI_QUERIES):
        page = head.get(reverse("clients:kpi"))
    assert page.context["grand"]["clients"] == n
    with django_assert_num_queries(KPI_QUERIES_LATER + KPI_ROWS):  # the session read by the page before
        rows = head.get(reverse("clients:kpi_clients"))
    assert rows.context["active_count"] == n and len(rows.context["clients_shown"]) == min(n, 20)
    with django_assert_num_queries(KPI_QUERIES_LATER):  # the same period again: the data version, then the cache
        head.get(reverse("clients:kpi"))
    settle(Client.objects.filter(organization=org_a).first(), TODAY, "1000")  # new data: computed again
    with django_assert_num_queries(KPI_QUERIES_LATER + KPI_TOTALS):
        again = head.get(reverse("clients:kpi"))
    assert again.context["grand"]["sales_sum"] == page.context["grand"]["sales_sum"] + 1000


def test_kpi_download_without_dates_uses_the_default_quarter(client_as, org_a):
    from clients.selectors import preset_period

    c = make_client(org_a, "C")
    start, end = preset_period("quarter", TODAY)
    settle(c, TODAY, "12.50")
    response = client_as(org_a, Role.SALES_HEAD).get(reverse("clients:kpi"), {"export": "xlsx"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="kpi-{start}-{end}.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert list(book["Clients"].iter_rows(values_only=True))[1][:5] == ("C", "—", None, 0, 12.5)
    only_start = client_as(org_a, Role.SALES_HEAD).get(reverse("clients:kpi"), {"start": start.isoformat()})
    assert (only_start.context["start"], only_start.context["end"]) == (start, end)


def test_card_change_log_reads_like_sentences_in_both_languages(client_as, org_a):
    c = make_client(org_a, "C")
    head = client_as(org_a, Role.ADMIN)
    head.post(
        reverse("clients:settlement_add", kwargs={"client_id": c.pk}),
        {"date": "2026-01-05", "amount": "1234.5", "refund": "on", "document": ""},
    )
    head.post(
        reverse("clients:edit", kwargs={"client_id": c.pk}), {"name": "C", "kind": "person", "has_branches": "on"}
    )
    url = reverse("clients:card", kwargs={"client_id": c.pk})
    for language, expected in (
        (
            "en",
            [
                "<strong>Client changed</strong> · kind: Company → Private person · has branches: no → yes",
                "<strong>Settlement entered</strong> · date: 01/05/2026 · amount: -1,234.50 · refund or correction: yes "
                "· document number: —",
            ],
        ),
        (
            "ru",
            [
                "<strong>Клиент изменён</strong> · вид: Компания → Частное лицо · есть филиалы: нет → да",
                "<strong>Внесён взаиморасчёт</strong> · дата: 05.01.2026 · сумма: -1\xa0234,50 · возврат или корректировка: да "
                "· номер документа: —",
            ],
        ),
    ):
        html = head.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        log = html.split('id="audit">')[1].split("</ul>")[0]
        lines = [line.split(" · ", 2)[2].replace("</li>", "").strip() for line in log.split("<li>")[1:]]
        assert lines == expected
        assert "settlement.added" not in log


def _labels(page: str) -> dict[str, str]:
    """Each form field's label text, by field name."""
    import re

    return {
        name: " ".join(text.split()) for name, text in re.findall(r'<label[^>]*\bfor="id_(\w+)"[^>]*>([^<]*)', page)
    }


def _field_names(page: str) -> set[str]:
    """The visible fields' ids; each one once (a label's "for" names one field)."""
    import re

    fields = re.findall(r'<(?:input|select|textarea)[^>]*\bid="id_\w+"[^>]*>', page)
    names = [re.search(r'\bid="id_(\w+)"', f).group(1) for f in fields if 'type="hidden"' not in f]
    assert len(names) == len(set(names)), names
    return set(names)


def test_card_forms_read_naturally_in_russian(client_as, org_a):
    """A contact's summary is not the admin's "Краткая статистика", a person has a full name, every field a label."""
    c = make_client(org_a, "C")
    admin = client_as(org_a, Role.ADMIN)

    def page(name: str) -> str:
        url = reverse(f"clients:{name}", kwargs={"client_id": c.pk}) if name != "create" else reverse("clients:create")
        return admin.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    contact = page("contact_add")
    assert _labels(contact)["contact_summary"] == "Краткое содержание"
    assert "Краткая статистика" not in contact
    assert _labels(page("person_add"))["person_name"] == "ФИО"
    assert _labels(page("create"))["name"] == "Название или ФИО"
    settlement = page("settlement_add")
    assert _labels(settlement) == {
        "settlement_date": "Дата",
        "settlement_amount": "Сумма",
        "settlement_product": "Продукт",
        "settlement_document": "Номер документа",
        "settlement_refund": "Возврат или корректировка",
    }
    assert _field_names(settlement) == set(_labels(settlement))
    # The card opens its forms side by side: no field id is shared, so every label names its own field.
    seen: set[str] = set()
    for name in (
        "contact_add",
        "settlement_add",
        "point_add",
        "person_add",
        "deal_add",
        "complaint_add",
        "assessment_add",
    ):
        fields = _field_names(page(name))
        assert fields and not fields & seen, (name, fields & seen)
        seen |= fields


def test_deal_forms_label_every_field_in_russian(client_as, org_a):
    deal = services.deal_create(client=make_client(org_a, "C"), title="D", amount=Decimal("100"))
    for due in (TODAY, None, TODAY):
        services.deal_advance(deal=deal, due_date=due)
    page = (
        client_as(org_a, Role.ADMIN)
        .get(reverse("clients:deal", kwargs={"deal_id": deal.pk}), HTTP_ACCEPT_LANGUAGE="ru")
        .content.decode()
    )
    labels = _labels(page)
    assert _field_names(page) == set(labels)
    assert {name: text for name, text in labels.items() if name.startswith("payment_")} == {
        "payment_amount": "Сумма",
        "payment_date": "Дата поступления",
        "payment_document": "Номер платёжного документа",
        "payment_refund": "Возврат клиенту",
    }
    assert "Согласована отсрочка оплаты" in page


def test_a_settlement_deleted_from_the_card_rewrites_the_history(client_as, org_a, org_b):
    c = make_client(org_a, "C")
    settle(c, "2025-01-10")
    mistake = settle(c, "2025-03-01")
    analyst = client_as(org_a, Role.ANALYST)
    card = analyst.get(reverse("clients:card", kwargs={"client_id": c.pk})).content.decode()
    url = reverse("clients:settlement_delete", kwargs={"client_id": c.pk, "settlement_id": mistake.pk})
    assert f'action="{url}"' in card
    response = analyst.post(url)
    assert response.status_code == 302
    assert not c.settlements.filter(pk=mistake.pk).exists()
    assert list(c.state_changes.order_by("as_of").values_list("as_of", "state")) == [
        (dt.date(2025, 1, 10), "new"),
        (dt.date(2025, 4, 10), "lost"),
    ]
    other = settle(make_client(org_b, "Theirs"), "2025-01-10")
    elsewhere = reverse("clients:settlement_delete", kwargs={"client_id": other.client_id, "settlement_id": other.pk})
    assert analyst.post(elsewhere).status_code == 404
    assert client_as(org_a, Role.MANAGER).post(url).status_code in (403, 404)


def test_my_day_pages_a_group_and_done_returns_to_the_same_page(as_manager, manager, org_a):
    client = make_client(org_a, "Busy", manager=manager)
    for n in range(30):
        services.control_point_create(client=client, kind="care", due_date=TODAY - dt.timedelta(days=40 - n))
    url = reverse("clients:my_day")
    first = as_manager.get(url).context
    assert first["group"] == "overdue" and dict(first["groups"])["overdue"] == 30
    assert len(first["page"]) == 25
    second = as_manager.get(url, {"group": "overdue", "page": "2"})
    assert len(second.context["page"]) == 5
    assert 'id="overdue-points"' in second.content.decode()
    point = second.context["page"][0]
    done = as_manager.post(
        reverse("clients:point_done", args=[point.pk]), {"back": "day", "group": "overdue", "page": "2"}
    )
    assert done["Location"] == url + "?group=overdue&page=2"
    # A second click on the same button does nothing more and says so.
    again = as_manager.post(reverse("clients:point_done", args=[point.pk]), {"back": "day", "group": "nonsense"})
    assert again["Location"] == url
    messages = [str(m) for m in as_manager.get(url).context["messages"]]
    assert messages == ["Marked as done.", "This control point is already done."]
    assert dict(as_manager.get(url).context["groups"])["overdue"] == 29


def test_a_deal_moved_from_the_board_moves_once_and_the_board_keeps_its_filter(client_as, org_a):
    c = make_client(org_a, "C")
    deal = Deal.objects.create(organization=org_a, client=c, title="Supply", amount=Decimal("1000"))
    head = client_as(org_a, Role.SALES_HEAD)
    board = head.get(reverse("clients:deals"), {"start": "2020-01-01"}).content.decode()
    assert f'id="id_board{deal.pk}_due_date"' in board  # the move's own field: when the offer expires
    assert f'name="from_stage" value="presentation" id="id_board{deal.pk}_from_stage"' in board
    move = {
        "back": "board",
        "board_query": "start=2020-01-01&page=7&next=https://elsewhere.example",
        "from_stage": "presentation",
        "due_date": (TODAY + dt.timedelta(days=7)).isoformat(),
    }
    url = reverse("clients:deal_advance", kwargs={"deal_id": deal.pk})
    first = head.post(url, move)
    assert first["Location"] == reverse("clients:deals") + f"?start=2020-01-01#deal-{deal.pk}"
    second = head.post(url, move)  # the same button clicked again
    assert "This deal has already moved on to “Commercial offer”; nothing was changed." in second.content.decode()
    deal.refresh_from_db()
    assert deal.stage == "offer"
    assert list(deal.events.values_list("kind", flat=True)) == ["moved"]


def test_the_client_list_shows_the_last_purchase_and_the_next_step(as_manager, manager, org_a):
    busy = make_client(org_a, "Busy", manager=manager)
    make_client(org_a, "Idle", manager=manager)
    settle(busy, TODAY - dt.timedelta(days=40), "500")
    settle(busy, TODAY - dt.timedelta(days=3), "-100")  # a refund is no purchase
    settle(busy, TODAY - dt.timedelta(days=300), "900")
    services.control_point_create(client=busy, kind="care", due_date=TODAY + dt.timedelta(days=9))
    services.control_point_create(client=busy, kind="minutes", due_date=TODAY + dt.timedelta(days=2))
    page = as_manager.get(reverse("clients:list")).context["page"]
    rows = {c.name: c for c in page}
    assert rows["Busy"].last_purchase == TODAY - dt.timedelta(days=40)
    assert (rows["Busy"].next_point.kind, rows["Busy"].next_point.due_date) == ("minutes", TODAY + dt.timedelta(days=2))
    assert (rows["Idle"].last_purchase, rows["Idle"].next_point) == (None, None)
    html = as_manager.get(reverse("clients:list")).content.decode()
    assert f"{TODAY + dt.timedelta(days=2):%m/%d/%Y} · Meeting minutes sent" in html


def test_the_dashboard_page_for_heads_with_its_period_and_filters(client_as, org_a):
    head = client_as(org_a, Role.SALES_HEAD)
    url = reverse("clients:dashboard")
    page = head.get(url)
    assert page.status_code == 200
    start, end = preset_period("quarter", TODAY)
    assert (page.context["start"], page.context["end"]) == (start, end)
    html = page.content.decode()
    assert html.count('class="card h-100 figure"') == len(selectors.FIGURES)
    assert 'id="dashboard-chart"' in html
    # The other apps' panels: loyalty's newest month of each trend metric, segmentation's matrix.
    assert 'id="dashboard-loyalty"' in html and 'data-metric="nps"' in html and 'data-metric="churn"' in html
    assert 'id="dashboard-segmentation"' in html and "No ABC/XYZ run yet." in html
    custom = head.get(url, {"period": "custom", "start": "2026-03-15", "end": "2026-05-02", "abc": "A"})
    assert (custom.context["start"], custom.context["end"]) == (dt.date(2026, 3, 1), dt.date(2026, 5, 31))
    assert "abc=A" in custom.context["filter_query"] and "period" not in custom.context["filter_query"]
    broken = head.get(url, {"period": "custom", "start": "2026-05-02"})
    assert broken.status_code == 200 and "Give both dates of the period." in broken.content.decode()
    backwards = head.get(url, {"period": "custom", "start": "2026-05-02", "end": "2026-03-01"})
    assert "The period must start before it ends." in backwards.content.decode()
    assert client_as(org_a, Role.MANAGER).get(url).status_code == 403


def test_a_wrong_board_filter_says_what_is_wrong_and_shows_every_deal(client_as, org_a):
    Deal.objects.create(organization=org_a, client=make_client(org_a, "C"), title="Supply")
    page = client_as(org_a, Role.SALES_HEAD).get(reverse("clients:deals"), {"start": "2026-05-02", "end": "2026-03-01"})
    assert page.status_code == 200
    assert (
        '<div class="col-12 text-danger small" id="board-filter-error">The period must start before it ends.</div>'
        in (page.content.decode())
    )
    assert [c["count"] for c in page.context["columns"]][0] == 1


def test_a_sales_head_sets_a_plan_from_the_dashboard_once_however_often_they_click(client_as, org_a, make_member):
    from clients.models import RevenuePlan

    ann = make_member(org_a, Role.MANAGER, username="ann")
    head = client_as(org_a, Role.SALES_HEAD)
    url = reverse("clients:plan_set")
    posted = {"manager": ann.pk, "month": "2026-11-17", "amount": "250000", "dashboard_query": "period=year&evil=1"}
    for _click in range(2):
        response = head.post(url, posted)
        assert response["Location"] == reverse("clients:dashboard") + "?period=year#plans"
    assert list(RevenuePlan.objects.values_list("manager__username", "month", "amount")) == [
        ("ann", dt.date(2026, 11, 1), Decimal("250000.00"))
    ]
    head.post(url, posted | {"amount": "-5"})
    messages = [str(m) for m in head.get(reverse("clients:dashboard")).context["messages"]]
    assert messages == [
        "Plan saved.",
        "Plan saved.",
        "Planned revenue: Ensure this value is greater than or equal to 0.",
    ]
    assert RevenuePlan.objects.get().amount == Decimal("250000.00")
    assert client_as(org_a, Role.ANALYST).post(url, posted).status_code == 403


def test_the_dashboard_exports_its_tables(client_as, org_a, make_member):
    from python_calamine import CalamineWorkbook

    ann = make_member(org_a, Role.MANAGER, username="ann")
    settle(make_client(org_a, "A", manager=ann), "2026-11-10", "1234.50")
    services.revenue_plan_set(organization=org_a, manager=ann, month=dt.date(2026, 11, 1), amount=Decimal("2469"))
    response = client_as(org_a, Role.SALES_HEAD).get(
        reverse("clients:dashboard"), {"period": "custom", "start": "2026-10-01", "end": "2026-12-31", "export": "xlsx"}
    )
    assert response["Content-Disposition"] == 'attachment; filename="dashboard-2026-10-01-2026-12-31.xlsx"'
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["Figures", "Managers", "Funnel", "Months"]
    figures = book.get_sheet_by_name("Figures").to_python()
    assert figures[0] == [
        "Figure",
        "Value",
        "Period before",
        "Change against it",
        "A year earlier",
        "Change over the year",
    ]
    assert figures[1][:3] == ["Revenue", 1234.5, 0.0] and figures[1][3] == ""
    managers = book.get_sheet_by_name("Managers").to_python()
    assert managers[0][-2:] == ["Revenue plan", "Plan fulfilled"]
    assert managers[1][:3] == ["ann", 1.0, 1234.5] and managers[1][-2:] == [2469.0, 0.5]
    assert managers[-1][0] == "Total" and managers[-1][-1] == 0.5
    assert managers[0][-3] == "Overdue points" and managers[1][-3] == 0.0
    funnel = book.get_sheet_by_name("Funnel").to_python()
    assert funnel[0] == ["Stage", "Reached", "Refused here", "Went on", "Conversion", "Median days"]
    assert [row[0] for row in funnel[1:]] == [
        "Presentation",
        "Commercial offer",
        "Agreement",
        "Payment",
        "Event",
        "Closing",
    ]
    months = book.get_sheet_by_name("Months").to_python()
    assert len(months) == 13 and months[-2][1:] == [1234.5, 1.0]


def test_a_drilled_list_says_what_it_shows_and_keeps_it_while_filtering(client_as, org_a):
    bought = make_client(org_a, "Bought")
    make_client(org_a, "Idle")
    settle(bought, "2026-05-10", "100")
    head = client_as(org_a, Role.SALES_HEAD)
    drilled = {"event": "bought", "event_start": "2026-04-01", "event_end": "2026-06-30"}
    page = head.get(reverse("clients:list"), drilled | {"sort": "-name"})
    assert [c.name for c in page.context["page"]] == ["Bought"]
    html = page.content.decode()
    assert "Clients who bought between 04/01/2026 and 06/30/2026." in html
    assert '<a href="?sort=-name">Show them all</a>' in html
    assert '<input type="hidden" name="event" value="bought"' in html  # kept when the filter bar is used
    everyone = head.get(reverse("clients:list"), {"sort": "-name"})
    assert [c.name for c in everyone.context["page"]] == ["Idle", "Bought"]


def test_subscribing_to_the_digest_from_the_dashboard(client_as, org_a):
    from clients.models import DigestSubscription

    head = client_as(org_a, Role.SALES_HEAD)
    user = DigestSubscription._meta.get_field("user").related_model.objects.get(memberships__organization=org_a)
    url = reverse("clients:digest_subscribe")
    refused = head.post(url, {"subscribed": "1", "dashboard_query": "period=year"})
    assert refused["Location"] == reverse("clients:dashboard") + "?period=year#digest"
    assert not DigestSubscription.objects.exists()  # no e-mail address yet
    user.email = "head@example.com"
    user.save()
    head.post(url, {"subscribed": "1"}, HTTP_ACCEPT_LANGUAGE="ru")
    head.post(url, {"subscribed": "1"}, HTTP_ACCEPT_LANGUAGE="ru")  # twice: still one subscription
    assert list(DigestSubscription.objects.values_list("user__email", "language")) == [("head@example.com", "ru")]
    page = head.get(reverse("clients:dashboard")).content.decode()
    assert 'name="subscribed" value="0"' in page and "Unsubscribe" in page
    head.post(url, {"subscribed": "0"})
    assert not DigestSubscription.objects.exists()
    assert client_as(org_a, Role.MANAGER).post(url, {"subscribed": "1"}).status_code == 403


def test_every_dashboard_number_opens_the_rows_behind_it(client_as, org_a, make_member):
    """Followed as a sales head would: a complaint count, a complaint status, a funnel stage and a
    month of the chart each open a list with exactly as many rows, under the dashboard's filter."""
    from urllib.parse import urlsplit

    from clients.models import Complaint

    ann, bob = make_member(org_a, Role.MANAGER, username="ann"), make_member(org_a, Role.MANAGER, username="bob")
    start, end = preset_period("last_quarter", TODAY)
    rng = random.Random(3)
    for n in range(12):
        client = make_client(org_a, f"C{n}", manager=ann if n % 2 else bob)
        for _k in range(rng.randint(1, 4)):
            settle(client, start + dt.timedelta(days=rng.randint(0, (end - start).days)), rng.choice(["100", "-40"]))
        for status in rng.sample(["registered", "investigating", "closed"], rng.randint(0, 2)):
            complaint = Complaint.objects.create(organization=org_a, client=client, subject="Late", status=status)
            registered = start + dt.timedelta(days=rng.randint(-20, (end - start).days))  # some before the period
            Complaint.objects.filter(pk=complaint.pk).update(
                created_at=dt.datetime.combine(registered, dt.time(12), tzinfo=dt.UTC)
            )
        deal = Deal.objects.create(
            organization=org_a, client=client, title="Supply", stage=rng.choice(["presentation", "offer", "payment"])
        )
        Deal.objects.filter(pk=deal.pk).update(created_at=dt.datetime.combine(start, dt.time(12), tzinfo=dt.UTC))
    head = client_as(org_a, Role.SALES_HEAD)

    def rows_behind(href):
        url = urlsplit(href.replace("&amp;", "&"))
        page = head.get(url.path, QueryDict(url.query))
        assert page.status_code == 200
        return page.context["page"].paginator.count

    for wanted in ({}, {"manager": ann.pk}):
        page = head.get(reverse("clients:dashboard"), {"period": "custom", "start": start, "end": end, **wanted})
        # The page's own context (the loyalty panel, drawn first, has a "chart" of its own).
        dashboard = next(context for context in page.context if "complaints_url" in context)
        figures = {f.key: f.value for f in dashboard["figures"]}
        assert rows_behind(dashboard["complaints_url"]) == figures["complaints"] == dashboard["complaints"]["total"]
        for status, _label, n in dashboard["complaints"]["statuses"]:
            assert rows_behind(f"{dashboard['complaints_url']}&status={status}") == n, (wanted, status)
        assert sum(n for _s, _l, n in dashboard["complaints"]["statuses"]) > 0
        for row in dashboard["funnel"]:
            href = f"{reverse('clients:deals')}?{dashboard['deals_query']}&reached={row['stage']}"
            assert rows_behind(href) == row["reached"], (wanted, row["stage"])
        assert dashboard["funnel"][0]["reached"] == (6 if wanted else 12)
        months = dict(zip(dashboard["chart"]["links"], dashboard["chart"]["buyers"], strict=True))
        for href, buyers in months.items():
            assert rows_behind(href) == buyers
        assert sum(months.values()) > 0
    html = head.get(reverse("clients:dashboard"), {"period": "custom", "start": start, "end": end}).content.decode()
    assert 'id="complaints-total"' in html and "reached=payment" in html
