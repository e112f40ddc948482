"""Every route, every actor: the answers must match the matrix in `tests.security.matrix`.

One world of real records is built once for the module (the requests only read it, or
are refused, or post empty forms). GET routes are requested first, then POST-only and
GET-and-POST routes are posted with a valid CSRF token and no other data: refused actors
must change nothing in the database. A route missing from the matrix fails the suite.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from sqlalchemy.engine import Engine
from werkzeug.routing import Rule as UrlRule

from marac import create_app
from marac.db import Base
from tests.conftest import BACKEND, CSRF_RE, Client, _truncate_all, settings_for, sqlite_copy
from tests.security.matrix import (
    ACTORS,
    ANONYMOUS,
    CASE_SIGHTED,
    PARAM_RECORDS,
    RULES,
    VARIANTS,
    Outcome,
    Rule,
)
from tests.security.world import VICTIM_NAME, MatrixWorld

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def missing_entries(app: Flask, rules: dict[str, Rule] = RULES) -> list[str]:
    """Routes of `app` with no entry in the matrix, as "endpoint (rule)"."""
    return sorted(
        f"{r.endpoint} ({r.rule})" for r in app.url_map.iter_rules() if r.endpoint not in rules
    )


def stale_entries(app: Flask, rules: dict[str, Rule] = RULES) -> list[str]:
    """Matrix entries naming no route of `app` (renamed or removed endpoints)."""
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    return sorted(set(rules) - endpoints)


@dataclass
class Matrix:
    app: Flask
    world: MatrixWorld
    clients: dict[str, Client]
    sightings: set[tuple[str, str]] = field(default_factory=set)  # (endpoint, actor)


@pytest.fixture(scope="module")
def matrix(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """A migrated database with the world, and one signed-in client per actor."""
    if BACKEND == "sqlite":
        url = f"sqlite:///{sqlite_copy(migrated_template)}"
    else:
        _truncate_all(migrated_template)
        url = migrated_template
    app = create_app(settings_for(url))
    app.test_client_class = Client
    session = app.extensions["marac_db"].sessionmaker()
    with app.app_context():  # the world's issued minutes go into the app's store
        world = MatrixWorld(session)
    session.close()
    clients = {actor: _client(app, world, actor) for actor in ACTORS}
    yield Matrix(app, world, clients)
    app.extensions["marac_db"].engine.dispose()


def _client(app: Flask, world: MatrixWorld, actor: str) -> Client:
    client: Client = app.test_client()  # type: ignore[assignment]
    if actor == ANONYMOUS:
        match = CSRF_RE.search(client.get("/sign-in").get_data(as_text=True))
        assert match
        client.csrf_token = match.group(1)
        return client
    return client.login(world.users[actor].email)


def _url(app: Flask, url_rule: UrlRule, entry: Rule, ids: dict[str, Any]) -> str:
    values = {}
    for name in url_rule.arguments:
        record = entry.params.get(name) or PARAM_RECORDS.get(name)
        assert record, f"{url_rule.endpoint}: no record for URL parameter {name!r}"
        values[name] = ids[record]
    with app.test_request_context():
        url = url_for(url_rule.endpoint, **values)
    return f"{url}?{entry.query.format(**ids)}" if entry.query else url


def outcome_of(response: Any, method: str) -> str:
    """What the actor got, in the matrix's terms (anything else is reported as is)."""
    code = response.status_code
    if 300 <= code < 400:
        location = urlsplit(response.headers.get("Location", ""))
        # Asked to sign in to continue: the sign-in page with where to go next.
        if location.path == "/sign-in" and "next=" in location.query:
            return Outcome.SIGN_IN
        return Outcome.ALLOWED
    if 200 <= code < 300:
        return Outcome.ALLOWED
    if code == 400 and method == "POST":
        return Outcome.ALLOWED  # past the checks, then the empty form was refused
    if code == 403:
        return Outcome.REFUSED
    if code == 404:
        return Outcome.NOT_FOUND
    return f"HTTP {code}"


# Written on purpose by any request: the audit log (refusals are audited) and the
# sessions' last-seen times. Every other table must be untouched by a refused request.
BOOKKEEPING = {"audit_event", "audit_chain_head", "user_session"}


