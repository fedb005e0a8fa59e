"""Scores of a filled questionnaire: per section, overall, and the rule of each instrument.

Pure Python (no Django import). Points lie between 0 and 1: a choice answer has fixed points
("+" = 1, "+-" = 0.5, "-" = 0; yes / partly / no alike), a scale answer is placed on 0..1,
free answers are not scored. Unanswered items (None) are left out, never counted as zero; a
score over no answers at all is NaN. An instrument scored by the share of "yes" (the rule
`share_of_yes`, the client-work diagnostic) counts "partly" as a gap, not as half a yes.
"""

import math
from statistics import fmean

from .definition import CHOICES, SCALES, items_by_key, iter_items

NAN = float("nan")
# A section scoring under this share of its points is a weak area: the report shows its advice.
WEAK_BELOW = 75.0
PLUS_MINUS = CHOICES["plus_minus"]
YES_PARTLY_NO = CHOICES["yes_partly_no"]


def share_of_yes(answers) -> float:
    """Percent of "yes" among the answered "yes" / "partly" / "no" ("partly" is a gap, not half a
    yes: DOMAIN.md section 2); None is skipped; no answers gives NaN."""
    answered = []
    for answer in answers:
        if answer is None:
            continue
        if answer not in YES_PARTLY_NO:
            raise ValueError(f"not a yes / partly / no answer: {answer!r}")
        answered.append(answer == "yes")
    return 100.0 * sum(answered) / len(answered) if answered else NAN


def controllability_index(answers) -> float:
    """Mean of "+" = 1, "+-" = 0.5, "-" = 0 in percent; None is skipped; no answers gives NaN."""
    points = []
    for answer in answers:
        if answer is None:
            continue
        if answer not in PLUS_MINUS:
            raise ValueError(f"not a controllability answer: {answer!r}")
        points.append(PLUS_MINUS[answer])
    return fmean(points) * 100 if points else NAN


def item_points(item: dict, value) -> float | None:
    """The item's points for an answer (0..1), or None when unanswered or not scored."""
    if value is None or item.get("scored") is False:
        return None
    kind = item["type"]
    if kind in CHOICES:
        return CHOICES[kind][value]
    if kind in SCALES:
        low, high = SCALES[kind]
        return (value - low) / (high - low)
    if kind == "single":
        for option in item["options"]:
            if option["value"] == value and "points" in option:
                return float(option["points"])
    return None


def is_scored(item: dict) -> bool:
    if item.get("scored") is False:
        return False
    if item["type"] == "single":
        return any("points" in option for option in item["options"])
    return item["type"] in CHOICES or item["type"] in SCALES


def percent(points: list[float]) -> float:
    return fmean(points) * 100 if points else NAN


def level(levels: list[dict] | None, overall: float) -> int | None:
    """The index of the highest level whose `from` the overall score reaches; None without either."""
    if not levels or math.isnan(overall):
        return None
    return max(index for index, step in enumerate(levels) if overall >= step["from"])


def advice_for(definition: dict, section_scores: list[float]) -> list[tuple[str, list[str]]]:
    """(advice key, keys of its weak sections) in section order: the advice of every section with a
    score under WEAK_BELOW; unscored sections are not weak."""
    weak: dict[str, list[str]] = {}
    for section, value in zip(definition["sections"], section_scores, strict=True):
        if section.get("advice") and not math.isnan(value) and value < WEAK_BELOW:
            weak.setdefault(section["advice"], []).append(section["key"])
    return list(weak.items())


