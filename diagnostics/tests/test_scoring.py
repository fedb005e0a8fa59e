"""The mathematics of diagnostics, without Django."""

import math

import pytest

from diagnostics.definition import check, clean_answer
from diagnostics.scoring import compare, controllability_index, item_points, score, share_of_yes


def test_controllability_index_means_in_percent():
    assert controllability_index(["+", "+-", "-", "+"]) == pytest.approx(62.5)


def test_controllability_index_all_partly_is_fifty():
    assert controllability_index(["+-"] * 7) == 50.0


def test_controllability_index_skips_unanswered_instead_of_zero():
    assert controllability_index(["+", None, None]) == 100.0
    assert controllability_index(["-", None, "+"]) == 50.0


def test_controllability_index_of_nothing_is_nan():
    assert math.isnan(controllability_index([]))
    assert math.isnan(controllability_index([None, None]))


def test_controllability_index_rejects_other_answers():
    with pytest.raises(ValueError):
        controllability_index(["+", "yes"])


@pytest.mark.parametrize(
    ("answers", "share"),
    [
        (["partly"] * 6, 0.0),  # "partly" is a gap, not half a yes
        (["yes", "partly", "no", "yes"], 50.0),
        (["yes", None, None], 100.0),  # unanswered items are left out, not counted as "no"
        (["no", "yes", "yes"], 200 / 3),
    ],
)
def test_share_of_yes_counts_only_full_yes_among_the_answered(answers, share):
    assert share_of_yes(answers) == share


def test_share_of_yes_of_nothing_is_nan_and_other_answers_are_refused():
    assert math.isnan(share_of_yes([])) and math.isnan(share_of_yes([None]))
    with pytest.raises(ValueError):
        share_of_yes(["yes", "+"])


@pytest.mark.parametrize(
    ("kind", "value", "points"),
    [
        ("yes_partly_no", "yes", 1.0),
        ("yes_partly_no", "partly", 0.5),
        ("yes_partly_no", "no", 0.0),
        ("plus_minus", "+", 1.0),
        ("plus_minus", "+-", 0.5),
        ("plus_minus", "-", 0.0),
        ("pass_fail", "pass", 1.0),
        ("pass_fail", "fail", 0.0),
        ("yes_no", "yes", 1.0),
        ("yes_no", "no", 0.0),
        ("scale_0_10", 0, 0.0),
        ("scale_0_10", 10, 1.0),
        ("scale_0_10", 7, 0.7),
        ("scale_1_5", 1, 0.0),
        ("scale_1_5", 5, 1.0),
        ("scale_1_5", 4, 0.75),
        ("scale_1_7", 1, 0.0),
        ("scale_1_7", 7, 1.0),
        ("scale_1_7", 4, 0.5),
        ("text", "anything", None),
        ("number", 12, None),
        ("yes_no", None, None),
    ],
)
def test_points_per_answer_type(kind, value, points):
    assert item_points({"key": "k", "type": kind}, value) == points


def test_single_choice_scores_only_with_points_and_multiple_never():
    scored = {"key": "k", "type": "single", "options": [{"value": "a", "points": 1}, {"value": "b", "points": 0.25}]}
    plain = {"key": "k", "type": "single", "options": [{"value": "a"}, {"value": "b"}]}
    several = {"key": "k", "type": "multiple", "options": [{"value": "a"}, {"value": "b"}]}
    assert item_points(scored, "b") == 0.25
    assert item_points(plain, "a") is None
    assert item_points(several, ["a", "b"]) is None


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("plus_minus", ["+-"], "+-"),
        ("yes_partly_no", "partly", "partly"),
        ("scale_0_10", ["0"], 0),
        ("scale_1_7", "7", 7),
        ("number", "12,5", 12.5),
        ("number", "3", 3),
        ("text", "  ok  ", "ok"),
        ("yes_no", [""], None),
        ("text", "", None),
        ("scale_1_5", [], None),
    ],
)
def test_clean_answer_accepts_the_scale(kind, raw, stored):
    assert clean_answer({"key": "k", "type": kind}, raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw", "reason"),
    [
        ("plus_minus", "yes", "not_an_option"),
        ("plus_minus", "++", "not_an_option"),
        ("pass_fail", "+", "not_an_option"),
        ("scale_0_10", "11", "out_of_scale"),
        ("scale_0_10", "-1", "out_of_scale"),
        ("scale_1_5", "0", "out_of_scale"),
        ("scale_1_7", "8", "out_of_scale"),
        ("scale_1_5", "2.5", "out_of_scale"),
        ("number", "abc", "not_a_number"),
        ("number", "nan", "not_a_number"),
        ("yes_no", ["yes", "no"], "one_value"),
        ("text", "x" * 4001, "too_long"),
    ],
)
def test_clean_answer_refuses_what_is_outside_the_scale(kind, raw, reason):
    with pytest.raises(ValueError, match=reason):
        clean_answer({"key": "k", "type": kind}, raw)


