"""The shipped sciatica ruleset matches the clinical policy it implements, row by row.

The case files (rulesets/sciatica/*.cases.yaml) test decisions; this file
pins the declarations themselves to the policy (shared/clinical/policy.md,
sections 1, 2, 4 and 5), so a change to a target, a verdict, a care tier or
a bound shows up here as well as in a case.
"""

from __future__ import annotations

import io
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

# policy section 5: id -> (verdict, to, targets, when unknown)
RULES = {
    "leg_symptoms_provoked": ("stop", None, EVERY, "check"),
    "severe_local_pain": ("stop", None, EVERY, None),
    "scope_age": ("avoid", None, EVERY, "check"),
    "scope_pregnancy": ("avoid", None, EVERY, "check"),
    "scope_new_over_50": ("avoid", None, EVERY, "check"),
    "repeated_adverse": ("avoid", None, EVERY, None),
    "high_pain_today": ("avoid", None, STRENGTH, "check"),
    "tension_when_irritable": ("avoid", None, {"hamstring_stretch", "nerve_glide"}, "check"),
    "flexion_when_irritable": ("avoid", None, {"hamstring_stretch", "childs_pose"}, "check"),
    "beyond_bridge_gate": ("avoid", None, {"ball_rollout", "kb_deadlift", "kb_swing"}, None),
    "stale_screen": ("check", None, EVERY, "check"),
    "below_knee_start_low": ("regress", "glute_squeeze", L1_UP, "check"),
    "single_adverse_step_down": ("regress", None, L1_UP, None),
    "single_adverse_lower_dose": ("modify", None, STRENGTH, None),
    "single_adverse_fewer_times": ("modify", None, ["glute_squeeze", "bridge_partial"], None),
    "local_pain_over_ceiling": ("modify", None, STRENGTH, None),
    "nerve_sensitive_lower_dose": ("modify", None, STRENGTH, None),
    "nerve_sensitive_fewer_times": ("modify", None, ["glute_squeeze", "bridge_partial"], None),
    "stable_weakness": ("modify", None, STRENGTH, None),
    "ready_to_progress": ("progress", None, {"glute_squeeze", "bridge_partial"}, None),
    "ready_ten_by_ten": ("progress", None, {"glute_bridge", "single_leg_bridge", "ball_rollout"}, None),
    "ready_to_swing": ("progress", None, {"kb_deadlift"}, None),
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
        p.id: (p.default, p.low, p.high, p.type.unit.name if p.type.unit else None)
        for p in ruleset.program.parameters.values()
    }
    assert params == {
        "pain_ceiling": (2, 2, 5, None),
        "beyond_bridge_approved": (0, 0, 1, None),
        "screen_max_age": (24, 1, 24, "hours"),
        "retrial_days": (7, 7, 28, "days"),
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
        assert rule.messages.say, name
        assert rule.messages.note, name
        assert rule.messages.cite, name


def test_every_source_is_cited(ruleset: clinrules.RuleSet) -> None:
    cited = {c for r in (*ruleset.program.rules, *ruleset.program.red_flags) for c in r.messages.cite}
    assert cited == set(ruleset.program.sources)
    assert len(cited) == 18


def test_the_otherwise_verdict(ruleset: clinrules.RuleSet) -> None:
    assert ruleset.program.otherwise == "allow"


def test_a_changed_threshold_makes_a_case_fail_with_a_readable_diff(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    rules = tmp_path / "rulesets" / "sciatica" / "glute_bridge.rules"
    rules.write_text(rules.read_text().replace("parameter pain_ceiling = 2 ", "parameter pain_ceiling = 3 "))
    out, err = io.StringIO(), io.StringIO()
    assert main(["test", str(tmp_path / "rulesets")], out, err) == 1
    text = out.getvalue()
    assert "('local pain one over the ceiling lowers the reps')" in text
    assert "exercises.glute_bridge.verdict: expected 'modify', got 'allow'" in text
    assert " 0 failed" not in text.rstrip().splitlines()[-1]


def test_the_shipped_cases_pass_with_full_coverage() -> None:
    out = io.StringIO()
    assert main(["test", "--min-coverage", "100", str(ROOT / "rulesets")], out, io.StringIO()) == 0
    assert "coverage 100%" in out.getvalue()
