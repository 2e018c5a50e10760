"""schemathesis against the running service's `/openapi.json`: every answer is documented, none is a 500.

`clinrules serve` runs as a subprocess (`tests.support.service.serving`);
schemathesis loads the OpenAPI document from it over HTTP and generates
requests from the schemas it declares (`clinrules.service.openapi`), both
positive (valid requests) and negative (violating the schema). Each response
is validated by schemathesis's checks (no server error, a declared status
and content type, a body conforming to its declared schema) and by two of
ours: the status is one of those the service may answer, and no body holds
a null or an empty value (the CDS Hooks JSON rule). Bounded: a fixed number
of examples per operation, a deadline per example, derandomized.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from clinrules.service.app import PREFETCH
from tests.support.service import Server, empties, serving

ALLOWED_STATUSES = frozenset({200, 400, 404, 412, 422})
EXAMPLES = 25
DEADLINE_MS = 2_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("service_schema")) as started:
        yield started


@pytest.fixture(scope="module")
def api_schema(server: Server) -> Any:
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


@schemathesis.check
def only_allowed_statuses(ctx: Any, response: Any, case: Any) -> bool | None:
    """The service answers only the statuses it documents as answers (a 500 is a bug, not an answer)."""
    if response.status_code not in ALLOWED_STATUSES:
        raise AssertionError(f"status {response.status_code} is not one of {sorted(ALLOWED_STATUSES)}")
    return None


@schemathesis.check
def no_null_or_empty_value(ctx: Any, response: Any, case: Any) -> bool | None:
    """No member of a JSON body is null or empty (CDS Hooks 2.0; `cards: []` is the one exception)."""
    found = empties(json.loads(response.content))
    if found:
        raise AssertionError(f"null or empty values at {found}")
    return None


CHECKS = [only_allowed_statuses, no_null_or_empty_value]
# The hook call answers a schema-valid request whose FHIR content the importer cannot read with 422, and a
# prefetch key not delivered with 412 (CDS Hooks' own status, which schemathesis does not count as a
# rejection): both are documented answers, so the two checks of "valid is accepted, invalid is rejected"
# do not apply to it. Every other check does, and ours above still bound its statuses.
STRICTNESS_CHECKS = [
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.negative_data_rejection,
]
OPERATIONS = (
    "GET /cds-services",
    "POST /cds-services/{service_id}",
    "POST /cds-services/{service_id}/feedback",
)


def test_the_document_has_exactly_the_operations_fuzzed_here(api_schema: Any) -> None:
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert labels == set(OPERATIONS)


# schemathesis's pytest plugin does not run under pytest 9 (it sets a node attribute pytest 9 removed), so
# the test drives its Python API: a hypothesis test per operation and generation mode, given its strategy.
# Discovery takes no input, so it has no negative requests.
FUZZED = [
    (label, mode)
    for label in OPERATIONS
    for mode in ("positive", "negative")
    if label != OPERATIONS[0] or mode == "positive"
]


@pytest.mark.parametrize(("label", "mode"), FUZZED)
def test_every_response_is_documented_allowed_and_has_no_empty_value(
    api_schema: Any, label: str, mode: str
) -> None:
    operation = api_schema.find_operation_by_label(label)
    excluded = STRICTNESS_CHECKS if label == OPERATIONS[1] else []
    strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))

    @settings(
        max_examples=EXAMPLES,
        deadline=DEADLINE_MS,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def responses_conform(case: Any) -> None:
        case.call_and_validate(additional_checks=CHECKS, excluded_checks=excluded)

    responses_conform()


def test_the_openapi_document_declares_each_status_the_hook_call_answers(server: Server) -> None:
    document = server.client.get("/openapi.json").json()
    hook_call = document["paths"]["/cds-services/{service_id}"]["post"]
    declared = {int(status) for status in hook_call["responses"]}
    assert declared >= ALLOWED_STATUSES
    assert declared - ALLOWED_STATUSES == {500}
    error = hook_call["responses"]["412"]["content"]["application/json"]["schema"]
    assert error["properties"]["resourceType"] == {"const": "OperationOutcome"}
    body = hook_call["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]["prefetch"]["properties"]) == set(PREFETCH)
