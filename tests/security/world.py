"""The fixture world of the authorisation matrix: one real record for every relation.

Two areas (north, south), each with a panel of one police and one housing agency; in
the north a case the panel heard at a held meeting (with issued minutes and an action
named to a housing officer) and listed again on today's published agenda. Every actor
of `tests.security.matrix.ACTORS` is a user here, related to those records as its name
says: `referrer_owner` recorded the incident, assessed it and referred the case.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role, User
from marac.accounts.sso_models import IdentityProvider
from marac.api.operations import register_client
from marac.assessments.models import AssessmentStatus
from marac.attachments.models import Attachment
from marac.db import utcnow
from marac.formatting import uk_today
from marac.governance.models import SubjectAccessPack
from marac.imports.models import ImportBatch
from marac.incidents.models import LocalStrand
from marac.jobs.models import Job
from marac.meetings.models import Attendee
from marac.minutes import lifecycle
from marac.minutes.models import DocumentKind
from marac.notify.models import Notification
from marac.panels.models import AgendaStatus, CalendarFeed, MeetingStatus
from marac.people.restriction import PersonRestriction, RestrictionAccess, RestrictionRequest
from marac.referrals.models import ReferralStatus
from marac.reports.models import PartnershipTarget
from marac.retention.models import RetentionDue
from marac.storage.backends import FileStore, new_key, store
from tests.assessments.helpers import make_assessment
from tests.conftest import STORAGE_ROOT
from tests.factories import make_agency, make_area, make_user
from tests.meeting_factories import make_action, make_agenda_item, make_meeting, make_panel
from tests.referrals.helpers import make_incident, make_person, make_referral

CALENDAR_TOKEN = "matrix-calendar-token-for-the-north-member"
VICTIM_NAME = "Orla Quenby-Matrix"  # fictional; must show only to those with a reason


def _import_upload(db: Session, coordinator: User) -> tuple[ImportBatch, Job]:
    """The north coordinator's upload (one row, no rows ready: starting it changes nothing)
    and a finished job of theirs."""
    data = b"Victim name\r\nOrla Quenby-Matrix\r\n"
    stored = FileStore(Path(STORAGE_ROOT)).put(new_key("imports/matrix", ".csv"), data)
    upload = ImportBatch(
        uploaded_by_id=coordinator.id,
        filename="history.csv",
        file_type="csv",
        store_key=stored.key,
        sha256=stored.sha256,
        size=stored.size,
        row_count=1,
        headers='["Victim name"]',
        mapping='{"0": "victim.full_name"}',
    )
    job = Job(kind="import_rows", status="done", requested_by_id=coordinator.id, title="Import")
    db.add_all([upload, job])
    db.commit()
    return upload, job


class MatrixWorld:
    """Builds the records; `users` maps actor names to users, `ids` record names to ids."""

    def __init__(self, db: Session) -> None:
        today = uk_today()
        north = make_area(db, "North", districts="AK1 AK2")
        south = make_area(db, "South", districts="ZZ9")
        police_n = make_agency(db, "North Police", AgencyType.POLICE)
        police_s = make_agency(db, "South Police", AgencyType.POLICE)
        housing_n = make_agency(db, "North Homes", AgencyType.HOUSING)
        housing_s = make_agency(db, "South Homes", AgencyType.HOUSING)
        csu = make_agency(db, "Community Safety Unit", AgencyType.POLICE)

        def user(role: Role, agency: Any, **kw: Any) -> User:
            return make_user(db, role, agency=agency, **kw)

        coordinator_n = user(Role.COORDINATOR, csu)
        coordinator_s = user(Role.COORDINATOR, csu)
        coordinator_n.areas = [north]
        coordinator_s.areas = [south]
        owner = user(Role.REFERRER, police_n)
        self.users: dict[str, User] = {
            "referrer_owner": owner,
            "referrer_same_agency": user(Role.REFERRER, police_n),
            "referrer_other_agency": user(Role.REFERRER, police_s),
            "supervisor_same_agency": user(Role.REFERRER, police_n, supervisor=True),
            "supervisor_other_agency": user(Role.REFERRER, police_s, supervisor=True),
            "member_on_panel": user(Role.MEMBER, police_n),
            "member_off_panel": user(Role.MEMBER, police_s),
            "coordinator_same_area": coordinator_n,
            "coordinator_other_area": coordinator_s,
            "action_owner": user(Role.REFERRER, housing_n),
            "admin": user(Role.ADMIN, csu),
            "governance": user(Role.GOVERNANCE, csu),
        }
        spare_user = user(Role.REFERRER, housing_s)
        panel_n = make_panel(db, [north], [police_n, housing_n], name="North MARAC")
        make_panel(db, [south], [police_s, housing_s], name="South MARAC")

        person = make_person(db, VICTIM_NAME)
        person.created_by_id = owner.id
        twin = make_person(db, VICTIM_NAME)
        incident = make_incident(db, owner, person, north)
        make_incident(db, owner, twin, north)
        # A restricted person: only the north coordinator (who restricted them) sees them.
        restricted = make_person(db, "Rowan Quill")
        restricted.created_by_id = owner.id
        make_incident(db, owner, restricted, north)
        restriction = PersonRestriction(
            person_id=restricted.id, reason="Staff member", restricted_by_id=coordinator_n.id
        )
        db.add(restriction)
        db.flush()
        restriction_request = RestrictionRequest(
            restriction_id=restriction.id,
            user_id=self.users["supervisor_same_agency"].id,
            reason="I supervise the officer",
        )
        restriction_access = RestrictionAccess(
            restriction_id=restriction.id,
            user_id=self.users["action_owner"].id,
            granted_by_id=coordinator_n.id,
        )
        db.add_all([restriction_request, restriction_access])
        db.commit()
        draft = make_assessment(db, owner, incident, AssessmentStatus.DRAFT)
        submitted = make_assessment(db, owner, incident, AssessmentStatus.SUBMITTED)
        endorsed = make_assessment(db, owner, incident, AssessmentStatus.ENDORSED)

        def referral(status: ReferralStatus, **kw: Any) -> Any:
            return make_referral(
                db, person, north, status=status, referrer=owner, risk_level="high", **kw
            )

        heard = referral(ReferralStatus.HEARD, assessment_id=endorsed.id)
        accepted = referral(ReferralStatus.ACCEPTED)
        new = referral(ReferralStatus.NEW)
        more_info = referral(ReferralStatus.MORE_INFO)
        declined = referral(ReferralStatus.DECLINED)
        closed = referral(ReferralStatus.CLOSED)

        held = make_meeting(
            db,
            panel_n,
            today - timedelta(days=42),
            agenda_status=AgendaStatus.PUBLISHED.value,
            status=MeetingStatus.HELD.value,
            record_completed_at=utcnow(),
        )
        held_item = make_agenda_item(
            db, held, heard, 1, risk_level_after="medium", decision="review"
        )
        # A closed case stays listed on the held meeting: members lose sight of it.
        make_agenda_item(db, held, closed, 2, risk_level_after="low", decision="close")
        meeting = make_meeting(db, panel_n, today, agenda_status=AgendaStatus.PUBLISHED.value)
        item = make_agenda_item(db, meeting, heard, 1, kind="review")
        # The next meeting's agenda is built but not published: members see no case on it.
        draft_meeting = make_meeting(db, panel_n, today + timedelta(days=42))
        draft_item = make_agenda_item(db, draft_meeting, accepted, 1)
        action = make_action(
            db,
            heard,
            housing_n,
            held,
            agenda_item_id=held_item.id,
            officer_id=self.users["action_owner"].id,
            description="Fit a door camera at the victim's home",
        )
        attendee = Attendee(meeting_id=meeting.id, agency_id=police_n.id, name="Inspector Hale")
        notification = Notification(
            user_id=owner.id, kind="more_info", reference=more_info.reference, link="/"
        )
        strand = LocalStrand(area_id=north.id, name="Alternative subcultures")
        target = PartnershipTarget(
            name="More referrals",
            area_id=north.id,
            baseline_start=date(2025, 1, 1),
            baseline_end=date(2025, 12, 31),
            change_percent=50,
            measured_start=date(2026, 1, 1),
            measured_end=date(2026, 12, 31),
        )
        spare_target = PartnershipTarget(
            name="Spare target to delete",
            baseline_start=date(2025, 1, 1),
            baseline_end=date(2025, 12, 31),
            change_percent=10,
            measured_start=date(2026, 1, 1),
            measured_end=date(2026, 12, 31),
        )
        feed = CalendarFeed(user_id=self.users["member_on_panel"].id, token=CALENDAR_TOKEN)
        provider = IdentityProvider(
            agency_id=police_n.id,
            display_name="North Police sign-in",
            issuer="https://login.north-police.example/tenant/v2.0",
            client_id="matrix-client",
            client_secret_encrypted="not-a-real-secret",
            email_domains="north-police.example",
        )
        db.add_all([attendee, notification, strand, target, spare_target, feed, provider])
        # The closed case is listed for retention review (so it can be kept).
        db.add(RetentionDue(record_type="closed_referral", object_id=closed.id, due_on=today))
        db.commit()

        lifecycle.approve(db, held, coordinator_n)
        lifecycle.issue(db, held, coordinator_n, today, store())
        issuing = Job(
            kind="issue_minutes",
            status="done",
            title="Issuing the minutes",
            object_type="minutes",
            object_id=held.id,
            requested_by_id=coordinator_n.id,
        )
        db.add(issuing)
        db.commit()
        api_client, _ = register_client(
            db,
            self.users["admin"],
            name="North Police records system",
            agency_id=police_n.id,
            scopes=["incidents:write", "referrals:read"],
        )
        upload, job = _import_upload(db, coordinator_n)
        documents = {(d.kind, d.agency_id): d for d in lifecycle.issued_documents(db, held.id)}
        full = documents[(DocumentKind.FULL.value, None)]
        extract = documents[(DocumentKind.EXTRACT.value, housing_n.id)]

        # A clean document on each kind of record, in the store the matrix app reads.
        files = FileStore(Path(STORAGE_ROOT))
        attachments = {}
        for kind, owner in (("incident", incident), ("referral", heard), ("action", action)):
            key = new_key(f"attachments/{kind}/{owner.id}")
            stored = files.put(key, b"%PDF-1.4 a document on the matrix case")
            attachments[kind] = Attachment(
                filename=f"{kind}.pdf", mime="application/pdf", size=stored.size,
                sha256=stored.sha256, storage_key=key, status="clean",
                uploaded_by_id=self.users["referrer_owner"].id, **{f"{kind}_id": owner.id},
            )  # fmt: skip
        db.add_all(attachments.values())
        # A produced subject access pack for the person (the bytes stand in for its ZIP).
        zipped = files.put(new_key(f"subject-access/{person.id}", ".zip"), b"PK matrix pack")
        pack = SubjectAccessPack(
            person_id=person.id, status="ready", requested_by_id=coordinator_n.id,
            storage_key=zipped.key, sha256=zipped.sha256, size_bytes=zipped.size,
        )  # fmt: skip
        db.add(pack)
        db.commit()

        self.ids: dict[str, int | str] = {
            "agency": police_n.id,
            "area": north.id,
            "strand": strand.id,
            "user": spare_user.id,
            "person": person.id,
            "twin": twin.id,
            "restricted_person": restricted.id,
            "restriction": restriction.id,
            "restriction_request": restriction_request.id,
            "restriction_access": restriction_access.id,
            "incident": incident.id,
            "draft_assessment": draft.id,
            "submitted_assessment": submitted.id,
            "endorsed_assessment": endorsed.id,
            "referral": heard.id,
            "accepted_referral": accepted.id,
            "new_referral": new.id,
            "more_info_referral": more_info.id,
            "declined_referral": declined.id,
            "closed_referral": closed.id,
            "panel": panel_n.id,
            "meeting": meeting.id,
            "item": item.id,
            "attendee": attendee.id,
            "draft_meeting": draft_meeting.id,
            "draft_item": draft_item.id,
            "held_meeting": held.id,
            "held_item": held_item.id,
            "action": action.id,
            "document": full.id,
            "housing_extract": extract.id,
            "minutes_job": issuing.id,
            "notification": notification.id,
            "target": target.id,
            "spare_target": spare_target.id,
            "calendar_token": CALENDAR_TOKEN,
            "provider": provider.id,
            "api_client": api_client.id,
            "import_batch": upload.id,
            "job": job.id,
            "section_key": "incident",
            "report_key": "monthly",
            "instrument_version": "2026.1",
            "static_file": "dist/marac.css",
            "asset_file": "images/favicon.svg",
            "incident_kind": "incident",
            "referral_kind": "referral",
            "retention_kind": "closed_referral",
            "action_kind": "action",
            "incident_attachment": attachments["incident"].id,
            "referral_attachment": attachments["referral"].id,
            "action_attachment": attachments["action"].id,
            "sar_pack": pack.id,
        }
