"""The survey questionnaires ask what their source asks (seed 004, appendices 1 and 2), one
question for each of the source's, in both languages."""

import pytest

from loyalty import questionnaire


def codes(kind: str) -> list[tuple[str, str]]:
    return [(q["code"], q["type"]) for q in questionnaire.load(kind)["questions"]]


def test_the_ideal_service_asks_the_sources_eleven_questions_one_each():
    assert codes("ideal_service") == [
        ("response_speed", "scale"),
        ("competence", "scale"),
        ("range", "text"),  # does the range suit you, what would you add or change
        ("accuracy", "choice"),  # wrong goods or shortages, compared with other suppliers
        ("delivery_speed", "scale"),
        ("driver", "scale"),
        ("documents", "scale"),
        ("fixing", "scale"),
        ("score", "scale"),
        ("why", "text"),
        ("recommend", "choice"),
    ]


def test_the_ideal_supplier_has_a_short_and_a_full_version():
    assert codes("ideal_supplier_short") == [("score", "scale"), ("why", "text"), ("recommend", "choice")]
    assert codes("ideal_supplier") == [
        ("score", "scale"),
        ("contact_often", "choice"),
        ("dislike", "text"),
        ("change_one", "text"),
        ("like", "text"),
        ("why_us", "text"),
        ("buy_more", "text"),
        ("stand_out", "text"),
        ("how_much_more", "text"),
    ]


def test_the_employee_survey_is_one_anonymous_instrument_on_the_sources_zero_to_ten_scale():
    data = questionnaire.load("enps")
    assert data["audience"] == "employees"
    assert codes("enps") == [
        ("score", "scale"),  # recommend us as a place to work: eNPS
        ("why", "text"),
        ("wellbeing", "scale"),  # how one feels at work overall
        ("processes", "scale"),  # how convenient the work processes are
        ("one_fix", "text"),
    ]
    assert {(q["min"], q["max"]) for q in data["questions"] if q["type"] == "scale"} == {(0, 10)}
    assert questionnaire.main_question(data)["metric"] == "enps"


def test_question_results_give_exact_means_option_counts_and_the_newest_texts():
    data = questionnaire.load("ideal_service")
    answer_sets = [
        {"score": 9, "response_speed": 5, "accuracy": "never", "range": "More sizes", "why": "Fast"},
        {"score": 3, "response_speed": 4, "accuracy": "more", "range": ""},
        {"score": 7, "response_speed": 4, "accuracy": "never", "range": "Cheaper boxes"},
        {"score": 8, "range": "Eco paper"},
    ]
    results = {r["code"]: r for r in questionnaire.question_results(data, answer_sets, "en", texts_shown=2)}
    assert "score" not in results and "why" not in results  # shown with the scored question
    assert (results["response_speed"]["count"], results["response_speed"]["mean"]) == (3, 13 / 3)
    assert results["response_speed"]["scale"] == (1, 5)
    assert results["accuracy"]["options"] == [
        ("It has not happened", 2),
        ("Less often than with other suppliers", 0),
        ("About as often as with other suppliers", 0),
        ("More often than with other suppliers", 1),
    ]
    assert (results["range"]["count"], results["range"]["texts"]) == (3, ["More sizes", "Cheaper boxes"])
    assert (results["driver"]["count"], results["driver"]["mean"]) == (0, None)
    russian = {r["code"]: r for r in questionnaire.question_results(data, answer_sets, "ru", texts_shown=2)}
    assert russian["accuracy"]["options"][0] == ("Такого не было", 2)


@pytest.mark.parametrize("kind", questionnaire.KINDS)
def test_every_question_is_asked_in_both_languages(kind):
    data = questionnaire.load(kind)
    assert data["kind"] == kind and data["version"] >= 1
    for question in data["questions"]:
        assert question["text"]["en"].strip() and question["text"]["ru"].strip(), question["code"]
        for option in question.get("options", []):
            assert option["en"].strip() and option["ru"].strip(), (question["code"], option["value"])
