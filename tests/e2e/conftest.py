"""Browser fixtures: the test app on a real HTTP server, and headless Chromium to drive it.

Chromium comes from Debian's `chromium` package (`make browser`, run by `make test`):
Playwright's own browser download is not available here, so it is never used.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from werkzeug.serving import make_server

from marac.accounts.models import User
from marac.config import PROJECT_ROOT
from tests.e2e.helpers import AnotherPage, SignIn, sign_in_with_form

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BUILT_CSS = PROJECT_ROOT / "static" / "dist" / "marac.css"

# Runs before any page script. The CSP violation event is the browser's own report, so a
# blocked inline script or style fails the test even if Chromium's console wording changes.
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
});
"""


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test app over real HTTP, so the browser sees real headers, cookies and CSP."""
    if not BUILT_CSS.exists():
        pytest.fail(
            f"{BUILT_CSS} is missing: run `make static/dist/.built` (or `make test`)",
            pytrace=False,
        )
    # Port 0: the OS picks a free port, with no race between choosing and binding it.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, started once: the sync API cannot be started twice in a thread."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One Chromium for the whole run: launching it is the slowest step."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium package. "
            "Run `make test`, which installs it (or `make browser`).",
            pytrace=False,
        )
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


def _fresh_context(browser: Browser, live_server: str) -> BrowserContext:
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    return context


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh context (no cookies) per test, with relative URLs going to the live server."""
    context = _fresh_context(browser, live_server)
    yield context.new_page()
    context.close()


@pytest.fixture
def another_page(browser: Browser, live_server: str) -> Iterator[AnotherPage]:
    """`another_page()` opens a page in its own cookie jar, for a second person's session.

    Signing a second person in on a page whose cookies were cleared races the first
    page's late responses, which can set the old session cookie again.
    """
    contexts: list[BrowserContext] = []

    def _open() -> Page:
        contexts.append(_fresh_context(browser, live_server))
        return contexts[-1].new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def no_js_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page with JavaScript off: every journey must work without it (progressive enhancement)."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions on `page`, including CSP violations."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors


@pytest.fixture
def sign_in() -> SignIn:
    """`sign_in(page, user)` signs in through the real form and waits for the dashboard."""

    def _sign_in(page: Page, user: User) -> None:
        sign_in_with_form(page, user.email)
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {user.name}")

    return _sign_in
