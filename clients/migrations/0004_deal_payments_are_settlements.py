"""A deal's payments become settlements of the deal; the deal keeps an agreed deferral's due date.

The copy of the payments recorded so far follows in 0005 (PostgreSQL creates this migration's
index before any row is written).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("clients", "0003_deal_documents"),
    ]

    operations = [
        migrations.AddField(
            model_name="settlement",
            name="deal",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="settlements", to="clients.deal", verbose_name="deal"),
        ),
        migrations.AddField(
            model_name="deal",
            name="payment_due_on",
            field=models.DateField(blank=True, null=True, verbose_name="deferred payment due"),
        ),
        migrations.AlterField(
            model_name="dealevent",
            name="kind",
            field=models.CharField(choices=[("created", "Deal opened"), ("moved", "Moved to the next stage"), ("refused", "Refused"), ("retry", "Presentation declined, retry planned"), ("clarification", "Offer needs clarification"), ("part_payment", "Payment received"), ("refund", "Refund after prepayment"), ("deferral", "Deferred payment agreed"), ("closed", "Closed, next contact agreed")], max_length=15, verbose_name="kind"),
        ),
    ]
