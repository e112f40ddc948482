"""Single sign-on against a real OpenID provider over HTTP: the app's Authlib client unmocked.

The browser's side of the flow (the provider's login form) is driven with `requests`;
the app is reached through the Flask test client, whose requests make real HTTP calls
to the provider for discovery, JWKS and the token.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marac.accounts.models import Agency, Role, User
from marac.accounts.sso_models import IdentityProvider, SsoIdentity
from marac.accounts.sso_rules import SecretBox, SecretUnreadable
from marac.audit.models import AuditEvent
from tests.conftest import TEST_SECRET, Client, _csrf
from tests.factories import make_agency, make_user
from tests.oidc_provider import OidcProvider, running_provider

DOMAIN = "police.example"
CONTINUE_RE = re.compile(r'id="continue-to-provider" href="([^"]+)"')


@pytest.fixture
def oidc() -> Iterator[OidcProvider]:
    with running_provider() as provider:
        yield provider


def add_provider(db: Session, oidc: OidcProvider, agency: Agency, **kw: Any) -> IdentityProvider:
    values: dict[str, Any] = {
        "agency_id": agency.id,
        "display_name": "Test Police account",
        "issuer": oidc.issuer,
        "client_id": oidc.client.client_id,
        "client_secret_encrypted": SecretBox(TEST_SECRET).encrypt(oidc.client.client_secret),
        "email_domains": DOMAIN,
        "tenant_id": "",
        "trust_mfa": True,
        "mfa_acr_values": "",
        "enabled": True,
    }
    values.update(kw)
    provider = IdentityProvider(**values)
    db.add(provider)
    db.commit()
    return provider


@pytest.fixture
def police(db: Session) -> Agency:
    return make_agency(db, name="Testshire Police")


def start(client: Client, email: str) -> str:
    """Type the work email; return the provider's authorize URL the app sends us to."""
    token = _csrf(client.get("/sign-in/organisation").get_data(as_text=True))
    response = client.post("/sign-in/organisation", data={"email": email, "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    match = CONTINUE_RE.search(page)
    assert match, page[:2000]
    url = html.unescape(match.group(1))
    assert f'http-equiv="refresh" content="0;url={match.group(1)}"' in page
    return url


def sign_in_at_provider(authorize_url: str, email: str, action: str = "sign-in") -> str:
    """Submit the provider's login form as the browser would; return where it sends us."""
    browser = requests.Session()
    form = browser.get(authorize_url, timeout=10)
    assert form.status_code == 200 and "Test identity provider" in form.text, form.text
    answer = browser.post(
        authorize_url, data={"email": email, "action": action}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def come_back(client: Client, callback_url: str) -> Any:
    parts = urlsplit(callback_url)
    assert parts.path == "/sign-in/organisation/callback"
    return client.get(f"{parts.path}?{parts.query}")


def full_flow(client: Client, email: str, provider_email: str | None = None) -> Any:
    return come_back(client, sign_in_at_provider(start(client, email), provider_email or email))


def audit_actions(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def signed_in_name(client: Client) -> str | None:
    page = client.get("/")
    if page.status_code != 200:
        return None
    match = re.search(r"Welcome, ([^<]+)<", page.get_data(as_text=True))
    return match.group(1) if match else None


# ---- the successful flows ----------------------------------------------------------------


def test_mfa_asserted_signs_in_and_links_the_account(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    user = make_user(db, Role.MEMBER, agency=police, email=f"ada@{DOMAIN}", name="Ada Byron")
    person = oidc.add_user(f"ada@{DOMAIN}", amr=["pwd", "mfa"])

    response = full_flow(client, "Ada@Police.Example")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert signed_in_name(client) == "Ada Byron"
    # The authorization request used PKCE (S256), state and nonce.
    request = oidc.authorize_requests[-1]
    assert request["code_challenge_method"] == "S256" and len(request["code_challenge"]) >= 43
    assert request["state"] and request["nonce"]
    assert request["scope"] == "openid email profile"
    assert request["login_hint"] == "Ada@Police.Example"
    identity = db.scalar(select(SsoIdentity).where(SsoIdentity.user_id == user.id))
    assert identity is not None
    assert (identity.issuer, identity.subject) == (oidc.issuer, person.sub)
    assert audit_actions(db)[-3:] == ["sso_linked", "login_sso", "login"]


def test_later_sign_ins_match_by_subject_not_email(
    client: Client, app: Any, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    user = make_user(db, agency=police, email=f"grace@{DOMAIN}", name="Grace Hopper")
    person = oidc.add_user(f"grace@{DOMAIN}", amr=["mfa"])
    assert full_flow(client, user.email).status_code == 302

    # Our record's email changes; the provider still asserts the old one with the same subject.
    user.email = f"g.hopper@{DOMAIN}"
    db.commit()
    again: Client = app.test_client()
    assert full_flow(again, f"grace@{DOMAIN}").status_code == 302
    assert signed_in_name(again) == "Grace Hopper"

    # Another provider account claiming the user's current email cannot take it over.
    oidc.add_user(f"g.hopper@{DOMAIN}", amr=["mfa"])
    assert oidc.users[f"g.hopper@{DOMAIN}"].sub != person.sub
    third: Client = app.test_client()
    refused = full_flow(third, f"g.hopper@{DOMAIN}")
    assert refused.status_code == 403
    assert signed_in_name(third) is None
    assert audit_actions(db)[-1] == "sso_refused_subject"


@pytest.mark.parametrize(
    ("trust_mfa", "acr_values", "amr", "acr", "signed_in"),
    [
        (True, "", ["pwd"], "", False),  # no MFA asserted
        (False, "", ["pwd", "mfa"], "", False),  # asserted but not trusted
        (True, "urn:example:mfa", ["pwd"], "urn:example:mfa", True),  # a configured acr
        (True, "urn:example:mfa", ["pwd"], "urn:example:pwd", False),  # another acr
    ],
)
def test_second_factor_unless_a_trusted_provider_asserts_mfa(
    client: Client,
    db: Session,
    oidc: OidcProvider,
    police: Agency,
    trust_mfa: bool,
    acr_values: str,
    amr: list[str],
    acr: str,
    signed_in: bool,
) -> None:
    add_provider(db, oidc, police, trust_mfa=trust_mfa, mfa_acr_values=acr_values)
    make_user(db, agency=police, email=f"alan@{DOMAIN}", name="Alan Turing")
    oidc.add_user(f"alan@{DOMAIN}", amr=amr, acr=acr)

    response = full_flow(client, f"alan@{DOMAIN}")

    assert response.status_code == 302
    if signed_in:
        assert urlsplit(response.headers["Location"]).path == "/"
        assert signed_in_name(client) == "Alan Turing"
    else:
        assert response.headers["Location"] == "/sign-in/code"
        assert signed_in_name(client) is None  # not signed in until the second factor
    last = ["login_sso", "login"] if signed_in else ["login_sso", "first_factor_passed"]
    assert audit_actions(db)[-2:] == last


def test_next_page_is_kept_through_the_provider(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    make_user(db, agency=police, email=f"kim@{DOMAIN}")
    oidc.add_user(f"kim@{DOMAIN}", amr=["mfa"])
    token = _csrf(client.get("/sign-in/organisation").get_data(as_text=True))
    page = client.post(
        "/sign-in/organisation?next=/notifications",
        data={"email": f"kim@{DOMAIN}", "csrf_token": token},
    ).get_data(as_text=True)
    url = html.unescape(CONTINUE_RE.search(page).group(1))  # type: ignore[union-attr]
    response = come_back(client, sign_in_at_provider(url, f"kim@{DOMAIN}"))
    assert response.headers["Location"] == "/notifications"


# ---- refusals ----------------------------------------------------------------------------


def assert_refused(client: Client, response: Any, db: Session, action: str, status: int) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:2000]
    assert '<h1 class="govuk-heading-l">' in page and "Go to the sign-in page" in page
    assert signed_in_name(client) is None
    assert audit_actions(db)[-1] == action
    summary = db.scalars(select(AuditEvent.summary).order_by(AuditEvent.id.desc())).first()
    assert summary and summary.startswith("Single sign-on refused")


def test_unknown_email_is_refused_and_no_account_is_created(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    oidc.add_user(f"stranger@{DOMAIN}", amr=["mfa"])
    users_before = db.scalar(select(func.count(User.id)))

    response = full_flow(client, f"stranger@{DOMAIN}")

    assert_refused(client, response, db, "sso_refused_unknown", 403)
    assert db.scalar(select(func.count(User.id))) == users_before
    assert db.scalar(select(func.count(SsoIdentity.id))) == 0


def test_email_outside_the_allowed_domains_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    make_user(db, agency=police, email="ada@elsewhere.example")
    oidc.add_user(f"ada@{DOMAIN}", email_verified=True)
    # The provider asserts an address in another domain than the one typed.
    oidc.users[f"ada@{DOMAIN}"].email = "ada@elsewhere.example"

    response = full_flow(client, f"ada@{DOMAIN}")

    assert_refused(client, response, db, "sso_refused_domain", 403)


@pytest.mark.parametrize("tid", ["other-tenant", None])
def test_wrong_or_missing_tenant_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency, tid: str | None
) -> None:
    add_provider(db, oidc, police, tenant_id="our-tenant")
    make_user(db, agency=police, email=f"ada@{DOMAIN}")
    oidc.add_user(f"ada@{DOMAIN}", amr=["mfa"], tid=tid)

    assert_refused(client, full_flow(client, f"ada@{DOMAIN}"), db, "sso_refused_tenant", 403)


def test_right_tenant_signs_in(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police, tenant_id="our-tenant")
    make_user(db, agency=police, email=f"ada@{DOMAIN}", name="Ada Byron")
    oidc.add_user(f"ada@{DOMAIN}", amr=["mfa"], tid="our-tenant")

    assert full_flow(client, f"ada@{DOMAIN}").status_code == 302
    assert signed_in_name(client) == "Ada Byron"


def test_unverified_email_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    make_user(db, agency=police, email=f"ada@{DOMAIN}")
    oidc.add_user(f"ada@{DOMAIN}", amr=["mfa"], email_verified=False)

    assert_refused(client, full_flow(client, f"ada@{DOMAIN}"), db, "sso_refused_unverified", 403)


def test_deactivated_user_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    make_user(db, agency=police, email=f"ada@{DOMAIN}", active=False)
    oidc.add_user(f"ada@{DOMAIN}", amr=["mfa"])

    assert_refused(client, full_flow(client, f"ada@{DOMAIN}"), db, "sso_refused_inactive", 403)


def test_user_of_another_agency_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    make_user(db, agency=make_agency(db, name="Housing"), email=f"ada@{DOMAIN}")
    oidc.add_user(f"ada@{DOMAIN}", amr=["mfa"])

    assert_refused(client, full_flow(client, f"ada@{DOMAIN}"), db, "sso_refused_agency", 403)


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_tampered_state_is_refused_before_the_code_is_used(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    make_user(db, agency=police, email=f"ada@{DOMAIN}")
    oidc.add_user(f"ada@{DOMAIN}", amr=["mfa"])
    callback = sign_in_at_provider(start(client, f"ada@{DOMAIN}"), f"ada@{DOMAIN}")

    response = come_back(client, _with_query(callback, state="forged-state"))

    assert_refused(client, response, db, "sso_refused_state", 400)
    assert oidc.token_requests == 0


def test_callback_without_a_started_sign_in_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    response = client.get("/sign-in/organisation/callback?code=abc&state=xyz")
    assert_refused(client, response, db, "sso_refused_state", 400)


def test_a_callback_cannot_be_replayed(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    make_user(db, agency=police, email=f"ada@{DOMAIN}")
    oidc.add_user(f"ada@{DOMAIN}", amr=["pwd"])  # ends at the second factor, not signed in
    callback = sign_in_at_provider(start(client, f"ada@{DOMAIN}"), f"ada@{DOMAIN}")
    assert come_back(client, callback).status_code == 302

    assert_refused(client, come_back(client, callback), db, "sso_refused_state", 400)


def test_error_from_the_provider_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    make_user(db, agency=police, email=f"ada@{DOMAIN}")
    oidc.add_user(f"ada@{DOMAIN}", amr=["mfa"])
    callback = sign_in_at_provider(start(client, f"ada@{DOMAIN}"), f"ada@{DOMAIN}", "cancel")
    assert "error=access_denied" in callback

    response = come_back(client, callback)

    assert_refused(client, response, db, "sso_provider_error", 403)
    assert "did not sign you in" in response.get_data(as_text=True)


def test_id_token_signed_with_an_unpublished_key_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    make_user(db, agency=police, email=f"ada@{DOMAIN}")
    oidc.add_user(f"ada@{DOMAIN}", amr=["mfa"])
    oidc.sign_with_rogue_key = True

    response = full_flow(client, f"ada@{DOMAIN}")

    assert oidc.token_requests == 1  # the code was exchanged; the ID token then failed
    assert_refused(client, response, db, "sso_refused_token", 403)


def test_wrong_client_secret_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police, client_secret_encrypted=SecretBox(TEST_SECRET).encrypt("not-it"))
    make_user(db, agency=police, email=f"ada@{DOMAIN}")
    oidc.add_user(f"ada@{DOMAIN}", amr=["mfa"])

    assert_refused(client, full_flow(client, f"ada@{DOMAIN}"), db, "sso_refused_token", 403)


def test_issuer_mismatch_in_discovery_is_refused(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police)
    oidc.issuer_override = "https://someone-else.example"
    token = _csrf(client.get("/sign-in/organisation").get_data(as_text=True))
    response = client.post(
        "/sign-in/organisation", data={"email": f"ada@{DOMAIN}", "csrf_token": token}
    )
    assert_refused(client, response, db, "sso_provider_unavailable", 502)


def test_unreachable_provider_gives_a_clear_page(
    client: Client, db: Session, police: Agency
) -> None:
    with running_provider() as gone:
        issuer = gone.issuer
    add_provider(db, gone, police, issuer=issuer)
    token = _csrf(client.get("/sign-in/organisation").get_data(as_text=True))
    response = client.post(
        "/sign-in/organisation", data={"email": f"ada@{DOMAIN}", "csrf_token": token}
    )
    assert_refused(client, response, db, "sso_provider_unavailable", 502)
    assert "not available" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("ada@nowhere.example", "does not sign in to this service with its own accounts"),
        ("not-an-email", "Enter an email address in the correct format"),
        ("", "Enter your work email address"),
    ],
)
def test_email_without_a_provider_gets_an_error_summary(
    client: Client, db: Session, oidc: OidcProvider, police: Agency, email: str, message: str
) -> None:
    add_provider(db, oidc, police)
    token = _csrf(client.get("/sign-in/organisation").get_data(as_text=True))
    response = client.post("/sign-in/organisation", data={"email": email, "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and message in page and 'href="#email"' in page
    assert oidc.authorize_requests == []


def test_disabled_provider_is_not_offered(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(db, oidc, police, enabled=False)
    token = _csrf(client.get("/sign-in/organisation").get_data(as_text=True))
    page = client.post(
        "/sign-in/organisation", data={"email": f"ada@{DOMAIN}", "csrf_token": token}
    ).get_data(as_text=True)
    assert "does not sign in to this service with its own accounts" in page


def test_sign_in_page_offers_single_sign_on(client: Client) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'href="/sign-in/organisation"' in page
    assert "Sign in with your organisation's account" in page


def test_secret_encrypted_under_another_key_gives_a_clear_page(
    client: Client, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    add_provider(
        db,
        oidc,
        police,
        client_secret_encrypted=SecretBox("an old secret key").encrypt(oidc.client.client_secret),
    )
    token = _csrf(client.get("/sign-in/organisation").get_data(as_text=True))
    response = client.post(
        "/sign-in/organisation", data={"email": f"ada@{DOMAIN}", "csrf_token": token}
    )
    assert_refused(client, response, db, "sso_secret_unreadable", 503)
    assert "need to be entered again" in response.get_data(as_text=True)


def test_a_separate_sso_key_encrypts_the_secrets(
    database_url: str, db: Session, oidc: OidcProvider, police: Agency
) -> None:
    """With MARAC_SSO_KEY set, secrets are under that key and the flow still works."""
    from marac import create_app
    from tests.conftest import settings_for

    sso_key = "a-separate-key-for-client-secrets-only"
    app = create_app(settings_for(database_url, sso_key=sso_key))
    app.test_client_class = Client
    admin = make_user(db, Role.ADMIN)
    member = make_user(db, agency=police, email=f"ada@{DOMAIN}", name="Ada Byron")
    oidc.add_user(member.email, amr=["mfa"])
    admin_client: Client = app.test_client().login(admin.email)  # type: ignore[attr-defined]
    saved = admin_client.submit(
        "/admin/identity-providers/new",
        {
            "agency_id": police.id,
            "display_name": "Test Police account",
            "issuer": oidc.issuer,
            "client_id": oidc.client.client_id,
            "client_secret": oidc.client.client_secret,
            "email_domains": DOMAIN,
            "trust_mfa": "y",
            "enabled": "y",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    stored = db.scalar(select(IdentityProvider.client_secret_encrypted))
    assert stored is not None and oidc.client.client_secret not in stored
    assert SecretBox(sso_key).decrypt(stored) == oidc.client.client_secret
    with pytest.raises(SecretUnreadable):
        SecretBox(TEST_SECRET).decrypt(stored)

    user_client: Client = app.test_client()  # type: ignore[assignment]
    assert full_flow(user_client, member.email).status_code == 302
    assert signed_in_name(user_client) == "Ada Byron"
    app.extensions["marac_db"].engine.dispose()
