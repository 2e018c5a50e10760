"""Golden cards: every public scenario, as a committed FHIR Bundle, through the running service.

Each case of `rulesets/sciatica/scenarios.cases.yaml` has a Bundle in
`tests/fhir/scenarios/` written by `tools/scenario_bundles.py` by the
`sciatica` FHIR mapping. A Bundle must be what the tool writes today, and
must import back to its scenario's patient for every field the mapping
expresses. Then each Bundle, split into the discovery's prefetch keys, is
sent to a running service (`tests.support.golden_server`: the shipped
ruleset, decided at the scenario's `as_of` named in a header, since
`clinrules serve` uses the clock), and its cards are compared whole with
`tests/golden/cards/<bundle name>.json`. The card uuids and details carry
the ruleset's sha256, so any change to `glute_bridge.rules` (or the files
it uses) changes them.

Regenerate after a deliberate change, then read the diff before committing:
`PYTHONPATH=src python tools/scenario_bundles.py` for the Bundles, and
`CLINRULES_REGENERATE_CARDS=1 PYTHONPATH=src .venv/bin/pytest -q tests/test_service_golden.py` for the cards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tools.scenario_bundles import MAPPING, all_cases, bundle

from clinrules.fhir import from_fhir
from tests.conftest import ROOT
from tests.support.golden_server import HEADER, PROGRAM
from tests.support.service import SERVICE, Server, empties, prefetch_of, serving

SCENARIOS = ROOT / "rulesets" / "sciatica" / "scenarios.cases.yaml"
BUNDLES = ROOT / "tests" / "fhir" / "scenarios"
GOLDEN = ROOT / "tests" / "golden" / "cards"
HOOK_INSTANCE = "0b1e5c2a-6d7f-4e1a-9c3b-5a8d2f4e6b10"
REGENERATE = os.environ.get("CLINRULES_REGENERATE_CARDS") == "1"
NAMES = all_cases()
PUBLIC = len(yaml.safe_load(SCENARIOS.read_text(encoding="utf-8"))["cases"])


@pytest.fixture(scope="module")
def golden_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("golden"), program=PROGRAM) as server:
        yield server


def _bundle(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((BUNDLES / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Field path -> value, unknowns left out; sessions up to as_of in time order, without their unknowns.

    A session after `as_of` is left out by the importer, as by the rules
    (it cannot be the patient's state at `as_of`); the scenario that has one
    expects it left out.
    """
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            out.update(_flat(item, f"{prefix}{key}."))
        elif key == "sessions" and not prefix:
            kept = [s for s in item or [] if _time(s["at"]) <= _time(value["as_of"])]
            listed = [{k: v for k, v in s.items() if v is not None} for s in kept]
            if listed:
                out[key] = sorted(listed, key=lambda s: (s["at"], s["exercise"]))
        elif item is not None:
            out[prefix + key] = item
    return out


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_there_is_a_bundle_per_scenario_as_the_tool_writes_it() -> None:
    assert len(NAMES) == PUBLIC + 2
    assert sorted(path.stem for path in BUNDLES.glob("*.json")) == sorted(NAMES)
    mapping = json.loads(MAPPING.read_text(encoding="utf-8"))
    for name, case in NAMES.items():
        assert _bundle(name) == json.loads(
            json.dumps(bundle({**case["patient"], "as_of": case["as_of"]}, mapping))
        )


@pytest.mark.parametrize("name", sorted(NAMES))
def test_a_scenario_bundle_imports_back_to_its_patient(name: str) -> None:
    case = NAMES[name]
    patient, provenance = from_fhir(_bundle(name), "sciatica", case["as_of"])
    assert _flat(patient) == _flat({**case["patient"], "as_of": case["as_of"]})
    # Written where the mapping reads it: an exam grade, a pain score and the weight are Observations.
    for path in ("exam.weakest_grade", "symptoms.back_pain", "body_mass", "pregnant"):
        if path in provenance:
            assert provenance[path].startswith("Observation/")


def _cards(server: Server, name: str) -> list[dict[str, Any]]:
    case = NAMES[name]
    body = {
        "hook": "patient-view",
        "hookInstance": HOOK_INSTANCE,
        "context": {"userId": "Practitioner/1", "patientId": "p"},
        "prefetch": prefetch_of(_bundle(name)),
    }
    response = server.client.post(
        f"/cds-services/{SERVICE}", content=json.dumps(body).encode(), headers={HEADER: case["as_of"]}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert empties(answer) == []
    cards: list[dict[str, Any]] = answer["cards"]
    return cards


@pytest.mark.parametrize("name", sorted(NAMES))
def test_a_scenario_gives_its_golden_cards_through_the_service(golden_server: Server, name: str) -> None:
    path = GOLDEN / f"{name}.json"
    actual = _cards(golden_server, name)
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected


def _triage(name: str) -> str:
    """The scenario's expected triage; the derived ones, whose screen is unanswered, expect `check`."""
    case = NAMES[name]
    return str(case["expect"]["triage"]) if "expect" in case else "check"


def test_the_golden_cards_follow_the_triage_of_their_scenario() -> None:
    loaded = {name: json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")) for name in NAMES}
    by_triage = {
        triage: [n for n in NAMES if _triage(n) == triage] for triage in ("clear", "check", "urgent")
    }
    assert all(by_triage.values()), "the scenarios lack a clear, a check or an urgent one"
    for name in by_triage["urgent"]:
        assert [card["indicator"] for card in loaded[name]] == ["critical"]
    for name in by_triage["check"]:
        first = loaded[name][0]
        assert first["indicator"] == "warning"
        assert "Red-flag screen incomplete" in first["summary"]
        assert "critical" not in [card["indicator"] for card in loaded[name]]
    for name in by_triage["clear"]:
        assert "critical" not in [card["indicator"] for card in loaded[name]]
    indicators = {card["indicator"] for cards in loaded.values() for card in cards}
    assert indicators == {"info", "warning", "critical"}


def test_no_golden_file_is_left_without_a_scenario() -> None:
    assert sorted(path.stem for path in Path(GOLDEN).glob("*.json")) == sorted(NAMES)
