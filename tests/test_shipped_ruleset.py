"""The shipped sciatica ruleset matches the clinical policy it implements, row by row.

The case files (rulesets/sciatica/*.cases.yaml) test decisions; this file
pins the declarations themselves to the policy (shared/clinical/policy.md,
sections 1, 2, 4 and 5), so a change to a target, a verdict, a care tier or
a bound shows up here as well as in a case.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

import clinrules
from clinrules.cli import main
from tests.conftest import ROOT

RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"

LADDER = (
    "glute_squeeze",
    "bridge_partial",
    "glute_bridge",
    "single_leg_bridge",
    "ball_rollout",
    "kb_deadlift",
    "kb_swing",
)
L1_UP = frozenset(LADDER[1:])
STRENGTH = frozenset(
    {
        "glute_squeeze",
        "bridge_partial",
        "glute_bridge",
        "single_leg_bridge",
        "ball_rollout",
        "kb_deadlift",
        "kb_swing",
        "clamshell",
        "pelvic_tilt",
        "modified_plank",
    }
)
EVERY = frozenset(
    {
        *LADDER,
        "walking",
        "aquatic_exercise",
        "cycling",
        "clamshell",
        "pelvic_tilt",
        "modified_plank",
        "hamstring_stretch",
        "childs_pose",
        "nerve_glide",
    }
)

# policy section 5 (2.0.0): id -> (verdict, to, targets, when unknown); None is `when unknown ignore`
NOT_AEROBIC = EVERY - {"walking", "aquatic_exercise", "cycling"}
GENTLE = frozenset({"glute_squeeze", "pelvic_tilt"})
STRETCHES = {"hamstring_stretch", "childs_pose", "nerve_glide"}
RULES = {
    "leg_symptoms_provoked": ("stop", None, EVERY, "check"),
    "provoked_lower_rung": ("stop", None, L1_UP, "check"),
    "nerve_after_provocation": ("avoid", None, STRETCHES, "check"),
    "provoked_elsewhere": ("modify", None, STRENGTH - GENTLE, None),
    "severe_local_pain": ("stop", None, NOT_AEROBIC, None),
    "scope_age": ("avoid", None, NOT_AEROBIC, "check"),
    "scope_pregnancy": ("avoid", None, NOT_AEROBIC, "check"),
    "scope_new_over_50": ("avoid", None, NOT_AEROBIC, "check"),
    "repeated_adverse": ("avoid", None, NOT_AEROBIC, None),
    "harder_after_adverse": ("avoid", None, L1_UP, None),
    "not_yet_earned": ("regress", None, {"glute_bridge"}, "regress"),
    "not_yet_earned_ten": ("regress", None, {"single_leg_bridge"}, "regress"),
    # the policy's not_yet_earned_ten for the two rungs past the approval gate (public scenario 01)
    "not_yet_earned_approved": ("regress", None, {"ball_rollout", "kb_deadlift"}, "regress"),
    "not_yet_earned_loaded": ("regress", None, {"kb_swing"}, "regress"),
    "tension_when_irritable": ("avoid", None, {"hamstring_stretch", "nerve_glide"}, "check"),
    "flexion_when_irritable": ("avoid", None, {"hamstring_stretch", "childs_pose"}, "check"),
    "beyond_bridge_gate": ("avoid", None, {"ball_rollout", "kb_deadlift", "kb_swing"}, None),
    "stale_screen": ("check", None, EVERY, "check"),
    "marked_weakness_review": ("check", None, STRENGTH, None),
    "flare_needs_baseline": ("check", None, set(LADDER), None),
    "below_knee_cap": ("regress", "bridge_partial", set(LADDER[2:]), "check"),
    "below_knee_start_low": ("regress", "glute_squeeze", {"bridge_partial"}, "check"),
    "single_adverse_step_down": ("regress", None, L1_UP, None),
    "single_adverse_lower_dose": ("modify", None, STRENGTH, None),
    "acute_flare_today": ("modify", None, STRENGTH - GENTLE, "check"),
    "high_pain_today": ("modify", None, STRENGTH - GENTLE, "check"),
    "local_pain_over_ceiling": ("modify", None, STRENGTH, None),
    "nerve_sensitive_lower_dose": ("modify", None, STRENGTH, None),
    "stable_weakness": ("modify", None, STRENGTH, None),
    "ready_to_progress": ("progress", None, {"glute_squeeze", "bridge_partial"}, None),
    "ready_ten_by_ten": ("progress", None, {"glute_bridge", "single_leg_bridge", "ball_rollout"}, None),
    "ready_loaded": ("progress", None, {"kb_deadlift"}, None),
}

# policy section 4: id -> care
RED_FLAGS = {
    "cauda_equina": "emergency",
    "progressive_deficit": "same_day",
    "new_sexual_dysfunction": "same_day",
    "spinal_infection": "same_day",
    "spinal_malignancy": "within_days",
    "spinal_fracture": "same_day",
}


@pytest.fixture(scope="module")
def ruleset() -> clinrules.RuleSet:
    return clinrules.load(RULESET, allow_draft=True)


def test_it_is_in_review_and_claims_no_review(ruleset: clinrules.RuleSet) -> None:
    assert ruleset.status == "review"
    assert ruleset.program.reviews == ()
    assert not any(line.lstrip().startswith("reviewed") for line in RULESET.read_text().splitlines())
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.load(RULESET)
    assert [d.code for d in raised.value.diagnostics] == ["CR420"]


def test_it_checks_without_warnings(ruleset: clinrules.RuleSet) -> None:
    assert ruleset.diagnostics == ()
    assert clinrules.check_file(RULESET.parent / "red_flags.rules") == []


def test_the_exercises_and_the_ladder(ruleset: clinrules.RuleSet) -> None:
    assert set(ruleset.exercises) == EVERY
    assert ruleset.program.ladders["bridge"].rungs == LADDER
    assert {e for e, x in ruleset.program.exercises.items() if "strengthening" in x.tags} == STRENGTH


def test_the_parameters(ruleset: clinrules.RuleSet) -> None:
    params = {
        p.id: (p.default, p.low, p.high, getattr(p.type, "unit", None) and p.type.unit.name)
        for p in ruleset.program.parameters.values()
    }
    assert params == {
        "pain_ceiling": (2, 2, 5, None),
        "beyond_bridge_approved": (False, None, None, None),
        "screen_max_age": (24, 1, 24, "hours"),
        "retrial_days": (7, 7, 28, "days"),
        "exam_max_age": (6, 1, 12, "weeks"),
    }


def test_the_red_flags_and_their_care(ruleset: clinrules.RuleSet) -> None:
    assert {f.id: f.care.value for f in ruleset.program.red_flags} == RED_FLAGS
    assert all(f.messages.say and f.messages.note and f.messages.cite for f in ruleset.program.red_flags)


def test_every_rule_of_the_policy(ruleset: clinrules.RuleSet) -> None:
    rules = {r.id: r for r in ruleset.program.rules}
    assert set(rules) == set(RULES)
    for name, (verdict, to, targets, when_unknown) in RULES.items():
        rule = rules[name]
        assert (rule.verdict, rule.to, set(rule.targets.exercises), rule.when_unknown) == (
            verdict,
            to,
            set(targets),
            when_unknown,
        ), name
        assert rule.messages.say or name == "nerve_sensitive_lower_dose", name  # note only (policy section 7)
        assert rule.messages.note, name
        assert rule.when_unknown != "check" or rule.unknown_say, name
        assert rule.messages.cite, name


def test_every_source_is_cited(ruleset: clinrules.RuleSet) -> None:
    cited = {c for r in (*ruleset.program.rules, *ruleset.program.red_flags) for c in r.messages.cite}
    assert cited | {"hill_2008"} == set(ruleset.program.sources)


def test_the_otherwise_verdict(ruleset: clinrules.RuleSet) -> None:
    assert ruleset.program.otherwise == "allow"


def test_a_changed_threshold_makes_a_case_fail_with_a_readable_diff(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    rules = tmp_path / "rulesets" / "sciatica" / "glute_bridge.rules"
    rules.write_text(
        rules.read_text().replace('session" = 2 between 2 and 5', 'session" = 3 between 2 and 5')
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["test", str(tmp_path / "rulesets")], out, err) == 1
    text = out.getvalue()
    assert "('local pain one over the ceiling lowers the dose')" in text
    assert "exercises.glute_squeeze.verdict: expected 'modify', got 'allow'" in text
    assert " 0 failed" not in text.rstrip().splitlines()[-1]


def test_the_shipped_cases_pass_with_full_coverage() -> None:
    out = io.StringIO()
    assert main(["test", "--min-coverage", "100", str(ROOT / "rulesets")], out, io.StringIO()) == 0
    assert "coverage 100%" in out.getvalue()


# policy sections 4 and 5: the invariants `clinrules prove` proves (issue 17)
REQUIREMENTS = {
    "lower_rung_provocation": ("at least", "stop"),
    "nerve_rest_after_provocation": ("at least", "avoid"),
    "no_nerve_tension_allowed": ("never", "allow"),
    "retention_is_urgent": ("at least", "urgent"),
    "pregnancy_scope": ("at least", "avoid"),
    "stale_screen_checks": ("at least", "check"),
}


def test_the_policy_invariants_are_requires(ruleset: clinrules.RuleSet) -> None:
    found = {r.id: (r.kind.value, r.verdict) for r in ruleset.program.requirements}
    assert found == REQUIREMENTS
    lower = next(r for r in ruleset.program.requirements if r.id == "lower_rung_provocation")
    assert lower.targets.exercises == ruleset.program.ladders["bridge"].rungs[1:]


def _without_requires(text: str) -> str:
    """The rule file with every `require` declaration (its head to the next blank line) left out."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        skipping = line.startswith("require ") or (skipping and line.strip() != "")
        if not skipping:
            kept.append(line)
    return "".join(kept)


