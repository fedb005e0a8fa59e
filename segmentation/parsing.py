"""Read a checked file into a table, recognise its shape and columns, validate every cell.

No database here: the web upload, the Celery job and the `abcxyz` command share this module.
Validation is vectorised over columns; each problem names the spreadsheet row, the column and
what is wrong. A file with any problem is never imported.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients import settlement_rows
from clients.services import settlement_row_message
from crm_portal.spreadsheets import column_letter

from .guards import ERROR_VALUES, Container, FileRefused
from .reading import read_sheet

WIDE = "wide"
LONG = "long"
ROLES = ("client", "date", "amount", "margin", "product", "document")
# What becomes of a long file's rows that repeat an earlier row in every mapped cell: kept as
# repeated purchases (the default), or dropped as entered twice.
KEEP, DROP = "keep", "drop"

# Header words per role, lower case; a header containing one of them takes the role.
# Order matters where headers overlap: "дата документа" is a date, not a document.
ROLE_WORDS = {
    "date": ("date", "дата", "period", "период", "month", "месяц", "day", "день"),
    "margin": ("margin", "маржа", "маржин", "profit", "прибыль"),
    "amount": (
        "amount",
        "sum",
        "сумма",
        "выручка",
        "оборот",
        "revenue",
        "turnover",
        "sales",
        "продаж",
        "value",
        "оплата",
        "payment",
    ),
    "product": ("product", "продукт", "товар", "номенклатура", "item", "услуга", "service"),
    "document": ("document", "документ", "invoice", "счет", "счёт", "накладная"),
    "client": (
        "client",
        "customer",
        "клиент",
        "контрагент",
        "покупатель",
        "заказчик",
        "партнер",
        "партнёр",
        "company",
        "компания",
        "организация",
        "name",
        "наименование",
        "id",
        "код",
        "инн",
    ),
}
MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "янв": 1,
    "фев": 2,
    "мар": 3,
    "апр": 4,
    "май": 5,
    "мая": 5,
    "июн": 6,
    "июл": 7,
    "авг": 8,
    "сен": 9,
    "окт": 10,
    "ноя": 11,
    "дек": 12,
}
# The widest sheet Excel writes (column XFD); a .csv may not be wider.
EXCEL_MAX_COLUMNS = 16_384
# A header as messages and the page name its column: long enough to recognise, short enough that a
# row's reasons fit a spreadsheet cell (32,767 characters) and the stored header stays small.
LABEL_CHARS = 60
# A row's reasons as the rejected rows list them: a row of a very wide file can have thousands.
REASONS_PER_ROW = 20
# Excel day numbers from 2000-01-01 to 2099-12-31, read as dates in a header row.
SERIAL_RANGE = (36526, 73415)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass
class Table:
    """A sheet as read: header cells, data cells (object columns), spreadsheet numbering."""

    header: list
    data: pd.DataFrame
    row_numbers: np.ndarray
    first_column: int = 0

    def letter(self, position: int) -> str:
        return column_letter(self.first_column + position)

    def label(self, position: int) -> str:
        text = header_label(self.header[position])[:LABEL_CHARS] if position < len(self.header) else ""
        return f"{self.letter(position)} ({text})" if text else self.letter(position)


@dataclass
class Mapping:
    shape: str = ""
    client: int | None = None
    date: int | None = None
    amount: int | None = None
    margin: int | None = None
    product: int | None = None
    document: int | None = None
    months: list[int] = field(default_factory=list)
    duplicates: str = KEEP

    def as_dict(self) -> dict:
        return {
            "shape": self.shape,
            **{role: getattr(self, role) for role in ROLES},
            "months": list(self.months),
            "duplicates": self.duplicates,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Mapping":
        return cls(
            shape=data.get("shape", ""),
            months=[int(m) for m in data.get("months", [])],
            duplicates=DROP if data.get("duplicates") == DROP else KEEP,
            **{role: (None if data.get(role) in (None, "") else int(data[role])) for role in ROLES},
        )

    def positions(self) -> list[int]:
        """The columns the mapping reads."""
        return [p for p in (*(getattr(self, role) for role in ROLES), *self.months) if p is not None]


@dataclass
class Problem:
    row: int | None  # spreadsheet row number; None for the file or a header
    column: str  # e.g. "C (Amount)", "" for a whole row or the file
    value: str
    message: str
    position: int | None = None  # the column's position in the table
    is_date: bool = False  # the value is a date (ISO), shown in the reader's format

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "position": self.position,
            "date": self.is_date,
        }


@dataclass
class Parsed:
    """The outcome of validation: problems, or clean data ready to classify or import."""

    mapping: Mapping
    problems: list[Problem]
    bad_rows: np.ndarray  # positions into table.data of rows with a problem
    wide: pd.DataFrame | None = None  # index client, columns pd.Period (month), values amounts
    wide_rows: np.ndarray | None = None  # wide: the spreadsheet row of each client of `wide`
    settlements: pd.DataFrame | None = None  # long: row, client, date, amount[, margin, product, document]
    negative_count: int = 0  # negative amounts: refunds, accepted (they lower the client's total)
    # A long file's rows equal in every mapped cell to an earlier row, and the first (row, earlier row).
    duplicate_count: int = 0
    duplicate_example: tuple[int, int] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def duplicates_summary(self) -> dict:
        """The repeated rows as a dataset keeps them: {"count", "row", "first"}, or {} when there are none."""
        if not self.duplicate_count:
            return {}
        row, first = self.duplicate_example
        return {"count": self.duplicate_count, "row": row, "first": first}


def header_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if (value.hour, value.minute) == (0, 0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


# How the reader gives a date cell of a column that also holds text: as text with a midnight time.
READER_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def cell_moment(value) -> datetime | None:
    """The date (and time) a cell holds, or None: a date cell, or the text the reader makes of one."""
    if isinstance(value, str):
        return datetime.fromisoformat(value) if READER_DATE_TEXT.match(value) else None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if value is pd.NaT:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    return None


def cell_display(value) -> tuple[str, bool]:
    """A cell as the preview shows it: (text, is a date). A date is ISO text ("2024-02-15", with
    "T14:30:00" only when it has a time) that the page writes in the reader's format."""
    moment = cell_moment(value)
    if moment is None:
        return header_text(value), False
    return (moment.date().isoformat() if moment.time() == time() else moment.isoformat(timespec="seconds")), True


