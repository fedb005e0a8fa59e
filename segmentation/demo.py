"""Demo data of segmentation: a client list file with a run on it, and (full set) two runs on the client base.

The runs on the client base, at the ends of the last month and of the month three months earlier,
give the demo clients their ABC/XYZ classes and a history of class changes.
"""

import random
import secrets
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.core.files.base import ContentFile

from clients.demo import company_names
from clients.lifecycle import month_end, months_before
from crm_portal.spreadsheets import Sheet, xlsx_bytes

from . import services
from .models import Dataset, Run

DEMO_FILE = "demo-client-list.xlsx"
# The name the analyst gave the uploaded file, in the demo's language.
DATASET_NAMES = {"ru": "Клиенты и продажи по месяцам.xlsx", "en": DEMO_FILE}
DEFAULTS = {"a": 0.5, "b": 0.8, "x": 0.1, "y": 0.25, "min_history": 4, "period": "month"}


def demo_workbook(*, clients: int, end: date, language: str = "en", months: int = 12, seed: int = 7) -> bytes:
    """A wide client list: a row per client, a column per month, ending with the month before `end`."""
    rng = np.random.default_rng(seed)
    end = pd.Period(end, freq="M") - 1
    columns = [str(p) for p in pd.period_range(end - (months - 1), end, freq="M")]
    scale = rng.pareto(1.2, clients)[:, None] * 10_000 + 1_000
    noise = rng.gamma(shape=rng.choice([2, 8, 60], clients)[:, None], scale=1.0, size=(clients, months))
    amounts = np.round(scale * noise / noise.mean(axis=1, keepdims=True), 2)
    amounts[rng.random((clients, months)) < 0.08] = 0
    frame = pd.DataFrame(amounts, columns=columns)
    header, sheet = {"ru": ("Клиент", "Продажи"), "en": ("Client", "Sales")}[language]
    frame.insert(0, header, company_names(random.Random(seed), clients, language))
    return xlsx_bytes([Sheet.of_frame(sheet, frame)])


def seed(*, organization, users: dict, size: str = "small", today: date, language: str) -> None:
    analyst = next((u for name, u in users.items() if name.endswith("analyst")), None)
    name = DATASET_NAMES[language]
    dataset = Dataset.objects.filter(organization=organization, name=name).first()
    if dataset is None:
        dataset = Dataset(organization=organization, token=secrets.token_hex(16), name=name, created_by=analyst)
        content = demo_workbook(clients=40 if size == "small" else 600, end=today, language=language)
        dataset.size = len(content)
        dataset.file.save(DEMO_FILE, ContentFile(content), save=False)
        dataset.save()
        services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
        dataset.refresh_from_db()
    if not dataset.runs.exists():
        services.run_on_file(dataset=dataset, params=DEFAULTS, user=analyst)
    if size == "full" and not Run.objects.filter(organization=organization, source=Run.Source.BASE).exists():
        # Runs at month ends, so that every month of a run's window is complete.
        last_month_end = today.replace(day=1) - timedelta(days=1)
        for as_of in (months_before(last_month_end, 3), last_month_end):
            services.run_on_base(
                organization=organization, params=DEFAULTS, as_of=month_end(as_of), months=12, user=analyst
            )
