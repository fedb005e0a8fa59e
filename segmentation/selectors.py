"""Reads for the segmentation pages and the client card panel."""

import numpy as np
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest

from crm_portal.models import Organization
from crm_portal.tenancy import scoped

from .models import ClientClass, Dataset, Run, SegmentationSettings

ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")
SORTS = {"rank", "-rank", "total", "-total", "cv", "-cv", "client_key", "-client_key", "abc", "xyz"}


def settings_for(organization: Organization) -> SegmentationSettings:
    """The organization's settings, or the defaults (unsaved) when it has none yet."""
    return SegmentationSettings.objects.filter(organization=organization).first() or SegmentationSettings(organization=organization)


def datasets_for(request: HttpRequest) -> QuerySet[Dataset]:
    return scoped(request, Dataset).select_related("created_by", "job")


def runs_for(request: HttpRequest) -> QuerySet[Run]:
    return scoped(request, Run).select_related("dataset", "created_by")


def run_previous(run: Run) -> Run | None:
    """The run before this one on the same source (the same file, or the client base)."""
    earlier = Run.objects.filter(organization_id=run.organization_id, source=run.source, pk__lt=run.pk)
    if run.dataset_id:
        earlier = earlier.filter(dataset_id=run.dataset_id)
    return earlier.order_by("-pk").first()


def run_matrix(run: Run) -> dict:
    """The 3 x 3 ABC x XYZ cells (plus a column for no XYZ) with counts and revenue shares."""
    rows = run.classes.values("abc", "xyz").annotate(count=Count("id"), total=Sum("total"))
    cells = {(r["abc"], r["xyz"]): r for r in rows}
    base = run.total or 0
    matrix = []
    for abc in ABC:
        line = []
        for xyz in (*XYZ, ""):
            cell = cells.get((abc, xyz), {"count": 0, "total": 0})
            total = max(cell["total"] or 0, 0)
            line.append({"code": f"{abc}{xyz or '-'}", "abc": abc, "xyz": xyz, "count": cell["count"],
                         "share": (total / base) if base else 0})
        matrix.append({"abc": abc, "cells": line})
    return {"rows": matrix, "xyz": XYZ}


def run_charts(run: Run, *, points: int = 400) -> dict:
    """Pareto curve (cumulative share by client rank) and the CV values, thinned for the browser."""
    ranked = np.array(run.classes.order_by("rank").values_list("cum_share", flat=True), dtype=float)
    n = len(ranked)
    picks = np.unique(np.linspace(0, n - 1, min(points, n)).astype(int)) if n else np.array([], dtype=int)
    cvs = np.array(run.classes.exclude(cv=None).values_list("cv", flat=True), dtype=float)
    clipped = np.clip(cvs, 0, 2) if len(cvs) else cvs
    counts, edges = np.histogram(clipped, bins=40, range=(0, 2)) if len(cvs) else (np.array([]), np.array([]))
    params = run.params
    return {
        "pareto": {"x": [0.0] + [(int(i) + 1) / n for i in picks], "y": [0.0] + [float(ranked[i]) for i in picks],
                   "a": params.get("a", 0.5), "b": params.get("b", 0.8)},
        "cv": {"x": [round(float(e), 3) for e in edges[:-1]], "y": [int(c) for c in counts],
               "xline": params.get("x", 0.1), "yline": params.get("y", 0.25)},
    }


def run_rows(run: Run, *, cell: str = "", abc: str = "", xyz: str = "", query: str = "", sort: str = "rank") -> QuerySet:
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
    for key, abc, xyz, total, name in run.classes.order_by("rank").values_list("client_key", "abc", "xyz", "total", "client__name"):
        old = before.get(key)
        if old is None or old == (abc, xyz):
            continue
        move = f"{old[0]}{old[1] or '-'}→{abc}{xyz or '-'}"
        moves[move] = moves.get(move, 0) + 1
        if len(changes) < limit:
            changes.append({"client": name or key, "before": f"{old[0]}{old[1] or '-'}", "after": f"{abc}{xyz or '-'}",
                            "abc_move": old[0] != abc, "xyz_move": old[1] != xyz, "total": total})
    count = sum(moves.values())
    new = len(set(run.classes.values_list("client_key", flat=True)) - set(before))
    return {"previous": previous, "changes": changes, "count": count, "new": new,
            "moves": sorted(moves.items(), key=lambda item: -item[1])[:12]}


def client_classes_panel(request: HttpRequest, client) -> dict:
    """The client's classes per run on the client base (newest first), for the client card."""
    rows = (
        ClientClass.objects.filter(organization=request.organization, client=client)
        .select_related("run")
        .order_by("-run__as_of", "-run_id")[:24]
    )
    return {"client_classes": list(rows), "client": client}


def home_panel(request: HttpRequest) -> dict:
    run = runs_for(request).filter(source=Run.Source.BASE).first() or runs_for(request).first()
    return {"segmentation_run": run, "segmentation_matrix": run_matrix(run) if run else None}


