"""Information-sharing agreements: the rules, the admin form, the daily lapse notice, pages."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.agreements import ico_problem, is_lapsed, needs_lapse_notice
from marac.accounts.models import Agency, Role
from marac.audit.models import AuditEvent
from marac.formatting import uk_today
from marac.notify.models import Notification, OutboxMessage
from marac.panels.agreements import AGREEMENT_LAPSED, tell_lapsed_agreements
from marac.panels.jobs import check_lapsed_agreements
from marac.worker import JOB_MODULES
from tests.factories import make_user
from tests.meetings import PanelWorld
from tests.referrals.helpers import make_coordinator


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("Z1234567", True),
        ("ZA123456", True),
        ("za 123 456", True),  # as typed: spaces and case do not matter
        ("", True),  # not known yet
        ("Z123456", False),
        ("ZA1234567", False),
        ("1234567Z", False),
        ("A1234567", False),  # only Z is followed by seven digits
        ("ZAB12345", False),
    ],
)
def test_ico_registration_numbers(number: str, ok: bool) -> None:
    assert (ico_problem(number) is None) is ok


class _Agreement:
    def __init__(self, review_date: date | None) -> None:
        self.review_date = review_date


def test_lapse_is_the_day_after_the_review_date() -> None:
    review = date(2026, 3, 31)
    assert not is_lapsed(_Agreement(review), review)
    assert is_lapsed(_Agreement(review), review + timedelta(days=1))
    assert not is_lapsed(_Agreement(None), review)
    assert needs_lapse_notice(_Agreement(review), None, date(2026, 4, 1))
    assert not needs_lapse_notice(_Agreement(review), review, date(2026, 4, 1))  # told
    # A new review date that lapses in turn is told again.
    assert needs_lapse_notice(_Agreement(date(2026, 9, 1)), review, date(2026, 9, 2))


def test_admin_edits_the_agreement_with_validation(db: Session, login) -> None:
    w = PanelWorld(db)
    admin = login(make_user(db, Role.ADMIN))
    url = f"/admin/agencies/{w.housing.id}"
    form = {
        "name": w.housing.name,
        "type": "housing_association",
        "active": "y",
        "ico_registration": "ZX12345",
        "isa_version": "3.1",
        "isa_signed_on": ["2", "3", "2026"],
        "review_date": ["1", "3", "2026"],
    }
    page = admin.submit(url, form)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "govuk-error-summary" in html
    assert "2 letters and 6 digits" in html
    assert "on or after the date the agreement was signed" in html
    assert 'value="3.1"' in html  # nothing typed is lost
    db.expire_all()
    assert db.get(Agency, w.housing.id).isa_version == ""

    page = admin.submit(url, {**form, "isa_signed_on": ["2", "3", "2026"], "review_date": ["x"]})
    assert "must be a real date" in page.get_data(as_text=True)

    saved = admin.submit(
        url, {**form, "ico_registration": "za 123456", "review_date": ["2", "3", "2027"]}
    )
    assert saved.status_code == 302
    db.expire_all()
    agency = db.get(Agency, w.housing.id)
    assert (agency.ico_registration, agency.isa_version) == ("ZA123456", "3.1")
    assert (agency.isa_signed_on, agency.review_date) == (date(2026, 3, 2), date(2027, 3, 2))
    page = admin.get(url).get_data(as_text=True)
    assert 'value="ZA123456"' in page and "Agreement lapsed" not in page

    agency.review_date = uk_today() - timedelta(days=1)
    db.commit()
    assert "Agreement lapsed" in admin.get(url).get_data(as_text=True)
    assert "Agreement lapsed" in admin.get("/admin/agencies").get_data(as_text=True)

    # Nobody but an admin changes an agreement.
    for user in (w.coordinator, w.housing_member):
        assert login(user).submit(url, form).status_code == 403


def test_the_daily_job_tells_the_coordinators_once(app: Flask, db: Session) -> None:
    w = PanelWorld(db)
    second = make_coordinator(db, w.area)
    w.housing.review_date = uk_today() - timedelta(days=2)
    w.police.review_date = uk_today()  # due today: not lapsed yet
    db.commit()
    assert "marac.panels.jobs" in JOB_MODULES

    check_lapsed_agreements.call_local()  # as the worker runs it at 06:15
    db.expire_all()
    notices = db.scalars(select(Notification).where(Notification.kind == AGREEMENT_LAPSED)).all()
    assert {n.user_id for n in notices} == {w.coordinator.id, second.id}
    assert w.other_coordinator.id not in {n.user_id for n in notices}  # not their panel
    assert all(w.housing.name in n.message for n in notices)
    emails = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == AGREEMENT_LAPSED)).all()
    assert {e.recipient for e in emails} == {w.coordinator.email, second.email}
    assert db.get(Agency, w.housing.id).isa_lapse_noticed_on == w.housing.review_date
    assert db.get(Agency, w.police.id).isa_lapse_noticed_on is None
    assert db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "agreement_lapse_noticed",
            AuditEvent.object_id == str(w.housing.id),
        )
    )

    check_lapsed_agreements.call_local()  # a second worker's run, or the next morning
    db.expire_all()
    assert len(db.scalars(select(Notification)).all()) == len(notices)
    assert len(db.scalars(select(OutboxMessage)).all()) == len(emails)


def test_an_agency_on_no_panel_is_told_to_every_coordinator(db: Session) -> None:
    w = PanelWorld(db)
    lonely = Agency(name="Lonely Trust", type="charity", review_date=date(2026, 1, 1))
    db.add(lonely)
    db.commit()
    told = tell_lapsed_agreements(db, date(2026, 1, 2))
    assert [a.name for a in told] == ["Lonely Trust"]
    users = set(db.scalars(select(Notification.user_id)))
    assert users == {w.coordinator.id, w.other_coordinator.id}


def test_the_panel_page_marks_lapsed_agencies(db: Session, login) -> None:
    w = PanelWorld(db)
    w.victim_support.review_date = uk_today() - timedelta(days=30)
    db.commit()
    page = login(w.coordinator).get(f"/panels/{w.panel.id}").get_data(as_text=True)
    assert f"{w.victim_support.name} <strong" in page and "Agreement lapsed" in page
    assert "Agreement lapsed: " + w.victim_support.name in page
    tags = re.findall(r"<li>([^<]*?) <strong class=\"govuk-tag[^\"]*\">\s*Agreement lapsed", page)
    assert tags == [w.victim_support.name]  # only that agency carries the tag
