import django.db.models.deletion
from decimal import Decimal

import pandas as pd
from django.db import migrations, models

from clients import facts, lifecycle_bulk


def rebuild(apps, schema_editor):
    """The history was a log dated at month ends: rewrite it from the settlements, each change on its
    day, and fill the month facts (what `services.client_histories_rebuild` writes from now on)."""
    Organization = apps.get_model("crm_portal", "Organization")
    Settlement = apps.get_model("clients", "Settlement")
    StateChange = apps.get_model("clients", "StateChange")
    ClientMonth = apps.get_model("clients", "ClientMonth")
    for organization in Organization.objects.all():
        StateChange.objects.filter(organization=organization).delete()
        rows = Settlement.objects.filter(organization=organization).order_by("id")
        frame = pd.DataFrame(
            list(rows.values_list("client_id", "date", "amount", "product_id")),
            columns=["client_id", "date", "amount", "product_id"],
        )
        if frame.empty:
            continue
        frame["amount"] = [int(a * 100) for a in frame["amount"]]
        frame["product_id"] = frame["product_id"].astype(float)
        days = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]")
        history = lifecycle_bulk.state_histories(frame["client_id"].to_numpy(), days, organization.lifecycle_period_months)
        changes = list(zip(history.client.tolist(), history.day.tolist(), history.previous, history.state))
        StateChange.objects.bulk_create(
            [
                StateChange(
                    organization=organization,
                    client_id=client,
                    as_of=day,
                    previous_state=previous,
                    state=state,
                    until=changes[at + 1][1] if at + 1 < len(changes) and changes[at + 1][0] == client else None,
                )
                for at, (client, day, previous, state) in enumerate(changes)
            ],
            batch_size=2000,
        )
        months = facts.month_facts(frame, history).astype(object)
        for column in ("turnover", "first_sale_sum", "repeat_sum", "new_line_sum"):
            months[column] = [Decimal(int(cents)).scaleb(-2) for cents in months[column]]
        for column in ("month", "lost_on", "restored_on"):
            months[column] = [None if pd.isna(day) else pd.Timestamp(day).date() for day in months[column]]
        ClientMonth.objects.bulk_create(
            [ClientMonth(organization=organization, **row) for row in months.to_dict("records")], batch_size=2000
        )

class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0005_deal_paid_totals_from_settlements'),
        ('crm_portal', '0004_job_delivery'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClientMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(verbose_name='month')),
                ('turnover', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='turnover')),
                ('settlements', models.IntegerField(verbose_name='settlements')),
                ('days', models.IntegerField(verbose_name='settlement days')),
                ('first_sale_n', models.SmallIntegerField(verbose_name='first sale')),
                ('first_sale_sum', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='first sale, sum')),
                ('repeat_n', models.IntegerField(verbose_name='repeat sales')),
                ('repeat_sum', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='repeat sales, sum')),
                ('new_line_n', models.IntegerField(verbose_name='sales in new lines')),
                ('new_line_sum', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='sales in new lines, sum')),
                ('lines_total', models.IntegerField(verbose_name='product lines bought so far')),
                ('state_end', models.CharField(choices=[('potential', 'Potential'), ('new', 'New'), ('regular', 'Regular'), ('lost', 'Lost'), ('renewed', 'Renewed')], max_length=10, verbose_name="state at the month's end")),
                ('lost_on', models.DateField(blank=True, null=True, verbose_name='turned lost on')),
                ('restored_on', models.DateField(blank=True, null=True, verbose_name='turned renewed on')),
            ],
            options={
                'verbose_name': 'client month',
                'verbose_name_plural': 'client months',
            },
        ),
        migrations.AddField(
            model_name='statechange',
            name='until',
            field=models.DateField(blank=True, null=True, verbose_name='until'),
        ),
        migrations.AddIndex(
            model_name='statechange',
            index=models.Index(fields=['organization', 'state', 'as_of'], name='clients_sta_organiz_04cb59_idx'),
        ),
        migrations.AddField(
            model_name='clientmonth',
            name='client',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='months', to='clients.client'),
        ),
        migrations.AddField(
            model_name='clientmonth',
            name='organization',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='crm_portal.organization', verbose_name='organization'),
        ),
        migrations.AddIndex(
            model_name='clientmonth',
            index=models.Index(fields=['organization', 'month'], name='clients_cli_organiz_0a8d70_idx'),
        ),
        migrations.AddConstraint(
            model_name='clientmonth',
            constraint=models.UniqueConstraint(fields=('client', 'month'), name='one_fact_row_per_client_month'),
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
