"""The CDS Hooks 2.0 service: `create_app(rulesets, *, audit_log=None)` -> a FastAPI app.

In: checked rulesets (one `patient-view` service each, id = ruleset id) and
an optional audit-log path. Out: the ASGI app `clinrules serve` runs.

Design decisions (docs/integration.md, "CDS Hooks out"):
- Every prefetch template key must be had. A key that is absent, an
  OperationOutcome, or a searchset with a `next` page left unfollowed is
  fetched from the request's `fhirServer` with its bearer token
  (`service/fetch.py`); without a token, or if a fetch fails, 412 naming the
  key, so data not had never reads as "no data". `null` is "no data": the
  fields stay unknown, which gives triage `check`, never a clear.
- Errors are OperationOutcomes, and no handler logs a request or a patient
  value: an unexpected failure is a 500 naming only the exception's type.
- Every response names the worker process that made it (`X-Clinrules-Worker`,
  a random id per app, not the pid), so an operator, or a test, can tell the
  workers of `clinrules serve --workers N` apart.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse, Response

from clinrules.base.errors import ArgumentError, PatientDataError
from clinrules.fhir.importer import checked_mapping, from_fhir
from clinrules.fhir.mapping import Mapping as FhirMapping
from clinrules.ruleset import RuleSet
from clinrules.service.audit import AuditLog
from clinrules.service.auth import Verifier
from clinrules.service.cards import Names, cards, pruned_object
from clinrules.service.fetch import FetchFailure, fetch
from clinrules.service.openapi import (
    CARDS,
    DISCOVERY,
    FEEDBACK_ACCEPTED,
    feedback_body,
    request_body,
    responses,
)

HOOK = "patient-view"
PATIENT = "{{context.patientId}}"
_LOCAL = "https://clinrules.org/fhir/CodeSystem/sciatica"
_SNOMED = "http://snomed.info/sct"
_EXAM = ",".join(
    f"{_LOCAL}|{code}" for code in ("straight-leg-raise", "crossed-straight-leg-raise", "mrc-grade")
)
_FINDINGS = ",".join(
    [f"{_SNOMED}|{code}" for code in ("309537005", "267064002", "165232002", "72042002", "386661006")]
    + [f"{_SNOMED}|6077001", f"{_SNOMED}|422868009", f"{_LOCAL}|saddle-anaesthesia"]
)
# Every resource the `sciatica` mapping can read (tests/test_service_prefetch.py derives them from it).
PREFETCH = {
    "patient": f"Patient/{PATIENT}",
    "pain": f"Observation?patient={PATIENT}&code=http://loinc.org|72514-3&_sort=-date&_count=100",
    "conditions": f"Condition?patient={PATIENT}",
    "screen": f"QuestionnaireResponse?patient={PATIENT}&status=completed&_sort=-authored",
    "sessions": f"Procedure?patient={PATIENT}&code=http://snomed.info/sct|229065009",
    "vitals": f"Observation?patient={PATIENT}&code=http://loinc.org|29463-7&_sort=-date&_count=10",
    "pregnancy": f"Observation?patient={PATIENT}&code=http://loinc.org|82810-3&_sort=-date&_count=10",
    "exam": f"Observation?patient={PATIENT}&code={_EXAM}&_sort=-date&_count=100",
    "findings": f"Observation?patient={PATIENT}&code={_FINDINGS}&_sort=-date&_count=100",
}
DRAFT_MARK = " (draft: not for patient care)"
_LOG = logging.getLogger("clinrules.service")


AsOf = Callable[[Request], dt.datetime]
"""How a request's evaluation time is had: by default the server's clock."""


def clock(request: Request) -> dt.datetime:
    """The server's clock, UTC, whole seconds: the `as_of` of every decision `clinrules serve` makes.

    Never a time the request carries (a Bundle's timestamp is when a search
    ran, and an old one would make old answers look fresh).
    """
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def create_app(
    rulesets: Sequence[RuleSet],
    *,
    audit_log: str | Path | None = None,
    auth: Verifier | None = None,
    as_of: AsOf = clock,
) -> FastAPI:
    """The service for these rulesets; a ruleset not `approved` shows the draft mark in its title.

    Which rulesets to serve is the caller's choice (`clinrules serve` leaves
    out those not approved unless `--allow-draft`). `as_of` gives each
    request's evaluation time: the clock, unless a caller replaying
    recorded requests (the golden-card tests) gives another.
    """
    by_id = {ruleset.id: ruleset for ruleset in rulesets}
    # Per ruleset, once: the checked FHIR mapping and the card texts, not per request.
    mappings = {ruleset.id: _mapping(ruleset) for ruleset in rulesets}
    names = {ruleset.id: Names.of(ruleset) for ruleset in rulesets}
    audit = AuditLog(Path(audit_log)) if audit_log is not None else None
    # httpx logs each URL it gets at INFO, and a fetch URL holds the patient id.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Documented, not enforced: any other id is a 404 OperationOutcome, not FastAPI's own 422.
    served = PathParameter(json_schema_extra={"enum": list(by_id)})
    app = FastAPI(title="clinrules CDS Hooks service", docs_url=None, redoc_url=None)
    if auth is not None:
        _require_tokens(app, auth)
    app.add_middleware(_NamesTheWorker, worker=uuid.uuid4().hex[:16])

    @app.get("/cds-services", responses=responses(DISCOVERY, "the services, one per ruleset", ()))
    def discovery() -> dict[str, Any]:
        return {"services": [_service(r) for r in by_id.values()]}

    @app.post(
        "/cds-services/{service_id}",
        responses=responses(CARDS, "the decision as cards", (400, 404, 412, 422)),
        openapi_extra=request_body(PREFETCH),
    )
    async def invoke(request: Request, service_id: str = served) -> JSONResponse:
        ruleset = by_id.get(service_id)
        if ruleset is None:
            return outcome(404, "not-found", f"no CDS service '{service_id}'; GET /cds-services lists them")
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        resources = await _prefetched(body)
        if isinstance(resources, JSONResponse):
            return resources
        when = as_of(request)
        return _decide(ruleset, mappings[service_id], names[service_id], audit, body, resources, when)

    @app.post(
        "/cds-services/{service_id}/feedback",
        responses=responses(FEEDBACK_ACCEPTED, "how many feedback items were accepted", (400, 404)),
        openapi_extra=feedback_body(),
    )
    async def feedback(request: Request, service_id: str = served) -> JSONResponse:
        if service_id not in by_id:
            return outcome(404, "not-found", f"no CDS service '{service_id}'; GET /cds-services lists them")
        body = await _json(request)
        items = body.get("feedback") if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            return outcome(400, "invalid", "feedback takes a JSON object with a 'feedback' array of objects")
        return JSONResponse({"accepted": len(items)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Only the type: the message or the request may hold patient data.
        _LOG.error("unexpected failure: %s", type(error).__name__)
        return outcome(500, "exception", "an unexpected failure in clinrules; please report it")

    return app


class _NamesTheWorker:
    """Adds `X-Clinrules-Worker` to every response (plain ASGI: no per-request task, unlike @middleware)."""

    def __init__(self, app: Any, worker: str) -> None:
        self.app = app
        self.header = (b"x-clinrules-worker", worker.encode())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), self.header]}
            await send(message)

        await self.app(scope, receive, named)


def _require_tokens(app: FastAPI, auth: Verifier) -> None:
    """Every call, discovery included, needs a good bearer JWT whose `aud` is the URL called."""

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        base = auth.base_url or str(request.base_url).rstrip("/")
        reason = auth.check(request.headers.get("authorization"), base + request.url.path)
        if reason is None:
            return await call_next(request)
        refused = outcome(401, "login", reason)
        challenge = 'Bearer realm="clinrules"'
        if request.headers.get("authorization"):
            challenge += ', error="invalid_token"'
        refused.headers["WWW-Authenticate"] = challenge
        return refused


def _mapping(ruleset: RuleSet) -> FhirMapping:
    """The ruleset's checked FHIR mapping; refused at start-up, not per request, if its model has none valid."""
    try:
        return checked_mapping(ruleset.program.model)
    except ArgumentError as error:
        raise ArgumentError(f"ruleset {ruleset.id}: {error}") from None


