"""What the retention pages and jobs read: the schedule in force, what is due, the log.

The review page names records by reference, kind, area and dates only: the information
governance role reviews retention without seeing case content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, Subquery, func, select, union
from sqlalchemy.orm import Session

from marac.accounts.models import Area, Role, User
from marac.actions.models import Action, ActionReview
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.attachments.models import Attachment
from marac.audit.models import AuditEvent
from marac.formatting import format_date
from marac.imports.models import ImportedRow
from marac.incidents.models import Incident
from marac.incidents.titles import incident_title
from marac.meetings.models import AgendaItem, CaseResearch
from marac.notify.models import Notification, OutboxMessage
from marac.operations import NotFound, allow
from marac.panels.models import Meeting
from marac.referrals.models import Referral, ReferralIncident, ReferralStatus
from marac.retention.models import (
    DisposalLog,
    DisposedRecord,
    RetentionDue,
    RetentionHold,
    RetentionPeriod,
)
from marac.retention.schedule import KINDS, SCHEDULE, UK, Kind, RecordType, cutoff, due_on

REVIEWERS = (Role.GOVERNANCE, Role.ADMIN)
LISTED_ON_PAGE = 200  # a page lists this many records of a kind; the count says the rest
REFERRAL_TYPES = (RecordType.CLOSED_REFERRAL.value, RecordType.DECLINED_REFERRAL.value)
# The internal kind case disposal marks incidents with (`disposal.INCIDENT`); an incident
# disposed of on its own is marked the same way, so either disposal sees the other's.
DISPOSED_INCIDENT = "incident"
IN_PROGRESS = (AssessmentStatus.DRAFT.value, AssessmentStatus.SUBMITTED.value)


def may_review(actor: User) -> bool:
    """The data protection officer, and administrators where a council has none."""
    return actor.has_role(*REVIEWERS)


def periods(db: Session) -> dict[str, int]:
    """Months per record type: the council's own, else the default."""
    own = dict(db.execute(select(RetentionPeriod.record_type, RetentionPeriod.months)).all())
    return {kind.record_type.value: own.get(kind.record_type.value, kind.default_months)
            for kind in SCHEDULE}  # fmt: skip


def started_before(months: int, today: date) -> datetime:
    """Records that started before this instant (UTC) are due today."""
    next_day = cutoff(months, today) + timedelta(days=1)
    return datetime.combine(next_day, time.min, tzinfo=UK).astimezone(UTC)


def _undisposed(record_type: str, column: object) -> object:
    disposed = select(DisposedRecord.object_id).where(DisposedRecord.record_type == record_type)
    return column.not_in(disposed)  # type: ignore[attr-defined]


def candidates(db: Session, record_type: str, months: int, today: date) -> dict[int, date]:
    """Each record of the kind past its date today (not yet disposed of): id -> due date."""
    bound = started_before(months, today)
    kind = RecordType(record_type)
    if kind is RecordType.CLOSED_REFERRAL:
        rows = db.execute(
            select(Referral.id, Referral.closed_at).where(
                Referral.status == ReferralStatus.CLOSED.value,
                Referral.closed_at.is_not(None),
                Referral.closed_at < bound,
                _undisposed(record_type, Referral.id),
            )
        ).all()
    elif kind is RecordType.DECLINED_REFERRAL:
        declined = func.coalesce(Referral.screened_at, Referral.updated_at)
        rows = db.execute(
            select(Referral.id, declined).where(
                Referral.status.in_((ReferralStatus.DECLINED.value, ReferralStatus.MERGED.value)),
                declined < bound,
                _undisposed(record_type, Referral.id),
            )
        ).all()
    elif kind is RecordType.MEETING:
        # A meeting's date is a calendar day already: no time zone to turn.
        rows = db.execute(
            select(Meeting.id, Meeting.meeting_date).where(
                Meeting.meeting_date <= cutoff(months, today),
                _undisposed(record_type, Meeting.id),
                Meeting.id.not_in(_waiting_meetings()),
            )
        ).all()
        return {row[0]: due_on(row[1], months) for row in rows}
    elif kind is RecordType.UNREFERRED_INCIDENT:
        return {
            incident_id: due_on(last, months)
            for incident_id, last in unreferred_incidents(db, bound).items()
        }
    elif kind is RecordType.NOTIFICATION:
        rows = db.execute(
            select(Notification.id, Notification.created_at).where(Notification.created_at < bound)
        ).all()
    elif kind is RecordType.OUTBOX:
        rows = db.execute(
            select(OutboxMessage.id, OutboxMessage.sent_at).where(
                OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < bound
            )
        ).all()
    else:  # audit rows are counted, never listed one by one (review only)
        return {}
    return {row[0]: due_on(_aware(row[1]), months) for row in rows}