def score(definition: dict, answers: dict) -> dict:
    """Scores of one assessment: `answers` maps item keys to stored values (missing = None).

    Returns {"overall", "level", "advice", "sections": [...], "answered", "total", "agenda", "result"}; the
    agenda lists every answered choice item below full points ("-", "+-", "no", "partly", "fail").
    """
    by_share_of_yes = definition["scoring"]["rule"] == "share_of_yes"
    sections = []
    all_points: list[float] = []
    all_yes_partly_no: list = []
    agenda = []
    answered = total = 0
    for section in definition["sections"]:
        points = []
        yes_partly_no = [answers.get(item["key"]) for item in section["items"] if item["type"] == "yes_partly_no"]
        all_yes_partly_no.extend(yes_partly_no)
        section_answered = 0
        for item in section["items"]:
            value = answers.get(item["key"])
            total += 1
            if value is not None:
                answered += 1
                section_answered += 1
            got = item_points(item, value)
            if got is not None:
                points.append(got)
                if item["type"] in CHOICES and got < 1:
                    agenda.append({"section": section["key"], "item": item["key"], "value": value, "points": got})
        all_points.extend(points)
        sections.append(
            {
                "key": section["key"],
                "score": share_of_yes(yes_partly_no) if by_share_of_yes else percent(points),
                "answered": section_answered,
                "total": len(section["items"]),
                "scored": sum(1 for item in section["items"] if is_scored(item)),
            }
        )
    overall = share_of_yes(all_yes_partly_no) if by_share_of_yes else percent(all_points)
    return {
        "overall": overall,
        "level": level(definition.get("levels"), overall),
        "advice": advice_for(definition, [section["score"] for section in sections]),
        "sections": sections,
        "answered": answered,
        "total": total,
        "agenda": agenda,
        "result": _rule_result(definition, answers),
    }


def _rule_result(definition: dict, answers: dict) -> dict:
    scoring = definition["scoring"]
    rule = scoring["rule"]
    if rule == "count":
        items = [item for _, item in iter_items(definition) if item["type"] in CHOICES]
        full = sum(1 for item in items if item_points(item, answers.get(item["key"])) == 1)
        return {"rule": rule, "count": full, "of": len(items)}
    if rule == "scenario":
        return {"rule": rule, "item": scoring["item"], "value": answers.get(scoring["item"])}
    return {"rule": rule}


def progress(definition: dict, answers: dict) -> tuple[int, int]:
    """(answered, total) items."""
    keys = [item["key"] for _, item in iter_items(definition)]
    return sum(1 for key in keys if answers.get(key) is not None), len(keys)


def _delta(before: float, after: float) -> float:
    if math.isnan(before) or math.isnan(after):
        return NAN
    return after - before


def compare(old_definition: dict, old_answers: dict, new_definition: dict, new_answers: dict) -> dict:
    """What changed between an earlier and a later assessment of one instrument.

    Sections and items are matched by key, so two versions of an instrument compare on what
    they share; an item only in one of them shows None on the other side.
    """
    old_score = score(old_definition, old_answers)
    new_score = score(new_definition, new_answers)
    old_sections = {s["key"]: s for s in old_score["sections"]}
    sections = []
    for section in new_score["sections"]:
        before = old_sections.get(section["key"], {}).get("score", NAN)
        sections.append(
            {
                "key": section["key"],
                "before": before,
                "after": section["score"],
                "delta": _delta(before, section["score"]),
            }
        )
    old_items = items_by_key(old_definition)
    items = []
    for section, item in iter_items(new_definition):
        after = item_points(item, new_answers.get(item["key"]))
        old_item = old_items.get(item["key"])
        before = item_points(old_item, old_answers.get(item["key"])) if old_item else None
        if before is None and after is None:
            continue
        if before is None or after is None:
            change = "unknown"
        elif after > before:
            change = "better"
        elif after < before:
            change = "worse"
        else:
            change = "same"
        items.append(
            {
                "section": section["key"],
                "item": item["key"],
                "before": before,
                "after": after,
                "before_value": old_answers.get(item["key"]) if old_item else None,
                "after_value": new_answers.get(item["key"]),
                "change": change,
            }
        )
    return {
        "overall": {
            "before": old_score["overall"],
            "after": new_score["overall"],
            "delta": _delta(old_score["overall"], new_score["overall"]),
        },
        "sections": sections,
        "items": items,
    }
