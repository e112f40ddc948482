"""Single sign-on with each agency's OpenID Connect provider (Authlib's Flask client).

The person types their work email; its domain picks their agency's provider, and they go
there with the authorization code flow (PKCE, state and nonce). On the way back Authlib
checks the ID token (signature from the provider's JWKS, issuer, audience, expiry, nonce);
then `sso_rules` checks the domain and tenant, and the person must already have an active
account in that agency: single sign-on never creates accounts. Every refusal is audited.
"""

from __future__ import annotations

from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskIntegration
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from joserfc.errors import JoseError
from requests import RequestException
from sqlalchemy import func, select

from marac.accounts.models import Agency, User
from marac.accounts.signin import finish_first_factor, safe_next
from marac.accounts.sso_forms import OrganisationSignInForm
from marac.accounts.sso_models import IdentityProvider, SsoIdentity
from marac.accounts.sso_rules import (
    SecretBox,
    SecretUnreadable,
    claims_problem,
    discovery_url,
    email_domain,
    mfa_asserted,
    normalise_issuer,
)
from marac.audit import record
from marac.db import db_session, utcnow
from marac.ratelimit import per_account, per_address, submitted_email

bp = Blueprint("sso", __name__)

SCOPE = "openid email profile"
PENDING = "sso_pending"
# What Authlib or the provider can raise while the flow runs: all end on a clear page.
FLOW_ERRORS = (AuthlibBaseError, JoseError, RequestException, ValueError, KeyError, RuntimeError)


class ProviderProblem(Exception):
    """The provider's answer cannot be trusted or used."""


def secret_box() -> SecretBox:
    """The box for client secrets: `MARAC_SSO_KEY` when set, else derived from the secret key."""
    settings = current_app.config["MARAC_SETTINGS"]
    return SecretBox(settings.sso_key or settings.secret_key)


def oauth_client(provider: IdentityProvider) -> FlaskOAuth2App:
    """An Authlib Flask client for one provider, built per request from its saved settings."""
    return FlaskOAuth2App(
        FlaskIntegration("marac_sso"),
        "marac_sso",
        client_id=provider.client_id,
        client_secret=secret_box().decrypt(provider.client_secret_encrypted),
        server_metadata_url=discovery_url(provider.issuer),
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": 10},
    )


def _checked_metadata(client: FlaskOAuth2App, provider: IdentityProvider) -> None:
    """Discovery must describe the issuer we configured (OpenID Connect Discovery 4.3)."""
    metadata = client.load_server_metadata()
    if normalise_issuer(str(metadata.get("issuer", ""))) != normalise_issuer(provider.issuer):
        raise ProviderProblem("discovery issuer differs from the configured issuer")


def providers_for_domain(domain: str) -> list[IdentityProvider]:
    rows = db_session().scalars(
        select(IdentityProvider)
        .join(Agency, Agency.id == IdentityProvider.agency_id)
        .where(IdentityProvider.enabled, Agency.active)
        .order_by(IdentityProvider.id)
    )
    return [p for p in rows if domain in p.domain_list]


def _safe_next(target: str | None) -> str | None:
    """A path on this site to return to after signing in, or None for the home page."""
    return safe_next(target) if target else None


def _problem(title: str, message: str, status: int) -> tuple[str, int]:
    return render_template("accounts/sso_problem.html", title=title, message=message), status


def _refuse(
    action: str,
    reason: str,
    provider: IdentityProvider | None,
    *,
    user: User | None = None,
    title: str = "You cannot sign in with your organisation's account",
    message: str | None = None,
    status: int = 403,
) -> tuple[str, int]:
    """Audit the refusal and show a page saying what to do instead."""
    db = db_session()
    record(
        db,
        action,
        "identity_provider",
        provider.id if provider else None,
        f"Single sign-on refused: {reason}",
        user=user,
    )
    db.commit()
    session.pop(PENDING, None)
    return _problem(
        title,
        message
        or "Your organisation's account could not be used to sign in to this service. "
        "Sign in with your email address and password, or ask your agency's MARAC "
        "administrator to check your account.",
        status,
    )


@bp.route("/sign-in/organisation", methods=["GET", "POST"])
@per_address()
@per_account(submitted_email("email"))
def start() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = OrganisationSignInForm()
    if form.validate_on_submit():
        domain = email_domain(form.email.data or "")
        providers = providers_for_domain(domain) if domain else []
        if not domain:
            form.email.errors.append(
                "Enter an email address in the correct format, like name@example.org"
            )
        elif not providers:
            form.email.errors.append(
                "Your organisation does not sign in to this service with its own accounts. "
                "Sign in with your email address and password instead"
            )
        else:
            return _send_to_provider(providers[0], form.email.data or "")
    return render_template("accounts/sso_start.html", form=form)


