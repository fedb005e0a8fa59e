"""Reads of diagnostics: visible assessments, report and comparison data, actions, maps."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from crm_portal.models import Membership, Organization, Role
from crm_portal.tenancy import Viewer, scoped

from . import labels, scoring
from .definition import advice, items_by_key
from .models import (
    Action,
    AidaAction,
    AidaMap,
    Assessment,
    Instrument,
    InstrumentVersion,
    JourneyMap,
    Touchpoint,
)

SEES_ALL = (Role.SALES_HEAD, Role.ADMIN)


def instruments_overview() -> list[dict]:
    """Every instrument with its latest version, item count and every version number."""
    rows = []
    for instrument in Instrument.objects.prefetch_related("versions"):
        versions = sorted(instrument.versions.all(), key=lambda v: -v.number)
        if not versions:
            continue
        latest = versions[0]
        definition = latest.definition
        rows.append(
            {
                "instrument": instrument,
                "version": latest,
                "versions": versions,
                "title": labels.text(definition["title"]),
                "description": labels.text(definition["description"]),
                "source_text": labels.source_text(definition["source"]),
                "source_idea": labels.text(definition["source_idea"]),
                "items": len(items_by_key(definition)),
                "sections": len(definition["sections"]),
            }
        )
    return rows


def assessments_visible(viewer: Viewer) -> QuerySet[Assessment]:
    """Sales heads and admins see every assessment; others their own and completed ones."""
    rows = scoped(viewer, Assessment).select_related("version__instrument", "author")
    if viewer.role in SEES_ALL:
        return rows
    return rows.filter(Q(author=viewer.user) | Q(status=Assessment.Status.COMPLETED))


def may_plan(viewer: Viewer, assessment: Assessment) -> bool:
    """Sales heads, admins and the assessment's author plan its actions."""
    return viewer.role in SEES_ALL or assessment.author_id == viewer.user.pk


def answers_of(assessment: Assessment) -> tuple[dict, dict]:
    """(values, comments) keyed by item."""
    values, comments = {}, {}
    for key, value, comment in assessment.answers.values_list("item_key", "value", "comment"):
        values[key] = value
        comments[key] = comment
    return values, comments


def item_view(item: dict, value: object, comment: str = "") -> dict:
    return {
        "key": item["key"],
        "type": item["type"],
        "type_label": labels.TYPE_LABELS[item["type"]],
        "text": labels.text(item["text"]),
        "help": labels.text(item.get("help")),
        "choices": labels.choices(item),
        "value": value,
        "values": [str(v) for v in value] if isinstance(value, list) else ([] if value is None else [str(value)]),
        "display": labels.display(item, value),
        "points": scoring.item_points(item, value),
        "comment": comment,
    }


def fill_context(assessment: Assessment) -> dict:
    values, comments = answers_of(assessment)
    return fill_context_of(assessment.version.definition, values, comments)


def fill_context_of(definition: dict, values: dict | None = None, comments: dict | None = None) -> dict:
    """The questionnaire as the page shows it, with the given answers filled in."""
    values, comments = values or {}, comments or {}
    answered, total = scoring.progress(definition, values)
    return {
        "definition": definition,
        "title": labels.text(definition["title"]),
        "description": labels.text(definition["description"]),
        "answer_help": labels.answer_help(definition),
        "sections": [
            {
                "key": section["key"],
                "title": labels.text(section["title"]),
                "items": [
                    item_view(item, values.get(item["key"]), comments.get(item["key"], "")) for item in section["items"]
                ],
            }
            for section in definition["sections"]
        ],
        "progress": {"answered": answered, "total": total, "percent": round(answered * 100 / total) if total else 0},
    }


