"""The `marac` console command: run, db, create-user, demo-data (and later jobs)."""

from __future__ import annotations

import getpass
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from marac import migrate


def _create_app() -> Flask:
    from marac import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """Community MARAC operations: serve, migrate, create users, load demo data."""


def _url() -> str:
    """The URL migrations run with: the schema owner's when one is configured."""
    return current_app.config.get("MIGRATION_URL") or current_app.config["SQLALCHEMY_URL"]


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@click.group("db")
def db_group() -> None:
    """Migrate the database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest)."""
    from marac.dbroles import app_role_of, grant_app_role_at

    _ensure_sqlite_folder(_url())
    migrate.upgrade(_url(), revision)
    click.echo(f"Database upgraded to {revision}.")
    role = app_role_of(current_app.config["SQLALCHEMY_URL"], _url())
    if role is not None:
        grant_app_role_at(_url(), role)
        click.echo(f"Granted the app role {role} its privileges (audit log: insert and read).")


@db_group.command("grant-app-role")
@click.argument("role")
@with_appcontext
def db_grant_app_role(role: str) -> None:
    """Give PostgreSQL ROLE the app's privileges: INSERT and SELECT only on the audit log."""
    from marac.dbroles import grant_app_role_at

    if not _url().startswith("postgresql"):
        raise click.UsageError("roles are for PostgreSQL; SQLite has none")
    grant_app_role_at(_url(), role)
    click.echo(f"Granted {role} the app's privileges.")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (default: one step back; 'base' empties it)."""
    migrate.downgrade(_url(), revision)
    click.echo(f"Database downgraded to {revision}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema revision the database is at."""
    migrate.current(_url())


@click.command("create-user")
@click.option("--name", help="Full name")
@click.option("--email", help="Work email address (the sign-in name)")
@click.option("--agency", "agency_name", help="Agency name (created if missing, as type 'other')")
@click.option(
    "--role",
    type=click.Choice(["referrer", "member", "coordinator", "admin"]),
    help="Role in the service",
)
@click.option("--supervisor/--no-supervisor", default=False, help="Can endorse assessments")
@click.option("--password", help="Password (asked for if not given)")
@with_appcontext
def create_user(
    name: str | None,
    email: str | None,
    agency_name: str | None,
    role: str | None,
    supervisor: bool,
    password: str | None,
) -> None:
    """Create a user (the first admin); asks for anything not given as an option.

    The user sets up their authenticator app at first sign-in. After the first admin,
    admins add people from the Users page, which emails them an invitation.
    """
    from marac.accounts.models import Agency, AgencyType, User
    from marac.accounts.passwords import hash_password, password_problem
    from marac.audit import record
    from marac.db import db_session, utcnow

    db = db_session()
    name = name or click.prompt("Full name")
    email = (email or click.prompt("Email address")).strip().lower()
    agency_name = agency_name or click.prompt("Agency")
    role = role or click.prompt(
        "Role", type=click.Choice(["referrer", "member", "coordinator", "admin"])
    )
    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("give --password when not running interactively")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise click.UsageError("the passwords do not match")
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise click.UsageError(problem)
    if db.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise click.UsageError(f"a user with email {email} already exists")
    agency = db.scalar(select(Agency).where(func.lower(Agency.name) == agency_name.lower()))
    if agency is None:
        agency = Agency(name=agency_name, type=AgencyType.OTHER.value)
        db.add(agency)
        db.flush()
        click.echo(f"Created agency {agency_name!r} (type 'other'; change it in the admin pages).")
    user = User(
        name=name,
        email=email,
        agency_id=agency.id,
        role=role,
        is_supervisor=supervisor,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
    )
    db.add(user)
    db.flush()
    record(db, "user_created", "user", user.id, f"Created {email} from the command line")
    db.commit()
    click.echo(f"Created {role} {email} at {agency.name}.")


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no users.")
@with_appcontext
def demo_data(if_empty: bool) -> None:
    """Load the fictional demo borough (safe to run again) and print the demo sign-ins."""
    from marac.accounts.models import User
    from marac.accounts.two_factor import grouped
    from marac.db import db_session
    from marac.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo_data

    db = db_session()
    if if_empty and db.scalar(select(func.count(User.id))):
        click.echo("Database already has users; demo data not loaded.")
    else:
        summary = load_demo_data(db)
        click.echo(summary)
    from marac.demo import demo_logins

    click.echo("\nDemo sign-ins (password for all: " + DEMO_PASSWORD + "):")
    for line in demo_logins(db):
        click.echo("  " + line)
    click.echo(
        "\nSecond step: every demo user has the same authenticator secret, accepted only "
        "when MARAC_ENV is development or test:\n  "
        + grouped(DEMO_TOTP_SECRET)
        + "\nAdd it to an authenticator app as a time-based key, or run `marac demo-code` "
        "for the current code."
    )


