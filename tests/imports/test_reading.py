"""Reading and mapping a spreadsheet: CSV and XLSX, UK dates, labels, guesses, row checks."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from marac.imports import fields
from marac.imports.reading import MAX_ROWS, Unreadable, file_type, read_table
from tests.imports.helpers import HEADERS, LAST_YEAR, rows, xlsx_bytes

NOW = datetime(LAST_YEAR + 1, 6, 1, 12, 0).astimezone()


def test_a_csv_with_a_bom_and_semicolons_is_read() -> None:
    data = "\ufeffDate;Victim name\r\n03/02/2025;Zoë Brown\r\n".encode()
    assert file_type(data) == "csv"
    assert read_table(data, "csv") == (["Date", "Victim name"], [["03/02/2025", "Zoë Brown"]])


def test_a_windows_1252_csv_is_read() -> None:
    data = "Date,Victim name\r\n03/02/2025,Zoë Brown\r\n".encode("cp1252")
    assert read_table(data, "csv")[1] == [["03/02/2025", "Zoë Brown"]]


def test_an_xlsx_gives_values_and_never_runs_formulas() -> None:
    data = xlsx_bytes([[datetime(2025, 2, 3, 21, 15), "=1+1", "Amira"]], ["When", "Sum", "Name"])
    assert file_type(data) == "xlsx"
    headers, body = read_table(data, "xlsx")
    assert headers == ["When", "Sum", "Name"]
    # No cached value was saved for the formula, so nothing is there: it was never run.
    assert body == [[datetime(2025, 2, 3, 21, 15), None, "Amira"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "must be a CSV or an Excel"),
        (b"Date,Name\r\n", "no rows under it"),
    ],
)
def test_what_is_not_a_spreadsheet_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(Unreadable, match=message):
        read_table(data, file_type(data))


def test_too_many_rows_are_refused() -> None:
    data = ("Name\n" + "x\n" * (MAX_ROWS + 1)).encode()
    with pytest.raises(Unreadable, match="5,000 rows or fewer"):
        read_table(data, "csv")


def test_headers_guess_our_fields() -> None:
    guessed = fields.guess_mapping([*HEADERS, "Notes", "Crime ref", "Home postcode"])
    assert guessed == {
        0: "occurred_on",
        1: "occurred_time",
        2: "incident_type",
        3: "recorded_as",
        4: "reported_via",
        5: "perceived_by",
        6: "strands",
        7: "description",
        8: "victim.full_name",
        9: "victim.date_of_birth",
        10: "postcode",
        12: "crime_reference",
        13: "victim.postcode",
    }


def test_cells_are_read_as_uk_spreadsheets_write_them() -> None:
    assert fields.parse_date("03/02/2025") == date(2025, 2, 3)
    assert fields.parse_date(45691) == date(2025, 2, 3)  # an Excel serial day
    assert fields.parse_date("3 February 2025") == date(2025, 2, 3)
    with pytest.raises(fields.CellError, match="not a real date"):
        fields.parse_date("31/02/2025")
    assert fields.parse_clock(0.75) == time(18, 0)
    assert fields.parse_clock("09:05:00") == time(9, 5)
    assert fields.parse_yes_no("Y") is True and fields.parse_yes_no("no") is False
    assert fields.parse_choice("incident_type", "verbal abuse") == "verbal_abuse"
    assert fields.parse_choice("recorded_as", "NCHI") == "non_crime"
    assert fields.parse_many("perceived_by", "Victim, A witness") == ("victim", "witness")
    assert fields.parse_strands("Race, Gypsy, Roma or Traveller; Anti-Muslim; Hi-vis") == (
        ("race",),
        ("gypsy_roma_traveller", "anti_muslim"),
        ("Hi-vis",),
    )


def test_a_row_is_checked_by_the_incident_rules_and_keyed_to_its_field() -> None:
    mapping = fields.guess_mapping(HEADERS)
    good, bad, third = (fields.parse_row(n + 2, row, mapping, NOW) for n, row in enumerate(rows()))
    assert good.errors == {}
    assert good.details.victim is not None
    assert good.details.victim.date_of_birth == date(1987, 2, 14)
    assert good.details.strands == ("religion",)
    assert bad.errors == {"occurred_on": f"“31/02/{LAST_YEAR}” is not a real date: use "
                          "day/month/year, like 25/12/2024"}  # fmt: skip
    assert third.errors == {}
    assert third.details.subcategories == ("learning_disability",)
    # Without the description column every row breaks the incident rule.
    without = {i: k for i, k in mapping.items() if k != "description"}
    assert fields.parse_row(2, rows()[0], without, NOW).errors == {
        "description": "Describe what happened"
    }


def test_the_fingerprint_ignores_spacing_case_and_column_order() -> None:
    row = rows()[0]
    mapping = fields.guess_mapping(HEADERS)
    first = fields.parse_row(2, row, mapping, NOW).fingerprint
    shuffled = list(reversed(row))
    mapping_back = {len(row) - 1 - i: k for i, k in mapping.items()}
    spaced = [f"  {c.upper()} " if c == "Amira Haddad" else c for c in shuffled]
    assert fields.parse_row(9, spaced, mapping_back, NOW).fingerprint == first
    changed = [*row[:7], "Shouted at in the park.", *row[8:]]
    assert fields.parse_row(2, changed, mapping, NOW).fingerprint != first


def test_a_referral_needs_the_referral_rules() -> None:
    headers = [*HEADERS, "Referral date", "Consent", "Decision"]
    mapping = fields.guess_mapping(headers)
    row = [*rows()[0], f"10/02/{LAST_YEAR}", "Refused", "Declined"]
    parsed = fields.parse_row(2, row, mapping, NOW)
    assert parsed.errors == {
        "referral.reasons": "Enter why you are referring this case to the MARAC",
        "referral.lawful_basis": "Enter the lawful basis for sharing without the victim's consent",
        "referral.decision_notes": "Enter why the referral was declined",
    }
