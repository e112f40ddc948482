"""Hypothesis fuzz of every route: hostile input must never give a 5xx or lose saved data.

Routes are read from `app.url_map` at run time, so routes added later are fuzzed too. Each
route is requested as a visitor and as each role, with fuzzed URL parameters and query
strings; routes taking POST get fuzzed copies of the forms their pages show (real field
names, valid CSRF token, fields mutated one by one) or, with no page to read, fields seen
on other pages. `MARAC_FUZZ_TRACE=1` prints every request with its status and time.
"""

from __future__ import annotations

import inspect
import logging
import os
import random
import re
import sys
import time
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from marac.accounts.models import Agency, Role, User
from marac.actions.models import Action
from marac.assessments.models import RiskAssessment
from marac.audit.models import AuditEvent
from marac.db import utcnow
from marac.incidents.models import Incident
from marac.notify.models import Notification, OutboxMessage
from marac.panels.models import Meeting, Panel
from marac.people.models import Person
from marac.referrals.models import Referral
from marac.reports.models import PartnershipTarget
from tests.conftest import Client
from tests.factories import _PASSWORD_HASH, TOTP_SECRET, make_user
from tests.minutes.helpers import MinutesWorld
from tests.referrals.helpers import make_endorsed, make_incident

# Bounded for CI on a small machine: example k fuzzes every third route (from k mod 3) as
# every role, so six examples sweep each route twice per role (about 2,000 requests).
SHARES = 3
EXAMPLES = 2 * SHARES
settings.register_profile(
    "marac-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # failures are collected, not shrunk
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# Requests that end the session: the rest of the example would run signed out.
SESSION_ENDERS = {"accounts.logout"}
GENERIC_QUERY = ["page", "q", "status", "from", "to", "area", "year", "panel", "period",
                 "from-day", "from-month", "from-year", "to-day", "to-month", "to-year",
                 "agency", "role", "person_id", "incident_id", "overdue", "show", "next",
                 "user", "action", "kind", "name"]  # fmt: skip

HUGE = ["99999999999999999999999", str(2**63), str(2**31), "-9223372036854775809", "-1", "0"]
YEARS = ["0", "9999", "99999999999", "1899", "2101", "-5", "1e9"]
NASTY = [  # the first is what Hypothesis's simplest example sends
    "99999999999999999999999",
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 5000,
    "é漢字🙂\u202e",
    "not-a-choice",
    "1.5",
    "=1+2",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\t\r\n",
    "%00",
    *HUGE,
    *YEARS,
]
value_st = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
field_value_st = st.one_of(value_st, st.lists(value_st, min_size=2, max_size=3))
URL_INTS = ["1", "2", "3", "4", "5", "6", "7", "8", "10", "12", *HUGE, "abc", "%00", "1e3"]


class Fuzzer:
    """Hostile values from one Hypothesis example.

    Which routes and fields a run meets depends on the pages' contents, so the example
    draws a fixed-shape pool of values and a seeded random source up front; the sweep
    picks from them. The shape never changes, so Hypothesis can replay any example.
    """

    def __init__(self, data: st.DataObject) -> None:
        self.values: list[Any] = data.draw(st.lists(field_value_st, min_size=64, max_size=64))
        self.texts: list[str] = data.draw(st.lists(st.text(min_size=1), min_size=8, max_size=8))
        # One seed drawn: the sweep's many choices must not each consume Hypothesis data.
        self.rng = random.Random(data.draw(st.integers(min_value=0, max_value=2**32)))

    def value(self) -> Any:
        return self.rng.choice(NASTY if self.rng.random() < 0.4 else self.values)

    def url(self, rule: Any) -> str:
        """The rule's URL with each parameter fuzzed according to its converter."""

        def replace(match: re.Match[str]) -> str:
            if match.group(1) == "int":
                return self.rng.choice(URL_INTS)
            return quote(self.rng.choice([*NASTY[:14], *self.texts]), safe="")

        return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", replace, rule.rule)

    def query(self, known: list[str]) -> dict[str, Any]:
        """Most of the route's own parameters, a few generic ones and sometimes a random one."""
        chosen = {n for n in known if self.rng.random() < 0.7}
        chosen.update(self.rng.sample(GENERIC_QUERY, self.rng.randint(1, 3)))
        chosen.update([self.rng.choice(self.texts)] if self.rng.random() < 0.3 else [])
        return {name: self.value() for name in sorted(chosen)}

    def form(self, names: list[str]) -> dict[str, Any]:
        return {name: self.value() for name in self.rng.sample(names, min(6, len(names)))}

    def mutate(self, form: dict[str, list[str]]) -> dict[str, Any]:
        """A copy of a page's form with a few fields made hostile, the rest left valid."""
        payload: dict[str, Any] = {k: list(v) for k, v in form.items()}
        names = [n for n in form if n != "csrf_token"]
        for name in self.rng.sample(names, min(len(names), self.rng.randint(1, 3))):
            if name.endswith("-year"):
                payload[name] = self.rng.choice(YEARS)
            elif self.rng.random() < 0.2:
                payload.pop(name)
            else:
                payload[name] = self.value()
        return payload


class FormReader(HTMLParser):
    """Collects a page's forms: each POST form's action and a valid-looking value per
    field, and the field names of GET (filter and search) forms, by their action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self.searches: list[tuple[str, dict[str, list[str]]]] = []
        self._fields: dict[str, list[str]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._fields = {}
            post = a.get("method", "get").lower() == "post"
            (self.forms if post else self.searches).append((a.get("action", ""), self._fields))
        if self._fields is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"radio", "checkbox"}:
                values = self._fields.setdefault(name, [])
                if not values or "checked" in a:
                    values[:] = [a.get("value", "on")]
            else:
                self._fields[name] = [a.get("value") or _typical(name)]
        elif tag == "button" and name:
            self._fields.setdefault(name, [a.get("value", "")])
        elif tag == "select" and name:
            self._select = name
            self._fields[name] = []
        elif tag == "option" and self._select and a.get("value"):
            if not self._fields[self._select] or "selected" in a:
                self._fields[self._select] = [a["value"]]
        elif tag == "textarea" and name:
            self._textarea = name
            self._fields[name] = ["Some notes"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _typical(name: str) -> str:
    """A plausible value, so fuzzing one field lets the others pass validation."""
    soon = date.today() + timedelta(days=20)
    if name.endswith("-day"):
        return str(soon.day)
    if name.endswith("-month"):
        return str(soon.month)
    if name.endswith("-year"):
        return str(soon.year)
    if "email" in name:
        return "fuzz@test.example"
    if "postcode" in name:
        return "AK1 2BX"
    return "Fuzz text"


def query_names(app: Flask, endpoint: str) -> list[str]:
    """The query parameters the view's module reads, found in its source at run time."""
    view = app.view_functions[endpoint]
    module = sys.modules.get(getattr(view, "__module__", ""))
    try:
        source = inspect.getsource(module) if module else ""
    except (OSError, TypeError):
        source = ""
    return sorted(set(re.findall(r"(?:args\.get|_arg)\(\s*[\"'](\w+)[\"']", source)))


def read_forms(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


def build_world(db: Session) -> dict[str, User]:
    """Real rows of every kind, so the fuzzed ids in URLs hit real records too."""
    world = MinutesWorld(db)
    supervisor = make_user(db, Role.REFERRER, agency=world.police, supervisor=True)
    incident = make_incident(db, world.referrer, make_person_for(world), world.area)
    make_endorsed(db, world.referrer, incident, "high")
    db.add(Notification(user_id=world.referrer.id, kind="fuzz", message="A notice"))
    db.add(
        OutboxMessage(
            recipient="fuzz@test.example", kind="fuzz", subject="Fuzz", body="Body", error="x"
        )
    )
    today = date.today()
    db.add(
        PartnershipTarget(
            name="More referrals",
            baseline_start=today - timedelta(days=400),
            baseline_end=today - timedelta(days=200),
            change_percent=50,
            measured_start=today - timedelta(days=100),
            measured_end=today,
            created_at=utcnow(),
        )
    )
    db.commit()
    return {
        "referrer": world.referrer,
        "supervisor": supervisor,
        "member": world.housing_member,
        "coordinator": world.coordinator,
        "admin": world.admin,
    }


def make_person_for(world: MinutesWorld) -> Person:
    person = world.db.get(Person, world.referrals[0].person_id)
    assert person is not None
    return person


COUNTED = (Referral, Incident, Action, Meeting, Panel, User, Agency, RiskAssessment)


def counts(db: Session) -> dict[str, int]:
    db.expire_all()
    found = {m.__name__: db.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED}
    found["AuditEvent"] = db.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return found


FAILURES: list[str] = []


class LastError(logging.Handler):
    """Keeps the app's last logged exception, to name it beside the request that failed."""

    message = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.message = f"{type(error).__name__}: {str(error)[:200]}"


LAST_ERROR = LastError()


def send(client: Client, method: str, url: str, **kwargs: Any) -> Any:
    """One request; server errors are collected, so one run reports them all unshrunk."""
    started = time.monotonic()
    response = client.open(url, method=method, **kwargs)
    sent = kwargs.get("data", kwargs.get("query_string"))
    if response.status_code >= 500:
        FAILURES.append(
            f"{method} {url} gave {response.status_code} ({LAST_ERROR.message}) with {sent!r:.300}"
        )
    if os.environ.get("MARAC_FUZZ_TRACE"):
        took = time.monotonic() - started
        print(f"{took:.2f}s {response.status_code} {method} {url} {sent!r:.100}", flush=True)
    return response


def test_no_route_gives_a_server_error_on_hostile_input(app: Flask, db: Session) -> None:
    users = build_world(db)
    before = counts(db)
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 90, "routes are discovered from the app"
    field_pool: set[str] = {"reason", "version", "action", "csrf_token"}
    known = {rule.endpoint: query_names(app, rule.endpoint) for rule in rules}
    assert "page" in known["referrals.index"], "query parameters are read from the views"
    adapter = app.url_map.bind("localhost")
    started = time.monotonic()
    visited: set[tuple[str, str]] = set()
    posted: set[tuple[str, str]] = set()  # each form's action once per role and sweep

    identities = {u.id: (u.email, u.role, u.is_supervisor, u.agency_id) for u in users.values()}

    def clients() -> dict[str, Client]:
        signed_in: dict[str, Client] = {"visitor": app.test_client()}  # type: ignore[dict-item]
        for role, user in users.items():
            db.expire_all()
            fresh = db.get(User, user.id)
            assert fresh is not None
            # A fuzzed admin form may have changed, locked or deactivated a fuzz user: undo.
            fresh.email, fresh.role, fresh.is_supervisor, fresh.agency_id = identities[user.id]
            fresh.active, fresh.failed_logins, fresh.locked_until = True, 0, None
            # ...or reset its password or authenticator app (admin resets).
            fresh.password_hash, fresh.totp_secret = _PASSWORD_HASH, TOTP_SECRET
            db.commit()
            signed_in[role] = app.test_client().login(user.email)  # type: ignore[attr-defined]
        return signed_in

    example = iter(range(10**6))

    @settings(settings.get_profile("marac-fuzz"))
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        fuzzer = Fuzzer(data)
        k = next(example)
        share = rules[k % SHARES :: SHARES]
        if k % SHARES == 0:
            posted.clear()  # a new sweep posts every page's forms again
        for role, client in clients().items():
            token = client.csrf_token or ""
            for rule in share:
                methods = rule.methods or set()
                if rule.endpoint in SESSION_ENDERS:
                    continue
                names = [*known[rule.endpoint], *rule.arguments]
                if "GET" in methods:
                    url = fuzzer.url(rule)
                    response = send(client, "GET", url, query_string=fuzzer.query(names))
                    visited.add((role, rule.endpoint))
                    if response.status_code == 200 and response.mimetype == "text/html":
                        html = response.get_data(as_text=True)
                        post_forms(role, client, html, url, fuzzer)
                if "POST" in methods:
                    # Hostile ids in the URL, and fields seen on any page so far.
                    payload = fuzzer.form(sorted(field_pool))
                    payload["csrf_token"] = token
                    send(client, "POST", fuzzer.url(rule), data=payload)
                    visited.add((role, rule.endpoint))

    def post_forms(role: str, client: Client, html: str, page_url: str, fuzzer: Fuzzer) -> None:
        page = read_forms(html)
        for action, form in page.searches:
            try:
                endpoint, _ = adapter.match(urlsplit(action).path or page_url)
            except HTTPException:
                continue
            known[str(endpoint)] = sorted({*known.get(str(endpoint), []), *form})
        for action, form in page.forms:
            field_pool.update(form)
            target = urlsplit(action).path or page_url
            if not target.startswith("/") or target == "/sign-out" or (role, target) in posted:
                continue
            posted.add((role, target))
            payload = fuzzer.mutate(form)
            payload["csrf_token"] = client.csrf_token or ""
            send(client, "POST", target, data=payload)

    FAILURES.clear()
    app.logger.addHandler(LAST_ERROR)
    fuzz()

    assert not FAILURES, f"{len(FAILURES)} server errors:\n" + "\n".join(FAILURES[:60])

    assert {role for role, _ in visited} == {"visitor", *users}
    assert len(visited) >= 6 * (len(rules) - len(SESSION_ENDERS))
    after = counts(db)
    for name, count in before.items():
        assert after[name] >= count, f"{name} rows were lost: {count} before, {after[name]} after"
    print(
        f"fuzzed {len(rules)} routes as {len(users) + 1} roles in {time.monotonic() - started:.0f}s"
    )
