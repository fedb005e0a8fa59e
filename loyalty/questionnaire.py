"""Questionnaires as data: the YAML files under `questionnaires/`, checked answers, low scores.

Surveys (KINDS) are answered by clients or staff through a campaign and have one scored question;
interview guides (INTERVIEW_KINDS) are asked by a manager, who records the answers on the
client's card, and score nothing. No Django here. A campaign or an interview keeps a copy of its
questionnaire, so editing a file changes only those started afterwards.
"""

import copy
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import yaml

FOLDER = Path(__file__).resolve().parent / "questionnaires"
KINDS = ("nps", "csat", "ces", "enps", "product", "ideal_supplier", "ideal_supplier_short", "ideal_service")
INTERVIEW_KINDS = ("win_over",)
MAX_TEXT = 2000


@cache
def _load(kind: str) -> dict:
    if kind not in KINDS + INTERVIEW_KINDS:
        raise KeyError(kind)
    with open(FOLDER / f"{kind}.yaml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if data.get("kind") != kind:
        raise ValueError(f"{kind}.yaml must name its kind")
    if kind in KINDS and not any(q.get("metric") for q in data["questions"]):
        raise ValueError(f"{kind}.yaml is a survey: it needs one scored question")
    return data


def load(kind: str) -> dict:
    """A fresh copy of a questionnaire, safe to store and to change."""
    return copy.deepcopy(_load(kind))


def item_questions(questionnaire: Mapping) -> list[dict]:
    """The questions besides the scored one and its "why": the items a product's set chooses from."""
    main = main_question(questionnaire)
    return [q for q in questionnaire["questions"] if q is not main and not q.get("why")]


def with_items(questionnaire: dict, items: list[str]) -> dict:
    """The questionnaire asking only the chosen items (always its scored question and its "why");
    no choice keeps every item."""
    if not items:
        return questionnaire
    dropped = {q["code"] for q in item_questions(questionnaire)} - set(items)
    return {**questionnaire, "questions": [q for q in questionnaire["questions"] if q["code"] not in dropped]}


def main_question(questionnaire: Mapping) -> dict | None:
    """The scored question (the one with a `metric`); an interview guide has none."""
    return next((q for q in questionnaire["questions"] if q.get("metric")), None)


def localized(texts: Mapping | None, language: str) -> str:
    if not texts:
        return ""
    return texts.get("ru" if language.startswith("ru") else "en") or texts.get("en", "")


def check_answers(questionnaire: Mapping, data: Mapping[str, str]) -> tuple[dict, dict]:
    """(answers, errors): answers by question code; errors by code, as message keys.

    The scored question is required; other questions are optional (of an interview guide, at
    least one answer is needed: else the error "empty" under the key ""). A scale answer must be a
    whole number within the scale, a choice one of its options, a text at most MAX_TEXT
    characters ("too_long" otherwise).
    """
    answers: dict = {}
    errors: dict = {}
    main = main_question(questionnaire)
    for question in questionnaire["questions"]:
        code = question["code"]
        raw = (data.get(code) or "").strip()
        if not raw:
            if question is main:
                errors[code] = "required"
            continue
        if question["type"] == "scale":
            try:
                value = int(raw)
            except ValueError:
                errors[code] = "scale"
                continue
            if not question["min"] <= value <= question["max"]:
                errors[code] = "scale"
                continue
            answers[code] = value
        elif question["type"] == "choice":
            if raw not in {option["value"] for option in question["options"]}:
                errors[code] = "choice"
                continue
            answers[code] = raw
        else:
            # NUL cannot be stored in a text column and has no place in a comment.
            text = raw.replace("\x00", "")
            if len(text) > MAX_TEXT:
                # Refused, not cut: the respondent decides what to keep of a long comment.
                errors[code] = "too_long"
                continue
            answers[code] = text
    if main is None and not answers and not errors:
        errors[""] = "empty"
    return answers, errors


def low_scores(questionnaire: Mapping, answers: Mapping) -> list[tuple[str, int]]:
    """The (code, value) pairs at or below their question's `case_if_at_most` threshold."""
    low = []
    for question in questionnaire["questions"]:
        limit = question.get("case_if_at_most")
        value = answers.get(question["code"])
        if limit is not None and isinstance(value, int) and value <= limit:
            low.append((question["code"], value))
    return low


def question_results(questionnaire: Mapping, answer_sets: Iterable[Mapping], language: str, texts_shown: int) -> list:
    """What the respondents said to each question besides the scored one and its "why".

    Scales give their answer count and exact mean, choices a count per option, free texts the
    first `texts_shown` answers in the order given (newest first, as the caller reads them) and
    their count.
    """
    questions = item_questions(questionnaire)
    collected: dict[str, list] = {q["code"]: [] for q in questions}
    for answers in answer_sets:
        for code, values in collected.items():
            if answers.get(code) not in (None, ""):
                values.append(answers[code])
    results = []
    for question in questions:
        values = collected[question["code"]]
        result = {"code": question["code"], "type": question["type"], "text": localized(question["text"], language)}
        result["count"] = len(values)
        if question["type"] == "scale":
            result["scale"] = (question["min"], question["max"])
            result["mean"] = sum(values) / len(values) if values else None
        elif question["type"] == "choice":
            counts = Counter(values)
            result["options"] = [
                (localized(option, language), counts[option["value"]]) for option in question["options"]
            ]
        else:
            result["texts"] = values[:texts_shown]
        results.append(result)
    return results


def why_text(questionnaire: Mapping, answers: Mapping) -> str:
    """The answer to the "why" follow-up question, or ""."""
    for question in questionnaire["questions"]:
        if question.get("why"):
            return str(answers.get(question["code"], ""))
    return ""
