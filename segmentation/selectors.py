"""Reads for the segmentation pages and the client card panel."""

import numpy as np
from django.db.models import Count, Min, Q, QuerySet, Sum

from clients.models import Client
from crm_portal.models import Organization
from crm_portal.tenancy import Viewer

from .models import ClientClass, Dataset, Run, SegmentationSettings

ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")
SORTS = {"rank", "-rank", "total", "-total", "cv", "-cv", "client_key", "-client_key", "abc", "xyz"}


def settings_for(organization: Organization) -> SegmentationSettings:
    """The organization's settings, or the defaults (unsaved) when it has none yet."""
    return SegmentationSettings.objects.filter(organization=organization).first() or SegmentationSettings(
        organization=organization
    )


def datasets_for(*, organization: Organization) -> QuerySet[Dataset]:
    return Dataset.objects.filter(organization=organization).select_related("created_by", "job")


def runs_for(*, organization: Organization) -> QuerySet[Run]:
    return Run.objects.filter(organization=organization).select_related("dataset", "created_by")


def run_previous(run: Run) -> Run | None:
    """The run before this one on the same source (the same file, or the client base)."""
    earlier = Run.objects.filter(organization_id=run.organization_id, source=run.source, pk__lt=run.pk)
    if run.dataset_id:
        earlier = earlier.filter(dataset_id=run.dataset_id)
    return earlier.order_by("-pk").first()


def run_matrix(run: Run, *, profiles: dict[int, dict] | None = None) -> dict:
    """The 3 x 3 ABC x XYZ cells (plus a column for no XYZ) with counts and revenue shares; given
    the clients' profiles (a run on the client base), each cell's average tenure and products."""
    cell_profiles = run_cell_profiles(run, profiles) if profiles else {}
    rows = run.classes.values("abc", "xyz").annotate(count=Count("id"), total=Sum("total"))
    cells = {(r["abc"], r["xyz"]): r for r in rows}
    base = run.total or 0
    matrix = []
    for abc in ABC:
        line = []
        for xyz in (*XYZ, ""):
            cell = cells.get((abc, xyz), {"count": 0, "total": 0})
            total = max(cell["total"] or 0, 0)
            code = f"{abc}{xyz or '-'}"
            line.append(
                {
                    "code": code,
                    "abc": abc,
                    "xyz": xyz,
                    "count": cell["count"],
                    "share": (total / base) if base else 0,
                    "profile": cell_profiles.get(code),
                }
            )
        matrix.append({"abc": abc, "cells": line})
    return {"rows": matrix, "xyz": XYZ, "profiles": bool(cell_profiles)}


RICH_PRODUCTS = 3  # DOMAIN 5: AX clients using 3-4 products are the most valuable


def months_between(first, last) -> int:
    """Whole months from `first` to `last` (a client since 10 January is 2 months old on 10 March)."""
    months = (last.year - first.year) * 12 + last.month - first.month
    return max(months - (1 if last.day < first.day else 0), 0)


def run_client_profiles(run: Run) -> dict[int, dict]:
    """Per client of a run on the client base: tenure in months (since its first settlement, up to
    the run's date) and the number of products in use. Empty for a run on a file."""
    if run.source != Run.Source.BASE:
        return {}
    from clients.models import Client, Settlement

    ids = list(run.classes.exclude(client=None).values_list("client_id", flat=True))
    firsts = dict(
        Settlement.objects.filter(organization_id=run.organization_id, client_id__in=ids, date__lte=run.as_of)
        .values("client_id")
        .annotate(first=Min("date"))
        .values_list("client_id", "first")
    )
    products = dict(
        Client.products.through.objects.filter(client_id__in=ids)
        .values("client_id")
        .annotate(n=Count("product_id"))
        .values_list("client_id", "n")
    )
    return {
        pk: {"tenure": months_between(firsts[pk], run.as_of) if pk in firsts else None, "products": products.get(pk, 0)}
        for pk in ids
    }


def run_cell_profiles(run: Run, profiles: dict[int, dict] | None = None) -> dict[str, dict]:
    """Per cell of the matrix (runs on the client base): the clients' average tenure in months, the
    average number of products in use, and how many use 3 or more."""
    profiles = run_client_profiles(run) if profiles is None else profiles
    if not profiles:
        return {}
    cells: dict[str, list[dict]] = {}
    for pk, abc, xyz in run.classes.exclude(client=None).values_list("client_id", "abc", "xyz"):
        cells.setdefault(f"{abc}{xyz or '-'}", []).append(profiles[pk])
    result = {}
    for code, members in cells.items():
        tenures = [m["tenure"] for m in members if m["tenure"] is not None]
        result[code] = {
            "tenure": sum(tenures) / len(tenures) if tenures else None,
            "products": sum(m["products"] for m in members) / len(members),
            "rich": sum(1 for m in members if m["products"] >= RICH_PRODUCTS),
        }
    return result


# The CV histogram: bins of 5 % up to 150 %, and every larger CV in one labelled overflow bar.
# On real sales data most clients buy irregularly (the CDNOW base: almost all above 150 %), so an
# axis running to the largest CV would squeeze the informative part into one bar.
CV_CAP = 1.5
CV_BIN = 0.05


