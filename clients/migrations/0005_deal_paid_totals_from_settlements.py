"""A deal's payments are its settlements: the paid and refunded totals of the deal go.

Payments and refunds recorded so far as deal events (with their date and amount) are copied into
settlements tied to the deal, so the paid totals the deal showed are kept, and the money now counts
in lifecycle, ABC/XYZ and KPIs like every other settlement (run the lifecycle recompute afterwards).
"""

from django.db import migrations
from django.db.models import Q, Sum

PAYMENT, REFUND = "part_payment", "refund"


def events_to_settlements(apps, schema_editor):
    DealEvent = apps.get_model("clients", "DealEvent")
    Settlement = apps.get_model("clients", "Settlement")
    events = DealEvent.objects.filter(kind__in=[PAYMENT, REFUND], amount__isnull=False).select_related("deal")
    Settlement.objects.bulk_create(
        [
            Settlement(organization_id=e.deal.organization_id, client_id=e.deal.client_id, deal_id=e.deal_id,
                       product_id=e.deal.product_id, date=e.date,
                       amount=-abs(e.amount) if e.kind == REFUND else abs(e.amount))
            for e in events.iterator(chunk_size=2000)
        ],
        batch_size=2000,
    )


def settlements_to_totals(apps, schema_editor):
    Deal = apps.get_model("clients", "Deal")
    Settlement = apps.get_model("clients", "Settlement")
    totals = Settlement.objects.filter(deal__isnull=False).values("deal_id").annotate(
        paid=Sum("amount", filter=Q(amount__gt=0)), refunded=Sum("amount", filter=Q(amount__lt=0)))
    for row in totals:
        Deal.objects.filter(pk=row["deal_id"]).update(paid_amount=row["paid"] or 0, refunded_amount=-(row["refunded"] or 0))


class Migration(migrations.Migration):

    dependencies = [
        ("clients", "0004_deal_payments_are_settlements"),
    ]

    operations = [
        migrations.RunPython(events_to_settlements, settlements_to_totals),
        migrations.RemoveField(
            model_name="deal",
            name="paid_amount",
        ),
        migrations.RemoveField(
            model_name="deal",
            name="refunded_amount",
        ),
    ]
