"""A recorded meeting with three agencies' information and actions, and PDF readers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.db import utcnow
from marac.formatting import uk_today
from marac.meetings.models import AgencyAttendance, Attendee, CaseInformation
from marac.panels.models import AgendaStatus, MeetingStatus
from marac.storage.backends import FileStore
from tests.factories import make_user
from tests.meeting_factories import make_action, make_meeting
from tests.meetings import PanelWorld

# Distinctive strings: each must appear only where its agency may read it.
POLICE_INFO = "Police intelligence PZQ-7731 on the suspect"
HOUSING_INFO = "Housing tenancy file HXW-4410 notes"
RISKS = "Panel risk discussion RKV-2208"
HOUSING_ACTION = "Serve tenancy warning HAX-1001"
POLICE_ACTION = "Arrest enquiry PAX-2002"
VS_ACTION = "Victim Support visit VAX-3003"
POLICE_OFFICER = "Sergeant Quill Pardoe"


class MinutesWorld(PanelWorld):
    """PanelWorld plus a held meeting with two cases and actions for three agencies."""

    def __init__(self, db: Session, cases: int = 2) -> None:
        super().__init__(db)
        today = uk_today()
        self.housing_officer = make_user(db, Role.REFERRER, agency=self.housing)
        self.police_officer = make_user(db, Role.REFERRER, agency=self.police, name=POLICE_OFFICER)
        self.admin = make_user(db, Role.ADMIN)
        self.held = make_meeting(
            db,
            self.panel,
            today - timedelta(days=2),
            agenda_status=AgendaStatus.PUBLISHED.value,
            status=MeetingStatus.HELD.value,
            record_completed_at=utcnow(),
        )
        self.following = make_meeting(db, self.panel, today + timedelta(days=40))
        self.referrals = [self.referral() for _ in range(cases)]
        self.items = [
            self.listed(self.held, r, i + 1, risk_level_after="medium", decision="review")
            for i, r in enumerate(self.referrals)
        ]
        first, second = self.items[0], self.items[1]
        first.risks_identified = RISKS
        db.add_all(
            [
                CaseInformation(
                    agenda_item_id=first.id, agency_id=self.police.id, information=POLICE_INFO
                ),
                CaseInformation(
                    agenda_item_id=first.id, agency_id=self.housing.id, information=HOUSING_INFO
                ),
                AgencyAttendance(
                    meeting_id=self.held.id, agency_id=self.police.id, status="present"
                ),
                AgencyAttendance(
                    meeting_id=self.held.id, agency_id=self.housing.id, status="apologies"
                ),
                Attendee(meeting_id=self.held.id, agency_id=self.police.id, name="Inspector Hale"),
            ]
        )
        db.commit()
        self.housing_action = make_action(
            db,
            self.referrals[0],
            self.housing,
            self.held,
            description=HOUSING_ACTION,
            agenda_item_id=first.id,
            officer_id=self.housing_officer.id,
        )
        self.police_action = make_action(
            db,
            self.referrals[0],
            self.police,
            self.held,
            description=POLICE_ACTION,
            agenda_item_id=first.id,
            officer_id=self.police_officer.id,
        )
        self.vs_action = make_action(
            db,
            self.referrals[1],
            self.victim_support,
            self.held,
            description=VS_ACTION,
            agenda_item_id=second.id,
        )


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page."""
    return [page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return "\n".join(pdf_pages(data))


def stored_bytes(document: Any) -> bytes:
    """An issued document's bytes as they sit in the test store (unchecked)."""
    from tests.conftest import STORAGE_ROOT

    return FileStore(Path(STORAGE_ROOT)).read(document.storage_key)


def large_meeting(db: Session, cases: int = 20, extra_agencies: int = 3) -> MinutesWorld:
    """A MinutesWorld with `cases` cases and actions for 3 + `extra_agencies` agencies:
    a version of 1 + 3 + extra_agencies documents, approved and ready to issue."""
    from marac.accounts.models import AgencyType
    from marac.minutes.models import Minutes, MinutesStatus
    from tests.factories import make_agency

    world = MinutesWorld(db, cases=cases)
    for n in range(extra_agencies):
        agency = make_agency(db, type=AgencyType.CHARITY)
        # An action on every case: each extract is as long as the minutes, so the
        # documents take long enough to render for the progress to be seen.
        for referral, item in zip(world.referrals, world.items, strict=True):
            make_action(
                db, referral, agency, world.held, description=f"Call {n}", agenda_item_id=item.id
            )
    db.add(
        Minutes(
            meeting_id=world.held.id,
            status=MinutesStatus.APPROVED.value,
            approved_by_id=world.coordinator.id,
            approved_at=utcnow(),
        )
    )
    db.commit()
    return world


def queued_settings(database_url: str, tmp_path: Path) -> Any:
    """Settings whose queue is a SQLite file a real `marac worker` reads (tests/workers.py)."""
    from tests.conftest import settings_for

    return settings_for(
        database_url,
        queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
        queue_name=f"marac-test-{tmp_path.name}"[:60],
        job_stale_seconds=5,
    )


def queued_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """An app on `queued_settings`, for an `app` fixture to `yield from`: jobs wait for a worker."""
    from marac import create_app
    from tests.conftest import Client

    application = create_app(queued_settings(database_url, tmp_path))
    application.test_client_class = Client
    yield application
    application.extensions["marac_db"].engine.dispose()
