"""The optional breached-password range check, against a local HTTP server standing in for the API.

The API is the edge of the world: the real client code (`RangeCheck`) runs and
talks HTTP to a small server here that answers as the range API does.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from marac import create_app
from marac.accounts.breached import RangeCheck
from tests.conftest import Client, settings_for
from tests.factories import PASSWORD, make_user

BREACHED_PASSWORD = "velvet-harbour-compass"
PADDED_PASSWORD = "copper-willow-thistle"  # listed with count 0: padding, not a breach


def _sha1(password: str) -> str:
    return hashlib.sha1(password.encode()).hexdigest().upper()


class RangeApi:
    """A stand-in for the range API: answers /range/<prefix> from a few known hashes."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []
        known = {_sha1(BREACHED_PASSWORD): 42, _sha1(PADDED_PASSWORD): 0}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.requests.append((self.path, self.headers.get("Add-Padding")))
                prefix = self.path.rsplit("/", 1)[-1]
                lines = [f"{h[5:]}:{n}" for h, n in known.items() if h.startswith(prefix)]
                lines.append("0000000000000000000000000000000000A:3")  # someone else's
                body = "\r\n".join(lines).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/range/"


@pytest.fixture
def range_api() -> Iterator[RangeApi]:
    api = RangeApi()
    thread = threading.Thread(target=api.server.serve_forever, daemon=True)
    thread.start()
    yield api
    api.server.shutdown()
    api.server.server_close()
    thread.join(timeout=5)


def test_only_the_hash_prefix_leaves_the_server(range_api: RangeApi) -> None:
    check = RangeCheck(range_api.url)
    assert check(BREACHED_PASSWORD) is True
    assert range_api.requests == [(f"/range/{_sha1(BREACHED_PASSWORD)[:5]}", "true")]


def test_padding_and_unlisted_passwords_are_not_breached(range_api: RangeApi) -> None:
    check = RangeCheck(range_api.url)
    assert check(PADDED_PASSWORD) is False
    assert check("nobody-has-used-this-one") is False


def test_an_unreachable_api_lets_the_password_through(
    range_api: RangeApi, caplog: pytest.LogCaptureFixture
) -> None:
    url = range_api.url
    range_api.server.shutdown()
    range_api.server.server_close()
    with caplog.at_level(logging.WARNING, logger="marac.accounts.breached"):
        assert RangeCheck(url, timeout=2)(BREACHED_PASSWORD) is False
    assert "Breached-password check unavailable" in caplog.text


def _app(database_url: str, **changes: object) -> Flask:
    application = create_app(settings_for(database_url, **changes))
    application.test_client_class = Client
    return application


def _change_password(app: Flask, new: str) -> str:
    session = app.extensions["marac_db"].sessionmaker()
    user = make_user(session)
    session.close()
    client: Client = app.test_client()  # type: ignore[assignment]
    client.login(user.email)
    response = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    return response.get_data(as_text=True) if response.status_code == 200 else "changed"


def test_change_password_refuses_a_breached_password_when_switched_on(
    database_url: str, range_api: RangeApi, db: Session
) -> None:
    app = _app(database_url, breached_password_check=True, breached_password_api_url=range_api.url)
    page = _change_password(app, BREACHED_PASSWORD)
    assert (
        "Password has appeared in a data breach, so criminals may try it; choose a different one"
        in page
    )
    assert 'href="#new_password"' in page  # the error summary names the field
    assert _change_password(app, PADDED_PASSWORD) == "changed"


def test_the_check_is_off_by_default(database_url: str, range_api: RangeApi) -> None:
    app = _app(database_url, breached_password_api_url=range_api.url)
    assert _change_password(app, BREACHED_PASSWORD) == "changed"
    assert range_api.requests == []
