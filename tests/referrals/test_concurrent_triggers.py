"""Many people recording incidents for one person at once: one open referral, nothing lost.

Real concurrency, not simulated: the PostgreSQL tests run the app under gunicorn with
4 worker processes and fire simultaneous POSTs of the real incident form from signed-in
HTTP sessions; the SQLite test does the same against the threaded werkzeug server.
The person already has two incidents, so every new one fires the escalation rule
("3 incidents", "4 incidents", ...): each request must either open the referral or add
its reason and incident to it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from marac.accounts.models import AgencyType, Role
from marac.audit.models import AuditEvent
from marac.incidents.models import Incident
from marac.referrals.models import Referral, ReferralIncident
from tests.conftest import BACKEND, TEST_SECRET
from tests.factories import PASSWORD, TOTP_SECRET, make_agency, make_user, unused_code
from tests.incidents.helpers import existing_person_data, make_incident, make_person

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LISTENING_RE = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
GUNICORN = Path(sys.executable).with_name("gunicorn")
SESSIONS = 10  # distinct signed-in users; the requests are shared out among them

postgresql_only = pytest.mark.skipif(
    BACKEND == "sqlite", reason="gunicorn workers race on PostgreSQL row locks"
)


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(base_url: str, email: str) -> requests.Session:
    """Sign in through the real form over HTTP. The one place to change if sign-in grows."""
    http = requests.Session()
    token = _csrf(http.get(f"{base_url}/sign-in", timeout=60).text)
    response = http.post(
        f"{base_url}/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:2000]
    # Then the authenticator code, as the person would type it from their phone.
    code_page = f"{base_url}/sign-in/code"
    assert response.headers["Location"].split("?")[0] in ("/sign-in/code", code_page)
    code, _step = unused_code(TOTP_SECRET, None)
    token = _csrf(http.get(code_page, timeout=60).text)
    response = http.post(
        code_page, data={"code": code, "csrf_token": token}, allow_redirects=False, timeout=60
    )
    assert response.status_code == 302, response.text[:2000]
    return http


@pytest.fixture
def gunicorn_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The app under gunicorn, 4 sync workers, on a port the OS picks (no race for it)."""
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "MARAC_ENV": "test",
        "MARAC_DATABASE_URL": database_url,
        "MARAC_SECRET_KEY": TEST_SECRET,
        # Every session signs in from 127.0.0.1: the load test is not about rate limits.
        "MARAC_RATELIMIT_PER_ADDRESS": "1000 per minute",
    }
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                str(GUNICORN),
                "--workers",
                "4",
                "--bind",
                "127.0.0.1:0",
                "--timeout",
                "120",
                "--error-logfile",
                "-",
                "marac:create_app()",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = _wait_until_up(server, log)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
        assert not errors, log.read_text()[-5000:]


def _wait_until_up(server: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()[-3000:]}")
        found = LISTENING_RE.search(log.read_text())
        if found:
            base_url = f"http://127.0.0.1:{found.group(1)}"
            try:
                if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                    return base_url
            except requests.RequestException:
                pass  # the workers are still booting
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not start: {log.read_text()[-3000:]}")


