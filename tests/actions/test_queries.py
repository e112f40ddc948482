"""My actions and the agency view: a constant number of SQL queries whatever the volume."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from marac.actions.models import Action
from marac.formatting import uk_today
from marac.referrals.models import ReferralStatus
from tests.actions.helpers import PanelWorld
from tests.referrals.helpers import make_person, make_referral


def _add(db: Session, w: PanelWorld, count: int, start: int) -> None:
    """`count` actions on different cases and people: overdue, agency-wide, finished."""
    today = uk_today()
    for n in range(start, start + count):
        referral = make_referral(
            db, make_person(db), w.area, status=ReferralStatus.HEARD, commit=False
        )
        db.flush()
        db.add(
            Action(
                referral_id=referral.id,
                meeting_id=[w.earlier.id, w.meeting.id, None][n % 3],
                description=f"Action {n}",
                kind="victim_safety",
                rara="reduce",
                agency_id=w.housing.id,
                officer_id=[w.housing_officer.id, None, w.housing_colleague.id][n % 3],
                due_date=today + timedelta(days=(n % 11) - 5),
                status=["open", "in_progress", "completed", "open"][n % 4],
            )
        )
    db.commit()


def test_action_lists_issue_a_constant_number_of_queries(db: Session, login, count_queries) -> None:
    w = PanelWorld(db)
    pages = {
        "/actions/mine": login(w.housing_officer),
        "/actions/mine?show=all": login(w.housing_officer),
        "/actions/agency": login(w.housing_manager),
        f"/actions/agency?status=all&overdue=1&panel={w.panel.id}": login(w.housing_manager),
        "/actions/agency?status=all": login(w.coordinator),
    }
    counts: dict[str, list[int]] = {url: [] for url in pages}
    added = 0
    for total in (3, 30):
        _add(db, w, total - added, added)
        added = total
        for url, client in pages.items():
            with count_queries() as q:
                response = client.get(url)
            assert response.status_code == 200
            counts[url].append(q.count)
    for url, (small, large) in counts.items():
        assert small == large, (url, counts)
