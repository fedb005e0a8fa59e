"""The one parse -> validate -> classify pipeline of a file, used by the web jobs and the command.

No database: a caller that stores results does so itself. `progress(percent, message)` is
called at each stage.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm_portal.jobs import JobMessage
from crm_portal.spreadsheets import write_xlsx

from .abcxyz import abc_xyz
from .export import result_sheet
from .guards import Container, Limits, check_file
from .parsing import (
    EXCEL_MAX_COLUMNS,
    LONG,
    Mapping,
    Parsed,
    Table,
    cell_moment,
    detect_mapping,
    header_label,
    read_table,
    settlements_to_wide,
    to_quarters,
    validate,
)

Progress = Callable[[int, str], None]
RESULT_COLUMNS = ["client", "total", "share", "cum_share", "abc", "cv", "xyz"]


@dataclass
class Params:
    a: float = 0.5
    b: float = 0.8
    x: float = 0.10
    y: float = 0.25
    min_history: int = 4
    period: str = "month"  # or "quarter"
    measure: str = "turnover"  # or "margin": a long file's margin column
    start: str = ""  # the window's first month ("2025-01"); empty: the data's first month
    end: str = ""  # the window's last month; empty: the data's last month

    def as_dict(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "x": self.x,
            "y": self.y,
            "min_history": self.min_history,
            "period": self.period,
            "measure": self.measure,
            "start": self.start,
            "end": self.end,
        }


@dataclass
class Loaded:
    container: Container
    sheet: str
    table: Table
    mapping: Mapping
    parsed: Parsed
    reasons: dict[int, list[str]]
    problem_count: int


def _quiet(percent: int, message: str = "") -> None:
    return None


def load(
    path: str | Path,
    *,
    filename: str = "",
    sheet: str = "",
    mapping: Mapping | None = None,
    today: date | None = None,
    limits: Limits | None = None,
    progress: Progress = _quiet,
) -> Loaded:
    """Check, read and validate a file; raise FileRefused for a hostile or unreadable one."""
    progress(5, gettext_noop("Checking the file"))
    container = check_file(path, filename=filename, limits=limits)
    if container.kind == "xlsx":
        visible = [s.name for s in container.sheets if not s.hidden] or [container.sheets[0].name]
        sheet = sheet if sheet in {s.name for s in container.sheets} else visible[0]
    else:
        sheet = container.sheets[0].name
    progress(15, JobMessage(gettext_noop("Reading sheet “%(sheet)s”"), sheet=sheet))
    table = read_table(path, container, sheet)
    mapping = mapping or detect_mapping(table.header)
    progress(40, JobMessage(gettext_noop("Validating %(rows)s rows"), rows=len(table.data)))
    parsed, collected = validate(table, mapping, container=container, sheet=sheet, today=today)
    return Loaded(container, sheet, table, mapping, parsed, collected.reasons(), collected.count)


def wide_of(
    parsed: Parsed, *, period: str = "month", measure: str = "turnover", start: str = "", end: str = ""
) -> pd.DataFrame:
    """Amounts (or margins) per client and period of a valid file, over the window the analyst picked."""
    first = pd.Period(start, freq="M") if start else None
    last = pd.Period(end, freq="M") if end else None
    if first is not None and last is not None and first > last:
        raise ValueError(_("The window's first month comes after its last month."))
    if parsed.mapping.shape != LONG:
        wide = parsed.wide
        if first is not None or last is not None:
            # Months of the window outside the file count as zero; months outside the window are left out.
            columns = pd.period_range(first or wide.columns[0], last or wide.columns[-1], freq="M")
            wide = wide.reindex(columns=columns, fill_value=0.0)
    elif measure == "margin":
        if "margin" not in parsed.settlements.columns:
            raise ValueError(_("ABC by margin needs a margin column: choose it among the columns of the file."))
        wide = settlements_to_wide(parsed.settlements, value="margin", start=first, end=last)
    else:
        wide = settlements_to_wide(parsed.settlements, start=first, end=last)
    return to_quarters(wide) if period == "quarter" else wide


def classify(parsed: Parsed, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(amounts per client and period, classes per client) of a valid file."""
    wide = wide_of(parsed, period=params.period, measure=params.measure, start=params.start, end=params.end)
    result = abc_xyz(wide, a=params.a, b=params.b, x=params.x, y=params.y, min_history=params.min_history)
    return wide, result


def result_frame(result: pd.DataFrame) -> pd.DataFrame:
    frame = result.reset_index()
    frame.columns = RESULT_COLUMNS
    return frame


def write_result(result: pd.DataFrame, target) -> None:
    write_xlsx([result_sheet(result_frame(result))], target)


PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _cell_out(value):
    """A cell as it goes back to the analyst: numbers as numbers, dates as dates, blanks empty."""
    moment = cell_moment(value)
    if moment is not None:
        return moment
    if isinstance(value, str):
        return float(value) if PLAIN_NUMBER.match(value) else (value or None)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def rejected_frame(loaded: Loaded) -> pd.DataFrame:
    """The rows with problems, as they were in the file, with the row number and the reasons."""
    table = loaded.table
    positions = np.array(sorted(loaded.reasons), dtype=np.int64)
    # The row number and the reasons are two more columns: a sheet as wide as Excel allows leaves out
    # its last two (the reasons still name their cells).
    headers = [header_label(h) or table.letter(i) for i, h in enumerate(table.header[: EXCEL_MAX_COLUMNS - 2])]
    rows = table.data.iloc[positions] if len(positions) else table.data.iloc[0:0]
    # Gathered first and made a frame once: adding 16,384 columns one by one to a frame takes minutes.
    columns = {_("Row"): table.row_numbers[positions] if len(positions) else []}
    for position, name in enumerate(headers):
        column = rows[position].to_numpy() if position in rows.columns else [None] * len(positions)
        label = name if name not in columns else f"{name} ({table.letter(position)})"
        columns[label] = [_cell_out(v) for v in column]
    columns[_("Reason")] = ["; ".join(loaded.reasons[int(p)]) for p in positions]
    return pd.DataFrame(columns)
