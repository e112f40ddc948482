"""Disposal itself: personal data and free text removed in place, documents deleted.

The rows stay, with the facts the dashboard and reports count (dates, area, strands,
risk, source, status, outcome, agencies, action due dates and statuses), so a past
period's figures do not change after disposal. What goes: names, dates of birth,
addresses, contact details, every free-text field, assessment answers, and the
attachments' bytes in the store.

A person, incident or assessment shared with a case that is still open or not yet
disposed of is left alone; it goes with the last case that holds it. An incident no
case ever held goes on its own line of the schedule (`dispose_incidents`). A meeting goes
after the last of its cases: its attendees' names, notes and documents (`dispose_meetings`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, or_, select, update
from sqlalchemy.orm import Session

from marac.actions.models import Action, ActionReview, ActionUpdate
from marac.assessments.models import RiskAssessment, RiskMeasure
from marac.attachments.models import Attachment
from marac.db import utcnow
from marac.incidents.models import Incident, Perpetrator
from marac.meetings.models import (
    AgendaAmendment,
    AgendaItem,
    Attendee,
    CaseInformation,
    CaseResearch,
)
from marac.minutes.models import IssuedDocument, RenderedKind, StoredPdf
from marac.notify.models import Notification, OutboxMessage
from marac.panels.models import Meeting
from marac.people.models import Person, PossibleMatch
from marac.referrals.models import Referral, ReferralIncident
from marac.retention.models import DisposedRecord
from marac.retention.schedule import RecordType
from marac.storage.objects import Store

# Internal kinds in `disposed_record`: what went with a case, so a later case's disposal
# knows a shared person or incident has nothing else left holding it.
INCIDENT = "incident"
ASSESSMENT = "assessment"
PERSON = "person"
REFERRAL_TYPES = (RecordType.CLOSED_REFERRAL.value, RecordType.DECLINED_REFERRAL.value)
REMOVED = "Removed"


@dataclass
class Disposed:
    records: int = 0
    people: int = 0
    documents: int = 0


def _disposed(db: Session, *kinds: str) -> set[int]:
    return set(
        db.scalars(select(DisposedRecord.object_id).where(DisposedRecord.record_type.in_(kinds)))
    )


def _mark(db: Session, kind: str, ids: Iterable[int]) -> None:
    for object_id in sorted(set(ids)):
        db.add(DisposedRecord(record_type=kind, object_id=object_id))


def _live_referrals(leaving: Iterable[int] = ()) -> Select[tuple[int]]:
    """The referrals not disposed of (nor `leaving` now), as a subquery: their ids are
    never fetched or sent back as parameters, so a batch costs the same in year ten."""
    disposed = select(DisposedRecord.object_id).where(
        DisposedRecord.record_type.in_(REFERRAL_TYPES)
    )
    query = select(Referral.id).where(Referral.id.not_in(disposed))
    leaving = sorted(set(leaving))
    return query.where(Referral.id.not_in(leaving)) if leaving else query


def _incidents_of(
    db: Session, referrals: set[int] | Select[tuple[int]], among: set[int] | None = None
) -> set[int]:
    """Incidents the referrals are about: linked, triggering, or assessed; only those
    `among` the given incidents when they are given."""
    if isinstance(referrals, set) and not referrals:
        return set()
    linked_query = select(ReferralIncident.incident_id).where(
        ReferralIncident.referral_id.in_(referrals)
    )
    trigger_query = (
        select(Referral.trigger_incident_id, RiskAssessment.incident_id)
        .outerjoin(RiskAssessment, RiskAssessment.id == Referral.assessment_id)
        .where(Referral.id.in_(referrals))
    )
    if among is not None:
        if not among:
            return set()
        linked_query = linked_query.where(ReferralIncident.incident_id.in_(among))
        trigger_query = trigger_query.where(
            or_(Referral.trigger_incident_id.in_(among), RiskAssessment.incident_id.in_(among))
        )
    linked = set(db.scalars(linked_query))
    for trigger, assessed in db.execute(trigger_query).all():
        linked |= {i for i in (trigger, assessed) if i is not None}
    return linked if among is None else linked & among


def dispose_referrals(db: Session, store: Store, record_type: str, ids: list[int]) -> Disposed:
    """Anonymise these referrals and everything only they hold; delete their documents."""
    result = Disposed(records=len(ids))
    if not ids:
        return result
    others = _live_referrals(ids)
    incidents = _incidents_of(db, set(ids)) - _disposed(db, INCIDENT)
    incidents -= _incidents_of(db, others, among=incidents)
    assessments = set(
        db.scalars(
            select(RiskAssessment.id).where(
                or_(
                    RiskAssessment.id.in_(
                        select(Referral.assessment_id).where(Referral.id.in_(ids))
                    ),
                    RiskAssessment.incident_id.in_(incidents),
                )
            )
        )
    )
    assessments -= set(
        db.scalars(
            select(Referral.assessment_id).where(
                Referral.id.in_(others), Referral.assessment_id.is_not(None)
            )
        )
    )
    assessments -= _disposed(db, ASSESSMENT)
    actions = set(db.scalars(select(Action.id).where(Action.referral_id.in_(ids))))
    items = set(db.scalars(select(AgendaItem.id).where(AgendaItem.referral_id.in_(ids))))

    result.documents = _delete_documents(db, store, ids, incidents, actions)
    _clear_referrals(db, ids)
    _clear_incidents(db, incidents)
    _clear_assessments(db, assessments)
    _clear_case_work(db, ids, actions, items)
    _mark(db, record_type, ids)
    _mark(db, INCIDENT, incidents)
    _mark(db, ASSESSMENT, assessments)
    db.flush()
    result.people = _anonymise_people(db, ids, incidents, others)
    return result


def _delete_documents(
    db: Session, store: Store, referrals: Iterable[int], incidents: set[int], actions: set[int]
) -> int:
    """Delete each attachment's object from the store; the row keeps no name or text.

    The objects go before the commit: if the transaction then fails the job runs again
    and finishes the rows (a second delete of a missing object is harmless), whereas the
    other order could leave bytes nobody points at.
    """
    rows = db.scalars(
        select(Attachment).where(
            or_(
                Attachment.referral_id.in_(list(referrals)),
                Attachment.incident_id.in_(incidents),
                Attachment.action_id.in_(actions),
            )
        )
    ).all()
    deleted = 0
    for row in rows:
        if row.storage_key:
            store.delete(row.storage_key)
            deleted += 1
        row.storage_key = ""
        row.filename = REMOVED
        row.description = ""
        row.signature = ""
    return deleted


def _clear_referrals(db: Session, ids: list[int]) -> None:
    db.execute(
        update(Referral)
        .where(Referral.id.in_(ids))
        .values(
            location="",
            location_postcode="",
            trigger_reasons=[],
            reasons="",
            victim_views="",
            lawful_basis="",
            needs="",
            support_service="",
            screening_note="",
            closure_reason="",
            victim_view_of_outcome="",
            version=Referral.version + 1,
        )
        .execution_options(synchronize_session=False)
    )


def _clear_incidents(db: Session, ids: set[int]) -> None:
    if not ids:
        return
    db.execute(
        update(Incident)
        .where(Incident.id.in_(ids))
        .values(place="", postcode="", crime_reference="", perceived_by="", description="")
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(Perpetrator)
        .where(Perpetrator.incident_id.in_(ids))
        .values(name="", description="")
        .execution_options(synchronize_session=False)
    )


def _clear_assessments(db: Session, ids: set[int]) -> None:
    if not ids:
        return
    for assessment in db.scalars(select(RiskAssessment).where(RiskAssessment.id.in_(ids))):
        assessment.answers = {}
        assessment.judgement_rationale = ""
        assessment.below_suggested_reason = ""
        assessment.endorsement_reason = ""
        if assessment.external_endorser_name is not None:
            assessment.external_endorser_name = REMOVED
        if assessment.external_endorser_reference is not None:
            assessment.external_endorser_reference = ""
    db.execute(
        update(RiskMeasure)
        .where(RiskMeasure.assessment_id.in_(ids))
        .values(description=REMOVED, responsible="")
        .execution_options(synchronize_session=False)
    )


def _clear_case_work(db: Session, ids: list[int], actions: set[int], items: set[int]) -> None:
    """Actions keep agency, due date and status (the reports count them); no text."""
    if actions:
        db.execute(
            update(Action)
            .where(Action.id.in_(actions))
            .values(description=REMOVED, version=Action.version + 1)
            .execution_options(synchronize_session=False)
        )
        for model in (ActionUpdate, ActionReview):
            db.execute(
                update(model)
                .where(model.action_id.in_(actions))
                .values(note="")
                .execution_options(synchronize_session=False)
            )
    _clear_panel_words(db, items, CaseResearch.referral_id.in_(ids))


def _clear_panel_words(db: Session, items: Any, research: ColumnElement[bool]) -> None:
    """The panel's words about cases: agenda items' reasons and risks, what was shared on
    them, and agencies' research. Cleared when the case goes and again when its meetings do.

    `items` is agenda item ids (a set or a subquery); `research` picks the research rows.
    """
    db.execute(
        update(AgendaItem)
        .where(AgendaItem.id.in_(items))
        .values(status_reason="", risks_identified="", version=AgendaItem.version + 1)
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(CaseInformation)
        .where(CaseInformation.agenda_item_id.in_(items))
        .values(information="")
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(CaseResearch)
        .where(research)
        .values(involvement="", risks="", can_offer="", version=CaseResearch.version + 1)
        .execution_options(synchronize_session=False)
    )


def _anonymise_people(
    db: Session, ids: list[int], incidents: set[int], others: Select[tuple[int]]
) -> int:
    """Anonymise each person of these cases that nothing undisposed still holds."""
    people = set(
        db.scalars(
            select(Referral.person_id).where(Referral.id.in_(ids), Referral.person_id.is_not(None))
        )
    )
    return _anonymise(db, people | _people_of_incidents(db, incidents), others)


def _people_of_incidents(db: Session, incidents: set[int]) -> set[int]:
    """The victims of these incidents, their named perpetrators and who was assessed."""
    if not incidents:
        return set()
    people = set(db.scalars(select(Incident.person_id).where(Incident.id.in_(incidents))))
    people |= set(
        db.scalars(
            select(Perpetrator.person_id).where(
                Perpetrator.incident_id.in_(incidents), Perpetrator.person_id.is_not(None)
            )
        )
    )
    people |= set(
        db.scalars(
            select(RiskAssessment.person_id).where(
                RiskAssessment.incident_id.in_(incidents), RiskAssessment.person_id.is_not(None)
            )
        )
    )
    return people


def _anonymise(db: Session, people: set[int], others: Select[tuple[int]]) -> int:
    """Anonymise those of `people` nothing undisposed still holds: a referral in `others`
    (the referrals not disposed of), an incident, perpetrator entry or assessment not
    disposed of, or a possible match a coordinator has still to decide."""
    people -= _disposed(db, PERSON)
    if not people:
        return 0
    gone_incidents = select(DisposedRecord.object_id).where(DisposedRecord.record_type == INCIDENT)
    gone_assessments = select(DisposedRecord.object_id).where(
        DisposedRecord.record_type == ASSESSMENT
    )
    held = set(
        db.scalars(
            select(Referral.person_id).where(
                Referral.id.in_(others), Referral.person_id.in_(people)
            )
        )
    )
    held |= set(
        db.scalars(
            select(Incident.person_id).where(
                Incident.person_id.in_(people), Incident.id.not_in(gone_incidents)
            )
        )
    )
    held |= set(
        db.scalars(
            select(Perpetrator.person_id).where(
                Perpetrator.person_id.in_(people), Perpetrator.incident_id.not_in(gone_incidents)
            )
        )
    )
    held |= set(
        db.scalars(
            select(RiskAssessment.person_id).where(
                RiskAssessment.person_id.in_(people), RiskAssessment.id.not_in(gone_assessments)
            )
        )
    )
    for column in (PossibleMatch.person_a_id, PossibleMatch.person_b_id):
        held |= set(db.scalars(select(column).where(column.in_(people))))
    free = sorted(people - held)
    if not free:
        return 0
    db.execute(
        update(Person)
        .where(Person.id.in_(free))
        .values(
            full_name=REMOVED,
            normalised_name="",
            date_of_birth=None,
            gender_identity="",
            address="",
            postcode="",
            phone="",
            safe_contact_notes="",
            communication_needs="",
            interpreter_language="",
            disability_adjustments="",
        )
        .execution_options(synchronize_session=False)
    )
    _mark(db, PERSON, free)
    return len(free)


def dispose_incidents(db: Session, store: Store, ids: list[int]) -> Disposed:
    """Clear incidents no case holds, with their assessments and documents.

    The caller has checked again, in this transaction, that no referral holds them (one
    may have been made since the nightly listing). Dates, area, type and strands stay
    (the reports count them); the assessments keep their levels and dates.
    """
    incidents = set(ids) - _disposed(db, INCIDENT)
    result = Disposed(records=len(incidents))
    if not incidents:
        return result
    assessments = set(
        db.scalars(select(RiskAssessment.id).where(RiskAssessment.incident_id.in_(incidents)))
    ) - _disposed(db, ASSESSMENT)
    result.documents = _delete_documents(db, store, [], incidents, set())
    _clear_incidents(db, incidents)
    _clear_assessments(db, assessments)
    _mark(db, INCIDENT, incidents)
    _mark(db, ASSESSMENT, assessments)
    db.flush()
    result.people = _anonymise(db, _people_of_incidents(db, incidents), _live_referrals())
    return result


def dispose_meetings(db: Session, store: Store, ids: list[int]) -> Disposed:
    """Clear these meetings' names and free text and delete their documents.

    The caller has checked that every case on them is disposed of already, so the
    per-case text (agenda reasons, information shared, research) went with the cases;
    it is cleared again here in case a row was missed. What stays is what the reports
    and the meeting list count: date, time, panel (and so area), venue, status, the
    agenda items with their hearing dates, attendance by agency, and the minutes'
    status, version numbers and issue dates.
    """
    result = Disposed(records=len(ids))
    if not ids:
        return result
    result.documents = _delete_meeting_documents(db, store, ids)
    db.execute(
        update(Attendee)
        .where(Attendee.meeting_id.in_(ids))
        .values(name=REMOVED, job_title="")
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(AgendaAmendment)
        .where(AgendaAmendment.meeting_id.in_(ids))
        .values(summary=REMOVED, reason="")
        .execution_options(synchronize_session=False)
    )
    items = select(AgendaItem.id).where(AgendaItem.meeting_id.in_(ids))
    _clear_panel_words(db, items, CaseResearch.meeting_id.in_(ids))
    db.execute(
        update(ActionReview)
        .where(ActionReview.meeting_id.in_(ids))
        .values(note="")
        .execution_options(synchronize_session=False)
    )
    now = utcnow()
    for meeting in db.scalars(select(Meeting).where(Meeting.id.in_(ids))):
        meeting.change_note = ""
        meeting.agenda_lapsed_reason = ""
        meeting.correction_open = False
        meeting.record_disposed_at = now
    _mark(db, RecordType.MEETING.value, ids)
    db.flush()
    return result


def _delete_meeting_documents(db: Session, store: Store, ids: list[int]) -> int:
    """Issued minutes and extracts lose their bytes (the row keeps version and date);
    stored agenda PDFs, a cache, go with their rows. Objects go before the commit, as
    for attachments."""
    deleted = 0
    for document in db.scalars(select(IssuedDocument).where(IssuedDocument.meeting_id.in_(ids))):
        if document.storage_key:
            store.delete(document.storage_key)
        if document.storage_key or document.pdf is not None:
            deleted += 1
        document.storage_key = None
        document.pdf = None
        document.reason = ""
    agendas = db.scalars(
        select(StoredPdf).where(
            StoredPdf.kind == RenderedKind.AGENDA.value, StoredPdf.object_id.in_(ids)
        )
    ).all()
    for stored in agendas:
        store.delete(stored.storage_key)
        db.delete(stored)
        deleted += 1
    return deleted


def delete_messages(db: Session, record_type: str, ids: list[int]) -> Disposed:
    """Notifications and sent emails are short-lived copies: the rows themselves go."""
    model = Notification if record_type == RecordType.NOTIFICATION.value else OutboxMessage
    if ids:
        db.execute(
            delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
        )
    return Disposed(records=len(ids))
