"""Golden cards: shipped public scenarios, through FHIR, as the CDS Hooks cards they give, compared whole.

Each scenario's patient (`rulesets/sciatica/scenarios.cases.yaml`) becomes the
Bundle an app would send (`tests/support/fhir.py`), is imported with
`from_fhir` at the scenario's `as_of`, evaluated as the service does (every
exercise, default parameters) and turned into cards by the pure `cards`
function: the service itself takes `as_of` from the clock, so it is not
called here. The card uuids and details carry the ruleset's sha256, so any
change to `glute_bridge.rules` (or the files it uses) changes them.

Regenerate after a deliberate change, then read the diff before committing:
`CLINRULES_REGENERATE_CARDS=1 PYTHONPATH=src .venv/bin/pytest -q tests/test_service_golden.py`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml

from clinrules.api import load
from clinrules.fhir import from_fhir
from clinrules.service.cards import Names, cards
from tests.conftest import ROOT
from tests.support.fhir import to_bundle

RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
SCENARIOS = ROOT / "rulesets" / "sciatica" / "scenarios.cases.yaml"
GOLDEN = ROOT / "tests" / "golden" / "cards"
HOOK_INSTANCE = "0b1e5c2a-6d7f-4e1a-9c3b-5a8d2f4e6b10"
# Clear, provocation, flare, urgent within days, urgent the same day, out of scope, no exam.
CHOSEN = {
    "first_day": "first day: every exercise, and the rungs are earned",
    "shooting_pain": "shooting pain on last night's bridge stops the harder rungs and the nerve stretches",
    "acute_flare": "an acute flare today: lighter strength work, no progression, gentle floor",
    "past_cancer": "past cancer at 60, not improving: assessment within days",
    "trouble_walking": "new trouble walking because the legs do not work: same day, not A&E",
    "pregnancy": "pregnancy: the strength and stretch programme is out of scope, aerobic work is not",
    "no_exam": "no clinician exam recorded: stretches are allowed on quiet symptoms",
}
REGENERATE = os.environ.get("CLINRULES_REGENERATE_CARDS") == "1"


@pytest.fixture(scope="module")
def ruleset() -> Any:
    return load(RULESET, allow_draft=True)


def _scenario(name: str) -> dict[str, Any]:
    cases = yaml.safe_load(SCENARIOS.read_text())["cases"]
    found: dict[str, Any] = next(case for case in cases if case["name"] == name)
    return found


def scenario_cards(ruleset: Any, name: str) -> list[dict[str, Any]]:
    case = _scenario(name)
    as_of = case["as_of"]
    patient, _ = from_fhir(to_bundle({**case["patient"], "as_of": as_of}), ruleset.program.model, as_of)
    decision = ruleset.evaluate(patient, as_of=as_of)
    # The golden file is only as good as the decision: it must be the one the scenario expects.
    assert str(decision.triage.value) == case["expect"]["triage"]
    return cards(decision, HOOK_INSTANCE, Names.of(ruleset))


@pytest.mark.parametrize("slug", sorted(CHOSEN))
def test_a_scenario_gives_its_golden_cards(ruleset: Any, slug: str) -> None:
    path = GOLDEN / f"{slug}.json"
    actual = scenario_cards(ruleset, CHOSEN[slug])
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected


def test_the_golden_cards_cover_clear_and_urgent_and_every_card_indicator() -> None:
    loaded = {slug: json.loads((GOLDEN / f"{slug}.json").read_text()) for slug in CHOSEN}
    indicators = {card["indicator"] for chosen in loaded.values() for card in chosen}
    assert indicators == {"info", "warning", "critical"}
    assert [card["indicator"] for card in loaded["trouble_walking"]] == ["critical"]
    assert not any(card["indicator"] == "critical" for card in loaded["first_day"])


def test_no_golden_file_is_left_without_a_scenario() -> None:
    assert sorted(path.stem for path in GOLDEN.glob("*.json")) == sorted(CHOSEN)