def referred_incidents() -> Select[tuple[int]]:
    """Every incident a referral holds, in any way: linked to it, its trigger, the incident
    of its assessment, or imported in the same spreadsheet row as a referral."""
    held = union(
        select(ReferralIncident.incident_id.label("incident_id")),
        select(Referral.trigger_incident_id).where(Referral.trigger_incident_id.is_not(None)),
        select(RiskAssessment.incident_id)
        .join(Referral, Referral.assessment_id == RiskAssessment.id)
        .where(RiskAssessment.incident_id.is_not(None)),
        select(ImportedRow.incident_id).where(ImportedRow.referral_id.is_not(None)),
    ).subquery()
    return select(held.c.incident_id)


def _in_progress() -> Select[tuple[int]]:
    """Incidents with an assessment in draft or waiting for endorsement: never due, so
    nobody's assessment is disposed of under them."""
    return select(RiskAssessment.incident_id).where(
        RiskAssessment.incident_id.is_not(None), RiskAssessment.status.in_(IN_PROGRESS)
    )


def _latest_activity() -> Subquery:
    """(incident, when) for the last change to any of an incident's assessments or the
    last document added to it: the clock runs from whichever is latest."""
    changes = union(
        select(
            RiskAssessment.incident_id.label("incident_id"), RiskAssessment.updated_at.label("at")
        ).where(RiskAssessment.incident_id.is_not(None)),
        select(Attachment.incident_id, Attachment.uploaded_at).where(
            Attachment.incident_id.is_not(None)
        ),
    ).subquery()
    return (
        select(changes.c.incident_id, func.max(changes.c.at).label("at"))
        .group_by(changes.c.incident_id)
        .subquery()
    )


def unreferred_incidents(
    db: Session, bound: datetime, ids: list[int] | None = None
) -> dict[int, datetime]:
    """Incidents no referral holds, not disposed of, with no assessment in progress, whose
    last activity (recorded, an assessment changed, a document added) was before `bound`:
    id -> that last activity. `ids` narrows it (the disposal's second look)."""
    latest = _latest_activity()
    query = (
        select(Incident.id, Incident.created_at, latest.c.at)
        .outerjoin(latest, latest.c.incident_id == Incident.id)
        .where(
            Incident.created_at < bound,
            latest.c.at.is_(None) | (latest.c.at < bound),
            Incident.id.not_in(referred_incidents()),
            Incident.id.not_in(_in_progress()),
            _undisposed(DISPOSED_INCIDENT, Incident.id),  # type: ignore[arg-type]
        )
    )
    if ids is not None:
        query = query.where(Incident.id.in_(ids))
    found = {}
    for incident_id, created, changed in db.execute(query):
        last = _aware(created)
        found[incident_id] = max(last, _aware(changed)) if changed is not None else last
    return found


