"""Problem details (RFC 9457): the only shape an error takes under /api.

Every status the API can answer with, whether raised by a view, an operation, the
request parser, the router (404, 405) or Werkzeug (413), becomes one JSON object with
`type`, `title`, `status`, `detail` and `instance`; a validation problem also names
each invalid field in `errors` (`{"field": "victim.postcode", "detail": "..."}`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import current_app, json, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from marac.operations import Conflict, Invalid, NotFound, OperationError, Refused

API_PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "https://marac.invalid/api/problems/"  # names the kind; not meant to resolve

DETAILS: dict[int, str] = {
    400: "The request could not be read.",
    401: "Send a valid API token as 'Authorization: Bearer <token>'.",
    403: "This client's token does not have the scope this request needs.",
    404: "There is nothing at this address for this client.",
    405: "This address does not accept that method.",
    409: "The record changed or was created at the same time; fetch it and try again.",
    413: "The request body is too large.",
    415: "Send the body as application/json.",
    422: "Some of the values sent are not valid.",
    429: "Too many requests from this client; wait and try again.",
    500: "Something went wrong on our side. The error has been logged.",
    503: "The service is unavailable; try again shortly.",
}


GENERIC_MESSAGES = {Refused().message, NotFound().message, Conflict().message}


def under_api() -> bool:
    """True when the current request is for the API door (its errors are problems)."""
    return request.path.startswith(API_PREFIX)


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: Iterable[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    kind: str | None = None,
) -> Response:
    """A problem details response for `status`."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or title.lower().replace(" ", "-").replace("'", "")),
        "title": title,
        "status": status,
        "detail": detail or DETAILS.get(status, title),
        "instance": request.path,
    }
    listed = [dict(e) for e in errors]
    if listed:
        body["errors"] = listed
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="marac-api"'
    return response


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow's nested messages into `{"field", "detail"}` pairs.

    `{"victim": {"postcode": ["Not valid."]}}` becomes `victim.postcode`; list items are
    numbered (`perpetrators.0.name`); the parser's location wrapper (`json`) is dropped.
    """
    if isinstance(messages, Mapping):
        found: list[dict[str, str]] = []
        for key, value in messages.items():
            found += field_errors(value, f"{prefix}.{key}" if prefix else str(key))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix or "body", "detail": m} for m in messages]
    if isinstance(messages, list):
        return [e for i, m in enumerate(messages) for e in field_errors(m, f"{prefix}.{i}")]
    return [{"field": prefix or "body", "detail": str(messages)}]


def _parser_messages(error: HTTPException) -> Any:
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if isinstance(messages, Mapping) and len(messages) == 1:
        location = next(iter(messages))
        if location in {"json", "query", "headers", "view_args", "form"}:
            return messages[location]
    return messages


def problem_for(error: BaseException) -> Response:
    """The problem details for anything raised while answering an API request."""
    if isinstance(error, Invalid):
        errors = [
            {"field": name, "detail": detail}
            for name, details in error.errors.items()
            for detail in details
        ]
        return problem(422, error.message, errors=errors)
    if isinstance(error, OperationError):
        status = error.status if error.status in DETAILS else 400
        # The web's default wording ("Page not found.") reads wrong here: use ours.
        generic = error.message in GENERIC_MESSAGES
        return problem(status, None if generic else error.message or None)
    if isinstance(error, HTTPException):
        status = error.code or 500
        messages = _parser_messages(error)
        headers: dict[str, str] = {}
        if status == 405:
            headers.update({k: v for k, v in error.get_headers() if k == "Allow"})
        if messages is not None and status in {400, 422}:
            errors = field_errors(messages)
            detail = DETAILS[status] if status == 422 else "The body is not valid JSON."
            return problem(status, detail, errors=errors, headers=headers)
        detail = getattr(error, "description", None) if status in {409} else None
        return problem(status, detail, headers=headers)
    return problem(500)
