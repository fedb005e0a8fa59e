"""A run and its classes kept in one transaction, written in bulk."""

from datetime import date

import numpy as np
import pandas as pd
from django.db import transaction

from crm_portal.bulk import bulk_insert
from crm_portal.models import Job, Organization

from ..models import ClientClass, Dataset, Run


@transaction.atomic
def run_store(
    *,
    organization: Organization,
    source: str,
    dataset: Dataset | None,
    params: dict,
    as_of: date,
    wide: pd.DataFrame,
    result: pd.DataFrame,
    job: Job | None = None,
    user=None,
) -> Run:
    """Keep a run and its classes (COPY on PostgreSQL)."""
    run = Run(
        organization=organization,
        source=source,
        dataset=dataset,
        params=params,
        as_of=as_of,
        periods=[str(p) for p in wide.columns],
        client_count=len(result),
        total=float(result["total"].clip(lower=0).sum()),
        job=job,
        created_by=user,
    )
    run.full_clean()
    run.save()
    # Rank as the classification orders clients: total descending, ties by client id.
    id_rank = np.empty(len(result), dtype=np.int64)
    id_rank[result.index.argsort(kind="stable")] = np.arange(len(result))
    ranked = result.iloc[np.lexsort((id_rank, -result["total"].to_numpy()))]
    rows = pd.DataFrame(
        {
            "organization_id": organization.pk,
            "run_id": run.pk,
            "client_key": [str(k)[:255] for k in ranked.index],
            "client_id": ranked.index.to_numpy() if source == Run.Source.BASE else None,
            "rank": np.arange(1, len(ranked) + 1),
            "total": ranked["total"].to_numpy(),
            "share": ranked["share"].to_numpy(),
            "cum_share": ranked["cum_share"].to_numpy(),
            "abc": ranked["abc"].to_numpy(),
            "cv": ranked["cv"].to_numpy(),
            "xyz": ranked["xyz"].to_numpy(),
        }
    )
    bulk_insert(ClientClass, rows)
    return run
