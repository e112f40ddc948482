"""Issue 18: the endorse page shows the evidence first and the decision form after it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marac.accounts.models import Role
from tests.assessments.helpers import make_assessment
from tests.factories import make_agency, make_user


def test_the_evidence_comes_before_the_decision(db: Session, login) -> None:
    agency = make_agency(db)
    assessor = make_user(db, Role.REFERRER, agency=agency)
    supervisor = make_user(db, Role.REFERRER, agency=agency, supervisor=True)
    assessment = make_assessment(db, assessor)
    page = login(supervisor).get(f"/assessments/{assessment.id}/endorse").get_data(as_text=True)
    evidence = page.index("The evidence</h2>")
    plan = page.index("Fit a fire-proof letterbox")
    judgement = page.index("Victim is frightened but the perpetrator is not known.")
    score = page.index("The answers suggest")
    decision = page.index('id="decision"')
    form = page.index('name="final_level"')
    assert evidence < score < judgement < plan < decision < form
    assert 'href="#decision"' in page  # a way past the evidence for keyboard users
