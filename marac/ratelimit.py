"""Rate limits on the views that take passwords and codes (Flask-Limiter).

Views are marked with `@per_address()` and `@per_account(key)`; `init_app` (run
after the blueprints are registered) gives each app its own `Limiter` and wraps
the marked views with it. One limiter per app, not one per process, because
Flask-Limiter keeps its storage and key prefix on the instance: two apps (two
tests, or two workers in one process) must not share or overwrite them.

Counts live in `MARAC_RATELIMIT_STORAGE_URL`: `memory://` counts per process,
which is enough on one machine; production uses `redis://...` so that every
worker and every instance counts the same attempts.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION = "marac_limiter"
PER_ADDRESS = "per_address"
PER_ACCOUNT = "per_account"


@dataclass(frozen=True)
class _Mark:
    """One limit a view asked for; `limits=None` means the setting for its kind."""

    kind: str
    limits: str | None
    key: Callable[[], str] | None
    methods: tuple[str, ...]


def per_address(
    limits: str | None = None, *, methods: Sequence[str] = ("POST",)
) -> Callable[[F], F]:
    """Limit the view per client address (default: `MARAC_RATELIMIT_PER_ADDRESS`).

    Only `methods` count (POST by default), so showing the form is never limited.
    """
    return _mark(_Mark(PER_ADDRESS, limits, None, tuple(methods)))


def per_account(
    key: Callable[[], str],
    limits: str | None = None,
    *,
    methods: Sequence[str] = ("POST",),
) -> Callable[[F], F]:
    """Limit the view per account (default: `MARAC_RATELIMIT_PER_ACCOUNT`).

    `key` names the account the request acts on, e.g. `submitted_email` on a
    sign-in form or `signed_in_user` once signed in. Attempts against one account
    from many addresses then still add up.
    """
    return _mark(_Mark(PER_ACCOUNT, limits, key, tuple(methods)))


def submitted_email(field: str = "email") -> Callable[[], str]:
    """A key function: the email posted in `field`, trimmed and lower-cased."""

    def key() -> str:
        return account_key((request.form.get(field) or "").strip().lower())

    return key


def signed_in_user() -> str:
    """A key function: the signed-in user's id."""
    user_id = current_user.get_id() if current_user.is_authenticated else None
    return account_key(f"user:{(user_id or '').split(':')[0]}")


def invitation_token() -> str:
    """A key function: the invitation or reset link being used (the account it is for)."""
    return account_key("invitation:" + str((request.view_args or {}).get("token", "")))


def account_key(value: str) -> str:
    """A stable key for an account without writing its email into the store."""
    return "account:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def _mark(mark: _Mark) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        marks: list[_Mark] = list(getattr(view, "_marac_rate_limits", []))
        marks.append(mark)
        view._marac_rate_limits = marks  # type: ignore[attr-defined]
        return view

    return decorator


def init_app(app: Flask) -> None:
    """Give `app` its own limiter and apply it to every marked view."""
    settings = app.config["MARAC_SETTINGS"]
    app.config.update(
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url,
        RATELIMIT_KEY_PREFIX=settings.ratelimit_key_prefix,
        RATELIMIT_STRATEGY="moving-window",
        RATELIMIT_HEADERS_ENABLED=False,  # Retry-After is set on the 429 page itself
        # If Redis stops answering, each process counts in memory until it is back:
        # sign-in keeps working and keeps its limits, and a dead store never hangs a request.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 2, "socket_timeout": 2}
        if settings.ratelimit_storage_url.startswith("redis")  # redis, rediss, redis+sentinel
        else {},
    )
    if settings.is_production and settings.ratelimit_storage_url.startswith("memory"):
        app.logger.warning(
            "MARAC_RATELIMIT_STORAGE_URL is memory://: each worker counts attempts on its "
            "own. Use redis://... in production."
        )
    limiter = Limiter(get_remote_address, storage_uri=settings.ratelimit_storage_url)
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    for endpoint, view in list(app.view_functions.items()):
        marks: list[_Mark] = getattr(view, "_marac_rate_limits", [])
        wrapped = view
        for mark in marks:
            wrapped = limiter.limit(
                _limits_for(mark),
                key_func=mark.key or get_remote_address,
                methods=list(mark.methods),
            )(wrapped)
        app.view_functions[endpoint] = wrapped
    app.register_error_handler(RateLimitExceeded, too_many_attempts)


def _limits_for(mark: _Mark) -> Callable[[], str]:
    """Read the limits per request, so each app's settings apply to its own views."""

    def provider() -> str:
        if mark.limits is not None:
            return mark.limits
        settings = current_app.config["MARAC_SETTINGS"]
        if mark.kind == PER_ACCOUNT:
            return str(settings.ratelimit_per_account)
        return str(settings.ratelimit_per_address)

    return provider


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets an attempt through again."""
    limiter: Limiter | None = current_app.extensions.get(EXTENSION)
    current = limiter.current_limit if limiter is not None else None
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def too_many_attempts(error: RateLimitExceeded) -> Any:
    """The GOV.UK "Too many attempts" page, 429 with Retry-After."""
    seconds = retry_after_seconds()
    # For the security officer's logs: which view and address, never the email typed.
    current_app.logger.warning(
        "Rate limit %s reached at %s from %s",
        error.limit.limit,
        request.endpoint,
        request.remote_addr,
    )
    body = render_template("errors/429.html", wait=_wait_text(seconds))
    return body, 429, {"Retry-After": str(seconds)}


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