def outcome(status: int, code: str, text: str) -> JSONResponse:
    """An HTTP error with a FHIR OperationOutcome body."""
    issues = [{"severity": "error", "code": code, "diagnostics": text}]
    return JSONResponse({"resourceType": "OperationOutcome", "issue": issues}, status_code=status)


def _service(ruleset: RuleSet) -> dict[str, Any]:
    title = ruleset.program.title or ruleset.id
    if ruleset.status != "approved":
        title += DRAFT_MARK
    description = (
        f"Exercise-safety decision support by clinrules ruleset {ruleset.id} {ruleset.version} "
        f"(status {ruleset.status}): red-flag triage and one piece of advice per exercise."
    )
    return pruned_object(
        {
            "hook": HOOK,
            "id": ruleset.id,
            "title": title,
            "description": description,
            "prefetch": dict(PREFETCH),
        }
    )


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, RecursionError):
        return None


async def _body(request: Request) -> dict[str, Any] | JSONResponse:
    body = await _json(request)
    if not isinstance(body, dict):
        return outcome(400, "invalid", "the request body is not a JSON object")
    absent = [key for key in ("hook", "hookInstance", "context") if key not in body]
    if absent:
        return outcome(400, "required", "the request has no " + ", ".join(absent))
    if body["hook"] != HOOK:
        return outcome(400, "not-supported", f"this service answers the hook '{HOOK}', not '{body['hook']}'")
    if not isinstance(body["hookInstance"], str) or not body["hookInstance"]:
        return outcome(400, "invalid", "hookInstance must be a non-empty string (a UUID)")
    if not isinstance(body["context"], dict):
        return outcome(400, "invalid", "context must be a JSON object")
    return body