def _meeting_cases() -> Subquery:
    """(meeting, referral) for every case a meeting dealt with: listed on its agenda,
    researched for it, given an action at it, or an earlier action reviewed at it."""
    return union(
        select(AgendaItem.meeting_id.label("meeting_id"), AgendaItem.referral_id.label("case")),
        select(CaseResearch.meeting_id, CaseResearch.referral_id),
        select(Action.meeting_id, Action.referral_id).where(Action.meeting_id.is_not(None)),
        select(ActionReview.meeting_id, Action.referral_id).join(
            Action, Action.id == ActionReview.action_id
        ),
    ).subquery()


def _waiting_meetings() -> Select[tuple[int]]:
    """Meetings with a case not yet disposed of (open, closed but not due, or kept).

    The rule: minutes discuss many cases, and a case kept on legal hold keeps the record
    of the meetings that discussed it, so a meeting is due only once every case on it has
    been disposed of (and its own date has passed).
    """
    cases = _meeting_cases()
    disposed = select(DisposedRecord.object_id).where(
        DisposedRecord.record_type.in_(REFERRAL_TYPES)
    )
    return select(cases.c.meeting_id).where(cases.c.case.not_in(disposed))


def meetings_waiting(db: Session, ids: list[int]) -> set[int]:
    """Of these meetings, those a case not yet disposed of still holds (see above)."""
    if not ids:
        return set()
    waiting = _waiting_meetings().subquery()
    return set(db.scalars(select(waiting.c.meeting_id).where(waiting.c.meeting_id.in_(ids))))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back coalesce() results without the column type's conversion.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def active_holds(db: Session, record_type: str, today: date) -> set[int]:
    """Records kept with a reason whose review date has not come."""
    return set(
        db.scalars(
            select(RetentionHold.object_id).where(
                RetentionHold.record_type == record_type, RetentionHold.review_on > today
            )
        )
    )


def disposable_ids(db: Session, record_type: str, today: date) -> list[int]:
    """What the last listing found due, less anything kept since: what a disposal takes."""
    held = active_holds(db, record_type, today)
    listed = db.scalars(
        select(RetentionDue.object_id)
        .where(RetentionDue.record_type == record_type)
        .order_by(RetentionDue.object_id)
    )
    return [object_id for object_id in listed if object_id not in held]


@dataclass(frozen=True)
class DueRecord:
    object_id: int
    due_on: date
    reference: str = ""
    status: str = ""
    area: str = ""


@dataclass(frozen=True)
class HoldRow:
    record_type: str
    object_id: int
    reference: str
    reason: str
    review_on: date
    held_by: str


@dataclass(frozen=True)
class KindReview:
    kind: Kind
    months: int
    count: int
    records: list[DueRecord]


@dataclass(frozen=True)
class LogRow:
    record_type: str
    label: str
    count: int
    people_anonymised: int
    documents_deleted: int
    disposed_by: str
    disposed_at: datetime


@dataclass(frozen=True)
class Review:
    today: date
    kinds: list[KindReview]
    holds: list[HoldRow]
    log: list[LogRow]


def _references(
    db: Session, ids: list[int], record_type: str = RecordType.CLOSED_REFERRAL.value
) -> dict[int, tuple[str, str, str]]:
    """(reference, status, area) per record: a case's reference, a meeting's panel and
    date. Never a name or a case listed at a meeting."""
    if not ids:
        return {}
    if record_type == RecordType.MEETING.value:
        meetings = db.scalars(select(Meeting).where(Meeting.id.in_(ids))).all()
        return {
            m.id: (
                f"{m.panel.name}, {format_date(m.meeting_date)}",
                m.status,
                ", ".join(sorted(area.name for area in m.panel.areas)),
            )
            for m in meetings
        }
    if record_type == RecordType.UNREFERRED_INCIDENT.value:
        # Its title (type and day) and the day it was recorded: no name, place or description.
        found = db.execute(
            select(Incident, Area.name)
            .outerjoin(Area, Area.id == Incident.area_id)
            .where(Incident.id.in_(ids))
        ).all()
        return {
            incident.id: (
                f"{incident_title(incident)}, recorded {format_date(_aware(incident.created_at))}",
                "",
                area or "",
            )
            for incident, area in found
        }
    rows = db.execute(
        select(Referral.id, Referral.reference, Referral.status, Area.name)
        .outerjoin(Area, Area.id == Referral.area_id)
        .where(Referral.id.in_(ids))
    ).all()
    return {row[0]: (row[1], row[2], row[3] or "") for row in rows}


