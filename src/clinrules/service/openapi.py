"""What the service's OpenAPI document (`/openapi.json`) says of its bodies and statuses: JSON Schemas.

In: nothing (the prefetch keys of `PREFETCH`). Out: the `responses` and
`openapi_extra` arguments of the routes in `app`.

Design decisions (docs/integration.md, "CDS Hooks out"):
- Every status the service answers is declared (200, 400, 404, 412, 422,
  and 500 for a bug), each error as a FHIR OperationOutcome: a client, and
  schemathesis in the test suite, can tell a documented answer from a bug.
- The schemas say what the service needs, no more: a prefetch value is a
  FHIR resource (an object) or null; what the resource holds is the FHIR
  importer's to judge (422), so the schema does not restate FHIR.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_TEXT = {"type": "string", "minLength": 1}

OPERATION_OUTCOME: dict[str, Any] = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code", "diagnostics"],
                "properties": {
                    "severity": {"const": "error"},
                    "code": _TEXT,
                    "diagnostics": _TEXT,
                    "expression": {"type": "array", "minItems": 1, "items": _TEXT},
                },
            },
        },
    },
}

CARD: dict[str, Any] = {
    "type": "object",
    "required": ["uuid", "summary", "indicator", "detail", "source"],
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "detail": _TEXT,
        "source": {"type": "object", "required": ["label"], "properties": {"label": _TEXT}},
    },
}

CARDS: dict[str, Any] = {
    "type": "object",
    "required": ["cards"],
    "properties": {"cards": {"type": "array", "items": CARD}},
}

DISCOVERY: dict[str, Any] = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hook", "id", "title", "description", "prefetch"],
                "properties": {
                    "hook": {"const": "patient-view"},
                    "id": _TEXT,
                    "title": _TEXT,
                    "description": _TEXT,
                    "prefetch": {"type": "object", "additionalProperties": _TEXT},
                },
            },
        }
    },
}

FEEDBACK_ACCEPTED: dict[str, Any] = {
    "type": "object",
    "required": ["accepted"],
    "properties": {"accepted": {"type": "integer", "minimum": 0}},
}

_ERRORS = {
    400: "the body is not a CDS Hooks request this service answers",
    404: "no CDS service with this id",
    412: "a prefetch key did not arrive (absent, an OperationOutcome, or a page left unfollowed)",
    422: "the patient data cannot be read; each issue names its FHIR path",
    500: "a bug in clinrules: the body names nothing from the request",
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def responses(ok: dict[str, Any], ok_description: str, errors: Iterable[int]) -> dict[int | str, Any]:
    """The `responses` of a route: its 200 body and each error status it can answer, as OperationOutcomes."""
    declared: dict[int | str, Any] = {200: _json(ok_description, ok)}
    declared.update({status: _json(_ERRORS[status], OPERATION_OUTCOME) for status in (*errors, 500)})
    return declared


def request_body(prefetch_keys: Iterable[str]) -> dict[str, Any]:
    """The `openapi_extra` of the hook call: its request body, a CDS Hooks 2.0 `patient-view` request."""
    resource = {"type": ["object", "null"], "description": "a FHIR resource or Bundle; null: no data"}
    schema = {
        "type": "object",
        "required": ["hook", "hookInstance", "context"],
        "properties": {
            "hook": {"const": "patient-view"},
            "hookInstance": _TEXT,
            "context": {"type": "object", "properties": {"userId": _TEXT, "patientId": _TEXT}},
            "prefetch": {
                "type": "object",
                "description": "every key of the discovery's prefetch; a key left out is a 412",
                "properties": dict.fromkeys(prefetch_keys, resource),
            },
        },
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def feedback_body() -> dict[str, Any]:
    """The `openapi_extra` of the feedback call: an object with a `feedback` array."""
    schema = {
        "type": "object",
        "required": ["feedback"],
        "properties": {"feedback": {"type": "array", "items": {"type": "object"}}},
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
