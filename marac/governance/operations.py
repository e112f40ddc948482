"""Every write of subject access, and the audited reads: asking for a pack, its completion
by the job, downloading it, recording its release, and reading who has seen a case.

Asking records a pack and a job in one transaction and returns at once; the job
(`governance.jobs`) gathers, renders, zips and stores, then `complete_pack` makes the
pack downloadable. Every step is in the audit log under the person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from marac.accounts.models import User
from marac.audit import record
from marac.db import utcnow
from marac.governance.models import RELEASE_METHODS, PackStatus, SubjectAccessPack
from marac.governance.queries import (
    SeenRow,
    handled_person,
    pack_of,
    seen_person_page,
    seen_referral,
    seen_referral_page,
)
from marac.jobs.models import Job
from marac.jobs.queue import submit
from marac.operations import Conflict, Invalid, NotFound, operation
from marac.pagination import Page
from marac.people.models import Person
from marac.referrals.models import Referral
from marac.storage.backends import get, store
from marac.storage.objects import Stored

PACK_JOB = "subject_access_pack"  # handled in governance.jobs
OBJECT = "person"
RELEASED_TO_LIMIT = 300
NOTE_LIMIT = 2000


def pack_link(pack_id: int) -> str:
    return f"/governance/subject-access/packs/{pack_id}"


@operation
def request_pack(db: Session, actor: User, person_id: int) -> Job:
    """Ask for a new pack for the person; the job builds it in the background."""
    person = handled_person(db, actor, person_id)
    pack = SubjectAccessPack(person_id=person.id, requested_by_id=actor.id)
    db.add(pack)
    db.flush()
    job = submit(
        db,
        PACK_JOB,
        requested_by_id=actor.id,
        title="Producing a subject access pack",
        object_type="subject_access_pack",
        object_id=pack.id,
        total=0,
        result_link=pack_link(pack.id),
    )
    pack.job_id = job.id
    record(
        db,
        "subject_access_requested",
        OBJECT,
        person.id,
        f"Asked for subject access pack {pack.id}",
        user=actor,
    )
    return job


@operation
def complete_pack(
    db: Session, pack_id: int, stored: Stored, record_count: int, produced_at: datetime
) -> SubjectAccessPack:
    """The job stored the ZIP: the pack becomes downloadable (a rerun is harmless)."""
    pack = db.get(SubjectAccessPack, pack_id)
    if pack is None:
        raise NotFound()
    if pack.status != PackStatus.BUILDING.value:
        return pack
    pack.status = PackStatus.READY.value
    pack.storage_key = stored.key
    pack.sha256 = stored.sha256
    pack.size_bytes = stored.size
    pack.record_count = record_count
    pack.produced_at = produced_at
    record(
        db,
        "subject_access_produced",
        OBJECT,
        pack.person_id,
        f"Produced subject access pack {pack.id}",
        user=db.get(User, pack.requested_by_id) if pack.requested_by_id else None,
    )
    return pack


@operation
def pack_failed(db: Session, job_id: int) -> None:
    """Every attempt failed: the pack says so, and may be asked for again."""
    job = db.get(Job, job_id)
    pack = db.get(SubjectAccessPack, job.object_id) if job and job.object_id else None
    if pack is not None and pack.status == PackStatus.BUILDING.value:
        pack.status = PackStatus.FAILED.value


@operation
def download_pack(db: Session, actor: User, pack_id: int) -> tuple[bytes, str]:
    """The stored ZIP (checked against its hash) and a file name; audited."""
    pack = pack_of(db, actor, pack_id)
    if pack.status not in (PackStatus.READY.value, PackStatus.RELEASED.value):
        raise NotFound("The pack is not ready yet.")
    data = get(store(), pack.storage_key, pack.sha256)
    record(
        db,
        "subject_access_downloaded",
        OBJECT,
        pack.person_id,
        f"Downloaded subject access pack {pack.id}",
        user=actor,
    )
    return data, f"subject-access-pack-{pack.person_id}-{pack.id}.zip"


@operation
def release_pack(
    db: Session, actor: User, pack_id: int, *, released_to: str, method: str, note: str = ""
) -> SubjectAccessPack:
    """Record that the reviewed pack was sent: to whom, how, by whom and when."""
    pack = pack_of(db, actor, pack_id)
    released_to = " ".join((released_to or "").split())
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if not released_to:
        errors["released_to"] = "Enter who the pack was released to"
    elif len(released_to) > RELEASED_TO_LIMIT:
        errors["released_to"] = (
            f"Who it was released to must be {RELEASED_TO_LIMIT} characters or fewer"
        )
    if method not in RELEASE_METHODS:
        errors["method"] = "Select how the pack was released"
    if len(note) > NOTE_LIMIT:
        errors["note"] = f"The note must be {NOTE_LIMIT} characters or fewer"
    if errors:
        raise Invalid(errors)
    if pack.status == PackStatus.RELEASED.value:
        raise Conflict("This pack has already been released.")
    if pack.status != PackStatus.READY.value:
        raise Invalid({"released_to": "The pack is not ready to release"})
    pack.status = PackStatus.RELEASED.value
    pack.released_by_id = actor.id
    pack.released_at = utcnow()
    pack.released_to = released_to
    pack.release_method = method
    pack.release_note = note
    record(
        db,
        "subject_access_released",
        OBJECT,
        pack.person_id,
        f"Released subject access pack {pack.id} ({RELEASE_METHODS[method]})",
        user=actor,
    )
    return pack


@operation
def view_pack_page(db: Session, actor: User, pack_id: int) -> SubjectAccessPack:
    pack = pack_of(db, actor, pack_id)
    record(
        db, "subject_access_viewed", OBJECT, pack.person_id, f"Viewed pack {pack.id}", user=actor
    )
    return pack


@operation
def view_person_seen(
    db: Session, actor: User, person_id: int, page: int
) -> tuple[Person, Page[SeenRow]]:
    """Who has seen the person's records; reading it is itself audited (after the read)."""
    person = handled_person(db, actor, person_id)
    rows = seen_person_page(db, person.id, page)
    record(db, "seen_list_viewed", OBJECT, person.id, "Read who has seen this person", user=actor)
    return person, rows


@operation
def view_referral_seen(
    db: Session, actor: User, referral_id: int, page: int
) -> tuple[Referral, Page[SeenRow]]:
    referral = seen_referral(db, actor, referral_id)
    rows = seen_referral_page(db, referral.id, page)
    record(
        db,
        "seen_list_viewed",
        "referral",
        referral.id,
        f"Read who has seen {referral.reference}",
        user=actor,
    )
    return referral, rows
