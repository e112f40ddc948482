"""The instrument is well-formed data, and old assessments keep their own version."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments import instrument as inst
from marac.assessments.models import AssessmentStatus
from marac.assessments.scoring import suggested_level
from tests.assessments.helpers import make_assessment
from tests.factories import make_user

CURRENT = inst.INSTRUMENTS[inst.CURRENT_VERSION]


def test_current_version_is_registered() -> None:
    assert inst.CURRENT_VERSION == "2026.1"
    assert inst.get_instrument("2026.1") is CURRENT


def test_27_questions_in_four_sections() -> None:
    assert len(CURRENT.questions) == 27
    assert [s.title for s in CURRENT.sections] == [
        "The incident",
        "The perpetrator(s)",
        "Previous victimisation",
        "Impact",
    ]
    assert [len(s.questions) for s in CURRENT.sections] == [7, 7, 6, 7]


def test_four_diagnostics() -> None:
    assert [d.id for d in CURRENT.diagnostics] == [
        "current_harm",
        "repeat_victimisation",
        "community_tension",
        "confidence",
    ]
    assert [c.value for c in inst.RATINGS] == ["low", "medium", "high"]


def test_ids_are_unique() -> None:
    ids = [q.id for q in CURRENT.questions] + [s.key for s in CURRENT.sections]
    ids += [d.id for d in CURRENT.diagnostics] + [inst.PERCEPTION_KEY]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    for q in CURRENT.questions:
        assert len({c.value for c in q.choices}) == len(q.choices), q.id


def test_every_critical_rule_names_real_questions_and_answers() -> None:
    assert CURRENT.critical_rules
    for rule in CURRENT.critical_rules:
        for qid, value in rule.conditions:
            assert CURRENT.question(qid).choice(value) is not None, (rule.label, qid)


@pytest.mark.parametrize(
    "label",
    [
        "a weapon used or threatened",
        "threats to kill",
        "injury needing treatment",
        "the home targeted",
    ],
)
def test_the_expected_critical_answers_exist(label: str) -> None:
    assert label in {r.label for r in CURRENT.critical_rules}


def test_perception_question_and_who_perceived() -> None:
    assert CURRENT.perception.text == (
        "Do you feel you are being targeted because of who you are or what you believe?"
    )
    assert [c.value for c in CURRENT.perception.choices] == ["yes", "no", "not_sure"]
    assert [c.value for c in CURRENT.perceived_by] == ["victim", "witness", "officer", "other"]


# A second version, for tests only: one section, one question, different wording.
TEST_VERSION = inst.Instrument(
    version="test.2",
    title="Test instrument",
    sections=(
        inst.Section(
            "only",
            "Only section",
            (inst.Question("v2_only", "Is this the second-version question?", inst.yes_no(20)),),
        ),
    ),
    diagnostics=CURRENT.diagnostics,
    critical_rules=(),
    perception=CURRENT.perception,
    perceived_by=CURRENT.perceived_by,
)


def test_an_assessment_renders_with_its_own_stored_version(
    db: Session, login, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(inst.INSTRUMENTS, TEST_VERSION.version, TEST_VERSION)
    assessor = make_user(db, Role.REFERRER)
    old = make_assessment(db, assessor, status=AssessmentStatus.SUBMITTED)
    old.instrument_version = TEST_VERSION.version
    old.answers = {"v2_only": "yes"}
    db.commit()
    current = make_assessment(db, assessor, status=AssessmentStatus.SUBMITTED)

    client = login(assessor)
    html = client.get(f"/assessments/{old.id}").get_data(as_text=True)
    assert "Is this the second-version question?" in html
    assert "Only section" in html
    assert CURRENT.questions[0].text not in html

    html = client.get(f"/assessments/{current.id}").get_data(as_text=True)
    assert "Is this the second-version question?" not in html
    assert CURRENT.questions[0].text in html

    # Scoring uses the stored version's points too.
    assert suggested_level(TEST_VERSION, {"v2_only": "yes"}).score == 20


def test_a_draft_on_another_version_shows_that_versions_sections(
    db: Session, login, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(inst.INSTRUMENTS, TEST_VERSION.version, TEST_VERSION)
    assessor = make_user(db, Role.REFERRER)
    draft = make_assessment(db, assessor, status=AssessmentStatus.DRAFT)
    draft.instrument_version = TEST_VERSION.version
    draft.completed_sections = []
    db.commit()
    client = login(assessor)
    html = client.get(f"/assessments/{draft.id}").get_data(as_text=True)
    assert "Only section" in html and "The incident" not in html
    page = client.get(f"/assessments/{draft.id}/sections/only").get_data(as_text=True)
    assert "Is this the second-version question?" in page
    assert client.get(f"/assessments/{draft.id}/sections/incident").status_code == 404
