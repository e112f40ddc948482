"""Placing a postcode in an area."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from marac.referrals.areas import area_for_postcode
from tests.factories import make_area


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("AK1 2BX", "north"),
        ("ak12bx", "north"),
        ("AK10 1AA", "south"),  # AK1 must not claim AK10
        ("AK3 1AA", "north"),
        ("ZZ9 9ZZ", None),  # only an inactive area has it
        ("", None),
        (None, None),
    ],
)
def test_area_for_postcode(db: Session, postcode: str | None, expected: str | None) -> None:
    areas = {
        "north": make_area(db, "North", districts="AK1 AK3"),
        "south": make_area(db, "South", districts="AK10\nAK11"),
        "closed": make_area(db, "Closed", districts="ZZ9", active=False),
    }
    found = area_for_postcode(db, postcode)
    assert (found.id if found else None) == (areas[expected].id if expected else None)


def test_one_query(db: Session, count_queries) -> None:
    for n in range(5):
        make_area(db, f"Area {n}", districts=f"AK{n}")
    with count_queries() as q:
        area_for_postcode(db, "AK3 1AA")
    assert q.count == 1