@pytest.fixture
def threaded_server(app: Flask) -> Iterator[str]:
    """The test app on werkzeug's threaded server, as `marac run` serves it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="race-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Race:
    """One person with two incidents, signed-in supervisors who may record against them."""

    def __init__(self, db: Session, base_url: str) -> None:
        police = make_agency(db, "Ashbrook Police", AgencyType.POLICE)
        # Supervisors see their agency's incidents, so each may pick the person.
        self.users = [
            make_user(db, Role.REFERRER, police, supervisor=True) for _ in range(SESSIONS)
        ]
        self.person = make_person(db, "Nadia Race", creator=self.users[0])
        self.earlier = [make_incident(db, self.users[0], self.person) for _ in range(2)]
        self.db = db
        self.url = f"{base_url}/incidents/new?person_id={self.person.id}"
        self.sessions = [sign_in(base_url, user.email) for user in self.users]

    def fire(self, count: int) -> list[requests.Response | BaseException]:
        """POST `count` incident forms at the same moment; each response (or error) in order."""
        prepared: list[tuple[requests.Session, dict[str, object]]] = []
        for n in range(count):
            http = self.sessions[n % len(self.sessions)]
            data = existing_person_data(
                **{
                    "csrf_token": _csrf(http.get(self.url, timeout=60).text),
                    "description": f"Concurrent incident {n}: what the officer typed.",
                    # Only the unnamed perpetrator: a named one would ask for a match choice.
                    "perpetrators-1-known": None,
                    "perpetrators-1-name": None,
                    "perpetrators-1-relationship": None,
                    "perpetrators-1-age_band": None,
                    "perpetrators-1-description": None,
                }
            )
            prepared.append((http, data))
        results: list[requests.Response | BaseException] = [RuntimeError("not run")] * count
        start = threading.Barrier(count)

        def post(n: int) -> None:
            http, data = prepared[n]
            start.wait()
            try:
                results[n] = http.post(self.url, data=data, allow_redirects=False, timeout=120)
            except BaseException as exc:
                results[n] = exc

        threads = [threading.Thread(target=post, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=150)
        return results

    def check(self, results: list[requests.Response | BaseException]) -> None:
        """Every request succeeded and saved its incident; one referral holds every reason."""
        count = len(results)
        problems = [
            r if isinstance(r, BaseException) else f"{r.status_code}: {r.text[:300]}"
            for r in results
            if isinstance(r, BaseException) or r.status_code != 302
        ]
        assert problems == [], f"{len(problems)} of {count} requests failed: {problems[:3]}"
        assert all("/incidents/" in r.headers["Location"] for r in results)  # type: ignore[union-attr]

        db = self.db
        db.expire_all()
        incidents = set(db.scalars(select(Incident.id).where(Incident.person_id == self.person.id)))
        new = incidents - {i.id for i in self.earlier}
        assert len(new) == count
        descriptions = set(db.scalars(select(Incident.description).where(Incident.id.in_(new))))
        assert descriptions == {
            f"Concurrent incident {n}: what the officer typed." for n in range(count)
        }
        referrals = list(db.scalars(select(Referral).where(Referral.person_id == self.person.id)))
        assert len(referrals) == 1, [(r.reference, r.status) for r in referrals]
        referral = referrals[0]
        assert referral.status == "new"
        # Run one after another, the requests saw 3, 4, ... incidents: every reason, in order.
        assert referral.trigger_reasons == [
            f"Escalation: {n} incidents in the last 12 months" for n in range(3, 3 + count)
        ]
        linked = set(
            db.scalars(
                select(ReferralIncident.incident_id).where(
                    ReferralIncident.referral_id == referral.id
                )
            )
        )
        assert linked == new
        assert referral.version == count  # created once, then one update per later request
        # One audit row for the referral's creation and one for each reason added to it.
        audited = dict(
            db.execute(
                select(AuditEvent.action, func.count())
                .where(
                    AuditEvent.object_type == "referral", AuditEvent.object_id == str(referral.id)
                )
                .group_by(AuditEvent.action)
            ).all()
        )
        assert audited == {
            "referral_created_automatically": 1,
            **({"referral_trigger_added": count - 1} if count > 1 else {}),
        }


RaceFactory = Callable[[str], Race]


@pytest.fixture
def race(db: Session) -> RaceFactory:
    return lambda base_url: Race(db, base_url)


@postgresql_only
def test_fifty_incidents_at_once_under_gunicorn(race: RaceFactory, gunicorn_server: str) -> None:
    world = race(gunicorn_server)
    world.check(world.fire(50))


@postgresql_only
def test_five_incidents_at_once_under_gunicorn(race: RaceFactory, gunicorn_server: str) -> None:
    world = race(gunicorn_server)
    world.check(world.fire(5))


def test_twenty_incidents_at_once_on_the_threaded_server(
    race: RaceFactory, threaded_server: str
) -> None:
    world = race(threaded_server)
    world.check(world.fire(20))
