"""Model version 1 documents under model version 2 and ruleset 2.0.0 (clinical policy section 10).

Version 1 documents stay valid; they lack the new red-flag question
`major_trauma` and `symptoms.reported_at`, so they now get triage `check`,
and no exercise is advanced, until an app asks them. Unknown is never read
as no: the missing answers are asked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import clinrules
from tests.conftest import ROOT

V1 = ROOT / "tests" / "support" / "sciatica_v1"
SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
ADVANCING = {"allow", "modify", "progress", "regress"}


@pytest.fixture(scope="module")
def shipped() -> clinrules.RuleSet:
    return clinrules.load(SHIPPED, allow_draft=True)


@pytest.mark.parametrize("path", sorted(V1.glob("*.json")), ids=lambda p: p.stem)
def test_a_version_1_document_is_still_valid_and_is_asked_the_new_questions(
    shipped: clinrules.RuleSet, path: Path
) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert "major_trauma" not in document["red_flags"]
    assert "reported_at" not in document["symptoms"]
    decision = shipped.evaluate(document)  # valid: no PatientDataError
    assert decision.triage is clinrules.Triage.CHECK
    assert decision.red_flags["spinal_fracture"] == "unknown"  # it reads major_trauma
    assert {"red_flags.major_trauma", "symptoms.reported_at"} <= set(decision.missing)
    asked = {q.field: q.ask for q in decision.questions}
    assert asked["red_flags.major_trauma"]
    assert "major_trauma" not in asked["red_flags.major_trauma"]
    assert not ADVANCING & {e.verdict.value for e in decision.exercises.values()}


def test_the_same_document_with_the_new_answers_is_decided_as_before_the_questions(
    shipped: clinrules.RuleSet,
) -> None:
    document = json.loads((V1 / "16_one_delayed_flare.json").read_text(encoding="utf-8"))
    answered = {
        **document,
        "red_flags": {**document["red_flags"], "major_trauma": False, "ces_worse": False},
        "symptoms": {**document["symptoms"], "reported_at": document["red_flags"]["screened_at"]},
    }
    decision = shipped.evaluate(answered)
    assert decision.triage is clinrules.Triage.CLEAR
    assert "red_flags.major_trauma" not in decision.missing
