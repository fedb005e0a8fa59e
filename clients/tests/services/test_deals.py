"""A deal is won only when paid in full, or with a deferred payment agreed and watched (DOMAIN 3).

A deal's payments are settlements of the deal: parts add up, a refund takes the money back.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from clients import services
from clients.models import AuditEntry, Client, ControlPoint, Deal, DealEvent, Product, Settlement
from clients.selectors import deal_money
from clients.tests.factories import make_client
from crm_portal.models import Role

pytestmark = pytest.mark.django_db

MILLION_TWO = Decimal("1200000")
NOTHING_PAID = (
    "The client has paid 0.00 of 1,200,000.00. Record the payment in full, or agree a deferred payment "
    "with its due date, before the deal goes past payment or is won."
)


@pytest.fixture
def today(monkeypatch) -> dt.date:
    """Today, set: payment and deferral dates are checked against it."""
    day = dt.date(2026, 3, 10)
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, tz=None: day if value is None else real(value, tz))
    with translation.override("en"):  # the messages below are asserted word for word
        yield day


def at_payment(org, today, amount=MILLION_TWO) -> Deal:
    """A deal of `amount` moved to the payment stage (its invoice expires in five days)."""
    product = Product.objects.create(organization=org, name="Coffee machines")
    deal = services.deal_create(client=make_client(org, "Cafe"), title="Machines", product=product, amount=amount)
    for due in (today + dt.timedelta(days=10), None, today + dt.timedelta(days=5)):
        services.deal_advance(deal=deal, due_date=due, date=today)
    assert deal.stage == "payment"
    return deal


def to_won(deal: Deal, today) -> Deal:
    services.deal_advance(deal=deal, due_date=today + dt.timedelta(days=3), date=today)
    services.deal_advance(deal=deal, date=today)
    services.deal_advance(deal=deal, date=today, next_contact_on=today + dt.timedelta(days=30))
    return deal


def open_invoice_points(deal: Deal) -> list[dt.date]:
    return list(
        deal.control_points.filter(kind=ControlPoint.Kind.INVOICE_EXPIRY, done_at__isnull=True).values_list(
            "due_date", flat=True
        )
    )


def test_nothing_paid_cannot_go_past_payment_nor_be_won(org_a, today):
    deal = at_payment(org_a, today)
    with pytest.raises(ValidationError) as refused:
        services.deal_advance(deal=deal, due_date=today + dt.timedelta(days=3), date=today)
    assert refused.value.messages == [NOTHING_PAID]
    deal.refresh_from_db()
    assert (deal.stage, deal.status) == ("payment", "open")
    assert open_invoice_points(deal) == [today + dt.timedelta(days=5)]


def test_payment_in_two_halves_wins_after_the_second(org_a, today):
    deal = at_payment(org_a, today)
    half = MILLION_TWO / 2
    services.deal_payment_record(deal=deal, amount=half, date=today - dt.timedelta(days=1), document="PP-1")
    with pytest.raises(ValidationError, match=r"^\['The client has paid 600,000.00 of 1,200,000.00\. "):
        services.deal_advance(deal=deal, due_date=today + dt.timedelta(days=3), date=today)
    assert open_invoice_points(deal) == [today + dt.timedelta(days=5)]
    services.deal_payment_record(deal=deal, amount=half, date=today, document="PP-2")
    assert open_invoice_points(deal) == []  # paid: the invoice is settled
    to_won(deal, today)
    deal.refresh_from_db()
    assert (deal.stage, deal.status) == ("closing", "won")
    assert list(
        Settlement.objects.filter(deal=deal)
        .order_by("id")
        .values_list("client_id", "date", "amount", "product__name", "document")
    ) == [
        (deal.client_id, today - dt.timedelta(days=1), half, "Coffee machines", "PP-1"),
        (deal.client_id, today, half, "Coffee machines", "PP-2"),
    ]
    money = deal_money(deal)
    assert (money.paid, money.refunded, money.remaining, money.paid_in_full) == (MILLION_TWO, 0, 0, True)
    assert list(deal.events.order_by("id").values_list("kind", "amount")) == [
        ("created", None),
        ("moved", None),
        ("moved", None),
        ("moved", None),
        ("part_payment", half),
        ("part_payment", half),
        ("moved", None),
        ("moved", None),
        ("closed", None),
    ]
    deal.client.refresh_from_db()
    assert deal.client.lifecycle_state == "new"  # the payments are the client's first settlements


def test_payments_cannot_exceed_the_amount_come_early_or_be_dated_ahead(org_a, today):
    deal = services.deal_create(client=make_client(org_a), title="D", amount=Decimal("1000"))
    with pytest.raises(ValidationError, match="Payments are recorded from the payment stage on."):
        services.deal_payment_record(deal=deal, amount=Decimal("1000"), date=today)
    deal = at_payment(org_a, today, amount=Decimal("1000"))
    services.deal_payment_record(deal=deal, amount=Decimal("400"), date=today)
    with pytest.raises(ValidationError, match="Payments would exceed the deal amount: 600.00 remain to be paid."):
        services.deal_payment_record(deal=deal, amount=Decimal("600.01"), date=today)
    with pytest.raises(ValidationError, match="its date cannot be in the future"):
        services.deal_payment_record(deal=deal, amount=Decimal("1"), date=today + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match=r"A refund cannot exceed what the client has paid \(400.00\)."):
        services.deal_payment_record(deal=deal, amount=Decimal("400.01"), date=today, refund=True)
    assert list(Settlement.objects.filter(deal=deal).values_list("amount", flat=True)) == [Decimal("400")]


def test_refund_after_prepayment_takes_the_payment_back(org_a, today):
    deal = at_payment(org_a, today)
    services.deal_payment_record(deal=deal, amount=MILLION_TWO, date=today)
    services.deal_payment_record(deal=deal, amount=Decimal("200000"), date=today, refund=True)
    money = deal_money(deal)
    assert (money.paid, money.refunded, money.remaining, money.paid_in_full) == (
        Decimal("1000000"),
        Decimal("200000"),
        Decimal("200000"),
        False,
    )
    assert sorted(Settlement.objects.filter(deal=deal).values_list("amount", flat=True)) == [
        Decimal("-200000"),
        MILLION_TWO,
    ]
    with pytest.raises(ValidationError, match=r"^\['The client has paid 1,000,000.00 of 1,200,000.00\. "):
        services.deal_advance(deal=deal, due_date=today + dt.timedelta(days=3), date=today)
    assert deal.events.filter(kind=DealEvent.Kind.REFUND).get().amount == Decimal("200000")


def test_refund_on_a_won_deal_opens_it_again(org_a, today):
    deal = at_payment(org_a, today)
    services.deal_payment_record(deal=deal, amount=MILLION_TWO, date=today)
    to_won(deal, today)
    assert deal.status == "won"
    services.deal_payment_record(deal=deal, amount=Decimal("100"), date=today, refund=True)
    deal.refresh_from_db()
    assert (deal.stage, deal.status) == ("closing", "open")
    assert AuditEntry.objects.get(deal=deal, action="deal.reopened").changes == {"amount": "100"}
    with pytest.raises(ValidationError, match=r"^\['The client has paid 1,199,900.00 of 1,200,000.00\. "):
        services.deal_advance(deal=deal, date=today, next_contact_on=today + dt.timedelta(days=30))
    services.deal_payment_record(deal=deal, amount=Decimal("100"), date=today)
    services.deal_advance(deal=deal, date=today, next_contact_on=today + dt.timedelta(days=30))
    assert deal.status == "won"


def test_deferral_with_a_due_date_wins_and_stays_watched_until_paid(org_a, today):
    deal = at_payment(org_a, today)
    due = today + dt.timedelta(days=45)
    with pytest.raises(ValidationError, match="it cannot be in the past"):
        services.deal_deviation(deal=deal, kind="deferral", date=today - dt.timedelta(days=1))
    services.deal_deviation(deal=deal, kind="deferral", date=due, note="Pays after the season")
    assert deal.payment_due_on == due
    to_won(deal, today)
    deal.refresh_from_db()
    assert (deal.status, deal.payment_due_on) == ("won", due)
    points = deal.control_points.filter(kind=ControlPoint.Kind.INVOICE_EXPIRY)
    assert list(points.filter(due_date=due).values_list("done_at", "note", "client_id")) == [
        (None, "Pays after the season", deal.client_id)
    ]
    assert open_invoice_points(deal) == [due]  # the invoice's own date was replaced by the agreed one
    # The money comes after the deal is won: it is still recorded on the deal, and the point is settled.
    services.deal_payment_record(deal=deal, amount=MILLION_TWO, date=today)
    deal.refresh_from_db()
    assert (deal.status, deal.payment_due_on, open_invoice_points(deal)) == ("won", None, [])


def test_deferral_needs_the_payment_stage_and_something_left_to_pay(org_a, today):
    early = services.deal_create(client=make_client(org_a), title="Early", amount=Decimal("10"))
    with pytest.raises(ValidationError, match="A deferred payment is agreed from the payment stage on."):
        services.deal_deviation(deal=early, kind="deferral", date=today)
    deal = at_payment(org_a, today)
    services.deal_payment_record(deal=deal, amount=MILLION_TWO, date=today)
    with pytest.raises(ValidationError, match="The deal is paid in full: there is nothing to defer."):
        services.deal_deviation(deal=deal, kind="deferral", date=today)


def test_the_move_to_payment_needs_the_invoice_amount(org_a, today):
    deal = services.deal_create(client=make_client(org_a), title="No amount yet")
    services.deal_advance(deal=deal, due_date=today, date=today)
    services.deal_advance(deal=deal, date=today)
    with pytest.raises(ValidationError, match="Give the invoice amount"):
        services.deal_advance(deal=deal, due_date=today, date=today)
    services.deal_advance(deal=deal, due_date=today, date=today, amount=Decimal("5000"))
    deal.refresh_from_db()
    assert (deal.stage, deal.amount) == ("payment", Decimal("5000"))
    assert deal.events.count() == 4


# Pages ----------------------------------------------------------------------------------------


def test_the_deal_page_refuses_the_move_and_shows_paid_and_remaining(client_as, org_a, today):
    deal = at_payment(org_a, today)
    head = client_as(org_a, Role.SALES_HEAD)
    page = head.post(
        reverse("clients:deal_advance", kwargs={"deal_id": deal.pk}),
        {"due_date": (today + dt.timedelta(days=3)).isoformat()},
    ).content.decode()
    assert NOTHING_PAID in page
    assert '<strong id="deal-paid">0.00</strong>' in page
    assert '<strong id="deal-remaining">1,200,000.00</strong>' in page
    deal.refresh_from_db()
    assert deal.stage == "payment"
    url = reverse("clients:deal_payment_add", kwargs={"deal_id": deal.pk})
    response = head.post(url, {"amount": "600000", "date": today.isoformat(), "document": "PP-7"})
    assert response.status_code == 302
    page = head.get(reverse("clients:deal", kwargs={"deal_id": deal.pk})).content.decode()
    assert '<strong id="deal-paid">600,000.00</strong>' in page
    assert '<strong id="deal-remaining">600,000.00</strong>' in page
    page = head.post(url, {"amount": "600000.01", "date": today.isoformat()}).content.decode()
    assert "Payments would exceed the deal amount: 600,000.00 remain to be paid." in page
    assert Settlement.objects.filter(deal=deal).count() == 1


def test_a_deferral_sent_twice_makes_one_control_point(client_as, org_a, today):
    deal = at_payment(org_a, today)
    url = reverse("clients:deal_deviation", kwargs={"deal_id": deal.pk})
    due = today + dt.timedelta(days=20)
    head = client_as(org_a, Role.SALES_HEAD)
    for _n in range(2):
        assert head.post(url, {"kind": "deferral", "date": due.isoformat()}).status_code == 302
    assert deal.control_points.filter(kind=ControlPoint.Kind.INVOICE_EXPIRY, due_date=due).count() == 1
    assert open_invoice_points(deal) == [due]
    assert deal.events.filter(kind=DealEvent.Kind.DEFERRAL).count() == 1
    page = head.get(reverse("clients:deal", kwargs={"deal_id": deal.pk})).content.decode()
    assert f'<span id="deal-deferral">deferred payment due {due:%m/%d/%Y}</span>' in page
    response = head.post(
        reverse("clients:deal_advance", kwargs={"deal_id": deal.pk}),
        {"due_date": (today + dt.timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == "event"
    assert open_invoice_points(deal) == [due]


def test_several_signers_put_a_signatures_point_on_the_agreement_once(client_as, org_a, today):
    deal = services.deal_create(client=make_client(org_a, "Cafe"), title="Machines")
    services.deal_advance(deal=deal, due_date=today + dt.timedelta(days=10), date=today)
    with pytest.raises(ValidationError) as early:
        services.deal_deviation(deal=deal, kind="signatures", date=today + dt.timedelta(days=4))
    assert early.value.messages == ["This is recorded at the stage: Agreement."]
    services.deal_advance(deal=deal, date=today)
    with pytest.raises(ValidationError) as past:
        services.deal_deviation(deal=deal, kind="signatures", date=today - dt.timedelta(days=1))
    assert past.value.message_dict == {"date": ["Give the date every signature is due; it cannot be in the past."]}
    url = reverse("clients:deal_deviation", kwargs={"deal_id": deal.pk})
    head = client_as(org_a, Role.SALES_HEAD)
    data = {"kind": "signatures", "date": (today + dt.timedelta(days=4)).isoformat(), "note": "Director, accountant"}
    for _n in range(2):  # a double click
        assert head.post(url, data).status_code == 302
    signatures = deal.control_points.get(kind=ControlPoint.Kind.SIGNATURES)
    assert (signatures.due_date, signatures.note, signatures.done_at) == (
        today + dt.timedelta(days=4),
        "Director, accountant",
        None,
    )
    assert deal.events.filter(kind=DealEvent.Kind.SIGNATURES).count() == 1
    page = head.get(reverse("clients:deal", kwargs={"deal_id": deal.pk})).content.decode()
    assert (
        f'<li data-kind="signatures"> Signatures collected · {today + dt.timedelta(days=4):%m/%d/%Y} · Director, accountant</li>'
        in page
    )
    services.deal_advance(deal=deal, date=today, amount=MILLION_TWO, due_date=today + dt.timedelta(days=5))
    signatures.refresh_from_db()
    assert signatures.done_at is not None  # signed: the move on settles it


def test_preparation_phases_are_named_and_lead_up_to_the_event(org_a, today):
    deal = at_payment(org_a, today)
    with pytest.raises(ValidationError) as unnamed:
        services.deal_deviation(deal=deal, kind="preparation", date=today + dt.timedelta(days=2))
    assert unnamed.value.message_dict == {"note": ["Name the phase, for example: samples approved, equipment ordered."]}
    services.deal_deviation(deal=deal, kind="preparation", date=today + dt.timedelta(days=2), note="Samples approved")
    services.deal_payment_record(deal=deal, amount=MILLION_TWO, date=today)
    services.deal_advance(deal=deal, due_date=today + dt.timedelta(days=3), date=today)
    services.deal_deviation(deal=deal, kind="preparation", date=today + dt.timedelta(days=3), note="Machines delivered")
    phases = deal.control_points.filter(kind=ControlPoint.Kind.PREPARATION, done_at__isnull=True)
    assert sorted(phases.values_list("note", flat=True)) == ["Machines delivered", "Samples approved"]
    services.deal_advance(deal=deal, date=today)  # the event took place
    assert not phases.exists()


def test_a_client_unhappy_after_the_event_gets_one_case_from_the_deal(client_as, org_a, make_member, today):
    deal = at_payment(org_a, today)
    with pytest.raises(ValidationError) as too_early:
        services.deal_case_open(deal=deal, note="Too early")
    assert too_early.value.messages == ["A case after the event is opened once the event has taken place."]
    anna = make_member(org_a, Role.MANAGER, username="anna")
    Client.objects.filter(pk=deal.client_id).update(manager=anna)
    deal.client.refresh_from_db()
    services.deal_payment_record(deal=deal, amount=MILLION_TWO, date=today)
    to_won(deal, today)
    assert deal.status == Deal.Status.WON
    head = client_as(org_a, Role.SALES_HEAD)
    url = reverse("clients:deal_case", kwargs={"deal_id": deal.pk})
    empty = head.post(url, {"note": " "})
    assert "This field is required." in empty.content.decode()
    first = head.post(url, {"note": "The machines are louder than promised"})
    second = head.post(url, {"note": "The machines are louder than promised"})  # a double click
    case = deal.complaints.get()
    assert first["Location"] == second["Location"] == reverse("clients:complaint", kwargs={"complaint_id": case.pk})
    assert (case.subject, case.source, case.owner, case.description, case.status) == (
        "Unhappy after the event: Machines",
        "after_event",
        anna,
        "The machines are louder than promised",
        "registered",
    )
    assert deal.events.filter(kind=DealEvent.Kind.UNHAPPY).count() == 1
    page = head.get(first["Location"]).content.decode()
    assert f'<a href="{reverse("clients:deal", kwargs={"deal_id": deal.pk})}" id="complaint-deal">Machines</a>' in page