@click.command("demo-code")
@with_appcontext
def demo_code() -> None:
    """Print the current authenticator code of the demo users (development and test only)."""
    from marac.accounts.two_factor import (
        DEMO_ENVIRONMENTS,
        DEMO_SECRET,
        STEP_SECONDS,
        code_at,
        time_step,
    )
    from marac.db import utcnow

    env = current_app.config["MARAC_SETTINGS"].env
    if env not in DEMO_ENVIRONMENTS:
        raise click.UsageError(f"the demo code is not accepted when MARAC_ENV is {env}")
    now = utcnow()
    seconds_left = STEP_SECONDS - int(now.timestamp()) % STEP_SECONDS
    click.echo(f"{code_at(DEMO_SECRET, time_step(now))} (changes in {seconds_left} seconds)")


@click.command("send-reminders")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as if on DATE")
@with_appcontext
def send_reminders_command(today: object) -> None:
    """Queue due-soon, overdue and weekly digest reminders (each once), then send email."""
    from marac.actions.reminders import send_reminders
    from marac.db import db_session
    from marac.formatting import uk_today
    from marac.notify.backends import backend_for, send_pending

    day = today.date() if today is not None else uk_today()  # type: ignore[attr-defined]
    session = db_session()
    queued = send_reminders(session, day, click.echo)
    result = send_pending(session, backend_for(current_app.config["MARAC_SETTINGS"]), click.echo)
    click.echo(
        f"{len(queued)} reminders queued; {len(result.sent)} emails sent, "
        f"{len(result.failed)} failed (retried next run)."
    )


@click.command("send-emails")
@with_appcontext
def send_emails_command() -> None:
    """Deliver the emails waiting in the outbox through the configured backend."""
    from marac.db import db_session
    from marac.notify.backends import backend_for, send_pending

    result = send_pending(
        db_session(), backend_for(current_app.config["MARAC_SETTINGS"]), click.echo
    )
    click.echo(f"{len(result.sent)} emails sent, {len(result.failed)} failed (retried next run).")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running jobs")
@with_appcontext
def worker_command(workers: int) -> None:
    """Run the job worker: queued jobs and the periodic schedule (no cron needed)."""
    from marac.worker import run_consumer

    settings = current_app.config["MARAC_SETTINGS"]
    click.echo(f"Job worker reading {settings.queue_url.split('@')[-1]} with {workers} threads")
    run_consumer(current_app._get_current_object(), workers)  # type: ignore[attr-defined]


# The EICAR test file's MD5 and size: the only "virus" the development scanner knows.
DEV_SIGNATURE = "44d88612fea8a8f36de82e1278abb02f:68:Marac-Demo-EICAR"


@click.command("dev-scanner")
@with_appcontext
def dev_scanner_command() -> None:
    """Run a local clamd for `make run`, knowing only the EICAR test file (never production).

    A council's clamd loads the real signatures kept current by freshclam; this one lets a
    demo show the scan, quarantine and refusal without downloading any.
    """
    import os
    import shutil
    from pathlib import Path

    from marac.config import INSTANCE_DIR

    settings = current_app.config["MARAC_SETTINGS"]
    if settings.is_production:
        raise click.UsageError("the development scanner is not for production: run clamd")
    folder = INSTANCE_DIR / "clamav"
    address = settings.clamd_address
    if not address or Path(address).parent != folder:
        click.echo(f"Using the configured virus scanner at {address or '(none)'}")
        return
    clamd = shutil.which("clamd") or "/usr/sbin/clamd"
    if not Path(clamd).exists():
        click.echo("clamd is not installed: attachments stay quarantined until one is configured")
        return
    (folder / "signatures").mkdir(parents=True, exist_ok=True)
    (folder / "signatures" / "demo.hdb").write_text(DEV_SIGNATURE + "\n")
    config = folder / "clamd.conf"
    config.write_text(
        f"LocalSocket {address}\nDatabaseDirectory {folder / 'signatures'}\nForeground yes\n"
        f"LogFile {folder / 'clamd.log'}\nBytecode no\nStreamMaxLength 30M\n"
    )
    Path(address).unlink(missing_ok=True)
    click.echo(f"Development virus scanner (EICAR test signature only) on {address}")
    os.execv(clamd, [clamd, "-c", str(config)])


@click.group("audit")
def audit_group() -> None:
    """Check the audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Walk the audit hash chain; print OK, or the first broken link and exit 1."""
    from marac.audit.chain import verify
    from marac.db import db_session

    result = verify(db_session())
    if not result.ok:
        click.echo(f"BROKEN after {result.count} good rows: {result.problem}", err=True)
        sys.exit(1)
    click.echo(f"OK: {result.count} audit rows, chain intact.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(audit_group)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(dev_scanner_command)
    app.cli.add_command(send_emails_command)
    app.cli.add_command(db_group)
    app.cli.add_command(create_user)
    app.cli.add_command(demo_data)
    app.cli.add_command(demo_code)
