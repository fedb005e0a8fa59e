"""The employee survey moves to loyalty's anonymous eNPS campaign (one instrument, 0-10, anonymous).

The diagnostics version linked every answer to its author, which DOMAIN.md forbids for employee
answers, and mixed a 1-5 item into a 0-10 survey; its assessments are removed with it rather than
kept as named answers.
"""

from django.db import migrations


def remove_employee_survey(apps, schema_editor):
    Assessment = apps.get_model("diagnostics", "Assessment")
    Instrument = apps.get_model("diagnostics", "Instrument")
    Assessment.objects.filter(version__instrument__code="employee_survey").delete()
    Instrument.objects.filter(code="employee_survey").delete()


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0002_load_instruments")]
    operations = [migrations.RunPython(remove_employee_survey, migrations.RunPython.noop)]
