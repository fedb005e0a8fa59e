"""Read a checked workbook's sheet fast: typed columns from fastexcel (Rust, Arrow), the header from the XML.

fastexcel returns a whole column as float64 or datetime64 when every cell is a number or a date,
and as text when the cells are mixed, so one bad cell keeps its original text for the message.
It cannot name a column whose header is a date (an Excel month header), so the header row is
read from the sheet's XML (with defusedxml) together with its shared strings. It also reads an
error cell (#DIV/0!), and the text "#N/A" in a column of numbers, as a blank: the check found the
error cells in the XML, and they (and that text) are put back, so that the validation names them
as errors instead of calling them empty.
"""

import logging
import re
import zipfile
from pathlib import Path

import fastexcel
import numpy as np
import pandas as pd
from defusedxml import ElementTree as SafeET
from django.utils.translation import gettext as _

from .guards import Container, ErrorCells, FileRefused

ROW_RE = re.compile(rb"<row\b[^>]*>.*?</row>|<row\b[^>]*/>", re.S)
REF_RE = re.compile(r"([A-Z]+)([0-9]+)")
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CHUNK = 1 << 16
# fastexcel warns once per column it finds no value in (it reads it as text): a sheet formatted out to
# column XFD would write 16,000 lines to the worker's log at every check.
logging.getLogger("fastexcel.types.dtype").setLevel(logging.ERROR)


def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _first_row(archive: zipfile.ZipFile, part: str) -> bytes | None:
    """The XML of the sheet's first row that holds a value (read as a stream, stopping there)."""
    buffer = b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            buffer += chunk
            start = 0
            for match in ROW_RE.finditer(buffer):
                start = match.end()
                if b"<v>" in match.group(0) or b"<v " in match.group(0) or b"<is>" in match.group(0):
                    return match.group(0)
            buffer = buffer[start:]
    return None


def _shared_strings(archive: zipfile.ZipFile, wanted: set[int]) -> dict[int, str]:
    """Only the shared strings the header needs, stopping at the last one."""
    found: dict[int, str] = {}
    if not wanted or "xl/sharedStrings.xml" not in archive.namelist():
        return found
    last = max(wanted)
    index = 0
    with archive.open("xl/sharedStrings.xml") as stream:
        for _event, element in SafeET.iterparse(stream, events=("end",)):
            if element.tag == f"{NS}si":
                if index in wanted:
                    found[index] = "".join(t.text or "" for t in element.iter(f"{NS}t"))
                index += 1
                element.clear()
                if index > last:
                    break
    return found


def read_header(path: str | Path, part: str) -> tuple[list, int, int]:
    """(header cell values, spreadsheet row number of the header, first column index)."""
    with zipfile.ZipFile(path) as archive:
        row_xml = _first_row(archive, part)
        if row_xml is None:
            return [], 1, 0
        row = SafeET.fromstring(
            row_xml.replace(b"<row", f'<row xmlns="{NS[1:-1]}"'.encode(), 1) if b"xmlns" not in row_xml else row_xml
        )
        cells = []
        for cell in row.iter(f"{NS}c"):
            match = REF_RE.match(cell.get("r", ""))
            value_node = cell.find(f"{NS}v")
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(f"{NS}t"))
            elif value_node is None or value_node.text is None:
                value = ""
            elif kind == "s":
                value = int(value_node.text)
            elif kind in ("str", "e"):
                value = value_node.text
            elif kind == "b":
                value = value_node.text == "1"
            else:
                value = float(value_node.text)
            cells.append((column_index(match[1]) if match else len(cells), kind, value))
        strings = _shared_strings(archive, {v for _, k, v in cells if k == "s" and isinstance(v, int)})
    if not cells:
        return [], int(row.get("r", "1")), 0
    first = min(c for c, _, _ in cells)
    header: list = [""] * (max(c for c, _, _ in cells) - first + 1)
    for column, kind, value in cells:
        header[column - first] = strings.get(value, "") if kind == "s" else value
    return header, int(row.get("r", "1")), first


def read_sheet(path: str | Path, container: Container, sheet: str) -> tuple[list, pd.DataFrame, int, int]:
    """(header, data with one typed column per position, header row number, first column)."""
    info = container.sheet(sheet)
    header, header_row, first_column = read_header(path, info.part)
    try:
        reader = fastexcel.read_excel(str(path))
        loaded = reader.load_sheet(sheet, **_data_rows(header_row), schema_sample_rows=None, dtype_coercion="coerce")
        data = loaded.to_pandas()
        data.columns = range(data.shape[1])
        if container.na_text:
            _put_na_texts(reader, sheet, header_row, data)
    except fastexcel.FastExcelError as error:
        raise FileRefused(_("The sheet cannot be read: %(error)s") % {"error": str(error)[:200]}) from None
    width = max(len(header), data.shape[1])
    header = header + [""] * (width - len(header))
    for position in range(data.shape[1], width):
        data[position] = pd.Series([None] * len(data), dtype=object)
    _put_errors(data, info.error_cells, header_row, first_column)
    return header, data, header_row, first_column


def _data_rows(header_row: int) -> dict:
    """fastexcel's arguments for the rows under the header (row `header_row` of the sheet, counted from 1),
    without letting it name the columns from the header: naming thousands of columns whose headers repeat
    (the same month, or blanks) takes it minutes (16,383 repeated months: 190 s), and the header is read
    from the XML anyway. Without a header row, fastexcel counts rows from the sheet's first."""
    return {"header_row": None, "skip_rows": header_row}


def _put_na_texts(reader, sheet: str, header_row: int, data: pd.DataFrame) -> None:
    """Write back the text "#N/A" where the reader left a blank in a column of numbers."""
    numeric = [p for p in data.columns if pd.api.types.is_float_dtype(data[p]) and data[p].isna().any()]
    if not numeric:
        return
    texts = reader.load_sheet(
        sheet, **_data_rows(header_row), schema_sample_rows=None, use_columns=numeric, dtypes="string"
    ).to_pandas()
    for position, name in zip(numeric, texts.columns):
        na = data[position].isna().to_numpy() & texts[name].eq("#N/A").to_numpy(dtype=bool, na_value=False)
        if na.any():
            _put(data, position, na, "#N/A")


def _put_errors(data: pd.DataFrame, cells: ErrorCells, header_row: int, first_column: int) -> None:
    """Write each error cell's text (#DIV/0!) where the reader left a blank."""
    if not len(cells):
        return
    rows = np.frombuffer(cells.rows, dtype=f"i{cells.rows.itemsize}") - header_row - 1
    positions = np.frombuffer(cells.columns, dtype=f"i{cells.columns.itemsize}") - first_column
    texts = np.array(cells.names, dtype=object)[np.frombuffer(cells.errors, dtype=np.uint8)]
    inside = (rows >= 0) & (rows < len(data)) & (positions >= 0) & (positions < data.shape[1])
    for position in np.unique(positions[inside]).tolist():
        at = inside & (positions == position)
        _put(data, position, rows[at], texts[at])


def _put(data: pd.DataFrame, position: int, rows: np.ndarray, texts) -> None:
    """Write texts into some rows of a column (which then holds Python objects)."""
    column = data[position].to_numpy(dtype=object, copy=True)
    column[rows] = texts
    data[position] = pd.Series(column, index=data.index, dtype=object)
