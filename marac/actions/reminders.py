"""The action reminders job: actions due soon, overdue actions, and the weekly overdue digest.

Safe at any cron frequency: each reminder is recorded in ReminderSent under a unique
key (kind, object, due key) in the same transaction as its messages, so it goes out
once. Each reminder commits on its own, so one failure never blocks the others; emails
are then delivered by `send_pending`, which retries failures on the next run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marac.actions.models import OUTSTANDING_STATUSES, Action
from marac.actions.notices import action_owners
from marac.notify import events
from marac.notify.models import ReminderSent
from marac.panels.schedule import long_date, not_working_reason
from marac.referrals.models import Referral

DUE_SOON_WORKING_DAYS = 3


def working_days_before(day: date, count: int) -> date:
    """The date `count` working days before `day` (weekends and bank holidays skipped)."""
    while count > 0:
        day -= timedelta(days=1)
        if not_working_reason(day) is None:
            count -= 1
    return day


def due_soon(action: Action, today: date) -> bool:
    """Due within the next 3 working days (and not yet due)."""
    return working_days_before(action.due_date, DUE_SOON_WORKING_DAYS) <= today <= action.due_date


def week_key(today: date) -> str:
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Planned:
    """One reminder to send: its unique key and how to notify."""

    kind: str
    object_id: int
    due_key: str
    describe: str
    notify: Callable[[Session], list]  # type: ignore[type-arg]


def plan(session: Session, today: date) -> list[Planned]:
    """Every reminder due today, sent or not (the unique key filters the sent ones)."""
    actions = session.scalars(
        select(Action)
        .where(Action.status.in_(OUTSTANDING_STATUSES), Action.due_date <= today + timedelta(14))
        .order_by(Action.due_date, Action.id)
    ).all()
    refs = (
        dict(
            session.execute(
                select(Referral.id, Referral.reference).where(
                    Referral.id.in_({a.referral_id for a in actions})
                )
            ).all()
        )
        if actions
        else {}
    )
    planned: list[Planned] = []
    overdue_by_agency: dict[int, list[Action]] = defaultdict(list)
    for action in actions:
        reference = refs.get(action.referral_id, "")
        key = action.due_date.isoformat()
        if action.due_date < today:
            overdue_by_agency[action.agency_id].append(action)
            planned.append(
                Planned(
                    events.ACTION_OVERDUE,
                    action.id,
                    key,
                    f"overdue reminder for action {action.id} ({reference})",
                    _notice(action, reference, events.ACTION_OVERDUE),
                )
            )
        elif due_soon(action, today):
            planned.append(
                Planned(
                    events.ACTION_DUE,
                    action.id,
                    key,
                    f"due-soon reminder for action {action.id} ({reference})",
                    _notice(action, reference, events.ACTION_DUE),
                )
            )
    for agency_id, overdue in sorted(overdue_by_agency.items()):
        planned.append(
            Planned(
                events.OVERDUE_DIGEST,
                agency_id,
                week_key(today),
                f"weekly overdue digest for agency {agency_id} ({len(overdue)} actions)",
                _digest(agency_id, len(overdue)),
            )
        )
    return planned


def _notice(action: Action, reference: str, kind: str) -> Callable[[Session], list]:  # type: ignore[type-arg]
    def run(session: Session) -> list:  # type: ignore[type-arg]
        if kind == events.ACTION_OVERDUE:
            subject = f"MARAC action overdue: {reference}"
            text = f"An action for case {reference} was due {long_date(action.due_date)}."
        else:
            subject = f"MARAC action due soon: {reference}"
            text = f"An action for case {reference} is due {long_date(action.due_date)}."
        notice = events.Notice(kind, subject, text, reference, f"/actions/{action.id}")
        return events.deliver(session, action_owners(session, action), notice)

    return run


def _digest(agency_id: int, count: int) -> Callable[[Session], list]:  # type: ignore[type-arg]
    def run(session: Session) -> list:  # type: ignore[type-arg]
        notice = events.Notice(
            events.OVERDUE_DIGEST,
            "MARAC weekly digest: overdue actions",
            f"Your agency has {count} overdue MARAC action{'s' if count != 1 else ''}.",
            "",
            # The agency's overdue actions, which the digest counts: "My actions" holds
            # only the reader's own and would often be empty.
            "/actions/agency?status=outstanding&overdue=1",
        )
        return events.deliver(session, events.members_of_agencies(session, [agency_id]), notice)

    return run


def already_sent(session: Session) -> set[tuple[str, int, str]]:
    return {
        tuple(row)
        for row in session.execute(  # type: ignore[misc]
            select(ReminderSent.kind, ReminderSent.object_id, ReminderSent.due_key)
        )
    }


def send_reminders(
    session: Session, today: date, report: Callable[[str], None] = lambda _: None
) -> list[str]:
    """Record and queue every reminder not yet sent; returns what was queued."""
    done = already_sent(session)
    queued: list[str] = []
    for item in plan(session, today):
        if (item.kind, item.object_id, item.due_key) in done:
            continue
        try:
            users = item.notify(session)
            session.add(
                ReminderSent(kind=item.kind, object_id=item.object_id, due_key=item.due_key)
            )
            session.commit()
        except IntegrityError:  # another run sent it meanwhile
            session.rollback()
            continue
        except Exception as exc:  # never let one reminder block the rest
            session.rollback()
            report(f"FAILED {item.describe}: {type(exc).__name__}: {exc}")
            continue
        line = f"{item.describe} to {len(users)} recipient{'s' if len(users) != 1 else ''}"
        queued.append(line)
        report(f"queued {line}")
    return queued
