"""Every instrument file loads, is complete in both languages and scores a full assessment."""

import math

import pytest

from diagnostics import definition as definition_module
from diagnostics.definition import CHOICES, SCALES, DefinitionError, iter_items, parse
from diagnostics.loader import INSTRUMENTS_DIR, read_all
from diagnostics.scoring import score

FILES = sorted(INSTRUMENTS_DIR.glob("*.yaml"))
EXPECTED_ITEMS = {
    "client_work": 22,
    "crm_strategy": 5,
    "mystery_shopper": 15,
    "controllability": 30,
    "service_level": 13,
    "cx_understanding": 9,
    "goulding": 9,
    "mission_strategy": 4,
    "service_excellence": 20,
    "customer_orientation": 16,
}


def _texts(node):
    """Every bilingual text in a definition."""
    if isinstance(node, dict):
        if set(node) == {"en", "ru"}:
            yield node
            return
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


def _full_answers(definition):
    answers = {}
    for _, item in iter_items(definition):
        kind = item["type"]
        if kind in CHOICES:
            answers[item["key"]] = list(CHOICES[kind])[0]
        elif kind in SCALES:
            answers[item["key"]] = SCALES[kind][1]
        elif kind == "single":
            answers[item["key"]] = item["options"][0]["value"]
        elif kind == "multiple":
            answers[item["key"]] = [item["options"][0]["value"]]
        elif kind == "number":
            answers[item["key"]] = 1
        else:
            answers[item["key"]] = "text"
    return answers


def test_all_instruments_of_the_domain_are_there():
    assert {d["code"]: sum(1 for _ in iter_items(d)) for d in read_all()} == EXPECTED_ITEMS


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_instrument_file_is_complete_in_both_languages(path):
    definition = parse(path.read_text(encoding="utf-8"))
    texts = list(_texts(definition))
    assert len(texts) > sum(1 for _ in iter_items(definition))
    for text in texts:
        assert text["en"].strip() and text["ru"].strip()
        assert any("а" <= ch <= "я" for ch in text["ru"].lower()), text
    assert definition["source"] and definition["source_idea"]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_instrument_scores_a_fully_answered_assessment(path):
    definition = parse(path.read_text(encoding="utf-8"))
    result = score(definition, _full_answers(definition))
    assert result["answered"] == result["total"]
    assert result["agenda"] == []
    if definition["scoring"]["rule"] == "text":
        assert math.isnan(result["overall"])
    else:
        assert result["overall"] == 100.0


def test_controllability_audit_has_the_four_sections_and_answer_help():
    definition = parse((INSTRUMENTS_DIR / "04_controllability.yaml").read_text(encoding="utf-8"))
    assert [(s["key"], len(s["items"])) for s in definition["sections"]] == [
        ("main", 14),
        ("marketing", 4),
        ("supporting", 4),
        ("parameters", 8),
    ]
    assert set(definition["answer_help"]) == {"+", "+-", "-"}
    # The source's two examples of "+-": lost deals without their reason, complaints without one procedure.
    assert "lost deals are known, but not why" in definition["answer_help"]["+-"]["en"]
    assert "without one complaint procedure" in definition["answer_help"]["+-"]["en"]
    assert {i["type"] for _, i in iter_items(definition)} == {"plus_minus"}


def test_a_missing_translation_is_refused():
    text = (INSTRUMENTS_DIR / "07_goulding.yaml").read_text(encoding="utf-8")
    broken = text.replace('ru: "Мы знаем, кто наши клиенты."', 'ru: ""')
    with pytest.raises(DefinitionError, match=r"items\[0\].text: the ru text is missing"):
        parse(broken)


def test_an_unknown_answer_type_is_refused():
    text = (INSTRUMENTS_DIR / "07_goulding.yaml").read_text(encoding="utf-8")
    with pytest.raises(DefinitionError, match="type: one of"):
        parse(text.replace("type: yes_no", "type: maybe", 1))


def test_the_client_work_diagnostic_asks_what_its_source_asks_and_scores_the_share_of_yes():
    """Seed 000, questions 15-31, each asked (17, 18, 19 and 23 as items of their own)."""
    definition = parse((INSTRUMENTS_DIR / "01_client_work.yaml").read_text(encoding="utf-8"))
    assert [(s["key"], [i["key"] for i in s["items"]]) for s in definition["sections"]] == [
        (
            "journey",
            [
                "cjm_used",
                "satisfaction_whole_journey",
                "measurement_frequency",
                "aida_per_persona",
                "aida_differs_per_persona",
            ],
        ),
        (
            "contacts",
            [
                "contact_channels",
                "message_content",
                "feedback_channels",
                "feedback_frequency",
                "social_reviews",
                "complaints_easy",
            ],
        ),
        ("data", ["data_fresh", "crm_cards", "card_structure", "data_decisions"]),
        ("sales", ["funnel_conversion", "cross_up_sell", "clients_per_period"]),
        ("staff", ["written_requirements", "explain_value", "communication_standards", "manager_authority"]),
    ]
    assert definition["scoring"] == {"rule": "share_of_yes"}
    every = [key for _, item in iter_items(definition) for key in [item["key"]]]
    # Every answer "partly": nothing is a full yes, so the score is 0 %, not 50 %.
    partly = score(definition, dict.fromkeys(every, "partly"))
    assert partly["overall"] == 0.0 and {s["score"] for s in partly["sections"]} == {0.0}
    assert len(partly["agenda"]) == 22
    # Journey: 2 yes, 1 partly, 1 no, 1 unanswered -> 2 of 4; overall 2 yes of 4 answered.
    some = {
        "cjm_used": "yes",
        "satisfaction_whole_journey": "yes",
        "measurement_frequency": "partly",
        "aida_per_persona": "no",
    }
    result = score(definition, some)
    assert result["sections"][0]["score"] == 50.0 and result["overall"] == 50.0
    assert math.isnan(result["sections"][1]["score"])


