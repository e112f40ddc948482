"""Reading an uploaded spreadsheet into a header row and data rows of plain values.

The type is read from the content (libmagic), never the file name. XLSX is opened with
openpyxl in read-only, values-only mode: a formula's cached value is read, never run.
CSV is decoded as UTF-8 (a BOM is dropped) or else Windows-1252, with its delimiter
sniffed. Limits keep one upload from tying up a worker: see `MAX_ROWS`, `MAX_COLUMNS`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time
from typing import Any

from marac.storage.filetypes import detect

MAX_ROWS = 5000
MAX_COLUMNS = 60
MAX_CELL = 10_000  # characters; longer text is cut and the field's own limit reports it
XLSX_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
}
CSV_TYPES = {"text/csv", "text/plain", "application/csv"}

Cell = str | int | float | bool | date | datetime | time | None


class Unreadable(ValueError):
    """The file is not a spreadsheet we can read; the message is for the page."""


def file_type(data: bytes) -> str:
    """ "csv" or "xlsx" from the content, or `Unreadable`."""
    if not data:
        raise Unreadable("The selected file is empty")
    mime = detect(data)
    if mime in XLSX_TYPES and _is_xlsx(data):
        return "xlsx"
    if mime in CSV_TYPES or mime.startswith("text/"):
        return "csv"
    raise Unreadable("The selected file must be a CSV or an Excel spreadsheet (XLSX)")


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def read_table(data: bytes, kind: str) -> tuple[list[str], list[list[Cell]]]:
    """The header row and the data rows (blank rows dropped), within the limits."""
    rows = _read_xlsx(data) if kind == "xlsx" else _read_csv(data)
    rows = [row for row in rows if any(_filled(cell) for cell in row)]
    if not rows:
        raise Unreadable("The selected file has no rows")
    header, *body = rows
    while header and not _filled(header[-1]):  # XLSX rows come padded to the widest
        header = header[:-1]
    if len(header) > MAX_COLUMNS:
        raise Unreadable(f"The selected file must have {MAX_COLUMNS} columns or fewer")
    if not body:
        raise Unreadable("The selected file has a header row but no rows under it")
    if len(body) > MAX_ROWS:
        raise Unreadable(
            f"The selected file must have {MAX_ROWS:,} rows or fewer: split it into smaller files"
        )
    width = len(header)
    headers = [_text(cell) or f"Column {index + 1}" for index, cell in enumerate(header)]
    return headers, [(row + [None] * width)[:width] for row in body]


def _filled(cell: Cell) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _text(cell: Cell) -> str:
    return "" if cell is None else str(cell).strip()[:200]


def _read_csv(data: bytes) -> list[list[Cell]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise Unreadable("The selected file must be a CSV or an Excel spreadsheet (XLSX)")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[Cell]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            rows.append([cell[:MAX_CELL] for cell in row[: MAX_COLUMNS + 1]])
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as error:
        raise Unreadable(f"The selected file could not be read as CSV ({error})") from error
    return rows


def _read_xlsx(data: bytes) -> list[list[Cell]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise Unreadable("The selected file could not be read as an Excel spreadsheet") from error
    try:
        sheet = book.worksheets[0]
        rows: list[list[Cell]] = []
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            rows.append([_xlsx_cell(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def _xlsx_cell(value: Any) -> Cell:
    if isinstance(value, str):
        return value[:MAX_CELL]
    if value is None or isinstance(value, int | float | bool | date | datetime | time):
        return value
    return str(value)[:MAX_CELL]  # anything else (an error value) as its text
