"""A recorded, minuted meeting with two victims, each with their own records."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from marac.assessments.models import AssessmentStatus
from marac.attachments.models import Attachment
from marac.audit import record
from marac.formatting import uk_today
from marac.incidents.models import Perpetrator
from marac.minutes import lifecycle
from marac.minutes.models import Minutes, MinutesStatus
from marac.people.models import Person
from marac.storage.backends import FileStore, new_key, store
from tests.assessments.helpers import make_assessment
from tests.conftest import STORAGE_ROOT
from tests.minutes.helpers import MinutesWorld, pdf_text
from tests.referrals.helpers import make_incident

# Distinctive strings: A's must be in A's pack, B's never.
A_INCIDENT = "Eggs thrown at the door EGX-5150"
B_INCIDENT = "Graffiti on the car GRB-6161"
PERPETRATOR = "Darrow Fitch-Kellan"
ATTACHMENT_BYTES = b"%PDF-1.4 the photograph of the door"
ICO_NUMBER = "ZA123456"


class SarWorld(MinutesWorld):
    """MinutesWorld's two cases, each about its own person, with issued minutes."""

    def __init__(self, db: Session, app: Flask) -> None:
        super().__init__(db)
        self.person_a = db.get_one(Person, self.referrals[0].person_id)
        self.person_b = db.get_one(Person, self.referrals[1].person_id)
        self.police.ico_registration = ICO_NUMBER
        a_incident = make_incident(db, self.referrer, self.person_a, self.area)
        a_incident.description = A_INCIDENT
        db.add(Perpetrator(incident_id=a_incident.id, known=True, name=PERPETRATOR))
        b_incident = make_incident(db, self.referrer, self.person_b, self.area)
        b_incident.description = B_INCIDENT
        db.commit()
        self.a_assessment = make_assessment(
            db, self.referrer, a_incident, AssessmentStatus.SUBMITTED
        )
        self.b_assessment = make_assessment(
            db, self.referrer, b_incident, AssessmentStatus.SUBMITTED
        )
        stored = FileStore(Path(STORAGE_ROOT)).put(
            new_key(f"attachments/incident/{a_incident.id}"), ATTACHMENT_BYTES
        )
        self.attachment = Attachment(
            incident_id=a_incident.id,
            filename="door.pdf",
            mime="application/pdf",
            size=stored.size,
            sha256=stored.sha256,
            storage_key=stored.key,
            status="clean",
            uploaded_by_id=self.referrer.id,
        )
        db.add(self.attachment)
        db.add(
            Minutes(
                meeting_id=self.held.id,
                status=MinutesStatus.APPROVED.value,
                approved_by_id=self.coordinator.id,
            )
        )
        record(db, "person_viewed", "person", self.person_a.id, "Viewed", user=self.police_member)
        db.commit()
        with app.app_context():
            lifecycle.issue(db, self.held, self.coordinator, uk_today(), store())
        db.commit()


def read_pack(data: bytes) -> tuple[dict[str, Any], str, dict[str, bytes]]:
    """The JSON, the PDF's text and every other file of a pack's ZIP."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    content = json.loads(files.pop("pack.json"))
    text = pdf_text(files.pop("pack.pdf"))
    return content, text, files
