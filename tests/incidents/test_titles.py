"""The rule that names an incident: its type and day, never an id, a name or an address."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from marac.incidents.titles import incident_title, lower_title, title_for


def _incident(kind: str, when: datetime | date, **other: object) -> SimpleNamespace:
    return SimpleNamespace(incident_type=kind, occurred_at=when, **other)


def test_type_and_day() -> None:
    incident = _incident(
        "verbal_abuse",
        datetime(2026, 3, 3, 14, 0, tzinfo=UTC),
        id=95,
        place="12 Mill Road",
        postcode="AK1 2BX",
    )
    title = incident_title(incident)
    assert title == "Verbal abuse, 3 March 2026"
    for secret in ("95", "Mill Road", "AK1"):
        assert secret not in title


def test_the_day_is_the_uk_day() -> None:
    # 11:30pm on 31 May in London is 22:30 UTC: still 31 May.
    late = datetime(2026, 5, 31, 22, 30, tzinfo=UTC)
    assert incident_title(_incident("threats", late)) == "Threats, 31 May 2026"
    after_midnight = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    assert incident_title(_incident("threats", after_midnight)) == "Threats, 1 June 2026"


def test_other_and_unknown_types_still_read_as_titles() -> None:
    assert incident_title(_incident("other", date(2026, 1, 2))) == "Other incident, 2 January 2026"
    assert title_for("retired_code", date(2026, 1, 2)) == "Incident, 2 January 2026"
    assert title_for(None, None) == "Incident"


def test_in_a_sentence() -> None:
    assert (
        lower_title(_incident("arson", date(2026, 1, 2))) == "the arson incident of 2 January 2026"
    )
    other = _incident("other", date(2026, 1, 2))
    assert lower_title(other) == "the other incident of 2 January 2026"
