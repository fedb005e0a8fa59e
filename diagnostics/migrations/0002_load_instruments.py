"""Load the questionnaire files shipped with the code (later changes: `manage.py load_instruments`)."""

from django.db import migrations


def load_instruments(apps, schema_editor):
    from diagnostics.loader import load, read_all

    load(apps.get_model("diagnostics", "Instrument"), apps.get_model("diagnostics", "InstrumentVersion"), read_all())


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0001_initial")]
    operations = [migrations.RunPython(load_instruments, migrations.RunPython.noop)]
