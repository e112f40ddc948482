"""A real OpenID Connect provider for the tests, built with Authlib's server side.

It serves discovery, JWKS, an authorize endpoint with a plain login form, and a token
endpoint issuing RS256-signed ID tokens (an RSA key made at start), over real HTTP
on 127.0.0.1. Tests add users (email, `amr`, `tid`, ...) and can make it misbehave
(sign with a key it does not publish) to prove the app checks what it receives.
Test-only: it accepts any redirect URI the registered client asks for.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from html import escape
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server


@dataclass
class ProviderUser:
    """Someone who can sign in at the provider, with the claims it asserts for them."""

    email: str
    name: str = "Provider User"
    sub: str = field(default_factory=lambda: secrets.token_hex(8))
    amr: list[str] = field(default_factory=lambda: ["pwd"])
    acr: str = ""
    tid: str | None = None
    email_verified: bool | None = True


@dataclass
class _Client(ClientMixin):
    client_id: str
    client_secret: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "email", "profile"}
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri.startswith(("http://localhost", "http://127.0.0.1"))

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: ProviderUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return self.user.acr

    def get_amr(self) -> list[str]:
        return self.user.amr


@cache
def _keys() -> tuple[RSAKey, RSAKey]:
    """The signing key and a rogue one with the same kid, made once per run (RSA is slow)."""
    return tuple(  # type: ignore[return-value]
        RSAKey.generate_key(2048, parameters={"kid": "test-key-1"}, private=True) for _ in "ab"
    )


class OidcProvider:
    """The provider's state: its key, client, users and the codes it has issued."""

    def __init__(self) -> None:
        # The rogue key has the same kid: an ID token the published JWKS cannot verify.
        self.key, self.rogue_key = _keys()
        self.sign_with_rogue_key = False
        self.client = _Client("marac-test-client", secrets.token_urlsafe(24))
        self.users: dict[str, ProviderUser] = {}
        self.codes: dict[str, _Code] = {}
        self.token_requests = 0
        self.authorize_requests: list[dict[str, str]] = []
        self.issuer = ""  # set once the server has a port
        self.issuer_override = ""  # discovery names another issuer: a misconfigured provider
        self.app = self._build_app()

    def add_user(self, email: str, **claims: Any) -> ProviderUser:
        user = ProviderUser(email=email, **claims)
        self.users[email.lower()] = user
        return user

    # ---- the Flask app ----------------------------------------------------------------

    def _build_app(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 600}

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                provider.codes[code] = _Code(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.scope,
                    user=req.user,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code: str, client: Any) -> _Code | None:
                item = provider.codes.get(code)
                return item if item and item.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: _Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: _Code) -> ProviderUser:
                return authorization_code.user

        class IdToken(OpenIDCode):
            def resolve_client_private_key(self, client: Any) -> RSAKey:
                return provider.rogue_key if provider.sign_with_rogue_key else provider.key

            def get_client_algorithm(self, client: Any) -> str:
                return "RS256"

            def get_encode_header(self, client: Any) -> dict[str, str]:
                return {"alg": "RS256", "kid": "test-key-1"}

            def get_client_claims(self, client: Any) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.get_client_id()]}

            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def generate_user_info(self, user: ProviderUser, scope: str) -> UserInfo:
                info = UserInfo(sub=user.sub, name=user.name, email=user.email)
                if user.email_verified is not None:
                    info["email_verified"] = user.email_verified
                if user.tid is not None:
                    info["tid"] = user.tid
                return info

        server = AuthorizationServer(
            app,
            query_client=lambda cid: provider.client if cid == provider.client.client_id else None,
            save_token=lambda token, req: None,
        )
        server.register_grant(
            CodeGrant, [CodeChallenge(required=True), IdToken(require_nonce=True)]
        )

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(
                {
                    "issuer": provider.issuer_override or provider.issuer,
                    "authorization_endpoint": f"{provider.issuer}/authorize",
                    "token_endpoint": f"{provider.issuer}/token",
                    "jwks_uri": f"{provider.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "scopes_supported": ["openid", "email", "profile"],
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_basic",
                        "client_secret_post",
                    ],
                }
            )

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify({"keys": [provider.key.as_dict(private=False)]})

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            if request.method == "GET":
                provider.authorize_requests.append(request.args.to_dict())
                try:
                    server.get_consent_grant(end_user=None)
                except Exception as error:  # the test provider shows what was wrong
                    return f"<p>Bad authorization request: {escape(str(error))}</p>", 400
                return _login_page(request.full_path)
            if request.form.get("action") == "cancel":
                grant = server.get_consent_grant(end_user=None)
                return server.create_authorization_response(grant=grant, grant_user=None)
            user = provider.users.get((request.form.get("email") or "").strip().lower())
            if user is None:
                return _login_page(request.full_path, "No such user at this provider"), 200
            grant = server.get_consent_grant(end_user=user)
            return server.create_authorization_response(grant=grant, grant_user=user)

        @app.get("/favicon.ico")
        def favicon() -> Any:
            return "", 204  # browsers ask for one; a 404 would show as a console error

        @app.post("/token")
        def token() -> Any:
            provider.token_requests += 1
            return server.create_token_response()

        return app


def _login_page(action: str, error: str = "") -> str:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><title>Test identity provider: sign in</title></head>
<body><main>
<h1>Test identity provider</h1>{problem}
<form method="post" action="{escape(action)}">
<label for="email">Work account</label>
<input id="email" name="email" type="email" autocomplete="username">
<button name="action" value="sign-in">Sign in</button>
<button name="action" value="cancel">Cancel</button>
</form></main></body></html>"""


@contextmanager
def running_provider() -> Iterator[OidcProvider]:
    """Start a provider on a free port of 127.0.0.1 and stop it afterwards."""
    provider = OidcProvider()
    server = make_server("127.0.0.1", 0, provider.app, threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="oidc-provider", daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
