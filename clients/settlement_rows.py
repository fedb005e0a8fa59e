"""The rules of a settlement row: which dated amounts the client register accepts (pure: no Django).

Settlements arrive in bulk from a file. The file check of segmentation runs `check` on the rows a
file would import and shows each problem in its preview; `services.settlements_import` runs the
same `check` on the same rows before it writes. So a file the preview accepts imports, and a row
the import refuses is one the preview has already shown, with the same row number and message.

A row is a client key, a date and an amount:
- the key is not empty and fits the register (a client's name holds 255 characters; an external
  id or a tax number fewer, so the import passes the length of the field it matches by);
- the date lies between 1 January 2000 and one year after today (anything else is a typo);
- the amount is a number below 10^12 in size (the register keeps 14 digits, 2 of them decimals)
  and is not zero once rounded to cents;
- a negative amount is a refund or a correction (DOMAIN section 5): it is accepted as it is and
  lowers the client's turnover in its month.
The rules run in that order; a row reports its first problem only.
"""

import datetime
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .lifecycle import months_before

EARLIEST = datetime.date(2000, 1, 1)
YEARS_AHEAD = 1
KEY_LENGTH = 255
# 10^12 in cents: the first amount that no longer fits 14 digits with 2 decimals.
CENTS_LIMIT = 1e14

# Problem codes, in the order the rules run (OK: none); `services.settlement_row_message` words them.
# Small integers: a file's millions of cells are checked in arrays of one byte each.
OK = 0
CLIENT_EMPTY, CLIENT_TOO_LONG, NOT_A_DATE, DATE_OUT_OF_RANGE, NOT_A_NUMBER, AMOUNT_TOO_LARGE, AMOUNT_ZERO = range(1, 8)


def date_bounds(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and the last date a settlement may carry: 1 January 2000 and today plus one year."""
    return EARLIEST, months_before(today, -12 * YEARS_AHEAD)


def to_cents(amounts: np.ndarray) -> np.ndarray:
    """Amounts as whole cents (float64), rounded as the register stores them; NaN stays NaN."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.rint(np.asarray(amounts, dtype="float64") * 100)


def _first(rules: list[tuple[int, np.ndarray]], size: int) -> np.ndarray:
    """Per row, the code of the first rule it breaks (OK if none)."""
    codes = np.full(size, OK, dtype=np.int8)
    for code, broken in reversed(rules):  # the earliest rule a row breaks is written last
        codes[broken] = code
    return codes


def client_problems(keys: Sequence[str] | pd.Series, *, key_length: int = KEY_LENGTH) -> np.ndarray:
    """The first problem of each client key (trimmed text)."""
    # A Series of text (as a file is read) measures its keys without a Python loop.
    texts = keys if isinstance(keys, pd.Series) else pd.Series(list(keys), dtype=object)
    lengths = texts.str.len().to_numpy(dtype=np.int64, na_value=0)
    return _first([(CLIENT_EMPTY, lengths == 0), (CLIENT_TOO_LONG, lengths > key_length)], len(lengths))


def date_problems(dates: np.ndarray, *, today: datetime.date) -> np.ndarray:
    """The first problem of each date (datetime64; NaT where the cell is not a date)."""
    days = np.asarray(dates, dtype="datetime64[D]")
    first, last = (np.datetime64(day, "D") for day in date_bounds(today))
    return _first([(NOT_A_DATE, np.isnat(days)), (DATE_OUT_OF_RANGE, (days < first) | (days > last))], len(days))


def amount_problems(amounts: np.ndarray) -> np.ndarray:
    """The first problem of each amount (float; NaN where the cell is not a number)."""
    amounts = np.asarray(amounts, dtype="float64")
    cents = to_cents(amounts)
    with np.errstate(invalid="ignore"):
        rules = [
            (NOT_A_NUMBER, ~np.isfinite(amounts)),
            # Written as "not below" so that an amount too large to scale to cents (inf) is caught.
            (AMOUNT_TOO_LARGE, ~(np.abs(cents) < CENTS_LIMIT)),
            (AMOUNT_ZERO, cents == 0),
        ]
    return _first(rules, len(amounts))


def check(
    keys: Sequence[str] | pd.Series,
    dates: np.ndarray,
    amounts: np.ndarray,
    *,
    today: datetime.date,
    key_length: int = KEY_LENGTH,
) -> np.ndarray:
    """The first problem of each row as a code (OK for a good row): the client's, else the date's, else the amount's."""
    codes = amount_problems(amounts)
    for earlier in (date_problems(dates, today=today), client_problems(keys, key_length=key_length)):
        codes = np.where(earlier != OK, earlier, codes)
    return codes
