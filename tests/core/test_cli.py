"""The `marac` console command, run as an installed console script would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Area, Role, User
from marac.cli import main
from marac.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.conftest import TEST_SECRET


def _run(app: Flask, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    return runner.invoke(args=list(args), input=input)


def test_create_user_with_options(app: Flask, db: Session, login) -> None:
    result = _run(
        app,
        "create-user",
        "--name",
        "Rosa Park",
        "--email",
        "Rosa@Test.Example",
        "--agency",
        "Ashbrook Police",
        "--role",
        "coordinator",
        "--password",
        "tidal-amber-cactus",
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "rosa@test.example"))
    assert user is not None and user.role == Role.COORDINATOR
    assert "Created agency 'Ashbrook Police'" in result.output
    # The first admin signs in with that password and sets up their authenticator app.
    assert login("rosa@test.example", "tidal-amber-cactus").get("/").status_code == 200
    assert db.scalar(select(User.totp_secret).where(User.id == user.id)) is not None
    again = _run(
        app,
        "create-user",
        "--name",
        "R",
        "--email",
        "rosa@test.example",
        "--agency",
        "X",
        "--role",
        "member",
        "--password",
        "tidal-amber-cactus",
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_user_interactively_refuses_weak_password(app: Flask) -> None:
    result = _run(
        app,
        "create-user",
        "--password",
        "short",
        input="Ana Silva\nana@test.example\nVictim Support\nmember\n",
    )
    assert result.exit_code != 0
    assert "12 characters or more" in result.output


def test_demo_data_is_idempotent_and_prints_logins(app: Flask, db: Session) -> None:
    first = _run(app, "demo-data")
    assert first.exit_code == 0, first.output
    counts = [db.scalar(select(func.count()).select_from(m)) for m in (User, Agency, Area)]
    assert counts[0] >= 10 and counts[1] >= 12 and counts[2] == 3
    roles = set(db.scalars(select(User.role)))
    assert roles == {r.value for r in Role}
    assert db.scalar(select(func.count()).where(User.is_supervisor)) >= 1
    assert DEMO_PASSWORD in first.output and "coordinator@ashbrook.example" in first.output
    second = _run(app, "demo-data")
    assert second.exit_code == 0
    assert [db.scalar(select(func.count()).select_from(m)) for m in (User, Agency, Area)] == counts
    skipped = _run(app, "demo-data", "--if-empty")
    assert "not loaded" in skipped.output and DEMO_PASSWORD in skipped.output


def test_demo_cases_show_every_kind_of_referral(app: Flask, db: Session) -> None:
    from marac.assessments.models import RiskAssessment
    from marac.incidents.models import Incident
    from marac.referrals.models import Referral

    result = _run(app, "demo-data")
    assert result.exit_code == 0, result.output
    sources = set(db.scalars(select(Referral.source)))
    assert sources == {"automatic_high_risk", "automatic_repeat", "automatic_escalation", "partner"}
    statuses = set(db.scalars(select(RiskAssessment.status)))
    assert {"draft", "submitted", "endorsed"} <= statuses
    assert db.scalar(select(func.count()).where(Referral.is_repeat)) >= 3
    assert set(db.scalars(select(Referral.area_id))) >= {a.id for a in db.scalars(select(Area))}
    incidents = db.scalar(select(func.count(Incident.id)))
    assert incidents >= 80
    again = _run(app, "demo-data")
    assert "already present" in again.output
    assert db.scalar(select(func.count(Incident.id))) == incidents


def test_demo_users_can_sign_in(app: Flask, login, db: Session) -> None:
    result = _run(app, "demo-data")
    assert "MARA CDEM OMAR ACDE MOMA RACD EMOM ARAC" in result.output  # the demo secret
    assert set(db.scalars(select(User.totp_secret))) == {DEMO_TOTP_SECRET}
    client = login("coordinator@ashbrook.example", DEMO_PASSWORD)  # password, then the code
    assert "MARAC coordinator" in client.get("/").get_data(as_text=True)


def test_demo_code_prints_the_current_code_outside_production(database_url: str) -> None:
    from marac import create_app
    from marac.accounts.two_factor import code_at, time_step
    from marac.db import utcnow
    from tests.conftest import settings_for

    for env in ("development", "test"):
        app = create_app(settings_for(database_url, env=env))
        before = code_at(DEMO_TOTP_SECRET, time_step(utcnow()))
        result = _run(app, "demo-code")
        after = code_at(DEMO_TOTP_SECRET, time_step(utcnow()))
        assert result.exit_code == 0, result.output
        assert result.output.split()[0] in {before, after}
        app.extensions["marac_db"].engine.dispose()
    app = create_app(settings_for(database_url, env="production"))
    result = _run(app, "demo-code")
    assert result.exit_code != 0
    assert "not accepted when MARAC_ENV is production" in result.output
    app.extensions["marac_db"].engine.dispose()


def test_db_commands_through_the_console_script(empty_database_url: str) -> None:
    """`marac db upgrade|current|downgrade` as a shell would call them."""
    env = {**os.environ, "MARAC_DATABASE_URL": empty_database_url, "MARAC_SECRET_KEY": TEST_SECRET}
    marac = Path(sys.executable).with_name("marac")

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(marac), *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    assert "upgraded to head" in run("db", "upgrade")
    assert "(head)" in run("db", "current")
    assert "downgraded to base" in run("db", "downgrade", "base")
    assert "(head)" not in run("db", "current")


def test_console_group_lists_the_commands() -> None:
    result = CliRunner().invoke(main, ["--help"], env={"MARAC_SECRET_KEY": TEST_SECRET})
    assert result.exit_code == 0
    for command in ("run", "db", "create-user", "demo-data", "demo-code"):
        assert command in result.output
