"""The API door's checks: a bearer token (never a session cookie), its scopes, its rate.

`authenticate()` runs before every API view: it finds the client for the token, counts
the call against the client's rate limit and keeps the client on `g`. `require_scope`
marks a view with the scope it needs. `audit_call()` runs after every API response and
records the method, path and status with the client and address (never the payload).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import current_app, g, request
from limits import parse
from werkzeug.wrappers import Response

from marac.api.models import ApiClient, Scope
from marac.api.problems import problem
from marac.db import db_session
from marac.ratelimit import EXTENSION

P = ParamSpec("P")
R = TypeVar("R")

# Reached without a token: the document and its reference page.
OPEN_ENDPOINTS = frozenset({"api.openapi_json", "api.reference"})
MAX_BODY = 256 * 1024  # an incident or an assessment is a few kilobytes


class ApiRefusal(Exception):
    """Stops an API request with a ready problem response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def current_client() -> ApiClient:
    client: ApiClient | None = g.get("api_client")
    if client is None:  # authenticate() runs first on every API view
        raise ApiRefusal(problem(401))
    return client


def authenticate() -> Response | None:
    """Before each API request: limits on the body, the bearer token, the rate limit."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if request.content_length is not None and request.content_length > MAX_BODY:
        return problem(413)
    request.max_content_length = MAX_BODY
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthenticated("missing")
    from marac.api.queries import client_for_token

    client = client_for_token(db_session(), token.strip())
    if client is None:
        return _unauthenticated(
            "unknown", "The token is unknown, revoked or replaced by a newer one."
        )
    g.api_client = client
    wait = _over_limit(("api-client", str(client.id)), "ratelimit_api")
    if wait is not None:
        return problem(429, headers={"Retry-After": str(wait)})
    if request.method in {"POST", "PUT", "PATCH"}:
        if request.mimetype != "application/json":
            return problem(415)
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested deeper than any body of ours
            return problem(400, "The body is nested too deeply.")
        if _has_nul(body):  # PostgreSQL cannot store NUL in text
            return problem(400, "Text may not contain NUL characters.")
    return None


def _unauthenticated(why: str, detail: str | None = None) -> Response:
    """A 401, audited; an address that keeps trying is slowed (429) and not audited again,
    so nobody can fill the audit log by calling without a token."""
    wait = _over_limit(("api-unauthenticated", request.remote_addr or ""), "ratelimit_per_address")
    if wait is not None:
        return problem(429, headers={"Retry-After": str(wait)})
    g.api_unauthenticated = why
    return problem(401, detail) if detail else problem(401)


def _has_nul(value: Any, depth: int = 0) -> bool:
    if depth > 32:
        return False
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def _over_limit(keys: tuple[str, str], setting: str) -> int | None:
    """Seconds to wait if this call is one too many for `keys` under the limit named by
    `setting` (its first rule), else None."""
    limiter = current_app.extensions.get(EXTENSION)
    if limiter is None or not limiter.enabled:
        return None
    item = parse(getattr(current_app.config["MARAC_SETTINGS"], setting).split(";")[0])
    strategy = limiter.limiter
    if strategy.hit(item, *keys):
        return None
    reset = strategy.get_window_stats(item, *keys).reset_time
    return max(1, math.ceil(reset - time.time()))


def require_scope(scope: Scope) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The view answers 403 unless the client's token has `scope`."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            client = current_client()
            if scope.value not in client.scope_set:
                raise ApiRefusal(problem(403, f"This request needs the {scope.value} scope."))
            return view(*args, **kwargs)

        run._marac_scope = scope  # type: ignore[attr-defined]
        return run

    return decorator


def audit_call(response: Response) -> Response:
    """After each API response: one audit row with the client, address and status."""
    response.headers["Cache-Control"] = "no-store"  # answers may carry case data
    client: ApiClient | None = g.get("api_client")
    from marac.api.operations import record_call, record_unauthenticated

    db = db_session()
    if client is None:
        why = g.get("api_unauthenticated")
        if why:
            try:
                db.rollback()
                record_unauthenticated(
                    db,
                    method=request.method,
                    path=request.path[:200],
                    why=why,
                )
            except Exception:
                current_app.logger.exception("could not audit a refused API call")
                db.rollback()
        return response
    try:
        db.rollback()  # nothing half-done from a failed request rides on the audit commit
        client = db.get(ApiClient, client.id) or client
        record_call(
            db,
            client,
            method=request.method,
            path=request.path,
            status=response.status_code,
            address=request.remote_addr or "",
        )
    except Exception:
        current_app.logger.exception("could not audit an API call")
        db.rollback()
    return response


def handle_refusal(error: ApiRefusal) -> Any:
    return error.response