async def _prefetched(body: Mapping[str, Any]) -> list[Any] | JSONResponse:
    """The resources of every prefetch key, fetched from fhirServer where not delivered, or a 412."""
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        return outcome(400, "invalid", "prefetch must be a JSON object")
    given: dict[str, Any] = dict(prefetch) if isinstance(prefetch, dict) else {}
    unsatisfied = [key for key in PREFETCH if _unsatisfied(key, given)]
    if not unsatisfied:
        return [given[key] for key in PREFETCH if given[key] is not None]
    server, token = body.get("fhirServer"), _access_token(body.get("fhirAuthorization"))
    if not isinstance(server, str) or token is None:
        return outcome(
            412,
            "incomplete",
            "prefetch did not deliver "
            + ", ".join(unsatisfied)
            + "; send each key of the discovery's prefetch (null for no data), or fhirServer with "
            "fhirAuthorization (a bearer access_token) so that this service fetches them",
        )
    context = body["context"]
    fetched = await fetch(
        {key: PREFETCH[key] for key in unsatisfied}, PATIENT, server, token, context.get("patientId")
    )
    if isinstance(fetched, FetchFailure):
        return outcome(
            412,
            "incomplete",
            f"prefetch key {fetched.key} could not be fetched from fhirServer: {fetched.reason}",
        )
    resources: list[Any] = []
    for key in PREFETCH:
        if key in fetched:
            resources.extend(fetched[key])
        elif given[key] is not None:
            resources.append(given[key])
    return resources


def _access_token(authorization: object) -> str | None:
    """The bearer token of fhirAuthorization, or None (no fetch) if it is not a usable bearer token."""
    if not isinstance(authorization, dict):
        return None
    token, kind = authorization.get("access_token"), authorization.get("token_type", "Bearer")
    if not isinstance(token, str) or not token or not isinstance(kind, str) or kind.lower() != "bearer":
        return None
    if any(c in token for c in "\r\n"):
        return None
    return token


def _unsatisfied(key: str, given: Mapping[str, Any]) -> bool:
    if key not in given:
        return True
    value = given[key]
    if value is None:
        return False
    if not isinstance(value, dict) or value.get("resourceType") == "OperationOutcome":
        return True
    links = value.get("link") if value.get("resourceType") == "Bundle" else None
    return isinstance(links, list) and any(isinstance(x, dict) and x.get("relation") == "next" for x in links)


def _decide(
    ruleset: RuleSet,
    mapping: FhirMapping,
    names: Names,
    audit: AuditLog | None,
    body: dict[str, Any],
    resources: list[Any],
    as_of: dt.datetime,
) -> JSONResponse:
    try:
        patient, _ = from_fhir(resources, ruleset.program.model, as_of, mapping)
        decision = ruleset.evaluate(patient, as_of=as_of)
    except PatientDataError as error:
        issues = [
            pruned_object(
                {"severity": "error", "code": "invalid", "diagnostics": reason, "expression": [path]}
            )
            for path, reason in error.problems
        ]
        body_422 = {"resourceType": "OperationOutcome", "issue": issues}
        return JSONResponse(body_422, status_code=422)
    hook_instance = body["hookInstance"]
    if audit is not None:
        audit.write(decision, hook_instance)
    return JSONResponse({"cards": cards(decision, hook_instance, names)})
