"""The home page: what is waiting for each role, counted right, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.models import AssessmentStatus
from marac.formatting import uk_today
from marac.meetings.models import CaseResearch, ItemStatus
from marac.notify.models import OutboxMessage
from marac.panels.models import AgendaStatus, MeetingStatus
from marac.referrals.models import ReferralStatus
from tests.assessments.helpers import make_assessment
from tests.factories import make_user
from tests.meeting_factories import make_action
from tests.meetings import PanelWorld


def _line(html: str, label: str) -> str:
    """The text of the "Waiting for you" row with this label, tags stripped."""
    match = re.search(rf"<dt[^>]*>{re.escape(label)}</dt>(.*?)</div>", html, flags=re.DOTALL)
    assert match, f"no line {label!r}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_coordinator_sees_screening_high_risk_and_the_next_meetings(db: Session, login) -> None:
    w = PanelWorld(db)
    for _ in range(2):
        w.referral(status=ReferralStatus.NEW, risk_level="medium")
    w.referral(status=ReferralStatus.NEW, risk_level="high")  # also high risk, unheard
    w.referral(status=ReferralStatus.NEW, area=w.other_area)  # another coordinator's
    w.referral(status=ReferralStatus.HEARD, risk_level="high")  # heard: not waiting
    meeting = w.meeting(10)
    for position in (1, 2):
        w.listed(meeting, w.referral(), position)
    w.meeting(-14, status=MeetingStatus.HELD.value)  # past meetings are not listed
    w.meeting(20, status=MeetingStatus.CANCELLED.value)

    html = login(w.coordinator).get("/").get_data(as_text=True)
    assert _line(html, "Referrals to screen") == "3 View referrals to screen"
    # The two accepted referrals on the agenda are high risk and not yet heard too.
    assert _line(html, "High-risk cases not yet heard at a panel").startswith("3 ")
    assert _line(html, "Your open actions").startswith("None")
    assert f'href="/meetings/{meeting.id}"' in html
    assert len(re.findall(r'href="/meetings/\d+"', html)) == 1
    assert "Research still to add" not in html  # the coordinator owes no research


def test_member_sees_research_owed_and_nothing_of_an_unpublished_agenda(db: Session, login) -> None:
    w = PanelWorld(db)
    published = w.meeting(7)
    cases = [w.referral() for _ in range(3)]
    for position, referral in enumerate(cases, start=1):
        w.listed(published, referral, position)
    w.listed(published, w.referral(), 4, status=ItemStatus.REMOVED.value)
    w.publish(published)
    db.add(CaseResearch(meeting_id=published.id, referral_id=cases[0].id, agency_id=w.police.id))
    # Another agency's research does not count for the police.
    db.add(CaseResearch(meeting_id=published.id, referral_id=cases[1].id, agency_id=w.housing.id))
    db.commit()
    draft = w.meeting(49)
    w.listed(draft, w.referral(), 1)
    draft.agenda_status = AgendaStatus.DRAFT.value
    db.commit()

    html = login(w.police_member).get("/").get_data(as_text=True)
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, flags=re.DOTALL)
    text = [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in rows]
    first = next(t for t in text if "Published" in t)
    assert first.endswith(" 3 2")  # three cases listed, two still without police research
    second = next(t for t in text if "Draft" in t)
    assert second.count("Not yet published") == 2  # no case count before publication
    # A member of an agency not on the panel sees none of its meetings.
    other = login(w.outsider_member).get("/").get_data(as_text=True)
    assert f'href="/meetings/{published.id}"' not in other


def test_referrer_and_supervisor_lines(db: Session, login) -> None:
    w = PanelWorld(db)
    w.referral(status=ReferralStatus.MORE_INFO)
    w.referral(status=ReferralStatus.NEW)
    supervisor = make_user(db, Role.REFERRER, agency=w.police, supervisor=True)
    make_assessment(db, w.referrer)
    make_assessment(db, w.referrer)
    make_assessment(db, w.referrer, status=AssessmentStatus.DRAFT)
    make_assessment(db, supervisor)  # their own is not theirs to endorse
    referral = w.referral()
    make_action(db, referral, w.police, officer_id=w.referrer.id)
    make_action(
        db, referral, w.police, officer_id=w.referrer.id, due_date=uk_today() - timedelta(days=2)
    )

    html = login(w.referrer).get("/").get_data(as_text=True)
    asked = "Your referrals with a request for more information"
    # One number where the counts agree: "1 1 to answer" is heard as "eleven".
    assert _line(html, asked) == f"1 to answer View {asked.lower()}"
    assert _line(html, "Your unfinished risk assessments").startswith("1 ")
    assert _line(html, "Your open actions").startswith("2 , 1 overdue")
    assert "Assessments waiting for your endorsement" not in html
    assert "Next meetings" not in html and "Referrals to screen" not in html

    html = login(supervisor).get("/").get_data(as_text=True)
    assert _line(html, "Assessments waiting for your endorsement").startswith("2 to endorse")
    assert _line(html, asked).startswith("None")
    assert "Your unfinished risk assessments" not in html  # none: the line is left out


def test_admin_sees_emails_that_failed(db: Session, login) -> None:
    w = PanelWorld(db)
    for error in ("", "SMTPConnectError: refused", "HTTPError: 500"):
        db.add(
            OutboxMessage(recipient="a@example.org", kind="k", subject="s", body="b", error=error)
        )
    db.commit()
    admin = make_user(db, Role.ADMIN, agency=w.police)
    html = login(admin).get("/").get_data(as_text=True)
    assert _line(html, "Emails that could not be sent").startswith("2 failed")
    assert 'href="/admin/users"' in html and "Your open actions" not in html


def test_home_page_runs_a_fixed_number_of_queries(db: Session, login, count_queries) -> None:
    w = PanelWorld(db)
    coordinator, member = login(w.coordinator), login(w.police_member)
    counts: dict[str, list[int]] = {"coordinator": [], "member": []}
    for size in (2, 20):
        for n in range(size):
            w.referral(status=ReferralStatus.NEW)
            meeting = w.meeting(7 + n % 4)
            w.listed(meeting, w.referral(), 1)
            w.publish(meeting)
            make_action(db, w.referral(), w.police, officer_id=w.police_member.id)
        for name, client in (("coordinator", coordinator), ("member", member)):
            with count_queries() as q:
                assert client.get("/").status_code == 200
            counts[name].append(q.count)
    assert counts["coordinator"][0] == counts["coordinator"][1], counts
    assert counts["member"][0] == counts["member"][1], counts
