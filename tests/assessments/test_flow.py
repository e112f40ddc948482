"""The assessor's journey through real POSTs: start, sections, drafts, validation, submit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments import operations
from marac.assessments.instrument import CURRENT_VERSION, V2026_1
from marac.assessments.models import RiskAssessment
from marac.audit.models import AuditEvent
from tests.assessments.helpers import (
    complete_through_forms,
    make_incident,
    section_data,
    version_of,
)
from tests.factories import make_agency, make_user


def _start(client, incident_id: int) -> int:
    response = client.submit("/assessments/start", {"incident_id": str(incident_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/assessments/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _fresh(db: Session, assessment_id: int) -> RiskAssessment:
    db.expire_all()
    assessment = db.get(RiskAssessment, assessment_id)
    assert assessment is not None
    return assessment


def _actions(db: Session, assessment_id: int) -> list[str]:
    return list(
        db.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "risk_assessment")
            .where(AuditEvent.object_id == str(assessment_id))
        )
    )


def test_whole_assessment_through_the_forms(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    incident = make_incident(db, officer)
    client = login(officer)
    aid = _start(client, incident.id)

    assessment = _fresh(db, aid)
    assert assessment.status == "draft"
    assert assessment.person_id == incident.person_id
    assert assessment.agency_id == officer.agency_id
    assert assessment.assessor_id == officer.id
    assert assessment.instrument_version == CURRENT_VERSION

    page = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert page.count("Not started") == 7
    assert "Check your answers and submit" in page

    complete_through_forms(client, db, aid, value="yes", rating="high", judgement="high")
    page = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert page.count("Completed") == 7

    check = client.get(f"/assessments/{aid}/check").get_data(as_text=True)
    assert "Critical answer: threats to kill" in check
    assert V2026_1.questions[0].text in check
    response = client.submit(f"/assessments/{aid}/check", {"version": version_of(db, aid)})
    assert response.status_code == 302

    assessment = _fresh(db, aid)
    assert assessment.status == "submitted"
    assert assessment.submitted_at is not None
    assert assessment.suggested_level == "high"
    assert assessment.judgement_level == "high"
    assert assessment.answers["perceived_by"] == ["victim", "officer"]
    assert [m.rara for m in assessment.measures] == ["reduce"]
    summary = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "Waiting for endorsement" in summary
    assert "Neighbourhood officer to visit weekly" in summary

    actions = _actions(db, aid)
    assert actions[0] == "assessment_started"
    assert actions.count("assessment_section_saved") >= 6
    assert "risk_measure_added" in actions
    assert "assessment_submitted" in actions
    assert "assessment_viewed" in actions

    # Submitted: no more edits.
    response = client.get(f"/assessments/{aid}/sections/incident")
    assert response.status_code == 302
    response = client.submit(
        f"/assessments/{aid}/sections/incident",
        {**section_data("incident"), "action": "continue", "version": version_of(db, aid)},
    )
    assert response.status_code == 302
    assert _fresh(db, aid).answers["incident_weapon"] == "yes"


def test_start_reopens_the_users_own_draft(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    incident = make_incident(db, officer)
    client = login(officer)
    first = _start(client, incident.id)
    assert _start(client, incident.id) == first


def test_start_refusals(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    incident = make_incident(db, officer)
    other_agency = login(make_user(db, Role.REFERRER, agency=make_agency(db)))
    assert (
        other_agency.submit("/assessments/start", {"incident_id": incident.id}).status_code == 403
    )
    admin = login(make_user(db, Role.ADMIN, agency=officer.agency))
    assert admin.submit("/assessments/start", {"incident_id": incident.id}).status_code == 403
    mine = login(officer)
    assert mine.submit("/assessments/start", {"incident_id": "999999"}).status_code == 404
    assert mine.submit("/assessments/start", {}).status_code == 404
    assert db.scalar(select(RiskAssessment)) is None


def test_a_half_completed_draft_survives_signing_out(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    incident = make_incident(db, officer)
    client = login(officer)
    aid = _start(client, incident.id)
    base = f"/assessments/{aid}/sections"

    # A whole section saved, and half of another left with "Save and come back later".
    data = {**section_data("incident", "yes"), "action": "continue", "version": version_of(db, aid)}
    assert client.submit(f"{base}/incident", data).status_code == 302
    partial = {"perp_known": "yes", "perp_nearby": "no"}
    response = client.submit(
        f"{base}/perpetrator", {**partial, "action": "later", "version": version_of(db, aid)}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/assessments/{aid}")

    assert client.submit("/sign-out").status_code == 302
    assert client.get(f"/assessments/{aid}").status_code == 302  # signed out: to sign-in

    again = login(officer)
    listing = again.get("/assessments").get_data(as_text=True)
    assert f"/assessments/{aid}" in listing and "Draft" in listing
    tasks = again.get(f"/assessments/{aid}").get_data(as_text=True)
    assert "Completed" in tasks and "In progress" in tasks
    page = again.get(f"{base}/perpetrator").get_data(as_text=True)
    assert re.search(r'id="perp_known"[^>]*value="yes" checked', page)
    assert re.search(r'name="perp_nearby" type="radio" value="no" checked', page)
    saved = _fresh(db, aid)
    assert saved.answers["incident_threat_to_kill"] == "yes"
    assert saved.completed_sections == ["incident"]


def test_continue_without_answers_shows_an_error_summary(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    aid = _start(client, make_incident(db, officer).id)
    response = client.submit(
        f"/assessments/{aid}/sections/incident",
        {"incident_weapon": "yes", "action": "continue", "version": version_of(db, aid)},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Select an answer for &#39;Were you hurt badly enough" in html
    assert 'href="#incident_injury"' in html
    assert re.search(r'id="incident_weapon"[^>]*value="yes" checked', html)  # typed answer kept
    assert "incident_weapon" not in _fresh(db, aid).answers


def test_an_invalid_choice_is_an_error_not_a_crash(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    aid = _start(client, make_incident(db, officer).id)
    response = client.submit(
        f"/assessments/{aid}/sections/incident",
        {"incident_weapon": "maybe", "action": "later", "version": version_of(db, aid)},
    )
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    assert client.get(f"/assessments/{aid}/sections/nonsense").status_code == 404


def _judgement(client, db, aid: int, **overrides: str):
    data = {
        "perception": "yes",
        "perceived_by": "victim",
        "judgement_level": "low",
        "judgement_rationale": "Reasons for the level.",
        "below_suggested_reason": "",
        "action": "continue",
        "version": str(version_of(db, aid)),
    }
    data.update(overrides)
    return client.submit(f"/assessments/{aid}/sections/judgement", data)


def test_judgement_below_suggested_needs_a_reason(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    aid = _start(client, make_incident(db, officer).id)
    data = {**section_data("incident", "yes"), "action": "continue", "version": version_of(db, aid)}
    client.submit(f"/assessments/{aid}/sections/incident", data)  # critical answers: high

    page = client.get(f"/assessments/{aid}/sections/judgement").get_data(as_text=True)
    assert "The answers suggest <strong>high risk</strong>" in page
    assert "Critical answer: a weapon used or threatened" in page

    response = _judgement(client, db, aid, judgement_level="medium")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "lower than the suggested level of high" in html
    assert 'href="#below_suggested_reason"' in html

    # Save and come back later keeps it, unfinished.
    assert _judgement(client, db, aid, judgement_level="medium", action="later").status_code == 302
    assert "judgement" not in _fresh(db, aid).completed_sections

    reason = "The weapon was a toy and the victim agrees the risk is lower."
    response = _judgement(client, db, aid, judgement_level="medium", below_suggested_reason=reason)
    assert response.status_code == 302
    saved = _fresh(db, aid)
    assert saved.judgement_level == "medium"
    assert saved.below_suggested_reason == reason
    assert "judgement" in saved.completed_sections

    # Raising is free.
    assert _judgement(client, db, aid, judgement_level="high").status_code == 302


def test_judgement_requires_every_answer(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    aid = _start(client, make_incident(db, officer).id)
    response = _judgement(
        client, db, aid, perception="", perceived_by="", judgement_level="", judgement_rationale=""
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in (
        "Select whether the victim feels targeted",
        "Select who perceived the hostility or prejudice",
        "Select your professional judgement of the overall risk",
        "Explain why you have given this level",
    ):
        assert message in html


def test_risk_management_plan_add_remove_and_require_one(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    aid = _start(client, make_incident(db, officer).id)
    url = f"/assessments/{aid}/sections/plan"

    response = client.submit(url, {"action": "continue", "version": version_of(db, aid)})
    assert response.status_code == 200
    assert "Add at least one measure to the risk management plan" in response.get_data(as_text=True)

    response = client.submit(
        url, {"description": "Fire guard", "action": "add", "version": version_of(db, aid)}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Select whether the measure removes, avoids, reduces or accepts the risk" in html
    assert "Enter who is responsible for the measure" in html
    assert "Fire guard" in html  # typed text kept

    for description, rara in (("Fire guard on the letterbox", "reduce"), ("CCTV", "avoid")):
        response = client.submit(
            url,
            {
                "description": description,
                "rara": rara,
                "responsible": "Housing",
                "action": "add",
                "version": version_of(db, aid),
            },
        )
        assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Fire guard on the letterbox" in page and "Add another measure" in page
    saved = _fresh(db, aid)
    assert [m.description for m in saved.measures] == ["Fire guard on the letterbox", "CCTV"]
    assert "plan" not in saved.completed_sections  # in progress until saved

    first = saved.measures[0].id
    response = client.submit(url, {"remove": str(first), "version": version_of(db, aid)})
    assert response.status_code == 302
    assert [m.description for m in _fresh(db, aid).measures] == ["CCTV"]

    response = client.submit(url, {"action": "continue", "version": version_of(db, aid)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/assessments/{aid}/check")
    assert "plan" in _fresh(db, aid).completed_sections
    actions = _actions(db, aid)
    assert "risk_measure_added" in actions and "risk_measure_removed" in actions


def test_submit_refused_until_every_section_is_complete(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    aid = _start(client, make_incident(db, officer).id)
    response = client.submit(f"/assessments/{aid}/check", {"version": version_of(db, aid)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Complete &#39;The incident&#39;" in html
    assert "Complete &#39;Risk management plan&#39;" in html
    assert _fresh(db, aid).status == "draft"


def test_submit_refused_when_answers_changed_after_a_low_judgement(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    aid = _start(client, make_incident(db, officer).id)
    complete_through_forms(client, db, aid, value="no", rating="low", judgement="low")
    # Now an answer that suggests high: the low judgement needs a reason again.
    data = {**section_data("incident", "yes"), "action": "continue", "version": version_of(db, aid)}
    client.submit(f"/assessments/{aid}/sections/incident", data)
    response = client.submit(f"/assessments/{aid}/check", {"version": version_of(db, aid)})
    assert response.status_code == 200
    assert "The answers now suggest high risk" in response.get_data(as_text=True)
    assert _fresh(db, aid).status == "draft"


def test_two_people_editing_one_assessment(db: Session, login) -> None:
    """A stale save is refused with the typed answers kept; saving again then works."""
    officer = make_user(db, Role.REFERRER)
    aid = _start(login(officer), make_incident(db, officer).id)
    first, second = login(officer), login(officer)  # e.g. two browser windows
    url = f"/assessments/{aid}/sections/incident"
    stale_version = version_of(db, aid)
    assert first.get(url).status_code == 200
    assert second.get(url).status_code == 200

    saved = first.submit(
        url, {**section_data("incident", "no"), "action": "continue", "version": stale_version}
    )
    assert saved.status_code == 302

    typed = {**section_data("incident", "yes"), "action": "continue", "version": stale_version}
    response = second.submit(url, typed)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Someone else changed this assessment while you were editing." in html
    assert re.search(r'id="incident_weapon"[^>]*value="yes" checked', html)
    assert _fresh(db, aid).answers["incident_weapon"] == "no"  # nothing overwritten

    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    assert new_version and int(new_version.group(1)) == version_of(db, aid)
    response = second.submit(url, {**typed, "version": new_version.group(1)})
    assert response.status_code == 302
    assert _fresh(db, aid).answers["incident_weapon"] == "yes"


def test_a_stale_version_cannot_remove_a_measure(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    aid = _start(client, make_incident(db, officer).id)
    url = f"/assessments/{aid}/sections/plan"
    old = version_of(db, aid)
    client.submit(
        url,
        {
            "description": "CCTV",
            "rara": "avoid",
            "responsible": "Housing",
            "action": "add",
            "version": old,
        },
    )
    measure = _fresh(db, aid).measures[0].id
    response = client.submit(url, {"remove": str(measure), "version": old})
    assert response.status_code == 200
    assert "Someone else changed this assessment" in response.get_data(as_text=True)
    assert len(_fresh(db, aid).measures) == 1


def test_only_the_assessor_edits_a_draft(db: Session, login) -> None:
    officer = make_user(db, Role.REFERRER, supervisor=False)
    aid = _start(login(officer), make_incident(db, officer).id)
    supervisor = make_user(db, Role.REFERRER, agency=officer.agency, supervisor=True)
    colleague = make_user(db, Role.REFERRER, agency=officer.agency)
    admin = make_user(db, Role.ADMIN, agency=officer.agency)
    for user in (supervisor, colleague, admin):
        client = login(user)
        for url in (
            f"/assessments/{aid}",
            f"/assessments/{aid}/sections/incident",
            f"/assessments/{aid}/check",
        ):
            assert client.get(url).status_code == 403, (user.email, url)
        data = {**section_data("incident"), "action": "later", "version": version_of(db, aid)}
        assert client.submit(f"/assessments/{aid}/sections/incident", data).status_code == 403
        assert client.submit(f"/assessments/{aid}/check", {"version": 1}).status_code == 403
    assert _fresh(db, aid).answers == {}


def test_a_save_that_races_another_is_caught_at_commit(
    db: Session, login, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another save lands between the version check and the commit, nothing is lost."""
    officer = make_user(db, Role.REFERRER)
    client = login(officer)
    aid = _start(client, make_incident(db, officer).id)
    real_record = operations.record

    def racing_record(session: Session, action: str, *args: Any, **kwargs: Any) -> Any:
        if action == "assessment_section_saved":
            other = db.get(RiskAssessment, aid)
            assert other is not None
            other.answers = {"incident_weapon": "not_known"}
            db.commit()  # the other person's save wins the race
        return real_record(session, action, *args, **kwargs)

    monkeypatch.setattr(operations, "record", racing_record)
    typed = {**section_data("incident", "yes"), "action": "continue"}
    response = client.submit(
        f"/assessments/{aid}/sections/incident", {**typed, "version": version_of(db, aid)}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Someone else changed this assessment while you were editing." in html
    assert re.search(r'id="incident_weapon"[^>]*value="yes" checked', html)
    assert _fresh(db, aid).answers == {"incident_weapon": "not_known"}
