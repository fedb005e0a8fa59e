"""The rules of a settlement row, alone (no database): codes, their order, cents and date bounds."""

import datetime as dt
import random
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest

from clients import settlement_rows as rules

TODAY = dt.date(2024, 2, 29)


def days(*values):
    return np.array(values, dtype="datetime64[D]")


def test_dates_run_from_2000_to_a_year_after_today():
    assert rules.date_bounds(TODAY) == (dt.date(2000, 1, 1), dt.date(2025, 2, 28))
    assert rules.date_bounds(dt.date(2026, 12, 31)) == (dt.date(2000, 1, 1), dt.date(2027, 12, 31))


def test_each_rule_has_its_code_and_a_negative_amount_is_a_refund():
    keys = ["A", "", "B" * 256, "C", "D", "E", "F", "G", "H", "I", "J", "K" * 255]
    dates = days(
        "2024-01-31",
        "2024-01-31",
        "2024-01-31",
        None,
        "1999-12-31",
        "2025-03-01",
        "2024-01-31",
        "2024-01-31",
        "2024-01-31",
        "2024-01-31",
        "2025-02-28",
        "2000-01-01",
    )
    amounts = [10.0, 10.0, 10.0, 10.0, 10.0, 10.0, np.nan, np.inf, 1e12, 0.004, -3.0, -999_999_999_999.99]
    assert rules.check(keys, dates, amounts, today=TODAY).tolist() == [
        rules.OK,
        rules.CLIENT_EMPTY,
        rules.CLIENT_TOO_LONG,
        rules.NOT_A_DATE,
        rules.DATE_OUT_OF_RANGE,
        rules.DATE_OUT_OF_RANGE,
        rules.NOT_A_NUMBER,
        rules.NOT_A_NUMBER,
        rules.AMOUNT_TOO_LARGE,
        rules.AMOUNT_ZERO,
        rules.OK,
        rules.OK,
    ]


def test_a_row_reports_its_first_problem_client_then_date_then_amount():
    codes = rules.check(["", "A", "A"], days("1990-01-01", None, "2024-01-01"), [0.0, 0.0, 1e300], today=TODAY)
    assert codes.tolist() == [rules.CLIENT_EMPTY, rules.NOT_A_DATE, rules.AMOUNT_TOO_LARGE]


def test_the_key_length_is_the_matched_fields():
    assert rules.client_problems(["x" * 32, "x" * 33], key_length=32).tolist() == [rules.OK, rules.CLIENT_TOO_LONG]


def test_cents_are_the_decimal_amounts_the_register_stores():
    generator = random.Random(7)
    for _ in range(2000):
        cents = generator.randint(-(10**14) + 1, 10**14 - 1)
        amount = float(Decimal(cents).scaleb(-2))
        assert rules.to_cents(np.array([amount]))[0] == cents
    assert rules.to_cents(np.array([0.004, 0.005, 0.006, -0.006, np.nan])).tolist()[:4] == [0.0, 0.0, 1.0, -1.0]


def reference(key: str, day, amount: float, today: dt.date, key_length: int) -> int:
    """The rules written row by row, plainly: the vectorised `check` must agree with them."""
    first, last = rules.date_bounds(today)
    if not key:
        return rules.CLIENT_EMPTY
    if len(key) > key_length:
        return rules.CLIENT_TOO_LONG
    if day is None:
        return rules.NOT_A_DATE
    if not first <= day <= last:
        return rules.DATE_OUT_OF_RANGE
    if not np.isfinite(amount):
        return rules.NOT_A_NUMBER
    cents = Decimal(repr(amount)).scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    if abs(cents) >= 10**14:
        return rules.AMOUNT_TOO_LARGE
    return rules.AMOUNT_ZERO if cents == 0 else rules.OK


def test_the_vectorised_check_equals_the_rules_row_by_row_on_random_rows():
    generator = random.Random(11)
    for _ in range(20):
        size = 500
        keys = [generator.choice(["", " ", "k", "k" * 40, "k" * 64, "k" * 65]).strip() for _ in range(size)]
        row_days = [
            generator.choice(
                [
                    None,
                    dt.date(1999, 12, 31),
                    dt.date(2000, 1, 1),
                    TODAY,
                    dt.date(2025, 2, 28),
                    dt.date(2025, 3, 1),
                    dt.date(2010, 6, 15),
                ]
            )
            for _ in range(size)
        ]
        amounts = [
            generator.choice(
                [
                    np.nan,
                    np.inf,
                    -np.inf,
                    0.0,
                    0.001,
                    -0.004,
                    0.01,
                    -250.5,
                    1e12 - 0.01,
                    1e12,
                    -1e15,
                    generator.uniform(-1e6, 1e6),
                ]
            )
            for _ in range(size)
        ]
        key_length = generator.choice([32, 64, 255])
        codes = rules.check(
            keys, np.array(row_days, dtype="datetime64[D]"), np.array(amounts), today=TODAY, key_length=key_length
        )
        assert codes.tolist() == [reference(k, d, a, TODAY, key_length) for k, d, a in zip(keys, row_days, amounts)]


@pytest.mark.parametrize(
    "amount, code",
    [
        (-0.01, rules.OK),
        (0.005, rules.AMOUNT_ZERO),
        (999_999_999_999.994, rules.OK),
        (999_999_999_999.996, rules.AMOUNT_TOO_LARGE),
    ],
)
def test_amount_edges(amount, code):
    assert rules.amount_problems(np.array([amount])).tolist() == [code]
