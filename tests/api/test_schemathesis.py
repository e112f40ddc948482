"""schemathesis over the served OpenAPI document: no 5xx, every answer as documented.

Runs in-process against the WSGI app with a valid token, generating valid and invalid
requests for every operation of /api/v1/openapi.json. Examples are bounded so that a
run stays well under a minute on each database backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marac import create_app
from marac.incidents.models import LocalStrand
from tests.api.helpers import bearer, make_api_client
from tests.conftest import settings_for
from tests.factories import make_area

EXAMPLES = 40  # per operation and mode
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture
def api_app(database_url: str) -> Iterator[Flask]:
    # High limit: the run itself must not be rate limited (the 429 has its own test).
    application = create_app(settings_for(database_url, ratelimit_api="100000 per minute"))
    session = application.extensions["marac_db"].sessionmaker()
    area = make_area(session, "North")
    session.add(LocalStrand(area_id=area.id, name="Alternative subcultures"))
    session.commit()
    _, token = make_api_client(session)
    session.close()
    application.config["TEST_API_TOKEN"] = token
    yield application
    application.extensions["marac_db"].engine.dispose()


def _sweep(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    """Generate requests for one operation in one mode; the failures, collected."""
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as error:  # collected, so one run reports them all
            failures.append(f"{case.method} {case.formatted_path} ({mode.value}): {error}")

    run()
    return failures


def test_api_answers_as_documented(api_app: Flask) -> None:
    """Every operation, with valid and with invalid requests (a plain loop: schemathesis's
    pytest plugin does not run under the project's pytest 9)."""
    headers = bearer(str(api_app.config["TEST_API_TOKEN"]))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    failures = [
        failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for failure in _sweep(operation, mode, headers)
    ]
    assert not failures, "\n\n".join(failures[:10])
