"""Members reach their calendar feed from the meetings list and a meeting's .ics from its page."""

from __future__ import annotations

from icalendar import Calendar
from sqlalchemy.orm import Session

from marac.panels.models import AgendaStatus
from tests.meetings import PanelWorld


def test_meetings_list_links_the_feed_and_the_meeting_page_its_ics(db: Session, login) -> None:
    w = PanelWorld(db)
    meeting = w.meeting(agenda_status=AgendaStatus.PUBLISHED.value)
    member = login(w.housing_member)

    listing = member.get("/meetings/").get_data(as_text=True)
    assert "/panels/calendar-feed" in listing

    page = member.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    ics_url = f"/meetings/{meeting.id}.ics"
    assert ics_url in page
    response = member.get(ics_url)
    assert response.status_code == 200
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith(w.panel.name)
    assert login(w.outsider_member).get(ics_url).status_code == 403
