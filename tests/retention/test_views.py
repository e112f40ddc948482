"""The retention pages: the schedule (admins), the review, keeping and disposing (governance)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.db import utcnow
from marac.people.models import Person
from marac.referrals.models import Referral
from marac.retention import operations
from marac.retention.models import DisposalLog, RetentionHold, RetentionPeriod
from marac.retention.queries import today_uk
from tests.retention.helpers import RetentionBorough

CLOSED = "closed_referral"


def _schedule_data(**months: int) -> dict[str, str]:
    values = {
        "closed_referral": 72,
        "declined_referral": 12,
        "unreferred_incident": 36,
        "meeting": 72,
        "notification": 6,
        "outbox": 3,
        "audit": 84,
    }
    values.update(months)
    return {key: str(value) for key, value in values.items()}


def test_an_admin_changes_the_schedule_and_bad_input_is_explained(db: Session, login) -> None:
    world = RetentionBorough(db)
    client = login(world.admin)
    page = client.get("/admin/retention").get_data(as_text=True)
    assert "Closed cases: months after the case closed" in page and 'value="72"' in page
    wrong = client.submit("/admin/retention", {**_schedule_data(), "closed_referral": "six"})
    assert wrong.status_code == 200
    html = wrong.get_data(as_text=True)
    assert "There is a problem" in html and "as a whole number of months" in html
    assert db.get(RetentionPeriod, CLOSED) is None
    done = client.submit("/admin/retention", _schedule_data(closed_referral=60))
    assert done.status_code == 302
    saved = db.get(RetentionPeriod, CLOSED)
    assert saved is not None and saved.months == 60
    # The data protection officer sees the schedule on the review, but may not change it.
    governance = login(world.governance)
    assert governance.get("/admin/retention").status_code == 403
    assert "Kept for 5 years after the case closed" in governance.get(
        "/governance/retention"
    ).get_data(as_text=True)


def test_governance_keeps_one_case_and_disposes_of_the_rest(db: Session, login) -> None:
    world = RetentionBorough(db)
    operations.set_periods(db, world.admin, {CLOSED: 6})
    today = today_uk(utcnow())
    operations.list_due(db, today)
    client = login(world.governance)
    page = client.get("/governance/retention").get_data(as_text=True)
    assert world.r1.reference in page and world.r4.reference in page
    assert "Dispose of 2 closed cases" in page
    assert "Alice" not in page  # no case content on the review

    keep_url = f"/governance/retention/{CLOSED}/{world.r1.id}/keep"
    assert world.r1.reference in client.get(keep_url).get_data(as_text=True)
    wrong = client.submit(keep_url, {"reason": "", "review_on": ["1", "1", "2020"]})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 200 and "There is a problem" in html
    assert "Enter why the record is being kept" in html
    later = today + timedelta(days=400)
    past = client.submit(
        keep_url,
        {"reason": "Civil claim", "review_on": [str(today.day), str(today.month), str(today.year)]},
    )
    assert "The review date must be in the future" in past.get_data(as_text=True)
    kept = client.submit(
        keep_url,
        {"reason": "Civil claim", "review_on": [str(later.day), str(later.month), str(later.year)]},
    )
    assert kept.status_code == 302
    hold = db.get(RetentionHold, (CLOSED, world.r1.id))
    assert hold is not None and hold.review_on == later

    page = client.get("/governance/retention").get_data(as_text=True)
    assert "Dispose of 1 closed case" in page and "Civil claim" in page
    disposed = client.submit("/governance/retention/dispose", {"record_type": CLOSED})
    assert disposed.status_code == 302 and "/jobs/" in disposed.headers["Location"]
    progress = client.get(disposed.headers["Location"]).get_data(as_text=True)
    assert "Disposed of 1 closed case" in progress

    db.expire_all()
    assert db.get(Person, world.victim.id).full_name == "Alice Example"  # type: ignore[union-attr]
    r4 = db.get(Referral, world.r4.id)
    assert r4 is not None and r4.status == "closed"
    log = db.scalars(select(DisposalLog)).one()
    assert (log.count, log.disposed_by_id) == (1, world.governance.id)
    page = client.get("/governance/retention").get_data(as_text=True)
    assert "Nothing is due." in page and "Disposal log" in page
    # Nothing of that kind is left: asking again explains, never a 500.
    again = client.submit("/governance/retention/dispose", {"record_type": CLOSED})
    assert again.status_code == 302
    assert "There are no closed cases to dispose of" in client.get(
        again.headers["Location"]
    ).get_data(as_text=True)


def test_case_workers_cannot_review_keep_or_dispose(db: Session, login) -> None:
    world = RetentionBorough(db)
    operations.set_periods(db, world.admin, {CLOSED: 6})
    operations.list_due(db, today_uk(utcnow()))
    for actor in (world.officer, world.member, world.coordinator):
        client = login(actor)
        assert client.get("/governance/retention").status_code == 403
        assert (
            client.submit("/governance/retention/dispose", {"record_type": CLOSED}).status_code
            == 403
        )
        keep = f"/governance/retention/{CLOSED}/{world.r1.id}/keep"
        assert client.get(keep).status_code == 403
    assert db.query(DisposalLog).count() == 0
    assert db.query(RetentionHold).count() == 0
    # A record that is not listed cannot be kept; nor an unknown kind.
    admin = login(world.admin)
    assert admin.get(f"/governance/retention/{CLOSED}/{world.r3.id}/keep").status_code == 404
    assert admin.get(f"/governance/retention/person/{world.r1.id}/keep").status_code == 404
