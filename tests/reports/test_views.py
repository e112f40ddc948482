"""The dashboard, its exports and the partnership pack: access, audit, constant queries."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from marac.accounts.models import Role
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.formatting import uk_today
from marac.referrals.models import ReferralSource
from marac.reports.tables import last_quarter
from tests.factories import make_user
from tests.referrals.helpers import make_incident, make_person, make_referral
from tests.reports.helpers import Borough

PERIOD = "period=custom&from-day=1&from-month=1&from-year=2026&to-day=31&to-month=3&to-year=2026"
CUSTOM = f"/reports/?{PERIOD}"


def test_coordinator_sees_their_figures_with_period_and_area(db: Session, login) -> None:
    world = Borough(db)
    page = login(world.coordinator).get(CUSTOM)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your areas: Northfield, Southgate" in html
    assert "1 January 2026 to 31 March 2026" in html
    assert "This period is complete" in html
    assert 'role="img"' in html and "<title id=" in html
    # Referrals by source: stacked by source, with a key; the three referrals print as
    # "fewer than 5", so the chart draws them hatched at a fixed size.
    assert "Stacked bar chart, Referrals per month by source" in html
    assert "app-report-chart__key" in html and "Partner referral</li>" in html
    assert "app-report-chart__segment--withheld" in html
    assert "counts under each of them" in html
    assert "Elsewhere" not in html  # an area the coordinator does not cover


def test_panel_choice_and_refusal_of_other_panels(db: Session, login) -> None:
    world = Borough(db)
    client = login(world.coordinator)
    page = client.get(f"{CUSTOM}&panel={world.panel.id}")
    assert page.status_code == 200
    assert world.panel.name in page.get_data(as_text=True)
    assert client.get(f"{CUSTOM}&panel={world.other_panel.id}").status_code == 403


def test_admin_sees_the_whole_borough(db: Session, login) -> None:
    world = Borough(db)
    admin = make_user(db, Role.ADMIN)
    html = login(admin).get(CUSTOM).get_data(as_text=True)
    assert "Whole borough" in html and "Elsewhere" in html
    assert login(admin).get(f"{CUSTOM}&panel={world.other_panel.id}").status_code == 200


def test_referrers_and_members_are_refused(db: Session, login) -> None:
    world = Borough(db)
    member = make_user(db, Role.MEMBER, agency=world.police)
    for user in (world.officer, member):
        client = login(user)
        assert client.get("/reports/").status_code == 403
        assert client.get("/reports/export/areas.csv").status_code == 403
        assert client.get("/reports/pack.csv").status_code == 403


def _period_errors(client, query: str) -> str:
    page = client.get(f"/reports/?period=custom&{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "There is a problem" in html and "<title>Error: Reports" in html
    return html


def test_bad_dates_are_named_in_the_error_summary(db: Session, login) -> None:
    world = Borough(db)
    client = login(world.coordinator)
    html = _period_errors(client, "from-day=31&from-month=2&from-year=2026")
    assert "Start date must be a real date" in html and 'href="#from"' in html
    assert "Enter the end date" in html and 'href="#to"' in html
    html = _period_errors(client, "from-day=1&from-year=2026&to-month=3")
    assert "Start date must include a month" in html
    assert "End date must include a day and year" in html
    html = _period_errors(client, PERIOD.replace("from-year=2026", "from-year=26"))
    assert "Start date must include a 4-digit year" in html
    html = _period_errors(client, PERIOD.replace("from-month=1", "from-month=6"))
    assert "End date must be the same as or after the start date" in html
    future = uk_today() + timedelta(days=2)
    html = _period_errors(
        client, f"from-day={future.day}&from-month={future.month}&from-year={future.year}"
    )
    assert "Start date must be today or in the past" in html
    page = client.get("/reports/?period=weekly")
    assert page.status_code == 200 and "Select a period from the list" in page.text
    # The boxes say nothing unless Dates is chosen.
    page = client.get("/reports/?period=last_quarter&from-day=99")
    assert page.status_code == 200


def test_dates_are_gov_uk_date_inputs_and_links_keep_them(db: Session, login) -> None:
    world = Borough(db)
    html = login(world.coordinator).get(CUSTOM).get_data(as_text=True)
    assert 'type="date"' not in html
    for name in ("from-day", "from-month", "from-year", "to-day", "to-month", "to-year"):
        assert f'name="{name}"' in html
    assert 'name="from-day" type="text"' in html or 'id="from-day" name="from-day"' in html
    args = PERIOD.replace("&", "&amp;")
    assert f"/reports/pack.csv?{args}" in html and f"/reports/export/areas.csv?{args}" in html


def test_default_period_is_the_last_quarter(db: Session, login) -> None:
    world = Borough(db)
    start, end = last_quarter(uk_today())
    html = login(world.coordinator).get("/reports/").get_data(as_text=True)
    assert f"{start:%-d %B %Y} to {end:%-d %B %Y}" in html


def test_table_csv_export_is_audited(db: Session, login) -> None:
    world = Borough(db)
    response = login(world.coordinator).get(f"/reports/export/areas.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert "Northfield,3" in body and "Southgate,0" in body
    assert "Period,1 January 2026 to 31 March 2026" in body
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert len(events) == 1 and "Referrals by area" in events[0].summary
    assert login(world.coordinator).get("/reports/export/nothing.csv").status_code == 404


def test_partnership_pack_csv_suppresses_small_numbers_and_is_audited(db: Session, login) -> None:
    world = Borough(db)
    body = login(world.coordinator).get(f"/reports/pack.csv?{PERIOD}")
    text = body.get_data(as_text=True)
    assert "Northfield,fewer than 5" in text and "Southgate,0" in text
    # Three referrals: no percentage of them may go out, nor a total that gives them away.
    assert "Repeat rate,withheld" in text and "%" not in text
    for person_name in ("Victim", "Mill Road", "AK1 2BX"):
        assert person_name not in text
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is not None


def test_partnership_pack_pdf(db: Session, login) -> None:
    world = Borough(db)
    client = login(world.coordinator)
    url = f"/reports/pack.pdf?{PERIOD}"
    offer = client.get(url)  # nothing stored yet: the worker prepares it on request
    assert offer.status_code == 200 and "Prepare the partnership pack PDF" in offer.text
    asked = client.submit(url)
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/jobs/")
    done = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert url.replace("&", "&amp;") in done  # the progress page links the download
    response = client.get(url)
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    printed = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "withheld" in printed and "fewer than 5" in printed
    assert "%" not in printed.replace("Page", "")  # no share of three referrals
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [e.summary.split(",")[0] for e in events] == ["Partnership pack PDF"]
    assert client.get(url).data == response.data  # the one stored copy, served again
    assert login(world.officer).submit(url).status_code == 403


def _add_referrals(db: Session, world: Borough, n: int) -> None:
    person = make_person(db)
    incident = make_incident(db, world.officer, person, world.area)
    for i in range(n):
        make_referral(
            db,
            person,
            world.area,
            created_at=utcnow() - timedelta(days=30 + i),
            referrer=world.officer,
            source=ReferralSource.PARTNER,
            trigger_incident_id=incident.id if i == 0 else None,
        )


def test_dashboard_runs_a_constant_number_of_queries(db: Session, login, count_queries) -> None:
    world = Borough(db)
    client = login(world.coordinator)
    url = "/reports/?period=last_12_months"
    _add_referrals(db, world, 3)
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _add_referrals(db, world, 30)
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert small.count == large.count
