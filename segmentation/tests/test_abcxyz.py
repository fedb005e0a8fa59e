"""The classification on hand-computed cases, one boundary per test."""

import math

import numpy as np
import pandas as pd
import pytest

from segmentation.abcxyz import COLUMNS, abc_xyz


def wide(rows: dict, periods: int | None = None) -> pd.DataFrame:
    n = periods or max(len(v) for v in rows.values())
    return pd.DataFrame.from_dict(rows, orient="index", columns=[f"p{i}" for i in range(n)])


def test_columns_and_index_follow_the_input():
    frame = wide({"b": [1, 1, 1, 1], "a": [3, 3, 3, 3]})
    result = abc_xyz(frame)
    assert list(result.columns) == COLUMNS
    assert list(result.index) == ["b", "a"]


def test_the_client_that_crosses_50_and_80_percent_joins_the_higher_class():
    # Totals 40, 30, 20, 10 of 100: before-shares 0, .40, .70, .90.
    frame = wide({"c1": [40], "c2": [30], "c3": [20], "c4": [10]})
    result = abc_xyz(frame, min_history=1)
    assert list(result["abc"]) == ["A", "A", "B", "C"]
    assert list(result["share"]) == [0.4, 0.3, 0.2, 0.1]
    assert list(result["cum_share"]) == [0.4, 0.7, 0.9, 1.0]


def test_before_share_exactly_at_a_boundary_is_the_lower_class():
    # Totals 50, 30, 20: the second client starts at exactly 50%, the third at exactly 80%.
    frame = wide({"c1": [50], "c2": [30], "c3": [20]})
    assert list(abc_xyz(frame)["abc"]) == ["A", "B", "C"]


def test_decimal_amounts_at_a_boundary_are_not_moved_by_binary_rounding():
    # Sums of 0.1 and 0.2 are not exact in binary floating point (0.7 - 0.2 = 0.49999999999999994);
    # the share before c2 is 50% exactly and must be read so.
    frame = wide({"c1": [0.1], "c2": [0.2], "c3": [0.2], "c4": [0.5]})
    result = abc_xyz(frame)
    # Order: c4 (0.5), then ties 0.2 by id: c2, c3, then c1.
    assert result.loc["c4", "abc"] == "A"
    assert result.loc["c2", "abc"] == "B"  # 50% before it, exactly
    assert result.loc["c3", "abc"] == "B"  # 70% before it
    assert result.loc["c1", "abc"] == "C"  # 90% before it


def test_largest_client_is_always_a_even_above_every_threshold():
    frame = wide({"big": [99], "small": [1]})
    result = abc_xyz(frame, a=0.1, b=0.2)
    assert list(result["abc"]) == ["A", "C"]


def test_ties_are_ordered_by_client_id():
    # Four equal clients: before-shares 0, .25, .50, .75 in id order.
    frame = wide({"d": [10], "b": [10], "a": [10], "c": [10]})
    result = abc_xyz(frame)
    assert result["abc"].to_dict() == {"a": "A", "b": "A", "c": "B", "d": "B"}
    assert result["cum_share"].to_dict() == {"a": 0.25, "b": 0.5, "c": 0.75, "d": 1.0}


def test_ties_with_integer_ids_use_numeric_order():
    frame = pd.DataFrame({"p0": [5, 5, 5]}, index=[10, 2, 33])
    result = abc_xyz(frame)
    # 2 first, 10 second (33% before it), 33 third (67% before it).
    assert result["abc"].to_dict() == {2: "A", 10: "A", 33: "B"}


def test_zero_and_negative_totals_are_c_and_do_not_count_in_the_base():
    frame = wide({"pos": [60, 0], "neg": [-30, 0], "zero": [0, 0], "pos2": [40, 0]})
    result = abc_xyz(frame, min_history=1)
    assert result["abc"].to_dict() == {"pos": "A", "neg": "C", "zero": "C", "pos2": "B"}
    assert result.loc["neg", "share"] == -0.3
    assert result.loc["zero", "share"] == 0.0
    assert result.loc["pos2", "cum_share"] == 1.0
    assert result.loc["neg", "cum_share"] == 1.0


def test_everything_zero_is_all_c_with_zero_shares():
    frame = wide({"a": [0, 0, 0, 0], "b": [0, 0, 0, 0]})
    result = abc_xyz(frame)
    assert list(result["abc"]) == ["C", "C"]
    assert list(result["share"]) == [0.0, 0.0]
    assert list(result["xyz"]) == ["", ""]
    assert result["cv"].isna().all()


def test_one_client_is_a():
    result = abc_xyz(wide({"only": [1, 2, 3, 4]}))
    assert result.loc["only", "abc"] == "A"
    assert result.loc["only", "share"] == 1.0
    # mean 2.5, deviations -1.5 -0.5 0.5 1.5, DEVSQ 5, /4 = 1.25, sqrt = 1.1180..., CV 0.4472
    assert result.loc["only", "cv"] == pytest.approx(math.sqrt(1.25) / 2.5)
    assert result.loc["only", "xyz"] == "Z"


def test_all_equal_clients_and_flat_demand():
    frame = wide({"a": [7, 7, 7, 7], "b": [7, 7, 7, 7]})
    result = abc_xyz(frame)
    assert list(result["abc"]) == ["A", "B"]  # b starts at exactly 50%
    assert list(result["cv"]) == [0.0, 0.0]
    assert list(result["xyz"]) == ["X", "X"]


def test_cv_exactly_10_percent_is_x_and_exactly_25_percent_is_y():
    frame = wide(
        {
            # mean 100, deviations +-10: population sd 10, CV 0.10
            "ten": [90, 110, 90, 110],
            # mean 100, deviations +-25: CV 0.25
            "quarter": [75, 125, 75, 125],
            # mean 100, deviations +-11: CV 0.11
            "eleven": [89, 111, 89, 111],
            # mean 100, deviations +-26: CV 0.26
            "twentysix": [74, 126, 74, 126],
        }
    )
    result = abc_xyz(frame)
    assert result["cv"].to_dict() == {"ten": 0.1, "quarter": 0.25, "eleven": 0.11, "twentysix": 0.26}
    assert result["xyz"].to_dict() == {"ten": "X", "quarter": "Y", "eleven": "Y", "twentysix": "Z"}


def test_cv_uses_the_population_deviation_not_the_sample_one():
    # History from the first non-zero period: 10, 0, 10 -> mean 20/3; DEVSQ / n (not n - 1).
    result = abc_xyz(wide({"c": [0, 10, 0, 10]}), min_history=3)
    mean = 20 / 3
    sd = math.sqrt(((10 - mean) ** 2 * 2 + mean**2) / 3)
    assert result.loc["c", "cv"] == pytest.approx(sd / mean)
    assert result.loc["c", "cv"] == pytest.approx(0.7071067811865476)  # sqrt(2) / 2


def test_history_starts_at_the_first_non_zero_period_and_zeros_inside_count():
    # Window of 6; history from p2: 100, 0, 100, 100 -> mean 75, DEVSQ 3*625+5625 = 7500,
    # /4 = 1875, sd 43.30, CV 0.5774.
    result = abc_xyz(wide({"c": [0, 0, 100, 0, 100, 100]}))
    assert result.loc["c", "cv"] == pytest.approx(math.sqrt(1875) / 75)
    assert result.loc["c", "xyz"] == "Z"


def test_fewer_periods_than_the_minimum_history_has_no_xyz():
    frame = wide({"young": [0, 0, 0, 5, 5, 5], "old": [0, 0, 5, 5, 5, 5]})
    result = abc_xyz(frame)
    assert result.loc["young", "xyz"] == ""
    assert np.isnan(result.loc["young", "cv"])
    assert result.loc["old", "xyz"] == "X"
    assert result.loc["old", "cv"] == 0.0
    # The young client still has an ABC class.
    assert result.loc["young", "abc"] == "B"


def test_minimum_history_is_a_parameter():
    frame = wide({"c": [5, 5]})
    assert abc_xyz(frame)["xyz"].iloc[0] == ""
    assert abc_xyz(frame, min_history=2)["xyz"].iloc[0] == "X"


def test_zero_or_negative_mean_has_no_xyz():
    frame = wide({"refunds": [10, -10, 10, -10], "negative": [-5, -5, -5, -5]})
    result = abc_xyz(frame)
    assert list(result["xyz"]) == ["", ""]
    assert result["cv"].isna().all()
    assert list(result["abc"]) == ["C", "C"]


def test_missing_values_count_as_zero():
    frame = wide({"c": [10, np.nan, 10, 10]})
    result = abc_xyz(frame)
    assert result.loc["c", "total"] == 30
    # 10, 0, 10, 10: mean 7.5, DEVSQ 3*6.25+56.25 = 75, /4 = 18.75
    assert result.loc["c", "cv"] == pytest.approx(math.sqrt(18.75) / 7.5)


def test_thresholds_are_parameters():
    frame = wide({"c1": [40], "c2": [30], "c3": [20], "c4": [10]})
    result = abc_xyz(frame, a=0.3, b=0.6, min_history=1)
    assert list(result["abc"]) == ["A", "B", "C", "C"]
    flat = wide({"c": [90, 110, 90, 110]})
    assert abc_xyz(flat, x=0.05, y=0.1)["xyz"].iloc[0] == "Y"


def test_bad_thresholds_are_refused():
    frame = wide({"c": [1]})
    with pytest.raises(ValueError):
        abc_xyz(frame, a=0.8, b=0.5)
    with pytest.raises(ValueError):
        abc_xyz(frame, x=0.3, y=0.2)
    with pytest.raises(ValueError):
        abc_xyz(frame, min_history=0)


def test_empty_frame():
    result = abc_xyz(pd.DataFrame(columns=["p0", "p1"], dtype=float))
    assert list(result.columns) == COLUMNS
    assert len(result) == 0


def test_module_has_no_django_import():
    import segmentation.abcxyz as module

    source = open(module.__file__, encoding="utf-8").read()
    assert "django" not in source.lower().replace("no django", "")
