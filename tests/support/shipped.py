"""The shipped ruleset and its scenario patients, as the tests that read them name them."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import ROOT

RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
PATIENTS = ROOT / "rulesets" / "sciatica" / "patients"


def scenario_patient(name: str) -> dict[str, Any]:
    """A scenario's patient (`rulesets/sciatica/patients/NAME.json`), as a new dict on every call."""
    loaded: dict[str, Any] = json.loads((PATIENTS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded
