"""The hazard log (docs/clinical-safety.md): every entry whole, every test it names real, every rule id policy 2.0.0's."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import clinrules
from clinrules.authoring.docgen import page

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "clinical-safety.md"
SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"

# Copied from the clinical policy "Glute bridge safety in sciatica" 2.0.0 (the shared
# clinical/policy.md, outside this repository, which no test may read): the red flags of its
# section 4, the rules of its section 5 and the scores and assessment of its section 6 (STarT
# Back), in the policy's order. The content branch implements them under exactly these ids.
POLICY_RED_FLAGS = (
    "cauda_equina",
    "progressive_deficit",
    "new_sexual_dysfunction",
    "spinal_infection",
    "spinal_malignancy",
    "spinal_fracture",
)
POLICY_RULES = (
    "leg_symptoms_provoked",
    "provoked_lower_rung",
    "nerve_after_provocation",
    "provoked_elsewhere",
    "severe_local_pain",
    "scope_age",
    "scope_pregnancy",
    "scope_new_over_50",
    "repeated_adverse",
    "harder_after_adverse",
    "not_yet_earned",
    "not_yet_earned_ten",
    "not_yet_earned_loaded",
    "tension_when_irritable",
    "flexion_when_irritable",
    "beyond_bridge_gate",
    "stale_screen",
    "marked_weakness_review",
    "flare_needs_baseline",
    "below_knee_cap",
    "below_knee_start_low",
    "single_adverse_step_down",
    "single_adverse_lower_dose",
    "acute_flare_today",
    "high_pain_today",
    "local_pain_over_ceiling",
    "nerve_sensitive_lower_dose",
    "stable_weakness",
    "ready_to_progress",
    "ready_ten_by_ten",
    "ready_loaded",
)
POLICY_SCORES = ("startback_total", "startback_psychosocial")
POLICY_ASSESSMENTS = ("startback_risk",)
POLICY_IDS = POLICY_RED_FLAGS + POLICY_RULES + POLICY_SCORES + POLICY_ASSESSMENTS

FIELDS = (
    "Hazard",
    "Causes",
    "Effect on the patient",
    "Initial risk",
    "Controls, rules",
    "Controls, engine",
    "Controls, tests",
    "Residual risk",
    "Left for the clinical reviewer",
)
HEADING = re.compile(r"^### (H\d\d): (.+)$", re.MULTILINE)
FIELD = re.compile(r"^- \*\*([^*]+):\*\*(.*)$")
TEST_NAME = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
RISK = re.compile(r"^likelihood (\d) \((.+)\) x severity (\d) \((.+)\) = (\d+), (.+)$")
LIKELIHOOD = {1: "very rare", 2: "rare", 3: "occasional", 4: "likely", 5: "frequent"}
SEVERITY = {1: "minor", 2: "significant", 3: "considerable", 4: "major", 5: "catastrophic"}


def band(risk: int) -> str:
    """The bands of the log's matrix (its section "How risk is scored")."""
    if risk <= 3:
        return "very low"
    if risk <= 6:
        return "low"
    if risk <= 10:
        return "medium"
    if risk <= 15:
        return "high"
    return "very high"


@cache
def hazards() -> dict[str, dict[str, str]]:
    """Each hazard id with its fields, a field's wrapped lines joined, in the order of the log."""
    text = LOG.read_text(encoding="utf-8")
    body = text[: text.index("## What this log does not cover")]
    heads = list(HEADING.finditer(body))
    found: dict[str, dict[str, str]] = {}
    for head, after in zip(heads, [*heads[1:], None], strict=True):
        block = body[head.end() : after.start() if after else len(body)]
        fields: dict[str, str] = {"title": head.group(2)}
        name = None
        for line in block.splitlines():
            match = FIELD.match(line)
            if match:
                name = match.group(1)
                assert name not in fields, f"{head.group(1)}: {name} twice"
                fields[name] = match.group(2).strip()
            elif line.strip() and name is not None:
                fields[name] = f"{fields[name]} {line.strip()}".strip()
        assert head.group(1) not in found, f"{head.group(1)} twice"
        found[head.group(1)] = fields
    return found


