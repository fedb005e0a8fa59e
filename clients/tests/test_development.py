"""Client development stages, alone."""

import datetime as dt

import pytest

from clients.development import development_stage

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("purchases", "stage"),
    [
        ([], "acquisition"),
        ([(D("2026-01-05"), 1)], "first_sale"),
        ([(D("2026-01-05"), 1), (D("2026-01-05"), 2)], "first_sale"),
        ([(D("2026-01-05"), 1), (D("2026-02-05"), 1)], "repeat_first"),
        ([(D("2026-01-05"), 1), (D("2026-01-05"), 2), (D("2026-03-01"), 2)], "repeat_first"),
        ([(D("2026-01-05"), 1), (D("2026-02-05"), 1), (D("2026-03-05"), 2)], "new_line"),
        ([(D("2026-03-05"), 2), (D("2026-01-05"), None)], "new_line"),
        ([(D("2026-01-05"), 1), (D("2026-03-05"), 2), (D("2026-03-05"), 2)], "new_line"),
        ([(D("2026-01-05"), 1), (D("2026-03-05"), 2), (D("2026-04-05"), 2)], "repeat_new"),
    ],
)
def test_development_stage(purchases, stage):
    assert development_stage(purchases) == stage
