"""The assessment operations called directly (no HTTP): rules, refusals, conflicts, triggers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Role, User
from marac.assessments import operations as ops
from marac.assessments.instrument import CURRENT_VERSION
from marac.assessments.models import AssessmentStatus, RiskAssessment
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.notify.models import Notification
from marac.operations import Conflict, Invalid, NotFound, Refused
from marac.referrals.models import Referral
from tests.assessments.helpers import all_answers, make_assessment, make_incident
from tests.factories import make_user
from tests.referrals.helpers import World

MEASURE = ops.MeasureInput("Fit a fire-proof letterbox", "reduce", "Housing")
RATIONALE = "The victim is frightened and the perpetrator lives nearby."


def _audits(db: Session, action: str, object_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.object_id == str(object_id))
        )
        or 0
    )


def _count(db: Session, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _create(db: Session, actor: User, incident_id: int, **kw: Any) -> RiskAssessment:
    values: dict[str, Any] = {
        "incident_id": incident_id,
        "instrument_version": CURRENT_VERSION,
        "answers": all_answers(),
        "judgement_level": "medium",
        "judgement_rationale": RATIONALE,
        "below_suggested_reason": "",
        "measures": [MEASURE],
        "submit": True,
    }
    values.update(kw)
    return ops.create_assessment(db, actor, **values)


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


@pytest.fixture
def supervisor(db: Session, world: World) -> User:
    return make_user(db, Role.REFERRER, agency=world.police, supervisor=True)


# ---- start and save ---------------------------------------------------------------------


def test_start_creates_a_draft_once_and_audits(db: Session, world: World) -> None:
    first = ops.start_assessment(db, world.referrer, world.incident.id)
    again = ops.start_assessment(db, world.referrer, world.incident.id)
    assert first.id == again.id
    assert first.status == AssessmentStatus.DRAFT and first.instrument_version == CURRENT_VERSION
    assert _audits(db, "assessment_started", first.id) == 1


def test_start_refused_for_an_admin_and_unknown_incident(db: Session, world: World) -> None:
    admin = make_user(db, Role.ADMIN, agency=world.police)
    with pytest.raises(Refused):
        ops.start_assessment(db, admin, world.incident.id)
    with pytest.raises(NotFound):
        ops.start_assessment(db, world.referrer, 999_999)
    assert _count(db, RiskAssessment) == 0


def test_save_section_checks_answers_and_version(db: Session, world: World) -> None:
    draft = ops.start_assessment(db, world.referrer, world.incident.id)
    version = draft.version
    saved = ops.save_section(
        db,
        world.referrer,
        draft.id,
        "incident",
        version=version,
        answers={"incident_weapon": "yes"},
    )
    assert saved.answers["incident_weapon"] == "yes"
    assert saved.version > version
    with pytest.raises(Conflict):  # the old version
        ops.save_section(db, world.referrer, draft.id, "incident", version=version, answers={})
    with pytest.raises(Invalid) as caught:
        ops.save_section(
            db,
            world.referrer,
            draft.id,
            "incident",
            version=saved.version,
            answers={"incident_weapon": "perhaps"},
        )
    assert "incident_weapon" in caught.value.errors
    other = make_user(db, Role.REFERRER, agency=world.police)
    with pytest.raises(Refused):
        ops.save_section(db, other, draft.id, "incident", version=saved.version, answers={})


def test_judgement_below_suggested_needs_a_reason(db: Session, world: World) -> None:
    draft = ops.start_assessment(db, world.referrer, world.incident.id)
    draft = ops.save_section(
        db,
        world.referrer,
        draft.id,
        "incident",
        version=draft.version,
        answers={"incident_weapon": "yes"},  # critical: suggests high
    )
    values: dict[str, Any] = {
        "perception": "yes",
        "perceived_by": ["victim"],
        "judgement_rationale": RATIONALE,
        "below_suggested_reason": "",
    }
    with pytest.raises(Invalid) as caught:
        ops.save_judgement(
            db, world.referrer, draft.id, version=draft.version, judgement_level="low", **values
        )
    assert "below_suggested_reason" in caught.value.errors
    raised = ops.save_judgement(
        db, world.referrer, draft.id, version=draft.version, judgement_level="high", **values
    )
    assert raised.judgement_level == "high"


def test_measures_are_added_and_removed(db: Session, world: World) -> None:
    draft = ops.start_assessment(db, world.referrer, world.incident.id)
    with pytest.raises(Invalid) as caught:
        ops.add_measure(
            db,
            world.referrer,
            draft.id,
            version=draft.version,
            measure=ops.MeasureInput("Something", "ignore", ""),
        )
    assert set(caught.value.errors) == {"rara", "responsible"}
    measure = ops.add_measure(db, world.referrer, draft.id, version=draft.version, measure=MEASURE)
    assert _audits(db, "risk_measure_added", draft.id) == 1
    ops.remove_measure(db, world.referrer, draft.id, measure.id, version=draft.version)
    assert db.get(RiskAssessment, draft.id).measures == []  # type: ignore[union-attr]


# ---- submit -----------------------------------------------------------------------------


def test_submit_notifies_the_agencys_supervisors(
    db: Session, world: World, supervisor: User
) -> None:
    draft = make_assessment(db, world.referrer, world.incident, status=AssessmentStatus.DRAFT)
    submitted = ops.submit_assessment(db, world.referrer, draft.id, version=draft.version)
    assert submitted.status == AssessmentStatus.SUBMITTED and submitted.suggested_level == "low"
    assert _audits(db, "assessment_submitted", draft.id) == 1
    told = db.scalars(select(Notification.user_id)).all()
    assert told == [supervisor.id]


def test_submit_refuses_an_incomplete_draft_and_another_user(
    db: Session, world: World, supervisor: User
) -> None:
    draft = ops.start_assessment(db, world.referrer, world.incident.id)
    with pytest.raises(Invalid) as caught:
        ops.submit_assessment(db, world.referrer, draft.id, version=draft.version)
    assert "plan" in caught.value.errors
    with pytest.raises(Refused):
        ops.submit_assessment(db, supervisor, draft.id, version=draft.version)
    db.expire_all()
    assert db.get(RiskAssessment, draft.id).status == AssessmentStatus.DRAFT  # type: ignore[union-attr]


# ---- endorse ----------------------------------------------------------------------------


def test_endorse_sets_the_final_level_and_fires_the_trigger(
    db: Session, world: World, supervisor: User
) -> None:
    assessment = make_assessment(db, world.referrer, world.incident, judgement="high")
    done = ops.endorse_assessment(
        db, supervisor, assessment.id, version=assessment.version, final_level="high", reason=""
    )
    assert done.assessment.status == AssessmentStatus.ENDORSED
    assert done.assessment.endorsed_by_id == supervisor.id
    assert done.referral is not None and done.referral.assessment_id == assessment.id
    assert _audits(db, "assessment_endorsed", assessment.id) == 1


def test_endorse_refusals(db: Session, world: World, supervisor: User) -> None:
    assessment = make_assessment(db, supervisor, world.incident)  # the supervisor assessed it
    with pytest.raises(Refused):  # never the assessor
        ops.endorse_assessment(
            db, supervisor, assessment.id, version=None, final_level="medium", reason=""
        )
    other_agency = make_user(db, Role.REFERRER, supervisor=True)
    with pytest.raises(Refused):
        ops.endorse_assessment(
            db, other_agency, assessment.id, version=None, final_level="medium", reason=""
        )
    admin = make_user(db, Role.ADMIN, agency=world.police, supervisor=True)
    with pytest.raises(Refused):
        ops.endorse_assessment(
            db, admin, assessment.id, version=None, final_level="medium", reason=""
        )
    with pytest.raises(Refused):  # not a supervisor
        ops.endorse_assessment(
            db, world.referrer, assessment.id, version=None, final_level="medium", reason=""
        )
    db.expire_all()
    assert db.get(RiskAssessment, assessment.id).status == AssessmentStatus.SUBMITTED  # type: ignore[union-attr]
    assert _audits(db, "assessment_endorsed", assessment.id) == 0


def test_endorse_rules_and_conflicts(db: Session, world: World, supervisor: User) -> None:
    assessment = make_assessment(db, world.referrer, world.incident, judgement="medium")
    with pytest.raises(Invalid) as caught:  # changing the level needs a reason
        ops.endorse_assessment(
            db, supervisor, assessment.id, version=assessment.version, final_level="low", reason=""
        )
    assert "reason" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        ops.endorse_assessment(
            db, supervisor, assessment.id, version=assessment.version, final_level="x", reason=""
        )
    assert "final_level" in caught.value.errors
    with pytest.raises(Conflict):
        ops.endorse_assessment(
            db,
            supervisor,
            assessment.id,
            version=assessment.version - 1,
            final_level="medium",
            reason="",
        )
    ops.endorse_assessment(
        db, supervisor, assessment.id, version=None, final_level="medium", reason=""
    )
    with pytest.raises(Conflict):  # only once
        ops.endorse_assessment(
            db, supervisor, assessment.id, version=None, final_level="medium", reason=""
        )


# ---- create_assessment (intake) ---------------------------------------------------------


def test_create_assessment_submits_a_complete_assessment(
    db: Session, world: World, supervisor: User
) -> None:
    created = _create(db, world.referrer, world.incident.id)
    assert created.status == AssessmentStatus.SUBMITTED
    assert created.suggested_level == "low" and created.judgement_level == "medium"
    assert [m.rara for m in created.measures] == ["reduce"]
    assert _audits(db, "assessment_submitted", created.id) == 1
    assert db.scalars(select(Notification.user_id)).all() == [supervisor.id]
    another = make_incident(db, world.referrer, area=world.area)
    draft = _create(db, world.referrer, another.id, submit=False)
    assert draft.status == AssessmentStatus.DRAFT
    # The incident is assessed once: a second complete assessment of it is refused.
    with pytest.raises(ops.AlreadyAssessed):
        _create(db, world.referrer, world.incident.id)
    same_incident = RiskAssessment.incident_id == world.incident.id
    assert db.scalar(select(func.count()).where(same_incident)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"instrument_version": "1999.1"}, "instrument_version"),
        ({"answers": {**all_answers(), "q12": "yes"}}, "answers.q12"),
        ({"answers": {**all_answers(), "incident_weapon": "maybe"}}, "answers.incident_weapon"),
        ({"answers": {**all_answers(), "diag.confidence": "huge"}}, "answers.diag.confidence"),
        ({"answers": {**all_answers(), "perceived_by": ["nobody"]}}, "answers.perceived_by"),
        (
            {"answers": {k: v for k, v in all_answers().items() if k != "incident_injury"}},
            "answers.incident_injury",
        ),
        ({"judgement_level": "extreme"}, "judgement_level"),
        ({"judgement_rationale": " "}, "judgement_rationale"),
        ({"measures": []}, "measures"),
        ({"measures": [ops.MeasureInput("", "reduce", "Housing")]}, "measures.0.description"),
        ({"measures": [ops.MeasureInput("Guard", "reduce?", "Housing")]}, "measures.0.rara"),
        (
            {"answers": {**all_answers(), "incident_weapon": "yes"}, "judgement_level": "low"},
            "below_suggested_reason",
        ),
    ],
)
def test_create_assessment_invalid(
    db: Session, world: World, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        _create(db, world.referrer, world.incident.id, **change)
    assert field in caught.value.errors
    assert _count(db, RiskAssessment) == 0


def test_create_assessment_refused_for_an_incident_not_theirs(db: Session, world: World) -> None:
    stranger = make_user(db, Role.REFERRER)
    with pytest.raises(Refused):
        _create(db, stranger, world.incident.id)
    admin = make_user(db, Role.ADMIN, agency=world.police)
    with pytest.raises(Refused):
        _create(db, admin, world.incident.id)
    assert _count(db, RiskAssessment) == 0


# ---- record_external_endorsement --------------------------------------------------------


def _external(db: Session, actor: User, assessment_id: int, **kw: Any) -> ops.Endorsed:
    values: dict[str, Any] = {
        "endorser_name": "Sergeant A Khan",
        "endorser_reference": "NICHE-ENDORSE-4411",
        "endorsed_at": utcnow() - timedelta(minutes=5),
        "final_level": "high",
        "reason": "",
    }
    values.update(kw)
    return ops.record_external_endorsement(db, actor, assessment_id, **values)


def test_pushed_endorsed_high_assessment_makes_exactly_one_referral(
    db: Session, world: World
) -> None:
    answers = {**all_answers(), "incident_weapon": "yes"}
    created = _create(
        db, world.referrer, world.incident.id, answers=answers, judgement_level="high"
    )
    done = _external(db, world.referrer, created.id)
    db.expire_all()
    fresh = db.get(RiskAssessment, created.id)
    assert fresh is not None and fresh.status == AssessmentStatus.ENDORSED
    assert fresh.endorsed_by_id is None and fresh.final_level == "high"
    assert fresh.external_endorser_name == "Sergeant A Khan"
    assert fresh.external_endorser_reference == "NICHE-ENDORSE-4411"
    [referral] = db.scalars(select(Referral)).all()
    assert done.referral is not None and referral.id == done.referral.id
    assert referral.assessment_id == created.id and referral.risk_level == "high"
    with pytest.raises(Conflict):  # a retry endorses nothing twice
        _external(db, world.referrer, created.id)
    assert _count(db, Referral) == 1


def test_external_endorsement_rules(db: Session, world: World) -> None:
    assessment = make_assessment(db, world.referrer, world.incident, judgement="high")
    for change, field in [
        ({"final_level": "low"}, "reason"),  # below the proposed level without a reason
        ({"final_level": "severe"}, "final_level"),
        ({"endorser_name": ""}, "endorser_name"),
        ({"endorser_reference": " "}, "endorser_reference"),
        ({"endorsed_at": utcnow() + timedelta(days=1)}, "endorsed_at"),
    ]:
        with pytest.raises(Invalid) as caught:
            _external(db, world.referrer, assessment.id, **change)
        assert field in caught.value.errors
    stranger = make_user(db, Role.REFERRER)
    with pytest.raises(Refused):
        _external(db, stranger, assessment.id)
    admin = make_user(db, Role.ADMIN, agency=world.police)
    with pytest.raises(Refused):
        _external(db, admin, assessment.id)
    with pytest.raises(Conflict):
        _external(db, world.referrer, assessment.id, version=assessment.version - 1)
    db.expire_all()
    assert db.get(RiskAssessment, assessment.id).status == AssessmentStatus.SUBMITTED  # type: ignore[union-attr]
    assert _count(db, Referral) == 0
    done = _external(
        db,
        world.referrer,
        assessment.id,
        final_level="medium",
        reason="The perpetrator has been remanded in custody.",
    )
    assert done.assessment.endorsement_reason.startswith("The perpetrator")
    assert _audits(db, "assessment_endorsed", assessment.id) == 1


def test_each_incident_gets_its_own_assessment(db: Session, world: World) -> None:
    """A second incident of the same victim gets its own assessment (not the first's)."""
    incident = make_incident(db, world.referrer, world.person, world.area)
    first = _create(db, world.referrer, world.incident.id)
    second = _create(db, world.referrer, incident.id)
    assert first.id != second.id and second.incident_id == incident.id


# ---- queries ----------------------------------------------------------------------------


def test_queries_hold_the_need_to_know(db: Session, world: World, supervisor: User) -> None:
    from marac.assessments import queries

    draft = make_assessment(db, world.referrer, world.incident, status=AssessmentStatus.DRAFT)
    submitted = make_assessment(db, world.referrer, world.incident)
    assert queries.visible_assessment(db, world.referrer, draft.id).assessment.id == draft.id
    with pytest.raises(Refused):  # a draft is the assessor's alone
        queries.visible_assessment(db, supervisor, draft.id)
    assert queries.visible_assessment(db, supervisor, submitted.id).assessor == world.referrer
    with pytest.raises(Refused):
        queries.visible_assessment(db, make_user(db, Role.REFERRER), submitted.id)
    with pytest.raises(Refused):
        queries.visible_assessment(db, make_user(db, Role.ADMIN, agency=world.police), draft.id)
    with pytest.raises(NotFound):
        queries.visible_assessment(db, world.referrer, 999_999)
    mine = queries.my_assessments(db, world.referrer, 1)
    assert {a.id for a in mine.page.items} == {draft.id, submitted.id}
    assert mine.page.items[0].id == draft.id  # drafts first
    assert queries.my_assessments(db, supervisor, 1).queue_count == 1
    queue = queries.endorsement_queue(db, supervisor, 1)
    assert [a.id for a in queue.page.items] == [submitted.id]
    assert queue.assessors == {world.referrer.id: world.referrer.name}
    with pytest.raises(Refused):
        queries.endorsement_queue(db, world.referrer, 1)


def test_the_summary_names_an_endorsement_made_in_the_agencys_own_system(
    db: Session, world: World, login: Any
) -> None:
    assessment = make_assessment(db, world.referrer, world.incident, judgement="medium")
    _external(db, world.referrer, assessment.id, final_level="medium")
    html = login(world.referrer).get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert f"Endorsed in {world.police.name}" in html
    assert "own system by Sergeant A Khan (NICHE-ENDORSE-4411) on" in html
