"""The API door for police and partner records systems: /api/v1, described by OpenAPI 3.1.

`init_app` builds a fresh flask-smorest `Api` and blueprint for each app (their routes
and document are per app), exempts the blueprint from CSRF (it never reads a cookie:
only a bearer token authorises a call) and serves the generated document at
`/api/v1/openapi.json` with a readable GOV.UK reference page at `/api/v1/docs`.
Errors under /api are problem details (`marac.api.problems`), whatever raised them.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask, current_app, render_template
from flask_smorest import Api, Blueprint

from marac.api.auth import ApiRefusal, audit_call, authenticate, handle_refusal
from marac.api.problems import PROBLEM_TYPE
from marac.api.schemas import ProblemSchema

PREFIX = "/api/v1"
API_VERSION = "1.0.0"
DESCRIPTION = (
    "The intake API of Community MARAC for police and partner records systems: record "
    "hate incidents and risk assessments, and read back what became of them. Every call "
    "needs `Authorization: Bearer <token>` from an API client an administrator registered. "
    "Errors are `application/problem+json` (RFC 9457). See docs/api.md for the guide."
)
# Every operation may answer these besides its own responses.
COMMON_ERRORS = {
    "401": "No token, or a token that is unknown, revoked or replaced",
    "403": "The token lacks the scope this call needs",
    "429": "Too many calls from this client; see Retry-After",
    "default": "Any other error, as problem details",
}


class _Api(Api):  # type: ignore[misc]
    """flask-smorest's Api without its app-wide error handler (ours answer per door)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        return None


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE=f"{app.config['MARAC_SETTINGS'].service_name} intake API",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=None,  # we serve the document and page ourselves
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "servers": [{"url": "/", "description": "this service"}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "opaque"}
                }
            },
            "security": [{"bearerAuth": []}],
        },
    )
    api = _Api(app)
    blp = Blueprint("api", __name__, url_prefix=PREFIX, description="Community MARAC API")
    blp.before_request(authenticate)
    blp.after_request(audit_call)
    blp.register_error_handler(ApiRefusal, handle_refusal)

    from marac.api.reference import add_routes as add_reference

    add_reference(blp)
    from marac.api.intake import add_routes as add_intake

    add_intake(blp)

    @blp.route("/openapi.json", endpoint="openapi_json", methods=["GET"])
    def openapi_json() -> Any:
        return current_app.response_class(_json(document()), mimetype="application/json")

    @blp.route("/docs", endpoint="reference", methods=["GET"])
    def reference() -> str:
        return render_template("api/reference.html", spec=document())

    api.register_blueprint(blp)
    app.extensions["marac_api"] = api
    from marac import csrf

    csrf.exempt(blp)


def _json(data: Any) -> str:
    from flask import json

    return json.dumps(data, indent=2, sort_keys=False)


def document() -> dict[str, Any]:
    """The OpenAPI document, with the errors every call may give added to each operation."""
    cached = current_app.extensions.get("marac_api_document")
    if cached is not None:
        return cached
    api: Api = current_app.extensions["marac_api"]
    spec = copy.deepcopy(api.spec.to_dict())
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    spec.setdefault("components", {}).setdefault("schemas", {})
    spec["components"]["schemas"].setdefault("Problem", _problem_schema(api))
    for own in ("openapi.json", "docs"):  # the document and its page describe the API
        spec.get("paths", {}).pop(f"{PREFIX}/{own}", None)
    for path in spec.get("paths", {}).values():
        for method, op in path.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = op.setdefault("responses", {})
            for code, text in COMMON_ERRORS.items():
                responses.setdefault(
                    code,
                    {"description": text, "content": {PROBLEM_TYPE: {"schema": problem_ref}}},
                )
            for code, response in responses.items():
                # smorest writes its error responses as application/json: ours are problems.
                if code.startswith(("4", "5")) or code == "default":
                    content = response.get("content") or {}
                    if "application/json" in content and PROBLEM_TYPE not in content:
                        content[PROBLEM_TYPE] = content.pop("application/json")
    for response in spec["components"].get("responses", {}).values():
        content = response.get("content") or {}  # smorest's error responses: problems too
        if "application/json" in content:
            content[PROBLEM_TYPE] = content.pop("application/json")
    current_app.extensions["marac_api_document"] = spec
    return spec


def _problem_schema(api: Api) -> dict[str, Any]:
    return api.spec.components.schemas.get("Problem") or {
        "type": "object",
        "required": ["type", "title", "status", "detail", "instance"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "detail"],
                    "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    }
