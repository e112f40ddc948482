"""Admin pages for users, agencies and areas: what admins can do, and refusals for others."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, Role, User, UserSession
from marac.audit.models import AuditEvent
from marac.incidents.models import LocalStrand
from marac.notify.models import OutboxMessage
from marac.referrals.models import TriggerSettings
from tests.factories import make_agency, make_area, make_user

ADMIN_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/agencies",
    "/admin/agencies/new",
    "/admin/agencies/{agency}",
    "/admin/areas",
    "/admin/areas/new",
    "/admin/areas/{area}",
    "/admin/areas/{area}/strands",
    "/admin/areas/{area}/strands/{strand}",
    "/admin/areas/{area}/triggers",
    "/admin/audit",
]
ADMIN_POSTS = [
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/users/{user}/unlock",
    "/admin/users/{user}/invite",
    "/admin/users/{user}/reset-password",
    "/admin/users/{user}/reset-second-factor",
    "/admin/agencies/new",
    "/admin/agencies/{agency}",
    "/admin/areas/new",
    "/admin/areas/{area}",
    "/admin/areas/{area}/strands",
    "/admin/areas/{area}/strands/{strand}",
    "/admin/areas/{area}/triggers",
]


def _ids(db: Session) -> dict[str, int]:
    area = make_area(db)
    strand = LocalStrand(area_id=area.id, name="Age")
    db.add(strand)
    db.commit()
    return {
        "user": make_user(db).id,
        "agency": make_agency(db).id,
        "area": area.id,
        "strand": strand.id,
    }


def test_admin_reaches_every_admin_page(db: Session, login) -> None:
    ids = _ids(db)
    admin = login(make_user(db, Role.ADMIN))
    for url in ADMIN_PAGES:
        assert admin.get(url.format(**ids)).status_code == 200, url


@pytest.mark.parametrize("role", [Role.REFERRER, Role.MEMBER, Role.COORDINATOR])
def test_other_roles_are_refused_every_admin_page(db: Session, login, role: Role) -> None:
    ids = _ids(db)
    client = login(make_user(db, role, supervisor=True))
    for url in ADMIN_PAGES:
        response = client.get(url.format(**ids))
        assert response.status_code == 403, url
        assert "You do not have access to this page" in response.get_data(as_text=True)
    for url in ADMIN_POSTS:
        assert client.submit(url.format(**ids), {"name": "x"}).status_code == 403, url
    assert db.scalar(select(Agency).where(Agency.name == "x")) is None


def test_admin_creates_a_user_who_is_invited(db: Session, login) -> None:
    agency = make_agency(db, "Brookside Homes")
    admin = login(make_user(db, Role.ADMIN))
    form = admin.get("/admin/users/new").get_data(as_text=True)
    assert 'type="password"' not in form  # admins never type someone's password
    response = admin.submit(
        "/admin/users/new",
        {
            "name": "Joanne Pike",
            "email": " Joanne.Pike@Test.Example ",
            "agency_id": agency.id,
            "role": "referrer",
            "is_supervisor": "y",
            "active": "y",
        },
    )
    assert response.status_code == 302
    user = db.scalar(select(User).where(User.email == "joanne.pike@test.example"))
    assert user is not None and user.is_supervisor and user.agency_id == agency.id
    assert user.password_hash == "" and user.totp_secret is None
    assert db.scalar(
        select(AuditEvent).where(AuditEvent.action == "user_created")
    ).object_id == str(user.id)
    email = db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert email.kind == "account_invitation" and "/invitation/" in email.body


def test_user_form_errors_keep_what_was_typed(db: Session, login) -> None:
    existing = make_user(db)
    admin = login(make_user(db, Role.ADMIN))
    page = admin.submit(
        "/admin/users/new",
        {
            "name": "Sam Lee",
            "email": existing.email,
            "agency_id": existing.agency_id,
            "role": "member",
        },
    ).get_data(as_text=True)
    assert "There is a problem" in page
    assert "A user with this email address already exists" in page
    assert 'value="Sam Lee"' in page
    page = admin.submit(
        "/admin/users/new",
        {"name": "", "email": "not-an-email", "agency_id": existing.agency_id, "role": "boss"},
    ).get_data(as_text=True)
    assert "Enter the person&#39;s full name" in page
    assert "Enter an email address in the correct format" in page
    assert "Not a valid choice" in page or "Select a role" in page


def test_deactivating_a_user_ends_their_sessions(db: Session, login) -> None:
    user = make_user(db, Role.MEMBER)
    their_session = login(user)
    admin = login(make_user(db, Role.ADMIN))
    response = admin.submit(
        f"/admin/users/{user.id}",
        {"name": user.name, "email": user.email, "agency_id": user.agency_id, "role": "member"},
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(User, user.id).active is False
    assert their_session.get("/").status_code == 302
    assert db.scalar(select(UserSession.revoked_at).where(UserSession.user_id == user.id))
    summary = db.scalar(select(AuditEvent.summary).where(AuditEvent.action == "user_updated"))
    assert "active" in summary


def test_admin_cannot_remove_their_own_admin_access(db: Session, login) -> None:
    admin_user = make_user(db, Role.ADMIN)
    admin = login(admin_user)
    page = admin.submit(
        f"/admin/users/{admin_user.id}",
        {
            "name": admin_user.name,
            "email": admin_user.email,
            "agency_id": admin_user.agency_id,
            "role": "member",
            "active": "y",
        },
    ).get_data(as_text=True)
    assert "You cannot remove your own administrator access" in page


def test_admin_manages_agencies(db: Session, login) -> None:
    admin = login(make_user(db, Role.ADMIN))
    response = admin.submit(
        "/admin/agencies/new",
        {
            "name": "Northgate Housing Trust",
            "type": "housing_association",
            "review_date": ["1", "4", "2027"],
            "active": "y",
        },
    )
    assert response.status_code == 302
    agency = db.scalar(select(Agency).where(Agency.name == "Northgate Housing Trust"))
    assert agency is not None and str(agency.review_date) == "2027-04-01"
    page = admin.submit(
        "/admin/agencies/new",
        {
            "name": "northgate housing trust",
            "type": "housing_association",
            "review_date": ["31", "2", "2027"],
        },
    ).get_data(as_text=True)
    assert "must be a real date" in page
    page = admin.submit(
        "/admin/agencies/new", {"name": "northgate housing trust", "type": "housing_association"}
    ).get_data(as_text=True)
    assert "An agency with this name already exists" in page
    response = admin.submit(
        f"/admin/agencies/{agency.id}", {"name": agency.name, "type": "housing_association"}
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Agency, agency.id).active is False
    assert "Inactive" in admin.get("/admin/agencies").get_data(as_text=True)


def test_admin_manages_areas_with_checked_postcode_districts(db: Session, login) -> None:
    admin = login(make_user(db, Role.ADMIN))
    page = admin.submit(
        "/admin/areas/new",
        {"name": "Ashbrook East", "wards": "Millfield", "postcode_districts": "AK9 NOT-A-CODE"},
    ).get_data(as_text=True)
    assert "NOT-A-CODE is not a postcode district" in page
    response = admin.submit(
        "/admin/areas/new",
        {
            "name": "Ashbrook East",
            "wards": "Millfield\n\n Kestrel Park ",
            "postcode_districts": "ak9\nak10",
            "active": "y",
        },
    )
    assert response.status_code == 302
    area = db.scalar(select(Area).where(Area.name == "Ashbrook East"))
    assert area.ward_list == ["Millfield", "Kestrel Park"]
    assert area.district_list == ["AK9", "AK10"]


def test_missing_records_are_404(db: Session, login) -> None:
    admin = login(make_user(db, Role.ADMIN))
    for url in ("/admin/users/9999", "/admin/agencies/9999", "/admin/areas/9999"):
        response = admin.get(url)
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)


def test_user_list_runs_a_constant_number_of_queries(db: Session, login, count_queries) -> None:
    admin = login(make_user(db, Role.ADMIN))
    agency = make_agency(db)
    counts = []
    for batch in (5, 60):
        for _ in range(batch):
            make_user(db, agency=agency)
        with count_queries() as q:
            assert admin.get("/admin/users").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_user_list_shows_when_each_user_last_signed_in(db: Session, login) -> None:
    admin_user = make_user(db, Role.ADMIN, name="Avery Admin")
    make_user(db, name="Nia Never")
    admin = login(admin_user)
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Last signed in" in page
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r">([A-Z][a-z]+ [A-Z][a-z]+)</a></td>(.*?)</tr>", page, re.S)
    }
    assert "Never" in rows["Nia Never"]
    assert "Never" not in rows["Avery Admin"]


# ---- local strands, trigger settings and coordinator areas --------------------------------


def test_a_new_area_gets_the_default_local_strands(db: Session, login) -> None:
    admin = login(make_user(db, Role.ADMIN))
    response = admin.submit(
        "/admin/areas/new", {"name": "Ashbrook West", "postcode_districts": "AK5", "active": "y"}
    )
    assert response.status_code == 302
    area = db.scalar(select(Area).where(Area.name == "Ashbrook West"))
    names = db.scalars(
        select(LocalStrand.name).where(LocalStrand.area_id == area.id).order_by(LocalStrand.id)
    ).all()
    assert names == ["Alternative subcultures", "Sex or gender", "Age"]
    page = admin.get(f"/admin/areas/{area.id}").get_data(as_text=True)
    assert f"/admin/areas/{area.id}/strands" in page and f"/admin/areas/{area.id}/triggers" in page


def test_admin_adds_renames_and_retires_local_strands(db: Session, login) -> None:
    area = make_area(db, "Ashbrook North")
    other = make_area(db, "Ashbrook South")
    db.add(LocalStrand(area_id=other.id, name="Goths"))
    db.commit()
    admin = login(make_user(db, Role.ADMIN))
    url = f"/admin/areas/{area.id}/strands"
    page = admin.submit(url, {"name": ""}).get_data(as_text=True)
    assert "There is a problem" in page and "Enter the name of the local strand" in page
    assert admin.submit(url, {"name": "Goths", "active": "y"}).status_code == 302  # other area
    page = admin.submit(url, {"name": " goths ", "active": "y"}).get_data(as_text=True)
    assert "Ashbrook North already has a local strand called goths" in page
    strand = db.scalar(
        select(LocalStrand).where(LocalStrand.area_id == area.id, LocalStrand.name == "Goths")
    )
    assert strand.active
    response = admin.submit(f"{url}/{strand.id}", {"name": "Alternative subcultures"})
    assert response.status_code == 302
    db.expire_all()
    strand = db.get(LocalStrand, strand.id)
    assert strand.name == "Alternative subcultures" and strand.active is False
    assert "Retired" in admin.get(url).get_data(as_text=True)
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "local_strand_added" in actions and "local_strand_updated" in actions
    # A strand is edited only under its own area.
    assert admin.get(f"/admin/areas/{other.id}/strands/{strand.id}").status_code == 404


def test_admin_sets_trigger_thresholds(db: Session, login) -> None:
    area = make_area(db)
    admin = login(make_user(db, Role.ADMIN))
    url = f"/admin/areas/{area.id}/triggers"
    page = admin.get(url).get_data(as_text=True)
    assert 'value="365"' in page and 'value="3"' in page
    assert db.get(TriggerSettings, area.id) is None  # created on first save, not on view
    for data, message in [
        ({"repeat_window_days": "0"}, "Enter a repeat window between 1 and 3650 days"),
        ({"repeat_window_days": "3651"}, "Enter a repeat window between 1 and 3650 days"),
        ({"escalation_incidents": "1"}, "Enter a number of incidents between 2 and 20"),
        ({"escalation_incidents": "21"}, "Enter a number of incidents between 2 and 20"),
        ({"escalation_window_days": "a year"}, "Enter the escalation window as a whole number"),
        ({"repeat_window_days": ""}, "Enter the repeat window in days"),
    ]:
        form = {
            "high_risk_enabled": "y",
            "repeat_window_days": "365",
            "escalation_incidents": "3",
            "escalation_window_days": "365",
            **data,
        }
        page = admin.submit(url, form).get_data(as_text=True)
        assert "There is a problem" in page and message in page, message
        if data.get("escalation_window_days"):
            assert 'value="a year"' in page
    assert db.get(TriggerSettings, area.id) is None
    response = admin.submit(
        url,
        {"repeat_window_days": "180", "escalation_incidents": "2", "escalation_window_days": "90"},
    )
    assert response.status_code == 302
    settings = db.get(TriggerSettings, area.id)
    assert (
        settings.high_risk_enabled,
        settings.repeat_window_days,
        settings.escalation_incidents,
        settings.escalation_window_days,
    ) == (False, 180, 2, 90)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "trigger_settings_updated"))
    assert "repeat_window_days=180" in event.summary and "high_risk_enabled=False" in event.summary
    assert 'value="180"' in admin.get(url).get_data(as_text=True)


def test_admin_gives_a_coordinator_areas(db: Session, login) -> None:
    north, south = make_area(db, "North"), make_area(db, "South")
    make_area(db, "Closed", active=False)
    coordinator = make_user(db, Role.COORDINATOR)
    admin = login(make_user(db, Role.ADMIN))
    url = f"/admin/users/{coordinator.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "Areas (for MARAC coordinators)" in page and "North" in page
    assert "Closed" not in page
    base = {
        "name": coordinator.name,
        "email": coordinator.email,
        "agency_id": coordinator.agency_id,
        "role": "coordinator",
        "active": "y",
    }
    assert admin.submit(url, {**base, "areas": [north.id, south.id]}).status_code == 302
    db.expire_all()
    assert {a.name for a in db.get(User, coordinator.id).areas} == {"North", "South"}
    summary = db.scalars(
        select(AuditEvent.summary).where(AuditEvent.action == "user_updated")
    ).all()
    assert any("areas" in s for s in summary)
    page = admin.get(url).get_data(as_text=True)
    assert f'value="{north.id}" checked' in page
    assert admin.submit(url, {**base, "areas": [south.id]}).status_code == 302
    db.expire_all()
    assert [a.name for a in db.get(User, coordinator.id).areas] == ["South"]
    page = admin.submit(url, {**base, "role": "referrer", "areas": [south.id]}).get_data(
        as_text=True
    )
    assert "Only MARAC coordinators have areas" in page
    db.expire_all()
    assert db.get(User, coordinator.id).role == "coordinator"
