"""Instrument definitions: parse and check a questionnaire file. Pure Python, no Django import.

A definition is a dict read from YAML: a code, bilingual texts (`{en: ..., ru: ...}`), a scoring
rule, a chart kind and sections of items, each item with a key and an answer type.
"""

import hashlib
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import yaml

LANGUAGES = ("en", "ru")

# Choice answer types: the stored values in order, best first, and the points of each value.
CHOICES: dict[str, dict[str, float]] = {
    "yes_partly_no": {"yes": 1.0, "partly": 0.5, "no": 0.0},
    "plus_minus": {"+": 1.0, "+-": 0.5, "-": 0.0},
    "pass_fail": {"pass": 1.0, "fail": 0.0},
    "yes_no": {"yes": 1.0, "no": 0.0},
}
SCALES: dict[str, tuple[int, int]] = {"scale_0_10": (0, 10), "scale_1_5": (1, 5), "scale_1_7": (1, 7)}
OPTION_TYPES = ("single", "multiple")
FREE_TYPES = ("text", "number")
ANSWER_TYPES = (*CHOICES, *SCALES, *OPTION_TYPES, *FREE_TYPES)
RULES = ("mean", "share_of_yes", "count", "scenario", "text")
CHARTS = ("bars", "radar", "heatmap", "none")


ADVICE_FILE = Path(__file__).resolve().parent / "advice.yaml"


@cache
def advice() -> dict[str, dict]:
    """The recommendations a section may name (`advice: key`): {key: {"title": text, "text": text}}."""
    return yaml.safe_load(ADVICE_FILE.read_text(encoding="utf-8"))


class DefinitionError(ValueError):
    """A questionnaire file that cannot be used; `problems` lists every fault found."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _check_text(value, where: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{where}: expected {{en: ..., ru: ...}}")
        return
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: the {language} text is missing")
    extra = set(value) - set(LANGUAGES)
    if extra:
        problems.append(f"{where}: unknown languages {sorted(extra)}")


def _check_levels(levels, problems: list[str]) -> None:
    """Optional levels of the overall score: the first from 0, each later one from a higher score."""
    if levels is None:
        return
    if not isinstance(levels, list) or not levels:
        problems.append("levels: a list of {from: score, text: {en, ru}}")
        return
    starts = [level.get("from") if isinstance(level, dict) else None for level in levels]
    if not all(isinstance(start, int | float) and 0 <= start <= 100 for start in starts):
        problems.append("levels: every level needs `from`, a score from 0 to 100")
        return
    if starts[0] != 0 or any(later <= earlier for earlier, later in zip(starts, starts[1:])):
        problems.append("levels: the first starts at 0 and each later one at a higher score")
    for index, level in enumerate(levels):
        _check_text(level.get("text"), f"levels[{index}].text", problems)


def check(definition: dict) -> dict:
    """Return the definition if it is complete and consistent, else raise DefinitionError."""
    problems: list[str] = []
    if not isinstance(definition, dict):
        raise DefinitionError(["the file must hold a mapping"])
    code = definition.get("code")
    if not isinstance(code, str) or not code.replace("_", "").isalnum():
        problems.append("code: a short name of letters, digits and _ is required")
    for field in ("title", "description", "source_idea"):
        _check_text(definition.get(field), field, problems)
    if not isinstance(definition.get("source"), str):
        problems.append("source: the seed number is required")
    scoring = definition.get("scoring") or {}
    if scoring.get("rule") not in RULES:
        problems.append(f"scoring.rule: one of {', '.join(RULES)}")
    if definition.get("chart", "bars") not in CHARTS:
        problems.append(f"chart: one of {', '.join(CHARTS)}")
    for value, text in (definition.get("answer_help") or {}).items():
        _check_text(text, f"answer_help.{value}", problems)
    _check_levels(definition.get("levels"), problems)
    sections = definition.get("sections")
    if not isinstance(sections, list) or not sections:
        problems.append("sections: at least one section is required")
        sections = []
    keys: set[str] = set()
    for s_index, section in enumerate(sections):
        where = f"sections[{s_index}]"
        if not isinstance(section, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        if not section.get("key"):
            problems.append(f"{where}.key is required")
        _check_text(section.get("title"), f"{where}.title", problems)
        if section.get("advice") is not None and section["advice"] not in advice():
            problems.append(f"{where}.advice: one of {', '.join(advice())}")
        items = section.get("items")
        if not isinstance(items, list) or not items:
            problems.append(f"{where}: at least one item is required")
            continue
        for i_index, item in enumerate(items):
            here = f"{where}.items[{i_index}]"
            key = item.get("key") if isinstance(item, dict) else None
            if not key:
                problems.append(f"{here}.key is required")
                continue
            if key in keys:
                problems.append(f"{here}: the key {key!r} is used twice")
            keys.add(key)
            _check_text(item.get("text"), f"{here}.text", problems)
            if item.get("help") is not None:
                _check_text(item["help"], f"{here}.help", problems)
            kind = item.get("type")
            if kind not in ANSWER_TYPES:
                problems.append(f"{here}.type: one of {', '.join(ANSWER_TYPES)}")
            if kind in OPTION_TYPES:
                options = item.get("options")
                if not isinstance(options, list) or len(options) < 2:
                    problems.append(f"{here}.options: at least two options")
                    continue
                values = set()
                for o_index, option in enumerate(options):
                    if not isinstance(option, dict) or not option.get("value"):
                        problems.append(f"{here}.options[{o_index}].value is required")
                        continue
                    values.add(option["value"])
                    _check_text(option.get("text"), f"{here}.options[{o_index}].text", problems)
                    if option.get("need") is not None:
                        _check_text(option["need"], f"{here}.options[{o_index}].need", problems)
                if len(values) != len(options):
                    problems.append(f"{here}.options: values must differ")
    for rule_item in ("item",):
        wanted = scoring.get(rule_item)
        if wanted is not None and wanted not in keys:
            problems.append(f"scoring.{rule_item}: no item {wanted!r}")
    if scoring.get("rule") == "scenario" and not scoring.get("item"):
        problems.append("scoring.item: the rule needs the key of its item")
    if scoring.get("rule") == "share_of_yes":
        for s_index, section in enumerate(sections):
            for i_index, item in enumerate(section.get("items") or []):
                if isinstance(item, dict) and item.get("type") not in ("yes_partly_no", "text"):
                    problems.append(
                        f"sections[{s_index}].items[{i_index}].type: the share of yes scores yes_partly_no only"
                    )
    if problems:
        raise DefinitionError(problems)
    definition.setdefault("chart", "bars")
    return definition


def parse(text: str) -> dict:
    """Read a questionnaire file's text and check it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DefinitionError([f"not valid YAML: {error}"]) from None
    return check(data)


