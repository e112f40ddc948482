"""A small spreadsheet of historic incidents, as CSV or XLSX bytes."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from tests.factories import make_agency, make_area, make_user

HEADERS = [
    "Date",
    "Time",
    "Type",
    "Recorded as",
    "Reported via",
    "Perceived by",
    "Strands",
    "What happened",
    "Victim name",
    "Victim DOB",
    "Postcode",
]
LAST_YEAR = date.today().year - 1


def rows() -> list[list[Any]]:
    """Three rows; the second has a day that does not exist."""
    return [
        [f"03/02/{LAST_YEAR}", "21:15", "Verbal abuse", "Non-crime hate incident", "Police",
         "Victim", "Religion", "Shouted at in the street.", "Amira Haddad", "14/02/1987",
         "AK1 3CD"],
        [f"31/02/{LAST_YEAR}", "10:00", "Threats", "Non-crime hate incident", "Partner agency",
         "Victim", "Race", "Threatened at the door.", "Tomasz Nowak", "01/05/1979", "AK1 4EF"],
        [f"05/03/{LAST_YEAR}", "18:40", "Harassment", "Non-crime hate incident", "online",
         "Victim, A witness", "Disability; Learning disability", "Followed home from the shop.",
         "Sam Jones", "", "AK2 1AA"],
    ]  # fmt: skip


def csv_bytes(table: list[list[Any]] | None = None, headers: list[str] | None = None) -> bytes:
    lines = [headers or HEADERS, *(table if table is not None else rows())]
    text = "\r\n".join(",".join(f'"{cell}"' for cell in line) for line in lines)
    return ("\ufeff" + text + "\r\n").encode("utf-8")


def xlsx_bytes(table: list[list[Any]], headers: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers or HEADERS)
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def coordinator_world(db: Session) -> tuple[User, User]:
    """A coordinator covering AK1 and AK2, and another covering only AK9."""
    north = make_area(db, "Ashbrook North", districts="AK1 AK2")
    south = make_area(db, "Ashbrook South", districts="AK9")
    council = make_agency(db, "Ashbrook Council")
    coordinator = make_user(db, Role.COORDINATOR, agency=council)
    coordinator.areas = [north]
    other = make_user(db, Role.COORDINATOR, agency=council)
    other.areas = [south]
    db.commit()
    return coordinator, other


def recent(days: int) -> datetime:
    return datetime.now() - timedelta(days=days)