def review(db: Session, actor: User, today: date) -> Review:
    """The review page: per kind, what is due and not kept; the holds; the disposal log."""
    allow(may_review(actor))
    months = periods(db)
    kinds: list[KindReview] = []
    for kind in SCHEDULE:
        name = kind.record_type.value
        if kind.review_only:
            count = db.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.at < started_before(months[name], today)
                )
            )
            kinds.append(KindReview(kind, months[name], count or 0, []))
            continue
        ids = disposable_ids(db, name, today)
        shown = ids[:LISTED_ON_PAGE] if kind.holdable else []
        dates = dict(
            db.execute(
                select(RetentionDue.object_id, RetentionDue.due_on).where(
                    RetentionDue.record_type == name, RetentionDue.object_id.in_(shown)
                )
            ).all()
        )
        refs = _references(db, shown, name)
        records = [DueRecord(i, dates[i], *refs.get(i, ("", "", ""))) for i in shown if i in dates]
        kinds.append(KindReview(kind, months[name], len(ids), records))
    holds = _holds(db)
    return Review(today, kinds, holds, disposal_log(db, actor))


def _holds(db: Session) -> list[HoldRow]:
    rows = db.execute(
        select(RetentionHold, User.name)
        .outerjoin(User, User.id == RetentionHold.held_by_id)
        .order_by(RetentionHold.review_on, RetentionHold.object_id)
    ).all()
    refs: dict[tuple[str, int], str] = {}
    for record_type in {hold.record_type for hold, _ in rows}:
        ids = [hold.object_id for hold, _ in rows if hold.record_type == record_type]
        for object_id, found in _references(db, ids, record_type).items():
            refs[record_type, object_id] = found[0]
    return [
        HoldRow(
            hold.record_type,
            hold.object_id,
            refs.get((hold.record_type, hold.object_id), ""),
            hold.reason,
            hold.review_on,
            name or "",
        )
        for hold, name in rows
    ]


def disposal_log(db: Session, actor: User) -> list[LogRow]:
    """Every disposal, newest first: kinds and counts, never what the records said."""
    allow(may_review(actor))
    rows = db.execute(
        select(DisposalLog, User.name)
        .outerjoin(User, User.id == DisposalLog.disposed_by_id)
        .order_by(DisposalLog.disposed_at.desc(), DisposalLog.id.desc())
    ).all()
    return [
        LogRow(
            row.record_type,
            KINDS[row.record_type].label if row.record_type in KINDS else row.record_type,
            row.count,
            row.people_anonymised,
            row.documents_deleted,
            name or "",
            row.disposed_at,
        )
        for row, name in rows
    ]


def listed(db: Session, record_type: str, object_id: int) -> RetentionDue | None:
    return db.get(RetentionDue, (record_type, object_id))


def today_uk(now: datetime) -> date:
    return now.astimezone(UK).date()


def hold_target(db: Session, actor: User, record_type: str, object_id: int) -> DueRecord:
    """The record a reviewer is about to keep: listed now, or already kept (to change)."""
    allow(may_review(actor))
    due = db.get(RetentionDue, (record_type, object_id))
    hold = db.get(RetentionHold, (record_type, object_id))
    if due is None and hold is None:
        raise NotFound()
    reference, status, area = _references(db, [object_id], record_type).get(object_id, ("", "", ""))
    return DueRecord(object_id, due.due_on if due else hold.review_on, reference, status, area)  # type: ignore[union-attr]