def _send_to_provider(provider: IdentityProvider, email: str) -> Any:
    """Remember state, nonce and PKCE verifier in the session, then go to the provider.

    A page that moves on by itself (with a link as well), not a redirect: the sign-in
    form's CSP allows form submissions only to this site, and browsers apply that to
    redirects after a form too.
    """
    try:
        client = oauth_client(provider)
        _checked_metadata(client, provider)
        redirect_uri = url_for("sso.callback", _external=True)
        authorization = client.create_authorization_url(redirect_uri, login_hint=email)
    except SecretUnreadable:
        return _refuse(
            "sso_secret_unreadable",
            f"the client secret of {provider.display_name} cannot be decrypted",
            provider,
            title="Sign-in with your organisation's account is not working",
            message="Your organisation's sign-in settings need to be entered again by an "
            "administrator. Sign in with your email address and password for now.",
            status=503,
        )
    except (ProviderProblem, *FLOW_ERRORS) as error:
        current_app.logger.warning("SSO discovery failed for %s: %s", provider.issuer, error)
        return _refuse(
            "sso_provider_unavailable",
            f"{provider.display_name} could not be reached or described itself wrongly",
            provider,
            title="Your organisation's sign-in service is not available",
            message="We could not reach your organisation's sign-in service. Try again in a "
            "few minutes, or sign in with your email address and password.",
            status=502,
        )
    client.save_authorize_data(redirect_uri=redirect_uri, **authorization)
    session[PENDING] = {
        "provider_id": provider.id,
        "state": authorization["state"],
        "next": _safe_next(request.args.get("next")),
    }
    return render_template(
        "accounts/sso_redirect.html", provider=provider, authorize_url=authorization["url"]
    )


@bp.route("/sign-in/organisation/callback")
def callback() -> Any:
    db = db_session()
    pending = session.get(PENDING) or {}
    provider = db.get(IdentityProvider, pending.get("provider_id") or 0)
    state = request.args.get("state", "")
    if not pending or not state or state != pending.get("state") or provider is None:
        return _refuse(
            "sso_refused_state",
            "the answer from the provider did not match a sign-in started here",
            provider,
            title="Your sign-in could not be completed",
            message="The sign-in did not start here, or it took too long. Go back to the "
            "sign-in page and start again.",
            status=400,
        )
    if not provider.enabled or not provider.agency.active:
        return _refuse("sso_refused_disabled", f"{provider.display_name} is disabled", provider)
    if request.args.get("error"):
        code = request.args.get("error", "")[:80]
        return _refuse(
            "sso_provider_error",
            f"{provider.display_name} answered with error {code}",
            provider,
            title="Your organisation's account did not sign you in",
            message="Your organisation's sign-in service did not sign you in (you may have "
            "cancelled). Go back to the sign-in page to try again.",
        )
    try:
        client = oauth_client(provider)
        _checked_metadata(client, provider)
        token = client.authorize_access_token()
        claims = token.get("userinfo")
        if not claims:
            raise ProviderProblem("no ID token")
    except SecretUnreadable:
        return _refuse(
            "sso_secret_unreadable",
            f"the client secret of {provider.display_name} cannot be decrypted",
            provider,
            status=503,
        )
    except (ProviderProblem, *FLOW_ERRORS) as error:
        current_app.logger.warning("SSO token check failed for %s: %s", provider.issuer, error)
        return _refuse(
            "sso_refused_token",
            f"the ID token from {provider.display_name} failed its checks ({type(error).__name__})",
            provider,
            title="Your sign-in could not be completed",
            message="The answer from your organisation's sign-in service could not be "
            "checked. Go back to the sign-in page and start again.",
        )
    return _finish(provider, dict(claims), pending.get("next"))


def _finish(provider: IdentityProvider, claims: dict[str, Any], next_url: str | None) -> Any:
    """Find the existing account the verified claims belong to, or refuse."""
    db = db_session()
    problem = claims_problem(claims, domains=provider.domain_list, tenant_id=provider.tenant_id)
    if problem:
        return _refuse(problem[0], f"{problem[1]} ({claims.get('email', 'no email')})", provider)
    issuer = normalise_issuer(provider.issuer)
    email = str(claims["email"]).strip().lower()
    identity = db.scalar(
        select(SsoIdentity).where(
            SsoIdentity.issuer == issuer, SsoIdentity.subject == claims["sub"]
        )
    )
    user = identity.user if identity else None
    if user is None:
        user = db.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        return _refuse("sso_refused_unknown", f"no account for {email}", provider)
    if user.agency_id != provider.agency_id:
        return _refuse(
            "sso_refused_agency", f"{user.email} is not in {provider.agency.name}", provider
        )
    if not user.active:
        return _refuse("sso_refused_inactive", f"{user.email} is deactivated", provider, user=user)
    if identity is None:
        other = db.scalar(
            select(SsoIdentity).where(SsoIdentity.user_id == user.id, SsoIdentity.issuer == issuer)
        )
        if other is not None:
            return _refuse(
                "sso_refused_subject",
                f"{user.email} is linked to a different account at {provider.display_name}",
                provider,
                user=user,
            )
        identity = SsoIdentity(
            user_id=user.id, provider_id=provider.id, issuer=issuer, subject=claims["sub"]
        )
        db.add(identity)
        record(
            db,
            "sso_linked",
            "user",
            user.id,
            f"Linked to an account at {provider.display_name}",
            user=user,
        )
    asserted = mfa_asserted(claims, trust_mfa=provider.trust_mfa, acr_values=provider.acr_list)
    identity.last_used_at = user.last_login_at = utcnow()
    record(
        db,
        "login_sso",
        "user",
        user.id,
        f"First factor by {provider.display_name}; "
        + ("provider's multi-factor sign-in trusted" if asserted else "second factor needed"),
        user=user,
    )
    db.commit()
    session.pop(PENDING, None)
    return finish_first_factor(user, method="sso", mfa_asserted=asserted, next_url=next_url)
