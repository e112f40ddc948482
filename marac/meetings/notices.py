"""Who hears about an agenda: the members of the panel's agencies."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.formatting import clock
from marac.notify.events import (
    AGENDA_AMENDED,
    AGENDA_PUBLISHED,
    SITE,
    Notice,
    deliver,
    members_of_agencies,
    quietly,
)
from marac.notify.models import Notification
from marac.panels.models import Meeting
from marac.panels.schedule import long_date


def _agenda_notice(meeting: Meeting, kind: str) -> Notice:
    when = long_date(meeting.meeting_date)
    verb = "published" if kind == AGENDA_PUBLISHED else "amended"
    return Notice(
        kind,
        f"Agenda {verb}: {meeting.panel.name}, {when}",
        f"The agenda for {meeting.panel.name} on {when} at "
        f"{clock(meeting.start_time)} has been {verb}. "
        f"Add it to your calendar: {SITE}/meetings/{meeting.id}.ics",
        f"{meeting.panel.name}, {when}",
        f"/meetings/{meeting.id}",
    )


@quietly
def agenda_published(session: Session, meeting: Meeting) -> list[User]:
    """Members of the panel's agencies, with the date and a link to the .ics."""
    users = members_of_agencies(session, [a.id for a in meeting.panel.agencies])
    return deliver(session, users, _agenda_notice(meeting, AGENDA_PUBLISHED))


@quietly
def agenda_amended(session: Session, meeting: Meeting) -> list[User]:
    """As `agenda_published`, after the chair changes a published agenda.

    A member who has not yet opened the last amendment notice for this meeting is not
    told again: a chair making five changes in a row sends one notice, not five.
    """
    notice = _agenda_notice(meeting, AGENDA_AMENDED)
    waiting = set(
        session.scalars(
            select(Notification.user_id).where(
                Notification.kind == AGENDA_AMENDED,
                Notification.link == notice.link,
                Notification.read_at.is_(None),
            )
        )
    )
    waiting |= {  # and those added earlier in this transaction (autoflush is off)
        n.user_id
        for n in session.new
        if isinstance(n, Notification) and n.kind == AGENDA_AMENDED and n.link == notice.link
    }
    users = members_of_agencies(session, [a.id for a in meeting.panel.agencies])
    return deliver(session, [u for u in users if u.id not in waiting], notice)
