"""Restricted records (issue 17, item 5) and the information governance role (item 7).

A restricted person disappears for everyone who saw them before (pages, search,
matching, timeline, referral and incident pages, lists); they are told only that a
restricted record exists and may ask; the restricting coordinator grants or refuses;
a coordinator may break the glass for 24 hours, audited and notified.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import AgencyType, Role, User
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.incidents.access import viewable_incidents
from marac.incidents.models import Incident
from marac.notify.models import Notification, OutboxMessage
from marac.operations import Conflict, Refused
from marac.people.access import viewable_person_ids
from marac.people.restriction import PersonRestriction, RestrictionAccess, RestrictionRequest
from marac.referrals.access import viewable_referrals
from marac.referrals.models import Referral
from marac.restrictions import operations
from tests.assessments.helpers import make_assessment
from tests.factories import make_agency, make_user
from tests.meeting_factories import make_action
from tests.restrictions.helpers import NAME, Case, build_case


@pytest.fixture
def case(db: Session) -> Case:
    return build_case(db)


def _restrict(db: Session, case: Case, *named: User) -> PersonRestriction:
    return operations.restrict_person(
        db, case.coordinator, case.person.id, "Relative of staff", [u.email for u in named]
    )


def _pages(case: Case) -> list[str]:
    return [
        f"/people/{case.person.id}",
        f"/people/{case.person.id}/timeline",
        f"/incidents/{case.incident.id}",
        f"/referrals/{case.referral.id}",
    ]


def _sees(db: Session, user: User, case: Case) -> dict[str, bool]:
    """What the list and matching clauses let `user` see of the case."""
    db.expire_all()
    return {
        "matching": case.person.id in viewable_person_ids(db, user, {case.person.id}),
        "referrals": case.referral.id
        in set(db.scalars(select(Referral.id).where(viewable_referrals(user)))),
        "incidents": case.incident.id
        in set(db.scalars(select(Incident.id).where(viewable_incidents(user)))),
    }


def test_a_restricted_person_disappears_for_those_who_saw_them(
    db: Session, case: Case, login: Any
) -> None:
    owner = login(case.owner)
    for page in _pages(case):
        assert owner.get(page).status_code == 200, page
    assert case.referral.reference in owner.get("/referrals").get_data(as_text=True)
    found = owner.get("/people/search", query_string={"name": NAME})
    assert f'href="/people/{case.person.id}"' in found.get_data(as_text=True)
    assert all(_sees(db, case.owner, case).values())

    _restrict(db, case, case.supervisor)

    for page in _pages(case):
        response = owner.get(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 403, page
        assert "This record is restricted" in html, page
        assert NAME not in html and "Mill Road" not in html, page
        assert f"/restrictions/people/{case.person.id}/ask" in html
    found = owner.get("/people/search", query_string={"name": NAME})
    assert found.status_code == 200
    assert f'href="/people/{case.person.id}"' not in found.get_data(as_text=True)
    assert _sees(db, case.owner, case) == dict.fromkeys(_sees(db, case.owner, case), False)
    listed = owner.get("/referrals").get_data(as_text=True)
    assert case.referral.reference not in listed and NAME not in listed
    # the colleague coordinator loses the case too, and its screening queue with it
    assert not any(_sees(db, case.colleague, case).values())
    queue = login(case.colleague).get("/referrals/screening").get_data(as_text=True)
    assert NAME not in queue and case.referral.reference not in queue

    # the restricting coordinator and the named supervisor still see everything
    for user in (case.coordinator, case.supervisor):
        client = login(user)
        assert client.get(f"/people/{case.person.id}").status_code == 200
        assert client.get(f"/incidents/{case.incident.id}").status_code == 200
    assert all(_sees(db, case.coordinator, case).values())


def test_someone_with_no_reason_is_not_told_a_restricted_record_exists(
    db: Session, case: Case, login: Any
) -> None:
    _restrict(db, case)
    outsider = login(case.outsider)
    for page in _pages(case):
        response = outsider.get(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "restricted" not in html.lower() and NAME not in html
    assert outsider.get(f"/restrictions/people/{case.person.id}/ask").status_code == 403
    with pytest.raises(Refused):
        operations.request_access(db, case.outsider, case.person.id, "curious")


def test_ask_for_access_and_the_coordinator_grants_or_refuses(
    db: Session, case: Case, login: Any
) -> None:
    restriction = _restrict(db, case)
    owner = login(case.owner)
    empty = owner.submit(f"/restrictions/people/{case.person.id}/ask", {"reason": ""})
    assert empty.status_code == 400 and "govuk-error-summary" in empty.get_data(as_text=True)
    sent = owner.submit(
        f"/restrictions/people/{case.person.id}/ask", {"reason": "I am the officer in the case"}
    )
    assert sent.status_code == 302
    asked = db.scalars(select(RestrictionRequest)).one()
    assert asked.status == "pending" and asked.user_id == case.owner.id
    told = db.scalars(select(Notification).where(Notification.user_id == case.coordinator.id))
    notice = told.one()
    assert notice.kind == "restriction_access_requested" and NAME not in notice.message
    mail = db.scalars(select(OutboxMessage).where(OutboxMessage.user_id == case.coordinator.id))
    assert all(NAME not in m.body and NAME not in m.subject for m in mail)
    with pytest.raises(Conflict):  # one pending request at a time
        operations.request_access(db, case.owner, case.person.id, "again")

    # only the restricting coordinator decides
    colleague = login(case.colleague)
    page = f"/restrictions/{restriction.id}"
    assert colleague.get(page).status_code == 403
    refused = colleague.submit(f"{page}/requests/{asked.id}", {"decision": "grant"})
    assert refused.status_code == 403
    db.expire_all()
    assert db.get(RestrictionRequest, asked.id).status == "pending"  # type: ignore[union-attr]

    coordinator = login(case.coordinator)
    listed = coordinator.get(page).get_data(as_text=True)
    assert "I am the officer in the case" in listed
    granted = coordinator.submit(f"{page}/requests/{asked.id}", {"decision": "grant"})
    assert granted.status_code == 302
    assert owner.get(f"/people/{case.person.id}").status_code == 200
    assert owner.get(f"/referrals/{case.referral.id}").status_code == 200
    news = db.scalars(select(Notification).where(Notification.user_id == case.owner.id)).all()
    assert [n.kind for n in news] == ["restriction_access_decided"]
    assert "granted" in news[0].message and NAME not in news[0].message


def test_a_refused_request_leaves_the_record_hidden(db: Session, case: Case, login: Any) -> None:
    restriction = _restrict(db, case)
    asked = operations.request_access(db, case.supervisor, case.person.id, "Supervising")
    coordinator = login(case.coordinator)
    answer = coordinator.submit(
        f"/restrictions/{restriction.id}/requests/{asked.id}", {"decision": "refuse"}
    )
    assert answer.status_code == 302
    assert login(case.supervisor).get(f"/people/{case.person.id}").status_code == 403
    db.expire_all()
    assert db.get(RestrictionRequest, asked.id).status == "refused"  # type: ignore[union-attr]


def test_break_glass_is_time_limited_audited_and_notified(
    db: Session, case: Case, login: Any
) -> None:
    restriction = _restrict(db, case)
    colleague = login(case.colleague)
    url = f"/restrictions/people/{case.person.id}/break-glass"
    placeholder = colleague.get(f"/people/{case.person.id}").get_data(as_text=True)
    assert url in placeholder  # coordinators are offered the break-glass
    empty = colleague.submit(url, {"reason": ""})
    assert empty.status_code == 400 and "Enter the reason" in empty.get_data(as_text=True)
    assert colleague.submit(url, {"reason": "Victim at risk tonight"}).status_code == 302
    assert colleague.get(f"/people/{case.person.id}").status_code == 200

    audit = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "restriction_break_glass")
    ).one()
    assert audit.user_id == case.colleague.id and audit.object_id == str(restriction.id)
    access = db.scalars(select(RestrictionAccess)).one()
    assert access.kind == "break_glass" and access.reason == "Victim at risk tonight"
    assert access.expires_at is not None
    assert timedelta(hours=23) < access.expires_at - utcnow() <= timedelta(hours=24)
    kinds = {
        n.user_id: n.kind
        for n in db.scalars(select(Notification).where(Notification.kind.like("restriction%")))
    }
    assert kinds == {
        case.coordinator.id: "restriction_break_glass",
        case.governance.id: "restriction_break_glass",
    }

    access.expires_at = utcnow() - timedelta(minutes=1)  # the 24 hours are over
    db.commit()
    assert colleague.get(f"/people/{case.person.id}").status_code == 403

    # a referrer cannot break the glass, though they may ask
    owner = login(case.owner)
    assert owner.get(url).status_code == 403
    assert owner.submit(url, {"reason": "please"}).status_code == 403
    assert (
        db.scalars(
            select(RestrictionAccess).where(RestrictionAccess.user_id == case.owner.id)
        ).all()
        == []
    )


def test_lifting_the_restriction_shows_the_person_again(
    db: Session, case: Case, login: Any
) -> None:
    restriction = _restrict(db, case)
    coordinator = login(case.coordinator)
    bare = coordinator.submit(f"/restrictions/{restriction.id}/lift", {})
    assert bare.status_code == 400
    assert db.get(PersonRestriction, restriction.id) is not None
    lifted = coordinator.submit(f"/restrictions/{restriction.id}/lift", {"confirm": "y"})
    assert lifted.status_code == 302
    assert login(case.owner).get(f"/people/{case.person.id}").status_code == 200


def test_only_a_coordinator_who_sees_the_person_restricts_them(
    db: Session, case: Case, login: Any
) -> None:
    url = f"/restrictions/people/{case.person.id}/restrict"
    assert login(case.owner).get(url).status_code == 403
    with pytest.raises(Refused):
        operations.restrict_person(db, case.owner, case.person.id, "staff", [])
    coordinator = login(case.coordinator)
    assert url in coordinator.get(f"/people/{case.person.id}").get_data(as_text=True)
    assert url not in login(case.owner).get(f"/people/{case.person.id}").get_data(as_text=True)
    unknown = coordinator.submit(url, {"reason": "Staff", "emails": "nobody@example.org"})
    assert unknown.status_code == 400
    assert "nobody@example.org" in unknown.get_data(as_text=True)
    assert db.scalars(select(PersonRestriction)).all() == []
    done = coordinator.submit(url, {"reason": "Staff", "emails": case.supervisor.email})
    assert done.status_code == 302
    restriction = db.scalars(select(PersonRestriction)).one()
    assert restriction.restricted_by_id == case.coordinator.id
    index = coordinator.get("/restrictions").get_data(as_text=True)
    assert f"R-{restriction.id}" in index


def test_governance_reads_the_audit_log_but_no_case(db: Session, case: Case, login: Any) -> None:
    dpo = login(case.governance)
    log = dpo.get("/admin/audit")
    assert log.status_code == 200
    assert 'href="/admin/audit"' in log.get_data(as_text=True)  # in their navigation
    for page in [*_pages(case), "/people/search", "/referrals/screening", "/incidents/new"]:
        response = dpo.get(page)
        assert response.status_code == 403, page
        assert NAME not in response.get_data(as_text=True)
    assert not any(_sees(db, case.governance, case).values())
    home = dpo.get("/").get_data(as_text=True)
    assert NAME not in home and "/referrals/screening" not in home
    # a referrer still may not read the log
    assert login(case.owner).get("/admin/audit").status_code == 403


def test_assessments_and_actions_follow_the_restriction(
    db: Session, case: Case, login: Any
) -> None:
    assessment = make_assessment(db, case.owner, case.incident)
    housing = make_agency(db, "North Homes", AgencyType.HOUSING)
    officer = make_user(db, Role.REFERRER, agency=housing)
    action = make_action(db, case.referral, housing, officer_id=officer.id)
    owner, supervisor, housing_officer = login(case.owner), login(case.supervisor), login(officer)
    assert owner.get(f"/assessments/{assessment.id}").status_code == 200
    assert f"/assessments/{assessment.id}" in supervisor.get("/assessments/endorsements").get_data(
        as_text=True
    )
    assert housing_officer.get(f"/actions/{action.id}").status_code == 200
    assert f"/actions/{action.id}" in housing_officer.get("/actions/mine").get_data(as_text=True)

    _restrict(db, case)

    assert owner.get(f"/assessments/{assessment.id}").status_code == 403
    assert f"/assessments/{assessment.id}" not in owner.get("/assessments").get_data(as_text=True)
    queue = supervisor.get("/assessments/endorsements").get_data(as_text=True)
    assert f"/assessments/{assessment.id}" not in queue
    assert housing_officer.get(f"/actions/{action.id}").status_code == 403
    mine = housing_officer.get("/actions/mine").get_data(as_text=True)
    assert f"/actions/{action.id}" not in mine and NAME not in mine