@cache
def functions_defined_in(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def test_hazard_ids_are_unique_and_in_order() -> None:
    ids = list(hazards())
    assert len(ids) >= 20
    assert ids == [f"H{n:02d}" for n in range(1, len(ids) + 1)]


def test_every_hazard_has_every_field_and_nothing_else() -> None:
    for hazard, fields in hazards().items():
        assert [name for name in fields if name != "title"] == list(FIELDS), hazard
        assert all(fields[name] for name in FIELDS), hazard


def test_every_test_the_log_names_exists() -> None:
    named = 0
    for hazard, fields in hazards().items():
        tests = TEST_NAME.findall(fields["Controls, tests"])
        assert tests, f"{hazard} names no test"
        for path, function in tests:
            assert (ROOT / path).is_file(), f"{hazard}: {path}"
            assert function in functions_defined_in(path), f"{hazard}: {path}::{function}"
            named += 1
    assert named >= 60
    # A test named anywhere else on the page must exist too: nothing is cited loosely.
    everywhere = TEST_NAME.findall(LOG.read_text(encoding="utf-8"))
    assert all(function in functions_defined_in(path) for path, function in everywhere)


def test_every_rule_id_the_log_names_is_one_of_policy_2() -> None:
    seen: set[str] = set()
    for hazard, fields in hazards().items():
        ids = re.findall(r"`([a-z0-9_]+)`", fields["Controls, rules"])
        assert ids or fields["Controls, rules"].startswith("none:"), hazard
        unknown = set(ids) - set(POLICY_IDS)
        assert not unknown, f"{hazard}: {sorted(unknown)}"
        seen |= set(ids)
    # Every red flag and every rule of the policy is a control of some hazard.
    assert set(POLICY_RED_FLAGS + POLICY_RULES) <= seen, sorted(set(POLICY_RED_FLAGS + POLICY_RULES) - seen)


def test_each_risk_is_scored_by_the_matrix_and_no_control_raises_it() -> None:
    for hazard, fields in hazards().items():
        scored = []
        for name in ("Initial risk", "Residual risk"):
            match = RISK.match(fields[name])
            assert match, f"{hazard}: {name}: {fields[name]}"
            likelihood, severity = int(match.group(1)), int(match.group(3))
            assert match.group(2) == LIKELIHOOD[likelihood], hazard
            assert match.group(4) == SEVERITY[severity], hazard
            assert int(match.group(5)) == likelihood * severity, hazard
            assert match.group(6) == band(likelihood * severity), hazard
            scored.append(likelihood * severity)
        initial, residual = scored
        assert residual <= initial, hazard
        assert band(residual) in {"very low", "low", "medium"}, f"{hazard}: residual risk not acceptable"


@pytest.mark.parametrize(
    "hazard",
    [
        "missed red flag",
        "stale screen",
        "harder rungs",
        "nerve stretches",
        "stale answers",
        "misspelt log entry",
        "chronic symptom read as new",
        "worse again read as old",
        "three sessions in one day",
        "after `as_of`",
        "unanswered STarT Back item",
        "forbidden exercise",
        "wrong unit",
        "changed after review",
        "before sign-off",
        "formatter that changes meaning",
        "names a field path",
    ],
)
def test_the_log_has_each_hazard_the_brief_asks_for(hazard: str) -> None:
    assert any(hazard.lower() in fields["title"].lower() for fields in hazards().values()), hazard


def test_the_log_is_in_the_site_under_for_clinicians_and_on_the_review_page() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    clinicians = nav[nav.index("- For clinicians:") : nav.index("- Reference:")]
    assert "clinical-safety.md" in clinicians
    text = page(clinrules.load(SHIPPED, allow_draft=True).program)
    checklist = text[text.index("## Sign-off checklist") : text.index("Open points a reviewer must confirm")]
    assert "`clinical-safety.md`" in checklist


DEMO = ROOT / "rulesets" / "sciatica" / "patients"


def test_the_demo_patients_tell_the_story_of_2_0_0() -> None:
    shipped = clinrules.load(SHIPPED, allow_draft=True)

    def decide(name: str) -> dict[str, Any]:
        decision = shipped.evaluate(json.loads((DEMO / name).read_text(encoding="utf-8")))
        result: dict[str, Any] = decision.model_dump(mode="json")
        return result

    flare = decide("demo_a_flare_on_one_rung.json")
    verdicts = {ident: entry["verdict"] for ident, entry in flare["exercises"].items()}
    assert verdicts["glute_bridge"] == "regress"
    assert flare["exercises"]["glute_bridge"]["regress_to"] == "bridge_partial"
    assert all(
        verdicts[rung] == "avoid" for rung in ("single_leg_bridge", "ball_rollout", "kb_deadlift", "kb_swing")
    )
    clear = decide("demo_b_clear_with_safety_net_and_recheck.json")
    assert clear["triage"] == "clear"
    assert clear["safety_net"]
    assert clear["recheck_at"] is not None
    startback = decide("demo_c_startback_unanswered_item_still_high.json")
    assert startback["scores"]["startback_total"] == {"low": 6, "high": 7}
    assert startback["scores"]["startback_psychosocial"] == {"low": 4, "high": 5}
    assert startback["assessments"]["startback_risk"]["value"] == "high"


def _shipped_declarations() -> tuple[str, set[str]]:
    program = clinrules.load(SHIPPED, allow_draft=True).program
    ids = {flag.id for flag in program.red_flags} | {rule.id for rule in program.rules}
    ids |= {score.id for score in program.scores.values() if score.id} | set(program.assessments)
    return program.version, ids


def test_every_policy_id_is_a_declaration_of_the_shipped_ruleset() -> None:
    version, declared = _shipped_declarations()
    missing = [ident for ident in POLICY_IDS if ident not in declared]
    assert not missing, f"ruleset {version} lacks {missing}"
