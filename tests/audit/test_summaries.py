"""Audit summaries name the event and the record, never case text: administrators read
the whole log, and what was typed about a case is for those with a need to know."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.audit.models import AuditEvent
from marac.referrals.models import Referral, ReferralStatus
from tests.actions.helpers import PanelWorld
from tests.audit.summary_guard import unsafe_summaries
from tests.referrals.helpers import make_referral

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Zanzibar-7Q"  # a distinctive phrase typed into every free-text field below


def _leaks(db: Session, *audited: str) -> list[str]:
    """Audit rows carrying the phrase; first checks the flows were audited at all."""
    db.expire_all()
    rows = db.scalars(select(AuditEvent)).all()
    assert set(audited) <= {r.action for r in rows}
    return [f"{r.action}: {r.summary}" for r in rows if SECRET.lower() in r.summary.lower()]


def test_every_record_call_builds_its_summary_from_safe_parts() -> None:
    checked, problems = unsafe_summaries(ROOT)
    assert checked >= 100, checked  # the scan found the calls
    assert problems == [], "\n".join(str(p) for p in problems)


def test_the_guard_catches_free_text(tmp_path: Path) -> None:
    code = tmp_path / "marac" / "bad.py"
    code.parent.mkdir()
    code.write_text(
        "def view(db, form, referral):\n"
        '    record(db, "x_done", "referral", referral.id, f"{referral.reference}: '
        '{form.note.data}")\n'
        "    note = form.details.data\n"
        '    record(db, "y_done", "referral", referral.id, note)\n'
        '    record(db, "z_done", "referral", referral.id, f"Viewed {referral.reference}")\n'
    )
    checked, problems = unsafe_summaries(tmp_path)
    assert checked == 3
    assert [p.where for p in problems] == ["marac/bad.py:2", "marac/bad.py:4"]


def test_screening_text_stays_out_of_the_log(db: Session, login) -> None:
    w = PanelWorld(db)
    referral = make_referral(db, w.person, w.area, referrer=w.referrer)
    declined = make_referral(db, w.person, w.area, referrer=w.referrer)
    coordinator = login(w.coordinator)
    asked = coordinator.submit(
        f"/referrals/{referral.id}/more-information",
        {"more-version": "1", "more-request_text": f"Was the lock changed? {SECRET}"},
    )
    assert asked.status_code == 302
    db.expire_all()
    version = db.get(Referral, referral.id).version  # type: ignore[union-attr]
    replied = login(w.referrer).submit(
        f"/referrals/{referral.id}/reply",
        {"reply-version": str(version), "reply-information": f"Yes on Monday {SECRET}"},
    )
    assert replied.status_code == 302
    refused = coordinator.submit(
        f"/referrals/{declined.id}/decline",
        {
            "decline-version": "1",
            "decline-reason": "domestic_abuse_marac",
            "decline-details": f"Heard at the DA MARAC {SECRET}",
        },
    )
    assert refused.status_code == 302
    db.expire_all()
    assert db.get(Referral, declined.id).status == ReferralStatus.DECLINED  # type: ignore[union-attr]
    expected = ("referral_more_info_requested", "referral_info_added", "referral_declined")
    assert _leaks(db, *expected) == []


def test_action_and_meeting_text_stays_out_of_the_log(db: Session, login) -> None:
    w = PanelWorld(db)
    action = w.action()
    db.commit()
    officer = login(w.housing_officer)
    progress = officer.submit(
        f"/actions/{action.id}/progress",
        {
            "progress-version": "1",
            "progress-status": "in_progress",
            "progress-note": f"Visited the victim {SECRET}",
        },
    )
    assert progress.status_code == 302
    chair = login(w.coordinator)
    url = f"/meetings/{w.meeting.id}"
    reviewed = chair.submit(
        f"{url}/review/{action.id}", {f"review-{action.id}-note": f"On track {SECRET}"}
    )
    assert reviewed.status_code == 302
    added = chair.submit(
        f"{url}/attendance/attendees",
        {
            "attendee-name": f"Helen {SECRET}",
            "attendee-job_title": "Housing officer",
            "attendee-agency_id": str(w.housing.id),
        },
    )
    assert added.status_code == 302
    _other, item = w.add_case(2)
    db.commit()
    moved = chair.submit(
        f"{url}/agenda/items/{item.id}/move",
        {"direction": "up", "reason": f"Officer must leave early {SECRET}"},
    )
    assert moved.status_code == 302, moved.get_data(as_text=True)[:300]
    expected = ("action_progress", "action_reviewed", "meeting_attendee_added", "agenda_item_moved")
    assert _leaks(db, *expected) == []
    summaries = [r.summary for r in db.scalars(select(AuditEvent))]
    assert any(s.endswith(f"{w.referral.reference}: status Open to In progress") for s in summaries)
