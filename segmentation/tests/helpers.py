"""Files the tests build: workbooks in both shapes, and hostile variants of them."""

import io
import zipfile

import pandas as pd

from crm_portal.spreadsheets import Sheet, xlsx_bytes


def workbook(frame: pd.DataFrame, sheet: str = "Sales") -> bytes:
    return xlsx_bytes([Sheet.of_frame(sheet, frame)])


def wide_frame(rows: list[tuple], months=("2025-01", "2025-02", "2025-03", "2025-04")) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=["Клиент", *months]).astype(object)


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with some parts replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, (replace or {}).get(item.filename, source.read(item.filename)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()
