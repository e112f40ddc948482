"""Who hears about what: one function per event, no Flask.

Each event decides its recipients by plain rules, then adds an in-app Notification and
an OutboxMessage per recipient to the caller's session, so they commit (or roll back)
with the change that caused them. Nothing about the case goes into an email beyond its
reference and a link that needs a sign-in: the content is OFFICIAL-SENSITIVE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.actions.models import Action
from marac.assessments.models import RiskAssessment
from marac.notify.models import Notification, NotificationPreference, OutboxMessage
from marac.panels.models import Meeting
from marac.panels.schedule import long_date
from marac.referrals.access import covers_area
from marac.referrals.models import Referral

P = ParamSpec("P")
R = TypeVar("R")

# Event kinds (also the Notify personalisation's "kind" and the in-app list's tag).
REFERRAL_CREATED = "referral_created"
MORE_INFO_REQUESTED = "more_info_requested"
ASSESSMENT_SUBMITTED = "assessment_submitted"
AGENDA_PUBLISHED = "agenda_published"
AGENDA_AMENDED = "agenda_amended"
ACTION_ASSIGNED = "action_assigned"
ACTION_DUE = "action_due"
ACTION_OVERDUE = "action_overdue"
OVERDUE_DIGEST = "overdue_digest"
MINUTES_ISSUED = "minutes_issued"

# Stands for the service's address in a message: empty in-app (a relative link works
# there), MARAC_BASE_URL in emails (filled in when sent, see backends.email_text).
SITE = "((site))"

# Non-essential email a user may turn off; everything else always goes.
DIGEST_KINDS = frozenset({OVERDUE_DIGEST})


@dataclass(frozen=True)
class Notice:
    """What one recipient is told: a short message, the case or meeting reference, a link."""

    kind: str
    subject: str
    message: str
    reference: str
    link: str


def _active(users: Iterable[User]) -> list[User]:
    return sorted({u.id: u for u in users if u.active}.values(), key=lambda u: u.id)


def wants_email(session: Session, user: User, kind: str) -> bool:
    """Assignment notices and other essentials always go; digests follow the preference."""
    if kind not in DIGEST_KINDS:
        return True
    pref = session.get(NotificationPreference, user.id)
    return pref is None or pref.digests


def deliver(session: Session, users: Sequence[User], notice: Notice) -> list[User]:
    """Add a notification (always) and an email (if wanted) per user; returns the users."""
    for user in users:
        session.add(
            Notification(
                user_id=user.id,
                kind=notice.kind,
                reference=notice.reference,
                message=notice.message.replace(SITE, ""),
                link=notice.link,
            )
        )
        if wants_email(session, user, notice.kind):
            session.add(
                OutboxMessage(
                    user_id=user.id,
                    recipient=user.email,
                    kind=notice.kind,
                    subject=notice.subject,
                    body=notice.message,
                    link=notice.link,
                )
            )
    return list(users)


def _quietly(event: Callable[P, R]) -> Callable[P, R]:
    """Run the event under `session.no_autoflush` (the session is the first argument)."""

    @wraps(event)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        with session.no_autoflush:  # type: ignore[attr-defined]
            return event(*args, **kwargs)

    return run


# ---- recipient rules -------------------------------------------------------------------


def coordinators_for_area(session: Session, area_id: int | None) -> list[User]:
    """The coordinators covering the area; every coordinator while the area is unknown."""
    users = session.scalars(select(User).where(User.role == Role.COORDINATOR.value))
    return _active(u for u in users if covers_area(u, area_id))


def supervisors_of(session: Session, agency_id: int, assessor_id: int) -> list[User]:
    """The agency's supervisors, never the assessor themself."""
    users = session.scalars(
        select(User).where(
            User.agency_id == agency_id,
            User.is_supervisor.is_(True),
            User.id != assessor_id,
            User.role != Role.ADMIN.value,
        )
    )
    return _active(users)


