"""CSV cells that a spreadsheet shows as text, never runs as a formula.

Names typed into the service (areas, agencies, local strands, panels) reach the exports;
a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be read by Excel
or LibreOffice as a formula (CSV injection), so such cells get a leading single quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell as text; numbers stay numbers, text that looks like a formula is quoted."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows written as CSV with every text cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