def fingerprint(engine: Engine) -> str:
    """A hash of every row of every table, to prove a refused request changed nothing."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
            digest.update(table.name.encode())
    return digest.hexdigest()


def _request(m: Matrix, actor: str, entry: Rule, method: str, url: str) -> Any:
    client = m.clients[actor]
    if entry.fresh_session:
        client = _client(m.app, m.world, actor)
    if method == "GET":
        return client.get(url)
    data = {name: value.format(**m.world.ids) for name, value in entry.data.items()}
    return client.submit(url, data)


def test_every_route_has_an_entry_in_the_matrix(matrix: Matrix) -> None:
    missing = missing_entries(matrix.app)
    assert not missing, "Add these routes to tests/security/matrix.py RULES: " + ", ".join(missing)
    stale = stale_entries(matrix.app, {**RULES, **dict(VARIANTS)})
    assert not stale, f"Matrix entries for routes that no longer exist: {stale}"


def test_a_route_without_an_entry_is_reported(tmp_path: Any) -> None:
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'unused.db'}"))
    assert missing_entries(app) == []
    app.add_url_rule("/matrix-probe/<int:thing_id>", "probe.unlisted", lambda thing_id: "")
    assert missing_entries(app) == ["probe.unlisted (/matrix-probe/<int:thing_id>)"]
    assert stale_entries(app, {**RULES, "probe.gone": RULES["static"]}) == ["probe.gone"]


def _check(m: Matrix, url_rule: UrlRule, method: str, entry: Rule) -> tuple[int, list[str]]:
    """Ask as every actor; the answers that differ from the entry (and any refused change)."""
    engine = m.app.extensions["marac_db"].engine
    url = _url(m.app, url_rule, entry, m.world.ids)
    # Refused actors first, so their requests are checked against an untouched world.
    actors = sorted(ACTORS, key=lambda a: entry.expected(a) == Outcome.ALLOWED)
    refused = [a for a in actors if entry.expected(a) != Outcome.ALLOWED]
    last_refused = refused[-1] if refused and method == "POST" else None
    before = fingerprint(engine) if last_refused else ""
    wrong = []
    for actor in actors:
        expected = entry.expected(actor)
        response = _request(m, actor, entry, method, url)
        got = outcome_of(response, method)
        if VICTIM_NAME.encode() in response.get_data():
            m.sightings.add((url_rule.endpoint, actor))
            if actor not in CASE_SIGHTED:
                wrong.append(f"{method} {url} ({url_rule.endpoint}) shows the victim to {actor}")
        if got != expected:
            wrong.append(f"{method} {url} ({url_rule.endpoint}) as {actor}: {got}, not {expected}")
        if actor == last_refused and fingerprint(engine) != before:
            wrong.append(f"{method} {url} ({url_rule.endpoint}): a refused request changed data")
    return len(actors), wrong


def test_every_route_answers_every_actor_as_the_matrix_says(matrix: Matrix) -> None:
    routes = sorted(
        (r for r in matrix.app.url_map.iter_rules() if r.endpoint in RULES),
        key=lambda r: r.endpoint,
    )
    by_endpoint = {r.endpoint: r for r in routes}
    # GETs first (they change nothing), then the variants, then the POSTs.
    cases = [(r, "GET", RULES[r.endpoint]) for r in routes if "GET" in r.methods]  # type: ignore[operator]
    cases += [(by_endpoint[endpoint], "GET", entry) for endpoint, entry in VARIANTS]
    cases += [(r, "POST", RULES[r.endpoint]) for r in routes if "POST" in r.methods]  # type: ignore[operator]
    checked, wrong = 0, []
    for url_rule, method, entry in cases:
        count, differences = _check(matrix, url_rule, method, entry)
        checked += count
        wrong += differences
    # The name probe means something: the case's own pages do show it to its people.
    assert ("referrals.view", "member_on_panel") in matrix.sightings
    assert ("actions.view", "action_owner") in matrix.sightings
    assert not wrong, f"{len(wrong)} of {checked} answers differ from the matrix:\n" + "\n".join(
        wrong
    )