def members_of_agencies(session: Session, agency_ids: Iterable[int]) -> list[User]:
    """Panel members (the member role) of the given agencies."""
    ids = set(agency_ids)
    if not ids:
        return []
    users = session.scalars(
        select(User).where(User.agency_id.in_(ids), User.role == Role.MEMBER.value)
    )
    return _active(users)


def action_owners(session: Session, action: Action) -> list[User]:
    """The named officer; with nobody named, the owning agency's members."""
    if action.officer_id is not None:
        officer = session.get(User, action.officer_id)
        return _active([officer]) if officer else []
    return members_of_agencies(session, [action.agency_id])


# ---- events ----------------------------------------------------------------------------
# Each event runs with autoflush off: the caller's pending change (say, a versioned
# referral) must be flushed by the caller's own commit, where it handles StaleDataError.


@_quietly
def referral_created(session: Session, referral: Referral) -> list[User]:
    """A new referral (automatic or partner) waits for screening by its area's coordinators."""
    notice = Notice(
        REFERRAL_CREATED,
        f"New MARAC referral {referral.reference} to screen",
        f"Referral {referral.reference} is waiting for screening.",
        referral.reference,
        f"/referrals/{referral.id}",
    )
    return deliver(session, coordinators_for_area(session, referral.area_id), notice)


@_quietly
def more_info_requested(session: Session, referral: Referral) -> list[User]:
    """The coordinator asked the referrer for more information."""
    referrer = session.get(User, referral.referrer_id) if referral.referrer_id else None
    notice = Notice(
        MORE_INFO_REQUESTED,
        f"More information needed for referral {referral.reference}",
        f"The MARAC coordinator needs more information about referral {referral.reference}.",
        referral.reference,
        f"/referrals/{referral.id}",
    )
    return deliver(session, _active([referrer]) if referrer else [], notice)


@_quietly
def assessment_submitted(session: Session, assessment: RiskAssessment) -> list[User]:
    """A submitted risk assessment waits for a supervisor of the same agency."""
    reference = f"Assessment {assessment.id}"
    notice = Notice(
        ASSESSMENT_SUBMITTED,
        f"Risk assessment {assessment.id} waits for endorsement",
        f"Risk assessment {assessment.id} has been submitted and waits for endorsement.",
        reference,
        f"/assessments/{assessment.id}",
    )
    users = supervisors_of(session, assessment.agency_id, assessment.assessor_id)
    return deliver(session, users, notice)


def _agenda_notice(meeting: Meeting, kind: str) -> Notice:
    when = long_date(meeting.meeting_date)
    verb = "published" if kind == AGENDA_PUBLISHED else "amended"
    return Notice(
        kind,
        f"Agenda {verb}: {meeting.panel.name}, {when}",
        f"The agenda for {meeting.panel.name} on {when} at "
        f"{meeting.start_time.strftime('%H:%M')} has been {verb}. "
        f"Add it to your calendar: {SITE}/meetings/{meeting.id}.ics",
        f"{meeting.panel.name}, {when}",
        f"/meetings/{meeting.id}",
    )


@_quietly
def agenda_published(session: Session, meeting: Meeting) -> list[User]:
    """Members of the panel's agencies, with the date and a link to the .ics."""
    users = members_of_agencies(session, [a.id for a in meeting.panel.agencies])
    return deliver(session, users, _agenda_notice(meeting, AGENDA_PUBLISHED))


@_quietly
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


@_quietly
def action_assigned(session: Session, action: Action, reference: str) -> list[User]:
    """An action given to an officer (or, with nobody named, to the agency's members)."""
    notice = Notice(
        ACTION_ASSIGNED,
        f"MARAC action assigned: {reference}",
        f"An action for case {reference} has been assigned to you or your agency, "
        f"due {long_date(action.due_date)}.",
        reference,
        f"/actions/{action.id}",
    )
    return deliver(session, action_owners(session, action), notice)


@_quietly
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


def unread_count(session: Session, user: Any) -> int:
    """The header's unread notifications count: one query."""
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )
