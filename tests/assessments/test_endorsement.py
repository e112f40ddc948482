"""Supervisor endorsement: the queue, endorsing or changing the level, refusals, the trigger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.referrals import triggers
from tests.assessments.helpers import make_assessment, make_person, version_of
from tests.factories import make_agency, make_user


@dataclass
class FakeReferral:
    reference: str


@pytest.fixture
def trigger_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record calls to the referral trigger; a high final level 'creates' a referral."""
    calls: list[Any] = []

    def fake(session: Session, assessment: RiskAssessment, now: Any) -> FakeReferral | None:
        calls.append((assessment.id, assessment.status, assessment.final_level, now))
        return FakeReferral("CM-2026-0001") if assessment.final_level == "high" else None

    monkeypatch.setattr(triggers, "on_assessment_endorsed", fake)
    return calls


def _fresh(db: Session, assessment_id: int) -> RiskAssessment:
    db.expire_all()
    assessment = db.get(RiskAssessment, assessment_id)
    assert assessment is not None
    return assessment


def _endorse(client, db: Session, aid: int, level: str, reason: str = ""):
    return client.submit(
        f"/assessments/{aid}/endorse",
        {"final_level": level, "reason": reason, "version": version_of(db, aid)},
    )


def test_queue_lists_own_agency_submitted_oldest_first_never_own(db: Session, login) -> None:
    agency = make_agency(db)
    supervisor = make_user(db, Role.REFERRER, agency=agency, supervisor=True)
    officer = make_user(db, Role.REFERRER, agency=agency)
    outsider = make_user(db, Role.REFERRER)
    now = utcnow()
    newer = make_assessment(db, officer, submitted_at=now - timedelta(days=1))
    older = make_assessment(db, officer, submitted_at=now - timedelta(days=3))
    newer.person_id = make_person(db, "Newer Person").id
    older.person_id = make_person(db, "Older Person").id
    db.commit()
    own = make_assessment(db, supervisor)
    other_agency = make_assessment(db, outsider)
    draft = make_assessment(db, officer, status=AssessmentStatus.DRAFT)
    endorsed = make_assessment(db, officer, status=AssessmentStatus.ENDORSED)

    html = login(supervisor).get("/assessments/endorsements").get_data(as_text=True)
    links = [f"/assessments/{a.id}/endorse" for a in (older, newer)]
    assert all(link in html for link in links)
    assert html.index("Older Person") < html.index("Newer Person")
    for hidden in (own, other_agency, draft, endorsed):
        assert f"/assessments/{hidden.id}/endorse" not in html
    assert "2 assessments waiting" in html


@pytest.mark.parametrize(
    ("role", "supervisor"),
    [(Role.REFERRER, False), (Role.MEMBER, False), (Role.COORDINATOR, False), (Role.ADMIN, True)],
)
def test_queue_is_for_supervisors_only(db: Session, login, role: Role, supervisor: bool) -> None:
    client = login(make_user(db, role, supervisor=supervisor))
    assert client.get("/assessments/endorsements").status_code == 403


def test_endorse_the_proposed_level(db: Session, login, trigger_calls: list[Any]) -> None:
    officer = make_user(db, Role.REFERRER)
    supervisor = make_user(db, Role.REFERRER, agency=officer.agency, supervisor=True)
    assessment = make_assessment(db, officer, judgement="medium")
    client = login(supervisor)
    page = client.get(f"/assessments/{assessment.id}/endorse").get_data(as_text=True)
    assert 'value="medium" checked' in page  # proposed level preselected

    response = _endorse(client, db, assessment.id, "medium")
    assert response.status_code == 302
    saved = _fresh(db, assessment.id)
    assert saved.status == "endorsed"
    assert saved.final_level == "medium"
    assert saved.endorsed_by_id == supervisor.id
    assert saved.endorsed_at is not None
    assert saved.endorsement_reason == ""
    assert trigger_calls == [(assessment.id, "endorsed", "medium", saved.endorsed_at)]
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Assessment endorsed as medium risk. No MARAC referral was created." in follow
    assert db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "assessment_endorsed",
            AuditEvent.object_id == str(assessment.id),
        )
    )


def test_endorsing_high_reports_the_referral(db: Session, login, trigger_calls: list[Any]) -> None:
    officer = make_user(db, Role.REFERRER)
    supervisor = make_user(db, Role.REFERRER, agency=officer.agency, supervisor=True)
    assessment = make_assessment(db, officer, judgement="high")
    client = login(supervisor)
    response = _endorse(client, db, assessment.id, "high")
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A MARAC referral was created automatically: CM-2026-0001" in follow


def test_changing_the_level_needs_a_reason(db: Session, login, trigger_calls: list[Any]) -> None:
    officer = make_user(db, Role.REFERRER)
    supervisor = make_user(db, Role.REFERRER, agency=officer.agency, supervisor=True)
    assessment = make_assessment(db, officer, judgement="medium")
    client = login(supervisor)

    response = _endorse(client, db, assessment.id, "high")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Explain why you are changing the level from medium" in html
    assert 'href="#reason"' in html
    assert 'value="high" checked' in html  # the choice is kept
    assert _fresh(db, assessment.id).status == "submitted"
    assert trigger_calls == []

    response = _endorse(client, db, assessment.id, "")
    assert "Select the final level of risk" in response.get_data(as_text=True)

    reason = "A second incident was reported this morning at the same address."
    assert _endorse(client, db, assessment.id, "high", reason).status_code == 302
    saved = _fresh(db, assessment.id)
    assert (saved.final_level, saved.endorsement_reason) == ("high", reason)
    assert saved.judgement_level == "medium"  # the assessor's level is kept for audit


def test_endorsing_twice_is_refused(db: Session, login, trigger_calls: list[Any]) -> None:
    officer = make_user(db, Role.REFERRER)
    supervisor = make_user(db, Role.REFERRER, agency=officer.agency, supervisor=True)
    other_supervisor = make_user(db, Role.REFERRER, agency=officer.agency, supervisor=True)
    assessment = make_assessment(db, officer, judgement="high")
    client = login(supervisor)
    stale = version_of(db, assessment.id)
    assert _endorse(client, db, assessment.id, "high").status_code == 302

    for who in (client, login(other_supervisor)):
        response = who.submit(
            f"/assessments/{assessment.id}/endorse",
            {"final_level": "low", "reason": "x" * 40, "version": stale},
        )
        assert response.status_code == 302
        follow = who.get(response.headers["Location"]).get_data(as_text=True)
        assert "already endorsed as high risk" in follow
        assert "can only be endorsed once" in follow
    saved = _fresh(db, assessment.id)
    assert (saved.final_level, saved.endorsed_by_id) == ("high", supervisor.id)
    assert len(trigger_calls) == 1


def test_a_draft_cannot_be_endorsed(db: Session, login, trigger_calls: list[Any]) -> None:
    officer = make_user(db, Role.REFERRER)
    supervisor = make_user(db, Role.REFERRER, agency=officer.agency, supervisor=True)
    draft = make_assessment(db, officer, status=AssessmentStatus.DRAFT)
    response = _endorse(login(supervisor), db, draft.id, "high")
    assert response.status_code == 302
    assert _fresh(db, draft.id).status == "draft"
    assert trigger_calls == []


def test_endorsement_refusals(db: Session, login, trigger_calls: list[Any]) -> None:
    agency = make_agency(db)
    assessor = make_user(db, Role.REFERRER, agency=agency, supervisor=True)
    assessment = make_assessment(db, assessor, judgement="high")
    refused = [
        assessor,  # a supervisor, but the assessor
        make_user(db, Role.REFERRER, agency=agency),  # same agency, not a supervisor
        make_user(db, Role.REFERRER, supervisor=True),  # supervisor of another agency
        make_user(db, Role.COORDINATOR),
        make_user(db, Role.ADMIN, agency=agency, supervisor=True),
    ]
    for user in refused:
        client = login(user)
        assert client.get(f"/assessments/{assessment.id}/endorse").status_code == 403, user.email
        assert _endorse(client, db, assessment.id, "high").status_code == 403, user.email
    assert _fresh(db, assessment.id).status == "submitted"
    assert trigger_calls == []
    # The assessor does not see their own assessment in the queue either.
    html = login(assessor).get("/assessments/endorsements").get_data(as_text=True)
    assert f"/assessments/{assessment.id}/endorse" not in html


def test_real_trigger_creates_a_referral_for_high(db: Session, login) -> None:
    """With the referrals helper's trigger in place, endorsing high creates a referral."""
    pytest.importorskip("marac.referrals.triggers")
    from marac.referrals.models import Referral

    officer = make_user(db, Role.REFERRER)
    supervisor = make_user(db, Role.REFERRER, agency=officer.agency, supervisor=True)
    assessment = make_assessment(db, officer, judgement="high")
    client = login(supervisor)
    response = _endorse(client, db, assessment.id, "high")
    assert response.status_code == 302
    referral = db.scalar(select(Referral).where(Referral.assessment_id == assessment.id))
    assert referral is not None
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"A MARAC referral was created automatically: {referral.reference}" in follow
