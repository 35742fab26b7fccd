"""API fuzzing: schemathesis generates requests from our own OpenAPI schema.

Against the real service (``forecaster serve``) holding a synced system, with a valid API
token: every answer must be non-5xx, match its documented status codes, content type and
schema. The number of examples per operation is kept small so the suite stays quick.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from forecaster.sandbox.testing import running_sandbox
from tests.harness import LiveService

MAX_EXAMPLES = 40


@pytest.fixture(scope="module")
def live_api(tmp_path_factory) -> Iterator[tuple[LiveService, str]]:
    """A service holding one synced system, and a valid API token for it."""
    data = tmp_path_factory.mktemp("api-fuzz")
    with running_sandbox(invoices=400, seed=21) as sandbox, LiveService(data, worker=False) as service:
        added = service.cli(
            "systems", "add", "whmcs", "--name", "Fuzz <WHMCS> & \"Co\"", "--url", sandbox.url,
            "--identifier", sandbox.identifier, "--exchange-rate", "4.25", input=sandbox.secret + "\n",
        )  # fmt: skip
        system_id = added.stdout.strip().splitlines()[-1]
        service.cli("sync", system_id, "--full")
        token = (
            service.cli(
                "manage",
                "shell",
                "-c",
                "from forecaster.accounts.models import ApiToken; print(ApiToken.issue('fuzz')[1])",
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        assert re.fullmatch(r"\S{20,}", token), "no API token issued"
        yield service, token


def test_api_answers_match_the_schema_and_never_5xx(live_api):
    """Every operation of /api/openapi.json, fuzzed with valid tokens: no 5xx, and each answer
    conforms to the schema (status code documented, content type, body shape)."""
    service, token = live_api
    schema = schemathesis.openapi.from_url(f"{service.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 2, "the schema should describe the revenue and systems endpoints"
    headers = {"Authorization": f"Bearer {token}"}
    exercised = []

    for operation in operations:
        # The schema-driven loop, with schemathesis's own generation and response checks; run
        # without its pytest plugin so the test stays a plain pytest test.
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case):
            response = case.call(headers=headers, timeout=30)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query}: HTTP {response.status_code}"
            )
            case.validate_response(response, headers=headers)

        fuzz()
        exercised.append(operation.label)
    assert any("revenue" in label for label in exercised), exercised


def test_api_refuses_requests_without_a_token(live_api):
    import httpx

    service, _token = live_api
    for path in ("/api/revenue", "/api/systems"):
        response = httpx.get(service.url + path, timeout=30)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/json")
