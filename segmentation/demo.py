"""Demo data of segmentation: a client list file with a run on it, and a run on the client base."""

import io
import secrets
from datetime import date

import numpy as np
import pandas as pd
from django.core.files.base import ContentFile
from django.utils import timezone

from clients.models import Settlement

from . import services
from .export import write_xlsx
from .models import Dataset, Run

DEMO_FILE = "demo-client-list.xlsx"
DEFAULTS = {"a": 0.5, "b": 0.8, "x": 0.1, "y": 0.25, "min_history": 4, "period": "month"}


def demo_workbook(*, clients: int, months: int = 12, seed: int = 7, end: date | None = None) -> bytes:
    """A wide client list: a row per client, a column per month, ending with last month."""
    rng = np.random.default_rng(seed)
    end = pd.Period(end or timezone.localdate(), freq="M") - 1
    columns = [str(p) for p in pd.period_range(end - (months - 1), end, freq="M")]
    scale = rng.pareto(1.2, clients)[:, None] * 10_000 + 1_000
    noise = rng.gamma(shape=rng.choice([2, 8, 60], clients)[:, None], scale=1.0, size=(clients, months))
    amounts = np.round(scale * noise / noise.mean(axis=1, keepdims=True), 2)
    amounts[rng.random((clients, months)) < 0.08] = 0
    frame = pd.DataFrame(amounts, columns=columns)
    frame.insert(0, "Клиент", [f"Client {i + 1:04d}" for i in range(clients)])
    buffer = io.BytesIO()
    write_xlsx({"Sales": frame}, buffer)
    return buffer.getvalue()


def seed(*, organization, users: dict, size: str = "small") -> None:
    analyst = next((u for name, u in users.items() if name.endswith("analyst")), None)
    dataset = Dataset.objects.filter(organization=organization, name=DEMO_FILE).first()
    if dataset is None:
        dataset = Dataset(organization=organization, token=secrets.token_hex(16), name=DEMO_FILE, created_by=analyst)
        content = demo_workbook(clients=40 if size == "small" else 600)
        dataset.size = len(content)
        dataset.file.save(DEMO_FILE, ContentFile(content), save=False)
        dataset.save()
        services.dataset_inspect(dataset=dataset, progress=lambda *a: None)
        dataset.refresh_from_db()
    if not dataset.runs.exists():
        services.run_on_file(dataset=dataset, params=DEFAULTS, user=analyst)
    if size == "full" and not Run.objects.filter(organization=organization, source=Run.Source.BASE).exists():
        last = Settlement.objects.filter(organization=organization).order_by("-date").values_list("date", flat=True).first()
        if last is not None:
            services.run_on_base(organization=organization, params=DEFAULTS, as_of=last, months=12, user=analyst)
