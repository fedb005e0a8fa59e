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


@pytest.mark.parametrize("kind", questionnaire.KINDS)
def test_every_question_is_asked_in_both_languages(kind):
    data = questionnaire.load(kind)
    assert data["kind"] == kind and data["version"] >= 1
    for question in data["questions"]:
        assert question["text"]["en"].strip() and question["text"]["ru"].strip(), question["code"]
        for option in question.get("options", []):
            assert option["en"].strip() and option["ru"].strip(), (question["code"], option["value"])