def content_hash(definition: dict) -> str:
    """A fingerprint of the content: the same questionnaire always gives the same hash."""
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def iter_items(definition: dict) -> Iterator[tuple[dict, dict]]:
    """(section, item) pairs in questionnaire order."""
    for section in definition["sections"]:
        for item in section["items"]:
            yield section, item


def items_by_key(definition: dict) -> dict[str, dict]:
    return {item["key"]: item for _, item in iter_items(definition)}


def allowed_values(item: dict) -> list[str]:
    """The values a choice item accepts, in order (empty for scales and free answers)."""
    kind = item["type"]
    if kind in CHOICES:
        return list(CHOICES[kind])
    if kind in OPTION_TYPES:
        return [option["value"] for option in item["options"]]
    return []


def clean_answer(item: dict, raw):
    """The stored form of a raw answer (strings from a form), or ValueError with the reason.

    Returns None for an empty answer (the item becomes unanswered again).
    """
    kind = item["type"]
    if kind == "multiple":
        values = [raw] if isinstance(raw, str) else list(raw or [])
        values = [v for v in values if v != ""]
        unknown = [v for v in values if v not in allowed_values(item)]
        if unknown:
            raise ValueError("not_an_option")
        order = allowed_values(item)
        return sorted(set(values), key=order.index) or None
    if isinstance(raw, list):
        if len(raw) > 1:
            raise ValueError("one_value")
        raw = raw[0] if raw else None
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if kind in CHOICES or kind == "single":
        if raw not in allowed_values(item):
            raise ValueError("not_an_option")
        return raw
    if kind in SCALES:
        low, high = SCALES[kind]
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ValueError("out_of_scale") from None
        if not low <= number <= high:
            raise ValueError("out_of_scale")
        return number
    if kind == "number":
        try:
            number = float(str(raw).strip().replace(",", "."))
        except ValueError:
            raise ValueError("not_a_number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("not_a_number")
        return int(number) if number.is_integer() else number
    text = str(raw).strip()
    if len(text) > 4000:
        raise ValueError("too_long")
    return text


def localized(text: dict | None, language: str) -> str:
    if not text:
        return ""
    return text.get(language) or text.get("en") or ""
