"""The security baseline: health check, headers, cookies, CSRF, error pages."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from marac import create_app
from marac.accounts.models import Role
from tests.conftest import Client, settings_for
from tests.factories import make_user


def test_healthz_is_public_and_checks_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert "Set-Cookie" not in response.headers


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path) -> None:
    broken = tmp_path / "no-such-folder" / "db.sqlite"
    app = create_app(settings_for(f"sqlite:///{broken}"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_security_headers_on_every_page(client: Client) -> None:
    for url in ("/sign-in", "/healthz", "/accessibility"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script(db: Session, login) -> None:
    client = login(make_user(db, Role.ADMIN))
    for url in ("/", "/sign-in", "/admin/users", "/admin/audit"):
        html = client.get(url).get_data(as_text=True)
        for tag in html.split("<script")[1:]:
            assert tag.split(">", 1)[0].strip().startswith(("src=", 'type="module" src=')), url


def test_session_cookie_is_httponly_and_samesite(db: Session, client: Client) -> None:
    user = make_user(db)
    client.login(user.email)
    cookie = client.get_cookie("marac_session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_posts_without_a_csrf_token_are_refused(db: Session, login) -> None:
    client = login(make_user(db, Role.ADMIN))
    response = client.post("/admin/areas/new", data={"name": "Sneaky"})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)


def test_unexpected_errors_show_the_500_page_without_details(
    app: Flask, db: Session, login
) -> None:
    @app.route("/boom-for-test")
    def boom() -> str:
        raise RuntimeError("secret internals")

    client = login(make_user(db))
    response = client.get("/boom-for-test")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in page
    assert "secret internals" not in page


def test_information_pages_are_public(client: Client) -> None:
    assert "Accessibility statement" in client.get("/accessibility").get_data(as_text=True)
    assert "Privacy notice" in client.get("/privacy").get_data(as_text=True)


def test_layout_uses_council_name_and_no_crown(db: Session, login) -> None:
    client = login(make_user(db))
    html = client.get("/").get_data(as_text=True)
    assert "Testshire District Council" in html
    assert "Community MARAC" in html
    assert "govuk-logo" not in html and "crown" not in html.lower()
    assert "GOV.UK" not in html


def test_compiled_css_uses_arial_not_gds_transport(client: Client) -> None:
    css = client.get("/static/dist/marac.css").get_data(as_text=True)
    assert "arial" in css
    assert "GDS Transport" not in css


def test_navigation_follows_role(db: Session, login) -> None:
    admin_nav = login(make_user(db, Role.ADMIN)).get("/").get_data(as_text=True)
    referrer_nav = login(make_user(db, Role.REFERRER)).get("/").get_data(as_text=True)
    assert 'href="/admin/users"' in admin_nav and 'href="/admin/audit"' in admin_nav
    assert 'href="/admin/users"' not in referrer_nav and 'href="/admin/audit"' not in referrer_nav


def test_every_route_needs_sign_in_unless_public(app: Flask, client: Client) -> None:
    from marac.auth import PUBLIC_ENDPOINTS

    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.arguments:
            continue
        if "GET" in rule.methods:
            response = client.get(rule.rule)
            assert response.status_code == 302, rule.rule
            assert response.headers["Location"].startswith("/sign-in"), rule.rule