def test_a_share_of_yes_instrument_takes_yes_partly_no_items_only():
    text = (INSTRUMENTS_DIR / "01_client_work.yaml").read_text(encoding="utf-8")
    with pytest.raises(DefinitionError, match="the share of yes scores yes_partly_no only"):
        parse(text.replace("type: yes_partly_no", "type: scale_0_10", 1))


def test_crm_readiness_has_the_sources_scenarios_needs_and_checks():
    """Seed 001: four crisis triggers sharing the crisis need; development and status with theirs."""
    definition = parse((INSTRUMENTS_DIR / "02_crm_strategy.yaml").read_text(encoding="utf-8"))
    scenario = definition["sections"][0]["items"][0]
    options = {o["value"]: o["need"]["en"] for o in scenario["options"]}
    assert list(options) == [
        "crisis_manager_left",
        "crisis_low_qualification",
        "crisis_competition",
        "crisis_debts",
        "development",
        "status",
    ]
    assert {options[v] for v in options if v.startswith("crisis")} == {
        "Control over the information and systematic work of the staff."
    }
    assert options["development"].startswith("Automation of routine work, control of efficiency")
    assert options["status"].startswith("Meeting the conditions set from outside")
    assert [i["key"] for i in definition["sections"][1]["items"]] == [
        "staff_over_ten",
        "excel_email_not_enough",
        "main_indicators",
        "no_chaos_automated",
    ]


def test_the_mystery_shopper_follows_the_sources_blocks():
    definition = parse((INSTRUMENTS_DIR / "03_mystery_shopper.yaml").read_text(encoding="utf-8"))
    assert [(s["key"], [i["key"] for i in s["items"]]) for s in definition["sections"]] == [
        ("greeting", ["introduced"]),
        ("etiquette", ["polite", "business_etiquette", "informative"]),
        ("needs", ["asked_questions", "helps_not_pushes"]),
        ("presentation", ["client_benefits", "knows_product", "clear", "knows_usp", "too_expensive"]),
        ("difficult", ["controls_emotions", "constructive", "composure"]),
        ("provocation", ["nerves_test"]),
    ]


def test_the_customer_orientation_self_test_has_a_section_per_recommendation_levels_and_advice():
    definition = parse((INSTRUMENTS_DIR / "11_customer_orientation.yaml").read_text(encoding="utf-8"))
    assert [(s["key"], s["advice"], [i["key"] for i in s["items"]]) for s in definition["sections"]] == [
        ("expectations", "expectations", ["ask_expectations", "know_why_valued", "promise_kept"]),
        ("more", "more", ["initiative", "planned_extra", "recommended"]),
        ("journeys", "journeys", ["walked_path", "hard_steps", "staff_loyalty"]),
        ("mission", "mission", ["mission_known", "standards", "head_involved", "every_department"]),
        ("metrics", "metrics", ["acquisition_and_value", "several_metrics", "competitors"]),
    ]
    assert definition["scoring"] == {"rule": "mean"}
    assert {i["type"] for _, i in iter_items(definition)} == {"yes_no"}
    assert [level["from"] for level in definition["levels"]] == [0, 50, 80]
    # 10 of 16 yes: 62.5 %, the middle level; weak (under 75 %): a little more (2 of 3), the journey
    # (1 of 3) and metrics (0 of 3); expectations and the mission (all yes) are not.
    answers = {item["key"]: "yes" for _, item in iter_items(definition)}
    answers.update(hard_steps="no", staff_loyalty="no", acquisition_and_value="no", several_metrics="no")
    answers.update(competitors="no", initiative="no")
    result = score(definition, answers)
    assert (result["overall"], result["level"]) == (62.5, 1)
    assert result["advice"] == [("more", ["more"]), ("journeys", ["journeys"]), ("metrics", ["metrics"])]


def test_the_five_recommendations_are_written_in_both_languages():
    advice = definition_module.advice()
    assert set(advice) == {"expectations", "more", "journeys", "mission", "metrics"}
    for entry in advice.values():
        for text in (entry["title"], entry["text"]):
            assert text["en"].strip() and text["ru"].strip()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("    advice: metrics\n", "    advice: luck\n"), "sections[4].advice: one of expectations, more"),
        (("  - from: 0\n", "  - from: 10\n"), "levels: the first starts at 0 and each later one at a higher score"),
        (("  - from: 80\n", "  - from: 40\n"), "levels: the first starts at 0 and each later one at a higher score"),
        (("  - from: 50\n", "  - from: half\n"), "levels: every level needs `from`, a score from 0 to 100"),
    ],
)
def test_an_unknown_advice_or_unordered_levels_are_refused(change, problem):
    text = (INSTRUMENTS_DIR / "11_customer_orientation.yaml").read_text(encoding="utf-8")
    with pytest.raises(DefinitionError) as error:
        parse(text.replace(*change))
    assert any(p.startswith(problem) for p in error.value.problems), error.value.problems