def instrument_versions(*, organization: Organization, instrument: Instrument) -> list[tuple[InstrumentVersion, int]]:
    """The instrument's versions, newest first, each with how many of the organization's assessments use it."""
    used = dict(
        Assessment.objects.for_org(organization)
        .filter(version__instrument=instrument)
        .values_list("version")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [(version, used.get(version.pk, 0)) for version in instrument.versions.order_by("-number")]


def progress_of(assessment: Assessment, values: dict | None = None) -> dict:
    if values is None:
        values, _ = answers_of(assessment)
    answered, total = scoring.progress(assessment.version.definition, values)
    return {"answered": answered, "total": total, "percent": round(answered * 100 / total) if total else 0}


def _rule_text(definition: dict, result: dict) -> dict:
    if result["rule"] == "scenario":
        item = items_by_key(definition)[result["item"]]
        for option in item["options"]:
            if option["value"] == result["value"]:
                return {"scenario": labels.text(option["text"]), "need": labels.text(option.get("need"))}
        return {}
    if result["rule"] == "count":
        return {"count": result["count"], "of": result["of"]}
    return {}


def chart_data(definition: dict, score: dict, values: dict) -> dict | None:
    kind = definition.get("chart", "bars")
    titles = [labels.text(section["title"]) for section in definition["sections"]]
    section_scores = [labels.number(section["score"]) for section in score["sections"]]
    if kind == "none" or all(v is None for v in section_scores):
        return None
    if kind == "heatmap":
        width = max(len(section["items"]) for section in definition["sections"])
        z, texts = [], []
        for section in definition["sections"]:
            row, row_text = [], []
            for index in range(width):
                if index < len(section["items"]):
                    item = section["items"][index]
                    points = scoring.item_points(item, values.get(item["key"]))
                    row.append(None if points is None else points * 100)
                    row_text.append(
                        f"{labels.text(item['text'])} — {labels.display(item, values.get(item['key'])) or '·'}"
                    )
                else:
                    row.append(None)
                    row_text.append("")
            z.append(row)
            texts.append(row_text)
        return {"kind": "heatmap", "rows": titles, "columns": [str(i + 1) for i in range(width)], "z": z, "text": texts}
    if kind == "bars":
        # Sections without a score (a scenario choice, free text) would only show as empty bars.
        titles, section_scores = zip(*[(t, v) for t, v in zip(titles, section_scores) if v is not None])
    return {"kind": kind, "labels": list(titles), "values": list(section_scores)}


def report(assessment: Assessment, values: dict | None = None, comments: dict | None = None) -> dict:
    definition = assessment.version.definition
    if values is None or comments is None:
        values, comments = answers_of(assessment)
    score = scoring.score(definition, values)
    items = items_by_key(definition)
    section_titles = {section["key"]: labels.text(section["title"]) for section in definition["sections"]}
    actions = {}
    for action in assessment.actions.select_related("owner"):
        actions.setdefault(action.item_key, []).append(action)
    sections = []
    for section, section_score in zip(definition["sections"], score["sections"]):
        sections.append(
            {
                "key": section["key"],
                "title": section_titles[section["key"]],
                "score": labels.number(section_score["score"]),
                "answered": section_score["answered"],
                "total": section_score["total"],
                "scored": section_score["scored"],
                "items": [
                    item_view(item, values.get(item["key"]), comments.get(item["key"], "")) for item in section["items"]
                ],
            }
        )
    agenda = [
        {
            **item_view(items[entry["item"]], entry["value"], comments.get(entry["item"], "")),
            "section": section_titles[entry["section"]],
            "actions": actions.get(entry["item"], []),
        }
        for entry in score["agenda"]
    ]
    return {
        "title": labels.text(definition["title"]),
        "description": labels.text(definition["description"]),
        "source_text": labels.source_text(definition["source"]),
        "source_idea": labels.text(definition["source_idea"]),
        "rule": definition["scoring"]["rule"],
        "overall": labels.number(score["overall"]),
        "level": None if score["level"] is None else labels.text(definition["levels"][score["level"]]["text"]),
        "weak_below": labels.number(scoring.WEAK_BELOW),
        "advice": [
            {
                "key": key,
                "title": labels.text(advice()[key]["title"]),
                "text": labels.text(advice()[key]["text"]),
                "sections": [section_titles[section] for section in weak],
            }
            for key, weak in score["advice"]
        ],
        "answered": score["answered"],
        "total": score["total"],
        "sections": sections,
        "agenda": agenda,
        "result": _rule_text(definition, score["result"]),
        "chart": chart_data(definition, score, values),
    }


def earlier_assessments(viewer: Viewer, assessment: Assessment) -> QuerySet[Assessment]:
    """Completed assessments of the same instrument that can be compared with this one."""
    return (
        assessments_visible(viewer)
        .filter(version__instrument=assessment.version.instrument, status=Assessment.Status.COMPLETED)
        .exclude(pk=assessment.pk)
        .order_by("-completed_at", "-id")
    )


def comparison(older: Assessment, newer: Assessment) -> dict:
    old_values, _ = answers_of(older)
    new_values, _ = answers_of(newer)
    old_definition, new_definition = older.version.definition, newer.version.definition
    result = scoring.compare(old_definition, old_values, new_definition, new_values)
    section_titles = {s["key"]: labels.text(s["title"]) for s in new_definition["sections"]}
    new_items = items_by_key(new_definition)
    old_items = items_by_key(old_definition)
    sections = [
        {
            "title": section_titles[s["key"]],
            "before": labels.number(s["before"]),
            "after": labels.number(s["after"]),
            "delta": labels.number(s["delta"]),
        }
        for s in result["sections"]
    ]
    items = []
    for entry in result["items"]:
        item = new_items[entry["item"]]
        old_item = old_items.get(entry["item"])
        items.append(
            {
                "section": section_titles[entry["section"]],
                "text": labels.text(item["text"]),
                "before": labels.display(old_item, entry["before_value"]) if old_item else "",
                "after": labels.display(item, entry["after_value"]),
                "change": entry["change"],
            }
        )
    overall = result["overall"]
    return {
        "overall": {k: labels.number(v) for k, v in overall.items()},
        "sections": sections,
        "improved": [i for i in items if i["change"] == "better"],
        "worse": [i for i in items if i["change"] == "worse"],
        "same": [i for i in items if i["change"] in ("same", "unknown")],
        "chart": {
            "labels": [s["title"] for s in sections],
            "before": [s["before"] for s in sections],
            "after": [s["after"] for s in sections],
        },
    }


def organization_users(organization: Organization) -> list[AbstractBaseUser]:
    return [
        m.user
        for m in Membership.objects.filter(organization=organization).select_related("user").order_by("user__username")
    ]


def my_actions(viewer: Viewer) -> QuerySet[Action]:
    return scoped(viewer, Action).filter(owner=viewer.user).select_related("assessment__version")


def home_actions_panel(viewer: Viewer) -> dict:
    actions = my_actions(viewer)
    return {
        "actions": list(actions.filter(status=Action.Status.OPEN)[:5]),
        "open_count": actions.filter(status=Action.Status.OPEN).count(),
    }


def touchpoints_of(journey_map: JourneyMap) -> list[Touchpoint]:
    """The map's touchpoints in order, read once (no join: the order is the map's own)."""
    return list(Touchpoint.objects.filter(journey_map=journey_map).order_by("position", "id"))


def pains_by_stage(touchpoints: list[Touchpoint]) -> list[dict]:
    groups = []
    for value, label in Touchpoint.Stage.choices:
        pains = [(t.name, pain) for t in touchpoints if t.stage == value for pain in t.pain_list]
        if pains:
            groups.append({"stage": label, "pains": pains})
    return groups


def emotion_curve(touchpoints: list[Touchpoint]) -> dict:
    return {
        "labels": [f"{i + 1}. {t.name}" for i, t in enumerate(touchpoints)],
        "stages": [t.get_stage_display() for t in touchpoints],
        "values": [t.emotion for t in touchpoints],
    }


def aida_matrix(aida_map: AidaMap) -> dict:
    """Rows per persona, one cell per stage with its actions; empty cells and differing cycles."""
    stages = AidaAction.Stage.choices
    personas = list(aida_map.personas.all())
    actions = list(aida_map.actions.all())
    rows = []
    for persona in personas:
        cells = []
        for value, label in stages:
            cell_actions = [a for a in actions if a.persona_id == persona.pk and a.stage == value]
            cells.append({"stage": value, "label": label, "actions": cell_actions})
        rows.append(
            {
                "persona": persona,
                "cells": cells,
                "covered": sum(1 for c in cells if c["actions"]),
                "empty": sum(1 for c in cells if not c["actions"]),
            }
        )
    differing = []
    if len(personas) > 1:
        for index, (_value, label) in enumerate(stages):
            covered = [row["persona"].name for row in rows if row["cells"][index]["actions"]]
            if covered and len(covered) < len(rows):
                uncovered = [row["persona"].name for row in rows if not row["cells"][index]["actions"]]
                differing.append({"stage": label, "covered": covered, "uncovered": uncovered})
    empty_count = sum(row["empty"] for row in rows)
    return {"stages": stages, "rows": rows, "differing": differing, "empty": empty_count}


def journey_map_counts(*, organization: Organization) -> QuerySet[JourneyMap]:
    """The organization's maps, each with its number of touchpoints."""
    return JourneyMap.objects.for_org(organization).annotate(n=Count("touchpoints"))


def journey_map_versions(journey_map: JourneyMap) -> list[JourneyMap]:
    """Every version of the map (same title and persona in its organization), oldest first."""
    return list(
        JourneyMap.objects.filter(
            organization_id=journey_map.organization_id, title=journey_map.title, persona=journey_map.persona
        )
        .order_by("version")
        .only("id", "version")
    )
