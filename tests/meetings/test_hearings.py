"""The referral page's "At the panel": hearings, decisions and actions, for the panel only."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from marac.formatting import format_date, uk_today
from marac.meetings.models import ItemStatus
from marac.panels.models import AgendaStatus, MeetingStatus
from marac.referrals.models import ReferralStatus
from tests.meeting_factories import make_action
from tests.meetings import PanelWorld


def _section(html: str) -> str:
    """The "At the panel" section's text, tags stripped."""
    match = re.search(r'id="at-the-panel">(.*?)<h2', html, flags=re.DOTALL)
    assert match, "no At the panel section"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _case(w: PanelWorld):
    """A case heard twice (kept open, then closed) and listed again on a draft agenda."""
    referral = w.referral(status=ReferralStatus.HEARD, risk_level="high")
    first = w.meeting(-56, status=MeetingStatus.HELD.value)
    second = w.meeting(-14, status=MeetingStatus.HELD.value)
    for meeting in (first, second):
        meeting.agenda_status = AgendaStatus.PUBLISHED.value
    w.listed(
        first,
        referral,
        decision="review",
        review_meeting_id=second.id,
        risk_level_after="medium",
    )
    w.listed(second, referral, decision="review", risk_level_after="low")
    draft = w.meeting(35)
    w.listed(draft, referral, status=ItemStatus.LISTED.value)
    draft.agenda_status = AgendaStatus.DRAFT.value
    w.db.commit()
    late = make_action(
        w.db,
        referral,
        w.housing,
        first,
        description="Fit a door entry camera",
        due_date=uk_today() - timedelta(days=3),
    )
    done = make_action(
        w.db, referral, w.police, first, description="Warn the neighbour", status="completed"
    )
    return referral, first, second, draft, late, done


def test_coordinator_sees_every_hearing_and_action(db: Session, login) -> None:
    w = PanelWorld(db)
    referral, first, second, draft, late, done = _case(w)
    html = login(w.coordinator).get(f"/referrals/{referral.id}").get_data(as_text=True)
    text = _section(html)
    first_date, second_date = format_date(first.meeting_date), format_date(second.meeting_date)
    assert (
        f"{first_date} New High → then Medium Kept open for review: review on {second_date}" in text
    )
    assert f"{second_date} New High → then Low Kept open for review" in text
    assert f"{format_date(draft.meeting_date)} New High To be heard" in text
    # Overdue first, and each action opens for the coordinator of the area.
    assert text.index("Fit a door entry camera") < text.index("Warn the neighbour")
    assert "Overdue Open" in text and "Completed" in text
    assert f'href="/actions/{late.id}"' in html and f'href="/actions/{done.id}"' in html
    # The summary shows the risk the panel last agreed, beside the level at referral.
    subject = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert f"Risk agreed at the panel Low on {format_date(second.meeting_date)}" in subject


def test_member_sees_published_hearings_and_opens_only_their_agencys_actions(
    db: Session, login
) -> None:
    w = PanelWorld(db)
    referral, first, second, draft, late, done = _case(w)
    html = login(w.housing_member).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert html.count('href="/meetings/') >= 2
    text = _section(html)
    assert format_date(first.meeting_date) in text and format_date(second.meeting_date) in text
    assert format_date(draft.meeting_date) not in text  # the draft agenda is the chair's
    assert f'href="/actions/{late.id}"' in html  # housing's own action
    assert f'href="/actions/{done.id}"' not in html and "Warn the neighbour" in text


def test_referrer_sees_the_status_not_the_panels_discussion(db: Session, login) -> None:
    w = PanelWorld(db)
    referral, *_ = _case(w)
    html = login(w.referrer).get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'id="at-the-panel"' not in html
    assert "Fit a door entry camera" not in html and "Risk agreed at the panel" not in html
    assert "Heard at the panel" in html


def test_the_referral_page_runs_a_fixed_number_of_queries(
    db: Session, login, count_queries
) -> None:
    w = PanelWorld(db)
    referral = w.referral(status=ReferralStatus.HEARD)
    client = login(w.coordinator)
    counts = []
    for size in (1, 8):
        for n in range(size):
            meeting = w.meeting(-7 * (len(counts) * 10 + n + 1), status=MeetingStatus.HELD.value)
            review = w.meeting(7 * (len(counts) * 10 + n + 1))
            w.listed(meeting, referral, decision="review", review_meeting_id=review.id)
            make_action(db, referral, w.housing, meeting)
        with count_queries() as q:
            assert client.get(f"/referrals/{referral.id}").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts
