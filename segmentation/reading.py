"""Read a checked workbook's sheet fast: typed columns from fastexcel (Rust, Arrow), the header from the XML.

fastexcel returns a whole column as float64 or datetime64 when every cell is a number or a date,
and as text when the cells are mixed, so one bad cell keeps its original text for the message.
It cannot name a column whose header is a date (an Excel month header), so the header row is
read from the sheet's XML (with defusedxml) together with its shared strings.
"""

import re
import zipfile
from pathlib import Path

import fastexcel
import pandas as pd
from defusedxml import ElementTree as SafeET
from django.utils.translation import gettext as _

from .guards import Container, FileRefused

ROW_RE = re.compile(rb"<row\b[^>]*>.*?</row>|<row\b[^>]*/>", re.S)
REF_RE = re.compile(r"([A-Z]+)([0-9]+)")
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CHUNK = 1 << 16


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
        for event, element in SafeET.iterparse(stream, events=("end",)):
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
        row = SafeET.fromstring(row_xml.replace(b"<row", f'<row xmlns="{NS[1:-1]}"'.encode(), 1)
                                if b"xmlns" not in row_xml else row_xml)
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
        loaded = reader.load_sheet(sheet, header_row=0, schema_sample_rows=None, dtype_coercion="coerce")
        data = loaded.to_pandas()
    except fastexcel.FastExcelError as error:
        raise FileRefused(_("The sheet cannot be read: %(error)s") % {"error": str(error)[:200]}) from None
    data.columns = range(data.shape[1])
    width = max(len(header), data.shape[1])
    header = header + [""] * (width - len(header))
    for position in range(data.shape[1], width):
        data[position] = pd.Series([None] * len(data), dtype=object)
    return header, data, header_row, first_column
