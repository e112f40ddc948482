"""Who hears that minutes were issued: members, agencies with actions, named officers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.actions.models import Action
from marac.notify.events import MINUTES_ISSUED, Notice, deliver, members_of_agencies, quietly
from marac.panels.models import Meeting
from marac.panels.schedule import long_date


@quietly
def minutes_issued(
    session: Session,
    meeting: Meeting,
    action_agency_ids: Iterable[int],
    full_link: str = "",
    extract_links: dict[int, str] | None = None,
) -> list[User]:
    """Members of the panel's agencies get the full minutes; agencies owning actions
    that do not sit on the panel get their extract, and officers named on the meeting's
    actions are pointed to their action. Pass links to the issued documents
    (`extract_links` by agency id) or the meeting page is linked.
    """
    when = long_date(meeting.meeting_date)
    panel_ids = {a.id for a in meeting.panel.agencies}
    members = members_of_agencies(session, panel_ids)
    deliver(
        session,
        members,
        Notice(
            MINUTES_ISSUED,
            f"Minutes issued: {meeting.panel.name}, {when}",
            f"The minutes of {meeting.panel.name} on {when} have been issued.",
            f"{meeting.panel.name}, {when}",
            full_link or f"/meetings/{meeting.id}",
        ),
    )
    notified = list(members)
    links = extract_links or {}
    for agency_id in sorted(set(action_agency_ids) - panel_ids):
        users = members_of_agencies(session, [agency_id])
        deliver(
            session,
            users,
            Notice(
                MINUTES_ISSUED,
                f"Minutes extract issued: {meeting.panel.name}, {when}",
                f"Your agency's extract of the minutes of {meeting.panel.name} on {when} "
                "has been issued.",
                f"{meeting.panel.name}, {when}",
                links.get(agency_id, "/actions/mine"),
            ),
        )
        notified.extend(users)
    notified.extend(_tell_action_officers(session, meeting, {u.id for u in notified}, when))
    return notified


def _tell_action_officers(
    session: Session, meeting: Meeting, already: set[int], when: str
) -> list[User]:
    """Officers named on the meeting's actions who were not told as members: a housing
    officer holding an action hears too, linked to the action page with the extract."""
    first_action: dict[int, tuple[User, int]] = {}
    rows = session.execute(
        select(User, Action.id)
        .join(Action, Action.officer_id == User.id)
        .where(Action.meeting_id == meeting.id)
        .order_by(Action.id)
    )
    for user, action_id in rows:
        if user.active and user.id not in already:
            first_action.setdefault(user.id, (user, action_id))
    for user, action_id in first_action.values():
        deliver(
            session,
            [user],
            Notice(
                MINUTES_ISSUED,
                f"Minutes extract issued: {meeting.panel.name}, {when}",
                f"The minutes of {meeting.panel.name} on {when} have been issued. Your "
                "action's page links your agency's extract.",
                f"{meeting.panel.name}, {when}",
                f"/actions/{action_id}",
            ),
        )
    return [user for user, _ in first_action.values()]


@quietly
def issuing_finished(session: Session, requester: User, meeting: Meeting, *, ok: bool) -> None:
    """The coordinator who asked hears how the background issue ended (in-app and email)."""
    when = long_date(meeting.meeting_date)
    name = f"{meeting.panel.name}, {when}"
    if ok:
        subject = f"Minutes issued: {name}"
        message = f"The minutes of {name} you asked to issue are issued and sent to the agencies."
    else:
        subject = f"Minutes not issued: {name}"
        message = (
            f"The minutes of {name} you asked to issue could not be issued. Nothing was "
            "issued or sent. Try again from the minutes page, or tell your administrator."
        )
    deliver(
        session,
        [requester],
        Notice(MINUTES_ISSUED, subject, message, name, f"/meetings/{meeting.id}/minutes"),
    )