def header_label(value) -> str:
    """A header as a person reads it: a month written as a date (or Excel day number) as 2025-01."""
    if isinstance(value, (int, float, date)) and not isinstance(value, bool):
        period = parse_month(value)
        if period is not None:
            return str(period)
    return header_text(value)


# ---------------------------------------------------------------- reading


def read_table(path: str | Path, container: Container, sheet: str = "") -> Table:
    if container.kind == "csv":
        return _read_csv(Path(path))
    header, data, header_row, first_column = read_sheet(path, container, sheet or container.sheets[0].name)
    return Table(
        header=header,
        data=data,
        row_numbers=np.arange(len(data), dtype=np.int64) + header_row + 1,
        first_column=first_column,
    )


def _read_csv(path: Path) -> Table:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    # Blank lines are kept as empty rows (skipped later), so that a row's number is its line number;
    # blank lines before the header are counted and dropped.
    body = text.lstrip("\r\n")
    lines_before = text[: len(text) - len(body)].count("\n")
    first_line = body.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    # Before pandas reads it: a 20 MB line of delimiters would be millions of columns (a later row
    # wider than the first is refused by the reader).
    width = len(next(csv.reader([first_line], delimiter=delimiter), []))
    if width > EXCEL_MAX_COLUMNS:
        raise FileRefused(
            _("The file has %(count)s columns; a spreadsheet holds at most %(limit)s.")
            % {
                "count": number_format(width, 0, force_grouping=True),
                "limit": number_format(EXCEL_MAX_COLUMNS, 0, force_grouping=True),
            }
        )
    try:
        frame = pd.read_csv(
            io.StringIO(body),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as error:
        raise FileRefused(_("The .csv file cannot be read: %(error)s") % {"error": str(error)[:200]}) from None
    if frame.empty:
        return Table(header=[], data=pd.DataFrame(), row_numbers=np.array([], dtype=np.int64))
    header = list(frame.iloc[0])
    data = frame.iloc[1:].reset_index(drop=True)
    data.columns = range(data.shape[1])
    return Table(header=header, data=data, row_numbers=np.arange(len(data), dtype=np.int64) + 2 + lines_before)


# ---------------------------------------------------------------- recognising


def parse_month(value) -> pd.Period | None:
    """A month from a header: a date, an Excel day number, "2025-01", "01.2025", "янв 2025"..."""
    if isinstance(value, (datetime, date)):
        return pd.Period(year=value.year, month=value.month, freq="M")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
            stamp = EXCEL_EPOCH + pd.Timedelta(days=int(value))
            return pd.Period(year=stamp.year, month=stamp.month, freq="M")
        return None
    text = str(value).strip().lower().replace("ё", "е")
    if not text:
        return None
    patterns = (
        (r"^(\d{4})[-./](\d{1,2})(?:[-./](\d{1,2}))?(?:[ t]00:00(?::00)?)?$", lambda m: (m[1], m[2])),
        (r"^(\d{1,2})[-./](\d{4})$", lambda m: (m[2], m[1])),
        (r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$", lambda m: (m[3], m[2])),
    )
    for pattern, pick in patterns:
        match = re.match(pattern, text)
        if match:
            year, month = (int(x) for x in pick(match))
            return pd.Period(year=year, month=month, freq="M") if 1 <= month <= 12 and 1900 < year < 2200 else None
    match = re.match(r"^([a-zа-я]{3,})\.?[\s\-'’_]*(\d{2}|\d{4})(?:\s*г\.?)?$", text)
    if match and match[1][:3] in MONTHS:
        year = int(match[2])
        year = year + 2000 if year < 100 else year
        return pd.Period(year=year, month=MONTHS[match[1][:3]], freq="M")
    return None


def detect_mapping(header: list) -> Mapping:
    """Guess the shape and the role of each column from the header row."""
    months = [i for i, value in enumerate(header) if parse_month(value) is not None]
    is_month = set(months)
    texts = [header_text(value).lower() for value in header]
    found: dict[str, int] = {}
    for role, words in ROLE_WORDS.items():
        for position, text in enumerate(texts):
            if position in is_month or position in found.values():
                continue
            if any(word in text for word in words):
                found[role] = position
                break
    mapping = Mapping(**found)
    if len(months) >= 2:
        mapping.shape = WIDE
        mapping.months = months
        mapping.date = mapping.amount = mapping.margin = mapping.product = mapping.document = None
        if mapping.client is None:
            others = [i for i in range(len(header)) if i not in is_month]
            mapping.client = others[0] if others else None
    elif mapping.date is not None and mapping.amount is not None:
        mapping.shape = LONG
        if mapping.client is None:
            taken = {mapping.date, mapping.amount, mapping.margin, mapping.product, mapping.document}
            others = [i for i in range(len(header)) if i not in taken]
            mapping.client = others[0] if others else None
    return mapping


# ---------------------------------------------------------------- validating


def _kind(column: pd.Series) -> str:
    """ "number", "date", "text" or "mixed" (object columns of Python values)."""
    return _dtype_kind(column.dtype)


def _dtype_kind(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_string_dtype(dtype) and dtype is not np.dtype(object):
        return "text"
    return "mixed"


def _blank(column: pd.Series) -> np.ndarray:
    """Empty cells: missing, or text of nothing but spaces."""
    kind = _kind(column)
    if kind in ("number", "date", "bool"):
        return column.isna().to_numpy()
    if kind == "text":
        return (column.isna() | column.str.strip().eq("")).fillna(True).to_numpy(dtype=bool)
    values = column.to_numpy(dtype=object)
    blank = pd.isna(values)
    text = np.array([isinstance(v, str) for v in values], dtype=bool)
    if text.any():
        blank[text] = pd.Series(values[text], dtype=object).str.strip().eq("").to_numpy()
    return blank


TYPED = ("number", "date", "bool")  # kinds the reader typed: a cell is a value of the type, or missing
BLOCK_CELLS = 1 << 20


def _blocks(positions: list, rows: int):
    """`positions` in slices of about a million cells: a sheet's typed columns are read a block at a time
    (16,384 columns one by one take seconds), without copying a tall sheet whole."""
    step = max(1, BLOCK_CELLS // max(rows, 1))
    for start in range(0, len(positions), step):
        yield positions[start : start + step]


def _empty_rows(data: pd.DataFrame, kinds: list[str]) -> np.ndarray:
    """Rows without a value in any cell (as `_blank` reads a cell), found a block of columns at a time."""
    empty = np.ones(len(data), dtype=bool)
    for block in _blocks([p for p, kind in zip(data.columns, kinds) if kind in TYPED], len(data)):
        if not empty.any():
            return empty  # the usual case, soon: every row has a client
        empty &= data[block].isna().all(axis=1).to_numpy()
    for block in _blocks([p for p, kind in zip(data.columns, kinds) if kind == "text"], len(data)):
        if not empty.any():
            return empty
        cells = data[block].to_numpy(dtype=object)
        blank = pd.isna(cells)
        blank[~blank] = pd.Series(cells[~blank], dtype=object).str.strip().eq("").to_numpy(dtype=bool)
        empty &= blank.all(axis=1)
    for position, kind in zip(data.columns, kinds):
        if kind == "mixed" and empty.any():
            empty &= _blank(data[position])
    return empty


def _texts(column: pd.Series) -> pd.Series:
    """Cells as trimmed text (whole numbers without a trailing .0, dates as ISO)."""
    kind = _kind(column)
    if kind == "text":
        return column.fillna("").str.strip()
    if kind == "number":
        values = column.to_numpy(dtype="float64")
        whole = np.isfinite(values) & (np.mod(values, 1) == 0)
        out = np.where(whole, np.where(whole, values, 0).astype(np.int64).astype(str), values.astype(str))
        out[np.isnan(values)] = ""
        return pd.Series(out, index=column.index, dtype=object)
    if kind == "date":
        return column.dt.strftime("%Y-%m-%d").fillna("").astype(object)
    return pd.Series([header_text(v) for v in column.to_numpy(dtype=object)], index=column.index, dtype=object)


NUMBER_RE = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


def _numbers(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Amounts from cells; (amounts with blanks as NaN, mask of cells that are not numbers)."""
    kind = _kind(column)
    if kind == "number":
        return column.astype("float64").reset_index(drop=True), np.zeros(len(column), dtype=bool)
    blank = _blank(column)
    if kind in ("date", "bool"):
        return pd.Series(np.full(len(column), np.nan)), ~blank
    text = _texts(column).to_numpy(dtype=object)
    # "1 234,50" and "1234,5": spaces as thousands separators, a comma as the decimal mark.
    cleaned = (
        pd.Series(text, dtype="str").str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".", regex=False)
    )
    valid = cleaned.str.match(NUMBER_RE).fillna(False).to_numpy(dtype=bool)
    numbers = pd.Series(np.full(len(column), np.nan))
    if valid.any():
        numbers[valid] = pd.to_numeric(cleaned[valid]).astype("float64").to_numpy()
    if kind == "mixed":
        # Python booleans (True/False cells) are not amounts even though they convert to 1 and 0.
        booleans = np.array([isinstance(v, (bool, np.bool_)) for v in column.to_numpy(dtype=object)], dtype=bool)
        valid = valid & ~booleans
        numbers[booleans] = np.nan
    return numbers, ~valid & ~blank


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%d/%m/%Y", "%d.%m.%y")
# An Excel day number written as text (a .csv, or a column the reader gives as text because it also holds dates).
SERIAL_TEXT = r"\d{5}(?:\.\d+)?"


def _serial_dates(numbers: np.ndarray) -> np.ndarray:
    """Excel day numbers (a fraction is the time of day) as datetime64; NaT outside SERIAL_RANGE."""
    numbers = np.asarray(numbers, dtype="float64")
    result = np.full(len(numbers), np.datetime64("NaT"), dtype="datetime64[us]")
    with np.errstate(invalid="ignore"):
        inside = (numbers >= SERIAL_RANGE[0]) & (numbers <= SERIAL_RANGE[1])
    seconds = np.rint(numbers[inside] * 86400).astype(np.int64).astype("timedelta64[s]")
    result[inside] = EXCEL_EPOCH.to_datetime64().astype("datetime64[us]") + seconds
    return result


def _dates(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates from cells (date cells, Excel day numbers, text in DATE_FORMATS); (dates, mask of cells that are not dates)."""
    kind = _kind(column)
    if kind == "date":
        dates = column.astype("datetime64[us]").reset_index(drop=True)
        return dates, dates.isna().to_numpy()
    result = pd.Series(pd.NaT, index=range(len(column)), dtype="datetime64[us]")
    if kind == "bool":
        return result, np.ones(len(column), dtype=bool)
    if kind == "number":
        result[:] = _serial_dates(column.to_numpy(dtype="float64", na_value=np.nan))
        return result, result.isna().to_numpy()
    raw = column.to_numpy(dtype=object)
    if kind == "mixed":
        stamps = np.array([isinstance(v, (datetime, date)) for v in raw], dtype=bool)
        if stamps.any():
            result[stamps] = pd.to_datetime(pd.Series(raw[stamps]), errors="coerce").astype("datetime64[us]").to_numpy()
        numbers = np.array(
            [isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) for v in raw],
            dtype=bool,
        )
        if numbers.any():
            result[numbers] = _serial_dates(raw[numbers].astype("float64"))
        texts = np.array([isinstance(v, str) for v in raw], dtype=bool)
    else:
        texts = ~pd.isna(raw)
    if texts.any():
        strings = pd.Series(raw[texts], dtype="str").str.strip()
        parsed = pd.Series(pd.NaT, index=strings.index, dtype="datetime64[us]")
        for pattern in DATE_FORMATS:
            missing = parsed.isna().to_numpy()
            if not missing.any():
                break
            parsed[missing] = pd.to_datetime(strings[missing], format=pattern, errors="coerce").astype("datetime64[us]")
        serial = parsed.isna().to_numpy() & strings.str.fullmatch(SERIAL_TEXT).to_numpy(dtype=bool, na_value=False)
        if serial.any():
            parsed[serial] = _serial_dates(strings[serial].astype("float64").to_numpy())
        result[texts] = parsed.to_numpy()
    return result, result.isna().to_numpy()


class _Collector:
    """Gathers problems column by column; lists them in file order (row, then column) at the end."""

    def __init__(self, table: Table, limit: int):
        self.table = table
        self.limit = limit
        self.count = 0
        self.rows = np.zeros(len(table.data), dtype=bool)
        self.file_problems: list[Problem] = []
        self.found: list[tuple[np.ndarray, int | None, str, pd.Series | None]] = []
        self.taken: dict[int, np.ndarray] = {}  # per column, the cells that already have a problem

    def add(self, mask: np.ndarray, position: int | None, message: str, values: pd.Series | None = None) -> None:
        """Record a problem of the cells in `mask`; a cell keeps its first problem only."""
        if position is not None:
            taken = self.taken.setdefault(position, np.zeros(len(self.rows), dtype=bool))
            mask = mask & ~taken
            taken |= mask
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        self.rows[positions] = True
        self.count += len(positions)
        self.found.append((positions, position, message, values))

    def file(self, message: str, column: str = "") -> None:
        """A problem of the whole file or of a header: listed before the rows' problems."""
        self.count += 1
        self.file_problems.append(Problem(None, column, "", message))

    def _order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row index, column position, entry of `found`) of every cell problem, sorted as in the file."""
        if not self.found:
            empty = np.array([], dtype=np.int64)
            return empty, empty, empty
        indexes = np.concatenate([positions for positions, *_ in self.found])
        columns = np.concatenate(
            [np.full(len(positions), -1 if position is None else position) for positions, position, *_ in self.found]
        )
        entries = np.concatenate([np.full(len(found[0]), number) for number, found in enumerate(self.found)])
        order = np.lexsort((entries, columns, indexes))
        return indexes[order], columns[order], entries[order]

    def problems(self) -> list[Problem]:
        """The file's problems, then the cells' in file order, at most `limit` in all."""
        listed = list(self.file_problems)
        indexes, _columns, entries = self._order()
        for index, entry in zip(indexes[: max(self.limit - len(listed), 0)], entries):
            _positions, position, message, values = self.found[entry]
            value, is_date = ("", False) if values is None else cell_display(values.iloc[index])
            listed.append(
                Problem(
                    int(self.table.row_numbers[index]),
                    self.table.label(position) if position is not None else "",
                    value[:100],
                    message,
                    position,
                    is_date,
                )
            )
        return listed

    def reasons(self) -> dict[int, list[str]]:
        """Every row with a problem (its index in the data) and what is wrong with it, column by column:
        the first REASONS_PER_ROW, then how many more (so that a row's reasons fit one spreadsheet cell)."""
        labels: dict[int | None, str] = {}
        reasons: dict[int, list[str]] = {}
        more: dict[int, int] = {}
        indexes, _columns, entries = self._order()
        for index, entry in zip(indexes.tolist(), entries.tolist()):
            listed = reasons.setdefault(index, [])
            if len(listed) == REASONS_PER_ROW:
                more[index] = more.get(index, 0) + 1
                continue
            _positions, position, message, _values = self.found[entry]
            if position not in labels:
                labels[position] = self.table.label(position) if position is not None else ""
            listed.append(f"{labels[position]}: {message}" if labels[position] else message)
        for index, count in more.items():
            reasons[index].append(
                ngettext("and %(count)s more problem in this row", "and %(count)s more problems in this row", count)
                % {"count": number_format(count, 0, force_grouping=True)}
            )
        return reasons


def validate(
    table: Table,
    mapping: Mapping,
    *,
    container: Container,
    sheet: str = "",
    today: date | None = None,
    limit: int = 5000,
) -> tuple[Parsed, "_Collector"]:
    """Check every cell the mapping uses; build the clean data only when nothing is wrong.

    Besides reading each cell, the rows the file would import into the client register must pass
    the register's own rules (`clients.settlement_rows`), with the messages the import gives: so a
    valid file imports, and a row the import would refuse is shown here first.
    """
    today = today or date.today()
    collect = _Collector(table, limit)
    info = container.sheet(sheet or container.sheets[0].name) if container.kind == "xlsx" else None
    if container.kind == "xlsx":
        for other in container.sheets:
            if other.hidden:
                collect.file(
                    _("Sheet “%(sheet)s” is hidden: show or delete it, so that nothing in the file goes unseen.")
                    % {"sheet": other.name}
                )
        if info.has_merged_cells:
            collect.file(
                _("Sheet “%(sheet)s” has merged cells: unmerge them so that every row has its own values.")
                % {"sheet": info.name}
            )
        if info.untrusted_formula_count:
            count = info.untrusted_formula_count
            cells = ", ".join(info.untrusted_formulas) + (", …" if count > len(info.untrusted_formulas) else "")
            collect.file(
                ngettext(
                    "Sheet “%(sheet)s”: the formula in cell %(cells)s has no computed value stored in the file (the program "
                    "that wrote it left the calculation to a spreadsheet). Open the workbook in Excel or LibreOffice and "
                    "save it, so that the values are computed, or save the cells as values.",
                    "Sheet “%(sheet)s”: the formulas in %(count)s cells (%(cells)s) have no computed values stored in the "
                    "file (the program that wrote it left the calculation to a spreadsheet). Open the workbook in Excel or "
                    "LibreOffice and save it, so that the values are computed, or save the cells as values.",
                    count,
                )
                % {"sheet": info.name, "cells": cells, "count": count}
            )
    data = table.data
    kinds = [_dtype_kind(dtype) for dtype in data.dtypes]
    keep = ~_empty_rows(data, kinds)
    if not table.header:
        collect.file(_("The sheet is empty."))
        return Parsed(mapping, collect.problems(), np.flatnonzero(collect.rows)), collect
    if mapping.shape not in (WIDE, LONG):
        collect.file(_("Could not tell the shape of the table: choose the columns below."))
        return Parsed(mapping, collect.problems(), np.flatnonzero(collect.rows)), collect
    if mapping.client is None or mapping.client >= data.shape[1] and len(data):
        collect.file(_("Choose the column with the client."))
        return Parsed(mapping, collect.problems(), np.flatnonzero(collect.rows)), collect
    if not keep.any():
        collect.file(_("The table has a header but no rows."))
    # First, so that an error cell is named as one (each cell reports its first problem only).
    for position in mapping.positions():
        if position < data.shape[1] and kinds[position] not in TYPED:
            _error_cells(collect, keep, data[position], position)
    clients = data[mapping.client] if len(data) else pd.Series([], dtype=object)
    client_text = _texts(clients)
    _refuse(collect, keep, settlement_rows.client_problems(client_text), mapping.client, clients, today)
    if mapping.shape == WIDE:
        parsed = _validate_wide(table, mapping, collect, keep, client_text, today, kinds)
    else:
        parsed = _validate_long(table, mapping, collect, keep, client_text, today)
    parsed.problems = collect.problems()
    parsed.bad_rows = np.flatnonzero(collect.rows)
    if not parsed.ok:
        parsed.wide = parsed.settlements = None
    return parsed, collect


def _error_cells(collect: _Collector, candidates: np.ndarray, column: pd.Series, position: int) -> None:
    """Cells holding an error value (#DIV/0!): a failed formula, or its error saved as a value or as text."""
    kind = _kind(column)
    if kind == "text":
        texts = column.str.strip()  # vectorised on the reader's text column
    elif kind == "mixed":
        texts = pd.Series(
            [v.strip() if isinstance(v, str) else None for v in column.to_numpy(dtype=object)], dtype=object
        )
    else:
        return
    errors = texts.isin(ERROR_VALUES).to_numpy(dtype=bool, na_value=False) & candidates
    if not errors.any():
        return
    found = texts.to_numpy(dtype=object)
    for error in sorted(set(found[errors])):
        collect.add(errors & (found == error), position, _("error cell %(error)s") % {"error": error}, column)


def _refuse(
    collect: _Collector, candidates: np.ndarray, codes: np.ndarray, position: int, values: pd.Series, today: date
) -> None:
    """Add the register's refusals (codes of `clients.settlement_rows`) of a column's candidate cells."""
    refused = candidates & (codes != settlement_rows.OK)
    for code in np.unique(codes[refused]):
        collect.add(refused & (codes == code), position, settlement_row_message(int(code), today=today), values)


def _validate_wide(table, mapping, collect, keep, client_text, today, kinds) -> Parsed:
    data = table.data
    if len(mapping.months) < 1:
        collect.file(_("Choose at least one month column."))
        return Parsed(mapping, [], np.array([]))
    periods = []
    seen: dict[pd.Period, int] = {}
    this_month = pd.Period(today, freq="M")
    for position in mapping.months:
        period = parse_month(table.header[position]) if position < len(table.header) else None
        if period is None:
            collect.file(
                _("The header is not a month (write it as 2025-01, янв 2025 or a date)."), table.label(position)
            )
        elif period in seen:
            collect.file(
                _("The month appears twice in the header (also column %(other)s).")
                % {"other": table.label(seen[period])},
                table.label(position),
            )
        elif period > this_month:
            collect.file(_("The month lies in the future."), table.label(position))
        else:
            seen[period] = position
        periods.append(period)
    duplicate = keep & client_text.duplicated(keep="first").to_numpy() & (client_text != "").to_numpy()
    if duplicate.any():
        first_row = dict(zip(client_text[keep][::-1], table.row_numbers[keep][::-1]))
        for index in np.flatnonzero(duplicate):
            mask = np.zeros(len(data), dtype=bool)
            mask[index] = True
            collect.add(
                mask,
                mapping.client,
                _("the client appears again (first in row %(row)s), so it would have two amounts in every month")
                % {"row": first_row[client_text.iloc[index]]},
                data[mapping.client],
            )
    amounts = np.zeros((len(data), len(mapping.months)))
    # Columns the reader typed as numbers hold amounts or blanks (nothing to report): read a block at a time.
    numbers_at = [(o, p) for o, p in enumerate(mapping.months) if kinds[p] == "number"]
    for block in _blocks(numbers_at, len(data)):
        offsets, positions = zip(*block)
        amounts[:, list(offsets)] = data[list(positions)].to_numpy(dtype="float64", na_value=np.nan)
    for offset, position in enumerate(mapping.months):
        if kinds[position] != "number":
            numbers, failed = _numbers(data[position])
            collect.add(keep & failed, position, _("not a number"), data[position])
            amounts[:, offset] = numbers.to_numpy()
    # A client's month is a settlement when its amount is not zero in cents (a blank is zero); the
    # register's rules apply to those cells, in the months whose header is right.
    with np.errstate(invalid="ignore"):
        settles = keep[:, None] & ~np.isnan(amounts) & (settlement_rows.to_cents(amounts) != 0)
    good_months = set(seen.values())
    first_days = np.array([p.start_time.date() if p is not None else None for p in periods], dtype="datetime64[D]")
    date_codes = settlement_rows.date_problems(first_days, today=today)
    amount_codes = settlement_rows.amount_problems(amounts.ravel()).reshape(amounts.shape)
    # Only the months with a refused cell are visited (a sheet may have 16,383 of them).
    bad_date = settles.any(axis=0) & (date_codes != settlement_rows.OK)
    bad_amount = (settles & (amount_codes != settlement_rows.OK)).any(axis=0)
    for offset in np.flatnonzero(bad_date | bad_amount).tolist():
        position = mapping.months[offset]
        if position not in good_months:
            continue
        codes = np.where(settles[:, offset], date_codes[offset], settlement_rows.OK)
        _refuse(collect, settles[:, offset], codes, position, data[position], today)
        _refuse(collect, settles[:, offset], amount_codes[:, offset], position, data[position], today)
    parsed = Parsed(mapping, [], np.array([]))
    with np.errstate(invalid="ignore"):
        parsed.negative_count = int((keep[:, None] & (amounts < 0)).sum()) if len(data) else 0
    if collect.count == 0:
        frame = pd.DataFrame(
            np.nan_to_num(amounts[keep]), index=pd.Index(client_text[keep].to_numpy(), name="client"), columns=periods
        )
        frame = frame.reindex(columns=pd.period_range(min(periods), max(periods), freq="M"), fill_value=0.0)
        parsed.wide = frame
        parsed.wide_rows = table.row_numbers[keep]
    return parsed


def _validate_long(table, mapping, collect, keep, client_text, today) -> Parsed:
    data = table.data
    parsed = Parsed(mapping, [], np.array([]))
    if len(data) == 0:
        return parsed
    dates, bad_date = _dates(data[mapping.date])
    blank_date = _blank(data[mapping.date])
    collect.add(keep & blank_date, mapping.date, _("the date is empty"), data[mapping.date])
    collect.add(
        keep & bad_date & ~blank_date,
        mapping.date,
        _("not a date (write it as 2025-01-31 or 31.01.2025)"),
        data[mapping.date],
    )
    future = (dates > pd.Timestamp(today)).to_numpy()
    collect.add(keep & future, mapping.date, _("the date lies in the future"), data[mapping.date])
    amounts, bad_amount = _numbers(data[mapping.amount])
    blank_amount = _blank(data[mapping.amount])
    collect.add(keep & blank_amount, mapping.amount, _("the amount is empty"), data[mapping.amount])
    collect.add(keep & bad_amount, mapping.amount, _("not a number"), data[mapping.amount])
    # Every row is a settlement: the register's rules apply to the cells read above without a problem.
    _refuse(
        collect,
        keep & ~blank_date & ~bad_date & ~future,
        settlement_rows.date_problems(dates.to_numpy(), today=today),
        mapping.date,
        data[mapping.date],
        today,
    )
    _refuse(
        collect,
        keep & ~blank_amount & ~bad_amount,
        settlement_rows.amount_problems(amounts.to_numpy()),
        mapping.amount,
        data[mapping.amount],
        today,
    )
    with np.errstate(invalid="ignore"):
        parsed.negative_count = int((keep & (amounts.to_numpy() < 0)).sum())
    margins = None
    if mapping.margin is not None:
        margins, bad_margin = _numbers(data[mapping.margin])
        collect.add(keep & bad_margin, mapping.margin, _("not a number"), data[mapping.margin])
    if collect.count == 0:
        frame = pd.DataFrame(
            {
                "row": table.row_numbers[keep],
                "client": client_text[keep].reset_index(drop=True),
                "date": dates[keep].to_numpy(),
                "amount": amounts[keep].to_numpy(),
            }
        )
        if margins is not None:
            frame["margin"] = np.nan_to_num(margins[keep].to_numpy())
        for role in ("product", "document"):
            position = getattr(mapping, role)
            if position is not None:
                frame[role] = _texts(data[position][keep]).to_numpy()
        repeat = _repeats(parsed, frame)
        if mapping.duplicates == DROP and parsed.duplicate_count:
            frame = frame[~repeat].reset_index(drop=True)
        frame["date"] = frame["date"].dt.normalize()
        parsed.settlements = frame
    return parsed


def _repeats(parsed: Parsed, frame: pd.DataFrame) -> np.ndarray:
    """Mark the settlements equal in every mapped cell (as read: a time of day counts) to an earlier one;
    count them on `parsed` with the first of them and the row it repeats."""
    values = frame.drop(columns="row")
    # Only rows whose date and amount occur more than once can repeat: one integer per row finds
    # those (a collision only adds a candidate), and the exact comparison runs on them alone.
    with np.errstate(over="ignore"):
        key = (values["date"].to_numpy().view(np.int64) * np.int64(1_000_003)) ^ values["amount"].to_numpy().view(
            np.int64
        )
    maybe = pd.Series(key).duplicated(keep=False).to_numpy()
    repeat = np.zeros(len(values), dtype=bool)
    if maybe.any():
        repeat[maybe] = values[maybe].duplicated(keep="first").to_numpy()
    parsed.duplicate_count = int(repeat.sum())
    if parsed.duplicate_count:
        first = int(np.argmax(repeat))
        earlier = int(np.argmax(values.iloc[:first].eq(values.iloc[first]).all(axis=1).to_numpy()))
        parsed.duplicate_example = (int(frame["row"].iloc[first]), int(frame["row"].iloc[earlier]))
    return repeat


def settlements_to_wide(
    settlements: pd.DataFrame, *, value: str = "amount", start: pd.Period | None = None, end: pd.Period | None = None
) -> pd.DataFrame:
    """Amounts (or margins) per client and month; the window is first to last month unless given."""
    # Months since 1970-01: the ordinal of a monthly pd.Period, without building Period objects.
    months = settlements["date"].to_numpy().astype("datetime64[M]").astype(np.int64)
    first = start.ordinal if start is not None else int(months.min())
    last = end.ordinal if end is not None else int(months.max())
    inside = (months >= first) & (months <= last)
    codes, uniques = pd.factorize(settlements["client"][inside], sort=False)
    width = last - first + 1
    flat = np.bincount(
        codes * width + (months[inside] - first),
        weights=settlements[value].to_numpy()[inside],
        minlength=len(uniques) * width,
    )
    columns = pd.period_range(pd.Period(ordinal=first, freq="M"), periods=width, freq="M")
    return pd.DataFrame(
        flat.reshape(len(uniques), width),
        index=pd.Index(np.asarray(uniques, dtype=object), name="client"),
        columns=columns,
    )


def to_quarters(wide: pd.DataFrame) -> pd.DataFrame:
    """Sum months into calendar quarters (a partial first or last quarter is kept as it is)."""
    quarters = pd.PeriodIndex(wide.columns, freq="M").asfreq("Q")
    summed = wide.T.groupby(quarters).sum().T
    return summed.reindex(columns=pd.period_range(quarters.min(), quarters.max(), freq="Q"), fill_value=0.0)
