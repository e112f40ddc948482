"""A referral's needs section, started from what the person's record already says."""

from __future__ import annotations

from marac.people.models import Person


def needs_from_person(person: Person | None) -> str:
    """One line per need the person's record holds (communication, interpreter, ...).

    Copied onto the referral so the panel sees the needs as they were when referred.
    """
    if person is None:
        return ""
    parts = [
        ("Communication", person.communication_needs),
        ("Interpreter", person.interpreter_language),
        ("Adjustments", person.disability_adjustments),
        ("Safe contact", person.safe_contact_notes),
    ]
    return "\n".join(f"{label}: {value.strip()}" for label, value in parts if (value or "").strip())
