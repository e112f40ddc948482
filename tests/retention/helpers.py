"""The report tests' hand-built borough, with people, documents and reviewers for retention."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.attachments.models import Attachment, AttachmentStatus
from marac.incidents.models import Incident
from marac.people.models import Person
from marac.referrals.models import Referral
from marac.storage.backends import store
from marac.storage.objects import new_key, sha256_of
from tests.factories import make_user
from tests.reports.helpers import Borough

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