def test_clean_answer_multiple_keeps_option_order_and_refuses_unknown():
    item = {"key": "k", "type": "multiple", "options": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}
    assert clean_answer(item, ["c", "a", "c"]) == ["a", "c"]
    with pytest.raises(ValueError, match="not_an_option"):
        clean_answer(item, ["a", "z"])


def _text(word):
    return {"en": word, "ru": word}


def definition(rule="mean", **scoring):
    return check(
        {
            "code": "demo",
            "source": "002",
            "title": _text("T"),
            "description": _text("D"),
            "source_idea": _text("I"),
            "scoring": {"rule": rule, **scoring},
            "sections": [
                {
                    "key": "a",
                    "title": _text("A"),
                    "items": [
                        {"key": "a1", "type": "plus_minus", "text": _text("a1")},
                        {"key": "a2", "type": "plus_minus", "text": _text("a2")},
                    ],
                },
                {
                    "key": "b",
                    "title": _text("B"),
                    "items": [
                        {"key": "b1", "type": "yes_no", "text": _text("b1")},
                        {"key": "b2", "type": "scale_0_10", "text": _text("b2")},
                        {"key": "b3", "type": "text", "text": _text("b3")},
                    ],
                },
            ],
        }
    )


def test_score_per_section_and_overall_over_answered_items():
    result = score(definition(), {"a1": "+", "a2": "+-", "b1": "no", "b2": 5, "b3": "note"})
    assert [s["score"] for s in result["sections"]] == [75.0, 25.0]
    assert result["overall"] == pytest.approx((1 + 0.5 + 0 + 0.5) / 4 * 100)
    assert (result["answered"], result["total"]) == (5, 5)
    assert [(e["item"], e["value"]) for e in result["agenda"]] == [("a2", "+-"), ("b1", "no")]


def test_score_all_unanswered_is_nan_and_empty_agenda():
    result = score(definition(), {})
    assert math.isnan(result["overall"])
    assert all(math.isnan(s["score"]) for s in result["sections"])
    assert result["agenda"] == [] and result["answered"] == 0


def test_score_all_partly_gives_fifty_and_every_item_on_the_agenda():
    result = score(definition(), {"a1": "+-", "a2": "+-"})
    assert result["sections"][0]["score"] == 50.0
    assert math.isnan(result["sections"][1]["score"])
    assert result["overall"] == 50.0
    assert [e["item"] for e in result["agenda"]] == ["a1", "a2"]


def test_count_rule_counts_full_answers():
    result = score(definition("count"), {"a1": "+", "a2": "+-", "b1": "yes"})
    assert result["result"] == {"rule": "count", "count": 2, "of": 3}


def test_compare_across_versions_matches_by_key():
    old = definition()
    new = definition()
    new["sections"][0]["items"].append({"key": "a3", "type": "plus_minus", "text": _text("a3")})
    result = compare(old, {"a1": "-", "a2": "+", "b1": "no"}, new, {"a1": "+", "a2": "+-", "b1": "no", "a3": "+"})
    changes = {i["item"]: i["change"] for i in result["items"]}
    assert changes == {"a1": "better", "a2": "worse", "b1": "same", "a3": "unknown"}
    assert result["sections"][0]["before"] == 50.0
    assert result["sections"][0]["after"] == pytest.approx(250 / 3)
    assert result["overall"]["delta"] == pytest.approx(62.5 - 100 / 3)


LEVELS = [{"from": 0}, {"from": 50}, {"from": 80}]


@pytest.mark.parametrize(("overall", "expected"), [(0.0, 0), (49.9, 0), (50.0, 1), (79.99, 1), (80.0, 2), (100.0, 2)])
def test_level_is_the_highest_one_the_score_reaches(overall, expected):
    from diagnostics.scoring import level

    assert level(LEVELS, overall) == expected


def test_no_level_without_levels_or_without_a_score():
    from diagnostics.scoring import level

    assert level(None, 90.0) is None and level(LEVELS, float("nan")) is None


def test_advice_is_given_once_for_the_sections_under_75_and_never_for_unscored_ones():
    from diagnostics.scoring import advice_for

    shape = {"sections": [{"key": "a", "advice": "x"}, {"key": "b", "advice": "y"}, {"key": "c", "advice": "x"}]}
    shape["sections"].append({"key": "d"})
    assert advice_for(shape, [74.9, 75.0, 0.0, 10.0]) == [("x", ["a", "c"])]
    assert advice_for(shape, [float("nan"), 50.0, 100.0, 0.0]) == [("y", ["b"])]
