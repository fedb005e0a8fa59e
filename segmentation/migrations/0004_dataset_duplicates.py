from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('segmentation', '0003_dataset_negative_count'),
    ]

    operations = [
        migrations.AddField(
            model_name='dataset',
            name='duplicates',
            field=models.JSONField(blank=True, default=dict, verbose_name='repeated rows'),
        ),
    ]