def _shown(decision: clinrules.Decision, folder: Path) -> str:
    """The decision and its trace as JSON, without what names the file (its folder, its digest)."""
    dumped = decision.model_dump(mode="json")
    dumped["ruleset"].pop("sha256")
    return json.dumps(dumped, sort_keys=True).replace(str(folder), "RULESET_FOLDER")


def test_a_require_changes_no_decision_of_any_shipped_case(tmp_path: Path) -> None:
    from clinrules.authoring.casefile import read_case_file
    from clinrules.authoring.cases import run_case

    copy = tmp_path / "sciatica"
    shutil.copytree(RULESET.parent, copy)
    stripped = copy / RULESET.name
    stripped.write_text(_without_requires(RULESET.read_text(encoding="utf-8")), encoding="utf-8")
    with_requires = clinrules.load(RULESET, allow_draft=True)
    without = clinrules.load(stripped, allow_draft=True)
    assert with_requires.program.requirements
    assert not without.program.requirements
    assert len(without.program.rules) == len(with_requires.program.rules)
    compared = 0
    for case_path in sorted(RULESET.parent.glob("*.cases.yaml")):
        for case in read_case_file(case_path).cases:
            first, second = run_case(with_requires, case), run_case(without, case)
            assert (first.error, first.mismatches) == (second.error, second.mismatches), case.name
            if first.decision is not None and second.decision is not None:
                assert _shown(first.decision, RULESET.parent) == _shown(second.decision, copy), case.name
                compared += 1
    assert compared > 50
