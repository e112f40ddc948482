"""Each bad input an attacker found: a clear GOV.UK error or a 404, never a 500."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac import create_app
from marac.accounts.models import Agency, Role
from marac.assessments.models import AssessmentStatus
from marac.incidents.models import Incident
from marac.spreadsheet import safe_cell
from tests.assessments.helpers import make_assessment, version_of
from tests.conftest import BACKEND, Client, settings_for
from tests.factories import make_user
from tests.incidents.helpers import incident_data
from tests.reports.helpers import Borough

HUGE = "99999999999999999999999"
PERIOD = "period=custom&from-day=1&from-month=1&from-year=2026&to-day=31&to-month=3&to-year=2026"


@pytest.mark.parametrize(
    "url",
    [
        "/referrals",
        "/referrals/screening",
        "/actions/mine",
        "/actions/agency",
        "/notifications",
        "/admin/outbox",
        "/admin/audit",
        "/admin/users",
        "/assessments",
    ],
)
def test_a_page_number_beyond_any_integer_shows_the_last_page(db: Session, login, url: str) -> None:
    role = Role.ADMIN if url.startswith("/admin") else Role.COORDINATOR
    client = login(make_user(db, role, supervisor=True))
    response = client.get(f"{url}?page={HUGE}")
    assert response.status_code in {200, 403}, url
    assert client.get(f"{url}?page=-5").status_code in {200, 403}


def test_nul_bytes_are_refused_with_a_clear_page_and_nothing_is_saved(db: Session, login) -> None:
    client = login(make_user(db, Role.ADMIN))
    before = db.scalar(select(func.count()).select_from(Agency))
    response = client.submit("/admin/agencies/new", {"name": "Police\x00", "type": "police"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Sorry, there is a problem with what was sent" in page
    assert "govuk-heading-l" in page
    assert db.scalar(select(func.count()).select_from(Agency)) == before
    assert client.get("/admin/audit?user=a%00b").status_code == 400
    assert client.get("/people/search?name=%00").status_code == 400


@pytest.mark.parametrize("year", ["9999", "99999999999", "2101", "1899"])
def test_a_year_out_of_bounds_is_a_field_error(db: Session, login, year: str) -> None:
    client = login(make_user(db))
    response = client.submit("/incidents/new", incident_data(occurred_on=["3", "4", year]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page
    assert "Date of the incident must have a year between 1900 and 2100" in page
    assert db.scalar(select(func.count()).select_from(Incident)) == 0


def test_report_and_audit_dates_with_huge_years_are_field_errors(db: Session, login) -> None:
    world = Borough(db)
    huge = "from-day=31&from-month=12&from-year=9999&to-day=31&to-month=12&to-year=9999"
    page = login(world.coordinator).get(f"/reports/?period=custom&{huge}")
    assert page.status_code == 200
    assert "Start date must have a year between 1900 and 2100" in page.get_data(as_text=True)
    audit = login(make_user(db, Role.ADMIN)).get("/admin/audit?from=9999-12-31&to=9999-12-31")
    assert audit.status_code == 200
    assert "Enter a real date, for example 27 3 2026" in audit.get_data(as_text=True)


def test_an_invalid_judgement_level_is_a_field_error(db: Session, login) -> None:
    officer = make_user(db)
    assessment = make_assessment(db, officer, status=AssessmentStatus.DRAFT)
    response = login(officer).submit(
        f"/assessments/{assessment.id}/sections/judgement",
        {
            "judgement_level": "not-a-choice",
            "action": "continue",
            "version": str(version_of(db, assessment.id)),
        },
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_an_invalid_final_level_is_a_field_error(db: Session, login) -> None:
    officer = make_user(db)
    supervisor = make_user(db, Role.REFERRER, agency=officer.agency, supervisor=True)
    assessment = make_assessment(db, officer, judgement="medium")
    response = login(supervisor).submit(
        f"/assessments/{assessment.id}/endorse",
        {"final_level": "extreme", "version": str(version_of(db, assessment.id))},
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        f"/referrals/{HUGE}",
        f"/referrals/{2**63}",
        f"/meetings/{2**31}",
        f"/admin/users/{2**40}",
        f"/incidents/new?person_id={HUGE}",
        f"/referrals/new?incident_id={2**63}",
        f"/actions/agency?panel={HUGE}&officer=-3",
        f"/admin/users?agency={HUGE}",
    ],
)
def test_huge_ids_are_not_found(db: Session, login, url: str) -> None:
    client = login(make_user(db, Role.ADMIN if "admin" in url else Role.COORDINATOR))
    assert client.get(url).status_code in {200, 403, 404}


def test_a_huge_id_in_a_hidden_field_is_not_found(db: Session, login) -> None:
    client = login(make_user(db))
    assert client.submit("/assessments/start", {"incident_id": HUGE}).status_code == 404
    assert client.submit("/assessments/start", {"incident_id": "-1"}).status_code == 404


def test_formula_cells_are_neutralised_in_csv_exports(db: Session, login) -> None:
    world = Borough(db)
    world.area.name = '=HYPERLINK("http://evil.example","x")'
    world.empty_area.name = "@SUM(A1)"
    db.commit()
    response = login(world.coordinator).get(f"/reports/export/areas.csv?{PERIOD}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert "'@SUM(A1)" in cells
    assert not any(cell[:1] in {"=", "+", "-", "@", "\t", "\r"} for cell in cells)
    assert ['\'=HYPERLINK("http://evil.example","x")', "3"] in rows  # counts stay numbers


def test_safe_cell_quotes_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell(-3) == "-3" and safe_cell("Northfield") == "Northfield"


def test_csv_and_pdf_downloads_are_not_stored(db: Session, login) -> None:
    world = Borough(db)
    client = login(world.coordinator)
    for url in (
        f"/reports/export/areas.csv?{PERIOD}",
        f"/reports/pack.csv?{PERIOD}",
        f"/reports/pack.pdf?{PERIOD}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url


def _unreachable_url(tmp_path: Path) -> str:
    if BACKEND == "sqlite":
        folder = tmp_path / "gone.db"
        folder.mkdir()  # a directory where the database file should be: cannot be opened
        return f"sqlite:///{folder}"
    return "postgresql+psycopg://postgres@127.0.0.1:9/marac?connect_timeout=2"


def test_signed_in_pages_say_the_service_is_unavailable_when_the_database_is_down(
    app: Flask, db: Session, login, tmp_path: Path
) -> None:
    signed_in = login(make_user(db, Role.COORDINATOR))
    down = create_app(settings_for(_unreachable_url(tmp_path)))
    down.test_client_class = Client
    client = down.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = signed_in.get_cookie(name)
    assert cookie is not None
    client.set_cookie(name, cookie.value)
    for url in ("/", "/referrals", "/actions/mine"):
        response = client.get(url)
        assert response.status_code == 503, url
        page = response.get_data(as_text=True)
        assert "Sorry, the service is unavailable" in page
        assert "Anything you had already saved has not been lost" in page
    assert client.get("/healthz").status_code == 503
    down.extensions["marac_db"].engine.dispose()
