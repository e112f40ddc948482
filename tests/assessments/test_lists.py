"""'Your assessments' and the endorsement queue: content and a constant number of queries."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.assessments.models import AssessmentStatus
from tests.assessments.helpers import make_assessment
from tests.factories import make_agency, make_user


def test_your_assessments_shows_only_your_own(db: Session, login) -> None:
    agency = make_agency(db)
    me = make_user(db, Role.REFERRER, agency=agency)
    colleague = make_user(db, Role.REFERRER, agency=agency)
    mine = [make_assessment(db, me, status=s) for s in AssessmentStatus]
    theirs = make_assessment(db, colleague)
    html = login(me).get("/assessments").get_data(as_text=True)
    for assessment in mine:
        assert f'href="/assessments/{assessment.id}"' in html
    assert f'href="/assessments/{theirs.id}"' not in html
    assert "Draft" in html and "Waiting for endorsement" in html and "Endorsed" in html
    assert "waiting for your endorsement" not in html  # not a supervisor


def test_supervisors_see_a_count_and_link_to_the_queue(db: Session, login) -> None:
    agency = make_agency(db)
    supervisor = make_user(db, Role.REFERRER, agency=agency, supervisor=True)
    officer = make_user(db, Role.REFERRER, agency=agency)
    make_assessment(db, officer)
    make_assessment(db, officer)
    make_assessment(db, supervisor)  # their own does not count
    html = login(supervisor).get("/assessments").get_data(as_text=True)
    assert "2 assessments are waiting for your endorsement" in html
    assert 'href="/assessments/endorsements"' in html


def test_lists_run_a_constant_number_of_queries(db: Session, login, count_queries) -> None:
    agency = make_agency(db)
    supervisor = make_user(db, Role.REFERRER, agency=agency, supervisor=True)
    officer = make_user(db, Role.REFERRER, agency=agency)
    client_officer, client_supervisor = login(officer), login(supervisor)
    counts: dict[str, list[int]] = {"index": [], "queue": []}
    for added in (2, 28):  # 2 assessments, then 30
        for _ in range(added):
            make_assessment(db, officer)
        with count_queries() as q:
            assert client_officer.get("/assessments").status_code == 200
        counts["index"].append(q.count)
        with count_queries() as q:
            assert client_supervisor.get("/assessments/endorsements").status_code == 200
        counts["queue"].append(q.count)
    assert counts["index"][0] == counts["index"][1], counts
    assert counts["queue"][0] == counts["queue"][1], counts
