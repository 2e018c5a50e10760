"""`clinrules serve` over real HTTP: discovery, the prefetch states, cards, errors, the audit log.

A module fixture starts the command as a subprocess (`tests.support.service.serving`).
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clinrules.cli.main import main
from clinrules.service.app import DRAFT_MARK, PREFETCH
from tests.conftest import ROOT
from tests.support.fhir import LOINC, bundle, observation
from tests.support.service import RULESET, SERVICE, Server, empties, serving

HERE = ROOT / "tests" / "fhir"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("service")) as started:
        yield started


def running(folder: Path, *extra: str) -> Iterator[Server]:
    """`clinrules serve` with these extra arguments, until the generator is closed."""
    with serving(folder, *extra) as started:
        yield started


def request(hook_instance: str = "d3f1c0de-0000-4000-8000-000000000001", **prefetch: Any) -> dict[str, Any]:
    given = dict.fromkeys(PREFETCH)
    given.update(prefetch)
    return {
        "hook": "patient-view",
        "hookInstance": hook_instance,
        "context": {"userId": "Practitioner/1", "patientId": "p"},
        "prefetch": given,
    }


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text())
    return loaded


def assert_outcome(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"]
    assert all(issue["severity"] == "error" and issue["diagnostics"] for issue in body["issue"])
    assert empties(body) == []
    assert "Traceback" not in response.text
    return body


def test_discovery_lists_a_patient_view_service_per_ruleset_with_the_draft_mark(server: Server) -> None:
    response = server.client.get("/cds-services")
    assert response.status_code == 200
    body = response.json()
    assert empties(body) == []
    (service,) = body["services"]
    assert service["hook"] == "patient-view"
    assert service["id"] == SERVICE
    assert service["title"].endswith(DRAFT_MARK)
    assert service["description"]
    assert set(service["prefetch"]) == set(PREFETCH)
    assert {"patient", "pain", "conditions", "screen", "sessions", "vitals", "exam", "pregnancy"} <= set(
        PREFETCH
    )
    assert all("{{context.patientId}}" in template for template in service["prefetch"].values())


def test_a_bundle_reporting_saddle_numbness_gives_one_critical_card(server: Server) -> None:
    response = server.call(request(screen=fixture("saddle_numbness")))
    assert response.status_code == 200
    body = response.json()
    assert empties(body) == []
    (card,) = body["cards"]
    assert card["indicator"] == "critical"
    assert "emergency" in card["summary"]
    assert len(card["summary"]) <= 139
    assert card["source"]["label"] == "clinrules glute_bridge_sciatica 2.0.0"
    assert "sha256" in card["detail"]
    assert card["detail"].endswith("Clinical judgement overrides it.")


def test_a_bundle_without_the_red_flag_screen_gives_a_warning_card_with_the_questions(server: Server) -> None:
    response = server.call(request(screen=fixture("screen_missing")))
    assert response.status_code == 200
    body = response.json()
    assert empties(body) == []
    first = body["cards"][0]
    assert first["indicator"] == "warning"
    assert first["summary"].startswith("Red-flag screen incomplete")
    assert "numbness or pins and needles around your bottom" in first["detail"]
    assert "red_flags." not in first["detail"]
    assert "red\\_flags." not in first["detail"]
    assert all(card["indicator"] != "critical" for card in body["cards"])


def test_null_prefetch_is_no_data_so_triage_check_never_clear(server: Server) -> None:
    body = server.call(request()).json()
    assert empties(body) == []
    assert body["cards"][0]["summary"].startswith("Red-flag screen incomplete")
    assert all(card["indicator"] == "warning" for card in body["cards"])


def test_the_same_request_gives_the_same_card_uuids(server: Server) -> None:
    first = server.call(request(screen=fixture("screen_missing"))).json()["cards"]
    again = server.call(request(screen=fixture("screen_missing"))).json()["cards"]
    other = server.call(request("another", screen=fixture("screen_missing"))).json()["cards"]
    uuids = [card["uuid"] for card in first]
    assert uuids == [card["uuid"] for card in again]
    assert len(set(uuids)) == len(uuids)
    assert set(uuids).isdisjoint(card["uuid"] for card in other)


@pytest.mark.parametrize(
    "prefetch",
    [
        pytest.param({"screen": ...}, id="absent"),
        pytest.param({"screen": {"resourceType": "OperationOutcome", "issue": []}}, id="operation-outcome"),
        pytest.param(
            {"screen": {**bundle(), "type": "searchset", "link": [{"relation": "next", "url": "x"}]}},
            id="unfollowed-page",
        ),
    ],
)
def test_prefetch_not_delivered_is_412_with_an_operation_outcome(server: Server, prefetch) -> None:
    body = request(**{k: v for k, v in prefetch.items() if v is not ...})
    if prefetch["screen"] is ...:
        del body["prefetch"]["screen"]
    with_server = {**body, "fhirServer": "https://ehr.example/fhir"}
    for sent in (body, with_server):
        outcome = assert_outcome(server.call(sent), 412)
        assert "screen" in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"[1]", id="not-an-object"),
        pytest.param({"hookInstance": "x", "context": {}}, id="no-hook"),
        pytest.param({"hook": "patient-view", "context": {}}, id="no-hookInstance"),
        pytest.param({"hook": "patient-view", "hookInstance": "x"}, id="no-context"),
        pytest.param({"hook": "order-select", "hookInstance": "x", "context": {}}, id="other-hook"),
    ],
)
def test_a_bad_request_is_400_with_an_operation_outcome(server: Server, body) -> None:
    assert_outcome(server.call(body), 400)


def test_an_unknown_service_is_404_with_an_operation_outcome(server: Server) -> None:
    assert_outcome(server.call(request(), service="no_such_service"), 404)
    assert_outcome(server.client.post("/cds-services/no_such_service/feedback", json={"feedback": []}), 404)


def test_bad_patient_data_is_422_naming_the_fhir_path(server: Server) -> None:
    grams = {"value": 70000, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"}
    weight = bundle(observation("w", LOINC, "29463-7", valueQuantity=grams))
    outcome = assert_outcome(server.call(request(vitals=weight)), 422)
    assert any("valueQuantity" in issue["expression"][0] for issue in outcome["issue"])


def test_feedback_is_accepted(server: Server) -> None:
    feedback = {"card": "x", "outcome": "accepted", "outcomeTimestamp": "2026-12-01T10:00:00Z"}
    response = server.client.post(f"/cds-services/{SERVICE}/feedback", json={"feedback": [feedback]})
    assert response.status_code == 200
    assert empties(response.json()) == []


def test_the_audit_log_has_one_line_per_decision_and_no_patient_data(server: Server) -> None:
    hook_instance = "a0d17000-0000-4000-8000-00000000a0d1"
    server.call(request(hook_instance, screen=fixture("saddle_numbness")))
    lines = [json.loads(line) for line in server.audit.read_text().splitlines()]
    (entry,) = [line for line in lines if line["hookInstance"] == hook_instance]
    assert set(entry) == {"ruleset", "version", "sha256", "as_of", "hookInstance", "triage", "verdicts"}
    assert entry["ruleset"] == SERVICE
    assert entry["triage"] == "urgent"
    assert set(entry["verdicts"].values()) == {"urgent"}
    assert "Patient/p" not in server.audit.read_text()


def test_serve_refuses_a_ruleset_not_approved_without_allow_draft() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["serve", str(RULESET), "--port", "1"], out, err) == 1
    assert "CR420" in err.getvalue()


def test_serve_without_the_extra_exits_2_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    out, err = io.StringIO(), io.StringIO()
    assert main(["serve", str(RULESET), "--allow-draft"], out, err) == 2
    assert "clinrules[service]" in err.getvalue()


def test_the_server_log_holds_no_patient_data(server: Server) -> None:
    marker = "7c1e-unique-patient-marker"
    patient = {"resourceType": "Patient", "id": marker, "birthDate": "1970-01-01"}
    grams = {"value": 70000, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"}
    weight = observation(marker + "-w", LOINC, "29463-7", valueQuantity=grams)
    assert server.call(request(marker, patient=patient)).status_code == 200
    assert server.call(request(marker, vitals=bundle(weight))).status_code == 422
    assert (
        server.call(request(marker, patient={"resourceType": "NoSuchType", "id": marker})).status_code == 422
    )
    time.sleep(0.2)  # the server writes its log as it goes
    assert marker not in server.log.read_text()
    assert "serving glute_bridge_sciatica" in server.log.read_text()


def test_feedback_with_an_item_not_an_object_is_400(server: Server) -> None:
    assert_outcome(server.client.post(f"/cds-services/{SERVICE}/feedback", json={"feedback": [1]}), 400)