def run_charts(run: Run, *, points: int = 400) -> dict:
    """Pareto curve (cumulative share by client rank) and the CV histogram, thinned for the browser.

    The histogram's "x" are the bins' centres, "y" their counts, "overflow" the count of CVs above
    `CV_CAP` (a CV of exactly 150 % is in the last bin).
    """
    ranked = np.array(run.classes.order_by("rank").values_list("cum_share", flat=True), dtype=float)
    n = len(ranked)
    picks = np.unique(np.linspace(0, n - 1, min(points, n)).astype(int)) if n else np.array([], dtype=int)
    cvs = np.array(run.classes.exclude(cv=None).values_list("cv", flat=True), dtype=float)
    bins = round(CV_CAP / CV_BIN)
    counts, edges = np.histogram(np.clip(cvs[cvs <= CV_CAP], 0, None), bins=bins, range=(0, CV_CAP))
    params = run.params
    return {
        "pareto": {
            "x": [0.0] + [(int(i) + 1) / n for i in picks],
            "y": [0.0] + [float(ranked[i]) for i in picks],
            "a": params.get("a", 0.5),
            "b": params.get("b", 0.8),
        },
        "cv": {
            "x": [round(float(e) + CV_BIN / 2, 3) for e in edges[:-1]],
            "y": [int(c) for c in counts],
            "width": CV_BIN,
            "cap": CV_CAP,
            "overflow": int((cvs > CV_CAP).sum()),
            "xline": params.get("x", 0.1),
            "yline": params.get("y", 0.25),
        },
    }


def run_rows(
    run: Run, *, cell: str = "", abc: str = "", xyz: str = "", query: str = "", sort: str = "rank"
) -> QuerySet:
    rows = run.classes.select_related("client")
    if cell and len(cell) == 2 and cell[0] in ABC and cell[1] in (*XYZ, "-"):
        abc, xyz = cell[0], "" if cell[1] == "-" else cell[1]
        rows = rows.filter(abc=abc, xyz=xyz)
    else:
        if abc in ABC:
            rows = rows.filter(abc=abc)
        if xyz in XYZ:
            rows = rows.filter(xyz=xyz)
        elif xyz == "-":
            rows = rows.filter(xyz="")
    if query:
        rows = rows.filter(Q(client_key__icontains=query) | Q(client__name__icontains=query))
    return rows.order_by(sort if sort in SORTS else "rank", "rank")


def run_changes(run: Run, previous: Run | None, *, limit: int = 500) -> dict:
    """Clients whose class changed since the previous run (A->B, X->Z), and the counts of moves."""
    if previous is None:
        return {"previous": None, "changes": [], "count": 0, "moves": []}
    before = dict((k, (a, x)) for k, a, x in previous.classes.values_list("client_key", "abc", "xyz"))
    changes = []
    moves: dict[str, int] = {}
    for key, abc, xyz, total, name in run.classes.order_by("rank").values_list(
        "client_key", "abc", "xyz", "total", "client__name"
    ):
        old = before.get(key)
        if old is None or old == (abc, xyz):
            continue
        move = f"{old[0]}{old[1] or '-'}→{abc}{xyz or '-'}"
        moves[move] = moves.get(move, 0) + 1
        if len(changes) < limit:
            changes.append(
                {
                    "client": name or key,
                    "before": f"{old[0]}{old[1] or '-'}",
                    "after": f"{abc}{xyz or '-'}",
                    "abc_move": old[0] != abc,
                    "xyz_move": old[1] != xyz,
                    "total": total,
                }
            )
    count = sum(moves.values())
    new = len(set(run.classes.values_list("client_key", flat=True)) - set(before))
    return {
        "previous": previous,
        "changes": changes,
        "count": count,
        "new": new,
        "moves": sorted(moves.items(), key=lambda item: -item[1])[:12],
    }


def client_classes_panel(viewer: Viewer, client: Client) -> dict:
    """The client's classes per run on the client base (newest first), for the client card."""
    rows = (
        ClientClass.objects.filter(organization=viewer.organization, client=client)
        .select_related("run")
        .order_by("-run__as_of", "-run_id")[:24]
    )
    return {"client_classes": list(rows), "client": client}


def home_panel(viewer: Viewer) -> dict:
    runs = runs_for(organization=viewer.organization)
    run = runs.filter(source=Run.Source.BASE).first() or runs.first()
    return {"segmentation_run": run, "segmentation_matrix": run_matrix(run) if run else None}


def dashboard_panel(viewer: Viewer) -> dict:
    """The latest run on the client base, its matrix and the moves between classes since the run before."""
    run = runs_for(organization=viewer.organization).filter(source=Run.Source.BASE).first()
    if run is None:
        return {"segmentation_run": None}
    return {
        "segmentation_run": run,
        "segmentation_matrix": run_matrix(run),
        "segmentation_changes": run_changes(run, run_previous(run), limit=0),
    }
