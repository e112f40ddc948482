"""The demo tells the truth: dates agree within each record and between page and PDF,
people sit under the agencies they work for, and nothing waits absurdly long."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, User
from marac.actions.models import Action, ActionUpdate
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.demo import load_demo_data
from marac.demo_borough import DEMO_DOMAIN
from marac.formatting import format_date, uk_time
from marac.meetings.demo import STAND_IN_NAMES
from marac.meetings.models import Attendee, CaseResearch
from marac.minutes.models import DocumentKind, IssuedDocument, Minutes
from marac.panels.models import Meeting
from marac.people.restriction import (
    PersonRestriction,
    RequestStatus,
    RestrictionRequest,
    is_hidden,
)
from marac.referrals.models import Referral, ReferralStatus
from marac.storage.backends import get, store
from tests.minutes.helpers import pdf_text


def test_the_demo_is_consistent_with_itself(app: Flask, db: Session) -> None:
    with app.app_context():
        load_demo_data(db)
        now = utcnow()

        # Nothing waits absurdly long for screening.
        waiting = db.scalars(
            select(Referral).where(Referral.status.in_([ReferralStatus.NEW.value, "more_info"]))
        ).all()
        assert waiting and all(now - r.created_at < timedelta(days=14) for r in waiting)

        # A referral's history is dated with the referral, never at load time.
        referrals = {r.id: r for r in db.scalars(select(Referral))}
        history = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "referral"))
        for event in history:
            referral = referrals[int(event.object_id or 0)]
            if event.action.startswith("referral_created"):
                assert abs(event.at - referral.created_at) < timedelta(hours=3), event.action
            assert event.at >= referral.created_at - timedelta(hours=3), event.action

        # Minutes: the date on the page is the date in the PDF.
        issued = db.scalars(select(Minutes).where(Minutes.issued_at.is_not(None))).all()
        assert issued
        for minutes in issued:
            full = db.scalar(
                select(IssuedDocument).where(
                    IssuedDocument.meeting_id == minutes.meeting_id,
                    IssuedDocument.kind == DocumentKind.FULL.value,
                )
            )
            assert full is not None and full.storage_key
            text = re.sub(r"\s+", " ", pdf_text(get(store(), full.storage_key, full.sha256)))
            assert f"issued {format_date(uk_time(minutes.issued_at))}" in text

        # Attendees work for the agency they are listed under (or are its one stand-in).
        staff = {(u.name, u.agency_id) for u in db.scalars(select(User))}
        names = {u.name for u in db.scalars(select(User))}
        for attendee in db.scalars(select(Attendee)):
            known = (attendee.name, attendee.agency_id) in staff
            assert known or (attendee.name in STAND_IN_NAMES and attendee.name not in names)

        # Held meetings had research in, progress notes say different things.
        assert db.scalar(select(func.count(CaseResearch.id))) > 50
        notes = set(db.scalars(select(ActionUpdate.note)))
        assert len(notes) >= 8

        # Council housing holds an action from each panel's latest (minuted) meeting.
        housing = db.scalar(select(Agency.id).where(Agency.name == "Ashbrook Council Housing"))
        for minutes in issued:
            meeting = db.get(Meeting, minutes.meeting_id)
            assert meeting is not None
            assert db.scalar(
                select(Action.id).where(
                    Action.meeting_id == meeting.id, Action.agency_id == housing
                )
            ), meeting.meeting_date

        # Repeat referrals are linked to the referral they repeat.
        repeats = [r for r in referrals.values() if r.is_repeat]
        assert repeats and any(r.previous_referral_id for r in repeats)

        # One restricted record: the coordinator and the named chair see the person, the
        # referring officer meets the placeholder and has asked for access; loading the
        # demo again adds nothing.
        [restriction] = db.scalars(select(PersonRestriction)).all()
        coordinator, chair = (
            db.scalar(select(User).where(User.email == f"{local}@{DEMO_DOMAIN}"))
            for local in ("coordinator", "chair")
        )
        [asked] = db.scalars(select(RestrictionRequest)).all()
        referrer = db.get(User, asked.user_id)
        assert restriction.restricted_by_id == coordinator.id
        assert not is_hidden(db, coordinator, restriction.person_id)
        assert not is_hidden(db, chair, restriction.person_id)
        assert is_hidden(db, referrer, restriction.person_id)
        assert asked.status == RequestStatus.PENDING.value
        load_demo_data(db)
        assert db.scalar(select(func.count(PersonRestriction.id))) == 1
