"""The report tests' hand-built borough, with people, documents and reviewers for retention."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.attachments.models import Attachment, AttachmentStatus
from marac.incidents.models import Incident
from marac.meetings.models import AgencyAttendance, AgendaAmendment, AttendanceStatus, Attendee
from marac.minutes.models import (
    DocumentKind,
    IssuedDocument,
    Minutes,
    MinutesStatus,
    RenderedKind,
    StoredPdf,
)
from marac.panels.models import AgendaStatus, Meeting, MeetingStatus
from marac.people.models import Person
from marac.referrals.models import Referral
from marac.storage.backends import store
from marac.storage.objects import Store, new_key, sha256_of
from tests.factories import make_user
from tests.reports.helpers import Borough, at

# r4 closed 20 February 2026 and r1 30 March 2026: six years on, they are due.
R1_DUE = date(2032, 3, 30)
R4_DUE = date(2032, 2, 20)
DOCUMENT = b"%PDF-1.7 a statement naming Alice Example"


class RetentionBorough(Borough):
    """Borough, with a named victim on r1, a document on it, and the people who review."""

    def __init__(self, db: Session) -> None:
        super().__init__(db)
        self.victim = db.get(Person, self.r1.person_id)
        assert self.victim is not None
        self.victim.set_identity("Alice Example", "AK1 2BX")
        self.victim.date_of_birth = date(1980, 5, 17)
        self.victim.address = "12 Mill Road"
        self.r1.reasons = "Alice was followed home from the mosque"
        self.r1.closure_reason = "Alice moved away"
        incident = db.get(Incident, self._incident_of(db, self.r1))
        assert incident is not None
        incident.description = "Abuse shouted at Alice Example"
        self.incident = incident
        self.governance = make_user(db, Role.GOVERNANCE, agency=self.police)
        self.admin = make_user(db, Role.ADMIN, agency=self.police)
        self.member = make_user(db, Role.MEMBER, agency=self.police)
        db.commit()

    @staticmethod
    def _incident_of(db: Session, referral: Referral) -> int:
        from marac.referrals.models import ReferralIncident

        link = db.query(ReferralIncident).filter_by(referral_id=referral.id).one()
        return link.incident_id

    def add_document(self, db: Session, uploader: User) -> Attachment:
        """A clean document on r1, its bytes in the app's store (needs an app context)."""
        stored = store().put(new_key("attachments", ".pdf"), DOCUMENT)
        attachment = Attachment(
            referral_id=self.r1.id,
            filename="statement-alice.pdf",
            description="Alice's statement",
            mime="application/pdf",
            size=stored.size,
            sha256=sha256_of(DOCUMENT),
            storage_key=stored.key,
            status=AttachmentStatus.CLEAN.value,
            uploaded_by_id=uploader.id,
            uploaded_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        db.add(attachment)
        db.commit()
        return attachment


# The meetings of the borough: January heard r4 only, February r1 only; March (r2) and
# late March (r1 and r3) each hold an open case. Six years on, from their dates.
M_JAN, M_FEB = date(2026, 1, 5), date(2026, 2, 9)
M_MAR, M_LATE = date(2026, 3, 2), date(2026, 3, 23)
MINUTES = b"%PDF-1.7 minutes: Alice Example was followed home"
ATTENDEE = "Priya Attending"


class MeetingBorough(RetentionBorough):
    """RetentionBorough with February's meeting held, attended and its minutes issued."""

    def __init__(self, db: Session) -> None:
        super().__init__(db)
        found = {
            m.meeting_date: m
            for m in db.scalars(select(Meeting).where(Meeting.panel_id == self.panel.id))
        }
        self.m_jan, self.m_feb, self.m_mar, self.m_late = (
            found[d] for d in (M_JAN, M_FEB, M_MAR, M_LATE)
        )
        for meeting in (self.m_feb, self.m_late):
            meeting.status = MeetingStatus.HELD.value
            meeting.agenda_status = AgendaStatus.PUBLISHED.value
            db.add(Attendee(meeting_id=meeting.id, agency_id=self.police.id, name=ATTENDEE,
                            job_title="Hate crime officer"))  # fmt: skip
            db.add(AgencyAttendance(meeting_id=meeting.id, agency_id=self.police.id,
                                    status=AttendanceStatus.PRESENT.value))  # fmt: skip
        self.m_feb.change_note = "Moved: Alice Example's hearing date"
        self.m_feb.minutes_issued_at = at(2026, 2, 12)
        db.add(AgendaAmendment(meeting_id=self.m_feb.id, summary="Added a case",
                               reason="Alice Example was attacked again"))  # fmt: skip
        db.add(Minutes(meeting_id=self.m_feb.id, status=MinutesStatus.ISSUED.value,
                       current_version=1, issued_at=at(2026, 2, 12)))  # fmt: skip
        db.commit()

    def issue_documents(self, db: Session, store: Store) -> list[str]:
        """February's full minutes and police extract in `store`, an older copy held in
        the row, and a stored agenda PDF; the store keys."""
        keys = []
        for kind, agency in ((DocumentKind.FULL, None), (DocumentKind.EXTRACT, self.police.id)):
            stored = store.put(new_key(f"minutes/{self.m_feb.id}", ".pdf"), MINUTES)
            keys.append(stored.key)
            db.add(IssuedDocument(
                meeting_id=self.m_feb.id, kind=kind.value, agency_id=agency, version_number=1,
                storage_key=stored.key, sha256=stored.sha256, size_bytes=stored.size,
                page_count=1, issued_at=at(2026, 2, 12),
            ))  # fmt: skip
        db.add(IssuedDocument(
            meeting_id=self.m_feb.id, kind=DocumentKind.FULL.value, version_number=0,
            superseded=True, reason="Alice's name was wrong", pdf=MINUTES,
            sha256=sha256_of(MINUTES), size_bytes=len(MINUTES), page_count=1,
            issued_at=at(2026, 2, 11),
        ))  # fmt: skip
        agenda = store.put(new_key(f"agendas/{self.m_feb.id}", ".pdf"), MINUTES)
        keys.append(agenda.key)
        db.add(StoredPdf(kind=RenderedKind.AGENDA.value, object_id=self.m_feb.id,
                         fingerprint="f" * 64, storage_key=agenda.key, sha256=agenda.sha256,
                         size_bytes=agenda.size, page_count=1))  # fmt: skip
        db.commit()
        return keys
