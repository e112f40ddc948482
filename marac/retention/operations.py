"""Every retention write: the schedule, the nightly listing, holds, and disposal.

Who decides: the information governance role (the council's data protection officer)
and administrators may keep or dispose of records; only administrators change the
schedule. Referrers, panel members and coordinators may do neither: the people who hold
a case do not decide when it is forgotten.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.audit.log import record
from marac.db import utcnow
from marac.jobs.models import Job
from marac.jobs.queue import submit
from marac.operations import Invalid, NotFound, allow, operation
from marac.retention import disposal
from marac.retention.models import DisposalLog, RetentionDue, RetentionHold, RetentionPeriod
from marac.retention.queries import (
    active_holds,
    candidates,
    disposable_ids,
    may_review,
    meetings_waiting,
    periods,
    started_before,
    unreferred_incidents,
)
from marac.retention.schedule import KINDS, SCHEDULE, RecordType, check_months, in_words
from marac.storage.objects import Store

DISPOSE_JOB = "retention_dispose"
BATCH = 50  # records per transaction in the disposal job
REASON_LIMIT = 2000


def _kind(record_type: str) -> str:
    if record_type not in KINDS:
        raise NotFound()
    return record_type


@operation
def set_periods(db: Session, actor: User, months: dict[str, int]) -> list[str]:
    """Change the schedule; returns the record types whose period changed."""
    allow(actor.has_role(Role.ADMIN))
    errors = {}
    for record_type, value in months.items():
        _kind(record_type)
        problem = check_months(value)
        if problem:
            errors[record_type] = problem
    if errors:
        raise Invalid(errors)
    current = periods(db)
    changed = []
    for record_type, value in months.items():
        if current[record_type] == value:
            continue
        row = db.get(RetentionPeriod, record_type)
        if row is None:
            row = RetentionPeriod(record_type=record_type)
            db.add(row)
        row.months = value
        row.updated_by_id = actor.id
        changed.append(record_type)
        record(
            db,
            "retention_period_changed",
            "retention_period",
            record_type,
            f"{KINDS[record_type].label}: {in_words(current[record_type])} to {in_words(value)}",
            user=actor,
        )
    return changed


@operation
def list_due(db: Session, today: date) -> dict[str, int]:
    """The nightly listing: what is past its date today and not kept, per record type.

    Run by the schedule, not a person. It replaces the list, so a record whose hold
    lapsed comes back, and one disposed of or kept since is gone. Safe to run twice.
    """
    months = periods(db)
    found: dict[str, int] = {}
    for kind in SCHEDULE:
        if kind.review_only:
            continue
        name = kind.record_type.value
        due = candidates(db, name, months[name], today)
        for object_id in active_holds(db, name, today):
            due.pop(object_id, None)
        listed = {
            row.object_id: row
            for row in db.scalars(select(RetentionDue).where(RetentionDue.record_type == name))
        }
        for object_id, row in listed.items():
            if object_id not in due:
                db.delete(row)
            else:
                row.due_on = due[object_id]
        for object_id, day in due.items():
            if object_id not in listed:
                db.add(RetentionDue(record_type=name, object_id=object_id, due_on=day))
        found[name] = len(due)
    return found


@operation
def keep(
    db: Session,
    actor: User,
    record_type: str,
    object_id: int,
    reason: str,
    review_on: date | None,
    today: date,
) -> RetentionHold:
    """Keep a record past its date (a legal hold): a reason and the day to look again."""
    allow(may_review(actor))
    kind = KINDS[_kind(record_type)]
    hold = db.get(RetentionHold, (record_type, object_id))
    if not kind.holdable or (
        hold is None and db.get(RetentionDue, (record_type, object_id)) is None
    ):
        raise NotFound()
    errors: dict[str, str] = {}
    reason = reason.strip()
    if not reason:
        errors["reason"] = "Enter why the record is being kept"
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = f"Reason must be {REASON_LIMIT} characters or fewer"
    if review_on is None:
        errors["review_on"] = "Enter the date to review the record again"
    elif review_on <= today:
        errors["review_on"] = "The review date must be in the future"
    if errors:
        raise Invalid(errors)
    assert review_on is not None
    if hold is None:
        hold = RetentionHold(record_type=record_type, object_id=object_id)
        db.add(hold)
    hold.reason = reason
    hold.review_on = review_on
    hold.held_by_id = actor.id
    hold.held_at = utcnow()
    db.execute(
        delete(RetentionDue).where(
            RetentionDue.record_type == record_type, RetentionDue.object_id == object_id
        )
    )
    record(
        db,
        "retention_kept",
        record_type,
        object_id,
        f"{kind.label}: kept until review on {review_on.isoformat()}",
        user=actor,
    )
    return hold


@operation
def request_disposal(db: Session, actor: User, record_type: str, today: date) -> Job:
    """Dispose of every listed record of a kind not kept: a job, with progress."""
    allow(may_review(actor))
    kind = KINDS[_kind(record_type)]
    if kind.review_only:
        raise Invalid(
            {"record_type": f"{kind.label} is reviewed only and cannot be disposed of here"}
        )
    ids = disposable_ids(db, record_type, today)
    if not ids:
        raise Invalid({"record_type": f"There are no {kind.label.lower()} to dispose of"})
    job = submit(
        db,
        DISPOSE_JOB,
        requested_by_id=actor.id,
        title=f"Disposing of {kind.count(len(ids))}",
        object_type="retention",
        params={"record_type": record_type, "ids": ids},
        total=len(ids),
        result_link="/governance/retention",
    )
    record(
        db,
        "retention_disposal_requested",
        "retention",
        record_type,
        f"{kind.label}: {len(ids)} records, job {job.id}",
        user=actor,
    )
    return job


@operation
def dispose_batch(
    db: Session,
    actor: User,
    job_id: int,
    record_type: str,
    ids: list[int],
    today: date,
    store: Store,
) -> int:
    """One transaction of the disposal job; returns how many records it disposed of.

    Each record is checked again: still listed (so not disposed of already), and not
    kept since the disposal was asked for. The disposal log row of the job adds up.
    """
    allow(may_review(actor))
    kind = KINDS[_kind(record_type)]
    allow(not kind.review_only)
    held = active_holds(db, record_type, today)
    listed = set(
        db.scalars(
            select(RetentionDue.object_id).where(
                RetentionDue.record_type == record_type, RetentionDue.object_id.in_(ids)
            )
        )
    )
    take = sorted(listed - held)
    if kind.record_type is RecordType.MEETING:
        # The listing's rule again, in this transaction: every case on it disposed of.
        waiting = meetings_waiting(db, take)
        take = [object_id for object_id in take if object_id not in waiting]
        done = disposal.dispose_meetings(db, store, take)
    elif kind.record_type is RecordType.UNREFERRED_INCIDENT:
        # Again in this transaction: a referral may have been made, or an assessment
        # started, since the listing. Such an incident is skipped and leaves the list.
        bound = started_before(periods(db)[record_type], today)
        still = set(unreferred_incidents(db, bound, take))
        db.execute(
            delete(RetentionDue).where(
                RetentionDue.record_type == record_type,
                RetentionDue.object_id.in_(set(take) - still),
            )
        )
        take = sorted(still)
        done = disposal.dispose_incidents(db, store, take)
    elif kind.holdable:
        done = disposal.dispose_referrals(db, store, record_type, take)
    else:
        done = disposal.delete_messages(db, record_type, take)
    if not take:
        return 0
    db.execute(
        delete(RetentionDue).where(
            RetentionDue.record_type == record_type, RetentionDue.object_id.in_(take)
        )
    )
    log = db.scalar(select(DisposalLog).where(DisposalLog.job_id == job_id))
    if log is None:
        log = DisposalLog(
            record_type=record_type,
            job_id=job_id,
            disposed_by_id=actor.id,
            count=0,
            people_anonymised=0,
            documents_deleted=0,
        )
        db.add(log)
    log.count += done.records
    log.people_anonymised += done.people
    log.documents_deleted += done.documents
    log.disposed_at = utcnow()
    record(
        db,
        "retention_disposed",
        "retention",
        record_type,
        f"{kind.label}: {done.records} disposed of, {done.people} people anonymised, "
        f"{done.documents} documents deleted (job {job_id})",
        user=actor,
    )
    return done.records


def is_record_type(value: str) -> bool:
    return value in {kind.value for kind in RecordType}
