"""The default run (`make run`): the folder broker keeps every file it writes under var/."""

import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import django
django.setup()
from kombu import Exchange, Queue
from crm_portal.celery import app
with app.connection_for_write() as connection:
    # Binding a queue writes the exchange's table, as the worker does for its queues and pidbox.
    Queue("probe", Exchange("probe"), routing_key="probe")(connection.default_channel).declare()
"""


def test_the_folder_broker_writes_only_under_var(tmp_path):
    var = tmp_path / "var"
    env = {key: value for key, value in os.environ.items() if key not in ("CELERY_BROKER_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="crm_portal.settings.local", CRM_VAR_DIR=str(var), PYTHONPATH=str(settings.BASE_DIR)
    )
    subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, check=True, timeout=120)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["var"]
    assert (var / "broker-control" / "probe.exchange").is_file()
